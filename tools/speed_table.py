"""Render the metric speed tables from the benchmark record (``benchmarks/results/latest.json``).

The record is what ``benchmarks/bench_metrics.py`` writes (``results/latest.json``: date, machine, CPU
count, threads, clock, load average at start and end, and per image size and backend the median
milliseconds of each metric and of all ten, for a first and a second fused image of the same pair). The
tables go between ``<!-- speed:begin -->`` and ``<!-- speed:end -->`` in each file given (default:
``benchmarks/README.md`` and ``README.md``); ``<!-- speed:begin summary -->`` asks for the short table
(one row per size: naive SciPy, NumPy, Numba first and second method). A file without markers is
skipped with a message. ``tests/test_speed_table.py`` fails when a file with markers differs from what
this script renders from the committed ``latest.json``. A record that lacks a key the tables need is an
error (``KeyError`` naming it), never a blank cell.

Usage::

    python tools/speed_table.py                    # rewrite the blocks from benchmarks/results/latest.json
    python tools/speed_table.py --from FILE.json   # from another record
    python tools/speed_table.py --check            # exit 1 when a file is not what would be written
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LATEST = REPO / "benchmarks" / "results" / "latest.json"
FILES = (REPO / "benchmarks" / "README.md", REPO / "README.md")
BEGIN_RE = re.compile(r"<!-- speed:begin(?: (full|summary))? -->")
END = "<!-- speed:end -->"
# the Python reference evaluator's time per 480x640 pair that METRICS.md gives
REFERENCE_EVALUATOR_S = 1.8
NAMES = {"naive-scipy": "naive SciPy (baseline)", "numpy": "NumPy reference", "numba": "Numba",
         "torch": "torch fp64 ({device})", "torch-fp32": "torch fp32 ({device})"}
ALONE = ("VIF", "Qabf", "SSIM")  # the three expensive metrics, also shown alone


def need(record: dict, *keys):
    """``record[k1][k2]...``, or a ``KeyError`` that names the missing key and where it was expected."""
    cur, path = record, "latest.json"
    for k in keys:
        if not isinstance(cur, dict) or k not in cur:
            raise KeyError(f"{path} has no {k!r} (written by benchmarks/bench_metrics.py)")
        cur, path = cur[k], f"{path}[{k!r}]"
    return cur


def ms(x: float) -> str:
    """Milliseconds as the tables print them: 1225, 30.4, 6.41."""
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _size(record, size) -> str:
    h, w = need(record, "sizes", size, "shape")
    return f"{h}×{w}"


def provenance(record: dict) -> str:
    """One sentence: when, where, under what load and with which command the figures were measured."""
    start, end = need(record, "loadavg_start"), need(record, "loadavg_end")
    numba = need(record, "numba_threads")
    commands = record.get("commands") or [need(record, "command")]
    return (f"Measured {need(record, 'date')} on `{need(record, 'machine')}` "
            f"({need(record, 'cpu_count')} CPUs), {need(record, 'threads')} thread(s)"
            f" (`NUMBA_NUM_THREADS={numba}`), clock {need(record, 'clock')}; load average (1 min) "
            f"{start[0]:.2f} at the start, {end[0]:.2f} at the end; "
            + ", ".join(f"`{c.strip()}`" for c in commands) + "; record: `benchmarks/results/latest.json`.")


def render_full(record: dict) -> str:
    """Median ms per size and backend (first method, second method, the expensive metrics alone), then the
    speed-ups, fresh-process start and torch batch throughput the record holds."""
    sizes = list(need(record, "sizes"))
    if not sizes:
        raise KeyError("latest.json has no size in 'sizes'")
    device = record.get("device", "CPU")  # bench_metrics.py records it since 2026-12; it defaulted to cpu
    backends = list(need(record, "sizes", sizes[0], "backends"))
    head = [NAMES.get(b, b).format(device=device.upper() if device == "cpu" else device) for b in backends]
    metrics = need(record, "metrics")
    lines = [f"Median ms, all {len(metrics)} metrics, `{need(record, 'profile')}` (fastest of each row in bold). "
             + provenance(record), "",
             "| | " + " | ".join(head) + " |", "|---" * (len(head) + 1) + "|"]
    for size in sizes:
        res = {b: need(record, "sizes", size, "backends", b) for b in backends}
        label = _size(record, size)
        rows = [(f"{label}, first method", {b: need(r, "total_first_ms") for b, r in res.items()}),
                (f"{label}, second method (same pair)", {b: need(r, "total_second_ms") for b, r in res.items()})]
        rows += [(f"{label}, {m} alone", {b: need(r, "per_metric_ms", m) for b, r in res.items()})
                 for m in ALONE if m in metrics]
        for name, vals in rows:
            best = min(vals.values())
            cells = [f"**{ms(v)}**" if v == best else ms(v) for v in vals.values()]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append(f"| {label}, second / first | "
                     + " | ".join(f"{need(r, 'second_over_first'):.2f}" for r in res.values()) + " |")
    lines.append("")
    notes = []
    if "numba" in backends:
        for base in ("naive-scipy", "numpy"):
            if base in backends:
                notes.append(f"Numba over {NAMES[base].split(' (')[0]}: " + " / ".join(
                    f"{need(record, 'sizes', s, 'backends', 'numba', 'speedup_vs_' + base):.0f}× ({_size(record, s)})"
                    for s in sizes) + ".")
        first = [s for s in sizes if need(record, "sizes", s, "shape") == [480, 640]]
        if first:
            t = need(record, "sizes", first[0], "backends", "numba", "total_first_ms")
            notes.append(f"Against the {REFERENCE_EVALUATOR_S} s per 480×640 pair that `METRICS.md` gives for the "
                         f"Python reference evaluator: {1e3 * REFERENCE_EVALUATOR_S / t:.0f}×.")
    if "cold_start_numba" in record:
        c = record["cold_start_numba"]
        notes.append(f"Fresh process (import + first Numba score from cached kernels): "
                     f"{need(c, 'process_wall_s'):.2f} s wall ({need(c, 'import_and_first_score_s'):.2f} s "
                     "import + score).")
    for s in sizes:
        tp = record["sizes"][s].get("torch_pairs_per_s")
        if tp:
            notes.append(f"Torch batch throughput ({device}, {record['threads']} thread(s), {_size(record, s)}): "
                         + ", ".join(f"{v:.1f} pairs/s {k}" for k, v in tp.items()) + ".")
    return "\n".join(lines + [" ".join(notes)])


def render_summary(record: dict) -> str:
    """One row per size: naive SciPy, NumPy, Numba (speed-up over naive SciPy), Numba second method."""
    prov = provenance(record)
    lines = [f"All {len(need(record, 'metrics'))} `{need(record, 'profile')}` metrics, one pair, median; "
             + prov[0].lower() + prov[1:],
             "", "| pair | naive SciPy (as the reference evaluators) | NumPy reference | Numba | Numba, second method |",
             "|---|---|---|---|---|"]
    for size in need(record, "sizes"):
        b = need(record, "sizes", size, "backends")
        nb = need(b, "numba")
        lines.append(f"| {_size(record, size)} ({size.upper()}) | {ms(need(b, 'naive-scipy', 'total_first_ms'))} ms "
                     f"| {ms(need(b, 'numpy', 'total_first_ms'))} ms | {ms(need(nb, 'total_first_ms'))} ms "
                     f"({need(nb, 'speedup_vs_naive-scipy'):.0f}×) | {ms(need(nb, 'total_second_ms'))} ms "
                     f"({need(nb, 'second_over_first'):.2f}) |")
    return "\n".join(lines)


def render(record: dict, style: str = "full") -> str:
    return render_summary(record) if style == "summary" else render_full(record)


def blocks(text: str) -> list:
    """``(style, start, end)`` of each marked block (``start``/``end``: the text between the markers)."""
    out, pos = [], 0
    while (m := BEGIN_RE.search(text, pos)) is not None:
        end = text.find(END, m.end())
        nxt = BEGIN_RE.search(text, m.end())
        if end < 0 or (nxt is not None and nxt.start() < end):
            raise SystemExit(f"unbalanced {m.group(0)} ... {END} markers")
        out.append((m.group(1) or "full", m.end(), end))
        pos = end + len(END)
    if END in text[pos:]:
        raise SystemExit(f"{END} without a speed:begin marker")
    return out


def rewrite(text: str, record: dict) -> str:
    """``text`` with every marked block replaced by its rendering of ``record``."""
    for style, start, end in reversed(blocks(text)):
        text = text[:start] + "\n" + render(record, style) + "\n" + text[end:]
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path, help="files with speed markers (default: "
                                                        "benchmarks/README.md README.md)")
    ap.add_argument("--from", dest="source", type=Path, default=LATEST, help="benchmark record (default: "
                                                                             "benchmarks/results/latest.json)")
    ap.add_argument("--check", action="store_true", help="exit 1 when a file is not what would be written")
    args = ap.parse_args(argv)
    record = json.loads(args.source.read_text())
    rc = 0
    for path in args.files or FILES:
        text = path.read_text()
        if not blocks(text):
            print(f"{path}: no <!-- speed:begin --> ... {END} markers; skipped", file=sys.stderr)
            continue
        new = rewrite(text, record)
        if args.check:
            if new != text:
                print(f"{path}: the speed table is not what tools/speed_table.py renders from {args.source}",
                      file=sys.stderr)
                rc = 1
        elif new != text:
            path.write_text(new)
            print(f"{path}: speed table rewritten")
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
