"""`fusionbench fuse` (not implemented yet)."""


def register(sub):
    p = sub.add_parser("fuse", help="(not implemented yet)")
    p.set_defaults(func=run)


def run(args):
    raise SystemExit("fusionbench fuse: not implemented yet")
