"""`fusionbench train` (not implemented yet)."""


def register(sub):
    p = sub.add_parser("train", help="(not implemented yet)")
    p.set_defaults(func=run)


def run(args):
    raise SystemExit("fusionbench train: not implemented yet")
