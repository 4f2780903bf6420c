"""Numba CPU backend: every metric of every profile, with shared work and a source cache.

Within one (F, A, B) triple the shared intermediates are computed once: levels/histograms
(EN, MI, CE), means and centred sums (SD, CC, SCD), Sobel magnitudes/angles (Qabf), the vifp
pyramid (VIF) and the SSIM statistics. Everything that depends on a source plane alone is kept
in a :class:`~fusionbench.backends.cache.SourceCache`, so scoring a second fused image against
the same pair only computes the fused-image and cross terms.

The metrics with a Numba kernel (MSE, PSNR, RMSE, VIFF, Nabf, Qcb, Qcv, Qy, Qc, Qw, Qe, NMI, Q_TE,
Q_NCIE, FMI_pixel, FMI_dct, FMI_w in ``numba_extra``; Qcb and Qcv take their FFTs from ``numpy.fft``,
FMI_dct its DCT from ``scipy.fft`` and FMI_w its wavelet sub-bands from the reference, Numba has none) are those
whose registration
(``fusionbench.metrics.registry``) names ``numba``; they agree with the reference within the
registered budget (tests/test_backends_parity.py, test_backends_fullsize.py,
test_backends_numba_extra.py). Any other registered metric is scored by its reference kernel with
a ``ReferenceFallbackWarning`` (``FALLBACK_METRICS``).
"""

from __future__ import annotations

import math

import numpy as np

from fusionbench.backends import _nb_edges as E
from fusionbench.backends import _nb_ssim as S
from fusionbench.backends import _nb_stats as T
from fusionbench.backends import _nb_vif as V
from fusionbench.backends import check_kernels, reference_fallback
from fusionbench.backends._heap import keep_freed_memory
from fusionbench.backends.cache import SourceCache, nbytes
from fusionbench.backends.numba_extra import EXTRA_COST, EXTRA_KERNELS
from fusionbench.metrics.reference.vif import FULL_PYRAMID, valid_mode
from fusionbench.metrics.reference.vif import vif as ref_vif


def _log_base(opts):
    return 1.0 if opts["mi_base"] == "e" else math.log(2.0)


class _Triple:
    """Lazily computed intermediates of one scoring call (fused items local, source items cached)."""

    def __init__(self, F, A, B, opts, cache: SourceCache):
        self.F, self.A, self.B, self.opts, self.cache = F, A, B, opts, cache
        self.ea, self.eb = cache.entry(A), cache.entry(B)
        self.f = {}

    def src(self, which, item, make):
        x = self.A if which == "A" else self.B
        entry = self.ea if which == "A" else self.eb
        return self.cache.get(entry, item, lambda: make(x))

    def fused(self, item, make):
        if item not in self.f:
            self.f[item] = make(self.F)
        return self.f[item]

    def trim(self) -> None:
        """Drop the fused image's items heavier than 1 byte per pixel (full-size float maps, each
        used by one metric); the levels, histograms and sums several metrics share stay."""
        for item in [k for k, v in self.f.items() if nbytes(v) > self.F.size]:
            del self.f[item]

    def both(self, item, make):
        return self.src("A", item, make), self.src("B", item, make), self.fused(item, make)


# --- histogram metrics -----------------------------------------------------------------------

def _levels(x):
    return T.levels_u8(np.ascontiguousarray(x))


def _en(t):
    lv = t.fused("lv", _levels)
    h = t.fused("hist", lambda F: T.hist256(lv))
    return T.entropy_counts(h, lv.size, math.log(2.0))


def _mi(t):
    o = t.opts
    conv = (lambda x: T.minmax_levels_u8(np.ascontiguousarray(x))) if o["mi_minmax"] else _levels
    tag = "lv_mm" if o["mi_minmax"] else "lv"
    la, lb, lf = t.both(tag, conv)
    base = _log_base(o)
    sat = bool(o["mi_joint_u8_saturation"])
    n = lf.size

    def H(lv, which):
        key = ("H", tag, base)
        if which == "F":
            return t.fused(key, lambda F: T.entropy_counts(T.hist256(lv), n, base))
        return t.src(which, key, lambda x: T.entropy_counts(T.hist256(lv), n, base))

    hf = H(lf, "F")
    ia = hf + H(la, "A") - T.joint_entropy(lf, la, sat, base)
    ib = hf + H(lb, "B") - T.joint_entropy(lf, lb, sat, base)
    return ia + ib


