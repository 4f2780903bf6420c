"""BASELINE: a straightforward SciPy implementation of the ten cddfuse metrics, written the way
the reference Python evaluators (CDDFuse ``utils/Evaluator.py`` and its ~30 copies) compute them:
direct 2-D convolution (``scipy.signal.convolve2d``) for VIF and Qabf, uniform filters for SSIM,
a contingency table for MI. It exists only to time the "speed to beat" (METRICS.md section 10);
fusionbench never uses it. Formulas follow METRICS.md section 4 (cddfuse column).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.signal import convolve2d


def en(F, A, B):
    p = np.bincount(np.round(F).astype(np.uint8).ravel(), minlength=256) / F.size
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def sd(F, A, B):
    return float(np.std(F))


def sf(F, A, B):
    return float(np.sqrt(np.mean(np.diff(F, axis=1) ** 2) + np.mean(np.diff(F, axis=0) ** 2)))


def ag(F, A, B):
    gy, gx = np.gradient(F)
    return float(np.mean(np.sqrt((gx ** 2 + gy ** 2) / 2)))


def _mutual_info(x, y):
    """Contingency-table MI in nats over the distinct values present (as scikit-learn)."""
    _, xi = np.unique(x.ravel(), return_inverse=True)
    _, yi = np.unique(y.ravel(), return_inverse=True)
    table = np.zeros((xi.max() + 1, yi.max() + 1))
    np.add.at(table, (xi, yi), 1)
    n = table.sum()
    pxy = table / n
    px, py = pxy.sum(1, keepdims=True), pxy.sum(0, keepdims=True)
    nz = pxy > 0
    return float(np.sum(pxy[nz] * np.log(pxy[nz] / (px @ py)[nz])))


def mi(F, A, B):
    return _mutual_info(F, A) + _mutual_info(F, B)


def _r(x, y):
    dx, dy = x - x.mean(), y - y.mean()
    return np.sum(dx * dy) / np.sqrt(np.sum(dx ** 2) * np.sum(dy ** 2))


def cc(F, A, B):
    return float((_r(A, F) + _r(B, F)) / 2)


def scd(F, A, B):
    return float(_r(F - B, A) + _r(F - A, B))


def _gauss2d(n, sigma):
    x = np.arange(n) - (n - 1) / 2
    h = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma ** 2))
    h[h < np.finfo(float).eps * h.max()] = 0
    return h / h.sum()


def _vifp(ref, dist):
    sigma_nsq, eps = 2.0, 1e-10
    num = den = 0.0
    for s in range(1, 5):
        n = 2 ** (5 - s) + 1
        win = _gauss2d(n, n / 5.0)
        if s > 1:
            ref = convolve2d(ref, np.rot90(win, 2), mode="valid")[::2, ::2]
            dist = convolve2d(dist, np.rot90(win, 2), mode="valid")[::2, ::2]
        mu1 = convolve2d(ref, np.rot90(win, 2), mode="valid")
        mu2 = convolve2d(dist, np.rot90(win, 2), mode="valid")
        s1 = np.maximum(convolve2d(ref * ref, np.rot90(win, 2), mode="valid") - mu1 ** 2, 0)
        s2 = np.maximum(convolve2d(dist * dist, np.rot90(win, 2), mode="valid") - mu2 ** 2, 0)
        s12 = convolve2d(ref * dist, np.rot90(win, 2), mode="valid") - mu1 * mu2
        g = s12 / (s1 + eps)
        sv = s2 - g * s12
        m = s1 < eps
        g[m], sv[m], s1[m] = 0, s2[m], 0
        m = s2 < eps
        g[m], sv[m] = 0, 0
        m = g < 0
        sv[m], g[m] = s2[m], 0
        sv[sv <= eps] = eps
        num += np.sum(np.log10(1 + g ** 2 * s1 / (sv + sigma_nsq)))
        den += np.sum(np.log10(1 + s1 / sigma_nsq))
    v = num / den
    return 1.0 if np.isnan(v) else float(v)


def vif(F, A, B):
    return _vifp(A, F) + _vifp(B, F)


def _edges(X):
    h1 = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], float)
    h3 = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float)
    sx = convolve2d(X, h3, mode="same")
    sy = convolve2d(X, h1, mode="same")
    g = np.sqrt(sx ** 2 + sy ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(sx == 0, np.pi / 2, np.arctan(sy / sx))
    return g, a


def _q(gX, aX, gF, aF):
    with np.errstate(divide="ignore", invalid="ignore"):
        G = np.where(gX > gF, gF / gX, np.where(gX == gF, gF, gX / gF))
    Aa = 1 - np.abs(aX - aF) / (np.pi / 2)
    return 0.9994 / (1 + np.exp(-15 * (G - 0.5))) * 0.9879 / (1 + np.exp(-22 * (Aa - 0.8)))


def qabf(F, A, B):
    gA, aA = _edges(A)
    gB, aB = _edges(B)
    gF, aF = _edges(F)
    return float(np.sum(_q(gA, aA, gF, aF) * gA + _q(gB, aB, gF, aF) * gB) / np.sum(gA + gB))


def _ssim(x, y, data_range=2.0):
    x, y = x.astype(np.float32), y.astype(np.float32)
    U = lambda z: ndimage.uniform_filter(z, size=7)
    cov = 49 / 48
    ux, uy = U(x), U(y)
    vx, vy, vxy = cov * (U(x * x) - ux * ux), cov * (U(y * y) - uy * uy), cov * (U(x * y) - ux * uy)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    S = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux ** 2 + uy ** 2 + c1) * (vx + vy + c2))
    return float(S[3:-3, 3:-3].mean())


def ssim(F, A, B):
    return _ssim(F, A) + _ssim(F, B)


KERNELS = {"EN": en, "SD": sd, "SF": sf, "AG": ag, "MI": mi, "CC": cc, "SCD": scd, "VIF": vif,
           "Qabf": qabf, "SSIM": ssim}


class NaiveScipyBackend:
    """The baseline as a backend (cddfuse options only)."""

    name = "naive-scipy"

    def score(self, F, A, B, metrics, opts=None) -> dict:
        return {m: KERNELS[m](F, A, B) for m in metrics}
