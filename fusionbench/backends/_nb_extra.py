"""Numba kernels for MSE/PSNR/RMSE, VIFF, Nabf, Qcb and Qcv (``specs/METRICS.md`` 4.11-4.18).

* squared-error sums for MSE, PSNR and VIFB's RMSE;
* VIFF (Han, Cai, Cao & Xu, Information Fusion 14, 2013): the vifp statistics of Sheikh &
  Bovik (2006) with sigma_n^2 = 325.125, per pixel from the source with the smaller gain;
* Nabf, the fusion-artefact measure of Petrovic & Xydeas (2005) as modified by Shreyamsha
  Kumar (2013): Tang's ``analysis_nabf.m`` Sobel/8 variant and the SMFNet/CDDFuse Python one;
* Qcb (Chen & Blum, Image Vis. Comput. 27, 2009) and Qcv (Chen & Varshney, Information Fusion 8,
  2007) as in Zheng Liu's toolbox (``metricChenBlum.m``, ``metricChen.m``, used by VIFB): CSF
  weights, 31x31 Gaussian contrast, Sobel saliency and 16x16 block reductions. Their FFTs run
  in ``numpy.fft`` (see :mod:`fusionbench.backends.numba_extra`).

Where the reference's result hinges on the rounding of a sum (Sobel responses of non-integer
data decide Nabf's ``gF > gA`` tests; Qcb's contrast ratios), taps are added in SciPy
``ndimage``'s order, so those intermediates are bit-identical to the reference.
"""

from __future__ import annotations

import math

import numpy as np

from fusionbench.backends._nb_filters import hpass, prod_row, vpass
from fusionbench.backends._nb_math import atan_inplace, exp_inplace, log10_sum, rowsum
from fusionbench.backends._numba_env import jit

HALF_PI = math.pi / 2
EPS = 1e-10


# --- MSE / PSNR / RMSE -----------------------------------------------------------------------

@jit()
def sq_err_sums(F, A, B, div):
    """(sum (F/div - A/div)^2, sum (F/div - B/div)^2); div == 1 skips the (exact) divisions."""
    M, N = F.shape
    da = np.empty(N)
    db = np.empty(N)
    sa = 0.0
    sb = 0.0
    for i in range(M):
        f, a, b = F[i], A[i], B[i]
        if div == 1.0:
            for j in range(N):
                x = f[j] - a[j]
                y = f[j] - b[j]
                da[j] = x * x
                db[j] = y * y
        else:
            for j in range(N):
                q = f[j] / div
                x = q - a[j] / div
                y = q - b[j] / div
                da[j] = x * x
                db[j] = y * y
        sa += rowsum(da, N)
        sb += rowsum(db, N)
    return sa, sb


# --- VIFF ------------------------------------------------------------------------------------

@jit()
def moments(x, g):
    """mu = W(x) and var = max(W(x*x) - mu^2, 0), 'valid' maps (vifp's source statistics)."""
    M, N = x.shape
    n = g.shape[0]
    Mo, No = M - n + 1, N - n + 1
    mu = np.empty((Mo, No))
    var = np.empty((Mo, No))
    r1 = np.empty((n, No))
    r2 = np.empty((n, No))
    row = np.empty(N)
    for i in range(M):
        hpass(x[i], g, r1[i % n])
        prod_row(x[i], x[i], 0.0, row)
        hpass(row, g, r2[i % n])
        r = i - n + 1
        if r >= 0:
            vpass(r1, r, g, mu[r])
            vpass(r2, r, g, var[r])
            for j in range(No):
                var[r, j] = max(var[r, j] - mu[r, j] * mu[r, j], 0.0)
    return mu, var


@jit()
def _gain(s1, s2, c, m1, m2, sigma_nsq):
    """(g, 1 + g^2 s1 / (sv^2 + sigma_nsq)) at one pixel, with vifp's eps rules (4.8)."""
    s12 = c - m1 * m2
    g = s12 / (s1 + EPS)
    sv = s2 - g * s12
    if s1 < EPS:
        g = 0.0
        sv = s2
        s1 = 0.0
    if s2 < EPS:
        g = 0.0
        sv = 0.0
    if g < 0.0:
        sv = s2
        g = 0.0
    sv = max(sv, EPS)
    return g, 1.0 + g * g * s1 / (sv + sigma_nsq)


