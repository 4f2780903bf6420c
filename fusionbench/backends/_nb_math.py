"""Vectorisable exp and log-sums for Numba (no SVML in llvmlite, and libm calls are scalar).

``exp_inplace``: Cody-Waite reduction x = k ln2 + r (|r| <= ln2/2), a degree-13 Taylor
polynomial for exp(r) (truncation < 1e-17) and 2^k built from the exponent bits; ~1 ulp.
``log10_sum``: sum of log10 over a buffer of values >= 1 (or any positive normal values):
exponents are summed as integers and mantissas multiplied in 4 lanes of 16, so only one libm
log per 64 values remains. Both agree with libm to ~1e-15 relative, far inside the 1e-9 parity.
"""

from __future__ import annotations

import math

import numpy as np

from fusionbench.backends._numba_env import jit, jit_poly, jit_reduce

INV_LN2 = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
MAGIC = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer held in the low bits
MAGIC_BITS = 0x4338000000000000
MANT = 0x000FFFFFFFFFFFFF
ONE_BITS = 0x3FF0000000000000


@jit_poly()
def exp_inplace(x, work):
    """x[j] <- exp(x[j]); ``work`` is a float64 scratch buffer of the same size.

    Arguments below -708 give 0 and above 709 give inf (no subnormal results; NaN stays NaN)."""
    n = x.shape[0]
    for j in range(n):
        v0 = x[j]
        v = min(max(v0, -708.0), 709.0)
        t = v * INV_LN2 + MAGIC
        work[j] = t
        k = t - MAGIC
        r = (v - k * LN2_HI) - k * LN2_LO
        p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        p = 0.0 if v0 < -708.0 else p
        p = np.inf if v0 > 709.0 else p
        x[j] = v0 if math.isnan(v0) else p
    wi = work[:n].view(np.int64)
    for j in range(n):
        wi[j] = (wi[j] - MAGIC_BITS + 1023) << 52
    for j in range(n):
        x[j] *= work[j]


@jit_poly()
def exp9_inplace(x, work):
    """``exp_inplace`` with a degree-9 Taylor polynomial: truncation |r|^10 / 10! < 7e-12
    relative for |r| <= ln2/2, well inside Qabf's 1e-7 agreement budget (issue #16); five
    multiply-adds fewer per value. Same range and NaN rules."""
    n = x.shape[0]
    for j in range(n):
        v0 = x[j]
        v = min(max(v0, -708.0), 709.0)
        t = v * INV_LN2 + MAGIC
        work[j] = t
        k = t - MAGIC
        r = (v - k * LN2_HI) - k * LN2_LO
        p = 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        p = 0.0 if v0 < -708.0 else p
        p = np.inf if v0 >709.0 else p
        x[j] = v0 if math.isnan(v0) else p
    wi = work[:n].view(np.int64)
    for j in range(n):
        wi[j] = (wi[j] - MAGIC_BITS + 1023) << 52
    for j in range(n):
        x[j] *= work[j]


@jit()
def log10_sum(x, n):
    """sum_j log10(x[j]) for j < n (x positive, normal); x is overwritten with mantissas."""
    xi = x[:n].view(np.int64)
    e = np.int64(0)
    for j in range(n):
        b = xi[j]
        e += (b >> 52) - 1023
        xi[j] = (b & MANT) | ONE_BITS
    s = 0.0
    j = 0
    while j + 64 <= n:
        p0 = p1 = p2 = p3 = 1.0
        for q in range(j, j + 64, 4):
            p0 *= x[q]
            p1 *= x[q + 1]
            p2 *= x[q + 2]
            p3 *= x[q + 3]
        s += math.log(p0) + math.log(p1) + math.log(p2) + math.log(p3)
        j += 64
    p = 1.0
    for q in range(j, n):
        p *= x[q]
    s += math.log(p)
    return (s + e * 0.6931471805599453) / 2.302585092994046


