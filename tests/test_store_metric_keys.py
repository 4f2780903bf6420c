"""Result keys hold only the options each metric reads (issue #13): an option a metric does not read
never forces its values to be recomputed, and one it reads always does."""

import sqlite3

import numpy as np
import pytest
from PIL import Image

from fusionbench.metrics import PROFILES, REGISTRY
from fusionbench.metrics.registry import PIPELINE_OPTIONS, metric_options
from fusionbench.report.tables import build_table
from fusionbench.runner import evaluate
from fusionbench.runner.tasks import key_options
from fusionbench.store import ResultStore, score_key, value_key

RNG = np.random.default_rng(7)
KW = dict(executor="inline", progress=False, backend="numpy")


@pytest.fixture
def ds(tmp_path):
    d = tmp_path / "ds"
    for kind in ("ir", "vi"):
        (d / kind).mkdir(parents=True)
        for stem in ("a", "b", "c"):
            Image.fromarray(RNG.integers(0, 256, (40, 48), dtype=np.uint8)).save(d / kind / f"{stem}.png")
    return d


def test_every_metric_reads_the_pipeline_options_and_its_card_parameters():
    for name, m in REGISTRY.items():
        assert set(m.reads) == set(PIPELINE_OPTIONS) | set(m.card.parameters), name
        assert set(m.reads) <= set(PROFILES["cddfuse"].options), name


def test_an_option_no_metric_reads_does_not_change_en_key():
    opts = dict(PROFILES["cddfuse"].options)
    added = opts | {"some_future_option": "x"}  # a new profile option that EN does not read
    assert key_options(["EN"], added) == key_options(["EN"], opts)
    assert metric_options("EN", added) == metric_options("EN", opts)


def test_ssim_data_range_changes_ssim_key_but_not_en_key():
    opts = dict(PROFILES["cddfuse"].options)
    other = opts | {"ssim_data_range": 255}
    before, after = key_options(["EN", "SSIM"], opts), key_options(["EN", "SSIM"], other)
    assert before["EN"] == after["EN"] and before["SSIM"] != after["SSIM"]
    keys = {k: {m: value_key("digest", m, t[m], "2", "fp64") for m in t} for k, t in (("a", before), ("b", after))}
    assert keys["a"]["EN"] == keys["b"]["EN"] and keys["a"]["SSIM"] != keys["b"]["SSIM"]
    # the old scheme is never produced: its values are not reused
    assert score_key("digest", "cddfuse", "{}", "2", "EN", "fp64") not in keys["a"].values()


def test_runner_reuses_what_an_option_does_not_touch(ds, tmp_path):
    store = tmp_path / "s.sqlite"
    first = evaluate([ds], ["average"], metrics=["EN", "SSIM"], store=store, **KW)
    assert (first.computed, first.reused) == (6, 0)
    second = evaluate([ds], ["average"], metrics=["EN", "SSIM"], store=store, ssim_data_range=255, **KW)
    assert (second.computed, second.reused) == (3, 3)  # SSIM recomputed, EN reused
    keys = {r: {(x["image"], x["metric"]): x["key"] for x in res.records} for r, res in (("1", first), ("2", second))}
    for image in ("a", "b", "c"):
        assert keys["1"][image, "EN"] == keys["2"][image, "EN"]
        assert keys["1"][image, "SSIM"] != keys["2"][image, "SSIM"]
    en = {(x["image"]): x["value"] for x in first.records if x["metric"] == "EN"}
    assert all(x["value"] == en[x["image"]] for x in second.records if x["metric"] == "EN")
    # a profile that reads EN the same way (same gray conversion and quantisation) reuses it too
    third = evaluate([ds], ["average"], metrics=["EN"], store=store, profile="tang2023", gray="opencv",
                     fused_quantize="round_even", **KW)
    assert (third.computed, third.reused) == (0, 3)
    # the store still shows each run's values under its own profile and options
    table = build_table(store, metrics=["EN"])
    assert len(table.groups) == 3
    for group, _ in table.groups:
        cell = table.cell("average", group, "EN")
        assert cell.n == 3 and cell.mean == pytest.approx(np.mean(list(en.values())), rel=1e-12)
    with ResultStore(store) as st:
        df = st.frame()
    assert len(df) == 3 * 2 + 3 * 2 + 3  # one row per run, image and metric
    assert sorted(set(df.profile)) == ["cddfuse", "cddfuse+overrides", "tang2023+overrides"]


def test_old_store_keeps_its_rows_and_never_reuses_them(ds, tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as con:  # a store as the first key scheme left it
        con.execute("CREATE TABLE scores (key TEXT PRIMARY KEY, metric TEXT NOT NULL, value REAL, profile TEXT "
                    "NOT NULL, options TEXT NOT NULL, metric_version TEXT NOT NULL, pixel_digest TEXT NOT NULL, "
                    "backend TEXT, fusionbench_version TEXT, git_hash TEXT, created TEXT, backend_class TEXT)")
        con.execute("CREATE TABLE labels (dataset TEXT NOT NULL, method TEXT NOT NULL, image TEXT NOT NULL, "
                    "key TEXT NOT NULL, locator TEXT NOT NULL, created TEXT, weights TEXT, "
                    "PRIMARY KEY (dataset, method, image, key))")
        for image in ("a", "b", "c"):  # a wrong value under an old key: must never come back
            con.execute("INSERT INTO scores VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        (f"old-{image}", "EN", -1.0, "cddfuse", "{}", "2", "d", "numpy", "0", None, "t", "fp64"))
            con.execute("INSERT INTO labels VALUES ('ds','average',?,?,'l','t',NULL)", (image, f"old-{image}"))
    res = evaluate([ds], ["average"], metrics=["EN"], store=path, **KW)
    assert (res.computed, res.reused) == (3, 0)
    assert all(r["value"] > 0 for r in res.records)
    with ResultStore(path) as st:
        pk = {row[1]: row[5] for row in st.conn.execute("PRAGMA table_info(labels)")}
        df = st.frame()
    assert pk["locator"] > 0  # upgraded on open
    assert sorted(df.value.tolist())[:3] == [-1.0, -1.0, -1.0]  # old rows kept, shown as they were
    assert len(df) == 6
