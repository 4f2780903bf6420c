"""Gradient metrics of the fused image: SF, AG, EI."""

from __future__ import annotations

import numpy as np

from fusionbench.metrics.reference.filters import correlate_same


def sf(F, A, B, opts) -> float:
    """Spatial frequency sqrt(RF^2 + CF^2) (Eskicioglu & Fisher 1995).

    ``sf_norm='mean'`` averages each difference array; ``'MN'`` divides both sums by M*N (VIFB).
    ``sf_scale=1`` works on x/255 (tang2022).
    """
    X = F / 255.0 if opts["sf_scale"] == 1 else F
    dr = np.diff(X, axis=1)
    dc = np.diff(X, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if opts["sf_norm"] == "MN":
            rf2, cf2 = np.sum(dr * dr) / X.size, np.sum(dc * dc) / X.size
        else:
            rf2 = np.sum(dr * dr) / dr.size if dr.size else 0.0
            cf2 = np.sum(dc * dc) / dc.size if dc.size else 0.0
    return float(np.sqrt(rf2 + cf2))


def matlab_gradient(X: np.ndarray):
    """MATLAB/NumPy ``gradient``: central differences inside, one-sided at the borders.

    Returns (gx, gy); an axis of length 1 has zero gradient (MATLAB's behaviour).
    """
    gx = np.gradient(X, axis=1) if X.shape[1] > 1 else np.zeros_like(X)
    gy = np.gradient(X, axis=0) if X.shape[0] > 1 else np.zeros_like(X)
    return gx, gy


def ag(F, A, B, opts) -> float:
    """Average gradient: sum sqrt((gx^2 + gy^2)/2) / D, D = MN or (M-1)(N-1) (Cui et al. 2015)."""
    gx, gy = matlab_gradient(F)
    s = gx * gx + gy * gy
    if opts["ag_half"]:
        s = s / 2.0
    M, N = F.shape
    D = M * N if opts["ag_norm"] == "MN" else (M - 1) * (N - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.float64(np.sum(np.sqrt(s))) / D)


SOBEL_MATLAB = np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])  # fspecial('sobel')


def ei(F, A, B, opts) -> float:
    """Edge intensity (VIFB): mean of the Sobel magnitude, ``imfilter`` with replicate borders."""
    gx = correlate_same(F, SOBEL_MATLAB, mode="replicate")
    gy = correlate_same(F, SOBEL_MATLAB.T, mode="replicate")
    return float(np.mean(np.sqrt(gx * gx + gy * gy)))
