"""Numba Sobel kernels: Qabf edges and pair sums (Xydeas & Petrovic 2000) and EI.

The Sobel sums follow the reference's accumulation order exactly (row-major taps, or MATLAB's
kernel-column-major order for tang2022, METRICS.md 6.5), so the sign of near-zero responses on
[0,1] data, and hence alpha, is bit-identical.
"""

from __future__ import annotations

import math

import numpy as np

from fusionbench.backends._nb_math import atan_inplace, exp_inplace, rowsum
from fusionbench.backends._numba_env import jit, jit_reduce

H_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
H_Y = np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])
SOBEL_MATLAB = np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])
TG, KG, DG = 0.9994, -15.0, 0.5
TA, KA, DA = 0.9879, -22.0, 0.8
HALF_PI = math.pi / 2


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
    M, N = X.shape
    P = np.zeros((M + 2, N + 2))
    P[1:-1, 1:-1] = X / div if div != 1.0 else X
    return _edges(P, *_taps(H_X, column_major), *_taps(H_Y, column_major))


@jit()
def _sobel_row(P, i, dk, dl, w, out):
    """out = sum over taps t (in order, from 0) of w[t] * P[i + 1 + dk[t], 1 + dl[t] : ...]."""
    N = out.shape[0]
    for j in range(N):
        out[j] = 0.0
    for t in range(w.shape[0]):
        src = P[i + 1 + dk[t], 1 + dl[t]:1 + dl[t] + N]
        wt = w[t]
        for j in range(N):
            out[j] += wt * src[j]


@jit()
def _edges(P, xk, xl, xw, yk, yl, yw):
    M, N = P.shape[0] - 2, P.shape[1] - 2
    g = np.empty((M, N))
    a = np.empty((M, N))
    sx = np.empty(N)
    sy = np.empty(N)
    for i in range(M):
        _sobel_row(P, i, xk, xl, xw, sx)
        _sobel_row(P, i, yk, yl, yw, sy)
        gi = g[i]
        ai = a[i]
        for j in range(N):
            gi[j] = math.sqrt(sx[j] * sx[j] + sy[j] * sy[j])
            ai[j] = sy[j] / sx[j] if sx[j] != 0.0 else 0.0
        atan_inplace(ai)
        for j in range(N):
            if sx[j] == 0.0:
                ai[j] = HALF_PI
    return g, a


@jit()
def _g_ratio(gx, gf, equal_one):
    if gx > gf:
        return gf / gx
    if gx == gf:
        return 1.0 if equal_one else gf
    return gx / gf


@jit()
def _pair_row(gX, aX, gF, aF, equal_one, eg, ea, work):
    """sum_j Q^{XF}_j gX_j over one row; pixels with gX == 0 contribute exactly 0."""
    n = gF.shape[0]
    for j in range(n):
        if gX[j] != 0.0:
            G = _g_ratio(gX[j], gF[j], equal_one)
            aa = 1.0 - abs(aX[j] - aF[j]) / HALF_PI
        else:
            G = DG
            aa = DA
        eg[j] = KG * (G - DG)
        ea[j] = KA * (aa - DA)
    exp_inplace(eg, work)
    exp_inplace(ea, work)
    for j in range(n):
        qg = TG / (1.0 + eg[j])
        qa = TA / (1.0 + ea[j])
        eg[j] = qg * qa * gX[j]
    return rowsum(eg, n)


@jit()
def qabf_sums(gA, aA, gB, aB, gF, aF, equal_one):
    """(sum Q^{AF} gA + Q^{BF} gB, sum gA + gB) over all pixels."""
    num = 0.0
    den = 0.0
    M, N = gF.shape
    eg = np.empty(N)
    ea = np.empty(N)
    work = np.empty(N)
    for i in range(M):
        num += _pair_row(gA[i], aA[i], gF[i], aF[i], equal_one, eg, ea, work)
        num += _pair_row(gB[i], aB[i], gF[i], aF[i], equal_one, eg, ea, work)
        for j in range(N):
            ea[j] = gA[i, j] + gB[i, j]
        den += rowsum(ea, N)
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
