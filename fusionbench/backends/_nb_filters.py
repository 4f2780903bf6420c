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

    The common lengths run fully unrolled (taps held in registers, LLVM vectorises the j loop);
    other lengths use a k-outer loop. Both add the taps in the same order (centre, then the
    pairs k, n-1-k for k = 0, 1, ...), so results are bit-identical whichever path runs.
    """
    n = g.shape[0]
    if n == 17:
        _h17(src, g, out)
    elif n == 11:
        _h11(src, g, out)
    elif n == 9:
        _h9(src, g, out)
    elif n == 7:
        _h7(src, g, out)
    elif n == 5:
        _h5(src, g, out)
    elif n == 3:
        _h3(src, g, out)
    else:
        _hgen(src, g, out)


@jit()
def _hgen(src, g, out):
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
    """Vertical pass for output row r from a ring buffer of horizontally filtered rows
    (input row i lives in ring[i % len(ring)]; the ring holds at least len(g) rows)."""
    n = g.shape[0]
    R = ring.shape[0]
    h = n // 2
    m = out.shape[0]
    gc = g[h]
    c = ring[(r + h) % R]
    for j in range(m):
        out[j] = gc * c[j]
    for k in range(h):
        gk = g[k]
        a = ring[(r + k) % R]
        b = ring[(r + n - 1 - k) % R]
        for j in range(m):
            out[j] += gk * (a[j] + b[j])


@jit()
def vpass2(ring, r, g, out0, out1):
    """Output rows r and r + 1 at once (ring of >= len(g) + 1 rows). Each ring row is read once
    for both outputs, halving the (L2-bound) traffic of the vertical pass; same tap order."""
    n = g.shape[0]
    if n == 17:
        _v2_17(ring, r, g, out0, out1)
    elif n == 11:
        _v2_11(ring, r, g, out0, out1)
    elif n == 9:
        _v2_9(ring, r, g, out0, out1)
    else:
        vpass(ring, r, g, out0)
        vpass(ring, r + 1, g, out1)


@jit()
def ready_rows(i, n, Mo):
    """After input row i entered the ring: (first output row, count) to emit now. Rows come in
    pairs (r - 1, r) for ``vpass2``; an odd last row comes alone. (0, 0) when none is ready."""
    r = i - n + 1
    if r < 0 or r >= Mo:
        return 0, 0
    if r % 2 == 1:
        return r - 1, 2
    if r == Mo - 1:
        return r, 1
    return 0, 0


@jit()
def vrows(ring, r0, count, g, out):
    """``count`` (1 or 2) output rows from r0 into out[0], out[1]."""
    if count == 2:
        vpass2(ring, r0, g, out[0], out[1])
    else:
        vpass(ring, r0, g, out[0])


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
    """``filter2(outer(g,g), x, 'valid')[::2, ::2]`` computing only the kept samples.

    Each row is split into its even and odd samples, so the horizontal pass for the kept (even)
    columns reads contiguous data: taps k and n-1-k have the same parity and stay paired, in
    ``hpass``'s order. The vertical pass then runs for the kept rows only.
    """
    M, N = x.shape
    n = g.shape[0]
    Mo, No = M - n + 1, N - n + 1
    if Mo <= 0 or No <= 0:
        return np.empty((max((Mo + 1) // 2, 0), max((No + 1) // 2, 0)))
    Ms, Ns = (Mo + 1) // 2, (No + 1) // 2
    h = n // 2
    tmp = np.empty((M, Ns))
    ev = np.empty((N + 1) // 2)
    od = np.empty(N // 2)
    for i in range(M):
        r = x[i]
        for jj in range(ev.shape[0]):
            ev[jj] = r[2 * jj]
        for jj in range(od.shape[0]):
            od[jj] = r[2 * jj + 1]
        t = tmp[i]
        c = ev[h // 2:] if h % 2 == 0 else od[h // 2:]
        for jj in range(Ns):
            t[jj] = g[h] * c[jj]
        for k in range(h):
            a = ev[k // 2:] if k % 2 == 0 else od[k // 2:]
            b = ev[(n - 1 - k) // 2:] if k % 2 == 0 else od[(n - 1 - k) // 2:]
            gk = g[k]
            for jj in range(Ns):
                t[jj] += gk * (a[jj] + b[jj])
    out = np.empty((Ms, Ns))
    for ii in range(Ms):
        vpass(tmp, 2 * ii, g, out[ii])
    return out


# --- unrolled kernels (generated once by a short script; plain code) ---

@jit()
def _h3(s, g, out):
    g0, g1 = g[0], g[1]
    for j in range(out.shape[0]):
        a = g1 * s[j + 1]
        a += g0 * (s[j + 0] + s[j + 2])
        out[j] = a

@jit()
def _h5(s, g, out):
    g0, g1, g2 = g[0], g[1], g[2]
    for j in range(out.shape[0]):
        a = g2 * s[j + 2]
        a += g0 * (s[j + 0] + s[j + 4])
        a += g1 * (s[j + 1] + s[j + 3])
        out[j] = a

@jit()
def _h7(s, g, out):
    g0, g1, g2, g3 = g[0], g[1], g[2], g[3]
    for j in range(out.shape[0]):
        a = g3 * s[j + 3]
        a += g0 * (s[j + 0] + s[j + 6])
        a += g1 * (s[j + 1] + s[j + 5])
        a += g2 * (s[j + 2] + s[j + 4])
        out[j] = a

@jit()
def _h9(s, g, out):
    g0, g1, g2, g3, g4 = g[0], g[1], g[2], g[3], g[4]
    for j in range(out.shape[0]):
        a = g4 * s[j + 4]
        a += g0 * (s[j + 0] + s[j + 8])
        a += g1 * (s[j + 1] + s[j + 7])
        a += g2 * (s[j + 2] + s[j + 6])
        a += g3 * (s[j + 3] + s[j + 5])
        out[j] = a

@jit()
def _h11(s, g, out):
    g0, g1, g2, g3, g4, g5 = g[0], g[1], g[2], g[3], g[4], g[5]
    for j in range(out.shape[0]):
        a = g5 * s[j + 5]
        a += g0 * (s[j + 0] + s[j + 10])
        a += g1 * (s[j + 1] + s[j + 9])
        a += g2 * (s[j + 2] + s[j + 8])
        a += g3 * (s[j + 3] + s[j + 7])
        a += g4 * (s[j + 4] + s[j + 6])
        out[j] = a

@jit()
def _h17(s, g, out):
    g0, g1, g2, g3, g4, g5, g6, g7, g8 = g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8]
    for j in range(out.shape[0]):
        a = g8 * s[j + 8]
        a += g0 * (s[j + 0] + s[j + 16])
        a += g1 * (s[j + 1] + s[j + 15])
        a += g2 * (s[j + 2] + s[j + 14])
        a += g3 * (s[j + 3] + s[j + 13])
        a += g4 * (s[j + 4] + s[j + 12])
        a += g5 * (s[j + 5] + s[j + 11])
        a += g6 * (s[j + 6] + s[j + 10])
        a += g7 * (s[j + 7] + s[j + 9])
        out[j] = a

@jit()
def _v2_9(ring, r, g, out0, out1):
    R = ring.shape[0]
    g0, g1, g2, g3, g4 = g[0], g[1], g[2], g[3], g[4]
    x0 = ring[(r + 0) % R]
    x1 = ring[(r + 1) % R]
    x2 = ring[(r + 2) % R]
    x3 = ring[(r + 3) % R]
    x4 = ring[(r + 4) % R]
    x5 = ring[(r + 5) % R]
    x6 = ring[(r + 6) % R]
    x7 = ring[(r + 7) % R]
    x8 = ring[(r + 8) % R]
    x9 = ring[(r + 9) % R]
    for j in range(out0.shape[0]):
        a = g4 * x4[j]
        b = g4 * x5[j]
        a += g0 * (x0[j] + x8[j])
        b += g0 * (x1[j] + x9[j])
        a += g1 * (x1[j] + x7[j])
        b += g1 * (x2[j] + x8[j])
        a += g2 * (x2[j] + x6[j])
        b += g2 * (x3[j] + x7[j])
        a += g3 * (x3[j] + x5[j])
        b += g3 * (x4[j] + x6[j])
        out0[j] = a
        out1[j] = b

@jit()
def _v2_11(ring, r, g, out0, out1):
    R = ring.shape[0]
    g0, g1, g2, g3, g4, g5 = g[0], g[1], g[2], g[3], g[4], g[5]
    x0 = ring[(r + 0) % R]
    x1 = ring[(r + 1) % R]
    x2 = ring[(r + 2) % R]
    x3 = ring[(r + 3) % R]
    x4 = ring[(r + 4) % R]
    x5 = ring[(r + 5) % R]
    x6 = ring[(r + 6) % R]
    x7 = ring[(r + 7) % R]
    x8 = ring[(r + 8) % R]
    x9 = ring[(r + 9) % R]
    x10 = ring[(r + 10) % R]
    x11 = ring[(r + 11) % R]
    for j in range(out0.shape[0]):
        a = g5 * x5[j]
        b = g5 * x6[j]
        a += g0 * (x0[j] + x10[j])
        b += g0 * (x1[j] + x11[j])
        a += g1 * (x1[j] + x9[j])
        b += g1 * (x2[j] + x10[j])
        a += g2 * (x2[j] + x8[j])
        b += g2 * (x3[j] + x9[j])
        a += g3 * (x3[j] + x7[j])
        b += g3 * (x4[j] + x8[j])
        a += g4 * (x4[j] + x6[j])
        b += g4 * (x5[j] + x7[j])
        out0[j] = a
        out1[j] = b

@jit()
def _v2_17(ring, r, g, out0, out1):
    R = ring.shape[0]
    g0, g1, g2, g3, g4, g5, g6, g7, g8 = g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8]
    x0 = ring[(r + 0) % R]
    x1 = ring[(r + 1) % R]
    x2 = ring[(r + 2) % R]
    x3 = ring[(r + 3) % R]
    x4 = ring[(r + 4) % R]
    x5 = ring[(r + 5) % R]
    x6 = ring[(r + 6) % R]
    x7 = ring[(r + 7) % R]
    x8 = ring[(r + 8) % R]
    x9 = ring[(r + 9) % R]
    x10 = ring[(r + 10) % R]
    x11 = ring[(r + 11) % R]
    x12 = ring[(r + 12) % R]
    x13 = ring[(r + 13) % R]
    x14 = ring[(r + 14) % R]
    x15 = ring[(r + 15) % R]
    x16 = ring[(r + 16) % R]
    x17 = ring[(r + 17) % R]
    for j in range(out0.shape[0]):
        a = g8 * x8[j]
        b = g8 * x9[j]
        a += g0 * (x0[j] + x16[j])
        b += g0 * (x1[j] + x17[j])
        a += g1 * (x1[j] + x15[j])
        b += g1 * (x2[j] + x16[j])
        a += g2 * (x2[j] + x14[j])
        b += g2 * (x3[j] + x15[j])
        a += g3 * (x3[j] + x13[j])
        b += g3 * (x4[j] + x14[j])
        a += g4 * (x4[j] + x12[j])
        b += g4 * (x5[j] + x13[j])
        a += g5 * (x5[j] + x11[j])
        b += g5 * (x6[j] + x12[j])
        a += g6 * (x6[j] + x10[j])
        b += g6 * (x7[j] + x11[j])
        a += g7 * (x7[j] + x9[j])
        b += g7 * (x8[j] + x10[j])
        out0[j] = a
        out1[j] = b
