"""`fusionbench datasets list | info NAME | fetch NAME`."""

from __future__ import annotations

import sys


def register(sub):
    p = sub.add_parser("datasets", help="list, describe and download datasets")
    dsub = p.add_subparsers(dest="action", metavar="ACTION")
    dsub.add_parser("list", help="registered datasets").set_defaults(func=run_list)
    info = dsub.add_parser("info", help="a dataset's source, licence and the pairs found locally")
    info.add_argument("name", help="dataset name or folder")
    info.add_argument("--data-root", help="folder holding the datasets (default $FUSIONBENCH_DATA, "
                                          "else the bundled sample)")
    info.add_argument("--split")
    info.add_argument("--subset")
    info.set_defaults(func=run_info)
    fetch = dsub.add_parser("fetch", help="download datasets, extract safely, verify every file's sha256")
    fetch.add_argument("name", nargs="+", help="registered dataset name(s), e.g. vifb tno42")
    fetch.add_argument("--data-root", help="where to put <name>/ (default $FUSIONBENCH_DATA, else "
                                           "<user data dir>/fusionbench/datasets)")
    fetch.add_argument("--url", help="download from this address instead of the registered one")
    fetch.add_argument("--sha256", help="expected sha256 of the archive (overrides the registry)")
    fetch.add_argument("--allow-unverified", action="store_true",
                       help="accept a download that neither an archive sha256 nor a file manifest verifies")
    fetch.add_argument("--no-progress", action="store_true")
    fetch.set_defaults(func=run_fetch)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_list(args):
    from tabulate import tabulate

    from fusionbench.datasets import list_datasets
    rows = [[s.name, s.title, s.pairs, "/".join(s.splits) or "-", "yes" if s.url else "no"]
            for s in list_datasets()]
    print(tabulate(rows, headers=["name", "title", "full set", "splits", "fetch"]))
    return 0


def run_info(args):
    from fusionbench.datasets import get_spec, resolve_dataset
    from fusionbench.errors import FusionBenchError
    spec = None
    try:
        spec = get_spec(args.name)
    except FusionBenchError:
        pass
    if spec is not None:
        for field in ("name", "title", "pairs", "splits", "default_split", "subset", "source", "citation",
                      "licence", "url", "sha256", "notes"):
            value = getattr(spec, field)
            if value:
                print(f"{field:14s} {', '.join(value) if isinstance(value, tuple) else value}")
        from fusionbench.datasets.manifest import has_manifest, manifest_path, read_manifest
        if has_manifest(spec.name):
            files, complete = read_manifest(spec.name)
            print(f"{'manifest':14s} {len(files)} files{' (complete)' if complete else ''}, sha256 each: "
                  f"{manifest_path(spec.name).name}")
    try:
        ds = resolve_dataset(args.name, data_root_dir=args.data_root, split=args.split, subset=args.subset)
    except FusionBenchError as exc:
        if spec is None:
            raise
        print(f"{'local':14s} not found ({exc})")
        return 0
    from fusionbench.datasets.layout import image_size
    sizes, unreadable = {}, {}
    for p in ds.pairs:
        try:
            sz = image_size(p.ir)
        except FusionBenchError as exc:  # listed with the other problems, the rest is described
            unreadable[p.name] = str(exc)
            continue
        sizes[sz] = sizes.get(sz, 0) + 1
    top = ", ".join(f"{h}x{w} x{n}" for (h, w), n in sorted(sizes.items(), key=lambda kv: -kv[1])[:5])
    print(f"{'local':14s} {ds.describe()}")
    print(f"{'folder':14s} {ds.root}")
    print(f"{'sizes (HxW)':14s} {len(sizes)} distinct: {top}{' ...' if len(sizes) > 5 else ''}")
    if ds.is_sample:
        print(f"{'note':14s} this is the BUNDLED SAMPLE, not the full dataset")
    for name, reason in {**ds.problems, **unreadable}.items():
        print(f"{'problem':14s} {name}: {reason}")
    return 0


def run_fetch(args):
    import os
    from pathlib import Path

    from fusionbench.datasets.fetch import fetch_dataset
    from fusionbench.datasets.resolve import ENV_ROOT, fetched_root
    from fusionbench.errors import InputError
    root = args.data_root or os.environ.get(ENV_ROOT) or fetched_root()
    if len(args.name) > 1 and (args.url or args.sha256):
        raise InputError("--url/--sha256", "apply to one dataset; fetch the others separately")
    for name in args.name:
        info = fetch_dataset(name, Path(root), url=args.url, sha256=args.sha256,
                             progress=not args.no_progress, allow_unverified=args.allow_unverified)
        if not info["verified"]:
            print(f"warning: {name}: nothing verified this download; sha256 = {info['sha256']} "
                  "(pass --sha256 to verify)", file=sys.stderr)
        checked = f", {info['manifest_files']} files match the sha256 manifest" if info["manifest_files"] else ""
        placed = (f"placed {info['placed']} of the archive's {len(info['files'])} files" if "placed" in info
                  else f"extracted {len(info['files'])} files")
        print(f"{name}: {placed} into {info['target']} (archive sha256 {info['sha256']}{checked})")
    return 0
