"""Filtering primitives with MATLAB semantics (``specs/METRICS.md`` section 6)."""

from __future__ import annotations

from functools import cache

import numpy as np


@cache
def gaussian_1d(n: int, sigma: float) -> np.ndarray:
    """1-D factor of MATLAB ``fspecial('gaussian', n, sigma)`` (normalised).

    The 2-D kernel is ``outer(g, g)``: for the sizes used here no entry falls below
    ``eps * max`` (METRICS.md 6.2), so the separable form is exact up to rounding.
    """
    x = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    g = np.exp(-(x * x) / (2.0 * sigma * sigma))
    return g / g.sum()


def fspecial_gaussian(n: int, sigma: float) -> np.ndarray:
    """MATLAB ``fspecial('gaussian', n, sigma)`` as a 2-D array (with the eps rule)."""
    x = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    h = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2.0 * sigma * sigma))
    h[h < np.finfo(float).eps * h.max()] = 0.0
    return h / h.sum()


def filter2_valid(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``filter2(outer(g, g), x, 'valid')`` by two 1-D correlations (no padding).

    ``g`` is symmetric, so each pass adds the centre tap and then the pairs ``g[k] * (x[k] +
    x[n-1-k])`` for k = 0, 1, ...: one fixed accumulation order, shared bit for bit by the Numba
    and torch backends. The order matters: VIF's ``W(x*x) - mu**2`` cancels on flat regions and
    moves vifp by up to ~1e-7 relative between equally valid float64 orders (e.g. a BLAS dot).
    """
    n = g.size
    if x.shape[0] < n or x.shape[1] < n:
        return np.empty((max(x.shape[0] - n + 1, 0), max(x.shape[1] - n + 1, 0)))
    return _pass_pairs(_pass_pairs(np.asarray(x, dtype=np.float64), g, 1), g, 0)


def _pass_pairs(x: np.ndarray, g: np.ndarray, axis: int) -> np.ndarray:
    n, h = g.size, g.size // 2
    m = x.shape[axis] - n + 1

    def tap(k):
        return x[:, k:k + m] if axis == 1 else x[k:k + m, :]

    out = g[h] * tap(h)
    for k in range(h):
        out += g[k] * (tap(k) + tap(n - 1 - k))
    return out


def correlate_same(x: np.ndarray, h: np.ndarray, *, mode: str = "zero") -> np.ndarray:
    """``filter2(h, x, 'same')`` for a small odd kernel: correlation, zero or replicate border."""
    kh, kw = h.shape
    ph, pw = kh // 2, kw // 2
    pad = np.pad(x, ((ph, ph), (pw, pw)), mode="constant" if mode == "zero" else "edge")
    out = np.zeros_like(x, dtype=np.float64)
    for k in range(kh):
        for l in range(kw):
            if h[k, l] != 0:
                out += h[k, l] * pad[k:k + x.shape[0], l:l + x.shape[1]]
    return out


def conv2_same(x: np.ndarray, h: np.ndarray, *, column_major: bool = False) -> np.ndarray:
    """MATLAB ``conv2(x, h, 'same')`` (true convolution, zero padding) for a 3x3 kernel.

    With ``column_major`` the nine shifted images are accumulated from zero in MATLAB's order
    (kernel column outer, row inner), which tang2022's [0,1] Qabf needs bit-for-bit (6.5).
    """
    M, N = x.shape
    P = np.zeros((M + 2, N + 2))
    P[1:-1, 1:-1] = x
    out = np.zeros((M, N))
    order = [(k, l) for l in range(3) for k in range(3)] if column_major else \
        [(k, l) for k in range(3) for l in range(3)]
    for k, l in order:
        # out(i, j) += h(k, l) * x(i + 1 - k, j + 1 - l)
        out += h[k, l] * P[2 - k:2 - k + M, 2 - l:2 - l + N]
    return out
