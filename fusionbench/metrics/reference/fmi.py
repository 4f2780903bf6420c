"""Feature mutual information FMI (Haghighat, Aghagolzadeh, Seyedarabi 2011; the fast 2014 form).

For every 3 x 3 window the features of a source X and of F are min-max normalised and read as two
9-bin distributions (column-major order, as MATLAB's ``x(:)``); their joint distribution is the
mix of the Frechet bound (upper for positive correlation, lower for negative) and independence
that has their Pearson correlation. ``FMI_XF = 2 I(X; F) / (H(X) + H(F))`` per window (1 where the
two windows are equal), averaged over both sources and all windows. Follows
``analysis_fmi.m`` of Tang's evaluation toolbox (Haghighat's code) step by step. Features: the
pixels (``'none'``), the whole-image DCT (``'dct'``) or one level of MATLAB's ``dwt2(x, 'dmey')``
(``'wavelet'``, :mod:`fusionbench.metrics.reference.wavelet`).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft

from fusionbench.metrics.reference.wavelet import dwt2_dmey

W = 3
L = W * W
_IDX = np.arange(1, L + 1, dtype=np.float64)
_CHUNK = 20000


def _windows(x):
    """(K, 9) windows in MATLAB column-major order."""
    v = sliding_window_view(x, (W, W))  # (M-2, N-2, row, col)
    return np.ascontiguousarray(v.transpose(0, 1, 3, 2)).reshape(-1, L)


def _normalise(s):
    lo, hi = s.min(axis=1, keepdims=True), s.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(hi == lo, 1.0, (s - lo) / (hi - lo))


def _seqsum(x):
    """Left-to-right sum over the last axis (Octave's order; decides the exact-zero tests below)."""
    return np.cumsum(x, axis=-1)[..., -1]


def _pdf(s):
    n = _normalise(s)
    cols = _seqsum(n.reshape(-1, W, W))  # sum(sum(x)): column sums, then their sum
    return n / _seqsum(cols)[:, None]


def _entropy(p):
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(p != 0, -p * np.log2(np.where(p != 0, p, 1.0)), 0.0)
    return t.sum(axis=-1)


def _fmi_windows(xs, fs, same):
    """FMI of each window pair (rows of xs, fs); ``same``: where the toolbox returns 1."""
    xp, fp = _pdf(xs), _pdf(fs)
    xc, fc = np.cumsum(xp, axis=1), np.cumsum(fp, axis=1)
    # e.g. a flat window's pdf 1/9 minus its mean can be 1 ulp off zero, making c = +-1
    xt, ft = xp - (_seqsum(xp) / L)[:, None], fp - (_seqsum(fp) / L)[:, None]
    num = _seqsum(xt * ft)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(num == 0, 0.0, num / np.sqrt(_seqsum(xt * xt) * _seqsum(ft * ft)))
    xsd = np.sqrt(np.maximum(xp @ (_IDX ** 2) - (xp @ _IDX) ** 2, 0.0))
    fsd = np.sqrt(np.maximum(fp @ (_IDX ** 2) - (fp @ _IDX) ** 2, 0.0))
    Fi, Xj = fc[:, :, None], xc[:, None, :]  # joint arrays indexed [k, i (fused), j (source)]
    pos = c >= 0
    up = np.minimum(Fi, Xj)
    lo = np.maximum(Fi + Xj - 1.0, 0.0)
    bound_cdf = np.where(pos[:, None, None], up, lo)
    cov = np.sum(bound_cdf - Fi * Xj, axis=(1, 2))
    degenerate = (xsd == 0) | (fsd == 0) | (pos & (c == 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        mix = np.where(degenerate, 0.0, c / (cov / (fsd * xsd)))
    # rectangle differences of the bound's joint cdf, with zero row/column 0 (the toolbox's edge cases)
    Jp = np.zeros((len(c), L + 1, L + 1))
    Jp[:, 1:, 1:] = bound_cdf
    bound_pdf = Jp[:, 1:, 1:] - Jp[:, :-1, 1:] - Jp[:, 1:, :-1] + Jp[:, :-1, :-1]
    jpdf = mix[:, None, None] * bound_pdf + (1.0 - mix[:, None, None]) * (fp[:, :, None] * xp[:, None, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        # MATLAB's real(-p log2 p) of a negative p is -p log2 |p|
        hj = np.where(jpdf != 0, -jpdf * np.log2(np.abs(np.where(jpdf != 0, jpdf, 1.0))), 0.0).sum(axis=(1, 2))
    hx, hf = _entropy(xp), _entropy(fp)
    mi = hx + hf - hj
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(mi == 0, 0.0, 2.0 * mi / (hx + hf))
    return np.where(same, 1.0, out)


def _rerange(x):
    """Tang's ``rerange``: the whole map scaled to [0, 1] (all ones when flat)."""
    lo, hi = x.min(), x.max()
    return np.ones_like(x) if hi == lo else (x - lo) / (hi - lo)


def _feature(x, kind):
    if kind == "none":
        return np.asarray(x, dtype=np.float64)
    if kind == "dct":
        return fft.dctn(np.asarray(x, dtype=np.float64), type=2, norm="ortho")
    if kind == "wavelet":
        a, h, v, d = dwt2_dmey(x)
        return _rerange(np.block([[a, h], [v, d]]))
    raise ValueError(f"unknown FMI feature {kind!r}")


def fmi_value(F, A, B, feature: str) -> float:
    if min(F.shape) < W:
        return float("nan")
    # features of the [0, 1] images (MATLAB im2double), as the toolbox is called
    fa, fb, ff = (_windows(_feature(np.asarray(x, dtype=np.float64) / 255.0, feature)) for x in (A, B, F))
    total, n = 0.0, ff.shape[0]
    for s in range(0, n, _CHUNK):
        sl = slice(s, s + _CHUNK)
        a, b, f = fa[sl], fb[sl], ff[sl]
        a_same = np.all(a == f, axis=1)
        # the toolbox normalises F's window in place for the A term (unless A's window equals it) and
        # then tests B's raw window against that: a saturated (all 1.0) B window equals a flat F's
        f_seen = np.where(a_same[:, None], f, _normalise(f))
        b_same = np.all(b == f_seen, axis=1)
        total += float(np.sum((_fmi_windows(a, f, a_same) + _fmi_windows(b, f, b_same)) / 2.0))
    return total / n


def fmi_pixel(F, A, B, opts) -> float:
    """FMI on raw pixels (``feature='none'``), 3 x 3 windows.

    References
    ----------
    M. B. A. Haghighat, A. Aghagolzadeh, H. Seyedarabi, "A non-reference image fusion metric based
    on mutual information of image features", Computers & Electrical Engineering 37 (5), 744-756,
    2011; M. Haghighat, M. A. Razian, "Fast-FMI: non-reference image fusion metric", IEEE AICT 2014.
    """
    return fmi_value(F, A, B, "none")


def fmi_dct(F, A, B, opts) -> float:
    """FMI on the whole-image orthonormal DCT-II coefficients (MATLAB ``dct2``), 3 x 3 windows.

    References
    ----------
    M. Haghighat, M. A. Razian, "Fast-FMI: non-reference image fusion metric", IEEE AICT 2014.
    """
    return fmi_value(F, A, B, "dct")


def fmi_w(F, A, B, opts) -> float:
    """FMI on Discrete Meyer wavelet coefficients (MATLAB ``dwt2(x, 'dmey')``), 3 x 3 windows.

    The four sub-bands of one decomposition level, tiled ``[cA, cH; cV, cD]`` and scaled to [0, 1]
    over the whole tile (Tang's ``rerange``), are the feature map; with the 102-tap filter it is
    ``2 floor((h + 101) / 2)`` by ``2 floor((w + 101) / 2)``, larger than the image.

    References
    ----------
    M. Haghighat, M. A. Razian, "Fast-FMI: non-reference image fusion metric", IEEE AICT 2014.
    """
    return fmi_value(F, A, B, "wavelet")
