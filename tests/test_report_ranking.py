"""Friedman / Nemenyi (checked against Demsar 2006), Holm, BCa bootstrap, effect sizes, CD diagram, CLI."""

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fusionbench.cli import main
from fusionbench.errors import InputError
from fusionbench.report.ranking import critical_difference, friedman_nemenyi, friedman_table, nemenyi_q
from fusionbench.report.significance import bootstrap_ci, compare_to_best, holm, rank_biserial

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FUSIONBENCH_SHARED", REPO.parent / "shared"))
TANG = SHARED / "data" / "tno42" / "published_metrics" / "tang_tno42_per_image.csv"

# Demsar (2006), Table 5(a): critical values of the two-tailed Nemenyi test, k = 2..10
DEMSAR_Q05 = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]
DEMSAR_Q10 = [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920]


def test_nemenyi_critical_values_match_demsar_table():
    for k, q05, q10 in zip(range(2, 11), DEMSAR_Q05, DEMSAR_Q10):
        # the table prints three decimals of older studentized-range tables: within one unit of the last
        assert nemenyi_q(k, 0.05) == pytest.approx(q05, abs=1.01e-3)
        assert nemenyi_q(k, 0.10) == pytest.approx(q10, abs=1.01e-3)
    # Demsar's worked example (Section 3.2.2): k = 4 classifiers, N = 14 data sets, CD = 1.25
    assert critical_difference(4, 14, 0.05) == pytest.approx(1.25, abs=5e-3)


def _rows(x, methods, metric="EN"):
    return pd.DataFrame([dict(dataset="d", profile="p", metric=metric, method=m, image=f"{i:02d}", value=v)
                         for i, row in enumerate(x) for m, v in zip(methods, row)])


def test_friedman_matches_rank_formula_and_iman_davenport():
    rng = np.random.default_rng(3)
    n, k = 14, 4
    x = rng.normal(size=(n, k)) + np.array([0.0, 0.6, 0.2, 0.8])
    res = friedman_nemenyi(_rows(x, list("ABCD")), higher=True)
    r = stats.rankdata(-x, axis=1).mean(axis=0)
    chi2 = 12 * n / (k * (k + 1)) * (np.sum(r ** 2) - k * (k + 1) ** 2 / 4)  # Demsar eq. (1), no ties
    assert res.statistic == pytest.approx(chi2, rel=1e-12)
    assert res.iman_davenport_f == pytest.approx((n - 1) * chi2 / (n * (k - 1) - chi2), rel=1e-12)
    assert res.kendall_w == pytest.approx(chi2 / (n * (k - 1)), rel=1e-12)
    assert [res.mean_ranks[m] for m in "ABCD"] == pytest.approx(r.tolist())
    assert res.cd == pytest.approx(critical_difference(4, 14))
    # a method far ahead on every image: Nemenyi separates it from the worst
    y = np.tile([3.0, 2.0, 1.0, 0.0], (40, 1)) + rng.normal(0, 0.01, (40, 4))
    res2 = friedman_nemenyi(_rows(y, list("ABCD")), higher=True)
    assert res2.nemenyi_p.loc["A", "D"] < 1e-6 and res2.p_value < 1e-6
    assert res2.cd == pytest.approx(0.742, abs=1e-3) and res2.groups() == []  # ranks 1 apart > CD: no bars
    z = np.tile([3.0, 2.0, 1.0, 0.0], (20, 1))
    res3 = friedman_nemenyi(_rows(z, list("ABCD")), higher=True)
    assert res3.cd == pytest.approx(1.049, abs=1e-3)  # > 1: each neighbour pair joined
    assert res3.groups() == [["A", "B"], ["B", "C"], ["C", "D"]]


def test_friedman_needs_three_methods_and_drops_incomplete_images():
    x = np.arange(12.0).reshape(6, 2)
    with pytest.raises(InputError, match="at least three methods"):
        friedman_nemenyi(_rows(x, ["A", "B"]))
    y = np.random.default_rng(0).normal(size=(6, 3))
    df = _rows(y, ["A", "B", "C"])
    df = df[~((df.method == "C") & (df.image == "03"))]
    res = friedman_nemenyi(df)
    assert res.n == 5 and res.dropped == ["03"]


