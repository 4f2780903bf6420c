"""Numba kernels for the SSIM-window fusion metrics Qy, Qc, Qw, Qe and the joint-histogram
metrics NMI, Q_TE, Q_NCIE (reference: :mod:`fusionbench.metrics.reference.similarity` and
:mod:`fusionbench.metrics.reference.joint`).

* Local statistics by the separable 'valid' Gaussian of ``_nb_filters`` (horizontal pass, then
  vertical, centre tap then the symmetric pairs): the same accumulation order as the reference's
  ``filter2_valid``, so the means, (co)variances and hence every window's SSIM are bit-identical;
  only the final means over windows are summed in another order (~1e-16 relative).
* Flat windows (max == min over the n x n window) for the exact zero (co)variances of Qy / Qc.
* 256 x 256 joint histograms of ``normalize1`` levels, their entropies and Tsallis sums.

References: C. Yang et al., Information Fusion 9 (2) 2008 (Qy); N. Cvejic et al., Int. J. Signal
Process. 2 (3) 2005 (Qc); G. Piella & H. Heijmans, ICIP 2003 (Qw, Qe); M. Hossny et al.,
Electron. Lett. 44 (18) 2008 (NMI); N. Cvejic et al., Electron. Lett. 42 (11) 2006 (Q_TE);
Q. Wang et al., in Image Fusion (Stathaki ed.) 2008 (Q_NCIE).
"""

from __future__ import annotations

import math

import numpy as np

from fusionbench.backends._nb_filters import hpass, prod_row, vpass
from fusionbench.backends._numba_env import jit

# --- window statistics -----------------------------------------------------------------------


@jit()
def cross_map(x, y, g):
    """W(x * y), the 'valid' Gaussian-weighted local mean of the product."""
    M, N = x.shape
    n = g.shape[0]
    Mo, No = M - n + 1, N - n + 1
    out = np.empty((Mo, No))
    ring = np.empty((n, No))
    row = np.empty(N)
    for i in range(M):
        prod_row(x[i], y[i], 0.0, row)
        hpass(row, g, ring[i % n])
        if i >= n - 1:
            vpass(ring, i - n + 1, g, out[i - n + 1])
    return out


@jit()
def flat_windows(x, n):
    """True for the 'valid' n x n windows where x is constant (max == min)."""
    M, N = x.shape
    Mo, No = M - n + 1, N - n + 1
    hmax = np.empty((M, No))
    hmin = np.empty((M, No))
    for i in range(M):
        for j in range(No):
            lo = x[i, j]
            hi = lo
            for k in range(1, n):
                v = x[i, j + k]
                lo = min(lo, v)
                hi = max(hi, v)
            hmax[i, j] = hi
            hmin[i, j] = lo
    out = np.empty((Mo, No), np.bool_)
    for r in range(Mo):
        for j in range(No):
            lo = hmin[r, j]
            hi = hmax[r, j]
            for k in range(1, n):
                lo = min(lo, hmin[r + k, j])
                hi = max(hi, hmax[r + k, j])
            out[r, j] = hi == lo
    return out


@jit()
def _ssim(mx, my, vx, vy, vxy, c1, c2):
    """One window's SSIM, in the reference's operation order."""
    return ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


