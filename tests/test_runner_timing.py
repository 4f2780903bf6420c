"""The runner's timing instrumentation: ``RunResult.extra["timing"]`` (decode / fuse / score seconds, scoring
CPU, result-store writes, each worker's peak resident memory), as ``benchmarks/bench_dataset.py`` reads it."""

import os
import resource

import pytest

from fusionbench.runner import evaluate

KEYS = {"decode_s", "fuse_s", "score_s", "score_cpu_s", "total_s", "store_s", "worker_peak_rss_kb"}


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.delenv("FUSIONBENCH_DATA", raising=False)
    monkeypatch.setenv("FUSIONBENCH_NO_PROGRESS", "1")


def test_timing_of_a_two_pair_run(tmp_path):
    store = tmp_path / "s.sqlite"
    res = evaluate(["msrs"], ["average"], metrics=["EN", "SD", "AG"], jobs=1, store=store, progress=False)
    assert res.complete and res.computed == 2 * 3
    t = res.extra["timing"]
    assert set(t) == KEYS
    for k in KEYS - {"worker_peak_rss_kb"}:
        assert isinstance(t[k], float) and t[k] >= 0, k
    # each phase took some time; phases are parts of the pairs' total (store writes happen outside it)
    assert t["decode_s"] > 0 and t["fuse_s"] > 0 and t["score_s"] > 0 and t["store_s"] > 0
    assert t["decode_s"] + t["fuse_s"] + t["score_s"] <= t["total_s"] * 1.001 + 1e-6
    assert t["score_cpu_s"] > 0
    # one job runs inline: the only worker is this process, its peak RSS in KiB as getrusage gives it
    rss = t["worker_peak_rss_kb"]
    assert list(rss) == [os.getpid()]
    assert 10_000 < rss[os.getpid()] <= resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    # the same run again reuses every value and fused image: nothing is scored
    again = evaluate(["msrs"], ["average"], metrics=["EN", "SD", "AG"], jobs=1, store=store, progress=False)
    assert again.reused == 2 * 3 and again.computed == 0
    assert again.extra["timing"]["score_s"] == 0.0 and again.extra["timing"]["score_cpu_s"] == 0.0