@jit()
def viff_scale(A, B, F, muA, vA, muB, vB, g, sigma_nsq):
    """(sum log10 VID, sum log10 VIND) of one scale, per pixel from the source with the smaller
    gain; F's statistics and the cross terms W(A F), W(B F) are streamed row by row."""
    M, N = F.shape
    n = g.shape[0]
    No = N - n + 1
    rf = np.empty((n, No))
    rff = np.empty((n, No))
    raf = np.empty((n, No))
    rbf = np.empty((n, No))
    row = np.empty(N)
    mu2 = np.empty(No)
    v2 = np.empty(No)
    caf = np.empty(No)
    cbf = np.empty(No)
    vid = np.empty(No)
    vind = np.empty(No)
    s_vid = 0.0
    s_vind = 0.0
    for i in range(M):
        k = i % n
        hpass(F[i], g, rf[k])
        prod_row(F[i], F[i], 0.0, row)
        hpass(row, g, rff[k])
        prod_row(A[i], F[i], 0.0, row)
        hpass(row, g, raf[k])
        prod_row(B[i], F[i], 0.0, row)
        hpass(row, g, rbf[k])
        r = i - n + 1
        if r < 0:
            continue
        vpass(rf, r, g, mu2)
        vpass(rff, r, g, v2)
        vpass(raf, r, g, caf)
        vpass(rbf, r, g, cbf)
        for j in range(No):
            m2 = mu2[j]
            s2 = max(v2[j] - m2 * m2, 0.0)
            sa = vA[r, j]
            sb = vB[r, j]
            ga, xa = _gain(sa, s2, caf[j], muA[r, j], m2, sigma_nsq)
            gb, xb = _gain(sb, s2, cbf[j], muB[r, j], m2, sigma_nsq)
            s1 = sa if ga < gb else sb
            vid[j] = xa if ga < gb else xb
            vind[j] = 1.0 + s1 / sigma_nsq if s1 >= EPS else 1.0
        s_vid += log10_sum(vid, No)
        s_vind += log10_sum(vind, No)
    return s_vid, s_vind


# --- Nabf ------------------------------------------------------------------------------------

@jit()
def _mirror(i, n):
    """SciPy 'mirror' index (c b | a b c) for offsets of one pixel."""
    if n == 1:
        return 0
    return -i if i < 0 else (2 * n - 2 - i if i >= n else i)


@jit()
def _angles_inplace(ratio):
    """atan of each entry; NaN marks 'both responses zero', whose angle is 0."""
    for j in range(ratio.shape[0]):
        if math.isnan(ratio[j]):
            ratio[j] = 0.0
    atan_inplace(ratio)


@jit()
def nabf_edges_tang(X, div):
    """Tang's Sobel/8 of X/div with mirror borders: g = |grad|, a = atan(gv/gh) (0 if both 0).

    Taps are added from 0.0 in row-major kernel order (``ndimage.correlate``), so g is
    bit-identical to the reference even on [0,1] data."""
    M, N = X.shape
    P = np.empty((M + 2, N + 2))
    for i in range(-1, M + 1):
        si = _mirror(i, M)
        for j in range(-1, N + 1):
            P[i + 1, j + 1] = X[si, _mirror(j, N)] / div
    g = np.empty((M, N))
    a = np.empty((M, N))
    for i in range(M):
        p0, p1, p2 = P[i], P[i + 1], P[i + 2]
        gi, ai = g[i], a[i]
        for j in range(N):
            gv = 0.0 + -0.125 * p0[j]
            gv += 0.125 * p0[j + 2]
            gv += -0.25 * p1[j]
            gv += 0.25 * p1[j + 2]
            gv += -0.125 * p2[j]
            gv += 0.125 * p2[j + 2]
            gh = 0.0 + -0.125 * p0[j]
            gh += -0.25 * p0[j + 1]
            gh += -0.125 * p0[j + 2]
            gh += 0.125 * p2[j]
            gh += 0.25 * p2[j + 1]
            gh += 0.125 * p2[j + 2]
            gi[j] = math.sqrt(gv * gv + gh * gh)
            ai[j] = gv / gh  # 0/0 = NaN -> angle 0; x/0 = +-inf -> +-pi/2
        _angles_inplace(ai)
    return g, a


