"""Batched torch kernels of MEF-SSIM and MS-SSIM on (N, H, W) tensors: ``KERNELS[name](t)`` ->
(N,) float64 tensor.

Both follow the NumPy reference (:mod:`fusionbench.metrics.reference.mef_ssim`,
:mod:`fusionbench.metrics.reference.msssim`) operation by operation: window sums by
``filter_valid`` in the reference's tap order (bit-identical in float64), flat 11 x 11 windows by
max pooling, square roots correctly rounded; ``tan`` and powers may round differently by an ulp and
the final means sum in another order (~1e-16 relative). The sources' part (MEF-SSIM's per-scale
desired-structure terms for the pair, MS-SSIM's per-source scales) is cached like the Numba
backend's. Both always run in float64 on the float64 inputs, also in the float32 fast mode: MEF-SSIM
decides exactly flat windows and the 3-scale product of powers turns NaN on a negative scale.

References: K. Ma, K. Zeng, Z. Wang, IEEE Trans. Image Process. 24 (11) 2015 (MEF-SSIM); Z. Wang,
E. P. Simoncelli, A. C. Bovik, Asilomar 2003 (MS-SSIM).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as Fn

from fusionbench.backends import _torch_kernels as K
from fusionbench.backends._torch_piella import flat_windows
from fusionbench.metrics.reference import mef_ssim as MS
from fusionbench.metrics.reference import msssim as MSS

_EPS = 2.220446049250313e-16  # np.finfo(float).eps
_C_MEF = (0.03 * 255.0) ** 2
_C1, _C2 = (0.01 * 255.0) ** 2, (0.03 * 255.0) ** 2


def _nan(t):
    return torch.full((t.F.shape[0],), float("nan"), dtype=torch.float64, device=t.F.device)


def down2(x):
    """MATLAB imfilter(x, ones(2)/4, 'symmetric', 'same') then every second pixel (reference ``_down2``)."""
    p = Fn.pad(x[:, None], (0, 1, 0, 1), mode="replicate")[:, 0]  # a one-pixel symmetric pad repeats
    m = (p[:, :-1, :-1] + p[:, 1:, :-1] + p[:, :-1, 1:] + p[:, 1:, 1:]) / 4.0
    return m[:, ::2, ::2]


def _window(x, n=MS.N, sigma=1.5):
    return K.gaussian_1d(n, sigma, torch.float64, x.device)


def _box(z):
    return K.filter_valid(z, torch.full((MS.N,), 1.0 / MS.N, dtype=torch.float64, device=z.device))


def _gauss(z):
    return K.filter_valid(z, _window(z))


# --- MEF-SSIM -------------------------------------------------------------------------------------

def mef_source_terms(seq):
    """Reference ``source_terms`` for a batch: the sources' part of one MEF-SSIM scale."""
    N2 = MS.N * MS.N
    flat = [flat_windows(x, MS.N) for x in seq]
    mu = [_box(x) for x in seq]
    zero = torch.zeros((), dtype=torch.float64, device=seq[0].device)
    var = [torch.where(f, zero, torch.clamp_min(_box(x * x) - m * m, 0.0)) for x, m, f in zip(seq, mu, flat)]
    ed = [K.exact_sqrt(N2 * v) + 0.001 for v in var]
    S = seq[0]
    for x in seq[1:]:
        S = S + x
    mS = _box(S)
    all_flat = flat[0]
    for f in flat[1:]:
        all_flat = all_flat & f
    var_s = torch.where(all_flat, zero, torch.clamp_min(_box(S * S) - mS * mS, 0.0))
    num = K.exact_sqrt(N2 * var_s)
    den = K.exact_sqrt(N2 * var[0])
    for v in var[1:]:
        den = den + K.exact_sqrt(N2 * v)
    R = (num + _EPS) / (den + _EPS)
    R = torch.where(R > 1, torch.full_like(R, 1 - _EPS), torch.where(R < 0, torch.full_like(R, _EPS), R))
    p = torch.clamp_max(torch.tan(math.pi / 2 * R), 10.0)
    w = [(e / MS.N) ** p + _EPS for e in ed]
    wsum = w[0]
    for wk in w[1:]:
        wsum = wsum + wk
    c = [wk / wsum / e for wk, e in zip(w, ed)]
    max_ed = ed[0]
    for e in ed[1:]:
        max_ed = torch.maximum(max_ed, e)
    g_mu = [_gauss(x) for x in seq]
    norm2 = torch.zeros_like(max_ed)
    var_r = torch.zeros_like(max_ed)
    for k, xk in enumerate(seq):
        for m, xm in enumerate(seq):
            ckm = c[k] * c[m]
            norm2 = norm2 + ckm * N2 * (_box(xk * xm) - mu[k] * mu[m])
            var_r = var_r + ckm * (_gauss(xk * xm) - g_mu[k] * g_mu[m])
    norm2 = torch.where(all_flat, zero, norm2)
    pos = norm2 > 0
    s = torch.where(pos, max_ed / K.exact_sqrt(torch.where(pos, norm2, torch.ones_like(norm2))), zero)
    var_r = torch.where(all_flat, zero, s * s * var_r)
    return c, s, var_r, all_flat, g_mu