@jit()
def _nanmax(a, b):
    """numpy.maximum: NaN if either is NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return a if a >= b else b


@jit()
def qy_sums(mA, vA, fA, mB, vB, fB, mF, vF, fF, wAB, wAF, wBF, c):
    """(sum, count) of Yang's Q_Y map over its non-NaN windows; v* are W(x^2) - mu^2 and f* the
    flat-window masks (a flat window's (co)variances are exactly 0)."""
    Mo, No = mF.shape
    s = 0.0
    cnt = 0
    for i in range(Mo):
        for j in range(No):
            ma, mb, mf = mA[i, j], mB[i, j], mF[i, j]
            fa, fb, ff = fA[i, j], fB[i, j], fF[i, j]
            va = 0.0 if fa else vA[i, j]
            vb = 0.0 if fb else vB[i, j]
            vf = 0.0 if ff else vF[i, j]
            vab = 0.0 if (fa or fb) else wAB[i, j] - ma * mb
            vaf = 0.0 if (fa or ff) else wAF[i, j] - ma * mf
            vbf = 0.0 if (fb or ff) else wBF[i, j] - mb * mf
            sab = _ssim(ma, mb, va, vb, vab, c, c)
            saf = _ssim(ma, mf, va, vf, vaf, c, c)
            sbf = _ssim(mb, mf, vb, vf, vbf, c, c)
            r = 1.0 if sab >= 0.75 else 0.0
            lam = va / (va + vb)
            q = (lam * saf + (1 - lam) * sbf) * r + _nanmax(saf, sbf) * (1.0 - r)
            if not math.isnan(q):
                s += q
                cnt += 1
    return s, cnt


@jit()
def qc_sums(mA, vA, fA, mB, vB, fB, mF, vF, fF, wAF, wBF, c):
    """(sum, count) of Cvejic's Q_C map over its non-NaN windows (weights clipped as the toolbox:
    the window's value is 0 where s < 0 and 1 where s > 1)."""
    Mo, No = mF.shape
    s = 0.0
    cnt = 0
    for i in range(Mo):
        for j in range(No):
            ma, mb, mf = mA[i, j], mB[i, j], mF[i, j]
            fa, fb, ff = fA[i, j], fB[i, j], fF[i, j]
            va = 0.0 if fa else vA[i, j]
            vb = 0.0 if fb else vB[i, j]
            vf = 0.0 if ff else vF[i, j]
            caf = 0.0 if (fa or ff) else wAF[i, j] - ma * mf
            cbf = 0.0 if (fb or ff) else wBF[i, j] - mb * mf
            saf = _ssim(ma, mf, va, vf, caf, c, c)
            sbf = _ssim(mb, mf, vb, vf, cbf, c, c)
            w = caf / (caf + cbf)
            sim = w * saf + (1 - w) * sbf
            if w < 0:
                sim = 0.0
            elif w > 1:
                sim = 1.0
            if not math.isnan(sim):
                s += sim
                cnt += 1
    return s, cnt


@jit()
def qw_sums(mA, vA, mB, vB, mF, vF, wAF, wBF, c1, c2):
    """(sum c(w) q(w), sum c(w)) of Piella's Q_W with saliency = local variance, c = max(s_A, s_B),
    q = lambda SSIM(F, A) + (1 - lambda) SSIM(F, B); both flat: lambda = 1/2."""
    Mo, No = mF.shape
    num = 0.0
    den = 0.0
    for i in range(Mo):
        for j in range(No):
            ma, mb, mf = mA[i, j], mB[i, j], mF[i, j]
            va, vb, vf = vA[i, j], vB[i, j], vF[i, j]
            saf = _ssim(mf, ma, vf, va, wAF[i, j] - mf * ma, c1, c2)
            sbf = _ssim(mf, mb, vf, vb, wBF[i, j] - mf * mb, c1, c2)
            if va + vb == 0:
                va = va + 0.5
                vb = vb + 0.5
            lam = va / (va + vb)
            cw = _nanmax(va, vb)
            num += cw * (lam * saf + (1 - lam) * sbf)
            den += cw
    return num, den


@jit()
def prewitt_magnitude(x):
    """sqrt(gx^2 + gy^2) of ``filter2`` Prewitt kernels ([1 0 -1] columns, [1 1 1; 0; -1 -1 -1]),
    zero padding; taps added in the reference's row-major order (bit-identical)."""
    M, N = x.shape
    P = np.zeros((M + 2, N + 2))
    P[1:M + 1, 1:N + 1] = x
    out = np.empty((M, N))
    for i in range(M):
        p0, p1, p2 = P[i], P[i + 1], P[i + 2]
        for j in range(N):
            gx = 0.0 + 1.0 * p0[j]
            gx += -1.0 * p0[j + 2]
            gx += 1.0 * p1[j]
            gx += -1.0 * p1[j + 2]
            gx += 1.0 * p2[j]
            gx += -1.0 * p2[j + 2]
            gy = 0.0 + 1.0 * p0[j]
            gy += 1.0 * p0[j + 1]
            gy += 1.0 * p0[j + 2]
            gy += -1.0 * p2[j]
            gy += -1.0 * p2[j + 1]
            gy += -1.0 * p2[j + 2]
            out[i, j] = math.sqrt(gx * gx + gy * gy)
    return out


# --- joint histograms ------------------------------------------------------------------------


@jit()
def levels_or_none(y):
    """``normalize1`` output as int levels 0..255, flat; an empty array when it has a NaN."""
    M, N = y.shape
    out = np.empty(M * N, np.intp)
    for i in range(M):
        for j in range(N):
            v = y[i, j]
            if math.isnan(v):
                return np.empty(0, np.intp)
            out[i * N + j] = np.intp(v)
    return out


@jit()
def joint_counts(x, y):
    """256 x 256 joint histogram counts of levels (x = i, y = j)."""
    h = np.zeros((256, 256), np.int64)
    for k in range(x.shape[0]):
        h[x[k], y[k]] += 1
    return h


@jit()
def _h2(p):
    """-sum p log2 p over p > 0."""
    s = 0.0
    for k in range(p.shape[0]):
        if p[k] > 0:
            s += p[k] * math.log2(p[k])
    return -s


@jit()
def mi_terms(h, n):
    """(I(X; Y), H(X), H(Y)) in bits of the joint counts h over n pixels."""
    p = h / n
    px = np.zeros(256)
    py = np.zeros(256)
    for i in range(256):
        for j in range(256):
            px[i] += p[i, j]
            py[j] += p[i, j]
    hx = _h2(px)
    hy = _h2(py)
    return hx + hy - _h2(p.ravel()), hx, hy


@jit()
def tsallis(h, n, q, swapped):
    """I_q(X; F) = (1 - sum p(i, j)^q / w(i, j)^(q-1)) / (1 - q) over w != 0, w = pX(i) pF(j)
    (``swapped``: pF(i) pX(j), MEFB's metricsTE.m)."""
    p = h / n
    px = np.zeros(256)
    pf = np.zeros(256)
    for i in range(256):
        for j in range(256):
            px[i] += p[i, j]
            pf[j] += p[i, j]
    s = 0.0
    for i in range(256):
        for j in range(256):
            w = pf[i] * px[j] if swapped else px[i] * pf[j]
            if w != 0:
                s += p[i, j] ** q / w ** (q - 1.0)
    return (1.0 - s) / (1.0 - q)
