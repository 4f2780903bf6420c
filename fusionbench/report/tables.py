"""Paper-style methods x metrics tables: Markdown, LaTeX (booktabs) and CSV.

Layout follows the usual IVIF comparison tables (e.g. SMFNet Table 1: one column group per test
set). Each column marks its best value in bold and the second best underlined, in the metric's
direction (``fusionbench.metrics.CARDS[m].higher_is_better``). Marks are decided on the values
*as printed* (rounded to the chosen precision) with dense ranking: every method tied for best is
bold, and "second" is the next distinct printed value.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fusionbench.errors import InputError
from fusionbench.report.results import (  # noqa: F401 (higher_is_better re-exported)
    as_long,
    check_selection,
    distinct_results,
    higher_is_better,
    select,
    summarise,
)
from fusionbench.report.significance import compare_to_best

BEST, SECOND = 1, 2


def rank_marks(values, *, higher: bool, decimals: int | None = None) -> list:
    """Mark best (1) and second best (2) entries of one column; 0 otherwise.

    Parameters
    ----------
    values : sequence of float
        Column values (NaN never gets a mark).
    higher : bool
        True when larger is better.
    decimals : int, optional
        Compare the values rounded to this many decimals (the printed values), so ties on
        paper are ties here. All tied entries get the same mark (dense ranking).
    """
    v = np.asarray(values, dtype=float)
    r = np.round(v, decimals) if decimals is not None else v.copy()
    finite = np.isfinite(r)
    distinct = np.unique(r[finite])
    if not higher:
        order = distinct
    else:
        order = distinct[::-1]
    marks = [0] * len(v)
    for rank, level in enumerate(order[:2], start=1):
        for i in np.flatnonzero(finite & (r == level)):
            marks[i] = rank
    return marks


@dataclass
class Cell:
    mean: float
    std: float = math.nan
    n: int = 0
    mark: int = 0
    tied_with_best: bool = False  # not significantly different from the best (significance)
    incomplete: bool = False  # mean over fewer images than the column's other methods (n shown)


@dataclass
class Table:
    """A rendered-agnostic table model: ``groups`` of (label, metrics), ``rows`` of methods."""

    groups: list
    rows: list
    cells: dict  # (method, group label, metric) -> Cell
    precision: dict
    higher: dict
    std: bool = False
    n: bool = False
    alpha: float | None = None
    notes: list = field(default_factory=list)

    def cell(self, method, group, metric):
        return self.cells.get((method, group, metric))


def _group_keys(summary, datasets, profile):
    pairs = list(dict.fromkeys(zip(summary["dataset"], summary["profile"])))
    if datasets is not None:
        pairs = [p for d in datasets for p in pairs if p[0] == d]
    multi_profile = len({p for _, p in pairs}) > 1
    return [(d, p, f"{d} ({p})" if multi_profile and p else d) for d, p in pairs]


def build_table(results, *, metrics=None, datasets=None, methods=None, profile=None,
                precision=4, directions=None, std=False, n=False, alpha=None,
                n_boot=0, labels=None, latest=False) -> Table:
    """Summarise long-format results into a :class:`Table`.

    Parameters
    ----------
    results : DataFrame or path
        Per-image results in long format (see :mod:`fusionbench.report.results`). A frame of
        means (one row per method and metric) works too; std and significance then need
        per-image rows.
    metrics, datasets, methods : sequence of str, optional
        Columns, column groups and rows, in the order given (default: order of appearance).
    profile : str, optional
        Keep only this profile. With several profiles, each (dataset, profile) is a group.
    precision : int or dict
        Decimals printed, for all metrics or per metric (missing metrics: 4).
    directions : dict, optional
        metric -> higher_is_better, overriding the metric cards.
    std, n : bool
        Print ``mean ± std`` and the number of images per group.
    alpha : float, optional
        Mark methods not significantly different from the column's best (paired Wilcoxon
        signed-rank test, Holm-corrected over the column's comparisons, p >= alpha) with a dagger.
    labels : dict, optional
        dataset -> printed group label.
    latest : bool
        Where one image holds several values (see :func:`fusionbench.report.results.distinct_results`),
        keep the most recently stored one instead of raising.

    Values that are not the same thing (other options, backend class, metric version) become
    separate groups; selectors absent from the results raise :class:`InputError` with a hint. A mean
    over a different set of images than the other methods of its column (missing images or NaN
    values) is marked ``‡`` with its own n.
    """
    src = "results" if isinstance(results, pd.DataFrame) else str(results)
    df = as_long(results)
    raw_profile = profile is not None and (df["profile"] == profile).any()
    if raw_profile:  # a stored label (e.g. cddfuse+overrides), maybe split into groups below
        df = select(df, profile=profile)
    df = distinct_results(df, latest=latest, name=src)
    if profile is not None and not raw_profile:
        check_selection(df, src, profile=profile)
        df = select(df, profile=profile)
    check_selection(df, src, dataset=datasets, method=methods, metric=metrics)
    df = select(df, metric=metrics, method=methods)
    if df.empty:
        raise InputError("results", "no rows left after selecting the requested "
                                    "metrics / methods / profile")
    summary = summarise(df)
    metrics = list(metrics) if metrics is not None else list(dict.fromkeys(summary["metric"]))
    rows = list(methods) if methods is not None else list(dict.fromkeys(summary["method"]))
    if isinstance(precision, int):
        prec = {m: precision for m in metrics}
    else:
        prec = {m: int(precision.get(m, 4)) for m in metrics}
    higher = {m: higher_is_better(m, directions) for m in metrics}
    groups, cells = [], {}
    for dataset, prof, label in _group_keys(summary, datasets, profile):
        if labels and dataset in labels:
            label = labels[dataset]
        sub = summary[(summary["dataset"] == dataset) & (summary["profile"] == prof)]
        present = [m for m in metrics if (sub["metric"] == m).any()]
        if not present:
            continue
        groups.append((label, present))
        for m in present:
            col = sub[sub["metric"] == m].set_index("method")
            means = [col["mean"].get(r, math.nan) for r in rows]
            marks = rank_marks(means, higher=higher[m], decimals=prec[m])
            sets = _image_sets(df, dataset, prof, m, rows)
            union = set().union(*sets.values()) if sets else set()
            for r, mean, mark in zip(rows, means, marks):
                if r in col.index:
                    cells[(r, label, m)] = Cell(float(mean), float(col.at[r, "std"]),
                                                int(col.at[r, "n"]), mark,
                                                incomplete=sets.get(r, set()) != union)
            if alpha is not None:
                _mark_ties(df, dataset, prof, m, higher[m], alpha, rows, label, cells)
    return Table(groups, rows, cells, prec, higher, std=std, n=n, alpha=alpha)


def _image_sets(df, dataset, prof, metric, rows) -> dict:
    """method -> the images with a finite value of ``metric`` in one column group."""
    sub = df[(df["dataset"] == dataset) & (df["profile"] == prof) & (df["metric"] == metric)
             & df["method"].isin(rows) & np.isfinite(df["value"])]
    return {m: set(g) for m, g in sub.groupby("method", sort=False)["image"]}


def _mark_ties(df, dataset, prof, metric, higher, alpha, rows, label, cells):
    sub = df[(df["dataset"] == dataset) & (df["profile"] == prof) & (df["metric"] == metric)]
    sub = sub[sub["method"].isin(rows)]
    if sub["image"].nunique() < 2:
        return
    res = compare_to_best(sub, higher=higher, n_boot=0)
    for _, r in res.iterrows():
        c = cells.get((r["method"], label, metric))
        if c is not None and c.mark != BEST and not r["is_best"] and r["p_holm"] >= alpha:
            c.tied_with_best = True


# ---------------------------------------------------------------- formatting helpers

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}


def latex_escape(text) -> str:
    """Escape the LaTeX special characters of a plain-text name (e.g. ``RFN_Nest&co``)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def _markdown_escape(text) -> str:
    return str(text).replace("|", r"\|").replace("*", r"\*").replace("_", r"\_")


