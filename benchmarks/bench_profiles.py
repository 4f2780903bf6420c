"""Per-profile benchmark: each profile's default metric table on one 480x640 pair, per backend.

Times what ``fusionbench evaluate --profile P`` computes per pair: the profile's default metrics
(``fusionbench metrics --profile P``) on the MSRS pair of ``bench_metrics.py`` (``00537D``, fused by
averaging; a second method = the maximum fusion on the same sources, their intermediates cached),
one thread, median of repeats after one warm-up, plus the three slowest metrics of the table alone
(first method). Writes ``results/profiles_<stamp>.json`` and prints a table.

Usage::

    python benchmarks/bench_profiles.py                                # every profile, numba + numpy
    python benchmarks/bench_profiles.py --profiles mefb --backends numba --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def _args(argv=None):
    from fusionbench.metrics import PROFILES
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profiles", default=",".join(PROFILES), help="comma-separated profiles")
    p.add_argument("--backends", default="numba,numpy", help="comma-separated backends")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", default=str(HERE / "results"))
    return p.parse_args(argv)


def _median(fn, repeats):
    fn()  # warm-up (kernel loading)
    return statistics.median(fn() for _ in range(repeats))


def _time_backend(be, metrics, opts, pair, repeats, clear):
    """First / second method seconds for the whole table, and its three slowest metrics alone."""
    F1, F2, A, B = pair

    def first(ms):
        clear(be)
        t0 = time.perf_counter()
        be.score(F1, A, B, ms, opts)
        return time.perf_counter() - t0

    def second():
        clear(be)
        be.score(F1, A, B, metrics, opts)
        t0 = time.perf_counter()
        be.score(F2, A, B, metrics, opts)
        return time.perf_counter() - t0

    per = {m: _median(lambda m=m: first((m,)), repeats) for m in metrics}
    return {"first_s": _median(lambda: first(metrics), repeats), "second_s": _median(second, repeats),
            "slowest_alone_s": dict(sorted(per.items(), key=lambda kv: -kv[1])[:3])}


def main(argv=None) -> dict:
    a = _args(argv)
    from bench_metrics import clear, load_pair

    from fusionbench.backends import get_backend
    from fusionbench.metrics.compute import resolve_metrics
    from fusionbench.metrics.profiles import get_profile
    warnings.simplefilter("ignore")  # the reference fallback's warning, once per metric
    F1, F2, A, B = load_pair("msrs")
    report = {"command": "python benchmarks/bench_profiles.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.processor() or platform.machine(),
              "cpu_count": os.cpu_count(), "numba_threads": os.environ.get("NUMBA_NUM_THREADS"),
              "loadavg_start": os.getloadavg(), "shape": list(F1.shape), "profiles": {}}
    rows = []
    for prof_name in a.profiles.split(","):
        prof = get_profile(prof_name)
        metrics, opts = resolve_metrics(None, prof), prof.options
        entry = report["profiles"][prof_name] = {"metrics": list(metrics), "backends": {}}
        for name in a.backends.split(","):
            be = get_backend(name)
            res = _time_backend(be, metrics, opts, (F1, F2, A, B), a.repeats, clear)
            slow = res["slowest_alone_s"]
            entry["backends"][name] = res
            rows.append((prof_name, name, len(metrics), res["first_s"], res["second_s"],
                         ", ".join(f"{m} {v:.3f}" for m, v in slow.items())))
    report["loadavg_end"] = os.getloadavg()
    print(f"{'profile':10} {'backend':8} {'metrics':>7} {'first s':>9} {'second s':>9}  slowest alone (s)")
    for p, b, n, f, s, slow in rows:
        print(f"{p:10} {b:8} {n:7d} {f:9.3f} {s:9.3f}  {slow}")
    print(f"load average {report['loadavg_start'][0]:.2f} before, {report['loadavg_end'][0]:.2f} after")
    Path(a.out).mkdir(parents=True, exist_ok=True)
    path = Path(a.out) / f"profiles_{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    print(f"-> {path}")
    return report


if __name__ == "__main__":
    main()