@jit()
def _dx_row(p, out):
    """SciPy ``correlate1d`` with [-1, 0, 1] of a padded row: x0*0 + (x[j-1] - x[j+1]) * -1."""
    for j in range(out.shape[0]):
        out[j] = p[j + 1] * 0.0 + (p[j] - p[j + 2]) * -1.0


@jit()
def nabf_edges_smfnet(X):
    """SMFNet's ``ndimage.sobel`` (nearest borders): g = |grad| and a = arctan2(sy, sx).

    SciPy's separable order: derivative [-1, 0, 1] (x0*0 + (x[-1] - x[+1]) * -1), then the
    smoothing [1, 2, 1] (x0*2 + (x[-1] + x[+1])) along the other axis; bit-identical."""
    M, N = X.shape
    P = np.empty((M + 2, N + 2))  # edge-replicated: every later pass sees 'nearest' borders
    for i in range(M + 2):
        r = X[min(max(i - 1, 0), M - 1)]
        P[i, 0] = r[0]
        P[i, 1:N + 1] = r
        P[i, N + 1] = r[N - 1]
    g = np.empty((M, N))
    a = np.empty((M, N))
    ring = np.empty((3, N))
    e = np.empty(N + 2)
    sy = np.empty(N)
    sx = np.empty(N)
    _dx_row(P[0], ring[0])
    _dx_row(P[1], ring[1])
    for i in range(M):
        _dx_row(P[i + 2], ring[(i + 2) % 3])
        dm, d0, dp = ring[i % 3], ring[(i + 1) % 3], ring[(i + 2) % 3]
        pm, p0, pp = P[i], P[i + 1], P[i + 2]
        for c in range(N + 2):
            e[c] = p0[c] * 0.0 + (pm[c] - pp[c]) * -1.0
        gi, ai = g[i], a[i]
        for j in range(N):
            y = e[j + 1] * 2.0 + (e[j] + e[j + 2])
            x = d0[j] * 2.0 + (dm[j] + dp[j])
            sy[j] = y
            sx[j] = x
            gi[j] = math.sqrt(x * x + y * y)
            ai[j] = y / x if x != 0.0 else 0.0
        atan_inplace(ai)
        for j in range(N):  # arctan2 quadrants for sx < 0 (the sign of a zero sy included)
            ai[j] += math.copysign(math.pi, sy[j]) if sx[j] < 0.0 else 0.0
        for j in range(N):
            if sx[j] == 0.0:
                ai[j] = math.atan2(sy[j], sx[j])
    return g, a


@jit()
def _q_args(gX, aX, gF, aF, eg, ea):
    """exp arguments of Q_g and Q_alpha (4.18 steps 2-3) along one row."""
    for j in range(gF.shape[0]):
        x = gX[j]
        f = gF[j]
        G = min(x, f) / max(x, f)
        G = 0.0 if x == 0.0 else G
        G = 0.0 if f == 0.0 else G
        eg[j] = -19.0 * (G - 0.5)
        ea[j] = -22.0 * (abs(abs(aX[j] - aF[j]) - HALF_PI) * 2.0 / math.pi - 0.5)