def _fmt(x, decimals):
    return "–" if x is None or not np.isfinite(x) else f"{x:.{decimals}f}"


def _n_text(table, method, label, metrics):
    ns = sorted({table.cells[(method, label, m)].n for m in metrics
                 if (method, label, m) in table.cells})
    if not ns:
        return "–"
    return str(ns[0]) if len(ns) == 1 else f"{ns[0]}–{ns[-1]}"


def _partial(cell) -> bool:
    return cell.incomplete and np.isfinite(cell.mean)


def _value_text(table, cell, metric, style):
    d = table.precision[metric]
    if cell is None:
        return "–"
    txt = _fmt(cell.mean, d)
    if style == "latex":
        if cell.mark == BEST:
            txt = rf"\textbf{{{txt}}}"
        elif cell.mark == SECOND:
            txt = rf"\underline{{{txt}}}"
        if cell.tied_with_best:
            txt += r"\textsuperscript{\dag}"
        if _partial(cell):
            txt += r"\textsuperscript{\ddag}"
        if table.std and np.isfinite(cell.std):
            txt += rf" {{\scriptsize$\pm${_fmt(cell.std, d)}}}"
        if _partial(cell):
            txt += rf" {{\scriptsize($n$={cell.n})}}"
    else:
        if cell.mark == BEST:
            txt = f"**{txt}**"
        elif cell.mark == SECOND:
            txt = f"<ins>{txt}</ins>"
        if cell.tied_with_best:
            txt += "†"
        if _partial(cell):
            txt += "‡"
        if table.std and np.isfinite(cell.std):
            txt += f" ± {_fmt(cell.std, d)}"
        if _partial(cell):
            txt += f" (n={cell.n})"
    return txt


