"""Numba Sobel kernels: Qabf edges and pair sums (Xydeas & Petrovic 2000) and EI.

The Sobel sums follow the reference's accumulation order exactly (row-major taps, or MATLAB's
kernel-column-major order for tang2022, METRICS.md 6.5), so the sign of near-zero responses on
[0,1] data, and hence alpha, is bit-identical.
"""

from __future__ import annotations

import math

import numpy as np

from fusionbench.backends._nb_math import atan_quot, exp9_inplace, rowsum
from fusionbench.backends._numba_env import jit, jit_reduce

H_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
H_Y = np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])
SOBEL_MATLAB = np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])
TG, KG, DG = 0.9994, -15.0, 0.5
TA, KA, DA = 0.9879, -22.0, 0.8
TGA = TG * TA  # Q_g Q_alpha g = TG TA g / ((1 + e_g)(1 + e_a)): one division
HALF_PI = math.pi / 2
INV_HALF_PI = 2 / math.pi


def _taps(h, column_major):
    """Non-zero taps of h in the reference's accumulation order, as (dk, dl, weight) arrays.

    ``conv2`` adds h[k, l] * X[i + 1 - k, j + 1 - l]; zero taps (and zero padding) add +-0 and
    are skipped, which leaves every sum bit-identical.
    """
    order = [(k, l) for l in range(3) for k in range(3)] if column_major else \
        [(k, l) for k in range(3) for l in range(3)]
    t = [(1 - k, 1 - l, h[k, l]) for k, l in order if h[k, l] != 0]
    return (np.array([a for a, _, _ in t], np.int64), np.array([b for _, b, _ in t], np.int64),
            np.array([w for _, _, w in t]))


def qabf_edges(X, div, column_major):
    """g = |Sobel|, a = atan(Sy/Sx) (pi/2 where Sx == 0) of X/div, conv2 'same' zero padding."""
    P = _padded(np.ascontiguousarray(X, dtype=np.float64), float(div))
    return _edges(P, *_taps(H_X, column_major), *_taps(H_Y, column_major))


@jit()
def _padded(X, div):
    """X / div (X itself when div == 1) with a one-pixel border of zeros, in one pass."""
    M, N = X.shape
    P = np.empty((M + 2, N + 2))
    P[0, :] = 0.0
    P[M + 1, :] = 0.0
    for i in range(M):
        r = P[i + 1]
        x = X[i]
        r[0] = 0.0
        r[N + 1] = 0.0
        if div != 1.0:
            for j in range(N):
                r[j + 1] = x[j] / div
        else:
            for j in range(N):
                r[j + 1] = x[j]
    return P


@jit()
def _edges(P, xk, xl, xw, yk, yl, yw):
    """Both Sobel responses from six taps each, added in the reference's order (from +0.0)."""
    M, N = P.shape[0] - 2, P.shape[1] - 2
    g = np.empty((M, N))
    a = np.empty((M, N))
    rx = np.empty(N)
    ry = np.empty(N)
    for i in range(M):
        x0, x1, x2 = P[i + 1 + xk[0], 1 + xl[0]:], P[i + 1 + xk[1], 1 + xl[1]:], P[i + 1 + xk[2], 1 + xl[2]:]
        x3, x4, x5 = P[i + 1 + xk[3], 1 + xl[3]:], P[i + 1 + xk[4], 1 + xl[4]:], P[i + 1 + xk[5], 1 + xl[5]:]
        y0, y1, y2 = P[i + 1 + yk[0], 1 + yl[0]:], P[i + 1 + yk[1], 1 + yl[1]:], P[i + 1 + yk[2], 1 + yl[2]:]
        y3, y4, y5 = P[i + 1 + yk[3], 1 + yl[3]:], P[i + 1 + yk[4], 1 + yl[4]:], P[i + 1 + yk[5], 1 + yl[5]:]
        gi = g[i]
        ai = a[i]
        for j in range(N):
            sx = 0.0 + xw[0] * x0[j]
            sx += xw[1] * x1[j]
            sx += xw[2] * x2[j]
            sx += xw[3] * x3[j]
            sx += xw[4] * x4[j]
            sx += xw[5] * x5[j]
            sy = 0.0 + yw[0] * y0[j]
            sy += yw[1] * y1[j]
            sy += yw[2] * y2[j]
            sy += yw[3] * y3[j]
            sy += yw[4] * y4[j]
            sy += yw[5] * y5[j]
            gi[j] = math.sqrt(sx * sx + sy * sy)
            rx[j] = sx
            ry[j] = sy
        atan_quot(ry, rx, ai)
    return g, a


@jit()
def _pair_args(gX, aX, gF, aF, equal_one, eg, ea):
    """exp arguments of Q_g and Q_alpha at each pixel (placeholders where gX == 0).

    G = min/max (one division; equals the reference's two-branch ratio), and the angle term
    multiplies by 2/pi instead of dividing by pi/2 (1 ulp, far inside the 1e-9 parity)."""
    for j in range(gF.shape[0]):
        x = gX[j]
        f = gF[j]
        G = min(x, f) / max(x, f)
        G = G if x != f else (1.0 if equal_one else f)
        aa = 1.0 - abs(aX[j] - aF[j]) * INV_HALF_PI
        G = G if x != 0.0 else DG
        aa = aa if x != 0.0 else DA
        eg[j] = KG * (G - DG)
        ea[j] = KA * (aa - DA)


@jit()
def qabf_sums(gA, aA, gB, aB, gF, aF, equal_one):
    """(sum Q^{AF} gA + Q^{BF} gB, sum gA + gB) over all pixels; pixels with gX == 0 add 0."""
    num = 0.0
    den = 0.0
    M, N = gF.shape
    e = np.empty(4 * N)
    work = np.empty(4 * N)
    buf = np.empty(N)
    for i in range(M):
        _pair_args(gA[i], aA[i], gF[i], aF[i], equal_one, e[:N], e[N:2 * N])
        _pair_args(gB[i], aB[i], gF[i], aF[i], equal_one, e[2 * N:3 * N], e[3 * N:])
        exp9_inplace(e, work)
        ga = gA[i]
        gb = gB[i]
        for j in range(N):  # Q^AF gA + Q^BF gB over one common denominator
            da = (1.0 + e[j]) * (1.0 + e[N + j])
            db = (1.0 + e[2 * N + j]) * (1.0 + e[3 * N + j])
            buf[j] = TGA * (ga[j] * db + gb[j] * da) / (da * db)
        num += rowsum(buf, N)
        for j in range(N):
            buf[j] = ga[j] + gb[j]
        den += rowsum(buf, N)
    return num, den


@jit_reduce()
def ei_sum(F, h):
    """sum sqrt(gx^2 + gy^2), gx = F (*) h, gy = F (*) h.T, correlation with replicate borders."""
    M, N = F.shape
    s = 0.0
    for i in range(M):
        for j in range(N):
            gx = 0.0
            gy = 0.0
            for k in range(3):
                ii = min(max(i + k - 1, 0), M - 1)
                for l in range(3):
                    jj = min(max(j + l - 1, 0), N - 1)
                    p = F[ii, jj]
                    if h[k, l] != 0.0:
                        gx += h[k, l] * p
                    if h[l, k] != 0.0:
                        gy += h[l, k] * p
            s += math.sqrt(gx * gx + gy * gy)
    return s
