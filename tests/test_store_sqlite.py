"""Result store: content-hash keys, provenance, concurrent writers, exports and aggregates."""

import math
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fusionbench import __version__
from fusionbench.datasets import SAMPLE_ROOT
from fusionbench.runner import evaluate
from fusionbench.store import ResultStore, aggregate, long_frame, score_key, write_frame

REPO = Path(__file__).resolve().parents[1]
KW = dict(metrics=["EN", "SD", "SF"], executor="inline", progress=False)


@pytest.fixture
def vifb(tmp_path):
    dst = tmp_path / "vifb"
    shutil.copytree(SAMPLE_ROOT / "vifb", dst)
    return dst


def test_rows_carry_provenance(vifb, tmp_path):
    res = evaluate([vifb], ["average"], store=tmp_path / "s.sqlite", **KW)
    with ResultStore(tmp_path / "s.sqlite") as st:
        df = st.frame()
        mode = st.conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert len(df) == 4 * 3 == len(res.records)
    from fusionbench.backends import get_backend
    resolved = get_backend("auto").name  # the default backend, as resolved here (numba without a GPU)
    assert (df.fusionbench_version == __version__).all() and (df.backend == resolved).all()
    assert df.created.str.match(r"\d{4}-\d\d-\d\dT").all()
    if (REPO / ".git").exists():
        assert df.git_hash.str.fullmatch(r"[0-9a-f]{40}").all()
    assert sorted(df.key) == sorted(r["key"] for r in res.records)


def test_key_depends_on_pixels_profile_and_options(vifb, tmp_path):
    store = tmp_path / "s.sqlite"
    first = evaluate([vifb], ["average"], store=store, **KW)
    assert (first.computed, first.reused) == (12, 0)
    assert evaluate([vifb], ["average"], store=store, **KW).computed == 0
    again = evaluate([vifb], ["average"], store=store, sf_norm="MN", **KW)  # an option only SF reads
    assert (again.computed, again.reused) == (4, 8)
    assert evaluate([vifb], ["average"], store=store, profile="tang2023", **KW).computed == 12  # profile
    # change the pixels of one source image: only that pair is recomputed
    p = vifb / "input" / "VI" / "kettle.jpg"
    arr = np.asarray(Image.open(p)).copy()
    arr[0, 0] ^= 1
    Image.fromarray(arr).save(p.with_suffix(".png"))
    p.unlink()
    res = evaluate([vifb], ["average"], store=store, **KW)
    assert (res.computed, res.reused) == (3, 9)
    assert score_key("d", "p", "{}", "1", "EN", "fp64") != score_key("d", "p", "{}", "2", "EN", "fp64")  # version


def test_two_concurrent_runs_share_a_store(tmp_path):
    store = tmp_path / "s.sqlite"
    cmd = [sys.executable, "-m", "fusionbench", "evaluate", "--method", "average", "--method", "max",
           "--dataset", "roadscene", "--dataset", "vifb", "--metrics", "EN,SD,SF,AG", "--store", str(store),
           "--executor", "inline", "--no-progress"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("FUSIONBENCH_DATA", None)
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    with ResultStore(store) as st:
        df = st.frame()
    assert len(df) == 2 * 2 * 4 * 4  # no duplicates
    assert not df.duplicated(["dataset", "method", "image", "metric"]).any()


def test_exports_round_trip_and_aggregates(vifb, tmp_path):
    res = evaluate([vifb], ["average", "max"], store=":memory:", **KW)
    df = res.frame()
    for ext in ("csv", "json", "parquet"):
        read = {"csv": pd.read_csv,
                "json": lambda p: pd.read_json(p, precise_float=True), "parquet": pd.read_parquet}[ext]
        back = read(write_frame(df, tmp_path / f"r.{ext}"))
        assert len(back) == len(df) and list(back.columns) == list(df.columns)
        np.testing.assert_array_equal(back.value.to_numpy(), df.value.to_numpy())  # exact floats
    agg = res.summary()
    assert list(agg.columns) == ["dataset", "method", "profile", "metric", "mean", "std", "n", "n_nan"]
    for row in agg.itertuples():
        vals = df[(df.method == row.method) & (df.metric == row.metric)].value.to_numpy()
        assert row.n == 4 and math.isclose(row.mean, vals.mean(), rel_tol=1e-13)
        assert math.isclose(row.std, vals.std(ddof=1), rel_tol=1e-12)
    assert list(agg.method.unique()) == ["average", "max"]  # run order, not alphabetical


def test_nan_values_survive_the_store(tmp_path):
    rec = dict(dataset="d", method="m", image="i", profile="p", metric="VIF", value=float("nan"), key="k",
               locator="l", options="{}", metric_version="1", pixel_digest="x", backend="numpy",
               fusionbench_version="0", git_hash=None, created="now")
    with ResultStore(tmp_path / "s.sqlite") as st:
        st.add([rec])
        row = st.known(["l"])["l"]["k"]
    assert math.isnan(row["value"])
    agg = aggregate(long_frame([rec, dict(rec, image="j", key="k2", value=2.0)]))
    assert agg.loc[0, "mean"] == 2.0 and agg.loc[0, "n"] == 1 and agg.loc[0, "n_nan"] == 1


def test_report_reads_the_store(vifb, tmp_path):
    results = pytest.importorskip("fusionbench.report.results")
    evaluate([vifb], ["average"], store=tmp_path / "s.sqlite", **KW)
    df = results.load_results(tmp_path / "s.sqlite")
    assert len(df) == 12 and set(df.metric) == {"EN", "SD", "SF"}


def test_default_store_location(monkeypatch, tmp_path):
    from fusionbench.store import default_path
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_path() == tmp_path / "fusionbench" / "results.sqlite"


def test_retry_locked_waits_out_busy_errors_and_only_those():
    from fusionbench.store.sqlite import retry_locked

    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise sqlite3.OperationalError("database is locked")
        return "ok"

    assert retry_locked(flaky, 5.0, first_delay=0.001) == "ok" and len(calls) == 3

    def broken():
        raise sqlite3.OperationalError("no such table: scores")

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        retry_locked(broken, 5.0)

    def always_locked():
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(sqlite3.OperationalError, match="locked"):
        retry_locked(always_locked, 0.05, first_delay=0.001)


def test_many_processes_open_one_new_store_at_once(tmp_path):
    """The CI failure this guards: a second `evaluate` opening a store that the first was still
    creating got "database is locked" from PRAGMA journal_mode = WAL."""
    path = tmp_path / "s.sqlite"
    code = ("import sys, time\nt0 = float(sys.argv[2])\nwhile time.time() < t0: pass\n"
            "from fusionbench.store.sqlite import ResultStore\n"
            "for _ in range(10):\n    ResultStore(sys.argv[1], timeout=30).close()\n")
    t0 = time.time() + 2.0
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), str(t0)], env=env,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    errs = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errs
