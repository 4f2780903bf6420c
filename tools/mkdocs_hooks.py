"""MkDocs hook: pages generated from the code at build time (nothing generated is committed).

* ``reference/metric-cards.md``: every registered metric card (``fusionbench.metrics.CARDS``);
* ``reference/profiles.md``: every profile, its default table, native metrics and option values;
* ``reference/cli.md``: the help of every ``fusionbench`` command, from the argparse parser;
* ``reference/backend-budgets.md``: each metric's fast backends and their agreement budgets
  (``fusionbench.metrics.REGISTRY[name].fast``);
* ``networks/<card>.md``: the model cards in ``fusionbench/methods/networks/weights/`` with their
  montages, and ``networks/index.md`` listing them.

Used by ``mkdocs.yml`` (``hooks:``); the ``page_*`` functions are plain and tested on their own.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WEIGHTS = REPO / "fusionbench" / "methods" / "networks" / "weights"


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def page_metric_cards() -> str:
    from fusionbench.metrics import CARDS, PROFILES

    lines = ["# Metric cards", "",
             "Generated from `fusionbench.metrics.CARDS` when the site is built (also: `fusionbench metrics`).",
             "↑ higher is better, ↓ lower is better. *Native in* lists the profiles whose toolbox defines "
             "the metric; elsewhere it is computed with fusionbench's definition under that profile's input "
             "pipeline and marked non-native in the result.", "",
             "| metric | name | better | range | unit | sources | native in |", "|---|---|---|---|---|---|---|"]
    for name, card in CARDS.items():
        native = ", ".join(p for p, prof in PROFILES.items() if name in prof.native) or "–"
        lo, hi = card.range
        lines.append(f"| [{name}](#{name.lower()}) | {_cell(card.long_name)} | {card.arrow} | "
                     f"[{lo:g}, {hi:g}] | {_cell(card.unit)} | {card.sources} | {native} |")
    for name, card in CARDS.items():
        lines += ["", f"## {name}", "", f"**{_cell(card.long_name)}**, {card.arrow} "
                  f"({'higher' if card.higher_is_better else 'lower'} is better), unit: {card.unit}.", "",
                  f"- Reference: {card.reference}",
                  f"- Options that change it: {', '.join(f'`{p}`' for p in card.parameters) or 'none'}",
                  f"- Source images used: {card.sources} (0 = the fused image alone)"]
        if getattr(card, "checked", ""):
            lines.append(f"- Checked against: {card.checked}")
        if card.notes:
            lines.append(f"- Notes: {card.notes}")
    return "\n".join(lines) + "\n"


def page_profiles() -> str:
    from fusionbench.metrics import PROFILES

    lines = ["# Profiles", "",
             "Generated from `fusionbench.metrics.PROFILES` when the site is built (also: "
             "`fusionbench metrics --profile NAME`). Every option can be overridden per call "
             "(`--option KEY=VALUE`, or keyword arguments of `fusionbench.compute`); the result is then "
             "labelled `PROFILE+overrides` and records the options that made it.", ""]
    for name, prof in PROFILES.items():
        lines += [f"## {name}", "", f"{_cell(prof.description)}.", "",
                  f"- Reproduces: {_cell(prof.reproduces)}",
                  f"- Default table: {', '.join(prof.table)}",
                  f"- Native metrics (defined by the toolbox): {', '.join(sorted(prof.native))}", "",
                  "| option | value |", "|---|---|"]
        lines += [f"| `{k}` | `{_cell(v)}` |" for k, v in prof.options.items()]
        lines.append("")
    return "\n".join(lines)


def page_backend_budgets() -> str:
    from fusionbench.metrics.registry import FAST_BACKENDS, REGISTRY

    lines = ["# Backend agreement budgets", "",
             "Generated from `fusionbench.metrics.REGISTRY` when the site is built: the largest relative "
             "difference from the float64 NumPy reference kernel each fast backend may have for each metric "
             "(`REGISTRY[name].fast`), checked by `tests/test_backends_parity.py`. – : the backend has no "
             "kernel for the metric and computes it with the reference kernel (same numbers, with a "
             "`ReferenceFallbackWarning`). See [Backends and speed](../backends.md).", "",
             "| metric | " + " | ".join(f"`{b}`" for b in FAST_BACKENDS) + " |",
             "|---|" + "---:|" * len(FAST_BACKENDS)]
    for name, entry in REGISTRY.items():
        cells = [f"{entry.fast[b]:.0e}" if b in entry.fast else "–" for b in FAST_BACKENDS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _subparsers(parser):
    for action in parser._actions:  # argparse keeps no public list of sub-commands
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def page_cli() -> str:
    from fusionbench.cli import build_parser

    os.environ["COLUMNS"] = "100"  # stable line wrapping of the help texts
    parser = build_parser()
    lines = ["# Command-line reference", "",
             "Generated from the argparse parser of `fusionbench` when the site is built; "
             "`fusionbench COMMAND -h` prints the same.", "", "```text", parser.format_help().rstrip(), "```"]

    def walk(p, prefix, depth):
        for name, sub in _subparsers(p):
            lines.extend(["", f"{'#' * depth} `{prefix} {name}`", "", "```text", sub.format_help().rstrip(), "```"])
            walk(sub, f"{prefix} {name}", min(depth + 1, 4))

    walk(parser, "fusionbench", 2)
    return "\n".join(lines) + "\n"


def network_cards() -> list:
    """``(card .md, [images it links])`` for every model card in the weights folder."""
    out = []
    for md in sorted(WEIGHTS.glob("*.md")):
        links = re.findall(r"\]\(([^)/#]+\.png)\)", md.read_text(encoding="utf-8"))
        out.append((md, [WEIGHTS / name for name in dict.fromkeys(links) if (WEIGHTS / name).is_file()]))
    return out


def page_networks() -> str:
    from fusionbench.methods.networks import NETWORKS

    lines = ["# Reference networks", "",
             f"fusionbench implements {len(NETWORKS)} networks ({', '.join(NETWORKS)}) from their papers and "
             "trains them with its own training loop (`fusionbench train`). Their weights ship in "
             "`fusionbench/methods/networks/weights/`, each with a model card written by the runner "
             "(`fusionbench card make`) and re-checked by `fusionbench card verify`. The networks need "
             "PyTorch: `pip install \"ivif-fusionbench[networks]\"`.", "",
             "| card | weights |", "|---|---|"]
    for md, _ in network_cards():
        name = md.stem.replace("__", ":")
        lines.append(f"| [{name}]({md.stem}.md) | `{md.stem}.safetensors` |")
    lines += ["", "Use: `fusionbench fuse --method sspfusion --ir ir.png --vi vi.png --out fused.png`; "
              "ablations as `NAME:ABLATION` (e.g. `sspfusion:no_sfe`), other seeds as `NAME@seedN`."]
    return "\n".join(lines) + "\n"


def on_files(files, config, **kwargs):
    from mkdocs.structure.files import File

    generated = {"reference/metric-cards.md": page_metric_cards(), "reference/profiles.md": page_profiles(),
                 "reference/cli.md": page_cli(), "networks/index.md": page_networks(),
                 "reference/backend-budgets.md": page_backend_budgets()}
    for uri, text in generated.items():
        files.append(File.generated(config, uri, content=text))
    for md, images in network_cards():
        files.append(File.generated(config, f"networks/{md.name}", abs_src_path=str(md)))
        for img in images:
            files.append(File.generated(config, f"networks/{img.name}", abs_src_path=str(img)))
    return files
