"""MEF-SSIM (Ma, Zeng, Wang 2015): structural similarity of F to the sources as an exposure stack.

Per 11 x 11 window the sources' mean-removed patches are combined into one desired structure
(weights from the patches' contrast, powered by a consistency measure), scaled to the largest
source contrast, and compared with F by SSIM's structure term under an 11 x 11 Gaussian
(sigma 1.5), C = (0.03 * 255)^2. ``mef_ms`` repeats this on 3 scales (2 x 2 mean, then every
second pixel) and combines them as ``prod Q_l ^ w_l``, w = (0.0448, 0.2856, 0.3001) / sum, which is
what MEFB's ``metricsMEF_SSIM.m`` returns (``mef_ms_ssim``).

The per-window sums are written with window filters (box for the patch norms and contrasts,
Gaussian for the SSIM statistics), which equals the per-window loops up to rounding; windows in
which every source is constant get an exactly zero desired structure.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from fusionbench.metrics.reference.filters import filter2_valid, gaussian_1d

N = 11
_K = 0.03
_EPS = np.finfo(float).eps
_MS_WEIGHTS = np.array([0.0448, 0.2856, 0.3001]) / (0.0448 + 0.2856 + 0.3001)


def _flat(x):
    h = N // 2
    return (ndimage.maximum_filter(x, size=N) == ndimage.minimum_filter(x, size=N))[h:-h, h:-h]


def _box(z):
    return filter2_valid(z, np.full(N, 1.0 / N))


def _gauss(z):
    return filter2_valid(z, gaussian_1d(N, 1.5))


def source_terms(seq):
    """What one scale of MEF-SSIM takes from the sources alone: per window the weights of the
    desired structure, its scaled Gaussian variance, the flat-window mask and each source's
    Gaussian mean (``mef_ssim_fused`` adds F's terms)."""
    K = len(seq)
    flat = [_flat(x) for x in seq]
    mu = [_box(x) for x in seq]
    var = [np.where(f, 0.0, np.maximum(_box(x * x) - m * m, 0.0)) for x, m, f in zip(seq, mu, flat)]
    ed = [np.sqrt(N * N * v) + 0.001 for v in var]
    # consistency: norm of the mean-removed sum of patches / sum of the patches' norms
    S = sum(seq)
    mS = _box(S)
    all_flat = np.logical_and.reduce(flat)
    var_s = np.where(all_flat, 0.0, np.maximum(_box(S * S) - mS * mS, 0.0))
    num = np.sqrt(N * N * var_s)
    den = sum(np.sqrt(N * N * v) for v in var)
    R = (num + _EPS) / (den + _EPS)
    R = np.where(R > 1, 1 - _EPS, np.where(R < 0, _EPS, R))
    p = np.minimum(np.tan(np.pi / 2 * R), 10.0)
    w = [(e / N) ** p + _EPS for e in ed]
    wsum = sum(w)
    c = [wk / wsum / e for wk, e in zip(w, ed)]  # desired structure = sum_k c_k (X_k - mu_k)
    max_ed = np.maximum.reduce(ed)
    # squared norm of the desired patch and its Gaussian variance
    g_mu = [_gauss(x) for x in seq]
    norm2 = np.zeros_like(max_ed)
    var_r = np.zeros_like(max_ed)
    for k in range(K):
        xk = seq[k]
        for m in range(K):
            xm = seq[m]
            ckm = c[k] * c[m]
            norm2 += ckm * N * N * (_box(xk * xm) - mu[k] * mu[m])
            var_r += ckm * (_gauss(xk * xm) - g_mu[k] * g_mu[m])
    norm2 = np.where(all_flat, 0.0, norm2)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(norm2 > 0, max_ed / np.sqrt(norm2), 0.0)
    var_r = np.where(all_flat, 0.0, s * s * var_r)
    return {"c": c, "s": s, "var_r": var_r, "all_flat": all_flat, "g_mu": g_mu}


def mef_ssim_fused(terms, seq, F) -> float:
    """One scale of MEF-SSIM from the sources' :func:`source_terms` and the fused plane."""
    c, g_mu = terms["c"], terms["g_mu"]
    gF = _gauss(F)
    cov_rf = np.zeros_like(terms["s"])
    for k, xk in enumerate(seq):
        cov_rf += c[k] * (_gauss(xk * F) - g_mu[k] * gF)
    cov_rf = np.where(terms["all_flat"], 0.0, terms["s"] * cov_rf)
    var_f = _gauss(F * F) - gF * gF
    C = (_K * 255.0) ** 2
    q = (2 * cov_rf + C) / (terms["var_r"] + var_f + C)
    return float(np.mean(q))


def _down2(x):
    """MATLAB imfilter(x, ones(2)/4, 'symmetric', 'same') then x(1:2:end, 1:2:end)."""
    p = np.pad(x, ((0, 1), (0, 1)), mode="symmetric")
    m = (p[:-1, :-1] + p[1:, :-1] + p[:-1, 1:] + p[1:, 1:]) / 4.0
    return m[::2, ::2]


def mef_ssim(F, A, B, opts) -> float:
    """MEF-SSIM of F against the stack {A, B}.

    ``mef_ssim_scales=3``: the 3-scale product (MEFB's ``metricsMEF_SSIM``, Tang's ``MS_SSIM``);
    NaN when the smaller side is under 44 pixels (the coarsest scale must hold an 11 x 11 window).
    ``1``: single scale (Tang's 2022 ``SSIM`` output, ``mef_ssim.m``); NaN under 11 pixels.

    References
    ----------
    K. Ma, K. Zeng, Z. Wang, "Perceptual quality assessment for multi-exposure image fusion",
    IEEE Trans. Image Process. 24 (11), 3345-3356, 2015.
    """
    scales = int(opts["mef_ssim_scales"])
    if not fits(F.shape, scales):
        return float("nan")
    return mef_ssim_from_terms(source_pyramid([A, B], scales), F)


def fits(shape, scales: int) -> bool:
    """Whether every scale holds an 11 x 11 window (else the metric is NaN)."""
    return min(shape) >= N if scales == 1 else min(shape) / 4.0 >= N


def source_pyramid(seq, scales: int):
    """[(source planes, :func:`source_terms`)] for each scale (1, or 3 with 2 x 2 mean reduction)."""
    out = []
    for level in range(scales):
        out.append((seq, source_terms(seq)))
        if level < scales - 1:
            seq = [_down2(x) for x in seq]
    return out


def mef_ssim_from_terms(pyramid, F) -> float:
    """MEF-SSIM of F from the sources' :func:`source_pyramid` (single scale, or the 3-scale product)."""
    if len(pyramid) == 1:
        seq, terms = pyramid[0]
        return mef_ssim_fused(terms, seq, F)
    qs, f = [], F
    for level, (seq, terms) in enumerate(pyramid):
        qs.append(mef_ssim_fused(terms, seq, f))
        if level < len(pyramid) - 1:
            f = _down2(f)
    return float(np.prod(np.array(qs) ** _MS_WEIGHTS))
