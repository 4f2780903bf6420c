"""Batched torch kernels on (N, H, W) tensors; each returns a (N,) tensor.

They follow the NumPy reference (``fusionbench.metrics.reference``) operation by operation, so
in float64 they agree within each metric's registered budget (``REGISTRY[name].fast["torch"]``: at
most 1e-7 relative, 1e-9 for EN, MI and SSIM); in float32 they are the fast GPU mode.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as Fn

HALF_PI = math.pi / 2
VIF_EPS = 1e-10


# --- histograms ------------------------------------------------------------------------------

def levels(x):
    """clip(round_half_even(x), 0, 255) as int64 (the reference's ``hist256`` levels)."""
    return torch.round(x).clamp(0, 255).long()


def minmax_levels(x):
    """VIFB MI: (x - min)/(max - min) (constant -> 0), then round_away(255 y)."""
    lo = x.amin(dim=(1, 2), keepdim=True)
    hi = x.amax(dim=(1, 2), keepdim=True)
    d = hi - lo
    y = torch.where(d == 0, torch.zeros_like(x), (x - lo) / torch.where(d == 0, torch.ones_like(d), d))
    return torch.floor(255.0 * y + 0.5).long()


def hist(lv, bins=256):
    n = lv.shape[0]
    off = torch.arange(n, device=lv.device).view(n, 1, 1) * bins
    return torch.bincount((lv + off).reshape(-1), minlength=n * bins).view(n, bins)


def entropy(counts, npix, log_base, dtype):
    p = counts.to(dtype) / npix
    lp = torch.where(p > 0, torch.log(torch.where(p > 0, p, torch.ones_like(p))), torch.zeros_like(p))
    return -(p * lp).sum(dim=1) / log_base


def joint_hist(lf, lx, saturate):
    if saturate:
        lf, lx = lf.clamp(max=254), lx.clamp(max=254)
    return hist(lf * 256 + lx, 65536)


def kl_common(cs, cf, npix, dtype):
    ps, pf = cs.to(dtype) / npix, cf.to(dtype) / npix
    m = (ps > 0) & (pf > 0)
    one = torch.ones_like(ps)
    return torch.where(m, ps * torch.log2(torch.where(m, ps, one) / torch.where(m, pf, one)),
                       torch.zeros_like(ps)).sum(dim=1)


# --- moments ---------------------------------------------------------------------------------

def bsum(x):
    return x.sum(dim=(1, 2))


def bmean(x):
    return x.mean(dim=(1, 2))


def corr(x, y):
    dx = x - bmean(x).view(-1, 1, 1)
    dy = y - bmean(y).view(-1, 1, 1)
    return bsum(dx * dy) / torch.sqrt(bsum(dx * dx) * bsum(dy * dy))


def sd_tang(F):
    d = F - bmean(F).view(-1, 1, 1)
    d = torch.where(d >= 0, torch.floor(d + 0.5), torch.zeros_like(d)).clamp(max=255.0)
    return torch.sqrt(bsum(torch.clamp(d * d, max=255.0)) / (F.shape[1] * F.shape[2]))


# --- gradients -------------------------------------------------------------------------------

def sf(F, norm, scale):
    X = F / 255.0 if scale == 1 else F
    M, N = X.shape[1:]
    dr = X[:, :, 1:] - X[:, :, :-1]
    dc = X[:, 1:, :] - X[:, :-1, :]
    if norm == "MN":
        rf2, cf2 = bsum(dr * dr) / (M * N), bsum(dc * dc) / (M * N)
    else:
        rf2 = bsum(dr * dr) / dr[0].numel() if dr[0].numel() else torch.zeros_like(F[:, 0, 0])
        cf2 = bsum(dc * dc) / dc[0].numel() if dc[0].numel() else torch.zeros_like(F[:, 0, 0])
    return torch.sqrt(rf2 + cf2)


def _grad(X, dim):
    n = X.shape[dim]
    if n == 1:
        return torch.zeros_like(X)
    g = torch.empty_like(X)
    sl = lambda a, b: X.narrow(dim, a, b - a)
    g.narrow(dim, 1, n - 2).copy_((sl(2, n) - sl(0, n - 2)) / 2.0) if n > 2 else None
    g.narrow(dim, 0, 1).copy_(sl(1, 2) - sl(0, 1))
    g.narrow(dim, n - 1, 1).copy_(sl(n - 1, n) - sl(n - 2, n - 1))
    return g


def ag(F, norm, half):
    gx, gy = _grad(F, 2), _grad(F, 1)
    s = gx * gx + gy * gy
    if half:
        s = s / 2.0
    M, N = F.shape[1:]
    D = M * N if norm == "MN" else (M - 1) * (N - 1)
    return bsum(torch.sqrt(s)) / D


def shifted_sum(P, h, order, M, N):
    """sum over taps in ``order`` of h[k, l] * P[:, 2-k : 2-k+M, 2-l : 2-l+N] (conv2 'same')."""
    out = torch.zeros((P.shape[0], M, N), dtype=P.dtype, device=P.device)
    for k, l in order:
        if h[k][l] != 0:
            out = out + h[k][l] * P[:, 2 - k:2 - k + M, 2 - l:2 - l + N]
    return out


H_X = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))
H_Y = ((1.0, 2.0, 1.0), (0.0, 0.0, 0.0), (-1.0, -2.0, -1.0))
SOBEL_MATLAB = H_Y


