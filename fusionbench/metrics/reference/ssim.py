"""SSIM (Wang et al. 2004) in the three forms the toolboxes use (METRICS.md 4.10)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from fusionbench.metrics.reference.filters import filter2_valid, gaussian_1d

K1, K2 = 0.01, 0.03


def _ssim_map(mx, my, vx, vy, vxy, L):
    c1, c2 = (K1 * L) ** 2, (K2 * L) ** 2
    return ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


def ssim_skimage019(x, y, *, data_range=2.0, float32=True) -> float:
    """scikit-image 0.19 ``structural_similarity`` defaults: 7x7 uniform window, reflect padding,
    sample covariance (x49/48), mean over the map cropped by 3 pixels.

    ``float32`` reproduces the CDDFuse evaluator, which hands float32 images to scikit-image.
    """
    if min(x.shape) < 7:
        return float("nan")
    dt = np.float32 if float32 else np.float64
    x, y = x.astype(dt), y.astype(dt)

    def U(z):
        return ndimage.uniform_filter(z, size=7, mode="reflect")

    cov = dt(49.0 / 48.0)
    ux, uy = U(x), U(y)
    uxx, uyy, uxy = U(x * x), U(y * y), U(x * y)
    vx, vy, vxy = cov * (uxx - ux * ux), cov * (uyy - uy * uy), cov * (uxy - ux * uy)
    c1, c2 = dt((K1 * data_range) ** 2), dt((K2 * data_range) ** 2)
    a1, a2 = 2 * ux * uy + c1, 2 * vxy + c2
    b1, b2 = ux ** 2 + uy ** 2 + c1, vx + vy + c2
    S = (a1 * a2) / (b1 * b2)
    return float(S[3:-3, 3:-3].astype(np.float64).mean())


def ssim_wang2004_valid(x, y, *, L=255.0) -> float:
    """Wang's ``ssim_index.m``: 11x11 Gaussian (sigma 1.5), ``filter2 'valid'``, mean of the map."""
    if min(x.shape) < 11:
        return float("nan")
    g = gaussian_1d(11, 1.5)
    mx, my = filter2_valid(x, g), filter2_valid(y, g)
    vx = filter2_valid(x * x, g) - mx * mx
    vy = filter2_valid(y * y, g) - my * my
    vxy = filter2_valid(x * y, g) - mx * my
    return float(np.mean(_ssim_map(mx, my, vx, vy, vxy, L)))


def ssim_matlab_builtin(x, y, *, L=1.0) -> float:
    """MATLAB built-in ``ssim``: Gaussian sigma 1.5 (11x11), replicate padding, full-size map.

    With exponents 1 and C3 = C2/2 it reduces to the standard SSIM formula. [read; not
    MATLAB-verified]
    """
    g = gaussian_1d(11, 1.5)

    def W(z):
        return ndimage.correlate1d(ndimage.correlate1d(z, g, axis=0, mode="nearest"), g, axis=1,
                                   mode="nearest")

    mx, my = W(x), W(y)
    vx, vy, vxy = W(x * x) - mx * mx, W(y * y) - my * my, W(x * y) - mx * my
    return float(np.mean(_ssim_map(mx, my, vx, vy, vxy, L)))


def ssim_single(x, y, opts) -> float:
    impl = opts["ssim_impl"]
    L = float(opts["ssim_data_range"])
    if impl == "skimage019":
        return ssim_skimage019(x, y, data_range=L, float32=bool(opts["ssim_float32"]))
    if impl == "wang2004_valid":
        return ssim_wang2004_valid(x, y, L=L)
    return ssim_matlab_builtin(x, y, L=L)


def ssim(F, A, B, opts) -> float:
    """SSIM(F, A) + SSIM(F, B) (``ssim_combine='sum'``) or their mean."""
    s = ssim_single(F, A, opts) + ssim_single(F, B, opts)
    return float(s if opts["ssim_combine"] == "sum" else s / 2.0)
