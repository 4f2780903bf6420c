"""Pixel-domain multiscale VIF (Sheikh & Bovik 2006) and Han et al.'s VIFF (2013)."""

from __future__ import annotations

import numpy as np

from fusionbench.metrics.reference.filters import filter2_valid, gaussian_1d

SIGMA_NSQ = 2.0
EPS = 1e-10


def vif_scale_maps(ref, dist, s: int, *, u8_saturation: bool = False):
    """Local statistics at scale s (1..4) after down-sampling; returns (ref, dist, sigma1_sq, g, sv_sq).

    ``ref``/``dist`` are the inputs of this scale (already filtered and decimated for s > 1).
    ``u8_saturation`` emulates tang2022: at scale 1 the products ref*ref, dist*dist and ref*dist are
    uint8 products that saturate at 255 (METRICS.md 6.7).
    """
    n = 2 ** (5 - s) + 1
    g1 = gaussian_1d(n, n / 5.0)
    if s > 1:
        ref = filter2_valid(ref, g1)[::2, ::2]
        dist = filter2_valid(dist, g1)[::2, ::2]
    mu1, mu2 = filter2_valid(ref, g1), filter2_valid(dist, g1)
    rr, dd, rd = ref * ref, dist * dist, ref * dist
    if u8_saturation and s == 1:
        rr, dd, rd = np.minimum(rr, 255.0), np.minimum(dd, 255.0), np.minimum(rd, 255.0)
    sigma1_sq = filter2_valid(rr, g1) - mu1 * mu1
    sigma2_sq = filter2_valid(dd, g1) - mu2 * mu2
    sigma12 = filter2_valid(rd, g1) - mu1 * mu2
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


def vifp(ref, dist, *, u8_saturation: bool = False) -> float:
    """vifp(ref, dist) = sum of log10 information ratios over 4 scales; NaN when den = 0.

    Scales whose window no longer fits the (shrinking) image contribute nothing.
    """
    num = den = 0.0
    for s in range(1, 5):
        if min(ref.shape) < 2 ** (5 - s) + 1:
            break
        ref, dist, s1, g, sv = vif_scale_maps(ref, dist, s, u8_saturation=u8_saturation)
        if s1.size == 0:
            break
        num += np.sum(np.log10(1.0 + g * g * s1 / (sv + SIGMA_NSQ)))
        den += np.sum(np.log10(1.0 + s1 / SIGMA_NSQ))
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.float64(num) / den)


def vif(F, A, B, opts) -> float:
    """vifp(A, F) combined with vifp(B, F) (sum by default, as every IVIF table)."""
    sat = bool(opts["vif_u8_saturation"])
    vals = [vifp(A, F, u8_saturation=sat), vifp(B, F, u8_saturation=sat)]
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
