"""Fused images cached in the result store: a rerun fuses nothing; weights, code, options or sources
changed fuse again; stored rows carry the weights digest."""

import shutil
import sqlite3

import numpy as np
import pytest
from PIL import Image

import fusionbench.methods.registry as registry
from fusionbench.datasets import SAMPLE_ROOT
from fusionbench.methods.baselines import Average
from fusionbench.runner import evaluate, tasks
from fusionbench.store import ResultStore
from fusionbench.store.fused import fused_key

KW = dict(metrics=["EN", "SD", "SF"], executor="inline", progress=False)


class Counting(Average):
    """``average`` that counts its calls and reports a settable weights digest."""

    calls = 0
    digest = "sha-a"

    def fuse(self, ir_y, vi_y):
        type(self).calls += 1
        return super().fuse(ir_y, vi_y)

    @property
    def weights_digest(self):
        return type(self).digest


@pytest.fixture
def counting(monkeypatch):
    monkeypatch.setenv("FUSIONBENCH_NO_PROGRESS", "1")
    monkeypatch.delenv("FUSIONBENCH_DATA", raising=False)
    monkeypatch.setattr(registry, "get_method", lambda name, **kw: Counting())
    monkeypatch.setattr(tasks, "_CACHE", {})  # no method built by an earlier test
    Counting.calls, Counting.digest = 0, "sha-a"
    return Counting


def test_second_run_fuses_nothing_and_gives_identical_values(tmp_path, counting):
    store = tmp_path / "s.sqlite"
    first = evaluate(["msrs"], ["average"], store=store, **KW)
    assert counting.calls == 2 and (first.fused, first.fused_reused) == (2, 0)
    counting.calls = 0
    second = evaluate(["msrs"], ["average"], store=store, **KW)
    assert counting.calls == 0 and (second.fused, second.fused_reused) == (0, 2)
    assert second.frame().equals(first.frame())
    # a metric not scored before is computed from the cached image: still no fusing, same value
    third = evaluate(["msrs"], ["average"], store=store, **dict(KW, metrics=["EN", "AG"]))
    assert counting.calls == 0 and (third.computed, third.reused) == (2, 2)
    fresh = evaluate(["msrs"], ["average"], store=":memory:", **dict(KW, metrics=["AG"]))
    assert counting.calls == 2
    np.testing.assert_array_equal(third.frame().query("metric == 'AG'").value, fresh.frame().value)


def test_rows_carry_the_weights_digest(tmp_path, counting):
    store = tmp_path / "s.sqlite"
    res = evaluate(["msrs"], ["average"], store=store, **KW)
    assert {r["weights"] for r in res.records} == {"sha-a"}
    with ResultStore(store) as st:
        df = st.frame()
    assert len(df) == 6 and (df.weights == "sha-a").all()


def test_changed_weights_or_sources_fuse_again(tmp_path, counting):
    data = tmp_path / "msrs"
    shutil.copytree(SAMPLE_ROOT / "msrs" / "test", data)
    store = tmp_path / "s.sqlite"
    evaluate([data], ["average"], store=store, **KW)
    counting.calls, counting.digest = 0, "sha-b"  # other weights: every pair fused again
    res = evaluate([data], ["average"], store=store, **KW)
    assert counting.calls == 2 and res.fused == 2
    counting.calls = 0
    vi = data / "vi" / "00537D.png"
    arr = np.asarray(Image.open(vi)).copy()
    arr[0, 0, 0] ^= 1
    Image.fromarray(arr).save(vi)  # one source changed: that pair only
    res = evaluate([data], ["average"], store=store, **KW)
    assert counting.calls == 1 and (res.fused, res.fused_reused) == (1, 1)


def test_no_cache_without_a_file_store_or_when_turned_off(tmp_path, counting):
    for kw in (dict(store=":memory:"), dict(store=tmp_path / "s.sqlite", fused_cache=False)):
        counting.calls = 0
        evaluate(["msrs"], ["average"], **kw, **KW)
        evaluate(["msrs"], ["average"], **kw, **KW)
        assert counting.calls == 4
    with sqlite3.connect(tmp_path / "s.sqlite") as con:
        assert con.execute("SELECT COUNT(*) FROM fused").fetchone()[0] == 0


def test_process_pool_workers_reuse_the_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("FUSIONBENCH_DATA", raising=False)
    kw = dict(KW, executor="local", jobs=2, store=tmp_path / "s.sqlite")
    first = evaluate(["msrs"], ["average", "gff"], **kw)
    second = evaluate(["msrs"], ["average", "gff"], **dict(kw, metrics=["EN", "SD", "SF", "MI"]))
    assert (first.fused, second.fused, second.fused_reused) == (4, 0, 4)
    assert second.frame().query("metric != 'MI'").reset_index(drop=True).equals(first.frame())


def test_fused_key_covers_what_made_the_image():
    from fusionbench.methods.baselines import LaplacianPyramid
    base = fused_key(LaplacianPyramid(), "src")
    assert base == fused_key(LaplacianPyramid(), "src")
    assert base != fused_key(LaplacianPyramid(levels=5), "src")  # options
    assert base != fused_key(LaplacianPyramid(), "other")  # sources
    class Changed(LaplacianPyramid):
        version = "2"  # code

    class Unknown(Average):
        weights_digest = None

    assert base != fused_key(Changed(), "src")
    assert base != fused_key(Average(), "src")  # method
    assert fused_key(Unknown(), "src") is None  # weights unknown: never cached


def test_network_weights_digest_is_the_file_sha256():
    from fusionbench.methods import get_method
    from fusionbench.train.weights import WEIGHTS_DIR, file_digest
    method = get_method("msfe", device="cpu")
    assert method.weights_digest == file_digest(WEIGHTS_DIR / "msfe.safetensors")
    assert len(method.version) == 16 and method.options()["config"] == "small"


def test_store_made_before_the_weights_column_is_upgraded(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE labels (dataset TEXT NOT NULL, method TEXT NOT NULL, image TEXT NOT NULL, "
                    "key TEXT NOT NULL, locator TEXT NOT NULL, created TEXT, "
                    "PRIMARY KEY (dataset, method, image, key))")
    with ResultStore(path) as st:
        cols = [row[1] for row in st.conn.execute("PRAGMA table_info(labels)")]
        tables = {row[0] for row in st.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert cols[-4:] == ["weights", "source_digest", "profile", "options"] and "fused" in tables
