"""`fusionbench score` (not implemented yet)."""


def register(sub):
    p = sub.add_parser("score", help="(not implemented yet)")
    p.set_defaults(func=run)


def run(args):
    raise SystemExit("fusionbench score: not implemented yet")
