"""Significance of per-image differences: bootstrap intervals and paired Wilcoxon tests.

Dataset means in fusion tables often differ in the third decimal; with 20-40 test images many
of those differences are noise. For each metric this module gives every method's bootstrap
confidence interval of the mean (percentile bootstrap, Efron & Tibshirani 1993) and a paired
Wilcoxon signed-rank test (Wilcoxon 1945) against the best method over the images both scored.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from fusionbench.report.results import as_long


def bootstrap_ci(values, *, n_boot=2000, level=0.95, seed=0) -> tuple:
    """Percentile bootstrap interval of the mean of ``values`` (NaN ignored).

    Returns ``(low, high)``; ``(nan, nan)`` for fewer than two finite values.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2 or n_boot <= 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, v.size, size=(n_boot, v.size))
    means = v[idx].mean(axis=1)
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [tail, 1.0 - tail])
    return (float(lo), float(hi))


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


def compare_to_best(results, *, higher=True, n_boot=2000, level=0.95, seed=0) -> pd.DataFrame:
    """Per method: mean, bootstrap CI and Wilcoxon p-value against the best method.

    ``results`` holds the long-format rows of one dataset, profile and metric. The best method
    is the one with the best mean (direction ``higher``); pairs are matched on ``image``.

    Returns
    -------
    DataFrame
        Columns method, mean, n, ci_low, ci_high, best_method, is_best, n_pairs, p_value.
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
            p, pairs = math.nan, int(np.isfinite(col).sum())
        else:
            ref = wide[best].to_numpy()
            pairs = int((np.isfinite(col) & np.isfinite(ref)).sum())
            p = paired_wilcoxon(col, ref)
        rows.append(dict(method=method, mean=float(means[method]),
                         n=int(np.isfinite(col).sum()), ci_low=lo, ci_high=hi,
                         best_method=best, is_best=method == best, n_pairs=pairs, p_value=p))
    return pd.DataFrame(rows)


def significance_table(results, *, alpha=0.05, directions=None, n_boot=2000, level=0.95,
                       seed=0) -> pd.DataFrame:
    """:func:`compare_to_best` for every dataset, profile and metric of ``results``.

    Adds ``tied_with_best`` (p >= ``alpha``, i.e. not significantly different from the best)
    and the key columns dataset, profile, metric.
    """
    from fusionbench.report.tables import higher_is_better
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
        out["tied_with_best"] = (~out["is_best"]) & (out["p_value"] >= alpha)
    return out
