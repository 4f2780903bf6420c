"""`fusionbench table`: paper-style tables, published-vs-reproduced and significance tables."""

from __future__ import annotations

import sys
from pathlib import Path


def _csv(text):
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def add_selection(p, *, many_datasets=True):
    """Options shared by `table` and `plot`: the results source and row/column selection."""
    p.add_argument("results", nargs="?", help="results file (.csv/.json/.jsonl/.parquet) or "
                   ".sqlite store; default: the default result store")
    if many_datasets:
        p.add_argument("--dataset", action="append", help="dataset (column group; repeatable)")
    else:
        p.add_argument("--dataset", help="dataset")
    p.add_argument("--profile", help="keep only this metric profile")
    p.add_argument("--metrics", help="comma-separated metrics, in column order")
    p.add_argument("--methods", help="comma-separated methods, in row order")


def register(sub):
    p = sub.add_parser("table", help="methods x metrics table (Markdown, LaTeX, CSV)",
                       description="Render a methods x metrics table from per-image results. "
                                   "Best per column in bold, second underlined (direction-aware).")
    add_selection(p)
    p.add_argument("--format", "-f", default="markdown", choices=["markdown", "latex", "csv"])
    p.add_argument("--precision", "-p", type=int, default=4, help="decimals (default 4)")
    p.add_argument("--std", action="store_true", help="print mean ± std")
    p.add_argument("--n", action="store_true", help="add the number of images per group")
    p.add_argument("--significance", nargs="?", type=float, const=0.05, default=None,
                   metavar="ALPHA", help="mark methods not significantly different from the "
                                         "best (paired Wilcoxon, default alpha 0.05)")
    p.add_argument("--caption", help="LaTeX caption (wraps the tabular in a table float)")
    p.add_argument("--label", help="LaTeX label")
    p.add_argument("--label-dataset", action="append", default=[], metavar="NAME=LABEL",
                   help="printed group label of a dataset, e.g. tno42=TNO (repeatable)")
    p.add_argument("--published", action="store_true",
                   help="instead: published values beside these results (same method/dataset)")
    p.add_argument("--stats", action="store_true",
                   help="instead: BCa bootstrap 95%% CI, Wilcoxon p-value vs the best (raw and Holm-corrected) "
                        "and rank-biserial effect size, per metric")
    p.add_argument("--friedman", action="store_true",
                   help="instead: Friedman test over the images with Nemenyi post-hoc (mean ranks, critical "
                        "difference, Kendall's W), per metric with >= 3 methods; alpha from --significance")
    p.add_argument("--cd-diagram", metavar="FILE",
                   help="with --friedman: critical-difference diagram (.png/.pdf/.svg); several metrics or "
                        "datasets give FILE_<dataset>_<metric>.png")
    p.add_argument("--latest", action="store_true",
                   help="where an image holds several values for one method (a --fused folder changed after "
                        "it was scored, two folders with one name), use the most recently stored one; "
                        "without it such results are refused")
    p.add_argument("--export", action="append", default=[], metavar="FILE",
                   help="also write the selected per-image values: .csv (VIFB-style wide), .xlsx (Tang's "
                        "one sheet per metric; needs openpyxl) or .mat (VIFB's resultsMetrics); repeatable")
    p.add_argument("--export-per-metric", action="store_true",
                   help="with a .csv --export: one file per metric (<stem>_<metric>.csv)")
    p.add_argument("-o", "--output", help="write to this file instead of stdout")
    p.set_defaults(func=run)


def _export(df, args):
    from fusionbench.report.results import check_selection, distinct_results, select
    from fusionbench.store.export import export_results
    src = str(args.results or "result store")
    sel = dict(dataset=args.dataset, profile=args.profile, metric=_csv(args.metrics), method=_csv(args.methods))
    if args.profile is not None and (df["profile"] == args.profile).any():
        df, sel["profile"] = select(df, profile=args.profile), None
    df = distinct_results(df, latest=args.latest, name=src)
    check_selection(df, src, **sel)
    df = select(df, **sel)
    for path in args.export:
        for written in export_results(df, path, per_metric=args.export_per_metric, name=src):
            print(f"wrote {written}", file=sys.stderr)


