"""`fusionbench evaluate` end to end: bundled sample, the 42 TNO pairs, resume after a kill, executors."""

import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import find_data, reference

from fusionbench.cli import main
from fusionbench.methods import FusedFolder
from fusionbench.runner import evaluate

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FUSIONBENCH_SHARED", REPO.parent / "shared"))
# ../shared (CI), else a fetched or mirrored copy (`fusionbench datasets fetch tno42 vifb`)
TNO = find_data("data", "tno42") or SHARED / "data" / "tno42"
SEA = TNO / "fused" / "SeAFusion"
needs_tno = pytest.mark.skipif(not SEA.is_dir(), reason="shared data not available")


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.delenv("FUSIONBENCH_DATA", raising=False)
    monkeypatch.setenv("FUSIONBENCH_NO_PROGRESS", "1")


def _counts(err):
    m = re.search(r"computed (\d+) values, reused (\d+)", err)
    return int(m.group(1)), int(m.group(2))


def test_average_on_bundled_sample(tmp_path, capsys):
    out = tmp_path / "msrs.csv"
    rc = main(["evaluate", "--method", "average", "--dataset", "msrs", "--store", str(tmp_path / "s.sqlite"),
               "--out", str(out)])
    cap = capsys.readouterr()
    assert rc == 0
    assert "BUNDLED SAMPLE" in cap.err and "msrs-sample/test" in cap.out
    df = pd.read_csv(out)
    assert len(df) == 2 * 10 and set(df.image.astype(str)) == {"00537D", "00858N"}
    assert list(df.columns[:6]) == ["dataset", "method", "image", "profile", "metric", "value"]
    assert df.value.notna().all() and (df.dataset == "msrs-sample/test").all()
    assert _counts(cap.err) == (20, 0)


def test_several_methods_side_by_side(tmp_path, capsys):
    rc = main(["evaluate", "--method", "average", "--method", "max", "--method", "laplacian", "--method", "gff",
               "--dataset", "vifb", "--dataset", "roadscene", "--metrics", "EN,SF,Qabf", "--store",
               str(tmp_path / "s.sqlite"), "--summary-out", str(tmp_path / "sum.json"), "--out",
               str(tmp_path / "r.parquet")])
    out = capsys.readouterr().out
    assert rc == 0
    for ds in ("vifb-sample", "roadscene-sample"):
        block = out.split(ds)[1]
        for m in ("average", "max", "laplacian", "gff"):
            assert m in block
    summary = pd.read_json(tmp_path / "sum.json")
    assert len(summary) == 2 * 4 * 3 and (summary.n == 4).all()
    per_image = pd.read_parquet(tmp_path / "r.parquet")
    assert len(per_image) == 2 * 4 * 4 * 3
    check = per_image.groupby(["dataset", "method", "metric"], sort=False).value.mean().reset_index()
    merged = summary.merge(check, on=["dataset", "method", "metric"])
    assert (abs(merged["mean"] - merged["value"]) < 1e-12).all()


@needs_tno
def test_tno42_fused_folder_rows_and_reuse(tmp_path, capsys):
    out, store = tmp_path / "x.csv", str(tmp_path / "s.sqlite")
    args = ["evaluate", "--fused", str(SEA), "--dataset", str(TNO), "--metrics", "EN,SD,SF", "--store", store,
            "--out", str(out)]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert _counts(err) == (126, 0)
    df = pd.read_csv(out, dtype={"image": str})
    assert len(df) == 42 * 3 and list(df.image.unique()) == [f"{i:02d}" for i in range(1, 43)]
    assert set(df.method) == {"SeAFusion"} and set(df.metric) == {"EN", "SD", "SF"}
    assert main(args) == 0  # second run: everything comes from the store, same file
    assert _counts(capsys.readouterr().err) == (0, 126)
    assert pd.read_csv(out, dtype={"image": str}).equals(df)


def _stored_pairs(path):
    if not Path(path).exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as con:
            return con.execute("SELECT COUNT(DISTINCT image) FROM labels").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0


