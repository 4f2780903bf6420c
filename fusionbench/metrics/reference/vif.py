"""Pixel-domain multiscale VIF (Sheikh & Bovik 2006) and Han et al.'s VIFF (2013)."""

from __future__ import annotations

import numpy as np

from fusionbench.metrics.reference.filters import filter2_valid, fspecial_gaussian, gaussian_1d

SIGMA_NSQ = 2.0
EPS = 1e-10
FULL_PYRAMID = 41  # smallest side for which every scale's window fits (17, 9, 5, 3 after decimation)


class NoValue(ValueError):
    """The toolbox raises for this image size (scipy ``'valid'`` mode, the window fits one side only)."""


def valid_mode(opts) -> str:
    """How ``'valid'`` filtering treats a window larger than the image: ``"scipy"`` for the cddfuse
    evaluator (``scipy.signal.convolve2d``; the only profile with ``vif_nan="one"``, its NaN rule),
    ``"matlab"`` for the MATLAB toolboxes (``filter2`` gives an empty map: the scale adds nothing)."""
    return "scipy" if opts["vif_nan"] == "one" else "matlab"


def scipy_gives_value(h: int, w: int) -> bool:
    """Whether the cddfuse evaluator's VIF returns a value for an h x w image (else scipy raises)."""
    def fits(h, w, n):
        return (h >= n and w >= n) or (h <= n and w <= n)
    for s in range(1, 5):
        n = 2 ** (5 - s) + 1
        if s > 1:  # filter (valid size |h - n| + 1) and keep every second row and column
            if not fits(h, w, n):
                return False
            h, w = (abs(h - n) + 2) // 2, (abs(w - n) + 2) // 2
        if not fits(h, w, n):  # the statistics of this scale
            return False
    return True


def no_value_reason(h: int, w: int, opts) -> str | None:
    """Why VIF is NaN for every h x w image under ``opts``, or None where it can have a value.

    Under the cddfuse evaluator's rules (:func:`valid_mode` ``"scipy"``) the toolbox raises where
    :func:`scipy_gives_value` is False; fusionbench returns NaN there instead of raising, so that one
    small image does not stop the other metrics and pairs of a run (a deliberate deviation from
    raising), and the runner reports this reason.
    """
    if valid_mode(opts) == "scipy" and not scipy_gives_value(h, w):
        return (f"the CDDFuse evaluator raises on a {w}x{h} image (scipy convolve2d 'valid': at some scale the "
                "window fits one side of the image only); fusionbench gives NaN instead of stopping")
    return None


def _window_scipy(x, n, s):
    """``scipy.signal.convolve2d(x, rot90(w, 2), 'valid')`` for the n x n window ``w`` of scale ``s``.

    When the image is at least as large as the window in both directions this is ``filter2(w, x,
    'valid')`` (computed by :func:`filter2_valid`). When it is at most as large in both directions
    scipy swaps the two inputs and returns their convolution with the image as the kernel (an
    ``(n - h + 1) x (n - w + 1)`` map); otherwise scipy raises, and this function raises
    :class:`NoValue`.
    """
    h, w = x.shape
    if h >= n and w >= n:
        return filter2_valid(x, gaussian_1d(n, n / 5.0))
    if h <= n and w <= n:
        from scipy.signal import convolve2d
        return convolve2d(x, np.rot90(fspecial_gaussian(n, n / 5.0), 2), mode="valid")
    raise NoValue(f"at scale {s} the image is {w}x{h} and the {n}x{n} window fits one side only")


def vif_scale_maps(ref, dist, s: int, *, u8_saturation: bool = False, valid: str = "matlab"):
    """Local statistics at scale s (1..4) after down-sampling; returns (ref, dist, sigma1_sq, g, sv_sq).

    ``ref``/``dist`` are the inputs of this scale (already filtered and decimated for s > 1).
    ``u8_saturation`` emulates tang2022: at scale 1 the products ref*ref, dist*dist and ref*dist are
    uint8 products that saturate at 255 (METRICS.md 6.7). ``valid`` (:func:`valid_mode`) decides what
    a window larger than the image gives: an empty map (``"matlab"``) or scipy's result or error.
    """
    n = 2 ** (5 - s) + 1
    if valid == "scipy":
        def W(x):
            return _window_scipy(x, n, s)
    else:
        g1 = gaussian_1d(n, n / 5.0)

        def W(x):
            return filter2_valid(x, g1)
    if s > 1:
        ref = W(ref)[::2, ::2]
        dist = W(dist)[::2, ::2]
    mu1, mu2 = W(ref), W(dist)
    rr, dd, rd = ref * ref, dist * dist, ref * dist
    if u8_saturation and s == 1:
        rr, dd, rd = np.minimum(rr, 255.0), np.minimum(dd, 255.0), np.minimum(rd, 255.0)
    sigma1_sq = W(rr) - mu1 * mu1
    sigma2_sq = W(dd) - mu2 * mu2
    sigma12 = W(rd) - mu1 * mu2
    sigma1_sq = np.maximum(sigma1_sq, 0.0)
    sigma2_sq = np.maximum(sigma2_sq, 0.0)
    g = sigma12 / (sigma1_sq + EPS)
    sv_sq = sigma2_sq - g * sigma12
    # the reference code's eps rules, in this order
    m = sigma1_sq < EPS
    g[m] = 0.0
    sv_sq[m] = sigma2_sq[m]
    sigma1_sq[m] = 0.0
    m = sigma2_sq < EPS
    g[m] = 0.0
    sv_sq[m] = 0.0
    m = g < 0
    sv_sq[m] = sigma2_sq[m]
    g[m] = 0.0
    sv_sq[sv_sq <= EPS] = EPS
    return ref, dist, sigma1_sq, g, sv_sq


