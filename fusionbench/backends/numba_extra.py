"""Numba ports of MSE, PSNR, RMSE, VIFF, Nabf, Qcb, Qcv, Qy, Qc, Qw, Qe, NMI, Q_TE, Q_NCIE,
FMI_pixel, FMI_dct, FMI_w and Qp (phase congruency in :mod:`fusionbench.backends._nb_phase`), and
MEF_SSIM and MS_SSIM (the reference's code with the sources' part cached): ``EXTRA_KERNELS[name](t)``.

``t`` is the ``_Triple`` of :mod:`fusionbench.backends.numba_backend` (planes ``t.F, t.A, t.B``,
options ``t.opts``, cached intermediates via ``t.src``, ``t.fused``, ``t.both``). Kept in the
source cache, per source plane: the VIFF pyramid statistics, the Nabf Sobel maps, the Chen-Blum
masked-contrast map, the Chen-Varshney CSF-filtered plane and block saliency. Definitions:
``specs/METRICS.md`` 4.11-4.18; kernels in :mod:`fusionbench.backends._nb_extra`.

Qcb and Qcv filter in the frequency domain with ``numpy.fft`` (``rfft2``/``irfft2``; Numba has
no FFT); the CSF weights, Gaussian contrast, saliency, block reductions and quality maps run in
Numba. Qcv filters A - F as CSF(A) - CSF(F) (the filter is linear), so a second fused image on
the same pair needs only F's transforms; this moves Qcv by ~1e-15 relative.

The SSIM-window metrics Qy, Qc, Qw, Qe (kernels in :mod:`fusionbench.backends._nb_piella`) keep
each source plane's Gaussian means, variances and flat-window masks (and its Prewitt edge map) in
the source cache; the joint-histogram metrics NMI, Q_TE, Q_NCIE keep its ``normalize1`` levels; FMI keeps its
feature plane (for FMI_dct its whole-image DCT, from ``scipy.fft``, for FMI_w the Discrete Meyer
sub-bands, from the reference's ``dwt2``; the windows run in :mod:`fusionbench.backends._nb_fmi`).
"""

from __future__ import annotations

import math

import numpy as np

from fusionbench.backends import _nb_extra as X
from fusionbench.backends import _nb_fmi
from fusionbench.backends import _nb_piella as P
from fusionbench.backends._nb_filters import valid_sub2

VIFF_SIGMA_NSQ = 0.005 * 255.0 ** 2
VIFF_WEIGHTS = np.array([1.0, 0.0, 0.15, 1.0]) / 2.15
VIFF_C = 1e-7
QCV_WINDOW = 16


def _plane(t, which, key, make):
    """Cached item of plane ``which`` ('A', 'B' source cache; 'F' this call only)."""
    return t.fused(key, make) if which == "F" else t.src(which, key, make)


def _ratio(num, den):
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.float64(num) / den)


# --- MSE / PSNR / RMSE (4.11, 4.13) ----------------------------------------------------------

def _sq(t, div):
    return t.fused(("sqerr", div), lambda F: X.sq_err_sums(F, t.A, t.B, div))


def _mse_at(t, div):
    sa, sb = _sq(t, div)
    n = t.F.size
    return 0.5 * (sa / n) + 0.5 * (sb / n)


def _vifb_errs(t):
    sa, sb = _sq(t, 1.0)
    n = t.F.size
    return math.sqrt(sa) / n, math.sqrt(sb) / n


def _mse(t):
    return _mse_at(t, 1.0 if t.opts["mse_scale"] == 255 else 255.0)


def _psnr(t):
    mode = t.opts["psnr_mode"]
    with np.errstate(divide="ignore", invalid="ignore"):
        if mode == "vifb":
            ea, eb = _vifb_errs(t)
            return float(20.0 * np.log10(255.0 / np.sqrt(np.float64((eb + ea) / 2.0))))
        if mode == "tang":
            return float(20.0 * np.log10(255.0 / np.sqrt(np.float64(_mse_at(t, 255.0)))))
        fmax = np.max(t.F)  # the peak is the fused image's maximum
        return float(10.0 * np.log10(fmax ** 2 / np.float64(_mse_at(t, 1.0))))


def _rmse(t):
    ea, eb = _vifb_errs(t)
    return (eb + ea) / 2.0


# --- VIFF (4.17) -----------------------------------------------------------------------------

def _windows():
    from fusionbench.metrics.reference.filters import gaussian_1d
    return [gaussian_1d(2 ** (5 - s) + 1, (2 ** (5 - s) + 1) / 5.0) for s in range(1, 5)]


def _viff_planes(x):
    """vifp input planes of the 4 scales, or None when one no longer fits its window (NaN)."""
    planes, ref = [], np.ascontiguousarray(x)
    for s, g in enumerate(_windows()):
        if min(ref.shape) < g.size:
            return None
        if s > 0:
            ref = valid_sub2(ref, g)
            if min(ref.shape) < g.size:
                return None
        planes.append(ref)
    return planes


