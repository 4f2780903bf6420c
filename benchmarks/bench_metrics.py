"""Metric benchmark: per metric and total, per backend, on a 480x640 (MSRS) and a 1024x1280
(LLVIP) pair of real images, cddfuse profile, ten default metrics.

Reported per backend: median over ``--repeats`` runs after one warm-up of
* each metric alone with an empty source cache ("first method" cost of that metric),
* all ten metrics with an empty source cache (first method on a pair),
* all ten metrics for a second fused image on the same pair (source intermediates cached),
and the ratios against the NumPy reference backend and the naive SciPy baseline
(``naive_scipy.py``, direct 2-D convolution as the reference evaluators do). Also measured:
the cold start of a fresh process (import + first numba score, compiled kernels from the cache)
and torch batch throughput in pairs/s. Prints tables and writes JSON to ``benchmarks/results/``.

Usage::

    python benchmarks/bench_metrics.py                # numba on 1 thread (NUMBA_NUM_THREADS=1)
    python benchmarks/bench_metrics.py --threads 2 --device cuda --quick
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="CPU threads for numba/torch (default 1)")
    p.add_argument("--repeats", type=int, default=7, help="timed repeats for the fast backends")
    p.add_argument("--slow-repeats", type=int, default=3, help="timed repeats for numpy / naive")
    p.add_argument("--backends", default="naive-scipy,numpy,numba,torch,torch-fp32")
    p.add_argument("--sizes", default="msrs,llvip")
    p.add_argument("--device", default="cpu", help="torch device (cpu or cuda)")
    p.add_argument("--batch", type=int, default=16, help="torch throughput batch size (480x640)")
    p.add_argument("--quick", action="store_true", help="1 repeat, no naive baseline at 1024x1280")
    p.add_argument("--cpu-time", action="store_true",
                   help="time with the scoring thread's CPU time instead of wall-clock (a fairer "
                        "single-core figure on an oversubscribed machine; only with --threads 1)")
    p.add_argument("--out", default=str(HERE / "results"))
    return p.parse_args(argv)


ARGS = _args() if __name__ == "__main__" else None
if ARGS is not None:  # thread counts must be fixed before numba / torch start their pools
    os.environ.setdefault("NUMBA_NUM_THREADS", str(ARGS.threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(ARGS.threads))
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

from fusionbench.metrics import DEFAULT_METRICS, PROFILES, prepare  # noqa: E402

SHARED = Path(os.environ.get("FUSIONBENCH_SHARED", REPO.parent / "shared"))
PAIRS = {
    "msrs": ("msrs_samples/test", "00537D.png"),
    "llvip": ("llvip_samples/test", "190001.jpg"),
}
OPTS = PROFILES["cddfuse"].options


def load_pair(which):
    """(F1, F2, A, B) float64 planes: average and maximum fusion of the real pair."""
    folder, name = PAIRS[which]
    ir, vi = SHARED / "data" / folder / "ir" / name, SHARED / "data" / folder / "vi" / name
    from fusionbench.imageio import read_image
    a, b = read_image(ir), read_image(vi)
    _, A, B = prepare(a, a, b, OPTS).channels[0]
    F1 = np.round((A + B) / 2)
    F2 = np.maximum(A, B)
    return F1, F2, A, B


def make_backend(name, device):
    if name == "naive-scipy":
        from naive_scipy import NaiveScipyBackend
        return NaiveScipyBackend()
    from fusionbench.backends import get_backend
    if name.startswith("torch"):
        return get_backend(name, device)
    return get_backend(name)


def clear(be):
    for attr in ("cache", "_cache"):
        c = getattr(be, attr, None)
        if c is not None:
            c.clear()


def sync(device):
    if device.startswith("cuda"):
        import torch
        torch.cuda.synchronize()


CLOCK = time.perf_counter  # --cpu-time switches to time.thread_time (see main)


def timed(fn, repeats, device="cpu", before=None):
    fn() if before is None else (before(), fn())  # warm-up
    sync(device)
    ts = []
    for _ in range(repeats):
        if before is not None:
            before()
        t0 = CLOCK()
        fn()
        sync(device)
        ts.append(CLOCK() - t0)
    return statistics.median(ts)


def bench_backend(name, F1, F2, A, B, reps, device):
    be = make_backend(name, device)
    res = {"per_metric_ms": {}}
    for m in DEFAULT_METRICS:
        res["per_metric_ms"][m] = 1e3 * timed(lambda m=m: be.score(F1, A, B, (m,), OPTS), reps, device,
                                              before=lambda: clear(be))
    res["total_first_ms"] = 1e3 * timed(lambda: be.score(F1, A, B, DEFAULT_METRICS, OPTS), reps, device,
                                        before=lambda: clear(be))

    def second():
        clear(be)
        be.score(F1, A, B, DEFAULT_METRICS, OPTS)
        t0 = CLOCK()
        be.score(F2, A, B, DEFAULT_METRICS, OPTS)
        sync(device)
        return CLOCK() - t0

    second()
    res["total_second_ms"] = 1e3 * statistics.median(second() for _ in range(reps))
    res["second_over_first"] = res["total_second_ms"] / res["total_first_ms"]
    return res


def cold_start(which):
    """Seconds for a fresh interpreter to import fusionbench and score one pair with numba."""
    code = (
        "import time; t0 = time.perf_counter()\n"
        f"import sys; sys.path.insert(0, {str(REPO)!r}); sys.path.insert(0, {str(HERE)!r})\n"
        "from bench_metrics import load_pair, OPTS; from fusionbench.metrics import DEFAULT_METRICS\n"
        f"F1, F2, A, B = load_pair({which!r}); t1 = time.perf_counter()\n"
        "from fusionbench.backends import get_backend\n"
        "get_backend('numba').score(F1, A, B, DEFAULT_METRICS, OPTS); t2 = time.perf_counter()\n"
        "print(t1 - t0, t2 - t1)\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # fill the cache
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    load_s, score_s = (float(v) for v in out.stdout.split())
    return {"process_wall_s": wall, "import_and_first_score_s": score_s, "image_load_s": load_s}


def throughput(F1, A, B, device, batch, dtype_name):
    import torch

    from fusionbench.backends.torch_backend import TorchBackend
    be = TorchBackend(device, torch.float32 if dtype_name == "fp32" else torch.float64)
    Fs, As, Bs = (torch.as_tensor(np.repeat(x[None], batch, 0), device=device) for x in (F1, A, B))
    dt = timed(lambda: be.score_batch(Fs, As, Bs, DEFAULT_METRICS, OPTS), 3, device,
               before=be.clear_cache)
    return batch / dt


def main(args):
    global CLOCK
    import torch
    if args.cpu_time:
        CLOCK = time.thread_time
    torch.set_num_threads(args.threads)
    reps = 1 if args.quick else args.repeats
    slow = 1 if args.quick else args.slow_repeats
    backends = [b for b in args.backends.split(",") if b]
    report = {
        "command": "python benchmarks/bench_metrics.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(), "threads": args.threads, "device": args.device,
        "numba_threads": os.environ.get("NUMBA_NUM_THREADS"), "loadavg_start": os.getloadavg(),
        "clock": "thread_time (CPU)" if args.cpu_time else "perf_counter (wall)",
        "profile": "cddfuse", "metrics": list(DEFAULT_METRICS), "sizes": {},
    }
    for size in args.sizes.split(","):
        F1, F2, A, B = load_pair(size)
        entry = {"shape": list(F1.shape), "backends": {}}
        for name in backends:
            if name == "naive-scipy" and args.quick and size == "llvip":
                continue
            r = slow if name in ("naive-scipy", "numpy") else reps
            print(f"[{size} {F1.shape}] {name} ...", flush=True)
            entry["backends"][name] = bench_backend(name, F1, F2, A, B, r, args.device)
        for res in entry["backends"].values():
            for base in ("numpy", "naive-scipy"):
                if base in entry["backends"]:
                    res[f"speedup_vs_{base}"] = entry["backends"][base]["total_first_ms"] / res["total_first_ms"]
        if ("torch" in backends or "torch-fp32" in backends) and size == "msrs":
            entry["torch_pairs_per_s"] = {dt: throughput(F1, A, B, args.device, args.batch, dt)
                                          for dt in ("fp32", "fp64")}
        report["sizes"][size] = entry
        _write(report, args.out, partial=True)
    if "numba" in backends:
        report["cold_start_numba"] = cold_start("msrs")
    report["loadavg_end"] = os.getloadavg()
    print_report(report)
    _write(report, args.out)


def _write(report, out, partial=False):
    """Write the JSON (``partial.json`` after each size, then a dated file and ``latest.json``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if partial:
        (out / "partial.json").write_text(json.dumps(report, indent=2))
        return
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for path in (out / f"bench_{stamp}.json", out / "latest.json"):
        path.write_text(json.dumps(report, indent=2))
    (out / "partial.json").unlink(missing_ok=True)
    print(f"wrote {out / 'latest.json'}; render the tables with `python tools/speed_table.py`")


def print_report(report):
    from tabulate import tabulate
    for size, entry in report["sizes"].items():
        names = list(entry["backends"])
        rows = [[m] + [f"{entry['backends'][b]['per_metric_ms'][m]:.2f}" for b in names] for m in report["metrics"]]
        rows.append(["total (first method)"] + [f"{entry['backends'][b]['total_first_ms']:.1f}" for b in names])
        rows.append(["total (second method)"] + [f"{entry['backends'][b]['total_second_ms']:.1f}" for b in names])
        rows.append(["second / first"] + [f"{entry['backends'][b]['second_over_first']:.2f}" for b in names])
        for base in ("numpy", "naive-scipy"):
            if base in entry["backends"]:
                rows.append([f"speed-up vs {base}"] + [f"{entry['backends'][b][f'speedup_vs_{base}']:.1f}x"
                                                       for b in names])
        print(f"\n{size} {entry['shape'][0]}x{entry['shape'][1]}, cddfuse, median ms "
              f"({report['threads']} thread(s), clock: {report['clock']})")
        print(tabulate(rows, headers=["metric"] + names, tablefmt="github"))
        if "torch_pairs_per_s" in entry:
            print("torch batch throughput (pairs/s):",
                  {k: round(v, 1) for k, v in entry["torch_pairs_per_s"].items()})
    if "cold_start_numba" in report:
        print("fresh process (numba, cached kernels):", {k: round(v, 3) for k, v in report["cold_start_numba"].items()})
    print("load average start/end:", report["loadavg_start"], report["loadavg_end"])


if __name__ == "__main__":
    main(ARGS)
