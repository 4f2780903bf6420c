"""Render the README's parity table from the claimed tolerances and the errors the parity tests achieved.

The claims are ``tests/parity_claims.py`` (what the tests assert); the achieved errors are the JSON the
parity tests record (``build/parity.json`` after ``pytest tests/test_metrics_parity.py
tests/test_metrics_mefb.py``), committed as ``docs/parity.json``. The table goes into README.md between
``<!-- parity:begin -->`` and ``<!-- parity:end -->``; ``tests/test_parity_table.py`` fails when the
README differs from what this script renders from ``docs/parity.json``.

Usage::

    python tools/parity_table.py                          # README from docs/parity.json
    python tools/parity_table.py --from build/parity.json # copy a full run's record to docs/, then README
    python tools/parity_table.py --check                  # exit 1 when the README is not up to date
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from parity_claims import SECTIONS, check, portable  # noqa: E402

README = REPO / "README.md"
ACHIEVED = REPO / "docs" / "parity.json"
BEGIN, END = "<!-- parity:begin -->", "<!-- parity:end -->"
# the same table for a run on datasets fetched by `fusionbench datasets fetch`, without ../shared
FETCHED, PARITY_MD = REPO / "docs" / "parity_fetched.json", REPO / "docs" / "parity.md"
FETCHED_BEGIN, FETCHED_END = "<!-- parity-fetched:begin -->", "<!-- parity-fetched:end -->"
ORDER = ("EN", "SD", "SF", "AG", "MI", "CC", "SCD", "VIF", "Qabf", "SSIM", "SSIM_dr255", "MSE", "PSNR", "RMSE",
         "CE", "EI", "Qcb", "Qcv", "VIFF", "NMI", "Q_TE", "Q_NCIE", "Qy", "Qc", "Qw", "Qp", "MEF_SSIM")


def _num(x: float) -> str:
    return "0" if x == 0 else f"{x:.1e}"


def _tol(x: float) -> str:
    return f"{x:g}"


def _cell(kind: str, tol: float, got: dict | None) -> str:
    if got is None:
        return "**no achieved figure**"
    if kind == "digits":
        value = got.get("max_units")  # shown rounded down: 0.49998 is 0.499, not 0.50
        text = f"{math.floor((value if value is not None else math.nan) * 1000) / 1000:.3f} u (≤ {_tol(tol)} u)" \
            if value is not None else "?"
    else:
        value = got.get("max_rel" if kind == "rel" else "max_abs")
        text = (f"{_num(value)}{' abs' if kind == 'abs' else ''} "
                f"({'exact' if tol == 0 else '≤ ' + _tol(tol)})")
    if value is None or not value <= tol:
        return f"**{_num(value) if value is not None else '?'}: claim {_tol(tol)} not met**"
    if got.get("nan_matched"):
        text += f"; {got['nan_matched']} NaN matched"
    return text


def render(achieved: dict) -> str:
    """The markdown block (table, legend, notes) for the recorded ``achieved`` errors. A section of
    claims without a record is named below the table, never shown as met."""
    cols = [sec for sec in SECTIONS if sec in achieved]
    missing = [sec for sec in SECTIONS if sec not in achieved]
    head = []
    for sec in cols:
        n = sum(m.get("n", 0) + m.get("nan_matched", 0)
                for m in achieved.get(sec, {}).get("metrics", {}).values())
        head.append(f"{SECTIONS[sec]['title']} ({n:,} values)")
    metrics = [m for m in ORDER if any(m in SECTIONS[s]["claims"] for s in cols)]
    metrics += sorted({m for s in cols for m in SECTIONS[s]["claims"]} - set(metrics))
    lines = ["| metric | " + " | ".join(head) + " |", "|---" * (len(cols) + 1) + "|"]
    for m in metrics:
        cells = []
        for sec in cols:
            if m not in SECTIONS[sec]["claims"]:
                cells.append("–")
                continue
            kind, tol = SECTIONS[sec]["claims"][m]
            cells.append(_cell(kind, tol, achieved.get(sec, {}).get("metrics", {}).get(m)))
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines += ["", "Each cell: the worst error achieved over the values compared, then (≤ …) the tolerance the test "
                  "asserts (relative unless marked abs; `u`: units of the toolbox's last printed digit). What is "
                  "compared:"]
    for sec in cols:
        rec = achieved.get(sec, {})
        note = f" {rec['note']}." if rec.get("note") else ""
        lines.append(f"- {SECTIONS[sec]['title']}: {SECTIONS[sec]['against']}.{note}")
    if missing:
        lines.append("- Not in this record (asserted by their tests, no achieved figure committed yet): "
                     + "; ".join(f"{SECTIONS[sec]['title']} ({SECTIONS[sec]['against']})" for sec in missing)
                     + ". Record them with `FUSIONBENCH_TEST_WORKERS=1 python -m pytest -q tests/test_metrics_parity.py "
                       "tests/test_metrics_mefb.py` and `python tools/parity_table.py --from build/parity.json`.")
    bad = [b for sec in cols for b in check(sec, achieved.get(sec, {}).get("metrics", {}))]
    if bad:
        lines.append(f"- **Claims not met: {'; '.join(bad)}**")
    return "\n".join(lines)


def replace_block(text: str, block: str, begin: str = BEGIN, end: str = END) -> str:
    """``text`` with what lies between the markers replaced by ``block``."""
    if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
        raise SystemExit(f"expected one {begin} ... {end} pair")
    start, stop = text.index(begin) + len(begin), text.index(end)
    return text[:start] + "\n" + block + "\n" + text[stop:]


def current_block(text: str, begin: str = BEGIN, end: str = END) -> str:
    return text[text.index(begin) + len(begin):text.index(end)].strip("\n")


def _fetched_data(data: str) -> str:
    """``/any/where/tno42`` -> ``fetched/tno42`` (the dataset folder written by ``datasets fetch``)."""
    return data if " of " in data or not data.startswith("/") else "fetched/" + Path(data).name


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="source", help="a parity record to copy to docs/parity.json first")
    ap.add_argument("--fetched", help="a parity record of a run on fetched data (no ../shared) to copy to "
                                      "docs/parity_fetched.json; rendered into docs/parity.md")
    ap.add_argument("--check", action="store_true", help="exit 1 when README.md is not what would be written")
    args = ap.parse_args(argv)
    if args.fetched:
        doc = json.loads(Path(args.fetched).read_text())
        for rec in doc.values():
            rec["data"] = _fetched_data(rec.get("data", ""))
        FETCHED.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    if FETCHED.exists():
        text = PARITY_MD.read_text()
        new = replace_block(text, render(json.loads(FETCHED.read_text())), FETCHED_BEGIN, FETCHED_END)
        if args.check and new != text:
            print("docs/parity.md is not what tools/parity_table.py renders from docs/parity_fetched.json",
                  file=sys.stderr)
            return 1
        if not args.check:
            PARITY_MD.write_text(new)
    if args.source:
        doc = json.loads(Path(args.source).read_text())
        for rec in doc.values():
            rec["data"] = portable(rec.get("data", ""))
        ACHIEVED.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    achieved = json.loads(ACHIEVED.read_text())
    text = README.read_text()
    new = replace_block(text, render(achieved))
    if args.check:
        if new != text:
            print("README.md's parity table is not what tools/parity_table.py renders from docs/parity.json",
                  file=sys.stderr)
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
