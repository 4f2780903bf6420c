"""MS-SSIM (Wang, Simoncelli, Bovik 2003) of F against each source.

Five scales; at each, local statistics under an 11 x 11 Gaussian (sigma 1.5) over 'valid' windows,
K = (0.01, 0.03), L = 255; between scales a 2 x 2 mean (symmetric border) and every second pixel.
The contrast-structure means of scales 1-4 and the full SSIM mean of scale 5 are combined as
``prod cs_l ^ w_l * ssim_5 ^ w_5``, w = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333).
"""

from __future__ import annotations

import numpy as np

from fusionbench.metrics.reference.filters import filter2_valid, gaussian_1d
from fusionbench.metrics.reference.mef_ssim import _down2

WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
_C1, _C2 = (0.01 * 255.0) ** 2, (0.03 * 255.0) ** 2


def ms_ssim_pair(x, y, *, window=None) -> float:
    """MS-SSIM of two planes on the 0..255 scale; NaN when the coarsest scale is under 11 pixels.

    A negative scale term counts as 0 (so the value is 0), as pytorch_msssim's ``relu`` does; its real
    power would be undefined. ``window``: the 1-D Gaussian (default: 11 taps, sigma 1.5, float64).
    """
    if not fits(x.shape):
        return float("nan")
    g = _window(window)
    return ms_ssim_from_levels(x, reference_levels(y, g), g)


def fits(shape) -> bool:
    """Whether the coarsest of the five scales still holds an 11 x 11 window."""
    return min(shape) >= 11 * 2 ** (len(WEIGHTS) - 1)


def _window(window=None):
    return gaussian_1d(11, 1.5) if window is None else np.asarray(window, dtype=np.float64)


def reference_levels(y, g):
    """[(plane, Gaussian mean, variance)] of ``y`` at each scale: what MS-SSIM takes from it alone."""
    out = []
    for level in range(len(WEIGHTS)):
        my = filter2_valid(y, g)
        out.append((y, my, filter2_valid(y * y, g) - my * my))
        if level < len(WEIGHTS) - 1:
            y = _down2(y)
    return out


def ms_ssim_from_levels(x, levels, g) -> float:
    """MS-SSIM of ``x`` against a plane given by its :func:`reference_levels`."""
    terms = []
    for level, (y, my, vy) in enumerate(levels):
        mx = filter2_valid(x, g)
        vx = filter2_valid(x * x, g) - mx * mx
        vxy = filter2_valid(x * y, g) - mx * my
        cs = (2 * vxy + _C2) / (vx + vy + _C2)
        if level < len(levels) - 1:
            terms.append(float(np.mean(cs)))
            x = _down2(x)
        else:
            terms.append(float(np.mean((2 * mx * my + _C1) / (mx * mx + my * my + _C1) * cs)))
    t = np.maximum(np.array(terms), 0.0)
    return float(np.prod(t ** np.array(WEIGHTS)))


def ms_ssim(F, A, B, opts) -> float:
    """MS-SSIM(F, A) + MS-SSIM(F, B) (``ssim_combine='sum'``) or their mean.

    References
    ----------
    Z. Wang, E. P. Simoncelli, A. C. Bovik, "Multiscale structural similarity for image quality
    assessment", Proc. 37th Asilomar Conference on Signals, Systems and Computers, 2003.
    """
    s = ms_ssim_pair(F, A) + ms_ssim_pair(F, B)
    return float(s if opts["ssim_combine"] == "sum" else s / 2.0)