def exact_sqrt(x):
    """Correctly rounded sqrt. torch's vectorised CPU sqrt is off by 1 ulp for ~1 % of inputs,
    which breaks Qabf's ``gX == gF`` quirk; NumPy's (hardware) sqrt is exact, as is CUDA's."""
    if x.device.type == "cpu":
        return torch.from_numpy(np.sqrt(x.numpy()))
    return torch.sqrt(x)


def qabf_edges(X, div, column_major):
    M, N = X.shape[1:]
    P = Fn.pad(X / div if div != 1.0 else X, (1, 1, 1, 1))
    order = [(k, l) for l in range(3) for k in range(3)] if column_major else \
        [(k, l) for k in range(3) for l in range(3)]
    sx, sy = shifted_sum(P, H_X, order, M, N), shifted_sum(P, H_Y, order, M, N)
    g = exact_sqrt(sx * sx + sy * sy)
    nz = sx != 0
    a = torch.where(nz, torch.atan(sy / torch.where(nz, sx, torch.ones_like(sx))),
                    torch.full_like(sx, HALF_PI))
    return g, a


def qabf_q(gX, aX, gF, aF, equal_one):
    one = torch.ones_like(gX)
    G = torch.where(gX > gF, gF / torch.where(gX > gF, gX, one),
                    torch.where(gX == gF, one if equal_one else gF, gX / torch.where(gX < gF, gF, one)))
    Aa = 1.0 - torch.abs(aX - aF) / HALF_PI
    qg = 0.9994 / (1.0 + torch.exp(-15.0 * (G - 0.5)))
    qa = 0.9879 / (1.0 + torch.exp(-22.0 * (Aa - 0.8)))
    return qg * qa


def ei(F):
    M, N = F.shape[1:]
    P = Fn.pad(F[:, None], (1, 1, 1, 1), mode="replicate")[:, 0]
    gx = torch.zeros_like(F)
    gy = torch.zeros_like(F)
    h = SOBEL_MATLAB
    for k in range(3):
        for l in range(3):
            if h[k][l] != 0:
                gx = gx + h[k][l] * P[:, k:k + M, l:l + N]
            if h[l][k] != 0:
                gy = gy + h[l][k] * P[:, k:k + M, l:l + N]
    return bmean(torch.sqrt(gx * gx + gy * gy))


# --- separable filtering ---------------------------------------------------------------------

def gaussian_1d(n, sigma, dtype, device):
    from fusionbench.metrics.reference.filters import gaussian_1d as g1
    return torch.as_tensor(g1(n, sigma), dtype=dtype, device=device)


def filter_valid(x, g):
    """filter2(outer(g, g), x, 'valid') by two 1-D correlations; x (N, H, W).

    float64 (parity mode) adds the taps in the reference's order (centre, then the symmetric
    pairs g[k] (x[k] + x[n-1-k])) with separate elementwise ops, bit-identical to NumPy: VIF's
    cancellation makes other orders (cuDNN/mkldnn convolution) differ by up to 1e-7 relative.
    float32 (fast mode) uses conv2d.
    """
    n = g.numel()
    if x.dtype != torch.float64:
        y = Fn.conv2d(x[:, None], g.view(1, 1, 1, n))
        return Fn.conv2d(y, g.view(1, 1, n, 1))[:, 0]
    return _pass_pairs(_pass_pairs(x, g, 2), g, 1)


def _pass_pairs(x, g, dim):
    n, h = g.numel(), g.numel() // 2
    m = x.shape[dim] - n + 1
    if m <= 0:
        shape = list(x.shape)
        shape[dim] = 0
        return x.new_empty(shape)
    out = g[h] * x.narrow(dim, h, m)
    for k in range(h):
        out += g[k] * (x.narrow(dim, k, m) + x.narrow(dim, n - 1 - k, m))
    return out


def box7_f32(P, f32):
    """Cropped 7x7 box mean (rows/cols 3..-4), each 1-D pass summed in float64 then rounded
    to float32 as ``scipy.ndimage.uniform_filter`` does on float32 input."""
    M, N = P.shape[1:]
    s = P[:, 0:M - 6]
    for k in range(1, 7):
        s = s + P[:, k:k + M - 6]
    s = s / 7.0
    if f32:
        s = s.float().double()
    t = s[:, :, 0:N - 6]
    for k in range(1, 7):
        t = t + s[:, :, k:k + N - 6]
    t = t / 7.0
    return t.float() if f32 else t
