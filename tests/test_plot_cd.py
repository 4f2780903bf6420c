"""`fusionbench plot cd` (issue #17): the critical-difference diagram without going through `table`."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusionbench.cli import main
from fusionbench.report.ranking import cd_diagrams, friedman_nemenyi

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FUSIONBENCH_SHARED", REPO.parent / "shared"))
TANG = SHARED / "data" / "tno42" / "published_metrics" / "tang_tno42_per_image.csv"


def _results(tmp_path, methods=("A", "B", "C", "D"), n=12, metrics=("EN", "MSE")):
    """Per-image rows where A is best on EN (higher better) and on MSE (lower better)."""
    rng = np.random.default_rng(0)
    rows = []
    for metric in metrics:
        sign = 1.0 if metric == "EN" else -1.0
        for i in range(n):
            for k, m in enumerate(methods):
                rows.append(dict(dataset="tno42", profile="cddfuse", method=m, image=f"{i:02d}.png",
                                 metric=metric, value=5.0 + sign * (len(methods) - k) + rng.normal(0, 0.3)))
    src = tmp_path / "r.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    return src


def test_one_metric_one_file(tmp_path, capsys):
    src = _results(tmp_path)
    out = tmp_path / "cd.png"
    assert main(["plot", "cd", str(src), "--metric", "EN", "-o", str(out)]) == 0
    assert out.stat().st_size > 5_000
    err = capsys.readouterr().err
    assert f"wrote {out}" in err and "4 methods" in err and "N = 12" in err


def test_several_metrics_give_one_file_each_with_the_direction_of_each_card(tmp_path):
    src = _results(tmp_path)
    out = tmp_path / "cd.svg"
    assert main(["plot", "cd", str(src), "-o", str(out), "--alpha", "0.1"]) == 0
    assert sorted(p.name for p in tmp_path.glob("cd_*.svg")) == ["cd_tno42_EN.svg", "cd_tno42_MSE.svg"]
    df = pd.read_csv(src)
    written = dict((p.name, r) for p, r in cd_diagrams(df, tmp_path / "x.png", alpha=0.1))
    for name in ("x_tno42_EN.png", "x_tno42_MSE.png"):
        res = written[name]
        assert min(res.mean_ranks, key=res.mean_ranks.get) == "A"  # best under the card's direction
        assert res.alpha == 0.1


def test_selection_errors_and_two_methods(tmp_path, capsys):
    src = _results(tmp_path)
    out = tmp_path / "cd.png"
    assert main(["plot", "cd", str(src), "--metric", "ENN", "-o", str(out)]) == 2
    assert "did you mean" in capsys.readouterr().err
    assert main(["plot", "cd", str(src), "--metric", "EN", "--methods", "A,B", "-o", str(out)]) == 2
    assert "at least three methods" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.skipif(not TANG.is_file(), reason="shared data not available")
def test_tang_tno42_matches_the_table_command(tmp_path, capsys):
    df = pd.read_csv(TANG)
    df["dataset"], df["profile"] = "tno42", "tang2022"
    src = tmp_path / "t.csv"
    df.to_csv(src, index=False)
    a, b = tmp_path / "plot.png", tmp_path / "table.png"
    assert main(["plot", "cd", str(src), "--metric", "VIF", "-o", str(a)]) == 0
    assert main(["table", str(src), "--friedman", "--metrics", "VIF", "--cd-diagram", str(b)]) == 0
    assert a.stat().st_size > 5_000 and abs(a.stat().st_size - b.stat().st_size) < 0.02 * b.stat().st_size
    res = friedman_nemenyi(df[df.metric == "VIF"])
    assert f"CD = {res.cd:.3f}, N = 42, 9 methods" in capsys.readouterr().err
