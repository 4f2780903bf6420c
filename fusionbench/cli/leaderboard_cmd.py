"""`fusionbench leaderboard update|pages|list`: regenerate the committed leaderboards."""

from __future__ import annotations

import sys


def register(sub):
    p = sub.add_parser("leaderboard", help="regenerate or list the leaderboards")
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    u = acts.add_parser("update", help="recompute boards (per-image CSV, means, provenance, page, radar)",
                        description="Score every entry of the boards with the engine of `fusionbench evaluate` "
                                    "and its result store (values already stored for the same pixels, profile, "
                                    "options, metric version and backend class are reused, the others are "
                                    "computed and stored), then write per_image.csv, means.csv, provenance.csv "
                                    "(what made each method's values on each image), leaderboard.json and the "
                                    "page.")
    u.add_argument("--dir", default="leaderboards", help="leaderboards folder")
    u.add_argument("--board", action="append", help="dataset/profile (repeatable; default all)")
    u.add_argument("--method", action="append",
                   help="only recompute this method, keep the others' rows (repeatable)")
    u.add_argument("--shared", help="shared data root (default $FUSIONBENCH_SHARED or ../shared)")
    u.add_argument("--backend", default="numpy", help="metric backend (default numpy)")
    u.add_argument("--images", type=int, help="only the first N pairs (preview; do not commit)")
    u.add_argument("--no-networks", action="store_true", help="skip the reference networks")
    u.add_argument("--store", help="SQLite result store reused and extended (default: the user cache directory, "
                                   "as `fusionbench evaluate`)")
    u.add_argument("--jobs", type=int, help="worker processes (default: available CPUs)")
    u.add_argument("--no-progress", action="store_true", help="no progress bar")
    u.set_defaults(func=run)
    g = acts.add_parser("pages", help="rewrite README.md pages and radar charts from the CSVs")
    g.add_argument("--dir", default="leaderboards")
    g.set_defaults(func=run)
    s = acts.add_parser("list", help="list the known boards and whether they are present")
    s.add_argument("--dir", default="leaderboards")
    s.set_defaults(func=run)


def run(args):
    from fusionbench.report import leaderboard as lb
    progress = lambda m: print(m, file=sys.stderr, flush=True)
    if args.action == "update":
        written = lb.update(args.dir, boards=args.board, shared=args.shared, methods=args.method,
                            backend=args.backend, images=args.images,
                            include_networks=not args.no_networks, progress=progress, store=args.store,
                            jobs=args.jobs, bar=not args.no_progress)
        for d in written:
            print(f"updated {d}")
        if not written:
            print("no board updated (sources not found: set --shared or FUSIONBENCH_SHARED)", file=sys.stderr)
            return 1
        lb.write_index(args.dir)
        return 0
    if args.action == "pages":
        for d in lb.rewrite_pages(args.dir):
            print(f"rewrote {d}")
        return 0
    for (dataset, profile), spec in lb.BOARDS.items():
        present = (lb.Path(args.dir) / dataset / profile / "leaderboard.json").is_file()
        print(f"{dataset}/{profile:<10} {'present' if present else 'missing':<8} {spec.title}")
    return 0
