"""Batched torch kernels of the optional metrics: Qcb, Qcv, VIFF and Nabf on (N, H, W) tensors.

They follow the NumPy reference (``fusionbench.metrics.reference.perceptual``, ``.vif`` and
``.edges``; METRICS.md 4.15-4.18) operation by operation. Border handling, accumulation order and
the signs of zeros that decide a branch (``atan2``, ``atan(gv/gh)``) are reproduced exactly; FFTs
and transcendental functions agree to a few ulp, so float64 results agree within 1e-9 relative.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as Fn

from fusionbench.backends._torch_kernels import bsum, exact_sqrt

# --- Zheng Liu's toolbox: normalisation and CSF filtering (Qcb, Qcv) ------------------------------

def round_away(x):
    """Round half away from zero (MATLAB ``round``)."""
    return torch.sign(x) * torch.floor(torch.abs(x) + 0.5)


def normalize1(x):
    """Zheng Liu's ``normalize1`` per image: round(255 (x - min) / (max - min)).

    All-zero images are left unchanged; a constant non-zero image gives 0/0 = NaN (MATLAB).
    """
    lo = x.amin(dim=(1, 2), keepdim=True)
    hi = x.amax(dim=(1, 2), keepdim=True)
    y = round_away(255.0 * (x - lo) / (hi - lo))
    return torch.where((lo == 0) & (hi == 0), x, y)


def _freq_radius(M, N, scale):
    """Radius of MATLAB's ``freqspace([M N], 'meshgrid')`` grid scaled by (N/scale, M/scale)."""
    u = (torch.arange(N, dtype=torch.float64) - N // 2) * 2.0 / N * (N / scale)
    v = (torch.arange(M, dtype=torch.float64) - M // 2) * 2.0 / M * (M / scale)
    return torch.sqrt(u[None, :] ** 2 + v[:, None] ** 2)


def _chen_blum_csf(r):
    """Chen & Blum (2009) contrast sensitivity: DoG of radial frequency (METRICS.md 4.15)."""
    return torch.exp(-(r / 15.3870) ** 2) - 0.7622 * torch.exp(-(r / 1.3456) ** 2)


def _mannos_sakrison_csf(r):
    """Mannos & Sakrison (1974) CSF as in Chen & Varshney (2007) (METRICS.md 4.16)."""
    return 2.6 * (0.0192 + 0.144 * r) * torch.exp(-((0.144 * r) ** 1.1))


_CSF = {"chen_blum": (_chen_blum_csf, 30.0), "mannos_sakrison": (_mannos_sakrison_csf, 8.0)}


@lru_cache(maxsize=16)
def csf_rfilter(M, N, kind, dtype, device):
    """The centred CSF moved to FFT order (``ifftshift``), half spectrum for ``rfft2``.

    The filter is even in both frequencies, so ``fftshift``/``ifftshift`` around the product are
    the same as multiplying the unshifted spectrum by ``ifftshift(H)``, and the filtered image is
    real: ``irfft2`` gives the reference's ``Re(ifft2(...))``.
    """
    fn, scale = _CSF[kind]
    H = torch.fft.ifftshift(fn(_freq_radius(M, N, scale)))
    return H[:, :N // 2 + 1].to(dtype=dtype, device=device)


def csf_filter(x, kind):
    """Re(ifft2(ifftshift(fftshift(fft2(x)) * H))) per image (METRICS.md 6.12)."""
    M, N = x.shape[1:]
    H = csf_rfilter(M, N, kind, x.dtype, str(x.device))
    return torch.fft.irfft2(torch.fft.rfft2(x) * H, s=(M, N))


def _gauss_passes(x, gs, dim):
    """Zero-padded 'same' correlation with symmetric 1-D kernels ``gs`` along ``dim``, as SciPy's
    ``correlate1d`` sums it: centre tap, then the pairs (x[-k] + x[+k]) g[k], outermost first.
    The pair sums are shared by the kernels. (Faster than ``conv2d``, which has no float64 fast
    path on the CPU.)"""
    n, h = x.shape[dim], len(gs[0]) // 2
    P = Fn.pad(x, (h, h) if dim == 2 else (0, 0, h, h))
    outs = [P.narrow(dim, h, n) * g[h] for g in gs]
    pair = torch.empty_like(outs[0])  # one buffer: fresh large tensors cost page faults on the CPU
    for k in range(h):
        torch.add(P.narrow(dim, k, n), P.narrow(dim, 2 * h - k, n), out=pair)
        for out, g in zip(outs, gs):
            out.add_(pair, alpha=g[k])
    return outs


def _gauss31(sigma):
    return [math.exp(-(i * i) / (2 * sigma * sigma)) for i in range(-15, 16)]


def gauss31_same(x, sigmas):
    """filter2(G_s, x, 'same') for each s in ``sigmas``: G_s the unnormalised 31x31 Gaussian over
    2 pi s^2 (Chen & Blum's local contrast filter), zero border; separable, rows first."""
    gs = [_gauss31(s) for s in sigmas]
    cols = _gauss_passes(x, gs, 1)
    return [_gauss_passes(c, [g], 2)[0] / (2 * math.pi * s * s) for c, g, s in zip(cols, gs, sigmas)]


def masked_contrast(x):
    """Qcb steps 2-4 for a normalised image: C' = C^3 / (C^2 + 1e-4), C = |x*G2 / x*G4 - 1|."""
    g2, g4 = gauss31_same(csf_filter(x, "chen_blum"), (2.0, 4.0))
    C = torch.abs(g2 / g4 - 1.0)
    return C ** 3 / (C ** 2 + 1e-4)


def qcb_combine(cA, cB, cF):
    """Chen & Blum (2009) Q_CB: saliency-weighted mean of the contrast preservation maps."""
    qa = torch.where(cA < cF, cA / cF, cF / cA)
    qb = torch.where(cB < cF, cB / cF, cF / cB)
    den = cA ** 2 + cB ** 2
    return (cA ** 2 / den * qa + cB ** 2 / den * qb).mean(dim=(1, 2))


SOBEL_X = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))
SOBEL_Y = ((-1.0, -2.0, -1.0), (0.0, 0.0, 0.0), (1.0, 2.0, 1.0))


def correlate3(P, h):
    """3x3 correlation of a padded (N, H+2, W+2) batch: nonzero taps summed row-major from 0, as
    ``scipy.ndimage.correlate`` and the reference ``correlate_same`` do. Bit-exact for our
    kernels, whose weights (+-1, +-2, +-1/8, +-1/4) make every product exact."""
    M, N = P.shape[1] - 2, P.shape[2] - 2
    out = torch.zeros((P.shape[0], M, N), dtype=P.dtype, device=P.device)
    for k in range(3):
        for l in range(3):
            if h[k][l] != 0:
                out.add_(P[:, k:k + M, l:l + N], alpha=h[k][l])
    return out


def block_reduce(x, size, mean):
    """MATLAB ``blkproc`` over size x size blocks from the top-left, partial blocks zero-padded."""
    n, M, N = x.shape
    xp = Fn.pad(x, (0, -N % size, 0, -M % size))
    blocks = xp.view(n, xp.shape[1] // size, size, xp.shape[2] // size, size)
    return blocks.mean(dim=(2, 4)) if mean else blocks.sum(dim=(2, 4))


def qcv_saliency(x):
    """Chen & Varshney (2007) region saliency: 16x16 block sums of the Sobel magnitude ** 5."""
    P = Fn.pad(x, (1, 1, 1, 1))
    gx, gy = correlate3(P, SOBEL_X), correlate3(P, SOBEL_Y)
    return block_reduce(torch.sqrt(gx * gx + gy * gy) ** 5.0, 16, False)


def qcv_distortion(x, fu):
    """16x16 block means of the Mannos-Sakrison-filtered squared difference (zero-padded blocks)."""
    return block_reduce(csf_filter(x - fu, "mannos_sakrison") ** 2, 16, True)


# --- VIFF (Han et al. 2013) ---------------------------------------------------------------------

VIFF_SIGMA_NSQ = 0.005 * 255.0 ** 2
VIFF_WEIGHTS = (1.0 / 2.15, 0.0, 0.15 / 2.15, 1.0 / 2.15)
VIFF_C = 1e-7


def viff_vind(s1):
    """Per-pixel reference information log10(1 + sigma1^2 / sigma_n^2) (s1 after the eps rule)."""
    return torch.log10(1.0 + s1 / VIFF_SIGMA_NSQ)


def viff_scale(maps_a, maps_b, vind_a, vind_b):
    """One scale of VIFF: per pixel the source with the smaller gain g; returns sum VID / sum VIND.

    ``maps_x`` = (g, sv^2, sigma1^2) after the vifp eps rules.
    """
    (ga, sva, s1a), (gb, svb, s1b) = maps_a, maps_b
    vid_a = torch.log10(1.0 + ga * ga * s1a / (sva + VIFF_SIGMA_NSQ))
    vid_b = torch.log10(1.0 + gb * gb * s1b / (svb + VIFF_SIGMA_NSQ))
    pick_a = ga < gb
    vid = torch.where(pick_a, vid_a, vid_b)
    vind = torch.where(pick_a, vind_a, vind_b)
    return bsum(vid + VIFF_C), bsum(vind + VIFF_C)


# --- Nabf (Kumar / Petrovic fusion artefacts) ------------------------------------------------------

_TANG_KV = tuple(tuple(v / 8.0 for v in row) for row in SOBEL_X)
_TANG_KH = tuple(tuple(v / 8.0 for v in row) for row in SOBEL_Y)


def _pad1(x, mode):
    """Pad one pixel on every side; 'reflect' (= scipy 'mirror') needs 2 pixels, a single row or
    column mirrors onto itself, which 'replicate' gives."""
    x = x[:, None]
    if mode == "reflect":
        rm = "reflect" if x.shape[2] > 1 else "replicate"
        cm = "reflect" if x.shape[3] > 1 else "replicate"
        return Fn.pad(Fn.pad(x, (0, 0, 1, 1), mode=rm), (1, 1, 0, 0), mode=cm)[:, 0]
    return Fn.pad(x, (1, 1, 1, 1), mode=mode)[:, 0]


def nabf_edges_tang(X):
    """Tang's ``analysis_nabf``: Sobel/8 with mirrored border (c b | a b c); alpha = atan(gv/gh),
    0 where both vanish. Returns (g, alpha, w) with w = g^1.5 where g >= 2, else 0.001."""
    P = _pad1(X, "reflect")
    gv, gh = correlate3(P, _TANG_KV), correlate3(P, _TANG_KH)
    g = exact_sqrt(gv * gv + gh * gh)
    a = torch.where((gv == 0) & (gh == 0), torch.zeros_like(g), torch.atan(gv / gh))
    w = torch.where(g >= 2.0, g ** 1.5, torch.full_like(g, 0.001))
    return g, a, w


def nabf_edges_smfnet(X):
    """SMFNet ``Nabf``: ``scipy.ndimage.sobel`` (edge-repeating border), alpha = atan2(sy, sx),
    w = 0.001 g^1.5. Each Sobel is a derivative pass then a [1 2 1] pass, rounded as SciPy's
    symmetric 1-D correlation: d = x+ - x-, s = 2 d0 + (d- + d+)."""
    P = _pad1(X, "replicate")
    dx = P[:, :, 2:] - P[:, :, :-2]
    sx = 2.0 * dx[:, 1:-1] + (dx[:, :-2] + dx[:, 2:])  # zeros are +0, as SciPy's (x >= 0)
    dy = P[:, 2:, :] - P[:, :-2, :]
    sy = 2.0 * dy[:, :, 1:-1] + (dy[:, :, :-2] + dy[:, :, 2:])
    g = exact_sqrt(sx * sx + sy * sy)
    return g, torch.atan2(sy, sx), 0.001 * g ** 1.5


def _nabf_q(gX, aX, gF, aF):
    """Per-pixel edge preservation sqrt(Q_g Q_alpha) of Nabf (METRICS.md 4.18 steps 2-3)."""
    zero = (gX == 0) | (gF == 0)
    G = torch.where(zero, torch.zeros_like(gX),
                    torch.minimum(gX, gF) / torch.where(zero, torch.ones_like(gX), torch.maximum(gX, gF)))
    Aa = torch.abs(torch.abs(aX - aF) - math.pi / 2) * 2.0 / math.pi
    qg = 0.9999 / (1.0 + torch.exp(-19.0 * (G - 0.5)))
    qa = 0.9995 / (1.0 + torch.exp(-22.0 * (Aa - 0.5)))
    return torch.sqrt(qg * qa)


def nabf_ratio(eF, eA, eB, both):
    """N^{AB/F} = sum na ((1 - Q^AF) wA + (1 - Q^BF) wB) / sum (wA + wB), e* = (g, alpha, w);
    na = gF > gA, and gF > gB too when ``both`` (Tang's code; SMFNet tests A only)."""
    (gF, aF, _), (gA, aA, wA), (gB, aB, wB) = eF, eA, eB
    na = (gF > gA) & (gF > gB) if both else gF > gA
    art = (1 - _nabf_q(gA, aA, gF, aF)) * wA + (1 - _nabf_q(gB, aB, gF, aF)) * wB
    return bsum(torch.where(na, art, torch.zeros_like(art))) / bsum(wA + wB)
