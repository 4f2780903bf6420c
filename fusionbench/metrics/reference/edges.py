"""Gradient-based fusion quality: Qabf (Xydeas & Petrovic 2000) and Nabf (fusion artefacts)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from fusionbench.metrics.reference.filters import conv2_same

H_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])  # h3
H_Y = np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])  # h1

TG, KG, DG = 0.9994, -15.0, 0.5
TA, KA, DA = 0.9879, -22.0, 0.8


def qabf_edges(X: np.ndarray, *, column_major: bool = False):
    """Sobel magnitude g and angle a = atan(Sy / Sx) (pi/2 where Sx == 0)."""
    sx = conv2_same(X, H_X, column_major=column_major)
    sy = conv2_same(X, H_Y, column_major=column_major)
    g = np.sqrt(sx * sx + sy * sy)
    a = np.full_like(X, np.pi / 2)
    nz = sx != 0
    a[nz] = np.arctan(sy[nz] / sx[nz])
    return g, a


def qabf_pair(gX, aX, gF, aF, *, equal_g: str = "gF") -> np.ndarray:
    """Per-pixel edge preservation Q^{XF} = Q_g * Q_alpha."""
    G = np.empty_like(gX)
    gt, eq, lt = gX > gF, gX == gF, gX < gF
    G[gt] = gF[gt] / gX[gt]
    G[eq] = gF[eq] if equal_g == "gF" else 1.0  # the reference quirk: G = gF when equal
    G[lt] = gX[lt] / gF[lt]
    Aa = 1.0 - np.abs(aX - aF) / (np.pi / 2)
    qg = TG / (1.0 + np.exp(KG * (G - DG)))
    qa = TA / (1.0 + np.exp(KA * (Aa - DA)))
    return qg * qa


def qabf(F, A, B, opts) -> float:
    """Q^{AB/F} = sum(Q^{AF} gA + Q^{BF} gB) / sum(gA + gB); NaN if both sources are flat."""
    div = 255.0 if opts["qabf_scale"] == 1 else 1.0  # divide (as im2double), never multiply by 1/255
    cm = opts["qabf_conv_order"] == "matlab_colmajor"
    eq = opts["qabf_equal_g"]
    gA, aA = qabf_edges(A / div, column_major=cm)
    gB, aB = qabf_edges(B / div, column_major=cm)
    gF, aF = qabf_edges(F / div, column_major=cm)
    num = np.sum(qabf_pair(gA, aA, gF, aF, equal_g=eq) * gA + qabf_pair(gB, aB, gF, aF, equal_g=eq) * gB)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(num / np.sum(gA + gB))


# --- Nabf ------------------------------------------------------------------------------------

def _nabf_edges_tang(X):
    """Sobel/8, border mirrored without repeating the edge pixel (c b | a b c); alpha = atan(gv/gh)."""
    kv = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0
    kh = np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]) / 8.0
    gv = ndimage.correlate(X, kv, mode="mirror")
    gh = ndimage.correlate(X, kh, mode="mirror")
    g = np.sqrt(gv * gv + gh * gh)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where((gv == 0) & (gh == 0), 0.0, np.arctan(gv / gh))
    return g, a


def _nabf_q(gX, aX, gF, aF):
    with np.errstate(invalid="ignore", divide="ignore"):
        G = np.where((gX == 0) | (gF == 0), 0.0, np.minimum(gX, gF) / np.maximum(gX, gF))
    Aa = np.abs(np.abs(aX - aF) - np.pi / 2) * 2.0 / np.pi
    qg = 0.9999 / (1.0 + np.exp(-19.0 * (G - 0.5)))
    qa = 0.9995 / (1.0 + np.exp(-22.0 * (Aa - 0.5)))
    return np.sqrt(qg * qa)


def _nabf_tang(F, A, B, div):
    gA, aA = _nabf_edges_tang(A / div)
    gB, aB = _nabf_edges_tang(B / div)
    gF, aF = _nabf_edges_tang(F / div)
    wA = np.where(gA >= 2.0, gA ** 1.5, 0.001)
    wB = np.where(gB >= 2.0, gB ** 1.5, 0.001)
    na = ((gF > gA) & (gF > gB)).astype(np.float64)
    num = np.sum(na * ((1 - _nabf_q(gA, aA, gF, aF)) * wA + (1 - _nabf_q(gB, aB, gF, aF)) * wB))
    return float(num / np.sum(wA + wB))


def _nabf_smfnet(F, A, B):
    def edges(X):
        sx = ndimage.sobel(X, axis=1, mode="nearest")
        sy = ndimage.sobel(X, axis=0, mode="nearest")
        return np.sqrt(sx * sx + sy * sy), np.arctan2(sy, sx)

    gA, aA = edges(A)
    gB, aB = edges(B)
    gF, aF = edges(F)
    wA, wB = 0.001 * gA ** 1.5, 0.001 * gB ** 1.5
    na = (gF > gA).astype(np.float64)
    num = np.sum(na * ((1 - _nabf_q(gA, aA, gF, aF)) * wA + (1 - _nabf_q(gB, aB, gF, aF)) * wB))
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(num / np.sum(wA + wB))


def nabf(F, A, B, opts) -> float:
    """Fusion artefact measure N^{AB/F} (lower is better); variants per METRICS.md 4.18 [read, no oracle].

    ``tang_v1``: (F, A, B) on [0,1] data (all weights w_min); ``tang_v2_swapped``: the 2023 code's
    argument-order bug (IR used as the fused image, on 0..255); ``smfnet``: the SMFNet Python version.
    """
    variant = opts["nabf_variant"]
    if variant == "tang_v1":
        return _nabf_tang(F, A, B, 255.0)
    if variant == "tang_v2_swapped":
        return _nabf_tang(A, B, F, 1.0)
    return _nabf_smfnet(F, A, B)