def _legend(table, style):
    parts = []
    if style == "latex":
        parts.append(r"Best in bold, second best underlined; $\uparrow$/$\downarrow$: "
                     r"higher/lower is better.")
        if table.alpha is not None:
            parts.append(rf"\dag: not significantly different from the best "
                         rf"(paired Wilcoxon signed-rank test vs the best, Holm-corrected, "
                         rf"$p_{{\mathrm{{Holm}}}} \geq {table.alpha:g}$).")
    else:
        parts.append("Best in **bold**, second best <ins>underlined</ins>; ↑/↓: higher/lower "
                     "is better.")
        if table.alpha is not None:
            parts.append(f"†: not significantly different from the best (paired Wilcoxon "
                         f"signed-rank test vs the best, Holm-corrected, p ≥ {table.alpha:g}).")
    if any(_partial(c) for c in table.cells.values()):
        parts.append(r"\ddag: mean over only $n$ of the column's images (missing or NaN values), not directly "
                     r"comparable." if style == "latex" else
                     "‡: mean over only n of the column's images (missing or NaN values), not directly comparable.")
    if table.std:
        parts.append("Values are mean ± standard deviation over images.")
    return " ".join(parts)


# ---------------------------------------------------------------- renderers

def to_markdown(table: Table, *, legend=True) -> str:
    """GitHub-flavoured Markdown; column groups are prefixed to the headers."""
    multi = len(table.groups) > 1
    header, align = ["Method"], [":--"]
    for label, metrics in table.groups:
        for m in metrics:
            name = f"{m} {'↑' if table.higher[m] else '↓'}"
            header.append(f"{_markdown_escape(label)} · {name}" if multi else name)
            align.append("--:")
        if table.n:
            header.append(f"{_markdown_escape(label)} · n" if multi else "n")
            align.append("--:")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    for r in table.rows:
        row = [_markdown_escape(r)]
        for label, metrics in table.groups:
            row += [_value_text(table, table.cell(r, label, m), m, "md") for m in metrics]
            if table.n:
                row.append(_n_text(table, r, label, metrics))
        lines.append("| " + " | ".join(row) + " |")
    out = "\n".join(lines) + "\n"
    if legend:
        out += "\n" + _legend(table, "md") + "\n"
    return out


