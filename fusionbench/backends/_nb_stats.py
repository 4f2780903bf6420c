"""Numba kernels for the histogram, moment and difference metrics (EN, MI, CE, SD, CC, SCD,
SF, AG) and the content fingerprint used by the source cache."""

from __future__ import annotations

import math

import numpy as np

from fusionbench.backends._numba_env import jit, jit_reduce


@jit()
def fingerprint(x):
    """64-bit FNV-1a-style hash of a float64 array's bits (and shape): a cache key, not crypto.

    Eight independent lanes (element i feeds lane i % 8) so the loop vectorises; the lanes and
    the tail are folded into one hash at the end."""
    p = np.uint64(1099511628211)
    v = x.ravel().view(np.uint64)
    n = v.shape[0]
    lanes = np.full(8, np.uint64(14695981039346656037))
    m = n - n % 8
    for i in range(0, m, 8):
        for l in range(8):
            lanes[l] = (lanes[l] ^ v[i + l]) * p
    h = np.uint64(14695981039346656037)
    for l in range(8):
        h = (h ^ lanes[l]) * p
    for i in range(m, n):
        h = (h ^ v[i]) * p
    h = (h ^ np.uint64(x.shape[0])) * p
    h = (h ^ np.uint64(x.shape[1])) * p
    return h


@jit()
def levels_u8(x):
    """clip(round_half_even(x), 0, 255) as uint8 (the reference's ``hist256`` levels)."""
    out = np.empty(x.shape, np.uint8)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            v = np.rint(x[i, j])
            out[i, j] = 0 if v < 0 else (255 if v > 255 else np.uint8(v))
    return out


@jit()
def minmax_levels_u8(x):
    """VIFB MI: stretch to [0, 1] (constant -> zeros), then round_away(255 x)."""
    lo = x.min()
    hi = x.max()
    out = np.zeros(x.shape, np.uint8)
    if hi == lo:
        return out
    d = hi - lo
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            y = 255.0 * ((x[i, j] - lo) / d)
            out[i, j] = np.uint8(math.floor(y + 0.5))
    return out


@jit()
def hist256(lv):
    h = np.zeros(256, np.int64)
    for i in range(lv.shape[0]):
        for j in range(lv.shape[1]):
            h[lv[i, j]] += 1
    return h


@jit()
def entropy_counts(counts, n, log_base):
    """-sum p log p over non-empty bins, p = counts / n; natural log divided by log(base)."""
    s = 0.0
    for c in counts.ravel():
        if c > 0:
            p = c / n
            s -= p * math.log(p)
    return s / log_base


@jit()
def joint_entropy(f, x, saturate, log_base):
    """Entropy of the 256x256 joint histogram of two uint8 level images (254/255 merged if saturate)."""
    h = np.zeros(65536, np.int64)
    for i in range(f.shape[0]):
        for j in range(f.shape[1]):
            a = np.int64(f[i, j])
            b = np.int64(x[i, j])
            if saturate:
                a = min(a, 254)
                b = min(b, 254)
            h[a * 256 + b] += 1
    return entropy_counts(h, f.size, log_base)


@jit()
def kl_common(cs, cf, n):
    """sum p_s log2(p_s / p_f) over levels present in both histograms (VIFB CE)."""
    s = 0.0
    for g in range(256):
        if cs[g] > 0 and cf[g] > 0:
            ps = cs[g] / n
            s += ps * math.log2(ps / (cf[g] / n))
    return s


@jit_reduce()
def mean2d(x):
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            s += x[i, j]
    return s / x.size


@jit_reduce()
def centred_ss(x, mu):
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            d = x[i, j] - mu
            s += d * d
    return s


@jit_reduce()
def sd_tang(F, mu):
    """sqrt(sum min(255, u8(F - mu)^2) / MN): MATLAB uint8 difference and product saturation."""
    s = 0.0
    for i in range(F.shape[0]):
        for j in range(F.shape[1]):
            d = F[i, j] - mu
            d = math.floor(d + 0.5) if d >= 0 else 0.0  # negatives saturate to 0
            d = min(d, 255.0)
            s += min(d * d, 255.0)
    return math.sqrt(s / F.size)


@jit_reduce()
def corr_sums(F, A, B, mF, mA, mB, mFB, mFA):
    """Centred cross sums for CC and SCD in one pass.

    Returns (S_af, S_ff, S_bf, S_(f-b)a, S_(f-b)^2, S_(f-a)b, S_(f-a)^2), where the differences
    F-B and F-A are centred by their own means mFB, mFA (as the reference does).
    """
    saf = sff = sbf = 0.0
    s1 = s2 = s3 = s4 = 0.0
    for i in range(F.shape[0]):
        for j in range(F.shape[1]):
            f = F[i, j] - mF
            a = A[i, j] - mA
            b = B[i, j] - mB
            saf += a * f
            sbf += b * f
            sff += f * f
            u = (F[i, j] - B[i, j]) - mFB
            v = (F[i, j] - A[i, j]) - mFA
            s1 += u * a
            s2 += u * u
            s3 += v * b
            s4 += v * v
    return saf, sff, sbf, s1, s2, s3, s4


@jit_reduce()
def diff_mean(x, y):
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            s += x[i, j] - y[i, j]
    return s / x.size


@jit_reduce()
def sf_sums(F, scale):
    """(sum of squared horizontal differences, same vertical) of F / scale."""
    M, N = F.shape
    rs = 0.0
    cs = 0.0
    if scale != 1.0:
        F = F / scale
    for i in range(M):
        for j in range(1, N):
            d = F[i, j] - F[i, j - 1]
            rs += d * d
    for i in range(1, M):
        for j in range(N):
            d = F[i, j] - F[i - 1, j]
            cs += d * d
    return rs, cs


@jit_reduce()
def ag_sum(F, half):
    """sum sqrt((gx^2 + gy^2) [/2]) with ``np.gradient`` stencils (one-sided at the borders).

    Per row: the border columns apart, the interior in a branch-free (vectorised) loop; the
    per-pixel values are those of the stencils exactly (x / 2 == x * 0.5)."""
    M, N = F.shape
    s = 0.0
    hq = 0.5 if half else 1.0
    for i in range(M):
        up = F[max(i - 1, 0)] if M > 1 else F[i]
        dn = F[min(i + 1, M - 1)] if M > 1 else F[i]
        cy = 0.5 if (0 < i < M - 1) else (0.0 if M == 1 else 1.0)
        r = F[i]
        for j in range(N):
            if N == 1:
                gx = 0.0
            elif j == 0:
                gx = r[1] - r[0]
            elif j == N - 1:
                gx = r[N - 1] - r[N - 2]
            else:
                continue
            gy = (dn[j] - up[j]) * cy
            s += math.sqrt((gx * gx + gy * gy) * hq)
        for j in range(1, N - 1):
            gx = (r[j + 1] - r[j - 1]) * 0.5
            gy = (dn[j] - up[j]) * cy
            s += math.sqrt((gx * gx + gy * gy) * hq)
    return s