def _ce(t):
    ha, hb, hf = t.both("hist", lambda x: T.hist256(_levels(x)))
    n = t.F.size
    return (T.kl_common(hb, hf, n) + T.kl_common(ha, hf, n)) / 2.0


# --- moments ---------------------------------------------------------------------------------

def _mean(x):
    return float(np.mean(x))


def _sd(t):
    mu = t.fused("mean", _mean)
    if t.opts["sd_mode"] == "tang_u8_saturate":
        return T.sd_tang(t.F, mu)
    return math.sqrt(T.centred_ss(t.F, mu) / t.F.size)


def _corr_sums(t):
    def make(F):
        ma, mb, mf = t.both("mean", _mean)
        return T.corr_sums(F, t.A, t.B, mf, ma, mb, T.diff_mean(F, t.B), T.diff_mean(F, t.A))
    return t.fused("corr", make)


def _cc(t):
    saf, sff, sbf = _corr_sums(t)[:3]
    ssa, ssb, _ = t.both("css", lambda x: T.centred_ss(x, _mean(x)))
    with np.errstate(invalid="ignore", divide="ignore"):
        ra = np.float64(saf) / np.sqrt(ssa * sff)
        rb = np.float64(sbf) / np.sqrt(ssb * sff)
    return float((ra + rb) / 2.0)


def _scd(t):
    s1, s2, s3, s4 = _corr_sums(t)[3:]
    ssa, ssb, _ = t.both("css", lambda x: T.centred_ss(x, _mean(x)))
    with np.errstate(invalid="ignore", divide="ignore"):
        r1 = np.float64(s1) / np.sqrt(s2 * ssa)
        r2 = np.float64(s3) / np.sqrt(s4 * ssb)
    return float(r1 + r2)


# --- gradients -------------------------------------------------------------------------------

def _sf(t):
    o = t.opts
    F = np.ascontiguousarray(t.F)
    M, N = F.shape
    rs, cs = T.sf_sums(F, 255.0 if o["sf_scale"] == 1 else 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if o["sf_norm"] == "MN":
            rf2, cf2 = rs / (M * N), cs / (M * N)
        else:
            rf2 = rs / (M * (N - 1)) if N > 1 else 0.0
            cf2 = cs / ((M - 1) * N) if M > 1 else 0.0
    return float(np.sqrt(rf2 + cf2))


def _ag(t):
    F = np.ascontiguousarray(t.F)
    M, N = F.shape
    s = T.ag_sum(F, bool(t.opts["ag_half"]))
    D = M * N if t.opts["ag_norm"] == "MN" else (M - 1) * (N - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.float64(s) / D)


def _ei(t):
    return T_ei(t.F)


def T_ei(F):
    return E.ei_sum(np.ascontiguousarray(F), E.SOBEL_MATLAB) / F.size


def _qabf(t):
    o = t.opts
    div = 255.0 if o["qabf_scale"] == 1 else 1.0
    cm = o["qabf_conv_order"] == "matlab_colmajor"
    (gA, aA), (gB, aB), (gF, aF) = t.both(
        ("qabf", div, cm), lambda x: E.qabf_edges(x, div, cm))
    num, den = E.qabf_sums(gA, aA, gB, aB, gF, aF, o["qabf_equal_g"] == "one")
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.float64(num) / den)


# --- VIF and SSIM ----------------------------------------------------------------------------

def _vif(t):
    o = t.opts
    if min(t.F.shape) < FULL_PYRAMID and valid_mode(o) == "scipy":  # scipy's small-image semantics
        return ref_vif(t.F, t.A, t.B, o)
    sat = bool(o["vif_u8_saturation"])
    pa = t.src("A", ("vif", sat), lambda x: V.Pyramid(x, sat))
    pb = t.src("B", ("vif", sat), lambda x: V.Pyramid(x, sat))
    fp = t.fused("vif_planes", V.pyramid_planes)
    vals = list(V.vif_pair(pa, pb, fp, sat))
    if o["vif_nan"] == "one":
        vals = [1.0 if math.isnan(v) else v for v in vals]
    return vals[0] + vals[1] if o["vif_combine"] == "sum" else (vals[0] + vals[1]) / 2