def to_latex(table: Table, *, caption=None, label=None, legend=True) -> str:
    """A booktabs ``tabular`` (wrapped in ``table`` when a caption or label is given).

    Needs ``\\usepackage{booktabs}`` in the preamble. Method and dataset names are escaped.
    """
    ncols = [len(ms) + (1 if table.n else 0) for _, ms in table.groups]
    spec = "l" + "".join(" " + "r" * k for k in ncols)
    lines = [rf"\begin{{tabular}}{{{spec}}}", r"\toprule"]
    if len(table.groups) > 1:
        heads, rules, col = [""], [], 2
        for (g, _), k in zip(table.groups, ncols):
            heads.append(rf"\multicolumn{{{k}}}{{c}}{{{latex_escape(g)}}}")
            rules.append(rf"\cmidrule(lr){{{col}-{col + k - 1}}}")
            col += k
        lines.append(" & ".join(heads) + r" \\")
        lines.append(" ".join(rules))
    head = ["Method"]
    for _, metrics in table.groups:
        head += [latex_escape(m) + (r"$\uparrow$" if table.higher[m] else r"$\downarrow$")
                 for m in metrics]
        if table.n:
            head.append(r"$n$")
    lines += [" & ".join(head) + r" \\", r"\midrule"]
    for r in table.rows:
        row = [latex_escape(r)]
        for g, metrics in table.groups:
            row += [_value_text(table, table.cell(r, g, m), m, "latex") for m in metrics]
            if table.n:
                row.append(_n_text(table, r, g, metrics).replace("–", "--"))
        lines.append(" & ".join(row).replace("–", "--") + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    body = "\n".join(lines) + "\n"
    if caption is None and label is None:
        if legend:
            body = "% " + _legend(table, "latex") + "\n" + body
        return body
    cap = latex_escape(caption or "")
    if legend:
        cap = (cap + " " if cap else "") + _legend(table, "latex")
    out = [r"\begin{table}[t]", r"\centering", rf"\caption{{{cap}}}"]
    if label:
        out.append(rf"\label{{{label}}}")
    return "\n".join(out) + "\n" + body + r"\end{table}" + "\n"


def to_frame(table: Table) -> pd.DataFrame:
    """Wide DataFrame: one row per method, columns ``<group>/<metric>`` (+ ``_std``, ``_n``)."""
    records = []
    partial = any(_partial(c) for c in table.cells.values())  # then n is part of every value
    for r in table.rows:
        rec = {"method": r}
        for g, metrics in table.groups:
            for m in metrics:
                c = table.cell(r, g, m)
                key = f"{g}/{m}" if len(table.groups) > 1 else m
                rec[key] = round(c.mean, table.precision[m]) if c else math.nan
                if table.std:
                    rec[key + "_std"] = round(c.std, table.precision[m]) if c else math.nan
                if table.n or partial:
                    rec[key + "_n"] = c.n if c else 0
                if table.alpha is not None:
                    rec[key + "_tied_with_best"] = bool(c and c.tied_with_best)
        records.append(rec)
    return pd.DataFrame.from_records(records)


def to_csv(table: Table) -> str:
    buf = io.StringIO()
    to_frame(table).to_csv(buf, index=False)
    return buf.getvalue()


FORMATS = {"markdown": to_markdown, "md": to_markdown, "latex": to_latex, "tex": to_latex,
           "csv": to_csv}


def render_table(results, *, fmt="markdown", caption=None, label=None, legend=True,
                 **options) -> str:
    """Build and render a table in one call; ``options`` go to :func:`build_table`."""
    if fmt not in FORMATS:
        raise InputError("format", f"{fmt!r} not in {sorted(set(FORMATS))}")
    table = build_table(results, **options)
    if fmt in ("latex", "tex"):
        return to_latex(table, caption=caption, label=label, legend=legend)
    if fmt == "csv":
        return to_csv(table)
    return to_markdown(table, legend=legend)
