"""`fusionbench datasets` (not implemented yet)."""


def register(sub):
    p = sub.add_parser("datasets", help="(not implemented yet)")
    p.set_defaults(func=run)


def run(args):
    raise SystemExit("fusionbench datasets: not implemented yet")
