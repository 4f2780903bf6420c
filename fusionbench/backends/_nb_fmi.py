"""Numba FMI (Haghighat et al. 2011, fast form 2014) on feature planes: ``fmi_sum(FA, FB, FF)``.

Mirrors :mod:`fusionbench.metrics.reference.fmi` window by window. Every step that feeds one of
the toolbox's exact tests (window equality, ``num == 0`` of the correlation, ``mi == 0``) is done
in the reference's order (left-to-right sums, the same divisions), so those tests decide alike.
Two shortcuts, each ~1e-16 relative per window: sums of 9 or 81 terms run left to right (NumPy
sums pairwise), and a joint-pdf entry where the Frechet bound's pdf is 0, ``(1 - mix) p_F p_X``,
takes its log2 as ``log2|1 - mix| + log2 p_F + log2 p_X`` from logs already at hand (the bound's
pdf is non-zero on at most 17 of the 81 entries), which is what makes the kernel fast.
"""

from __future__ import annotations

import math

import numpy as np

from fusionbench.backends._numba_env import jit

W = 3
L = W * W


@jit()
def _load(X, i, j, s):
    """The 3x3 window at (i, j) in MATLAB column-major order (``x(:)``)."""
    for c in range(W):
        for r in range(W):
            s[c * W + r] = X[i + r, j + c]


@jit()
def _normalise(s, n):
    lo = s[0]
    hi = s[0]
    for k in range(1, L):
        lo = min(lo, s[k])
        hi = max(hi, s[k])
    for k in range(L):
        n[k] = 1.0 if hi == lo else (s[k] - lo) / (hi - lo)


@jit()
def _stats(n, p, cdf, lg):
    """pdf ``p`` of a normalised window ``n`` (column sums, then their sum), its cumulative sums,
    log2 of its entries, entropy and the standard deviation of the bin index."""
    tot = ((n[0] + n[1]) + n[2] + ((n[3] + n[4]) + n[5])) + ((n[6] + n[7]) + n[8])
    acc = 0.0
    h = 0.0
    m1 = 0.0
    m2 = 0.0
    for k in range(L):
        p[k] = n[k] / tot
        acc = acc + p[k] if k else p[k]
        cdf[k] = acc
        if p[k] != 0.0:
            lg[k] = math.log2(p[k])
            h += -p[k] * lg[k]
        else:
            lg[k] = 0.0
        m1 += p[k] * (k + 1)
        m2 += p[k] * ((k + 1) * (k + 1))
    return h, math.sqrt(max(m2 - m1 * m1, 0.0))


@jit()
def _term(xp, xc, xl, hx, xsd, fp, fc, fl, hf, fsd, J):
    """FMI of one window pair from both windows' statistics; ``J`` a zeroed (10, 10) scratch."""
    mx = xc[L - 1] / L
    mf = fc[L - 1] / L
    num = 0.0
    sxx = 0.0
    sff = 0.0
    for k in range(L):
        xt = xp[k] - mx
        ft = fp[k] - mf
        num = num + xt * ft if k else xt * ft
        sxx = sxx + xt * xt if k else xt * xt
        sff = sff + ft * ft if k else ft * ft
    c = 0.0 if num == 0.0 else num / math.sqrt(sxx * sff)
    pos = c >= 0.0
    mix = 0.0
    if not (xsd == 0.0 or fsd == 0.0 or (pos and c == 0.0)):
        cov = 0.0
        for i in range(L):
            for j in range(L):
                fi = fc[i]
                xj = xc[j]
                b = min(fi, xj) if pos else max(fi + xj - 1.0, 0.0)
                J[i + 1, j + 1] = b
                cov += b - fi * xj
        mix = c / (cov / (fsd * xsd))
    om = 1.0 - mix
    lom = math.log2(abs(om)) if om != 0.0 else 0.0
    hj = 0.0
    for i in range(L):
        for j in range(L):
            q = fp[i] * xp[j]
            bp = 0.0
            if mix != 0.0:
                bp = ((J[i + 1, j + 1] - J[i, j + 1]) - J[i + 1, j]) + J[i, j]
            if bp != 0.0:
                v = mix * bp + om * q
                if v != 0.0:
                    hj += -v * math.log2(abs(v))
            else:
                v = om * q
                if v != 0.0:
                    hj += -v * (lom + fl[i] + xl[j])
    mi = hx + hf - hj
    return 0.0 if mi == 0.0 else 2.0 * mi / (hx + hf)


@jit()
def fmi_sum(FA, FB, FF):
    """Sum over all 3x3 windows of (FMI_AF + FMI_BF) / 2, and the window count."""
    M, N = FF.shape
    a = np.empty(L)
    b = np.empty(L)
    f = np.empty(L)
    na = np.empty(L)
    nb = np.empty(L)
    nf = np.empty(L)
    ap, ac, al = np.empty(L), np.empty(L), np.empty(L)
    bp, bc, bl = np.empty(L), np.empty(L), np.empty(L)
    fp, fc, fl = np.empty(L), np.empty(L), np.empty(L)
    J = np.zeros((L + 1, L + 1))
    total = 0.0
    for i in range(M - W + 1):
        for j in range(N - W + 1):
            _load(FA, i, j, a)
            _load(FB, i, j, b)
            _load(FF, i, j, f)
            _normalise(f, nf)
            hf, fsd = _stats(nf, fp, fc, fl)
            a_same = True
            for k in range(L):
                if a[k] != f[k]:
                    a_same = False
                    break
            if a_same:
                ta = 1.0
            else:
                _normalise(a, na)
                ha, asd = _stats(na, ap, ac, al)
                ta = _term(ap, ac, al, ha, asd, fp, fc, fl, hf, fsd, J)
            # the toolbox compares B's raw window with F's window as it left it: normalised in
            # place for the A term unless A's window equalled it
            b_same = True
            for k in range(L):
                if b[k] != (f[k] if a_same else nf[k]):
                    b_same = False
                    break
            if b_same:
                tb = 1.0
            else:
                _normalise(b, nb)
                hb, bsd = _stats(nb, bp, bc, bl)
                tb = _term(bp, bc, bl, hb, bsd, fp, fc, fl, hf, fsd, J)
            total += (ta + tb) / 2.0
    return total, (M - W + 1) * (N - W + 1)
