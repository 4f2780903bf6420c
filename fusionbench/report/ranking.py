"""Comparing several methods over the same images: Friedman test, Nemenyi post-hoc, CD diagram.

Demsar (2006, "Statistical comparisons of classifiers over multiple data sets", JMLR 7) recommends,
for k methods scored on the same N items, the Friedman test on the per-item ranks (Friedman 1937;
with the Iman-Davenport F correction, Iman & Davenport 1980) followed by the Nemenyi post-hoc test
(Nemenyi 1963): two methods differ when their mean ranks differ by at least the critical difference
``CD = q_alpha * sqrt(k (k + 1) / (6 N))``, ``q_alpha`` the studentized range quantile over
``sqrt(2)``, shown in a critical-difference diagram. Here the items are the test images; an image
counts only when every method scored it (complete blocks). The effect size is Kendall's W
(coefficient of concordance, ``chi2_F / (N (k - 1))``).

Example
-------
>>> from fusionbench.report.ranking import friedman_nemenyi, cd_diagram
>>> res = friedman_nemenyi(long_rows_of_one_metric, higher=True)  # doctest: +SKIP
>>> res.mean_ranks, res.p_value, res.cd  # doctest: +SKIP
>>> cd_diagram(res, path="cd_EN.png")  # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from fusionbench.errors import InputError
from fusionbench.report.results import as_long, higher_is_better

FRIEDMAN_NEMENYI = "Friedman test on per-image ranks (Iman-Davenport F), Nemenyi post-hoc (Demsar 2006)"


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Critical value ``q_alpha`` of the two-tailed Nemenyi test for ``k`` methods (Demsar 2006, Table 5a):
    the studentized range quantile at 1 - alpha, infinite degrees of freedom, divided by sqrt(2)."""
    if k < 2:
        raise InputError("nemenyi", f"needs at least two methods, got {k}")
    return float(stats.studentized_range.ppf(1.0 - alpha, k, np.inf) / math.sqrt(2.0))


