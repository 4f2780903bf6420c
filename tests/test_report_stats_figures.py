"""Significance (bootstrap CI, paired Wilcoxon), figures, ablation grids and the CLI front-ends."""

import numpy as np
import pandas as pd
import pytest

from fusionbench.cli import main as cli_main
from fusionbench.report import ablation, figures
from fusionbench.report.significance import bootstrap_ci, compare_to_best, paired_wilcoxon, significance_table


def _frame(n_img=12, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    base = rng.normal(0, 1, n_img)  # image difficulty shared by all methods (paired design)
    for method in ["good", "close", "bad"]:
        shift = {"good": 1.0, "close": 0.99, "bad": 0.0}[method]
        for metric in ("EN", "SD", "MSE", "Qabf"):
            vals = base + shift + rng.normal(0, 0.01, n_img)
            if metric == "MSE":
                vals = -vals  # lower is better: "good" is best here too
            for i, v in enumerate(vals):
                rows.append(dict(dataset="TNO", method=method, image=f"{i:02d}",
                                 profile="cddfuse", metric=metric, value=v))
    return pd.DataFrame(rows)


def test_bootstrap_ci_contains_mean_and_shrinks():
    rng = np.random.default_rng(1)
    x = rng.normal(5, 1, 400)
    lo, hi = bootstrap_ci(x, n_boot=1000)
    assert lo < x.mean() < hi
    assert hi - lo == pytest.approx(2 * 1.96 / 20, rel=0.25)
    assert np.isnan(bootstrap_ci([1.0])[0])


def test_paired_wilcoxon():
    x = np.arange(20, dtype=float)
    assert paired_wilcoxon(x, x) == 1.0
    assert paired_wilcoxon(x + 1.0, x) < 1e-4
    assert paired_wilcoxon([1.0, np.nan, 2.0], [1.0, 5.0, 2.0]) == 1.0


def test_compare_to_best_direction_aware():
    df = _frame()
    mse = compare_to_best(df[df.metric == "MSE"], higher=False, n_boot=200)
    assert mse.loc[mse.is_best, "method"].item() == "good"
    p = dict(zip(mse.method, mse.p_value))
    assert p["bad"] < 0.01  # clearly worse on every image
    st = significance_table(df, alpha=0.05, n_boot=200)
    assert set(st.metric) == {"EN", "SD", "MSE", "Qabf"}
    assert not st[st.method == "bad"].tied_with_best.any()
    assert {"ci_low", "ci_high", "p_value", "n_pairs"} <= set(st.columns)


def test_radar_box_ablation_files(tmp_path):
    df = _frame()
    fig = figures.radar(df, path=tmp_path / "r.png")
    assert (tmp_path / "r.png").stat().st_size > 10_000
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[2].startswith("MSE ↓")
    figures.box(df, path=tmp_path / "b.svg")
    assert (tmp_path / "b.svg").read_text().lstrip().startswith("<?xml")
    ab = df.replace({"method": {"good": "ssp_full", "close": "no_sfe", "bad": "ssp_no_spf"}})
    figures.ablation_heatmap(ab, network="sspfusion", path=tmp_path / "a.pdf")
    assert (tmp_path / "a.pdf").read_bytes()[:4] == b"%PDF"


def test_scaled_scores_direction():
    means = pd.DataFrame({"EN": [1.0, 3.0, 2.0], "MSE": [1.0, 3.0, 2.0]}, index=list("abc"))
    s = figures.scaled_scores(means, floor=0.0)
    assert list(s["EN"]) == [0.0, 1.0, 0.5] and list(s["MSE"]) == [1.0, 0.0, 0.5]


def test_ablation_table_switches_and_marks():
    df = _frame().replace({"method": {"good": "ssp_full", "close": "ssp_no_sfe",
                                      "bad": "no_spf"}})
    md = ablation.render_ablation(df, network="sspfusion", metrics=["EN", "MSE"], precision=2)
    lines = md.splitlines()
    assert lines[0] == "| Variant | SFE | SPF | EN ↑ | MSE ↓ |"
    assert lines[2].startswith("| ssp_full | ✓ | ✓ | **")
    assert lines[4].startswith("| no_spf | ✓ | ✗ |")
    tex = ablation.render_ablation(df, network="sspfusion", fmt="latex")
    assert r"ssp\_no\_sfe & $\times$ & \checkmark" in tex
    with pytest.raises(Exception, match="not in"):
        ablation.switch_frame("sspfusion", ["no_such_variant"])


def test_cli_table_and_plot(tmp_path, capsys):
    path = tmp_path / "res.csv"
    _frame().to_csv(path, index=False)
    assert cli_main(["table", str(path), "--format", "latex", "--precision", "3",
                     "--significance"]) == 0
    out = capsys.readouterr().out
    assert r"\toprule" in out and r"\textbf{" in out
    assert cli_main(["table", str(path), "--stats", "--format", "csv"]) == 0
    assert "p_value" in capsys.readouterr().out
    assert cli_main(["plot", "radar", str(path), "-o", str(tmp_path / "r.svg")]) == 0
    assert (tmp_path / "r.svg").is_file()
    assert cli_main(["table", str(tmp_path / "missing.csv")]) == 2
