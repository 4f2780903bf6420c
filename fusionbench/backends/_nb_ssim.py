"""Numba SSIM (Wang et al. 2004) in the three toolbox forms of METRICS.md 4.10.

* ``skimage019``: 7x7 uniform window, sample covariance, crop 3 px; the float32 arithmetic of
  the CDDFuse evaluator is reproduced operation by operation (each 1-D box pass is summed in
  float64 and rounded to float32, as ``scipy.ndimage.uniform_filter`` does on float32 input;
  the vertical pass keeps running column sums, as scipy's 1-D uniform filter does, and both
  passes multiply by 1/7: the float64 sums move by ~1e-16, far below the float32 rounding that
  follows, issue #16). Only the cropped interior is computed, where the reflect padding is never
  reached.
* ``wang2004_valid`` / ``matlab_builtin``: 11x11 Gaussian (sigma 1.5), float64, 'valid' on the
  image or on its replicate-padded copy; the fused image's moments and the cross terms are
  streamed (no full-size temporaries), the sources' moments are cached by the backend.
"""

from __future__ import annotations

import numpy as np

from fusionbench.backends._nb_filters import hpass, prod_row, vpass
from fusionbench.backends._nb_math import rowsum
from fusionbench.backends._numba_env import jit

K1, K2 = 0.01, 0.03
INV7 = 1.0 / 7.0


def box7(x, y, mode, f32):
    """Cropped 7x7 box mean of P = x (mode 0), x*x (1) or x*y (2): rows/cols 3..-4, float32 if f32."""
    M, N = x.shape
    out = np.empty((max(M - 6, 0), max(N - 6, 0)), np.float32 if f32 else np.float64)
    if out.size:
        _box7(x, y, mode, f32, out)
    return out


@jit()
def _box7(x, y, mode, f32, out):
    M, N = x.shape
    Mo, No = M - 6, N - 6
    P = np.empty((M, N))
    for i in range(M):
        for j in range(N):
            if f32:
                a = np.float32(x[i, j])
                b = np.float32(y[i, j])
                if mode == 0:
                    P[i, j] = np.float64(a)
                elif mode == 1:
                    P[i, j] = np.float64(a * a)
                else:
                    P[i, j] = np.float64(a * b)
            else:
                if mode == 0:
                    P[i, j] = x[i, j]
                elif mode == 1:
                    P[i, j] = x[i, j] * x[i, j]
                else:
                    P[i, j] = x[i, j] * y[i, j]
    t = np.empty(N)
    c = np.zeros(N)  # running column sums of P over the 7 rows of the window
    for k in range(7):
        for j in range(N):
            c[j] += P[k, j]
    for i in range(Mo):
        if i > 0:
            for j in range(N):
                c[j] += P[i + 6, j] - P[i - 1, j]
        if f32:
            for j in range(N):
                t[j] = np.float64(np.float32(c[j] * INV7))
        else:
            for j in range(N):
                t[j] = c[j] * INV7
        for j in range(No):
            s = 0.0
            for k in range(7):
                s += t[j + k]
            out[i, j] = s * INV7
    return out


@jit()
def ssim_skimage_sum(ux, uxx, uy, uyy, uxy, L, f32):
    """Sum of the skimage-0.19 SSIM map over the cropped region (float32 maths if f32)."""
    total = 0.0
    M, N = ux.shape
    buf = np.empty(N)
    if f32:
        cov = np.float32(49.0 / 48.0)
        c1 = np.float32((K1 * L) ** 2)
        c2 = np.float32((K2 * L) ** 2)
        two = np.float32(2.0)
        for i in range(M):
            for j in range(N):
                mx = ux[i, j]
                my = uy[i, j]
                vx = cov * (uxx[i, j] - mx * mx)
                vy = cov * (uyy[i, j] - my * my)
                vxy = cov * (uxy[i, j] - mx * my)
                a1 = two * mx * my + c1
                a2 = two * vxy + c2
                b1 = mx * mx + my * my + c1
                b2 = vx + vy + c2
                buf[j] = np.float64((a1 * a2) / (b1 * b2))
            total += rowsum(buf, N)
    else:
        cov = 49.0 / 48.0
        c1 = (K1 * L) ** 2
        c2 = (K2 * L) ** 2
        for i in range(M):
            for j in range(N):
                mx = np.float64(ux[i, j])
                my = np.float64(uy[i, j])
                vx = cov * (uxx[i, j] - mx * mx)
                vy = cov * (uyy[i, j] - my * my)
                vxy = cov * (uxy[i, j] - mx * my)
                buf[j] = ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
            total += rowsum(buf, N)
    return total


@jit()
def gauss_moments(x, g):
    """mu = W(x) and W(x*x) - mu^2 (not clamped), 'valid' maps."""
    M, N = x.shape
    n = g.shape[0]
    Mo, No = max(M - n + 1, 0), max(N - n + 1, 0)
    mu = np.empty((Mo, No))
    var = np.empty((Mo, No))
    if Mo == 0 or No == 0:
        return mu, var
    r1 = np.empty((n, No))
    r2 = np.empty((n, No))
    row = np.empty(N)
    for i in range(M):
        hpass(x[i], g, r1[i % n])
        prod_row(x[i], x[i], 0.0, row)
        hpass(row, g, r2[i % n])
        if i >= n - 1:
            r = i - n + 1
            vpass(r1, r, g, mu[r])
            vpass(r2, r, g, var[r])
            for j in range(No):
                var[r, j] = var[r, j] - mu[r, j] * mu[r, j]
    return mu, var


@jit()
def _smap(mx, my, vx, vy, vxy, c1, c2):
    return ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


@jit()
def gauss_pair_sums(A, B, F, muA, vA, muB, vB, g, L):
    """(sum SSIM map(F, A), sum SSIM map(F, B), map size) with streamed F moments / cross terms."""
    M, N = F.shape
    n = g.shape[0]
    Mo, No = M - n + 1, N - n + 1
    if Mo <= 0 or No <= 0:
        return 0.0, 0.0, 0
    c1 = (K1 * L) ** 2
    c2 = (K2 * L) ** 2
    rf = np.empty((n, No))
    rff = np.empty((n, No))
    raf = np.empty((n, No))
    rbf = np.empty((n, No))
    row = np.empty(N)
    mu2 = np.empty(No)
    v2 = np.empty(No)
    caf = np.empty(No)
    cbf = np.empty(No)
    sa = 0.0
    sb = 0.0
    for i in range(M):
        s = i % n
        hpass(F[i], g, rf[s])
        prod_row(F[i], F[i], 0.0, row)
        hpass(row, g, rff[s])
        prod_row(A[i], F[i], 0.0, row)
        hpass(row, g, raf[s])
        prod_row(B[i], F[i], 0.0, row)
        hpass(row, g, rbf[s])
        if i >= n - 1:
            r = i - n + 1
            vpass(rf, r, g, mu2)
            vpass(rff, r, g, v2)
            vpass(raf, r, g, caf)
            vpass(rbf, r, g, cbf)
            for j in range(No):
                mf = mu2[j]
                vf = v2[j] - mf * mf
                ma = muA[r, j]
                mb = muB[r, j]
                sa += _smap(mf, ma, vf, vA[r, j], caf[j] - mf * ma, c1, c2)
                sb += _smap(mf, mb, vf, vB[r, j], cbf[j] - mf * mb, c1, c2)
    return sa, sb, Mo * No
