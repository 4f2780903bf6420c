"""`fusionbench check leaderboards/`: recompute committed leaderboard values, fail on drift."""

from __future__ import annotations

import sys


def register(sub):
    p = sub.add_parser("check", help="recompute leaderboard values and fail on drift",
                       description="Recompute the values stored under a leaderboards folder "
                                   "and exit 1 with a readable diff when any value drifts beyond "
                                   "its tolerance (stored per metric in leaderboard.json). "
                                   "Sources: $FUSIONBENCH_SHARED or ../shared next to the "
                                   "repository; without them, the bundled sample.")
    p.add_argument("path", nargs="?", default="leaderboards", help="leaderboards folder or one "
                   "board folder (default: leaderboards)")
    p.add_argument("--scope", choices=["ci", "full"], default="ci",
                   help="ci (default): cheap metrics on every image + all metrics on a "
                        "rotating image per method; full: every stored value")
    p.add_argument("--board", action="append", help="only this board, e.g. tno42/cddfuse "
                   "(repeatable)")
    p.add_argument("--method", action="append", help="only this method (repeatable)")
    p.add_argument("--shared", help="shared data root (default $FUSIONBENCH_SHARED or ../shared)")
    p.add_argument("--backend", help="metric backend (default: the one recorded in the board)")
    p.add_argument("-v", "--verbose", action="store_true", help="print progress per method")
    p.set_defaults(func=run)


def run(args):
    from fusionbench.report.leaderboard import check
    progress = (lambda m: print(m, file=sys.stderr, flush=True)) if args.verbose else None
    report = check(args.path, scope=args.scope, boards=args.board, methods=args.method,
                   shared=args.shared, backend=args.backend, progress=progress)
    print(report.format())
    return 0 if report.ok else 1