SQRT3 = 1.7320508075688772
PI_6 = 0.5235987755982989
PI_2 = 1.5707963267948966


@jit_poly(inline="always")
def _atan_series(t):
    """atan(t) for |t| <= tan(pi/12) ~ 0.268: odd Taylor series to t^29 (truncation < 1e-17)."""
    z = t * t
    p = 1.0 / 29.0
    p = p * z - 1.0 / 27.0
    p = p * z + 1.0 / 25.0
    p = p * z - 1.0 / 23.0
    p = p * z + 1.0 / 21.0
    p = p * z - 1.0 / 19.0
    p = p * z + 1.0 / 17.0
    p = p * z - 1.0 / 15.0
    p = p * z + 1.0 / 13.0
    p = p * z - 1.0 / 11.0
    p = p * z + 1.0 / 9.0
    p = p * z - 1.0 / 7.0
    p = p * z + 1.0 / 5.0
    p = p * z - 1.0 / 3.0
    p = p * z + 1.0
    return p * t


@jit_poly(inline="always")
def _atan_series15(t):
    """atan(t) for |t| <= tan(pi/12): odd Taylor series to t^15, truncation t^17 / 17 < 1.2e-11
    (absolute) -- for Qabf, whose 1e-7 budget (issue #16) it meets with room to spare."""
    z = t * t
    p = 1.0 / 15.0
    p = p * z - 1.0 / 13.0
    p = p * z + 1.0 / 11.0
    p = p * z - 1.0 / 9.0
    p = p * z + 1.0 / 7.0
    p = p * z - 1.0 / 5.0
    p = p * z + 1.0 / 3.0
    p = p * z - 1.0
    return -p * t


@jit_poly()
def atan_inplace(x):
    """x[j] <- atan(x[j]) (finite x), branch-free: |x| > 1 -> pi/2 - atan(1/|x|); then
    t > tan(pi/12) -> pi/6 + atan((sqrt3 t - 1)/(t + sqrt3)); odd Taylor series to t^29 on
    |t| <= 0.268 (truncation < 1e-17). A few ulp from libm's atan."""
    for j in range(x.shape[0]):
        v = x[j]
        t = abs(v)
        inv = t > 1.0
        t = 1.0 / t if inv else t
        red = t > 0.2679491924311227
        t = (SQRT3 * t - 1.0) / (t + SQRT3) if red else t
        a = _atan_series(t)
        a = a + PI_6 if red else a
        a = PI_2 - a if inv else a
        x[j] = -a if v < 0 else a


@jit_poly()
def atan_quot(y, x, out):
    """out[j] <- atan(y[j] / x[j]), and pi/2 where x[j] == 0 (the Qabf angle rule).

    ``atan_inplace`` without forming the quotient: t = min(|y|, |x|) / max(|y|, |x|) takes
    the place of the reciprocal branch, and the pi/6 reduction divides n, d directly, so one
    or two divisions per value instead of two or three. Series to t^15 (``_atan_series15``:
    ~1e-11 absolute, Qabf's only use, budget 1e-7 relative)."""
    for j in range(out.shape[0]):
        yv = y[j]
        xv = x[j]
        ay = abs(yv)
        ax = abs(xv)
        inv = ay > ax
        n = ax if inv else ay
        d = ay if inv else ax
        red = n > 0.2679491924311227 * d
        t = (SQRT3 * n - d) / (n + SQRT3 * d) if red else n / d
        a = _atan_series15(t)
        a = a + PI_6 if red else a
        a = PI_2 - a if inv else a
        a = -a if (yv < 0.0) != (xv < 0.0) else a
        out[j] = PI_2 if xv == 0.0 else a


@jit_reduce()
def rowsum(x, n):
    """sum of x[:n] (vectorised; order differs from NumPy's pairwise sum only at ~1e-16)."""
    s = 0.0
    for j in range(n):
        s += x[j]
    return s