def mef_fused(terms, seq, F):
    """Reference ``mef_ssim_fused`` for a batch: (N,) values of one scale."""
    c, s, var_r, all_flat, g_mu = terms
    gF = _gauss(F)
    cov_rf = torch.zeros_like(s)
    for k, xk in enumerate(seq):
        cov_rf = cov_rf + c[k] * (_gauss(xk * F) - g_mu[k] * gF)
    cov_rf = torch.where(all_flat, torch.zeros_like(cov_rf), s * cov_rf)
    var_f = _gauss(F * F) - gF * gF
    q = (2 * cov_rf + _C_MEF) / (var_r + var_f + _C_MEF)
    return K.bmean(q)


def mef_ssim(t):
    scales = int(t.opts["mef_ssim_scales"])
    if not MS.fits(tuple(t.F.shape[1:]), scales):
        return _nan(t)

    def pyramid(_):
        seq = [t.exact("A", "x64", lambda x: x), t.exact("B", "x64", lambda x: x)]
        out = []
        for level in range(scales):
            out.append((seq, mef_source_terms(seq)))
            if level < scales - 1:
                seq = [down2(x) for x in seq]
        return out

    levels = t.exact("A", ("mef_ssim", t.pair_key(), scales), pyramid)
    f = t.exact("F", "x64", lambda x: x)
    qs = []
    for level, (seq, terms) in enumerate(levels):
        qs.append(mef_fused(terms, seq, f))
        if level < len(levels) - 1:
            f = down2(f)
    if len(qs) == 1:
        return qs[0]
    w = torch.as_tensor(MS._MS_WEIGHTS, dtype=torch.float64, device=f.device)
    return torch.prod(torch.stack(qs, dim=1) ** w, dim=1)


# --- MS-SSIM --------------------------------------------------------------------------------------

def ms_levels(y):
    """Reference ``reference_levels``: [(plane, Gaussian mean, variance)] at each of the five scales."""
    g, out = _window(y), []
    for level in range(len(MSS.WEIGHTS)):
        my = K.filter_valid(y, g)
        out.append((y, my, K.filter_valid(y * y, g) - my * my))
        if level < len(MSS.WEIGHTS) - 1:
            y = down2(y)
    return out


def ms_from_levels(x, levels):
    g, terms = _window(x), []
    for level, (y, my, vy) in enumerate(levels):
        mx = K.filter_valid(x, g)
        vx = K.filter_valid(x * x, g) - mx * mx
        vxy = K.filter_valid(x * y, g) - mx * my
        cs = (2 * vxy + _C2) / (vx + vy + _C2)
        if level < len(levels) - 1:
            terms.append(K.bmean(cs))
            x = down2(x)
        else:
            terms.append(K.bmean((2 * mx * my + _C1) / (mx * mx + my * my + _C1) * cs))
    w = torch.as_tensor(MSS.WEIGHTS, dtype=torch.float64, device=x.device)
    return torch.prod(torch.clamp_min(torch.stack(terms, dim=1), 0.0) ** w, dim=1)


def ms_ssim(t):
    if not MSS.fits(tuple(t.F.shape[1:])):
        return _nan(t)
    a, b = (t.exact(w, "ms_ssim", lambda x: ms_levels(x)) for w in "AB")
    f = t.exact("F", "x64", lambda x: x)
    s = ms_from_levels(f, a) + ms_from_levels(f, b)
    return s if t.opts["ssim_combine"] == "sum" else s / 2.0


KERNELS = {"MEF_SSIM": mef_ssim, "MS_SSIM": ms_ssim}