def critical_difference(k: int, n: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference of mean ranks, ``q_alpha sqrt(k (k + 1) / (6 n))`` (Demsar 2006, eq. 6)."""
    return nemenyi_q(k, alpha) * math.sqrt(k * (k + 1) / (6.0 * n))


@dataclass
class FriedmanResult:
    """Outcome of :func:`friedman_nemenyi` for one dataset, profile and metric."""

    methods: list
    mean_ranks: dict  # method -> mean rank (1 = best)
    n: int  # images ranked (complete blocks)
    statistic: float  # Friedman chi-square
    p_value: float  # Friedman chi-square p-value
    iman_davenport_f: float
    iman_davenport_p: float
    kendall_w: float  # effect size in [0, 1]
    alpha: float
    cd: float  # Nemenyi critical difference of mean ranks
    nemenyi_p: pd.DataFrame  # pairwise Nemenyi p-values (methods x methods)
    dropped: list = field(default_factory=list)  # images left out (a method had no value)
    test: str = FRIEDMAN_NEMENYI

    def groups(self) -> list:
        """Maximal sets of methods (in mean-rank order) whose mean ranks span less than the CD: the
        bars of the critical-difference diagram."""
        order = sorted(self.methods, key=self.mean_ranks.get)
        r = [self.mean_ranks[m] for m in order]
        out = []
        for i in range(len(order)):
            j = i
            while j + 1 < len(order) and r[j + 1] - r[i] < self.cd:
                j += 1
            if j > i and not any(a <= i and j <= b for a, b in out):
                out.append((i, j))
        return [order[a:b + 1] for a, b in out]


def friedman_nemenyi(results, *, higher=True, alpha=0.05) -> FriedmanResult:
    """Friedman test and Nemenyi post-hoc over the images of one dataset, profile and metric.

    Parameters
    ----------
    results : DataFrame
        Long-format rows (method, image, value) of one metric.
    higher : bool
        Direction of the metric; rank 1 goes to the best value on each image (ties share the mean rank).
    alpha : float
        Level of the Nemenyi critical difference.

    Raises
    ------
    InputError
        Fewer than three methods (Friedman needs k >= 3; use the Wilcoxon test) or fewer than two
        images that every method scored.
    """
    df = as_long(results)
    wide = df.pivot_table(index="image", columns="method", values="value", aggfunc="mean", sort=False,
                          dropna=False)
    methods = [str(m) for m in wide.columns]
    if len(methods) < 3:
        raise InputError("friedman", f"needs at least three methods, got {len(methods)} "
                                     "(compare two with the paired Wilcoxon test)")
    ok = np.isfinite(wide.to_numpy()).all(axis=1)
    dropped = [str(i) for i in wide.index[~ok]]
    x = wide.to_numpy()[ok]
    n, k = x.shape
    if n < 2:
        raise InputError("friedman", f"needs at least two images scored by every method, got {n}")
    ranks = stats.rankdata(-x if higher else x, axis=1)
    mean = ranks.mean(axis=0)
    if np.all(x == x[:, :1]):
        chi2, p = 0.0, 1.0
    else:
        chi2, p = stats.friedmanchisquare(*x.T)
    w = chi2 / (n * (k - 1))
    denom = n * (k - 1) - chi2
    f = (n - 1) * chi2 / denom if denom > 0 else math.inf
    pf = float(stats.f.sf(f, k - 1, (k - 1) * (n - 1))) if math.isfinite(f) else 0.0
    se = math.sqrt(k * (k + 1) / (6.0 * n))
    diff = np.abs(mean[:, None] - mean[None, :]) / se
    pn = stats.studentized_range.sf(diff * math.sqrt(2.0), k, np.inf)
    np.fill_diagonal(pn, 1.0)
    return FriedmanResult(methods, dict(zip(methods, mean.tolist())), n, float(chi2), float(p), float(f), pf,
                          float(w), alpha, critical_difference(k, n, alpha),
                          pd.DataFrame(np.minimum(pn, 1.0), index=methods, columns=methods), dropped)


def friedman_table(results, *, alpha=0.05, directions=None) -> pd.DataFrame:
    """:func:`friedman_nemenyi` for every dataset, profile and metric with at least three methods.

    Returns
    -------
    DataFrame
        One row per method: dataset, profile, metric, method, mean_rank, n, friedman_chi2,
        friedman_p, iman_davenport_p, kendall_w, cd, best_method, nemenyi_p_vs_best,
        tied_with_best (mean rank within CD of the best), test.
    """
    df = as_long(results)
    rows = []
    for (dataset, prof, metric), sub in df.groupby(["dataset", "profile", "metric"], sort=False):
        if sub["method"].nunique() < 3:
            continue
        res = friedman_nemenyi(sub, higher=higher_is_better(metric, directions), alpha=alpha)
        best = min(res.methods, key=res.mean_ranks.get)
        for m in sorted(res.methods, key=res.mean_ranks.get):
            rows.append(dict(dataset=dataset, profile=prof, metric=metric, method=m,
                             mean_rank=res.mean_ranks[m], n=res.n, friedman_chi2=res.statistic,
                             friedman_p=res.p_value, iman_davenport_p=res.iman_davenport_p,
                             kendall_w=res.kendall_w, cd=res.cd, best_method=best,
                             nemenyi_p_vs_best=float(res.nemenyi_p.loc[m, best]) if m != best else math.nan,
                             tied_with_best=m != best and res.mean_ranks[m] - res.mean_ranks[best] < res.cd,
                             test=f"{FRIEDMAN_NEMENYI}, alpha={alpha:g}"))
    if not rows:
        raise InputError("friedman", "no metric with at least three methods to rank")
    return pd.DataFrame(rows)


def cd_diagram(result: FriedmanResult, *, path=None, title=None, ax=None):
    """Critical-difference diagram (Demsar 2006, Fig. 1) of a :func:`friedman_nemenyi` result.

    Methods hang from a rank axis (1 = best, at the left); thick bars join methods whose mean ranks
    differ by less than the Nemenyi CD, drawn above the axis. Returns the matplotlib Figure; with
    ``path`` it is also saved (PNG, PDF or SVG by extension).
    """
    import matplotlib
    if ax is None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    order = sorted(result.methods, key=result.mean_ranks.get)
    k = len(order)
    half = (k + 1) // 2
    groups = result.groups()
    top = -0.25 - 0.08 * len(groups)  # first label row, below the group bars
    height = -top + 0.3 * max(half, k - half)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.0, 0.9 * (height + 1.0)))
    else:
        fig = ax.figure
    ax.set_xlim(-1.6, k + 2.6)
    ax.set_ylim(-height, 1.0)
    ax.axis("off")
    ax.plot([1, k], [0, 0], color="black", lw=1)
    for r in range(1, k + 1):
        ax.plot([r, r], [0, 0.08], color="black", lw=1)
        ax.text(r, 0.14, str(r), ha="center", va="bottom", fontsize=8)
    # CD bar
    ax.plot([1, 1 + result.cd], [0.7, 0.7], color="black", lw=1.5)
    ax.text(1 + result.cd / 2, 0.76, f"CD = {result.cd:.3f}", ha="center", va="bottom", fontsize=8)
    for i, m in enumerate(order):
        x = result.mean_ranks[m]
        left = i < half
        row = i if left else k - 1 - i
        y = top - 0.3 * row
        xe = 0.7 if left else k + 0.3
        ax.plot([x, x, xe], [0, y, y], color="black", lw=0.8)
        ax.text(xe + (0.08 if not left else -0.08), y, f"{m} ({x:.2f})", ha="left" if not left else "right",
                va="center", fontsize=8)
    for g, members in enumerate(groups):
        lo, hi = result.mean_ranks[members[0]], result.mean_ranks[members[-1]]
        y = -0.12 - 0.08 * g
        ax.plot([lo - 0.03, hi + 0.03], [y, y], color="black", lw=3, solid_capstyle="butt")
    ax.set_title(title or f"Friedman p = {result.p_value:.3g}, Nemenyi alpha = {result.alpha:g}, N = {result.n}",
                 fontsize=9)
    if path is not None:
        fig.savefig(path, bbox_inches="tight", dpi=150)
    return fig


def cd_diagrams(results, path, *, alpha=0.05, directions=None, title=None) -> list:
    """One critical-difference diagram per (dataset, profile, metric) of ``results``.

    Parameters
    ----------
    results : DataFrame
        Long-format per-image rows (already selected).
    path : str or Path
        Output file (.png/.pdf/.svg). With several (dataset, profile, metric) groups each goes to
        ``<stem>_<dataset>_<metric><suffix>`` (``_<profile>`` added when two profiles share them).
    alpha : float
        Level of the Nemenyi critical difference.
    directions : mapping, optional
        metric -> higher is better (default: the metric cards).
    title : str, optional
        Figure title (default: dataset, metric, Friedman p, CD, alpha and N).

    Returns
    -------
    list of (Path, FriedmanResult)
    """
    from pathlib import Path
    df = as_long(results)
    path = Path(path)
    keys = list(dict.fromkeys(zip(df.dataset.astype(str), df.profile.astype(str), df.metric.astype(str))))
    if not keys:
        raise InputError("results", "no per-image rows selected; nothing to rank")
    profiles = {}
    for ds, prof, metric in keys:
        profiles.setdefault((ds, metric), set()).add(prof)
    out = []
    for ds, prof, metric in keys:
        sub = df[(df.dataset == ds) & (df.profile == prof) & (df.metric == metric)]
        res = friedman_nemenyi(sub, higher=higher_is_better(metric, directions), alpha=alpha)
        tag = f"_{ds}_{metric}" + (f"_{prof}" if len(profiles[ds, metric]) > 1 else "")
        target = path if len(keys) == 1 else path.with_name(f"{path.stem}{tag.replace('/', '-')}{path.suffix}")
        cd_diagram(res, path=target, title=title or f"{ds} {metric}: Friedman p = {res.p_value:.3g}, "
                                                     f"Nemenyi CD = {res.cd:.3f} (alpha {alpha:g}, N = {res.n})")
        out.append((target, res))
    return out