def _viff_source(x):
    planes = _viff_planes(x)
    if planes is None:
        return None
    return [(p,) + X.moments(p, g) for p, g in zip(planes, _windows())]


def _viff(t):
    pa, pb = t.src("A", "viff", _viff_source), t.src("B", "viff", _viff_source)
    fp = t.fused("viff", _viff_planes)
    if pa is None:
        return float("nan")
    total = 0.0
    for s, g in enumerate(_windows()):
        if VIFF_WEIGHTS[s] == 0.0:  # weight 0: the scale adds exactly +0.0 (its ratio is finite)
            continue
        (a, ma, va), (b, mb, vb) = pa[s], pb[s]
        vid, vind = X.viff_scale(a, b, fp[s], ma, va, mb, vb, g, VIFF_SIGMA_NSQ)
        nc = ma.size * VIFF_C  # sum(log10 x + C) taken as sum(log10 x) + n C
        total += VIFF_WEIGHTS[s] * (vid + nc) / (vind + nc)
    return float(total)


# --- Nabf (4.18) -----------------------------------------------------------------------------

def _nabf(t):
    variant = t.opts["nabf_variant"]
    if variant == "smfnet":
        (gA, aA), (gB, aB), (gF, aF) = t.both(("nabf", "smfnet"), X.nabf_edges_smfnet)
        return _ratio(*X.nabf_sums(gA, aA, gB, aB, gF, aF, False))
    div = 255.0 if variant == "tang_v1" else 1.0
    eA, eB, eF = t.both(("nabf", div), lambda x: X.nabf_edges_tang(x, div))
    if variant == "tang_v2_swapped":  # the 2023 code's roles: fused <- IR, sources <- (VI, F)
        eA, eB, eF = eB, eF, eA
    num, den = X.nabf_sums(*eA, *eB, *eF, True)
    return float(num / den)


# --- Qcb / Qcv (4.15, 4.16) ------------------------------------------------------------------

_CSF = {}


def _csf(shape, kind):
    """Half-plane CSF (0: Chen-Blum, scale 30; 1: Mannos-Sakrison, scale 8), cached by shape."""
    key = (shape, kind)
    if key not in _CSF:
        _CSF[key] = X.csf_half(shape[0], shape[1], 30.0 if kind == 0 else 8.0, kind)
    return _CSF[key]


def _scratch(t, which, key, make):
    """Item of plane ``which`` kept for this scoring call only (in the triple's fused dict)."""
    x = t.F if which == "F" else (t.A if which == "A" else t.B)
    return t.fused(("call", key, which), lambda _: make(x))


def _norm(t, which):
    return _scratch(t, which, "norm1", lambda x: X.normalize1(np.ascontiguousarray(x)))


def _csf_filtered(t, which, kind):
    """Re(IFFT2(FFT2(normalize1(x)) * CSF)) with numpy.fft's real transforms; the spectrum is
    shared by Qcb and Qcv within a call."""
    spec = _scratch(t, which, "norm1_rfft", lambda x: np.fft.rfft2(_norm(t, which)))
    shape = t.F.shape
    return np.fft.irfft2(X.spectrum_filter(spec, _csf(shape, kind)), s=shape)


def _gauss31(sigma):
    i = np.arange(-15, 16, dtype=np.float64)
    return np.exp(-(i * i) / (2 * sigma * sigma)), 2 * np.pi * sigma * sigma


def _csf_filtered_unit(t, which):
    """As ``_csf_filtered(t, which, 0)`` from MEFB's normalisation (``qcb_normalize='im2double'``)."""
    from fusionbench.metrics.reference.perceptual import normalize1_unit
    spec = _scratch(t, which, "norm1u_rfft", lambda x: np.fft.rfft2(normalize1_unit(x)))
    shape = t.F.shape
    return np.fft.irfft2(X.spectrum_filter(spec, _csf(shape, 0)), s=shape)


def _qcb(t):
    (g2, c2), (g4, c4) = _gauss31(2.0), _gauss31(4.0)
    unit = t.opts["qcb_normalize"] == "im2double"

    def contrast(which):
        filtered = (lambda: _csf_filtered_unit(t, which)) if unit else (lambda: _csf_filtered(t, which, 0))
        return _plane(t, which, ("qcb_c", unit), lambda x: X.masked_contrast(filtered(), g2, g4, c2, c4))

    ca, cb, cf = contrast("A"), contrast("B"), contrast("F")
    return float(X.qcb_sum(ca, cb, cf) / cf.size)


