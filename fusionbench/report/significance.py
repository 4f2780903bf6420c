"""Significance of per-image differences: BCa bootstrap intervals, paired Wilcoxon tests with Holm's
correction, and effect sizes.

Dataset means in fusion tables often differ in the third decimal; with 20-40 test images many
of those differences are noise. For each metric this module gives every method's bias-corrected and
accelerated (BCa) bootstrap confidence interval of the mean (Efron 1987; ``scipy.stats.bootstrap``)
and a paired Wilcoxon signed-rank test (Wilcoxon 1945) against the best method over the images both
scored. The m - 1 comparisons with the best are corrected for multiple testing by Holm's step-down
procedure (Holm 1979); the effect size is the matched-pairs rank-biserial correlation (Kerby 2014).
For all-pairs comparisons see :mod:`fusionbench.report.ranking` (Friedman test, Nemenyi post-hoc).

Example
-------
>>> from fusionbench.report.significance import significance_table
>>> st = significance_table("results.csv")  # doctest: +SKIP
>>> st[["metric", "method", "mean", "ci_low", "ci_high", "p_holm", "effect_size", "test"]]  # doctest: +SKIP
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from fusionbench.report.results import as_long, higher_is_better

WILCOXON_HOLM = "paired Wilcoxon signed-rank test vs the best, Holm-corrected over the column's comparisons"
CI_METHOD = "BCa bootstrap (scipy.stats.bootstrap)"


def bootstrap_ci(values, *, n_boot=2000, level=0.95, seed=0, method="BCa") -> tuple:
    """Bootstrap confidence interval of the mean of ``values`` (NaN ignored).

    Parameters
    ----------
    values : array_like
    n_boot : int
        Resamples.
    level : float
        Confidence level.
    seed : int
        Seed of the resampling generator (the interval is reproducible).
    method : {"BCa", "percentile", "basic"}
        ``scipy.stats.bootstrap`` method; BCa (Efron 1987) corrects the percentile interval for
        bias and skewness.

    Returns
    -------
    tuple
        ``(low, high)``; ``(nan, nan)`` for fewer than two finite values; ``(v, v)`` when all values
        equal ``v`` (no spread to resample).
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2 or n_boot <= 0:
        return (math.nan, math.nan)
    if np.all(v == v[0]):
        return (float(v[0]), float(v[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.bootstrap((v,), np.mean, n_resamples=int(n_boot), confidence_level=level, method=method,
                              vectorized=True, axis=-1, random_state=np.random.default_rng(seed))
    ci = res.confidence_interval
    return (float(ci.low), float(ci.high))


def paired_wilcoxon(x, y) -> float:
    """Two-sided p-value of the Wilcoxon signed-rank test of paired samples ``x`` and ``y``.

    Pairs with a NaN are dropped. Identical samples give p = 1; fewer than one non-zero
    difference gives p = 1 as well (no evidence of a difference).
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    d = x[ok] - y[ok]
    if np.count_nonzero(d) == 0:
        return 1.0
    return float(stats.wilcoxon(d, zero_method="wilcox", alternative="two-sided").pvalue)


def rank_biserial(x, y) -> float:
    """Matched-pairs rank-biserial correlation of ``x - y`` (Kerby 2014), in [-1, 1].

    ``(R+ - R-) / (R+ + R-)`` with R+ / R- the rank sums of the positive / negative non-zero
    differences (ranks of |d|, ties averaged): +1 when ``x`` is larger on every pair, 0 for no
    tendency. NaN pairs are dropped; NaN when no difference is non-zero.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    d = x[ok] - y[ok]
    d = d[d != 0]
    if d.size == 0:
        return math.nan
    r = stats.rankdata(np.abs(d))
    pos, neg = r[d > 0].sum(), r[d < 0].sum()
    return float((pos - neg) / (pos + neg))


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm 1979); NaN entries stay NaN and are not counted.

    ``p_(i) * (m - i + 1)`` for the i-th smallest of the m p-values, made monotone and capped at 1.
    A hypothesis is rejected at family-wise level alpha when its adjusted p-value is < alpha.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out[order] = adj
    return out


def compare_to_best(results, *, higher=True, n_boot=2000, level=0.95, seed=0) -> pd.DataFrame:
    """Per method: mean, BCa bootstrap CI, Wilcoxon p-value against the best (raw and Holm-corrected)
    and the rank-biserial effect size.

    ``results`` holds the long-format rows of one dataset, profile and metric. The best method
    is the one with the best mean (direction ``higher``); pairs are matched on ``image``.

    Returns
    -------
    DataFrame
        Columns method, mean, n, ci_low, ci_high, best_method, is_best, n_pairs, p_value, p_holm,
        effect_size (rank-biserial correlation of method - best, signed so that a positive value means
        better than the best, i.e. direction-aware), test.
    """
    df = as_long(results)
    wide = df.pivot_table(index="image", columns="method", values="value", aggfunc="mean",
                          sort=False, dropna=False)
    means = wide.mean(axis=0, skipna=True)
    best = (means.idxmax() if higher else means.idxmin()) if means.notna().any() else None
    rows = []
    for k, method in enumerate(wide.columns):
        col = wide[method].to_numpy()
        lo, hi = bootstrap_ci(col, n_boot=n_boot, level=level, seed=seed + k)
        if best is None or method == best:
            p, pairs, eff = math.nan, int(np.isfinite(col).sum()), math.nan
        else:
            ref = wide[best].to_numpy()
            pairs = int((np.isfinite(col) & np.isfinite(ref)).sum())
            p = paired_wilcoxon(col, ref)
            eff = rank_biserial(col, ref) * (1.0 if higher else -1.0)
        rows.append(dict(method=method, mean=float(means[method]),
                         n=int(np.isfinite(col).sum()), ci_low=lo, ci_high=hi,
                         best_method=best, is_best=method == best, n_pairs=pairs, p_value=p,
                         effect_size=eff))
    out = pd.DataFrame(rows)
    if not out.empty:
        out.insert(out.columns.get_loc("p_value") + 1, "p_holm", holm(out["p_value"].to_numpy()))
        out["test"] = WILCOXON_HOLM + ("; CI: " + CI_METHOD if n_boot > 0 else "")
    return out


def significance_table(results, *, alpha=0.05, directions=None, n_boot=2000, level=0.95,
                       seed=0) -> pd.DataFrame:
    """:func:`compare_to_best` for every dataset, profile and metric of ``results``.

    Adds ``tied_with_best`` (Holm-corrected p >= ``alpha``, i.e. not significantly different from
    the best at family-wise level ``alpha``) and the key columns dataset, profile, metric; the
    ``test`` column names the test and the interval method.
    """
    df = as_long(results)
    parts = []
    for (dataset, prof, metric), sub in df.groupby(["dataset", "profile", "metric"], sort=False):
        res = compare_to_best(sub, higher=higher_is_better(metric, directions), n_boot=n_boot,
                              level=level, seed=seed)
        res.insert(0, "metric", metric)
        res.insert(0, "profile", prof)
        res.insert(0, "dataset", dataset)
        parts.append(res)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if not out.empty:
        out["tied_with_best"] = (~out["is_best"]) & (out["p_holm"] >= alpha)
    return out