def _ssim(t):
    o = t.opts
    impl, L = o["ssim_impl"], float(o["ssim_data_range"])
    if impl == "skimage019":
        f32 = bool(o["ssim_float32"])
        if min(t.F.shape) < 7:
            sa = sb = float("nan")
        else:
            (ua, uaa), (ub, ubb), (uf, uff) = t.both(
                ("box7", f32), lambda x: (S.box7(x, x, 0, f32), S.box7(x, x, 1, f32)))
            uaf = S.box7(t.F, t.A, 2, f32)
            ubf = S.box7(t.F, t.B, 2, f32)
            n = uf.size
            sa = S.ssim_skimage_sum(uf, uff, ua, uaa, uaf, L, f32) / n
            sb = S.ssim_skimage_sum(uf, uff, ub, ubb, ubf, L, f32) / n
    else:
        from fusionbench.metrics.reference.filters import gaussian_1d
        g = gaussian_1d(11, 1.5)
        pad = impl == "matlab_builtin"

        def prep(x):
            x = np.pad(x, 5, mode="edge") if pad else np.ascontiguousarray(x, dtype=np.float64)
            return (x,) + S.gauss_moments(x, g)

        (xa, ma, va), (xb, mb, vb) = t.src("A", ("gss", pad), prep), t.src("B", ("gss", pad), prep)
        xf = t.fused(("gss_plane", pad), lambda F: prep(F)[0])
        sa, sb, n = S.gauss_pair_sums(xa, xb, xf, ma, va, mb, vb, g, L)
        sa, sb = (sa / n, sb / n) if n else (float("nan"), float("nan"))
    s = sa + sb
    return float(s if o["ssim_combine"] == "sum" else s / 2.0)


_KERNELS = {
    "EN": _en, "SD": _sd, "SF": _sf, "AG": _ag, "MI": _mi, "CC": _cc, "SCD": _scd, "VIF": _vif,
    "Qabf": _qabf, "SSIM": _ssim, "CE": _ce, "EI": _ei,
}
_KERNELS.update(EXTRA_KERNELS)
NUMBA_METRICS = tuple(_KERNELS)
FALLBACK_METRICS = check_kernels("numba", _KERNELS)  # registered metrics scored by the reference


# rough single-core cost of each kernel at 480x640 (ms, first method): balances the threads
_COST = {"VIF": 11.0, "Qabf": 6.0, "SSIM": 4.5, "MI": 1.7, "AG": 1.0, "CC": 0.9, "SCD": 0.9,
         "EN": 0.4, "SD": 0.3, "SF": 0.3} | EXTRA_COST


class NumbaBackend:
    """Numba backend; ``score`` has the :class:`NumpyBackend` signature.

    Parameters
    ----------
    cache_size : int
        Number of source planes whose intermediates are kept (see ``SourceCache``).
    threads : int
        Metrics scored concurrently for one triple (the kernels release the GIL). 1 (default)
        keeps one core per process, as the evaluation runner wants (it parallelises over pairs);
        2-4 pays off for interactive scoring of single large pairs.
    """

    name = "numba"

    def __init__(self, cache_size: int = 8, threads: int = 1):
        self.cache = SourceCache(cache_size)
        self.threads = max(1, int(threads))
        self._pool = None
        keep_freed_memory()

    def _one(self, t, m):
        fn = _KERNELS.get(m)
        if fn is None:
            return float(reference_fallback(self.name, m)(t.F, t.A, t.B, t.opts))
        return float(fn(t))

    def score(self, F, A, B, metrics, opts) -> dict:
        F, A, B = (np.ascontiguousarray(x, dtype=np.float64) for x in (F, A, B))
        t = _Triple(F, A, B, opts, self.cache)
        metrics = list(metrics)
        if self.threads == 1 or len(metrics) < 2:
            out = {}
            for m in metrics:
                out[m] = self._one(t, m)
                t.trim()  # one metric's full-size maps at a time
            return out
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="fusionbench-numba")
        # greedy longest-first split into `threads` groups of similar cost
        groups = [[] for _ in range(self.threads)]
        load = [0.0] * self.threads
        for m in sorted(metrics, key=lambda m: -_COST.get(m, 2.0)):
            k = load.index(min(load))
            groups[k].append(m)
            load[k] += _COST.get(m, 2.0)
        futures = [self._pool.submit(lambda g=g: {m: self._one(t, m) for m in g}) for g in groups if g]
        out = {}
        for f in futures:
            out.update(f.result())
        return {m: out[m] for m in metrics}
