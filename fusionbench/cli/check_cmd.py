"""`fusionbench check` (not implemented yet)."""


def register(sub):
    p = sub.add_parser("check", help="(not implemented yet)")
    p.set_defaults(func=run)


def run(args):
    raise SystemExit("fusionbench check: not implemented yet")