@jit()
def nabf_sums(gA, aA, gB, aB, gF, aF, tang):
    """(sum na ((1 - Q^AF) wA + (1 - Q^BF) wB), sum wA + wB) of Nabf (4.18).

    ``tang``: w = g^1.5 where g >= 2 else 0.001, na = gF > gA and gF > gB; otherwise (SMFNet)
    w = 0.001 g^1.5 and na = gF > gA. g^1.5 is taken as g sqrt(g) (1 ulp from pow)."""
    M, N = gF.shape
    e = np.empty(4 * N)
    work = np.empty(4 * N)
    bn = np.empty(N)
    bd = np.empty(N)
    num = 0.0
    den = 0.0
    for i in range(M):
        xa, xb, xf = gA[i], gB[i], gF[i]
        _q_args(xa, aA[i], xf, aF[i], e[:N], e[N:2 * N])
        _q_args(xb, aB[i], xf, aF[i], e[2 * N:3 * N], e[3 * N:])
        exp_inplace(e, work)
        for j in range(N):
            qa = math.sqrt((0.9999 / (1.0 + e[j])) * (0.9995 / (1.0 + e[N + j])))
            qb = math.sqrt((0.9999 / (1.0 + e[2 * N + j])) * (0.9995 / (1.0 + e[3 * N + j])))
            ga = xa[j]
            gb = xb[j]
            f = xf[j]
            wa = ga * math.sqrt(ga)
            wb = gb * math.sqrt(gb)
            if tang:
                wa = wa if ga >= 2.0 else 0.001
                wb = wb if gb >= 2.0 else 0.001
                na = (f > ga) & (f > gb)
            else:
                wa = 0.001 * wa
                wb = 0.001 * wb
                na = f > ga
            v = (1.0 - qa) * wa + (1.0 - qb) * wb
            bn[j] = v if na else 0.0
            bd[j] = wa + wb
        num += rowsum(bn, N)
        den += rowsum(bd, N)
    return num, den


# --- Qcb / Qcv -------------------------------------------------------------------------------

@jit()
def normalize1(x):
    """Zheng Liu's ``normalize1``: round_away(255 (x - min) / (max - min)); an all-zero image is
    returned unchanged, a constant non-zero one becomes NaN (0/0, as in MATLAB)."""
    lo = x.min()
    hi = x.max()
    if hi == 0.0 and lo == 0.0:
        return x.copy()
    d = hi - lo
    out = np.empty(x.shape)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            # v >= 0 (or NaN), where round_away(v) = sign(v) floor(|v| + 0.5) = floor(v + 0.5)
            out[i, j] = np.floor(255.0 * (x[i, j] - lo) / d + 0.5)
    return out


