"""`fusionbench plot` (not implemented yet)."""


def register(sub):
    p = sub.add_parser("plot", help="(not implemented yet)")
    p.set_defaults(func=run)


def run(args):
    raise SystemExit("fusionbench plot: not implemented yet")
