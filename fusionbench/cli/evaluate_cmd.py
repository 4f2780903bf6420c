"""`fusionbench evaluate` (not implemented yet)."""


def register(sub):
    p = sub.add_parser("evaluate", help="(not implemented yet)")
    p.set_defaults(func=run)


def run(args):
    raise SystemExit("fusionbench evaluate: not implemented yet")
