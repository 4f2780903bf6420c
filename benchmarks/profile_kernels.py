"""Where the Numba backend's time goes: per-metric cost inside one full score and the cost of
the kernels that bound it (filter passes, divisions, transcendental functions).

Single thread, 480x640 MSRS pair by default. Used for the cost floor in ``README.md``.

Usage::

    python benchmarks/profile_kernels.py [--size msrs|llvip] [--repeats 21]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from bench_metrics import OPTS, load_pair  # noqa: E402

from fusionbench.backends import _nb_edges as E  # noqa: E402
from fusionbench.backends import _nb_math as MA  # noqa: E402
from fusionbench.backends import _nb_ssim as S  # noqa: E402
from fusionbench.backends import _nb_vif as V  # noqa: E402
from fusionbench.backends import numba_backend as NB  # noqa: E402
from fusionbench.backends._nb_filters import hpass, prod_row, ready_rows, vrows  # noqa: E402
from fusionbench.backends._numba_env import jit  # noqa: E402
from fusionbench.metrics import DEFAULT_METRICS  # noqa: E402


def median_ms(fn, repeats):
    fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(ts)


@jit()
def _filter_only(F, A, B, g, vertical):
    """The four fused-side filterings of VIF's first scale (F, F*F, A*F, B*F), nothing else."""
    M, N = F.shape
    n = g.shape[0]
    Mo, No = M - n + 1, N - n + 1
    R = n + 1
    rings = np.empty((4, R, No))
    outs = np.empty((4, 2, No))
    row = np.empty(N)
    for i in range(M):
        s = i % R
        hpass(F[i], g, rings[0, s])
        prod_row(F[i], F[i], 0.0, row)
        hpass(row, g, rings[1, s])
        prod_row(A[i], F[i], 0.0, row)
        hpass(row, g, rings[2, s])
        prod_row(B[i], F[i], 0.0, row)
        hpass(row, g, rings[3, s])
        r0, cnt = ready_rows(i, n, Mo)
        if vertical and cnt:
            for q in range(4):
                vrows(rings[q], r0, cnt, g, outs[q])


@jit()
def _div(x, y, o):
    for j in range(o.shape[0]):
        o[j] = y[j] / x[j]


@jit()
def _sqrt(x, y, o):
    for j in range(o.shape[0]):
        o[j] = np.sqrt(x[j] * x[j] + y[j] * y[j])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="msrs", choices=["msrs", "llvip"])
    p.add_argument("--repeats", type=int, default=21)
    a = p.parse_args(argv)
    F, _, A, B = load_pair(a.size)
    r = a.repeats
    be = NB.NumbaBackend()

    print(f"{a.size} {F.shape}, 1 thread, median ms of {r}\n\nper metric inside one first-method score:")
    be.score(F, A, B, DEFAULT_METRICS, OPTS)
    per = {m: [] for m in DEFAULT_METRICS}
    for _ in range(r):
        be.cache.clear()
        t = NB._Triple(F, A, B, OPTS, be.cache)
        for m in DEFAULT_METRICS:
            t0 = time.perf_counter()
            be._one(t, m)
            per[m].append(time.perf_counter() - t0)
    for m, v in per.items():
        print(f"  {m:6s} {1e3 * statistics.median(v):7.2f}")

    g = V.windows()
    pa, pb, fp = V.Pyramid(A, False), V.Pyramid(B, False), V.pyramid_planes(F)
    a0, b0, f0 = pa.planes[0], pb.planes[0], fp[0]
    n_out = (F.shape[0] - 16) * (F.shape[1] - 16)
    rows = [
        ("VIF source pyramid (per source, cached)", lambda: V.Pyramid(A, False)),
        ("VIF fused pair sums, all scales", lambda: V.vif_pair(pa, pb, fp, False)),
        ("  scale 0: 4 horizontal 17-tap passes", lambda: _filter_only(f0, a0, b0, g[0], False)),
        ("  scale 0: + 4 vertical 17-tap passes", lambda: _filter_only(f0, a0, b0, g[0], True)),
        ("  scale 0: all (+ per-pixel terms, log10)", lambda: V.pair_scale(
            a0, b0, f0, pa.mu[0], pa.var[0], pb.mu[0], pb.var[0], g[0], 0.0, 2.0)),
        ("SSIM box7 of one map (per source: 2)", lambda: S.box7(A, A, 1, True)),
        ("Qabf Sobel + |g| + angle (per image)", lambda: E.qabf_edges(F, 255.0, False)),
    ]
    (gA, aA), (gB, aB), (gF, aF) = (E.qabf_edges(x, 255.0, False) for x in (A, B, F))
    rows.append(("Qabf pair sums (4 exp, 3 div per px)",
                 lambda: E.qabf_sums(gA, aA, gB, aB, gF, aF, False)))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=n_out), rng.normal(size=n_out)
    o, w, e = np.empty(n_out), np.empty(n_out), np.empty(n_out)
    rows += [
        (f"{n_out} float64 divisions", lambda: _div(x, y, o)),
        (f"{n_out} sqrt(x^2 + y^2)", lambda: _sqrt(x, y, o)),
        (f"{n_out} copies (baseline of the next row)", lambda: np.multiply(y, 4.0, out=e)),
        (f"{n_out} exp (exp_inplace, incl. the copy)",
         lambda: MA.exp_inplace(np.multiply(y, 4.0, out=e), w)),
        (f"{n_out} atan(y / x) (atan_quot)", lambda: MA.atan_quot(y, x, o)),
    ]
    print("\nkernels:")
    for name, fn in rows:
        print(f"  {name:44s} {median_ms(fn, r):7.3f}")


if __name__ == "__main__":
    main()
