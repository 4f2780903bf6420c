"""`fusionbench metrics` (not implemented yet)."""


def register(sub):
    p = sub.add_parser("metrics", help="(not implemented yet)")
    p.set_defaults(func=run)


def run(args):
    raise SystemExit("fusionbench metrics: not implemented yet")