@pytest.mark.skipif(not TANG.is_file(), reason="shared data not available")
def test_friedman_table_and_cd_diagram_on_tang_tno42(tmp_path, capsys):
    df = pd.read_csv(TANG)
    df["dataset"], df["profile"] = "tno42", "tang2022"
    ft = friedman_table(df[df.metric.isin(["VIF", "MSE"])])
    assert set(ft.metric) == {"VIF", "MSE"} and (ft.n == 42).all()
    mse = ft[ft.metric == "MSE"]
    assert mse.mean_rank.is_monotonic_increasing
    # lower MSE is better: the method ranked first has the lowest mean MSE
    means = df[df.metric == "MSE"].groupby("method").value.mean()
    assert mse.method.iloc[0] == means.idxmin()
    assert ft.test.str.contains("Friedman").all() and ft.test.str.contains("Nemenyi").all()
    src = tmp_path / "t.csv"
    df.to_csv(src, index=False)
    out = tmp_path / "cd.png"
    assert main(["table", str(src), "--friedman", "--metrics", "VIF", "--cd-diagram", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Test: Friedman" in text and "mean_rank" in text
    assert out.stat().st_size > 5_000
    assert main(["table", str(src), "--stats", "--metrics", "SD", "--methods", "SeAFusion,IFCNN,SDNet"]) == 0
    text = capsys.readouterr().out
    assert "Holm" in text and "BCa" in text and "effect_size" in text


def test_holm_against_hand_computation():
    p = [0.01, 0.04, 0.03, np.nan, 0.2]
    # sorted 0.01, 0.03, 0.04, 0.2 with m = 4: 0.04, 0.09, 0.09 (monotone), 0.2
    assert np.allclose(holm(p), [0.04, 0.09, 0.09, np.nan, 0.2], equal_nan=True)
    assert np.isnan(holm([np.nan])).all()


def test_rank_biserial_signs_and_bounds():
    x = np.arange(10.0)
    assert rank_biserial(x + 1, x) == 1.0 and rank_biserial(x, x + 1) == -1.0
    assert math.isnan(rank_biserial(x, x))
    d = np.array([1.0, -2.0, 3.0])  # ranks 1, 2, 3: (1 + 3 - 2) / 6
    assert rank_biserial(d, np.zeros(3)) == pytest.approx(2 / 6)


def test_bca_interval_is_scipys_and_handles_degenerate():
    rng = np.random.default_rng(5)
    x = rng.exponential(size=40)
    lo, hi = bootstrap_ci(x, n_boot=999, seed=1)
    ref = stats.bootstrap((x,), np.mean, n_resamples=999, method="BCa", random_state=np.random.default_rng(1))
    assert (lo, hi) == (ref.confidence_interval.low, ref.confidence_interval.high)
    per = bootstrap_ci(x, n_boot=999, seed=1, method="percentile")
    assert per != (lo, hi)  # BCa shifts the skewed interval
    assert bootstrap_ci([2.0, 2.0, 2.0]) == (2.0, 2.0)


def test_compare_to_best_reports_holm_and_effect():
    rng = np.random.default_rng(2)
    base = rng.normal(size=15)
    x = np.stack([base + 1.0, base + 0.0 + rng.normal(0, 0.01, 15), base + 0.995 + rng.normal(0, 0.01, 15)], 1)
    res = compare_to_best(_rows(x, ["good", "bad", "close"]), higher=True, n_boot=200).set_index("method")
    assert res.loc["good", "is_best"]
    assert res.loc["bad", "effect_size"] == -1.0  # worse than the best on every image
    assert res.loc["bad", "p_holm"] >= res.loc["bad", "p_value"]
    assert "Holm" in res.loc["bad", "test"]
