"""Numba vifp (Sheikh & Bovik 2006, pixel domain, 4 scales) split into cacheable parts.

``METRICS.md`` 4.8: per scale the reference statistics (mu1, sigma1^2 and the denominator sum)
depend on the source only; they are computed once per source (and cached across methods).
The fused image's statistics and the two cross terms W(A*F), W(B*F) are streamed in one pass
per scale, giving both numerators at once.
"""

from __future__ import annotations

import numpy as np

from fusionbench.backends._nb_filters import hpass, prod_row, ready_rows, valid_sub2, vrows
from fusionbench.backends._nb_math import log10_sum
from fusionbench.backends._numba_env import jit

EPS = 1e-10


def windows():
    from fusionbench.metrics.reference.filters import gaussian_1d
    return [gaussian_1d(2 ** (5 - s) + 1, (2 ** (5 - s) + 1) / 5.0) for s in range(1, 5)]


@jit()
def moments(x, g, sat):
    """mu = W(x), var = max(W(sat(x*x)) - mu^2, 0) ('valid' maps)."""
    M, N = x.shape
    n = g.shape[0]
    Mo, No = max(M - n + 1, 0), max(N - n + 1, 0)
    mu = np.empty((Mo, No))
    var = np.empty((Mo, No))
    if Mo == 0 or No == 0:
        return mu, var
    r1 = np.empty((n + 1, No))
    r2 = np.empty((n + 1, No))
    row = np.empty(N)
    for i in range(M):
        hpass(x[i], g, r1[i % (n + 1)])
        prod_row(x[i], x[i], sat, row)
        hpass(row, g, r2[i % (n + 1)])
        r0, cnt = ready_rows(i, n, Mo)
        if cnt:
            vrows(r1, r0, cnt, g, mu[r0:r0 + cnt])
            vrows(r2, r0, cnt, g, var[r0:r0 + cnt])
            for r in range(r0, r0 + cnt):
                for j in range(No):
                    var[r, j] = max(0.0, var[r, j] - mu[r, j] * mu[r, j])
    return mu, var


@jit()
def den_sum(var, sigma_nsq):
    """sum log10(1 + var / sigma_nsq) over pixels with var >= eps (others are zeroed: log 1)."""
    d = 0.0
    buf = np.empty(var.shape[1])
    for i in range(var.shape[0]):
        for j in range(var.shape[1]):
            v = var[i, j]
            buf[j] = 1.0 + v / sigma_nsq if v >= EPS else 1.0
        d += log10_sum(buf, var.shape[1])
    return d


@jit()
def _num_px(s1, s2, c, m1, m2, sigma_nsq):
    """The argument of the numerator's log10 at one pixel (eps rules of METRICS.md 4.8)."""
    s12 = c - m1 * m2
    gg = s12 / (s1 + EPS)
    sv = s2 - gg * s12
    if s1 < EPS:
        gg = 0.0
        sv = s2
        s1 = 0.0
    if s2 < EPS:
        gg = 0.0
        sv = 0.0
    if gg < 0.0:
        sv = s2
        gg = 0.0
    sv = max(EPS, sv)
    return 1.0 + gg * gg * s1 / (sv + sigma_nsq)


@jit()
def pair_scale(A, B, F, muA, vA, muB, vB, g, sat, sigma_nsq):
    """Numerators (A->F, B->F) of one scale; F's moments and cross terms streamed."""
    M, N = F.shape
    n = g.shape[0]
    Mo, No = M - n + 1, N - n + 1
    if Mo <= 0 or No <= 0:
        return 0.0, 0.0
    R = n + 1
    rf = np.empty((R, No))
    rff = np.empty((R, No))
    raf = np.empty((R, No))
    rbf = np.empty((R, No))
    row = np.empty(N)
    mu2 = np.empty((2, No))
    v2 = np.empty((2, No))
    caf = np.empty((2, No))
    cbf = np.empty((2, No))
    la = np.empty(No)
    lb = np.empty(No)
    na = 0.0
    nb = 0.0
    for i in range(M):
        s = i % R
        hpass(F[i], g, rf[s])
        prod_row(F[i], F[i], sat, row)
        hpass(row, g, rff[s])
        prod_row(A[i], F[i], sat, row)
        hpass(row, g, raf[s])
        prod_row(B[i], F[i], sat, row)
        hpass(row, g, rbf[s])
        r0, cnt = ready_rows(i, n, Mo)
        if cnt == 0:
            continue
        vrows(rf, r0, cnt, g, mu2)
        vrows(rff, r0, cnt, g, v2)
        vrows(raf, r0, cnt, g, caf)
        vrows(rbf, r0, cnt, g, cbf)
        for q in range(cnt):
            r = r0 + q
            for j in range(No):
                m2 = mu2[q, j]
                s2 = max(v2[q, j] - m2 * m2, 0.0)
                la[j] = _num_px(vA[r, j], s2, caf[q, j], muA[r, j], m2, sigma_nsq)
                lb[j] = _num_px(vB[r, j], s2, cbf[q, j], muB[r, j], m2, sigma_nsq)
            na += log10_sum(la, No)
            nb += log10_sum(lb, No)
    return na, nb


def pyramid_planes(x, n_scales: int = 4):
    """The vifp input planes of each scale, with the reference's stopping rules: scale s is
    skipped (with all later ones) when the previous plane is smaller than its window or when
    its 'valid' maps would be empty."""
    planes = []
    ref = np.ascontiguousarray(x, dtype=np.float64)
    for s, g in enumerate(windows()[:n_scales]):
        n = g.shape[0]
        if min(ref.shape) < n:
            break
        if s > 0:
            ref = valid_sub2(ref, g)
        if min(ref.shape) < n:
            break
        planes.append(ref)
    return planes


class Pyramid:
    """Per-source vifp statistics for each usable scale: planes, (mu, var) maps and den sums."""

    __slots__ = ("den", "mu", "planes", "var")

    def __init__(self, x, saturate: bool, sigma_nsq: float = 2.0):
        self.planes, self.mu, self.var = pyramid_planes(x), [], []
        for s, (ref, g) in enumerate(zip(self.planes, windows())):
            mu, var = moments(ref, g, 255.0 if (saturate and s == 0) else 0.0)
            self.mu.append(mu)
            self.var.append(var)
        self.den = [den_sum(v, sigma_nsq) for v in self.var]


def vif_pair(pa: Pyramid, pb: Pyramid, fplanes, saturate: bool, sigma_nsq: float = 2.0):
    """(vifp(A, F), vifp(B, F)); NaN where the reference is flat (den == 0)."""
    na = nb = 0.0
    for s, g in enumerate(windows()[:len(pa.planes)]):
        sat = 255.0 if (saturate and s == 0) else 0.0
        a, b = pair_scale(pa.planes[s], pb.planes[s], fplanes[s], pa.mu[s], pa.var[s],
                          pb.mu[s], pb.var[s], g, sat, sigma_nsq)
        na += a
        nb += b
    da, db = sum(pa.den), sum(pb.den)
    return (na / da if da != 0 else float("nan")), (nb / db if db != 0 else float("nan"))
