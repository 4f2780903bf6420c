"""Golden tests for table rendering: marks with ties and lower-is-better metrics, escaping."""

import re

import numpy as np
import pandas as pd
import pytest

from fusionbench.report.tables import build_table, latex_escape, rank_marks, render_table


def _frame():
    # two images per method; means chosen for ties: EN (higher) A=B=7.0 tie for best, C second;
    # MSE (lower is better) C best, A and B tied second; SD: B best, C second, A last.
    means = {"RFN_Nest&co": {"EN": 7.0, "MSE": 0.5, "SD": 30.0},
             "B": {"EN": 7.0, "MSE": 0.5, "SD": 50.0},
             "C": {"EN": 6.5, "MSE": 0.1, "SD": 40.0}}
    rows = []
    for ds in ("TNO", "RoadScene"):
        for method, vals in means.items():
            for metric, mean in vals.items():
                for img, delta in (("a", -0.25), ("b", 0.25)):
                    rows.append(dict(dataset=ds, method=method, image=img, profile="cddfuse",
                                     metric=metric, value=mean + delta))
    return pd.DataFrame(rows)


GOLDEN_MD = """\
| Method | EN ↑ | MSE ↓ | SD ↑ |
|:--|--:|--:|--:|
| RFN\\_Nest&co | **7.00** | <ins>0.50</ins> | 30.00 |
| B | **7.00** | <ins>0.50</ins> | **50.00** |
| C | <ins>6.50</ins> | **0.10** | <ins>40.00</ins> |
"""

GOLDEN_TEX = r"""\begin{tabular}{l rrr rrr}
\toprule
 & \multicolumn{3}{c}{TNO} & \multicolumn{3}{c}{RoadScene} \\
\cmidrule(lr){2-4} \cmidrule(lr){5-7}
Method & EN$\uparrow$ & MSE$\downarrow$ & SD$\uparrow$ & EN$\uparrow$ & MSE$\downarrow$ & SD$\uparrow$ \\
\midrule
RFN\_Nest\&co & \textbf{7.00} & \underline{0.50} & 30.00 & \textbf{7.00} & \underline{0.50} & 30.00 \\
B & \textbf{7.00} & \underline{0.50} & \textbf{50.00} & \textbf{7.00} & \underline{0.50} & \textbf{50.00} \\
C & \underline{6.50} & \textbf{0.10} & \underline{40.00} & \underline{6.50} & \textbf{0.10} & \underline{40.00} \\
\bottomrule
\end{tabular}
"""


def test_markdown_golden_ties_and_lower_is_better():
    out = render_table(_frame(), datasets=["TNO"], precision=2, legend=False)
    assert out == GOLDEN_MD


def test_latex_golden_groups_and_escaping():
    out = render_table(_frame(), fmt="latex", precision=2, legend=False)
    assert out == GOLDEN_TEX


def test_latex_float_with_caption_is_balanced():
    out = render_table(_frame(), fmt="latex", precision=3, caption="Results on TNO_25 & more",
                       label="tab:main", std=True, n=True)
    assert out.startswith("\\begin{table}") and out.rstrip().endswith("\\end{table}")
    assert "TNO\\_25 \\& more" in out
    assert out.count("{") == out.count("}")
    # no unescaped special characters outside commands
    body = re.sub(r"\\[a-zA-Z]+|\\[&_%$#{}]", "", out)
    assert "&" in body  # column separators remain
    assert not re.search(r"[_%#]", body)


@pytest.mark.parametrize("name, expected", [
    ("RFN_Nest&co", r"RFN\_Nest\&co"),
    ("100% {x}", r"100\% \{x\}"),
    ("a~b^c\\d", r"a\textasciitilde{}b\textasciicircum{}c\textbackslash{}d"),
    ("$#", r"\$\#"),
])
def test_latex_escape(name, expected):
    assert latex_escape(name) == expected


def test_marks_follow_printed_precision():
    # 0.12344 and 0.12341 print equal at 4 decimals: both best; at 5 decimals only the first
    assert rank_marks([0.12344, 0.12341, 0.1], higher=True, decimals=4) == [1, 1, 2]
    assert rank_marks([0.12344, 0.12341, 0.1], higher=True, decimals=5) == [1, 2, 0]
    assert rank_marks([3.0, np.nan, 1.0, 2.0], higher=False) == [0, 0, 1, 2]
    assert rank_marks([5.0, 5.0, 5.0], higher=True) == [1, 1, 1]


def test_csv_std_n_and_significance_columns():
    out = render_table(_frame(), fmt="csv", precision=2, std=True, n=True, alpha=0.05)
    df = pd.read_csv(pd.io.common.StringIO(out))
    assert list(df["method"]) == ["RFN_Nest&co", "B", "C"]
    assert df.loc[0, "TNO/EN"] == 7.0 and df.loc[0, "TNO/EN_n"] == 2
    assert df.loc[0, "TNO/EN_std"] == pytest.approx(0.35, abs=0.01)
    assert "TNO/EN_tied_with_best" in df.columns


def test_markdown_std_n_significance_and_legend():
    out = render_table(_frame(), datasets=["TNO"], precision=2, std=True, n=True, alpha=0.05)
    first = out.splitlines()[2]
    assert "**7.00** ± 0.35" in first and first.rstrip().endswith("| 2 |")
    # 2 images give no significant difference: everyone not best is marked with a dagger
    assert "†" in out.splitlines()[4] and "not significantly different" in out


def test_group_labels_and_direction_override():
    t = build_table(_frame(), labels={"TNO": "TNO (25)"}, directions={"SD": False})
    assert [g for g, _ in t.groups] == ["TNO (25)", "RoadScene"]
    assert t.cell("RFN_Nest&co", "TNO (25)", "SD").mark == 1  # lowest SD is best now


def test_table_from_sqlite_store_and_files(tmp_path):
    from fusionbench.report.results import load_results
    from fusionbench.store import open_store
    recs = []
    for r in _frame().itertuples():
        key = f"{r.dataset}|{r.method}|{r.image}|{r.metric}"
        recs.append(dict(key=key, metric=r.metric, value=r.value, profile=r.profile,
                         options="{}", metric_version="1", pixel_digest=key, backend="numpy",
                         fusionbench_version="0", git_hash=None, created="now",
                         dataset=r.dataset, method=r.method, image=r.image, locator=key))
    with open_store(tmp_path / "res.sqlite") as st:
        st.add(recs)
    df = load_results(tmp_path / "res.sqlite")
    assert len(df) == len(_frame())
    out = render_table(df, datasets=["TNO"], methods=["RFN_Nest&co", "B", "C"], precision=2,
                       legend=False, metrics=["EN", "MSE", "SD"])
    assert out == GOLDEN_MD
    _frame().to_parquet(tmp_path / "res.parquet")
    _frame().to_json(tmp_path / "res.json", orient="records")
    for name in ("res.parquet", "res.json"):
        assert render_table(tmp_path / name, datasets=["TNO"], precision=2,
                            legend=False) == GOLDEN_MD
