"""First-run benchmark: time to the first score of a fresh process, cold (empty Numba kernel cache, as
right after ``pip install``) and warm (kernels cached on disk).

Each measurement is a new Python process started from this script; the reported time runs from the
process start to the first score (``compute``) or to the command's exit (``score``, ``evaluate``), so
it includes interpreter start-up and every import.
Three workloads:

* ``compute``: ``fusionbench.compute`` of the ten ``cddfuse`` metrics on one 480x640 MSRS pair of the
  bundled sample (``--metrics`` to choose others);
* ``score``: the same through the ``fusionbench score`` command;
* ``evaluate``: ``fusionbench evaluate --method average --dataset msrs`` (the bundled sample, 2 pairs)
  into a temporary store, one job.

The cold runs use a new, empty ``NUMBA_CACHE_DIR`` each; the warm runs reuse the cache the cold run
filled. Goals (issue #14): cold <= 10 s, warm <= 1 s for the first score. Writes JSON to
``benchmarks/results/cold_start_<time>.json`` and ``cold_start_latest.json``.

Usage::

    python benchmarks/bench_cold_start.py                 # 3 cold + 5 warm runs per workload
    python benchmarks/bench_cold_start.py --cold 1 --warm 3 --workloads compute
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SAMPLE = REPO / "fusionbench" / "datasets" / "sample" / "msrs" / "test"
PAIR = "00537D.png"

COMPUTE = """
import time, sys
t0 = float(sys.argv[1])
import fusionbench as fb
r = fb.compute(sys.argv[2], sys.argv[3], sys.argv[4], backend="numba", **({{"metrics": sys.argv[5].split(",")}}
               if sys.argv[5] else {{}}))
print(f"FIRST_SCORE {{time.time() - t0:.4f}}", flush=True)
"""


def _args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cold", type=int, default=3, help="cold runs per workload (each with an empty cache)")
    p.add_argument("--warm", type=int, default=5, help="warm runs per workload")
    p.add_argument("--workloads", default="compute,score,evaluate")
    p.add_argument("--metrics", default="", help="comma-separated metrics (default: the profile's ten)")
    p.add_argument("--threads", type=int, default=1, help="NUMBA_NUM_THREADS / OMP_NUM_THREADS")
    p.add_argument("--out", default=str(HERE / "results"))
    return p.parse_args(argv)


def _command(workload, metrics, tmp):
    fused = ir = str(SAMPLE / "ir" / PAIR)
    vi = str(SAMPLE / "vi" / PAIR)
    if workload == "compute":
        return [sys.executable, "-c", COMPUTE.format(), "{t0}", fused, ir, vi, metrics]
    cli = [sys.executable, "-m", "fusionbench"]
    extra = ["--metrics", metrics] if metrics else []
    if workload == "score":
        return cli + ["score", "--fused", fused, "--ir", ir, "--vi", vi, "--backend", "numba"] + extra
    if workload == "evaluate":
        return cli + ["evaluate", "--method", "average", "--dataset", "msrs", "--backend", "numba", "--jobs", "1",
                      "--store", str(Path(tmp) / "store.sqlite"), "--no-progress"] + extra
    raise SystemExit(f"unknown workload {workload!r}")


def _run_once(workload, metrics, cache_dir, threads):
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, NUMBA_NUM_THREADS=str(threads),
                   OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        env.pop("FUSIONBENCH_DATA", None)  # evaluate uses the bundled sample
        t0 = time.time()
        cmd = [c.replace("{t0}", repr(t0)) for c in _command(workload, metrics, tmp)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp)
        wall = time.time() - t0
    if out.returncode != 0:
        raise SystemExit(f"{workload} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    first = [float(line.split()[1]) for line in out.stdout.splitlines() if line.startswith("FIRST_SCORE")]
    return {"first_score_s": first[0] if first else wall, "process_s": wall,
            "compile_notice": "compiling Numba kernels" in out.stderr}


def main(args):
    report = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "host": platform.node(),
              "cpu": platform.processor() or platform.machine(), "python": platform.python_version(),
              "threads": args.threads, "metrics": args.metrics or "profile default", "pair": f"msrs/test/{PAIR}",
              "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None, "workloads": {}}
    for workload in args.workloads.split(","):
        cold, warm = [], []
        for _ in range(args.cold):
            with tempfile.TemporaryDirectory() as cache:
                cold.append(_run_once(workload, args.metrics, os.path.join(cache, "numba"), args.threads))
                if not warm:  # warm runs reuse the cache the first cold run filled
                    for _ in range(args.warm):
                        warm.append(_run_once(workload, args.metrics, os.path.join(cache, "numba"),
                                              args.threads))
        entry = {}
        for label, runs in (("cold", cold), ("warm", warm)):
            times = [r["first_score_s"] for r in runs]
            entry[label] = {"median_s": statistics.median(times) if times else None, "runs_s": times,
                            "compile_notice_seen": [r["compile_notice"] for r in runs]}
        report["workloads"][workload] = entry
        print(f"{workload:9s} cold median {entry['cold']['median_s']:.2f} s   warm median "
              f"{entry['warm']['median_s']:.2f} s   (goal: cold <= 10 s, warm <= 1 s)", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2)
    (out / f"cold_start_{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(text)
    (out / "cold_start_latest.json").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(_args()))
