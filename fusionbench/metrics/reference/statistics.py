"""Histogram and moment metrics: EN, SD, CC, SCD, MSE, PSNR, RMSE, CE."""

from __future__ import annotations

import numpy as np

from fusionbench.metrics.pipeline import u8


def hist256(x: np.ndarray) -> np.ndarray:
    """Probabilities of the integer levels 0..255 (values are rounded half to even, clipped)."""
    levels = np.clip(np.round(x), 0, 255).astype(np.intp).ravel()
    return np.bincount(levels, minlength=256)[:256] / levels.size


def entropy_bits(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def en(F, A, B, opts) -> float:
    """Shannon entropy of F in bits (256 bins)."""
    return entropy_bits(hist256(F))


def sd(F, A, B, opts) -> float:
    """Population standard deviation of F; tang2022 emulates MATLAB's uint8 saturation."""
    if opts["sd_mode"] == "tang_u8_saturate":
        d = u8(F - F.mean())  # uint8 difference: rounded, negatives -> 0
        return float(np.sqrt(np.sum(np.minimum(d * d, 255.0)) / F.size))
    return float(np.std(F))


def corr(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation over all pixels (MATLAB ``corr2``); NaN for a constant input."""
    dx, dy = x - x.mean(), y - y.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.sum(dx * dy) / np.sqrt(np.sum(dx * dx) * np.sum(dy * dy)))


def cc(F, A, B, opts) -> float:
    """Mean of r(A, F) and r(B, F)."""
    return (corr(A, F) + corr(B, F)) / 2.0


def scd(F, A, B, opts) -> float:
    """Sum of the correlations of differences: r(F - B, A) + r(F - A, B) (Aslantas & Bendes 2015)."""
    return corr(F - B, A) + corr(F - A, B)


def mse(F, A, B, opts) -> float:
    """Mean of the two mean squared errors, on 0..255 (``mse_scale=255``) or [0, 1]."""
    div = 1.0 if opts["mse_scale"] == 255 else 255.0
    fa, fb = F / div - A / div, F / div - B / div
    return float(0.5 * np.mean(fa * fa) + 0.5 * np.mean(fb * fb))


def _vifb_err(X, F) -> float:
    """VIFB's e(X, F) = sqrt(sum (X - F)^2) / MN (not a root-mean-square; a known bug)."""
    d = X - F
    return float(np.sqrt(np.sum(d * d)) / d.size)


def psnr(F, A, B, opts) -> float:
    """PSNR in dB; ``psnr_mode`` picks the toolbox's definition (METRICS.md 4.11)."""
    mode = opts["psnr_mode"]
    with np.errstate(divide="ignore"):
        if mode == "vifb":
            return float(20.0 * np.log10(255.0 / np.sqrt((_vifb_err(B, F) + _vifb_err(A, F)) / 2.0)))
        if mode == "tang":
            return float(20.0 * np.log10(255.0 / np.sqrt(mse(F, A, B, {"mse_scale": 1}))))
        return float(10.0 * np.log10(np.max(F) ** 2 / mse(F, A, B, {"mse_scale": 255})))


def rmse(F, A, B, opts) -> float:
    """VIFB's RMSE: (e(VI, F) + e(IR, F)) / 2 with e = sqrt of the sum / MN."""
    return (_vifb_err(B, F) + _vifb_err(A, F)) / 2.0


def _kl_common(ps: np.ndarray, pf: np.ndarray) -> float:
    m = (ps > 0) & (pf > 0)
    return float(np.sum(ps[m] * np.log2(ps[m] / pf[m])))


def ce(F, A, B, opts) -> float:
    """VIFB cross entropy: mean of D(VI||F) and D(IR||F), over levels present in both (bits)."""
    pf = hist256(F)
    return (_kl_common(hist256(B), pf) + _kl_common(hist256(A), pf)) / 2.0