def _friedman(df, args) -> str:
    from fusionbench.report.ranking import cd_diagram, friedman_nemenyi, friedman_table
    from fusionbench.report.tables import higher_is_better
    alpha = args.significance if args.significance is not None else 0.05
    ft = friedman_table(df, alpha=alpha)
    if args.cd_diagram:
        path = Path(args.cd_diagram)
        keys = list(dict.fromkeys(zip(ft.dataset, ft.profile, ft.metric)))
        for ds, prof, metric in keys:
            sub = df[(df.dataset == ds) & (df.profile == prof) & (df.metric == metric)]
            res = friedman_nemenyi(sub, higher=higher_is_better(metric), alpha=alpha)
            target = path if len(keys) == 1 else path.with_name(
                f"{path.stem}_{ds}_{metric}{path.suffix}".replace("/", "-"))
            cd_diagram(res, path=target, title=f"{ds} {metric}: Friedman p = {res.p_value:.3g}, "
                                              f"Nemenyi CD = {res.cd:.3f} (alpha {alpha:g}, N = {res.n})")
            print(f"wrote {target}", file=sys.stderr)
    if args.format == "csv":
        return ft.to_csv(index=False)
    return ft.drop(columns="test").to_markdown(index=False, floatfmt=f".{args.precision}g") + \
        f"\nTest: {ft['test'].iloc[0]}. tied_with_best: mean rank within the critical difference of the best.\n"


def run(args):
    from fusionbench.report.results import load_any
    from fusionbench.store.export import require_export
    for path in args.export:
        require_export(path)
    df = load_any(args.results)
    if args.export:
        _export(df, args)
    if args.cd_diagram and not args.friedman:
        from fusionbench.errors import InputError
        raise InputError("--cd-diagram", "needs --friedman")
    if args.published or args.stats or args.friedman:
        from fusionbench.report.results import check_selection, distinct_results, select
        src = str(args.results or "result store")
        sel = dict(dataset=args.dataset, profile=args.profile, metric=_csv(args.metrics), method=_csv(args.methods))
        if args.profile is not None and (df["profile"] == args.profile).any():  # a stored label
            df, sel["profile"] = select(df, profile=args.profile), None
        df = distinct_results(df, latest=args.latest, name=src)
        check_selection(df, src, **sel)
        df = select(df, **sel)
    if args.published:
        from fusionbench.report.published import compare, render_comparison
        text = render_comparison(compare(df), fmt=args.format, precision=args.precision)
    elif args.stats:
        from fusionbench.report.significance import significance_table
        alpha = args.significance if args.significance is not None else 0.05
        st = significance_table(df, alpha=alpha)
        text = st.to_csv(index=False) if args.format == "csv" else \
            st.drop(columns="test").to_markdown(index=False, floatfmt=f".{args.precision}g") + \
            f"\nTest: {st['test'].iloc[0] if len(st) else ''}; alpha = {alpha:g}.\n"
    elif args.friedman:
        text = _friedman(df, args)
    else:
        from fusionbench.report.tables import render_table
        labels = dict(x.split("=", 1) for x in args.label_dataset)
        text = render_table(df, fmt=args.format, caption=args.caption, label=args.label,
                            metrics=_csv(args.metrics), methods=_csv(args.methods),
                            datasets=args.dataset, profile=args.profile,
                            precision=args.precision, std=args.std, n=args.n,
                            alpha=args.significance, labels=labels or None, latest=args.latest)
    if args.output:
        from fusionbench.store.export import write_atomic
        write_atomic(Path(args.output), lambda tmp: tmp.write_text(text))
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
