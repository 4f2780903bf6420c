"""Whole-dataset benchmark: ``fusionbench evaluate --fused DIR`` scoring over RoadScene's pairs.

Times what ``fusionbench evaluate --dataset ../shared/data/roadscene --fused DIR`` does, through
the library (``fusionbench.runner.evaluate``, the function the command calls): a folder of fused
images (averaging fusion, written once before the timing as PNG) scored with the ten ``cddfuse``
metrics on ``--jobs`` worker processes into a fresh SQLite result store.

Reported (issue #16, point 3):

* wall-clock seconds of the whole ``evaluate`` call (worker start included);
* per phase, summed over the pairs (``RunResult.extra["timing"]``, from each worker): decoding
  (sources and fused files, with their digests), scoring (planes + metrics) and its CPU time, and
  the result-store writes (in the main process);
* ``wall / (scoring CPU seconds / cores)``: 1.0 means every core did nothing but score
  (goal <= 1.3);
* each worker's peak resident memory (``ru_maxrss``).

Prints a summary and writes JSON to ``benchmarks/results/dataset_<stamp>.json``.

Usage::

    python benchmarks/bench_dataset.py                   # all 221 pairs, one worker per core
    nice -n 19 python benchmarks/bench_dataset.py --pairs 5 --jobs 2   # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))


def _args(argv=None):
    from fusionbench.runner.executors import default_jobs
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "roadscene"),
                   help="dataset folder with ir/ and vi/ (default: ../shared/data/roadscene)")
    p.add_argument("--pairs", type=int, default=0, help="score only the first N pairs (default: all)")
    p.add_argument("--jobs", type=int, default=default_jobs(), help="worker processes (default: cores)")
    p.add_argument("--executor", default="local", help="local (default), inline, dask")
    p.add_argument("--backend", default="auto")
    p.add_argument("--profile", default="cddfuse")
    p.add_argument("--out", default=str(HERE / "results"))
    return p.parse_args(argv)


def _fused_folder(ds, folder: Path) -> float:
    """Write the averaging fusion of every pair as PNG into ``folder``; seconds taken."""
    from fusionbench.imageio import read_image, write_image
    from fusionbench.methods.registry import get_method
    t0 = time.perf_counter()
    method = get_method("average")
    for pair in ds.pairs:
        write_image(folder / f"{pair.name}.png", method.fuse_images(read_image(pair.ir), read_image(pair.vi)))
    return time.perf_counter() - t0


def main(argv=None) -> dict:
    a = _args(argv)
    from fusionbench.datasets.resolve import resolve_dataset
    from fusionbench.methods.external import FusedFolder
    from fusionbench.runner import evaluate

    with tempfile.TemporaryDirectory(prefix="fb_bench_dataset_") as tmp:
        tmp = Path(tmp)
        subset = None
        if a.pairs:
            stems = sorted(resolve_dataset(a.data).pairs, key=lambda p: p.name)[:a.pairs]
            subset = tmp / "subset.txt"
            subset.write_text("\n".join(p.name for p in stems) + "\n")
        ds = resolve_dataset(a.data, subset=None if subset is None else str(subset))
        fused_dir = tmp / "fused"
        fused_dir.mkdir()
        fuse_s = _fused_folder(ds, fused_dir)
        store = tmp / "results.sqlite"
        t0, c0 = time.perf_counter(), time.process_time()
        res = evaluate([ds], [FusedFolder(str(fused_dir), name="average")], profile=a.profile,
                       backend=a.backend, executor=a.executor, jobs=a.jobs, store=str(store),
                       progress=False)
        wall = time.perf_counter() - t0
        main_cpu = time.process_time() - c0
    if res.problems:
        raise SystemExit("problems: " + "; ".join(map(str, res.problems[:5])))
    t = res.extra["timing"]
    n = len(ds.pairs)
    jobs = min(a.jobs, n) if a.executor != "inline" else 1
    rss = sorted(t["worker_peak_rss_kb"].values())
    out = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(), "load_average_before": os.getloadavg(), "dataset": str(a.data),
        "pairs": n, "metrics": list(res.metrics), "profile": a.profile, "backend": a.backend,
        "executor": a.executor, "jobs": jobs, "values": len(res.records),
        "fuse_folder_s (not timed below)": fuse_s,
        "wall_s": wall, "main_process_cpu_s": main_cpu,
        "decode_s": t["decode_s"], "score_s": t["score_s"], "score_cpu_s": t["score_cpu_s"],
        "store_write_s": t["store_s"], "worker_busy_s": t["total_s"],
        "wall_over_score_cpu_per_core": wall / (t["score_cpu_s"] / jobs) if t["score_cpu_s"] else None,
        "ms_per_pair_wall": 1e3 * wall / n, "score_cpu_ms_per_pair": 1e3 * t["score_cpu_s"] / n,
        "worker_peak_rss_mib": [round(k / 1024, 1) for k in rss],
    }
    print(f"{n} pairs of {a.data}, {a.profile} ({len(res.metrics)} metrics), {jobs} workers ({a.executor}), "
          f"backend {a.backend}")
    print(f"  wall {wall:.2f} s ({out['ms_per_pair_wall']:.1f} ms/pair); summed over workers: decode "
          f"{t['decode_s']:.2f} s, scoring {t['score_s']:.2f} s (CPU {t['score_cpu_s']:.2f} s), busy "
          f"{t['total_s']:.2f} s; store writes {t['store_s']:.2f} s (main process)")
    ratio = out["wall_over_score_cpu_per_core"]
    print(f"  wall / (scoring CPU / {jobs} cores) = {ratio:.2f}  (goal <= 1.3)" if ratio else "  no scoring")
    print(f"  peak RSS per worker: {', '.join(f'{m} MiB' for m in out['worker_peak_rss_mib'])}")
    Path(a.out).mkdir(parents=True, exist_ok=True)
    path = Path(a.out) / f"dataset_{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"  -> {path}")
    return out


if __name__ == "__main__":
    main()
