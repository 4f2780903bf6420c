"""Figures (matplotlib, Agg backend): radar charts, ablation heat-maps, per-image box plots.

Every function returns the matplotlib Figure and, given ``path``, saves it (the suffix picks
PNG, PDF or SVG).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from fusionbench.errors import InputError
from fusionbench.report.results import as_long, select, summarise
from fusionbench.report.tables import higher_is_better

_FORMATS = (".png", ".pdf", ".svg")


def _plt():
    import matplotlib
    if matplotlib.get_backend().lower() != "agg":
        matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path, dpi=150):
    if path is None:
        return fig
    p = Path(path)
    if p.suffix.lower() not in _FORMATS:
        raise InputError(str(path), f"figure format must be one of {', '.join(_FORMATS)}")
    p.parent.mkdir(parents=True, exist_ok=True)
    # fixed metadata keeps committed PNG/SVG/PDF files byte-stable between runs
    meta = {"Software": None} if p.suffix.lower() == ".png" else {"Date": None, "Creator": None}
    if p.suffix.lower() == ".svg":
        meta = {"Date": None, "Creator": None}
        import matplotlib
        matplotlib.rcParams["svg.hashsalt"] = "fusionbench"
    fig.savefig(p, dpi=dpi, bbox_inches="tight", metadata=meta)
    return fig


def scaled_scores(means, *, directions=None, floor=0.1):
    """Scale a methods x metrics table of means per column to [floor, 1], 1 = best.

    Each axis is min-max scaled across the methods shown, reversed for lower-is-better metrics;
    a column with one distinct value maps to 1.
    """
    out = means.copy().astype(float)
    for m in out.columns:
        v = out[m].to_numpy(dtype=float)
        lo, hi = np.nanmin(v), np.nanmax(v)
        s = np.ones_like(v) if not np.isfinite(hi - lo) or hi == lo else (v - lo) / (hi - lo)
        if not higher_is_better(m, directions):
            s = 1.0 - s if hi != lo else s
        out[m] = floor + (1.0 - floor) * s
    return out


def mean_rank(means, *, directions=None):
    """Average direction-aware rank of each method over the metrics (1 = best)."""
    ranks = [means[m].rank(ascending=not higher_is_better(m, directions)) for m in means.columns]
    return sum(ranks) / len(ranks)


def _means(results, dataset, profile, metrics, methods):
    df = select(as_long(results), dataset=dataset, profile=profile, metric=metrics, method=methods)
    if df.empty:
        raise InputError("results", f"no rows for dataset={dataset!r} profile={profile!r}")
    s = summarise(df)
    if s["dataset"].nunique() > 1 or s["profile"].nunique() > 1:
        raise InputError("results", "several datasets or profiles; pass dataset= and profile=")
    means = s.pivot_table(index="method", columns="metric", values="mean", sort=False)
    if metrics is not None:
        means = means[[m for m in metrics if m in means.columns]]
    if methods is not None:
        means = means.reindex([m for m in methods if m in means.index])
    return means


def radar(results, *, dataset=None, profile=None, metrics=None, methods=None, top=None,
          directions=None, title=None, path=None, figsize=(7, 7)):
    """Radar chart of methods over metrics for one dataset (and profile).

    Each axis is scaled across the plotted methods (outer ring = best, direction-aware); the
    axis label shows the metric, its arrow and the raw range. ``top`` keeps the ``top`` methods
    of best mean rank.
    """
    plt = _plt()
    means = _means(results, dataset, profile, metrics, methods)
    if top is not None and len(means) > top:
        keep = mean_rank(means, directions=directions).nsmallest(top).index
        means = means.loc[[m for m in means.index if m in keep]]
    if means.shape[1] < 3:
        raise InputError("radar", "needs at least three metrics")
    scores = scaled_scores(means, directions=directions)
    k = means.shape[1]
    angles = np.linspace(0, 2 * math.pi, k, endpoint=False).tolist()
    fig, ax = plt.subplots(figsize=figsize, subplot_kw={"polar": True})
    cmap = plt.get_cmap("tab10" if len(scores) <= 10 else "tab20")
    for i, (method, row) in enumerate(scores.iterrows()):
        vals = row.to_list()
        ax.plot(angles + angles[:1], vals + vals[:1], color=cmap(i % cmap.N), lw=1.6,
                label=str(method))
        ax.fill(angles + angles[:1], vals + vals[:1], color=cmap(i % cmap.N), alpha=0.06)
    labels = []
    for m in means.columns:
        arrow = "↑" if higher_is_better(m, directions) else "↓"
        lo, hi = np.nanmin(means[m]), np.nanmax(means[m])
        labels.append(f"{m} {arrow}\n[{lo:.3g}, {hi:.3g}]")
    ax.set_xticks(angles)
    ax.set_xticklabels(labels, fontsize=9)
    ax.tick_params(axis="x", pad=14)
    ax.set_ylim(0, 1.05)
    ax.set_yticks([0.25, 0.5, 0.75, 1.0])
    ax.set_yticklabels([])
    ax.legend(loc="upper left", bbox_to_anchor=(1.08, 1.0), fontsize=8, frameon=False)
    ds = dataset or str(as_long(results)["dataset"].iloc[0])
    ax.set_title(title or f"{ds}: methods over metrics (each axis scaled, outer = better)",
                 fontsize=10, pad=18)
    _save(fig, path)
    return fig


def box(results, *, dataset=None, profile=None, metrics=None, methods=None, directions=None,
        title=None, path=None, ncols=4):
    """Per-image box plots: one panel per metric, one box per method."""
    plt = _plt()
    df = select(as_long(results), dataset=dataset, profile=profile, metric=metrics, method=methods)
    if df.empty:
        raise InputError("results", "no rows to plot")
    metrics = list(metrics) if metrics else list(dict.fromkeys(df["metric"]))
    methods = list(methods) if methods else list(dict.fromkeys(df["method"]))
    ncols = min(ncols, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    width = max(3.0, 0.35 * len(methods) + 1.0)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, 3.4 * nrows), squeeze=False)
    for ax, m in zip(axes.flat, metrics):
        sub = df[df["metric"] == m]
        data = [sub.loc[sub["method"] == meth, "value"].dropna().to_numpy() for meth in methods]
        ax.boxplot(data, showmeans=True, meanprops={"marker": "^", "markersize": 4},
                   flierprops={"markersize": 2})
        ax.set_xticks(range(1, len(methods) + 1))
        ax.set_xticklabels(methods, rotation=60, ha="right", fontsize=7)
        ax.set_title(f"{m} {'↑' if higher_is_better(m, directions) else '↓'}", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    fig.suptitle(title or "Per-image values (box: quartiles, line: median, ▲: mean)", fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    return fig


def ablation_heatmap(results, *, network=None, variants=None, metrics=None, switches=None,
                     directions=None, title=None, path=None, precision=4):
    """Ablation grid as a figure: ✓/✗ module columns, then a heat-map of the metric means.

    Colours are the per-column scaled scores (1 = best variant, direction-aware); cells show the
    raw means.
    """
    from fusionbench.report.ablation import ablation_frame
    plt = _plt()
    sw, means = ablation_frame(results, network=network, variants=variants, metrics=metrics,
                               switches=switches)
    scores = scaled_scores(means, directions=directions, floor=0.0)
    nv, nm, nmet = len(means), sw.shape[1], means.shape[1]
    fig, (ax0, ax1) = plt.subplots(
        1, 2, figsize=(0.9 * nm + 1.1 * nmet + 2.5, 0.5 * nv + 1.6),
        gridspec_kw={"width_ratios": [max(nm, 1) * 0.9, nmet * 1.1]})
    ax0.imshow(sw.to_numpy(dtype=float), cmap="Greys", vmin=-1, vmax=4, aspect="auto")
    for i in range(nv):
        for j in range(nm):
            on = bool(sw.iat[i, j])
            ax0.text(j, i, "✓" if on else "✗", ha="center", va="center",
                     color="tab:green" if on else "tab:red", fontsize=11)
    ax0.set_xticks(range(nm))
    ax0.set_xticklabels(sw.columns, rotation=40, ha="right", fontsize=8)
    ax0.set_yticks(range(nv))
    ax0.set_yticklabels(means.index, fontsize=8)
    ax1.imshow(scores.to_numpy(dtype=float), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for i in range(nv):
        for j in range(nmet):
            v, s = means.iat[i, j], scores.iat[i, j]
            ax1.text(j, i, "–" if not np.isfinite(v) else f"{v:.{precision}f}", ha="center",
                     va="center", fontsize=8, color="black" if s > 0.6 else "white")
    ax1.set_xticks(range(nmet))
    ax1.set_xticklabels([f"{m} {'↑' if higher_is_better(m, directions) else '↓'}"
                         for m in means.columns], fontsize=8)
    ax1.set_yticks([])
    fig.suptitle(title or f"Ablation{' of ' + network if network else ''} "
                          "(colour: per-column rank, yellow = best)", fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    return fig
