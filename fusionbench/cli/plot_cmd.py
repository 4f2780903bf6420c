"""`fusionbench plot radar|box|ablation|cd`: figures from per-image results (PNG, PDF, SVG)."""

from __future__ import annotations

import sys
from pathlib import Path

from fusionbench.cli.table_cmd import _csv, add_selection


def register(sub):
    p = sub.add_parser("plot", help="radar charts, box plots, ablation grids and critical-difference diagrams",
                       description="Figures from per-image results; the output suffix picks "
                                   "PNG, PDF or SVG.")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    r = kinds.add_parser("radar", help="methods over metrics for one dataset (axes scaled)")
    add_selection(r, many_datasets=False)
    r.add_argument("--top", type=int, help="only the N methods of best mean rank")
    r.add_argument("-o", "--output", required=True, help="figure file (.png/.pdf/.svg)")
    b = kinds.add_parser("box", help="per-image box plots, one panel per metric")
    add_selection(b, many_datasets=False)
    b.add_argument("-o", "--output", required=True, help="figure file (.png/.pdf/.svg)")
    a = kinds.add_parser("ablation", help="ablation grid: ✓/✗ module columns + metrics")
    add_selection(a, many_datasets=False)
    a.add_argument("--network", required=True,
                   choices=["s2fnet", "smfnet", "sspfusion", "msfe"])
    a.add_argument("--variants", help="comma-separated variants (rows), in order")
    a.add_argument("-o", "--output", help="heat-map figure (.png/.pdf/.svg)")
    a.add_argument("--format", "-f", default="markdown", choices=["markdown", "latex", "csv"],
                   help="format of the table printed to stdout")
    a.add_argument("--precision", "-p", type=int, default=4)
    a.add_argument("--paper", metavar="DATASET",
                   help="compare with the paper's ablation table on DATASET (e.g. RoadScene, TNO): per row "
                        "and metric, the paper's change beside ours, marked where ours agrees beyond the "
                        "seed noise of the full model (NAME, NAME@seed1, ... in the results)")
    c = kinds.add_parser("cd", help="critical-difference diagram: Friedman test + Nemenyi post-hoc over the images",
                         description="Mean ranks of the methods over the images (Demsar 2006), methods joined "
                                     "where the Nemenyi test finds no difference; needs >= 3 methods. One file per "
                                     "dataset, profile and metric selected (FILE_<dataset>_<metric>.png when several).")
    c.add_argument("results", nargs="?", help="results file (.csv/.json/.jsonl/.parquet) or .sqlite store; "
                                              "default: the default result store")
    c.add_argument("--metric", help="metric(s) to rank, comma-separated (default: every metric in the results)")
    c.add_argument("--dataset", help="dataset")
    c.add_argument("--profile", help="keep only this metric profile")
    c.add_argument("--methods", help="comma-separated methods (default: all)")
    c.add_argument("--alpha", type=float, default=0.05, help="Nemenyi level (default 0.05)")
    c.add_argument("--latest", action="store_true",
                   help="where an image holds several values for one method, use the most recently stored one")
    c.add_argument("-o", "--output", required=True, help="figure file (.png/.pdf/.svg)")
    for q in (r, b, a, c):
        q.add_argument("--title", help="figure title")
        q.set_defaults(func=run)


def _cd(args) -> int:
    from fusionbench.report.ranking import cd_diagrams
    from fusionbench.report.results import check_selection, distinct_results, load_any, select
    df = load_any(args.results)
    src = str(args.results or "result store")
    sel = dict(dataset=args.dataset, profile=args.profile, metric=_csv(args.metric), method=_csv(args.methods))
    if args.profile is not None and (df["profile"] == args.profile).any():  # a stored label
        df, sel["profile"] = select(df, profile=args.profile), None
    df = distinct_results(df, latest=args.latest, name=src)
    check_selection(df, src, **sel)
    for target, res in cd_diagrams(select(df, **sel), args.output, alpha=args.alpha, title=args.title):
        print(f"wrote {target} (Friedman p = {res.p_value:.3g}, CD = {res.cd:.3f}, N = {res.n}, "
              f"{len(res.methods)} methods)", file=sys.stderr)
    return 0


def run(args):
    if args.kind == "cd":
        return _cd(args)
    from fusionbench.report import figures
    from fusionbench.report.results import load_any
    df = load_any(args.results)
    sel = dict(dataset=args.dataset, profile=args.profile, metrics=_csv(args.metrics),
               methods=_csv(args.methods))
    if args.kind == "radar":
        figures.radar(df, top=args.top, title=args.title, path=args.output, **sel)
    elif args.kind == "box":
        figures.box(df, title=args.title, path=args.output, **sel)
    else:
        from fusionbench.report.ablation import render_ablation
        from fusionbench.report.results import select
        df = select(df, dataset=args.dataset, profile=args.profile, method=_csv(args.methods))
        variants = _csv(args.variants)
        if args.paper:
            from fusionbench.report.ablation import ablation_evidence, evidence_figure, render_evidence
            ev = ablation_evidence(df, network=args.network, paper_dataset=args.paper, metrics=sel["metrics"])
            sys.stdout.write(render_evidence(ev, precision=args.precision, title=args.title or ""))
            if args.output:
                evidence_figure(ev, title=args.title, path=args.output, precision=args.precision)
                print(f"wrote {Path(args.output)}", file=sys.stderr)
            return 0
        sys.stdout.write(render_ablation(df, network=args.network, variants=variants,
                                         metrics=sel["metrics"], fmt=args.format,
                                         precision=args.precision))
        if args.output:
            figures.ablation_heatmap(df, network=args.network, variants=variants,
                                     metrics=sel["metrics"], title=args.title, path=args.output)
    if getattr(args, "output", None):
        print(f"wrote {Path(args.output)}", file=sys.stderr)
    return 0