def _qcv(t):
    la, lb = (t.src(w, "qcv_sal", lambda x, w=w: X.sobel_saliency(_norm(t, w), QCV_WINDOW))
              for w in "AB")
    TA, TB, TF = (_plane(t, w, "qcv_csf", lambda x, w=w: _csf_filtered(t, w, 1)) for w in "ABF")
    return _ratio(*X.qcv_sums(TA, TB, TF, la, lb, QCV_WINDOW))


# --- Qy, Qc, Qw, Qe (SSIM-window metrics) ----------------------------------------------------

_YANG_C = 2e-16  # C1 = C2 of Yang's and Cvejic's SSIM (reference.similarity)
_PIELLA_C1, _PIELLA_C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2


def _gauss(n):
    from fusionbench.metrics.reference.filters import gaussian_1d
    return gaussian_1d(n, 1.5)


def _win_stats(t, which, n, flat, edges=False):
    """(mu, W(x^2) - mu^2, flat mask or None) of plane ``which`` over the n x n Gaussian window."""
    def make(x):
        from fusionbench.backends._nb_ssim import gauss_moments
        x = _edge_plane(t, which) if edges else x
        mu, var = gauss_moments(x, _gauss(n))
        return mu, var, (P.flat_windows(x, n) if flat else None)
    return _plane(t, which, ("win", n, flat, edges), make)


def _edge_plane(t, which):
    return _plane(t, which, "prewitt", P.prewitt_magnitude)


def _cross(t, x, y, n, edges=False):
    """W(x y) of planes x, y ('A', 'B', 'F'); for this call only."""
    def get(w):
        return _edge_plane(t, w) if edges else (t.F if w == "F" else (t.A if w == "A" else t.B))
    return t.fused(("cross", x, y, n, edges), lambda _: P.cross_map(get(x), get(y), _gauss(n)))


def _mean(s, cnt):
    return s / cnt if cnt else float("nan")


def _qy(t):
    if min(t.F.shape) < 11:
        return float("nan")
    (mA, vA, fA), (mB, vB, fB), (mF, vF, fF) = (_win_stats(t, w, 7, True) for w in "ABF")
    return _mean(*P.qy_sums(mA, vA, fA, mB, vB, fB, mF, vF, fF, _cross(t, "A", "B", 7),
                            _cross(t, "A", "F", 7), _cross(t, "B", "F", 7), _YANG_C))


def _qc(t):
    if min(t.F.shape) < 11:
        return float("nan")
    (mA, vA, fA), (mB, vB, fB), (mF, vF, fF) = (_win_stats(t, w, 7, True) for w in "ABF")
    return _mean(*P.qc_sums(mA, vA, fA, mB, vB, fB, mF, vF, fF, _cross(t, "A", "F", 7),
                            _cross(t, "B", "F", 7), _YANG_C))


def _piella(t, edges):
    if min(t.F.shape) < 11:
        return float("nan")
    (mA, vA, _), (mB, vB, _), (mF, vF, _) = (_win_stats(t, w, 11, False, edges) for w in "ABF")
    num, den = P.qw_sums(mA, vA, mB, vB, mF, vF, _cross(t, "A", "F", 11, edges),
                         _cross(t, "B", "F", 11, edges), _PIELLA_C1, _PIELLA_C2)
    return _ratio(num, den)


def _qw(t):
    return _piella(t, t.opts["qw_input"] == "edges")


def _qe(t):
    return _piella(t, False) * _piella(t, True)


# --- NMI, Q_TE, Q_NCIE (joint histograms) ----------------------------------------------------

def _joint_levels(t):
    """normalize1 levels of A, B, F (flat int arrays), or None when one is NaN (constant image)."""
    lv = [_plane(t, w, "norm1_levels", lambda x: P.levels_or_none(X.normalize1(np.ascontiguousarray(x))))
          for w in "ABF"]
    return None if any(v.size == 0 for v in lv) else lv


def _joint(t, x, y, lv):
    i, j = "ABF".index(x), "ABF".index(y)
    return t.fused(("joint", x, y), lambda _: P.joint_counts(lv[i], lv[j]))


