"""`fusionbench score`: score one (fused, ir, vi) triple of image files."""

from __future__ import annotations

import json

from tabulate import tabulate

from fusionbench.cli.common import parse_options
from fusionbench.metrics import CARDS
from fusionbench.scoring import compute


def register(sub):
    p = sub.add_parser("score", help="score one fused image against its IR and visible sources")
    p.add_argument("--fused", required=True, help="fused image file")
    p.add_argument("--ir", required=True, help="infrared source image file")
    p.add_argument("--vi", required=True, help="visible source image file")
    p.add_argument("--profile", default="cddfuse", help="metric profile (default: cddfuse)")
    p.add_argument("--metrics", help="comma-separated metric names (default: the profile's table)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="override a metric option, e.g. ssim_data_range=255 (repeatable)")
    p.add_argument("--backend", default="auto", help="auto (default: torch on CUDA, else numba) | numpy | numba | torch | torch-fp32")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=run)




def run(args) -> int:
    result = compute(args.fused, args.ir, args.vi, metrics=args.metrics, profile=args.profile,
                     backend=args.backend, names=(args.fused, args.ir, args.vi),
                     **parse_options(args.option))
    if args.format == "json":
        from fusionbench.store.export import json_safe
        print(json.dumps(json_safe({"values": dict(result.items()), **result.metadata()}), indent=2, default=str,
                         allow_nan=False))
    elif args.format == "csv":
        print("metric,value")
        for k, v in result.items():
            print(f"{k},{v!r}")
    else:
        rows = [(k, CARDS[k].arrow, f"{v:.4f}", "" if result.native[k] else "(not native)")
                for k, v in result.items()]
        print(tabulate(rows, headers=["metric", "↑↓", "value", "note"], disable_numparse=True))
        print(f"profile: {result.profile}" + (f"  overrides: {result.overrides}" if result.overrides else ""))
    return 0
