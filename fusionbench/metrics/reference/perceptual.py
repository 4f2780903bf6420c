"""Perceptual fusion metrics from Zheng Liu's toolbox as used by VIFB: Qcb and Qcv (METRICS.md 4.15-16)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from fusionbench.metrics.pipeline import round_away
from fusionbench.metrics.reference.filters import correlate_same


def normalize1(x: np.ndarray) -> np.ndarray:
    """Zheng Liu's ``normalize1``: round(255 (x - min)/(max - min)); all-zero images unchanged.

    A constant non-zero image gives 0/0 = NaN, as in MATLAB.
    """
    lo, hi = x.min(), x.max()
    if hi == 0 and lo == 0:
        return x.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return round_away(255.0 * (x - lo) / (hi - lo))


def normalize1_unit(x: np.ndarray) -> np.ndarray:
    """``normalize1`` as MEFB's Qcb reaches it: MATLAB ``im2double`` of the uint8 image (x / 255), then
    ``round((x - min) / (max - min) * 255)``. Equal to :func:`normalize1` but where the exact value is
    k + 1/2: the rounding then follows the float64 residue of this order (e.g. 9,348 pixels of TNO 02
    PIAFusion, whose range 16..254 makes ties)."""
    u = np.asarray(x, dtype=np.float64) / 255.0
    lo, hi = u.min(), u.max()
    if hi == 0 and lo == 0:
        return u
    with np.errstate(invalid="ignore", divide="ignore"):
        return round_away((u - lo) / (hi - lo) * 255.0)


def _freq_radius(shape, scale: float) -> np.ndarray:
    """MATLAB ``freqspace([M N], 'meshgrid')`` grid scaled by (N/scale, M/scale); returns r."""
    M, N = shape
    u = (np.arange(N) - N // 2) * 2.0 / N * (N / scale)
    v = (np.arange(M) - M // 2) * 2.0 / M * (M / scale)
    return np.sqrt(u[None, :] ** 2 + v[:, None] ** 2)


def _csf_filter(x: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Re(ifft2(ifftshift(fftshift(fft2(x)) * H))) (METRICS.md 6.12)."""
    spec = np.fft.fftshift(np.fft.fft2(x)) * H
    return np.real(np.fft.ifft2(np.fft.ifftshift(spec)))


def _gauss31(sigma: float) -> np.ndarray:
    i = np.arange(-15, 16, dtype=np.float64)
    return np.exp(-(i[:, None] ** 2 + i[None, :] ** 2) / (2 * sigma * sigma)) / (2 * np.pi * sigma * sigma)


def _filter2_same_sep(x: np.ndarray, sigma: float) -> np.ndarray:
    """filter2(G_sigma, x, 'same') with the unnormalised 31x31 Gaussian, zero padding (separable)."""
    i = np.arange(-15, 16, dtype=np.float64)
    g = np.exp(-(i * i) / (2 * sigma * sigma))
    out = ndimage.correlate1d(x, g, axis=0, mode="constant", cval=0.0)
    out = ndimage.correlate1d(out, g, axis=1, mode="constant", cval=0.0)
    return out / (2 * np.pi * sigma * sigma)


def qcb(F, A, B, opts) -> float:
    """Chen-Blum metric Q_CB (Chen & Blum 2009), VIFB / Zheng Liu ``metricChenBlum``."""
    f0, f1, a = 15.3870, 1.3456, 0.7622
    k = h = 1.0
    p, q, Z = 3.0, 2.0, 1e-4
    norm = normalize1_unit if opts["qcb_normalize"] == "im2double" else normalize1
    im1, im2, fu = norm(A), norm(B), norm(F)
    r = _freq_radius(F.shape, 30.0)
    S = np.exp(-(r / f0) ** 2) - a * np.exp(-(r / f1) ** 2)

    def masked_contrast(x):
        xf = _csf_filter(x, S)
        with np.errstate(invalid="ignore", divide="ignore"):
            C = np.abs(_filter2_same_sep(xf, 2.0) / _filter2_same_sep(xf, 4.0) - 1.0)
        return k * C ** p / (h * C ** q + Z)

    c1, c2, cf = masked_contrast(im1), masked_contrast(im2), masked_contrast(fu)
    with np.errstate(invalid="ignore", divide="ignore"):
        q1 = np.where(c1 < cf, c1 / cf, cf / c1)
        q2 = np.where(c2 < cf, c2 / cf, cf / c2)
        l1 = c1 ** 2 / (c1 ** 2 + c2 ** 2)
        l2 = c2 ** 2 / (c1 ** 2 + c2 ** 2)
    return float(np.mean(l1 * q1 + l2 * q2))


def _block_reduce(x: np.ndarray, size: int, fn: str) -> np.ndarray:
    """MATLAB ``blkproc``: non-overlapping blocks from the top-left, partial blocks zero-padded."""
    M, N = x.shape
    pm, pn = -M % size, -N % size
    xp = np.pad(x, ((0, pm), (0, pn)))
    blocks = xp.reshape(xp.shape[0] // size, size, xp.shape[1] // size, size)
    return blocks.sum(axis=(1, 3)) if fn == "sum" else blocks.mean(axis=(1, 3))


SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
SOBEL_Y = np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]])


def qcv(F, A, B, opts) -> float:
    """Chen-Varshney metric Q_CV (Chen & Varshney 2007), VIFB / Zheng Liu ``metricChen``; lower is better."""
    window, alpha = 16, 5.0
    im1, im2, fu = normalize1(A), normalize1(B), normalize1(F)

    def saliency(x):
        gx, gy = correlate_same(x, SOBEL_X), correlate_same(x, SOBEL_Y)
        return _block_reduce(np.sqrt(gx * gx + gy * gy) ** alpha, window, "sum")

    l1, l2 = saliency(im1), saliency(im2)
    r = _freq_radius(F.shape, 8.0)
    theta = 2.6 * (0.0192 + 0.144 * r) * np.exp(-((0.144 * r) ** 1.1))
    d1 = _block_reduce(_csf_filter(im1 - fu, theta) ** 2, window, "mean")
    d2 = _block_reduce(_csf_filter(im2 - fu, theta) ** 2, window, "mean")
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.sum(l1 * d1 + l2 * d2) / np.sum(l1 + l2))
