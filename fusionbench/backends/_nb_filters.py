"""Numba filtering primitives (float64) for separable 'valid' correlation with symmetric 1-D
kernels (the ``fspecial`` Gaussian factors are exactly symmetric, so taps k and n-1-k are paired:
one multiply for two taps; this differs from direct filtering only at ~1e-16 relative).

Images are streamed row by row through a ring buffer of horizontally filtered rows, so no
full-size temporary is allocated (page faults on fresh 2 MB buffers cost as much as the maths).
"""

from __future__ import annotations

import numpy as np

from fusionbench.backends._numba_env import jit


@jit()
def hpass(src, g, out):
    """out[j] = sum_k g[k] src[j + k] for a symmetric odd-length kernel g.

    Written with slices and a k-outer loop: LLVM then vectorises the j loop (3x faster than
    indexing src[j + k] directly).
    """
    n = g.shape[0]
    h = n // 2
    m = out.shape[0]
    gc = g[h]
    c = src[h:h + m]
    for j in range(m):
        out[j] = gc * c[j]
    for k in range(h):
        gk = g[k]
        a = src[k:k + m]
        b = src[n - 1 - k:n - 1 - k + m]
        for j in range(m):
            out[j] += gk * (a[j] + b[j])


@jit()
def vpass(ring, r, g, out):
    """Vertical pass for output row r from the ring buffer of horizontally filtered rows."""
    n = g.shape[0]
    h = n // 2
    m = out.shape[0]
    gc = g[h]
    c = ring[(r + h) % n]
    for j in range(m):
        out[j] = gc * c[j]
    for k in range(h):
        gk = g[k]
        a = ring[(r + k) % n]
        b = ring[(r + n - 1 - k) % n]
        for j in range(m):
            out[j] += gk * (a[j] + b[j])


@jit()
def prod_row(x, y, sat, out):
    """out = x*y, replaced by min(x*y, sat) when sat > 0 (uint8 product saturation)."""
    for j in range(out.shape[0]):
        out[j] = x[j] * y[j]
    if sat > 0:
        for j in range(out.shape[0]):
            out[j] = min(out[j], sat)


@jit()
def valid_sub2(x, g):
    """``filter2(outer(g,g), x, 'valid')[::2, ::2]`` computing only the kept samples."""
    M, N = x.shape
    n = g.shape[0]
    Mo, No = M - n + 1, N - n + 1
    if Mo <= 0 or No <= 0:
        return np.empty((max((Mo + 1) // 2, 0), max((No + 1) // 2, 0)))
    Ms, Ns = (Mo + 1) // 2, (No + 1) // 2
    h = n // 2
    gc = g[h]
    tmp = np.empty((M, Ns))
    for i in range(M):
        r = x[i]
        t = tmp[i]
        for jj in range(Ns):
            j = 2 * jj
            s = gc * r[j + h]
            for k in range(h):
                s += g[k] * (r[j + k] + r[j + n - 1 - k])
            t[jj] = s
    out = np.empty((Ms, Ns))
    for ii in range(Ms):
        i = 2 * ii
        o = out[ii]
        c = tmp[i + h]
        for j in range(Ns):
            o[j] = gc * c[j]
        for k in range(h):
            gk = g[k]
            a = tmp[i + k]
            b = tmp[i + n - 1 - k]
            for j in range(Ns):
                o[j] += gk * (a[j] + b[j])
    return out
