"""SSIM-based fusion metrics: Qy (Yang), Qc (Cvejic), Qw and Qe (Piella).

Definitions as in Zheng Liu's fusion-metric toolbox (Liu et al., IEEE TPAMI 2012), which MEFB
runs (``metricsQy.m``, ``metricsQc.m``, ``metricsQw.m``): local statistics from a normalised
Gaussian window, ``filter2(..., 'valid')``. Values are means over the valid window positions.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from fusionbench.metrics.reference.filters import correlate_same, filter2_valid, gaussian_1d


def _stats(x, y, g):
    """Local means, variances and covariance of x, y over the window outer(g, g) ('valid')."""
    mx, my = filter2_valid(x, g), filter2_valid(y, g)
    vx = filter2_valid(x * x, g) - mx * mx
    vy = filter2_valid(y * y, g) - my * my
    vxy = filter2_valid(x * y, g) - mx * my
    return mx, my, vx, vy, vxy


def _flat(x, n):
    """True for the 'valid' n x n windows where x is constant."""
    h = n // 2
    core = (slice(h, x.shape[0] - h), slice(h, x.shape[1] - h))
    return (ndimage.maximum_filter(x, size=n) == ndimage.minimum_filter(x, size=n))[core]


def _ssim_map(x, y, g, c1, c2, *, exact_flat=False):
    mx, my, vx, vy, vxy = _stats(x, y, g)
    if exact_flat:
        # (co)variances of a constant window are exactly 0; float64 leaves +-1e-13 there, and with
        # C1 = C2 = 2e-16 the sign of that residue would decide the window's value
        fx, fy = _flat(x, g.size), _flat(y, g.size)
        vx, vy = np.where(fx, 0.0, vx), np.where(fy, 0.0, vy)
        vxy = np.where(fx | fy, 0.0, vxy)
    with np.errstate(invalid="ignore", divide="ignore"):
        S = ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return S, vx, vy, vxy


# Yang's and Cvejic's SSIM: 7x7 Gaussian (sigma 1.5) and C1 = C2 = 2e-16 (practically no
# stabilisation, so flat windows give 0/0 = NaN, which the metrics drop)
_G7 = (7, 1.5)
_C_YANG = 2e-16


def _nanmean(x) -> float:
    x = x[~np.isnan(x)]
    return float(x.mean()) if x.size else float("nan")


def qy(F, A, B, opts) -> float:
    """Yang et al.'s SSIM-based metric Q_Y.

    Where SSIM(A, B) >= 0.75 (redundant regions) the local SSIMs with F are weighted by the
    sources' local variances; elsewhere the larger of SSIM(A, F) and SSIM(B, F) counts. NaN
    windows (0/0 on flat regions) are left out of the mean.

    References
    ----------
    C. Yang, J.-Q. Zhang, X.-R. Wang, X. Liu, "A novel similarity based quality metric for image
    fusion", Information Fusion 9 (2), 156-160, 2008.
    """
    g = gaussian_1d(*_G7)
    if min(F.shape) < 11:  # the toolbox's ssim_yang refuses images under 11 pixels
        return float("nan")
    sab, va, vb, _ = _ssim_map(A, B, g, _C_YANG, _C_YANG, exact_flat=True)
    saf = _ssim_map(A, F, g, _C_YANG, _C_YANG, exact_flat=True)[0]
    sbf = _ssim_map(B, F, g, _C_YANG, _C_YANG, exact_flat=True)[0]
    redundant = sab >= 0.75
    with np.errstate(invalid="ignore", divide="ignore"):
        lam = va / (va + vb)
        q = (lam * saf + (1 - lam) * sbf) * redundant + np.maximum(saf, sbf) * ~redundant
    return _nanmean(q)


def qc(F, A, B, opts) -> float:
    """Cvejic et al.'s metric Q_C: local SSIMs with F weighted by the sources' covariances with F.

    ``sim = s SSIM(A, F) + (1 - s) SSIM(B, F)``, ``s = cov(A, F) / (cov(A, F) + cov(B, F))``,
    set to 0 where s < 0 and to 1 where s > 1; NaN windows are left out of the mean.

    References
    ----------
    N. Cvejic, A. Loza, D. Bull, N. Canagarajah, "A similarity metric for assessment of image
    fusion algorithms", Int. J. Signal Process. 2 (3), 178-182, 2005.
    """
    g = gaussian_1d(*_G7)
    if min(F.shape) < 11:
        return float("nan")
    saf, _, _, caf = _ssim_map(A, F, g, _C_YANG, _C_YANG, exact_flat=True)
    sbf, _, _, cbf = _ssim_map(B, F, g, _C_YANG, _C_YANG, exact_flat=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = caf / (caf + cbf)
        sim = s * saf + (1 - s) * sbf
    sim[s < 0] = 0.0
    sim[s > 1] = 1.0
    return _nanmean(sim)


# Piella's index uses Wang's ssim_index: 11x11 Gaussian (1.5), K = (0.01, 0.03), L = 255
_G11 = (11, 1.5)
_C1, _C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
_PREWITT_X = np.array([[1.0, 0.0, -1.0]] * 3)
_PREWITT_Y = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -1.0, -1.0]])


def _edges(x):
    gx, gy = correlate_same(x, _PREWITT_X), correlate_same(x, _PREWITT_Y)
    return np.sqrt(gx * gx + gy * gy)


def _piella_qw(F, A, B) -> float:
    g = gaussian_1d(*_G11)
    if min(F.shape) < 11:
        return float("nan")
    _, va, vb, _ = _ssim_map(A, B, g, _C1, _C2)
    flat = (va + vb) == 0  # both sources flat: equal weights (0.5 each)
    va, vb = va + 0.5 * flat, vb + 0.5 * flat
    lam = va / (va + vb)
    saf = _ssim_map(F, A, g, _C1, _C2)[0]
    sbf = _ssim_map(F, B, g, _C1, _C2)[0]
    cw = np.maximum(va, vb)
    cw = cw / cw.sum()
    return float(np.sum(cw * (lam * saf + (1 - lam) * sbf)))


def qw(F, A, B, opts) -> float:
    """Piella and Heijmans' weighted fusion quality index Q_W.

    ``Q_W = sum_w c(w) [lambda(w) SSIM(A, F | w) + (1 - lambda(w)) SSIM(B, F | w)]`` with saliency
    = local variance, ``lambda = s_A / (s_A + s_B)``, ``c = max(s_A, s_B) / sum max(s_A, s_B)``.
    ``qw_input='edges'`` computes it on the Prewitt edge magnitudes of A, B and F instead, which
    is what MEFB's ``metricsQw.m`` returns (Zheng Liu's edge-dependent index with the image factor
    left out, alpha = 1).

    References
    ----------
    G. Piella, H. Heijmans, "A new quality metric for image fusion", Proc. ICIP 2003, III-173-176.
    """
    if opts["qw_input"] == "edges":
        return _piella_qw(_edges(F), _edges(A), _edges(B))
    return _piella_qw(F, A, B)


def qe(F, A, B, opts) -> float:
    """Piella and Heijmans' edge-dependent fusion quality index ``Q_E = Q_W(A, B, F) Q_W(A', B', F')``
    (alpha = 1), where ' marks the Prewitt edge magnitude images.

    References
    ----------
    G. Piella, H. Heijmans, "A new quality metric for image fusion", Proc. ICIP 2003, III-173-176.
    """
    return _piella_qw(F, A, B) * _piella_qw(_edges(F), _edges(A), _edges(B))