@jit()
def csf_half(M, N, scale, kind):
    """Real CSF on the rfft2 half-plane (ifftshift layout) of the ``freqspace`` grid scaled by
    (N/scale, M/scale). kind 0: Chen-Blum S(r) = exp(-(r/f0)^2) - a exp(-(r/f1)^2); kind 1:
    Mannos-Sakrison 2.6 (0.0192 + 0.144 r) exp(-(0.144 r)^1.1)."""
    H = np.empty((M, N // 2 + 1))
    for p in range(M):
        v = ((p + M // 2) % M - M // 2) * 2.0 / M * (M / scale)
        for q in range(N // 2 + 1):
            u = ((q + N // 2) % N - N // 2) * 2.0 / N * (N / scale)
            r = math.sqrt(u * u + v * v)
            if kind == 0:
                x0 = r / 15.3870
                x1 = r / 1.3456
                H[p, q] = math.exp(-(x0 * x0)) - 0.7622 * math.exp(-(x1 * x1))
            else:
                H[p, q] = 2.6 * (0.0192 + 0.144 * r) * math.exp(-((0.144 * r) ** 1.1))
    return H


@jit()
def spectrum_filter(S, H):
    """S * H for a complex half-spectrum S and a real filter H (new array)."""
    out = np.empty_like(S)
    for p in range(S.shape[0]):
        for q in range(S.shape[1]):
            s = S[p, q]
            out[p, q] = complex(s.real * H[p, q], s.imag * H[p, q])
    return out


@jit()
def _vpass_two(P, r, g, k, out_g, out_k):
    """``vpass`` of rows r .. r + n - 1 of P with two symmetric kernels at once (each pair sum
    is formed once; per output the taps are added in ``vpass``'s order: centre, then pairs)."""
    n = g.shape[0]
    h = n // 2
    c = P[r + h]
    for j in range(out_g.shape[0]):
        out_g[j] = g[h] * c[j]
        out_k[j] = k[h] * c[j]
    for t in range(h):
        a = P[r + t]
        b = P[r + n - 1 - t]
        gt = g[t]
        kt = k[t]
        for j in range(out_g.shape[0]):
            s = a[j] + b[j]
            out_g[j] += gt * s
            out_k[j] += kt * s


@jit()
def masked_contrast(x, g2, g4, c2, c4):
    """Chen-Blum C' = C^3 / (C^2 + 1e-4), C = |G2(x) / G4(x) - 1|, G_s = filter2(same, zero pad)
    with the 31-tap separable Gaussians g_s / c_s; vertical pass first, as ``ndimage``."""
    M, N = x.shape
    h = g2.shape[0] // 2
    P = np.zeros((M + 2 * h, N))
    P[h:h + M] = x
    r2 = np.zeros(N + 2 * h)
    r4 = np.zeros(N + 2 * h)
    o2 = np.empty(N)
    o4 = np.empty(N)
    out = np.empty((M, N))
    for i in range(M):
        _vpass_two(P, i, g2, g4, r2[h:h + N], r4[h:h + N])
        hpass(r2, g2, o2)
        hpass(r4, g4, o4)
        oi = out[i]
        for j in range(N):
            C = abs((o2[j] / c2) / (o4[j] / c4) - 1.0)
            oi[j] = C * C * C / (C * C + 1e-4)
    return out


@jit()
def qcb_sum(ca, cb, cf):
    """sum of lambda_A Q_AF + lambda_B Q_BF over pixels (NaN propagates)."""
    M, N = cf.shape
    buf = np.empty(N)
    s = 0.0
    for i in range(M):
        xa, xb, xf = ca[i], cb[i], cf[i]
        for j in range(N):
            a, b, f = xa[j], xb[j], xf[j]
            qa = a / f if a < f else f / a
            qb = b / f if b < f else f / b
            a2 = a * a
            b2 = b * b
            buf[j] = a2 / (a2 + b2) * qa + b2 / (a2 + b2) * qb
        s += rowsum(buf, N)
    return s


@jit()
def sobel_saliency(x, w):
    """Chen-Varshney region saliency: per w x w block (zero-padded at the right/bottom) the sum
    of G^5 = m^2 sqrt(m), m = |Sobel|^2, Sobel by ``filter2(.., 'same')`` with zero padding."""
    M, N = x.shape
    P = np.zeros((M + 2, N + 2))
    P[1:M + 1, 1:N + 1] = x
    sal = np.zeros(((M + w - 1) // w, (N + w - 1) // w))
    for i in range(M):
        p0, p1, p2 = P[i], P[i + 1], P[i + 2]
        srow = sal[i // w]
        for j in range(N):
            gx = 0.0 - p0[j]
            gx += p0[j + 2]
            gx += -2.0 * p1[j]
            gx += 2.0 * p1[j + 2]
            gx += -p2[j]
            gx += p2[j + 2]
            gy = 0.0 - p0[j]
            gy += -2.0 * p0[j + 1]
            gy += -p0[j + 2]
            gy += p2[j]
            gy += 2.0 * p2[j + 1]
            gy += p2[j + 2]
            m2 = gx * gx + gy * gy
            srow[j // w] += m2 * m2 * math.sqrt(m2)
    return sal


@jit()
def qcv_sums(TA, TB, TF, la, lb, w):
    """(sum lambda_A d_A + lambda_B d_B, sum lambda_A + lambda_B) over blocks, with d_X the mean
    of (T_X - T_F)^2 over the zero-padded w x w block (T = CSF-filtered normalised image)."""
    M, N = TF.shape
    Mb, Nb = la.shape
    da = np.zeros((Mb, Nb))
    db = np.zeros((Mb, Nb))
    for i in range(M):
        ra, rb = da[i // w], db[i // w]
        xa, xb, xf = TA[i], TB[i], TF[i]
        for j in range(N):
            a = xa[j] - xf[j]
            b = xb[j] - xf[j]
            ra[j // w] += a * a
            rb[j // w] += b * b
    num = 0.0
    den = 0.0
    n = w * w
    for p in range(Mb):
        for q in range(Nb):
            num += la[p, q] * (da[p, q] / n) + lb[p, q] * (db[p, q] / n)
            den += la[p, q] + lb[p, q]
    return num, den