@needs_tno
def test_killed_run_resumes_with_the_rest(tmp_path, capsys):
    store = tmp_path / "s.sqlite"
    args = ["evaluate", "--fused", str(SEA), "--dataset", str(TNO), "--metrics", "VIF,SD", "--store", str(store),
            "--executor", "inline", "--no-progress"]
    cmd = [sys.executable, "-m", "fusionbench"] + args
    env = dict(os.environ, PYTHONPATH=str(REPO), NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while proc.poll() is None and time.time() < deadline:
        if _stored_pairs(store) >= 6:
            proc.kill()
            break
        time.sleep(0.05)
    proc.wait()
    assert proc.returncode != 0, "the run finished before it could be killed"
    done = _stored_pairs(store)
    assert 6 <= done < 42
    rc = main(args + ["--out", str(tmp_path / "x.csv")])
    assert rc == 0
    assert _counts(capsys.readouterr().err) == (2 * (42 - done), 2 * done)
    assert len(pd.read_csv(tmp_path / "x.csv")) == 84


@needs_tno
def test_interrupted_run_keeps_finished_pairs(tmp_path):
    store = tmp_path / "s.sqlite"

    def stop(n):
        if n == 5:
            raise KeyboardInterrupt

    kw = dict(metrics=["EN", "AG"], store=store, executor="inline", progress=False)
    with pytest.raises(KeyboardInterrupt):
        evaluate([TNO], [FusedFolder(SEA)], on_result=stop, **kw)
    res = evaluate([TNO], [FusedFolder(SEA)], **kw)
    assert (res.computed, res.reused) == (2 * 37, 2 * 5) and res.complete


@needs_tno
def test_local_pool_and_dask_give_identical_csv(tmp_path):
    pytest.importorskip("distributed")
    subset = tmp_path / "subset.txt"
    subset.write_text("\n".join(["03", "08", "12", "17", "35", "36"]))
    base = ["evaluate", "--fused", str(SEA), "--method", "average", "--dataset", str(TNO), "--subset",
            str(subset), "--metrics", "EN,SD,SF,AG,MI,Qabf", "--jobs", "2"]
    outs = {}
    for ex in ("inline", "local", "dask"):
        outs[ex] = tmp_path / f"{ex}.csv"
        rc = main(base + ["--executor", ex, "--store", str(tmp_path / f"{ex}.sqlite"), "--out", str(outs[ex])])
        assert rc == 0
    text = outs["inline"].read_bytes()
    assert len(text.splitlines()) == 1 + 6 * 2 * 6
    assert outs["local"].read_bytes() == text
    assert outs["dask"].read_bytes() == text


def test_dask_scheduler_address(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        address = cluster.scheduler_address.replace("tcp://", "dask://")
        kw = dict(metrics=["EN", "SF"], store=":memory:", progress=False)
        res = evaluate(["tno"], ["average", "laplacian"], executor=address, **kw)
    ref = evaluate(["tno"], ["average", "laplacian"], executor="inline", **kw)
    assert res.frame().equals(ref.frame()) and len(ref.records) == 2 * 4 * 2


VIFB = find_data("data", "vifb") or SHARED / "data" / "vifb"
VIFB_NAMES = {"Entropy": "EN", "Variance": "SD", "Spatial_frequency": "SF", "Qabf": "Qabf"}


@pytest.mark.skipif(not (VIFB / "fused").is_dir(), reason="shared data not available")
def test_vifb_fused_folder_reproduces_published_values(tmp_path):
    """End to end: VIFB's shared fused folder, profile vifb, against VIFB's MATLAB values (5 digits)."""
    out = tmp_path / "v.csv"
    rc = main(["evaluate", "--fused", str(VIFB / "fused"), "--name", "ADF", "--dataset", "vifb", "--data-root",
               str(VIFB.parent), "--profile", "vifb", "--metrics", "EN,SD,SF,Qabf", "--subset",
               str(_subset(tmp_path, ["carLight", "kettle", "manWalking", "walking2", "snow"])),
               "--store", str(tmp_path / "s.sqlite"), "--out", str(out)])
    assert rc == 0
    ours = pd.read_csv(out)
    pub = pd.read_csv(reference("vifb_per_image.csv"))
    pub = pub[(pub.method == "ADF") & pub.metric.isin(list(VIFB_NAMES))].assign(
        metric=lambda d: d.metric.map(VIFB_NAMES))
    merged = ours.merge(pub, on=["image", "metric"], suffixes=("", "_pub"))
    assert len(merged) == len(ours) == 5 * 4
    rel = (merged.value - merged.value_pub).abs() / merged.value_pub.abs()
    assert rel.max() < 5e-5, merged[rel >= 5e-5]


def _subset(tmp_path, names):
    path = tmp_path / "subset.txt"
    path.write_text("\n".join(names))
    return path
