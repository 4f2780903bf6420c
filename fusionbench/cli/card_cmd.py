"""`fusionbench card make|verify NAME`: model cards of trained network weights."""

from __future__ import annotations


def register(sub):
    p = sub.add_parser("card", help="make or verify the model card of trained network weights",
                       description="Model cards: metric means of a network and of the average baseline on the "
                                   "full tno42 and roadscene50 sets (profile cddfuse), computed by the engine "
                                   "of `fusionbench evaluate`. The sets are read from $FUSIONBENCH_SHARED/data "
                                   "(default ../shared/data).")
    csub = p.add_subparsers(dest="card_command", metavar="ACTION", required=True)
    make = csub.add_parser("make", help="evaluate the weights, update the JSON sidecar, write the montage "
                                        "and render the Markdown card")
    verify = csub.add_parser("verify", help="recompute every number of the card and compare (exit 1 on a "
                                            "difference); writes nothing into the weights folder")
    cost = csub.add_parser("cost", help="measure parameters, FLOPs and run time on this machine into the "
                                        "sidecar and the card (not checked by verify: machine-dependent)")
    for q in (make, verify, cost):
        q.add_argument("name", metavar="NAME", help="network or NAME:ABLATION, e.g. s2fnet, sspfusion:no_sfe")
        q.add_argument("--directory", default=None,
                       help="folder holding <stem>.safetensors and <stem>.json (default: the bundled weights)")
        q.add_argument("--device", help="torch device for the network (cpu, cuda, ...)")
        q.add_argument("--jobs", type=int, help="worker processes (default: available CPUs)")
        q.add_argument("--no-progress", action="store_true", help="no progress bar")
    make.add_argument("--store", help="result store whose scores and fused images are reused and extended "
                                      "(default: the user cache directory)")
    verify.add_argument("--store", default=":memory:",
                        help="result store to reuse (default: none, every pair is fused and scored afresh)")
    make.set_defaults(func=run_make)
    cost.set_defaults(func=run_cost)
    verify.set_defaults(func=run_verify)


def _kwargs(args) -> dict:
    from fusionbench.train.weights import WEIGHTS_DIR
    return dict(directory=args.directory or WEIGHTS_DIR, device=args.device, jobs=args.jobs, store=args.store,
                progress=not args.no_progress)


def run_make(args):
    from fusionbench.train.card import make_card
    print(f"model card: {make_card(args.name, **_kwargs(args))}")
    return 0


def run_cost(args):
    from fusionbench.train.card import measure_cost
    from fusionbench.train.weights import WEIGHTS_DIR
    print(f"model card: {measure_cost(args.name, directory=args.directory or WEIGHTS_DIR, device=args.device)}")
    return 0


def run_verify(args):
    from fusionbench.train.card import RTOL, verify_card
    count, diffs = verify_card(args.name, **_kwargs(args))
    if diffs:
        print(f"{args.name}: {len(diffs)} of the card's values differ from what the engine gives now:")
        for d in diffs:
            print(f"  {d}")
        return 1
    print(f"{args.name}: all {count} values of the card agree (networks within {RTOL['network']:g}, "
          f"baselines within {RTOL['baseline']:g} relative)")
    return 0