def _nmi(t):
    lv = _joint_levels(t)
    if lv is None:
        return float("nan")
    n = lv[2].size
    iaf, ha, hfa = P.mi_terms(_joint(t, "A", "F", lv), n)
    ibf, hb, hfb = P.mi_terms(_joint(t, "B", "F", lv), n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(2.0 * (np.float64(iaf) / (hfa + ha) + np.float64(ibf) / (hfb + hb)))


def _te(t):
    lv = _joint_levels(t)
    if lv is None:
        return float("nan")
    n = lv[2].size
    swapped = t.opts["te_marginals"] == "mefb"
    return float(P.tsallis(_joint(t, "A", "F", lv), n, 1.85, swapped)
                 + P.tsallis(_joint(t, "B", "F", lv), n, 1.85, swapped))


def _ncie(t):
    lv = _joint_levels(t)
    if lv is None:
        return float("nan")
    n = lv[2].size
    nab, naf, nbf = (P.mi_terms(_joint(t, x, y, lv), n)[0] / 8.0 for x, y in ("AB", "AF", "BF"))
    lam = np.linalg.eigvalsh(np.array([[1.0, nab, naf], [nab, 1.0, nbf], [naf, nbf, 1.0]]))
    with np.errstate(invalid="ignore", divide="ignore"):
        hr = -np.sum(lam * np.log2(lam / 3.0) / 3.0) / 8.0
    return float(1.0 - hr)


# --- FMI_pixel, FMI_dct (feature mutual information) ------------------------------------------

def _fmi(kind):
    from fusionbench.metrics.reference.fmi import W, _feature

    def feature(x):  # features of the [0, 1] image (MATLAB im2double), as the reference
        return np.ascontiguousarray(_feature(np.asarray(x, dtype=np.float64) / 255.0, kind))

    def kernel(t):
        if min(t.F.shape) < W:
            return float("nan")
        fa, fb = t.src("A", ("fmi", kind), feature), t.src("B", ("fmi", kind), feature)
        total, n = _nb_fmi.fmi_sum(fa, fb, t.fused(("fmi", kind), feature))
        return float(total / n)
    return kernel


# --- Qp (phase congruency) ---------------------------------------------------------------------

def _qp(t):
    """Q_P with phase congruency from :mod:`fusionbench.backends._nb_phase` (each source's kept in
    the source cache: a second method on the pair computes F's only) and the reference's local
    correlations."""
    from fusionbench.backends._nb_phase import phase_congruency
    from fusionbench.metrics.reference import phase as PH
    if min(t.F.shape) < 11:
        return float("nan")
    return PH.qp_from_maps(*t.both("qp_pc", lambda x: phase_congruency(np.asarray(x, dtype=np.float64))))


# --- MEF_SSIM --------------------------------------------------------------------------------

def _mef_ssim(t):
    """The reference's MEF-SSIM with the sources' terms of every scale (desired-structure weights,
    its variance, flat windows, Gaussian means) cached for the pair, under A's entry keyed by B's
    content: a second method on the pair filters only F."""
    from fusionbench.metrics.reference import mef_ssim as MS
    scales = int(t.opts["mef_ssim_scales"])
    if not MS.fits(t.F.shape, scales):
        return float("nan")
    pyramid = t.src("A", ("mef_ssim", t.eb.key, scales),
                    lambda A: MS.source_pyramid([np.asarray(A, dtype=np.float64),
                                                 np.asarray(t.B, dtype=np.float64)], scales))
    return MS.mef_ssim_from_terms(pyramid, np.asarray(t.F, dtype=np.float64))


# --- MS_SSIM -----------------------------------------------------------------------------------

def _ms_ssim(t):
    """The reference's MS-SSIM with each source's five scales (plane, mean, variance) cached."""
    from fusionbench.metrics.reference import msssim as MSS
    if not MSS.fits(t.F.shape):
        return float("nan")
    g = MSS._window()
    a, b = (t.src(w, "ms_ssim", lambda x: MSS.reference_levels(np.asarray(x, dtype=np.float64), g)) for w in "AB")
    F = np.asarray(t.F, dtype=np.float64)
    s = MSS.ms_ssim_from_levels(F, a, g) + MSS.ms_ssim_from_levels(F, b, g)
    return float(s if t.opts["ssim_combine"] == "sum" else s / 2.0)


EXTRA_KERNELS = {
    "MSE": _mse, "PSNR": _psnr, "RMSE": _rmse, "VIFF": _viff, "Nabf": _nabf,
    "Qcb": _qcb, "Qcv": _qcv, "Qy": _qy, "Qc": _qc, "Qw": _qw, "Qe": _qe,
    "NMI": _nmi, "Q_TE": _te, "Q_NCIE": _ncie, "FMI_pixel": _fmi("none"), "FMI_dct": _fmi("dct"),
    "FMI_w": _fmi("wavelet"), "Qp": _qp, "MEF_SSIM": _mef_ssim,
    "MS_SSIM": _ms_ssim,
}

# rough single-core cost at 480x640 (ms, first method), for numba_backend's thread balancing
EXTRA_COST = {"MSE": 0.3, "PSNR": 0.3, "RMSE": 0.2, "VIFF": 11.0, "Nabf": 14.0, "Qcb": 32.0,
              "Qcv": 16.0, "Qy": 12.0, "Qc": 10.0, "Qw": 12.0, "Qe": 24.0, "NMI": 2.0, "Q_TE": 3.0,
              "Q_NCIE": 3.0, "FMI_pixel": 300.0, "FMI_dct": 300.0,
              "FMI_w": 600.0, "Qp": 700.0, "MEF_SSIM": 200.0,
              "MS_SSIM": 70.0}
