"""Render the README's network status table from the bundled model cards' JSON sidecars.

Every figure comes from ``fusionbench/methods/networks/weights/<stem>.json``, written by ``fusionbench
train --evaluate`` / ``fusionbench card make`` (the runner of ``fusionbench evaluate``, all 42 TNO-42
pairs, profile ``cddfuse``) and checkable with ``fusionbench card verify NAME``. The table goes into
README.md between ``<!-- networks:begin -->`` and ``<!-- networks:end -->``; ``tests/test_network_table.py``
fails when the README differs from this rendering.

Usage::

    python tools/network_table.py           # rewrite the README's table
    python tools/network_table.py --check   # exit 1 when the README is not up to date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
WEIGHTS = REPO / "fusionbench" / "methods" / "networks" / "weights"
BEGIN, END = "<!-- networks:begin -->", "<!-- networks:end -->"
NETWORKS = {"s2fnet": "S2F-Net", "sspfusion": "SSPFusion", "smfnet": "SMFNet", "msfe": "MSFE"}
METRICS = ("EN", "SD", "SF", "AG", "MI", "CC", "SCD", "VIF", "Qabf", "SSIM")


def _meta(stem: str) -> dict | None:
    path = WEIGHTS / f"{stem}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _ablations(net: str) -> tuple:
    """(trained rows, all rows) of the network's ablation switches."""
    from fusionbench.train.loop import get_recipe
    rows = list(get_recipe(net).ablations)
    return [a for a in rows if (WEIGHTS / f"{net}__{a}.json").exists()], rows


def _beats(meta: dict) -> str:
    won = [m for m in METRICS if m in meta["beats_average"]]
    return f"{len(won)} ({', '.join(won)})"


def render() -> str:
    lines = ["| network (small config) | training steps | wall time, 2 threads (mean load) "
             "| better than `average` on TNO-42 (of 10) | same, seeds 1 and 2 | ablation rows trained | card |",
             "|---|---|---|---|---|---|---|"]
    for net, title in NETWORKS.items():
        meta = _meta(net)
        seeds = [_meta(f"{net}@seed{s}") for s in (1, 2)]
        seed_text = ", ".join(str(len(m["beats_average"])) for m in seeds if m) or "not trained"
        trained, rows = _ablations(net)
        lines.append(f"| {title} | {meta['steps']:,} | {meta['wall_s']:.0f} s (load "
                     f"{meta['load_average']['mean']}) | {_beats(meta)} | {seed_text} | "
                     f"{len(trained)} of {len(rows)} | `weights/{net}.md` |")
    return "\n".join(lines) + "\n"


def current_block(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN) + 1, text.index(END)
    return text[start:end]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when README.md is not up to date")
    args = parser.parse_args(argv)
    text = README.read_text()
    block = render()
    if args.check:
        if current_block(text) != block:
            print("README.md's network table is stale: run python tools/network_table.py", file=sys.stderr)
            return 1
        return 0
    start, end = text.index(BEGIN) + len(BEGIN) + 1, text.index(END)
    README.write_text(text[:start] + block + text[end:])
    print(f"README.md: network table rendered ({len(NETWORKS)} networks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