def vifp(ref, dist, *, u8_saturation: bool = False, valid: str = "matlab") -> float:
    """vifp(ref, dist) = sum of log10 information ratios over 4 scales; NaN when den = 0.

    Below :data:`FULL_PYRAMID` px some window is larger than the (shrinking) image: with
    ``valid="matlab"`` that scale and the ones after it contribute nothing (MATLAB's empty maps);
    with ``valid="scipy"`` every scale is computed as ``scipy.signal.convolve2d`` does it (swapped
    inputs), and :class:`NoValue` is raised where scipy raises (:func:`_window_scipy`).
    """
    num = den = 0.0
    for s in range(1, 5):
        if valid != "scipy" and min(ref.shape) < 2 ** (5 - s) + 1:
            break
        ref, dist, s1, g, sv = vif_scale_maps(ref, dist, s, u8_saturation=u8_saturation, valid=valid)
        if s1.size == 0:
            break
        num += np.sum(np.log10(1.0 + g * g * s1 / (sv + SIGMA_NSQ)))
        den += np.sum(np.log10(1.0 + s1 / SIGMA_NSQ))
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.float64(num) / den)


def vif(F, A, B, opts) -> float:
    """vifp(A, F) combined with vifp(B, F) (sum by default, as every IVIF table).

    NaN where the toolbox raises instead of giving a value (cddfuse: a side under 41 px that
    straddles a window size, see :func:`_window_scipy`), as SSIM on images under its window.
    """
    sat, valid = bool(opts["vif_u8_saturation"]), valid_mode(opts)
    try:
        vals = [vifp(A, F, u8_saturation=sat, valid=valid), vifp(B, F, u8_saturation=sat, valid=valid)]
    except NoValue:
        return float("nan")
    if opts["vif_nan"] == "one":  # CDDFuse: a NaN vifp (flat reference) counts as 1.0
        vals = [1.0 if np.isnan(v) else v for v in vals]
    return float(vals[0] + vals[1]) if opts["vif_combine"] == "sum" else float((vals[0] + vals[1]) / 2)


VIFF_SIGMA_NSQ = 0.005 * 255.0 ** 2
VIFF_WEIGHTS = np.array([1.0, 0.0, 0.15, 1.0]) / 2.15
VIFF_C = 1e-7


def viff(F, A, B, opts) -> float:
    """Han et al. (2013) VIFF: per pixel take the source with the smaller gain g, weight 4 scales."""
    total = 0.0
    ra, rb, da, db = A, B, F, F
    for s in range(1, 5):
        if min(ra.shape) < 2 ** (5 - s) + 1:
            return float("nan")
        ra, da, s1a, ga, sva = vif_scale_maps(ra, da, s)
        rb, db, s1b, gb, svb = vif_scale_maps(rb, db, s)
        if s1a.size == 0:
            return float("nan")
        vid_a = np.log10(1.0 + ga * ga * s1a / (sva + VIFF_SIGMA_NSQ))
        vid_b = np.log10(1.0 + gb * gb * s1b / (svb + VIFF_SIGMA_NSQ))
        vind_a = np.log10(1.0 + s1a / VIFF_SIGMA_NSQ)
        vind_b = np.log10(1.0 + s1b / VIFF_SIGMA_NSQ)
        pick_a = ga < gb
        vid = np.where(pick_a, vid_a, vid_b)
        vind = np.where(pick_a, vind_a, vind_b)
        total += VIFF_WEIGHTS[s - 1] * np.sum(vid + VIFF_C) / np.sum(vind + VIFF_C)
    return float(total)
