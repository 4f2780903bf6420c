"""`fusionbench leaderboard` (not implemented yet)."""


def register(sub):
    p = sub.add_parser("leaderboard", help="(not implemented yet)")
    p.set_defaults(func=run)


def run(args):
    raise SystemExit("fusionbench leaderboard: not implemented yet")
