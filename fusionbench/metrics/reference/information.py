"""Mutual information (METRICS.md 4.5)."""

from __future__ import annotations

import numpy as np

from fusionbench.metrics.pipeline import round_away


def _levels(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), 0, 255).astype(np.intp).ravel()


def _minmax_levels(x: np.ndarray) -> np.ndarray:
    """VIFB: stretch to [0, 1] (a constant image -> zeros) and quantise round_away(255 x)."""
    lo, hi = x.min(), x.max()
    y = np.zeros_like(x) if hi == lo else (x - lo) / (hi - lo)
    return round_away(255.0 * y).astype(np.intp).ravel()


def _mi_pair(f: np.ndarray, x: np.ndarray, *, log, saturate: bool) -> float:
    """I(F; X) = H(F) + H(X) - H(F, X) from integer levels, in the unit of ``log``."""
    n = f.size
    pf = np.bincount(f, minlength=256) / n
    px = np.bincount(x, minlength=256) / n
    if saturate:  # MATLAB uint8 bin index level+1 saturates: levels 254 and 255 share a joint bin
        f, x = np.minimum(f, 254), np.minimum(x, 254)
    joint = np.bincount(f * 256 + x, minlength=65536) / n

    def h(p):
        p = p[p > 0]
        return -np.sum(p * log(p))

    return float(h(pf) + h(px) - h(joint))


def mi(F, A, B, opts) -> float:
    """MI(F; A) + MI(F; B) with 256-level histograms; nats (``mi_base='e'``) or bits."""
    log = np.log if opts["mi_base"] == "e" else np.log2
    sat = bool(opts["mi_joint_u8_saturation"])
    conv = _minmax_levels if opts["mi_minmax"] else _levels
    f = conv(F)
    return _mi_pair(f, conv(A), log=log, saturate=sat) + _mi_pair(f, conv(B), log=log, saturate=sat)
