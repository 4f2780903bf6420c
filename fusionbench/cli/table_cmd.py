"""`fusionbench table` (not implemented yet)."""


def register(sub):
    p = sub.add_parser("table", help="(not implemented yet)")
    p.set_defaults(func=run)


def run(args):
    raise SystemExit("fusionbench table: not implemented yet")
