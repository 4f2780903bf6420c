"""Issue #13: a table never averages values that are not the same thing, and says so when it cannot."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fusionbench.cli import main
from fusionbench.errors import InputError
from fusionbench.methods import FusedFolder
from fusionbench.report.tables import build_table, render_table
from fusionbench.runner import evaluate
from fusionbench.store import ResultStore, backend_class, score_key

RNG = np.random.default_rng(13)
STEMS = ("a", "b", "c")
KW = dict(executor="inline", progress=False, backend="numpy")


def _gray(h=40, w=48):
    return RNG.integers(0, 256, (h, w), dtype=np.uint8)


def _folder(path, stems=STEMS):
    path.mkdir(parents=True, exist_ok=True)
    for s in stems:
        Image.fromarray(_gray()).save(path / f"{s}.png")
    return path


@pytest.fixture
def ds(tmp_path):
    d = tmp_path / "ds"
    _folder(d / "ir"), _folder(d / "vi")
    return d


def _means(res, metric):
    return float(np.mean([r["value"] for r in res.records if r["metric"] == metric]))


def test_changed_fused_folder_is_refused_or_latest(ds, tmp_path):
    store, fused = tmp_path / "s.sqlite", _folder(tmp_path / "X")
    evaluate([ds], [FusedFolder(fused)], metrics=["SD"], store=store, **KW)
    Image.fromarray(_gray()).save(fused / "b.png")  # the folder changes after it was scored
    second = evaluate([ds], [FusedFolder(fused)], metrics=["SD"], store=store, **KW)
    with pytest.raises(InputError, match=r"different values.*--latest") as exc:
        build_table(store)
    assert str(store) in str(exc.value)
    cell = build_table(store, latest=True).cell("X", "ds", "SD")
    assert cell.n == 3 and cell.mean == pytest.approx(_means(second, "SD"), rel=1e-12)
    assert main(["table", str(store)]) == 2
    assert main(["table", str(store), "--latest"]) == 0


def test_two_folders_sharing_a_name_are_refused(ds, tmp_path):
    store = tmp_path / "s.sqlite"
    evaluate([ds], [FusedFolder(_folder(tmp_path / "one" / "X"))], metrics=["EN"], store=store, **KW)
    evaluate([ds], [FusedFolder(_folder(tmp_path / "two" / "X"))], metrics=["EN"], store=store, **KW)
    with pytest.raises(InputError, match="two folders share the name 'X'"):
        build_table(store)


def test_option_overrides_become_separate_groups(ds, tmp_path):
    store = tmp_path / "s.sqlite"
    runs = {r: evaluate([ds], ["average"], metrics=["SSIM"], store=store, ssim_data_range=r, **KW)
            for r in (1, 255)}
    assert {res.profile for res in runs.values()} == {"cddfuse+overrides"}
    t = build_table(store)
    labels = sorted(g for g, _ in t.groups)
    assert labels == ["ds (cddfuse+ssim_data_range=1)", "ds (cddfuse+ssim_data_range=255)"]
    for r, label in zip((1, 255), labels):
        c = t.cell("average", label, "SSIM")
        assert c.n == 3 and c.mean == pytest.approx(_means(runs[r], "SSIM"), rel=1e-12)
    assert len(build_table(store, profile="cddfuse+overrides").groups) == 2


def test_backend_class_is_part_of_the_key(ds, tmp_path):
    pytest.importorskip("torch")
    assert {backend_class(b) for b in ("numpy", "numba", "torch")} == {"fp64"}
    assert backend_class("torch-fp32") == "fp32"
    assert score_key("d", "p", "{}", "1", "EN", "fp64") != score_key("d", "p", "{}", "1", "EN", "fp32")
    store, kw = tmp_path / "s.sqlite", dict(KW, backend="torch-fp32")
    assert evaluate([ds], ["average"], metrics=["VIF"], store=store, **kw).computed == 3
    res = evaluate([ds], ["average"], metrics=["VIF"], store=store, **KW)  # numpy: not fp32's numbers
    assert (res.computed, res.reused) == (3, 0)
    assert {r["backend"] for r in res.records} == {"numpy"}
    assert evaluate([ds], ["average"], metrics=["VIF"], store=store, backend="numba",
                    executor="inline", progress=False).reused == 3  # same class: same numbers
    with ResultStore(store) as st:
        assert set(st.frame()["backend_class"]) == {"fp32", "fp64"}
    assert sorted(g for g, _ in build_table(store).groups) == ["ds (cddfuse [fp32])", "ds (cddfuse [fp64])"]


def test_old_store_gains_backend_class_column(tmp_path):
    import sqlite3
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as con:  # the scores table as it was before the column existed
        con.execute("CREATE TABLE scores (key TEXT PRIMARY KEY, metric TEXT NOT NULL, value REAL, profile TEXT "
                    "NOT NULL, options TEXT NOT NULL, metric_version TEXT NOT NULL, pixel_digest TEXT NOT NULL, "
                    "backend TEXT, fusionbench_version TEXT, git_hash TEXT, created TEXT)")
        con.execute("INSERT INTO scores VALUES ('k','EN',7.0,'cddfuse','{}','1','d','torch-fp32','0',NULL,'t')")
    with ResultStore(path) as st:
        st.conn.execute("INSERT INTO labels (dataset, method, image, key, locator) VALUES ('d','m','i','k','l')")
        assert st.frame()["backend_class"].tolist() == ["fp32"]


def _long(rows):
    return pd.DataFrame([dict(dataset="tno42", method=m, image=i, profile="cddfuse", metric=k, value=v)
                         for m, i, k, v in rows])


def test_unknown_selectors_fail_with_a_hint(tmp_path):
    rows = [(m, i, k, 1.0 + j) for j, m in enumerate(("gff", "average")) for i in "ab" for k in ("EN", "SD")]
    path = tmp_path / "r.csv"
    _long(rows).assign(dataset="msrs-sample/test").to_csv(path, index=False)
    for args, text in ((["--dataset", "msrs"], "no dataset 'msrs' in these results (did you mean "
                                                "'msrs-sample/test'?)"),
                       (["--methods", "gff,foo"], "no method 'foo'"),
                       (["--metrics", "EN,XYZ"], "no metric 'XYZ'"),
                       (["--metrics", "en"], "did you mean 'EN'"),
                       (["--profile", "tang"], "no profile 'tang'")):
        with pytest.raises(InputError, match=text.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
            render_table(path, datasets=args[1:] if args[0] == "--dataset" else None,
                         methods=args[1].split(",") if args[0] == "--methods" else None,
                         metrics=args[1].split(",") if args[0] == "--metrics" else None,
                         profile=args[1] if args[0] == "--profile" else None)
        assert main(["table", str(path)] + args) == 2
        assert main(["table", str(path), "--stats"] + args) == 2
    assert main(["table", str(path), "--dataset", "msrs-sample/test"]) == 0


def test_incomplete_means_are_marked_with_their_n():
    rows = [("full", i, "EN", 6.0) for i in "abc"] + [("partial", i, "EN", 7.0) for i in "ab"]
    rows += [("full", i, "SD", 30.0) for i in "abc"] + [("partial", "a", "SD", 40.0),
                                                        ("partial", "b", "SD", 40.0), ("partial", "c", "SD", np.nan)]
    t = build_table(_long(rows))
    assert t.cell("partial", "tno42", "EN").incomplete and not t.cell("full", "tno42", "EN").incomplete
    assert t.cell("partial", "tno42", "SD").n == 2  # the NaN row is skipped and counted out
    md = render_table(_long(rows), n=True)
    assert "**7.0000**‡ (n=2)" in md and "**40.0000**‡ (n=2)" in md and "‡: mean over only n of the column's images" in md
    assert "| 3 |" in md.splitlines()[2]  # the complete row's n
    tex = render_table(_long(rows), fmt="latex")
    assert r"\textbf{7.0000}\textsuperscript{\ddag} {\scriptsize($n$=2)}" in tex
    csv = render_table(_long(rows), fmt="csv")
    assert csv.splitlines()[0] == "method,EN,EN_n,SD,SD_n"
    complete = render_table(_long([r for r in rows if r[0] == "full"]))
    assert "‡" not in complete
