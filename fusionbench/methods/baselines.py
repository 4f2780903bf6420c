"""Classical fusion baselines in NumPy/SciPy (inputs and outputs: float32 luminance in [0, 1])."""

from __future__ import annotations

import numpy as np

from fusionbench.methods.base import Method

_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


def _as64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def _out(x):
    return np.clip(x, 0.0, 1.0).astype(np.float32)


class Average(Method):
    """Pixel-wise mean of the two sources."""

    name = "average"

    def fuse(self, ir_y, vi_y):
        a, b = _as64(ir_y, vi_y)
        return _out(0.5 * (a + b))


class MaxAbs(Method):
    """Choose-max: the source with the larger absolute value at each pixel (= max for intensities)."""

    name = "max"

    def fuse(self, ir_y, vi_y):
        a, b = _as64(ir_y, vi_y)
        return _out(np.where(np.abs(a) >= np.abs(b), a, b))


def _blur(x):
    from scipy import ndimage  # here, not at import: a network's `fusionbench fuse` never loads SciPy
    x = ndimage.convolve1d(x, _BINOMIAL, axis=0, mode="reflect")
    return ndimage.convolve1d(x, _BINOMIAL, axis=1, mode="reflect")


def _reduce(x):
    return _blur(x)[::2, ::2]


def _expand(x, shape):
    up = np.zeros(shape)
    up[::2, ::2] = x
    return 4.0 * _blur(up)


def laplacian_pyramid(x, levels: int) -> list:
    """Burt-Adelson Laplacian pyramid (5-tap binomial kernel); the last entry is the residual."""
    pyr = []
    for _ in range(levels):
        if min(x.shape) < 8:
            break
        low = _reduce(x)
        pyr.append(x - _expand(low, x.shape))
        x = low
    pyr.append(x)
    return pyr


def reconstruct(pyr: list):
    x = pyr[-1]
    for detail in reversed(pyr[:-1]):
        x = detail + _expand(x, detail.shape)
    return x


class LaplacianPyramid(Method):
    """Laplacian-pyramid fusion: max-abs detail selection, averaged residual.

    P. J. Burt and E. H. Adelson, "The Laplacian pyramid as a compact image code", IEEE Trans.
    Commun. 31(4), 1983; fusion rule as in A. Toet, Pattern Recognit. Lett. 9(4), 1989.
    """

    name = "laplacian"

    def __init__(self, *, levels: int = 4):
        self.levels = levels

    def fuse(self, ir_y, vi_y):
        a, b = _as64(ir_y, vi_y)
        pa, pb = laplacian_pyramid(a, self.levels), laplacian_pyramid(b, self.levels)
        fused = [np.where(np.abs(x) >= np.abs(y), x, y) for x, y in zip(pa[:-1], pb[:-1])]
        fused.append(0.5 * (pa[-1] + pb[-1]))
        return _out(reconstruct(fused))


def guided_filter(guide, src, radius: int, eps: float):
    """K. He, J. Sun, X. Tang, "Guided image filtering", ECCV 2010 (gray guide, box windows)."""
    from scipy import ndimage
    size = 2 * radius + 1

    def box(x):
        return ndimage.uniform_filter(x, size=size, mode="reflect")

    mean_i, mean_p = box(guide), box(src)
    cov_ip = box(guide * src) - mean_i * mean_p
    var_i = box(guide * guide) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box(a) * guide + box(b)


class GuidedFilterFusion(Method):
    """GFF: two-scale fusion with guided-filter-refined weight maps.

    S. Li, X. Kang, J. Hu, "Image fusion with guided filtering", IEEE TIP 22(7), 2013.
    Defaults are the paper's: 31x31 mean filter, Gaussian r=5, sigma=5 for saliency,
    (r1, eps1) = (45, 0.3) for the base and (r2, eps2) = (7, 1e-6) for the detail layer.
    """

    name = "gff"

    def __init__(self, *, r1=45, eps1=0.3, r2=7, eps2=1e-6, mean_size=31, sigma=5.0, r_g=5):
        self.r1, self.eps1, self.r2, self.eps2 = r1, eps1, r2, eps2
        self.mean_size, self.sigma, self.r_g = mean_size, sigma, r_g

    def fuse(self, ir_y, vi_y):
        from scipy import ndimage
        srcs = _as64(ir_y, vi_y)
        bases = [ndimage.uniform_filter(s, size=self.mean_size, mode="reflect") for s in srcs]
        details = [s - bl for s, bl in zip(srcs, bases)]
        sal = [ndimage.gaussian_filter(np.abs(ndimage.laplace(s, mode="reflect")), self.sigma,
                                       mode="reflect", truncate=self.r_g / self.sigma) for s in srcs]
        choose = np.argmax(np.stack(sal), axis=0)
        masks = [(choose == k).astype(np.float64) for k in range(len(srcs))]
        wb = [guided_filter(s, m, self.r1, self.eps1) for s, m in zip(srcs, masks)]
        wd = [guided_filter(s, m, self.r2, self.eps2) for s, m in zip(srcs, masks)]

        def norm(ws):
            ws = [np.clip(w, 0.0, None) for w in ws]
            total = sum(ws)
            total = np.where(total > 1e-12, total, 1.0)
            return [w / total for w in ws]

        wb, wd = norm(wb), norm(wd)
        fused = sum(w * bl for w, bl in zip(wb, bases)) + sum(w * d for w, d in zip(wd, details))
        return _out(fused)


BASELINES = {
    "average": Average,
    "max": MaxAbs,
    "laplacian": LaplacianPyramid,
    "gff": GuidedFilterFusion,
}
ALIASES = {"mean": "average", "avg": "average", "maxabs": "max", "max-abs": "max", "lp": "laplacian",
           "guided": "gff"}
