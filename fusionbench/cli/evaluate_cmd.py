"""`fusionbench evaluate`: score methods or fused folders on datasets; print means, write per-image rows."""

from __future__ import annotations

import json
import sys

from fusionbench.cli.common import parse_options

EXIT_INCOMPLETE = 3


def register(sub):
    p = sub.add_parser("evaluate", help="score fusion methods / fused-image folders on datasets",
                       description="Score fusion methods (or folders of fused images) on datasets, "
                                   "print per-dataset means and write the per-image results. "
                                   "Exit code 3 when some pairs could not be scored.")
    p.add_argument("--method", action="append", default=[], metavar="NAME",
                   help="registered method (average, max, laplacian, gff, s2fnet, sspfusion, smfnet, msfe, "
                        "NAME:ABLATION); repeatable")
    p.add_argument("--fused", action="append", default=[], metavar="DIR",
                   help="folder of fused images matched to the pairs by file stem; repeatable")
    p.add_argument("--name", action="append", default=[], metavar="N",
                   help="method name for the --fused folder at the same position (default: folder name)")
    p.add_argument("--fused-root", metavar="DIR",
                   help="results tree: each subfolder with images is one method, named after the folder "
                        "(<Method>_<dataset> folders lose the dataset suffix); methods lacking images are listed")
    p.add_argument("--include", action="append", default=[], metavar="GLOB",
                   help="with --fused-root: keep only method folders matching this pattern; repeatable")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="with --fused-root: leave out method folders matching this pattern; repeatable")
    p.add_argument("--dataset", action="append", required=True, metavar="NAME|PATH",
                   help="registered dataset (fusionbench datasets list) or a folder with ir/ and vi/; repeatable")
    p.add_argument("--data-root", help="folder holding the datasets (or the dataset folder itself); "
                                       "default $FUSIONBENCH_DATA, else the bundled sample")
    p.add_argument("--split", help="split (train/test) for datasets that have them (default test)")
    p.add_argument("--subset", help="named subset (tno25, roadscene50) or a file of image stems")
    p.add_argument("--profile", default="cddfuse", help="metric profile (default cddfuse)")
    p.add_argument("--metrics", help="comma-separated metric names (default: the profile's table)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="metric option override (see fusionbench metrics); repeatable")
    p.add_argument("--backend", default="auto", help="auto (default: torch on CUDA, else numba), numpy (reference), numba, torch or torch-fp32")
    p.add_argument("--device", help="device for the torch backend and for networks (cpu, cuda, ...)")
    p.add_argument("--executor", default="local",
                   help="local (process pool, default), inline, dask (local cluster) or dask://HOST:PORT")
    p.add_argument("--jobs", type=int, help="worker processes (default: available CPUs)")
    p.add_argument("--store", help="SQLite result store (default: the user cache directory)")
    p.add_argument("--no-fused-cache", action="store_true",
                   help="do not keep or reuse fused images in the store (by default a method's fused image is "
                        "reused when method, weights, code, options and source pixels all match)")
    p.add_argument("--out", help="per-image results file: .csv, .json or .parquet")
    p.add_argument("--summary-out", help="per-dataset aggregates (mean, std, n): .csv, .json or .parquet")
    p.add_argument("--export", action="append", default=[], metavar="FILE",
                   help="per-image export by extension: .csv (VIFB-style wide table, rows images, columns "
                        "method/metric), .xlsx (Tang's workbook, one sheet per metric; needs openpyxl), .mat "
                        "(VIFB's resultsMetrics images x methods x metrics); repeatable")
    p.add_argument("--export-per-metric", action="store_true",
                   help="with a .csv --export: one file per metric (<stem>_<metric>.csv), columns methods")
    p.add_argument("--report-cost", action="store_true",
                   help="also print each --method's cost: parameters, FLOPs (torch flop counter) and run time "
                        "per image size (see --cost-sizes); folders of fused images have none")
    p.add_argument("--cost-sizes", default="256x256,480x640", metavar="HxW,...",
                   help="image sizes for --report-cost (default 256x256,480x640)")
    p.add_argument("--format", default="table", choices=("table", "csv", "json", "latex"),
                   help="how to print the per-dataset means (default table)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)




def _methods(args, datasets=()):
    from fusionbench.errors import InputError
    from fusionbench.methods import FusedFolder
    root = getattr(args, "fused_root", None)
    if not args.method and not args.fused and not root:
        raise InputError("evaluate", "give at least one --method NAME, --fused DIR or --fused-root DIR")
    if len(args.name) > len(args.fused):
        raise InputError("--name", "more --name than --fused options")
    if (args.include or args.exclude) and not root:
        raise InputError("--include/--exclude", "only apply to --fused-root")
    names = args.name + [None] * (len(args.fused) - len(args.name))
    out = list(args.method) + [FusedFolder(d, name=n) for d, n in zip(args.fused, names)]
    if root:
        from fusionbench.methods.fused_root import discover_fused_root
        labels = [d.label for d in datasets] or [None]
        stems = {p.name for d in datasets for p in d.pairs} | {n for d in datasets for n in d.problems}
        found = [discover_fused_root(root, include=args.include, exclude=args.exclude, dataset=lb, stems=stems)
                 for lb in labels]
        if any([f.folder for f in x] != [f.folder for f in found[0]] for x in found[1:]):
            raise InputError(root, "its <Method>_<dataset> folders differ per dataset; give one --dataset per run")
        out += found[0]
        print(f"--fused-root {root}: {len(found[0])} method(s): "
              + ", ".join(f.name for f in found[0]), file=sys.stderr)
    return out


def _report_cost(args, result, sizes) -> list:
    """Parameters, FLOPs and run time of each registered method (not of fused folders), printed."""
    from fusionbench.methods.cost import cost_markdown, method_cost
    rows, registered = [], _canonical(args.method)
    for name in result.methods:
        if name in registered:
            rows += method_cost(name, sizes=sizes, device=args.device)
    out = sys.stdout if args.format == "table" else sys.stderr
    if rows:
        print("\ncost (FLOPs: torch.utils.flop_counter, multiply-add = 2; GMACs = half; median time of one "
              "fuse call on this machine)", file=out)
        print(cost_markdown(rows), file=out)
    else:
        print("cost: no registered method to measure (folders of fused images were made elsewhere)", file=sys.stderr)
    return rows


def _canonical(names) -> set:
    from fusionbench.methods.registry import canonical_name
    return {canonical_name(n, check=False) for n in names}


def _report_missing(result) -> dict:
    """Print which images each method lacks; returns ``{dataset: {method: [images]}}``."""
    from fusionbench.methods.fused_root import missing_images
    missing = missing_images(result.problems)
    for ds, per in missing.items():
        total = next((len(d.pairs) for d in result.datasets if d.label == ds), None)
        for method, images in per.items():
            shown = ", ".join(images[:20]) + (f", ... (+{len(images) - 20})" if len(images) > 20 else "")
            print(f"MISSING: {ds} [{method}] lacks {len(images)}" + (f" of {total}" if total else "")
                  + f" image(s): {shown}", file=sys.stderr)
    return missing


def means_table(summary, metrics, methods) -> dict:
    """dataset -> list of rows [method, mean per metric] in the run's order."""
    out = {}
    for ds, grp in summary.groupby("dataset", sort=False):
        idx = {(r.method, r.metric): r.mean for r in grp.itertuples()}
        out[ds] = [[m] + [idx.get((m, k), float("nan")) for k in metrics] for m in methods]
    return out


def _with_n(summary, rows, metrics) -> list:
    """Rows [method, n pairs, mean text per metric]; a mean over fewer images (NaN values skipped)
    shows its own n, e.g. ``1.5957 (n=40)``."""
    count = {(r.method, r.metric): (int(r.n), int(r.n + r.n_nan)) for r in summary.itertuples()}
    out = []
    for method, *means in rows:
        pairs = max((count.get((method, m), (0, 0))[1] for m in metrics), default=0)
        cells = []
        for m, v in zip(metrics, means):
            n = count.get((method, m), (0, 0))[0]
            text = "–" if v != v else f"{v:.4f}"
            cells.append(text + (f" (n={n})" if n < pairs else ""))
        out.append([method, pairs] + cells)
    return out


def _latex(frame, tables, metrics) -> str:
    try:
        from fusionbench.report.tables import render_table
        return render_table(frame, fmt="latex")
    except Exception:  # noqa: BLE001 - report package missing or incompatible: plain booktabs
        lines = []
        for ds, rows in tables.items():
            lines += [r"\begin{tabular}{l" + "r" * len(metrics) + "}", r"\toprule",
                      f"\\multicolumn{{{len(metrics) + 1}}}{{l}}{{{ds}}} \\\\", r"\midrule",
                      "Method & " + " & ".join(metrics) + r" \\", r"\midrule"]
            lines += [str(r[0]).replace("_", r"\_") + " & " + " & ".join(f"{v:.4f}" for v in r[1:]) + r" \\"
                      for r in rows]
            lines += [r"\bottomrule", r"\end{tabular}", ""]
        return "\n".join(lines)


def run(args):
    from tabulate import tabulate

    from fusionbench.errors import InputError
    from fusionbench.runner import evaluate
    from fusionbench.store.export import check_output, json_safe, write_frame

    if args.jobs is not None and args.jobs < 1:
        raise InputError("--jobs", f"must be at least 1, got {args.jobs}")
    for path in (args.out, args.summary_out):  # before any scoring, not after it
        if path:
            check_output(path)
    from fusionbench.store.export import export_results, require_export
    for path in args.export:
        require_export(path)
    if args.report_cost:
        from fusionbench.methods.cost import parse_sizes
        cost_sizes = parse_sizes(args.cost_sizes)
    from fusionbench.datasets import resolve_dataset
    datasets = [resolve_dataset(d, data_root_dir=args.data_root, split=args.split, subset=args.subset)
                for d in args.dataset]
    methods = _methods(args, datasets)
    for ds in datasets:
        print(f"dataset {ds.describe()}", file=sys.stderr)
        if ds.is_sample:
            print(f"NOTE: {ds.name}: using the BUNDLED SAMPLE ({len(ds.pairs)} pairs), not the full dataset; "
                  "pass --data-root or set FUSIONBENCH_DATA to evaluate the real set", file=sys.stderr)
    result = evaluate(datasets, methods, profile=args.profile, metrics=args.metrics, backend=args.backend,
                      device=args.device, executor=args.executor, jobs=args.jobs, store=args.store,
                      progress=not args.no_progress, fused_cache=not args.no_fused_cache,
                      **parse_options(args.option))
    frame, summary = result.frame(), result.summary()
    metrics = list(result.metrics)
    tables = means_table(summary, metrics, result.methods)
    if args.out:
        print(f"wrote {len(frame)} rows to {write_frame(frame, args.out)}", file=sys.stderr)
    if args.summary_out:
        print(f"wrote {len(summary)} rows to {write_frame(summary, args.summary_out)}", file=sys.stderr)
    for path in args.export:
        for written in export_results(frame, path, per_metric=args.export_per_metric, name="evaluate"):
            print(f"wrote {written}", file=sys.stderr)
    if args.format == "table":
        for ds, rows in tables.items():
            print(f"\n{ds} (profile {result.profile}; mean over n images, or over the (n=K) images with a value)")
            print(tabulate(_with_n(summary[summary.dataset == ds], rows, metrics), headers=["method", "n"] + metrics,
                           disable_numparse=True, colalign=("left",) + ("right",) * (len(metrics) + 1)))
    elif args.format == "csv":
        sys.stdout.write(summary.to_csv(index=False, float_format="%.10g"))
    elif args.format == "json":
        print(json.dumps(json_safe(summary.astype(object).to_dict(orient="records")), indent=1, allow_nan=False))
    else:
        print(_latex(frame, tables, metrics))
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"computed {result.computed} values, reused {result.reused} from the store ({result.store_path}); "
          f"fused {result.fused} images, reused {result.fused_reused}", file=sys.stderr)
    result.extra["missing"] = _report_missing(result)
    if args.report_cost:
        result.extra["cost"] = _report_cost(args, result, cost_sizes)
    if result.problems:
        print(f"INCOMPLETE: {len(result.problems)} pair(s) not scored:", file=sys.stderr)
        for prob in result.problems:
            print(f"  {prob}", file=sys.stderr)
        return EXIT_INCOMPLETE
    return 0
