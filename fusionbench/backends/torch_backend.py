"""Batched torch backend (CPU or CUDA), float64 parity mode or float32 fast mode.

``score_batch(Fs, As, Bs, metrics, opts)`` scores N same-size triples at once ((N, H, W)
arrays or tensors) and returns ``{metric: ndarray (N,)}``; ``score`` is the one-triple form
with the :class:`NumpyBackend` signature. Every metric of every profile runs batched on the
tensors' device. Source intermediates (histograms, moments, Sobel edges, vifp pyramid
statistics, SSIM statistics, CSF-filtered contrast maps, Nabf edges) are cached per source
batch (content checksum + shape), so scoring a second method's batch against the same sources
is cheaper.

Precision: in float64 every metric agrees with the NumPy reference within its registered budget
(``fusionbench.metrics.REGISTRY[m].fast["torch"]``; the skimage-0.19 SSIM reproduces its float32
steps). In float32 the budgets ``fast["torch-fp32"]`` (``FP32_RTOL``) apply
(tests/test_backends_parity.py); VIFF and Nabf, whose per-pixel branches float32 would flip, and
Qy, Qc, Qw, Qe, NMI, Q_TE, Q_NCIE (exact zeros and ties; ``_torch_piella``) always run in float64 on
the float64 inputs. A registered metric without a torch kernel is scored per
triple by its reference kernel, with a ``ReferenceFallbackWarning``.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import torch

from fusionbench.backends import _torch_extra as X
from fusionbench.backends import _torch_kernels as K
from fusionbench.backends import _torch_mef as MEF
from fusionbench.backends import _torch_phase as PH
from fusionbench.backends import _torch_piella as P
from fusionbench.backends import check_kernels, reference_fallback
from fusionbench.backends._heap import keep_freed_memory
from fusionbench.errors import InputError
from fusionbench.metrics.reference.vif import FULL_PYRAMID, valid_mode
from fusionbench.metrics.reference.vif import vif as ref_vif
from fusionbench.metrics.registry import REGISTRY, get_metric

# float32 fast mode: relative tolerance per metric against the float64 reference (tested on
# real crops). Measured maxima on the full 480x640 MSRS pair (average and max fusion; cddfuse,
# tang2023, vifb): EN 8.5e-8, SD 3.9e-8, SF 3.6e-8, AG 1.2e-7, MI 1.3e-15, CC 3.8e-8,
# SCD 1.3e-7, VIF 1.7e-5, Qabf 2.3e-7, SSIM 6.1e-6, MSE 1.0e-7, PSNR 5.3e-8, RMSE 4.6e-8,
# CE 2e-16, EI 7.4e-8. Histogram metrics are exact (integer levels, float64 entropies).
# Qcb / Qcv (normalize1 on the float64 inputs, FFT and filters in float32), max over the test
# crops, full TNO 01 / VIFB carLight / MSRS 00537D triples (all profiles), 15 TNO and 18 VIFB
# full-size triples and the MSRS and four LLVIP pairs (average and max fusion): Qcb 2.2e-5
# (MSRS 00537D, where x*G4 crosses zero; elsewhere <= 1e-6), Qcv 3.1e-7. VIFF and Nabf run in
# float64 on the float64 inputs (<= 6e-16). So do Qy, Qc, Qw, Qe, NMI, Q_TE, Q_NCIE (<= 2.3e-15 on the
# test crops, flat-window and degenerate cases; tests/test_backends_torch_piella.py).
# The budgets are registered per metric (fusionbench/metrics/registry.py, fast["torch-fp32"]).
FP32_RTOL = {name: m.fast["torch-fp32"] for name, m in REGISTRY.items() if "torch-fp32" in m.fast}
# Qabf in float32 is discontinuous where the reference is: tang2022's [0,1] data (the sign of
# Sx ~ 1e-17 flips alpha) and non-integer planes (the gX == gF quirk) agree only to ~1e-2;
# on integer-valued planes at the 0..255 scale FP32_RTOL["Qabf"] applies.
FP32_RTOL_TANG2022_QABF = 1e-2


def parse_device(device):
    """``None``/'cuda'/'cpu'/'cuda:1', optionally suffixed ':fp32' -> (device, dtype)."""
    dtype = torch.float64
    if device is None:
        dev = "cuda" if torch.cuda.is_available() else "cpu"
    else:
        dev = str(device)
        if dev.endswith((":fp32", "-fp32")):
            dev, dtype = dev[:-5], torch.float32
    if dev.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("device", f"{dev!r} requested but CUDA is not available")
    return dev, dtype


class _Batch:
    def __init__(self, be, F, A, B, opts, raw):
        self.be, self.F, self.A, self.B, self.opts = be, F, A, B, opts
        self.ea, self.eb = be._entry(A), be._entry(B)
        self.f = {}
        self.npix = F.shape[1] * F.shape[2]
        self.raw, self.x64 = dict(zip("FAB", raw)), {}

    def src(self, which, item, make):
        e, x = (self.ea, self.A) if which == "A" else (self.eb, self.B)
        if item not in e:
            e[item] = make(x)
        return e[item]

    def fused(self, item, make):
        if item not in self.f:
            self.f[item] = make(self.F)
        return self.f[item]

    def both(self, item, make):
        return self.src("A", item, make), self.src("B", item, make), self.fused(item, make)

    def get(self, which, item, make):
        return self.fused(item, make) if which == "F" else self.src(which, item, make)

    def exact(self, which, item, make):
        """``src``/``fused`` on the float64 input planes, which fast mode would round to float32;
        the cache entry is keyed by the float64 content (the float32 one for integer planes)."""
        if self.F.dtype == torch.float64:
            return self.get(which, item, make)
        if which not in self.x64:
            x = self.be._tensor(self.raw[which], torch.float64)
            self.x64[which] = x, (self.f if which == "F" else self.be._entry(x))
        x, e = self.x64[which]
        key = ("f64", item)
        if key not in e:
            e[key] = make(x)
        return e[key]

    def both_exact(self, item, make):
        return tuple(self.exact(w, item, make) for w in "ABF")

    def pair_key(self):
        """Content key of the float64 B planes, for items of A that depend on the pair."""
        b = self.exact("B", "x64", lambda x: x)
        return tuple(b.shape), self.be._checksum(b)


class TorchBackend:
    """Torch backend. ``device``: 'cpu' or 'cuda[:i]'; ``dtype``: torch.float64 or float32."""

    def __init__(self, device="cpu", dtype=torch.float64, cache_size: int = 8):
        self.device = torch.device(device)
        self.dtype = dtype
        self.name = "torch" if dtype == torch.float64 else "torch-fp32"
        self._cache: OrderedDict = OrderedDict()
        self.cache_size = cache_size
        self._w = {}
        if self.device.type == "cpu":
            keep_freed_memory()

    # -- cache keyed by content -------------------------------------------------------------
    def _entry(self, x):
        key = (tuple(x.shape), self._checksum(x))
        e = self._cache.get(key)
        if e is None:
            e = self._cache[key] = {}
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return e

    def _checksum(self, x):
        n = x[0].numel()
        if n not in self._w:
            gen = torch.Generator().manual_seed(n)
            self._w[n] = torch.rand(n, generator=gen, dtype=torch.float64).to(self.device)
        flat = x.reshape(x.shape[0], -1).to(torch.float64)
        return tuple(torch.cat([flat @ self._w[n], flat.sum(1)]).tolist())

    def clear_cache(self):
        self._cache.clear()

    # -- public API ---------------------------------------------------------------------------
    def _tensor(self, x, dtype=None):
        t = torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x)
        t = t.to(device=self.device, dtype=dtype or self.dtype)
        if t.ndim == 2:
            t = t[None]
        if t.ndim != 3:
            raise InputError("batch", f"expected (N, H, W), got shape {tuple(t.shape)}")
        return t.contiguous()

    def score(self, F, A, B, metrics, opts) -> dict:
        out = self.score_batch(F, A, B, metrics, opts)
        return {m: float(v[0]) for m, v in out.items()}

    @torch.no_grad()
    def score_batch(self, Fs, As, Bs, metrics, opts) -> dict:
        """Score N same-size triples; returns ``{metric: ndarray of shape (N,)}``."""
        F, A, B = self._tensor(Fs), self._tensor(As), self._tensor(Bs)
        if not (F.shape == A.shape == B.shape):
            raise InputError("batch", f"shapes differ: {tuple(F.shape)}, {tuple(A.shape)}, {tuple(B.shape)}")
        t = _Batch(self, F, A, B, opts, (Fs, As, Bs))
        out = {}
        for m in metrics:
            fn = _METRICS.get(m)
            if fn is None:
                get_metric(m)  # unknown name: UnknownNameError listing the registered metrics
                out[m] = self._fallback(m, (Fs, As, Bs), opts)
                continue
            out[m] = fn(t).double().cpu().numpy()
        return out

    def _fallback(self, m, raw, opts):
        ref = reference_fallback(self.name, m)
        planes = [self._tensor(x, torch.float64).cpu().numpy() for x in raw]
        return np.array([float(ref(F, A, B, opts)) for F, A, B in zip(*planes)])


# --- metrics -----------------------------------------------------------------------------------

def _lv(x):
    return K.levels(x)


def _hist(t, which):
    if which == "F":
        return t.fused("hist", lambda x: K.hist(_lv(x)))
    return t.src(which, "hist", lambda x: K.hist(_lv(x)))


def _en(t):
    return K.entropy(_hist(t, "F"), t.npix, math.log(2.0), t.F.dtype)


def _mi(t):
    o = t.opts
    mm = bool(o["mi_minmax"])
    conv = K.minmax_levels if mm else _lv
    la, lb, lf = t.both(("lv", mm), conv)
    base = 1.0 if o["mi_base"] == "e" else math.log(2.0)
    sat = bool(o["mi_joint_u8_saturation"])
    dt = torch.float64  # entropies of integer counts: float64 even in fast mode (cheap)
    ha, hb, hf = t.both(("H", mm, base), lambda x: K.entropy(K.hist(conv(x)), t.npix, base, dt))
    ja = K.entropy(K.joint_hist(lf, la, sat), t.npix, base, dt)
    jb = K.entropy(K.joint_hist(lf, lb, sat), t.npix, base, dt)
    return (hf + ha - ja) + (hf + hb - jb)


def _ce(t):
    hf = _hist(t, "F")
    dt = torch.float64
    return (K.kl_common(_hist(t, "B"), hf, t.npix, dt) + K.kl_common(_hist(t, "A"), hf, t.npix, dt)) / 2.0


def _sd(t):
    if t.opts["sd_mode"] == "tang_u8_saturate":
        return K.sd_tang(t.F)
    d = t.F - K.bmean(t.F).view(-1, 1, 1)
    return torch.sqrt(K.bmean(d * d))


def _cc(t):
    return (K.corr(t.A, t.F) + K.corr(t.B, t.F)) / 2.0


def _scd(t):
    return K.corr(t.F - t.B, t.A) + K.corr(t.F - t.A, t.B)


def _mse_val(F, A, B, scale):
    div = 1.0 if scale == 255 else 255.0
    fa, fb = F / div - A / div, F / div - B / div
    return 0.5 * K.bmean(fa * fa) + 0.5 * K.bmean(fb * fb)


def _mse(t):
    return _mse_val(t.F, t.A, t.B, t.opts["mse_scale"])


def _vifb_err(X, F):
    d = X - F
    return torch.sqrt(K.bsum(d * d)) / (F.shape[1] * F.shape[2])


def _psnr(t):
    mode = t.opts["psnr_mode"]
    if mode == "vifb":
        return 20.0 * torch.log10(255.0 / torch.sqrt((_vifb_err(t.B, t.F) + _vifb_err(t.A, t.F)) / 2.0))
    if mode == "tang":
        return 20.0 * torch.log10(255.0 / torch.sqrt(_mse_val(t.F, t.A, t.B, 1)))
    return 10.0 * torch.log10(t.F.amax(dim=(1, 2)) ** 2 / _mse_val(t.F, t.A, t.B, 255))


def _rmse(t):
    return (_vifb_err(t.B, t.F) + _vifb_err(t.A, t.F)) / 2.0


def _sf(t):
    return K.sf(t.F, t.opts["sf_norm"], t.opts["sf_scale"])


def _ag(t):
    return K.ag(t.F, t.opts["ag_norm"], bool(t.opts["ag_half"]))


def _ei(t):
    return K.ei(t.F)


def _qabf(t):
    o = t.opts
    div = 255.0 if o["qabf_scale"] == 1 else 1.0
    cm = o["qabf_conv_order"] == "matlab_colmajor"
    eq = o["qabf_equal_g"] == "one"
    (gA, aA), (gB, aB), (gF, aF) = t.both(("qabf", div, cm), lambda x: K.qabf_edges(x, div, cm))
    num = K.bsum(K.qabf_q(gA, aA, gF, aF, eq) * gA + K.qabf_q(gB, aB, gF, aF, eq) * gB)
    return num / K.bsum(gA + gB)


# --- VIF -------------------------------------------------------------------------------------

def _windows(x):
    return [K.gaussian_1d(2 ** (5 - s) + 1, (2 ** (5 - s) + 1) / 5.0, x.dtype, x.device) for s in range(1, 5)]


def _planes(x):
    """Input planes per usable scale (same stopping rules as the reference)."""
    planes, ref = [], x
    for s, g in enumerate(_windows(x)):
        n = g.numel()
        if min(ref.shape[1:]) < n:
            break
        if s > 0:
            ref = K.filter_valid(ref, g)[:, ::2, ::2].contiguous()
        if min(ref.shape[1:]) < n:
            break
        planes.append(ref)
    return planes


def _src_pyramid(x, sat):
    planes = _planes(x)
    levels = []
    for s, (ref, g) in enumerate(zip(planes, _windows(x))):
        mu = K.filter_valid(ref, g)
        rr = ref * ref
        if sat and s == 0:
            rr = rr.clamp(max=255.0)
        var = (K.filter_valid(rr, g) - mu * mu).clamp(min=0.0)
        den = K.bsum(torch.log10(1.0 + _s1_rule(var) / 2.0))
        levels.append((ref, mu, var, den))
    return levels


def _vif_maps(ref, dist, mu1, s1, mu2, s2, g, sat):
    """Per-pixel (g, sv^2, sigma1^2) of one vifp scale after the reference's eps rules."""
    rd = ref * dist
    if sat:
        rd = rd.clamp(max=255.0)
    s12 = K.filter_valid(rd, g) - mu1 * mu2
    eps = K.VIF_EPS
    gg = s12 / (s1 + eps)
    sv = s2 - gg * s12
    zero = torch.zeros_like(gg)
    m = s1 < eps
    gg = torch.where(m, zero, gg)
    sv = torch.where(m, s2, sv)
    s1 = torch.where(m, zero, s1)
    m = s2 < eps
    gg = torch.where(m, zero, gg)
    sv = torch.where(m, zero, sv)
    m = gg < 0
    sv = torch.where(m, s2, sv)
    gg = torch.where(m, zero, gg)
    sv = torch.where(sv <= eps, torch.full_like(sv, eps), sv)
    return gg, sv, s1


def _vif_num(maps, sigma_nsq):
    """Sum of log10(1 + g^2 sigma1^2 / (sv^2 + sigma_n^2)) over one scale (Sheikh & Bovik 2006)."""
    gg, sv, s1 = maps
    return K.bsum(torch.log10(1.0 + gg * gg * s1 / (sv + sigma_nsq)))


def _fused_stats(t, s, sat, exact=False):
    """(plane, mu, sigma^2) of the fused image at scale index s (distorted side of vifp)."""
    get = t.exact if exact else t.get

    def make(F):
        dist, g = get("F", "vif_planes", _planes)[s], _windows(F)[s]
        mu = K.filter_valid(dist, g)
        dd = dist * dist
        if sat:
            dd = dd.clamp(max=255.0)
        return dist, mu, (K.filter_valid(dd, g) - mu * mu).clamp(min=0.0)
    return get("F", ("vif_stats", s, sat), make)


def _vif(t):
    o = t.opts
    if min(t.F.shape[1:]) < FULL_PYRAMID and valid_mode(o) == "scipy":  # scipy's small-image semantics
        planes = [x.double().cpu().numpy() for x in (t.F, t.A, t.B)]
        return torch.tensor([ref_vif(F, A, B, o) for F, A, B in zip(*planes)], dtype=torch.float64)
    sat = bool(o["vif_u8_saturation"])
    pa = t.src("A", ("vif", sat), lambda x: _src_pyramid(x, sat))
    pb = t.src("B", ("vif", sat), lambda x: _src_pyramid(x, sat))
    gs = _windows(t.F)
    zero = torch.zeros(t.F.shape[0], dtype=t.F.dtype, device=t.F.device)
    na, nb, da, db = zero, zero, zero, zero
    for s in range(len(pa)):
        ssat = sat and s == 0
        dist, mu2, s2 = _fused_stats(t, s, ssat)
        ra, mua, va, dena = pa[s]
        rb, mub, vb, denb = pb[s]
        na = na + _vif_num(_vif_maps(ra, dist, mua, va, mu2, s2, gs[s], ssat), 2.0)
        nb = nb + _vif_num(_vif_maps(rb, dist, mub, vb, mu2, s2, gs[s], ssat), 2.0)
        da, db = da + dena, db + denb
    va, vb = na / da, nb / db  # 0/0 -> NaN for a flat reference
    if o["vif_nan"] == "one":
        va = torch.where(torch.isnan(va), torch.ones_like(va), va)
        vb = torch.where(torch.isnan(vb), torch.ones_like(vb), vb)
    return va + vb if o["vif_combine"] == "sum" else (va + vb) / 2


def _viff(t):
    """Han et al. (2013) VIFF on the vifp pyramid (METRICS.md 4.17); NaN below 4 usable scales.

    Always float64 on the float64 inputs: per pixel it picks the source with the smaller gain g,
    and float32's ~1e-3 noise in W(x^2) - mu^2 on flat regions flips that choice (4e-3 relative).
    The second scale has weight 0 and finite terms, so it adds exactly 0 and is skipped.
    """
    pa = t.exact("A", ("vif", False), lambda x: _src_pyramid(x, False))
    pb = t.exact("B", ("vif", False), lambda x: _src_pyramid(x, False))
    n = t.F.shape[0]
    if len(pa) < 4:
        return torch.full((n,), float("nan"), dtype=torch.float64, device=t.F.device)
    via = t.exact("A", "viff_vind", lambda x: [X.viff_vind(_s1_rule(lv[2])) for lv in pa])
    vib = t.exact("B", "viff_vind", lambda x: [X.viff_vind(_s1_rule(lv[2])) for lv in pb])
    gs = _windows(pa[0][0])
    total = torch.zeros(n, dtype=torch.float64, device=t.F.device)
    for s, w in enumerate(X.VIFF_WEIGHTS):
        if w == 0.0:
            continue
        dist, mu2, s2 = _fused_stats(t, s, False, exact=True)
        (ra, mua, va, _), (rb, mub, vb, _) = pa[s], pb[s]
        vid, vind = X.viff_scale(_vif_maps(ra, dist, mua, va, mu2, s2, gs[s], False),
                                 _vif_maps(rb, dist, mub, vb, mu2, s2, gs[s], False), via[s], vib[s])
        total = total + w * vid / vind
    return total


def _s1_rule(var):
    """sigma1^2 after the vifp rule 'below 1e-10 counts as 0'."""
    return torch.where(var < K.VIF_EPS, torch.zeros_like(var), var)


# --- SSIM ------------------------------------------------------------------------------------

def _ssim(t):
    o = t.opts
    impl, L = o["ssim_impl"], float(o["ssim_data_range"])
    if impl == "skimage019":
        if min(t.F.shape[1:]) < 7:
            return torch.full((t.F.shape[0],), float("nan"), dtype=t.F.dtype, device=t.F.device)
        f32 = bool(o["ssim_float32"]) and t.F.dtype == torch.float64

        def cast(x):
            return x.float().double() if f32 else x

        def stats(x):
            xc = cast(x)
            return xc, K.box7_f32(xc, f32), K.box7_f32(cast(xc * xc), f32)

        (xa, ua, uaa), (xb, ub, ubb), (xf, uf, uff) = t.both(("box7", f32), stats)
        vals = []
        for xs, us, uss in ((xa, ua, uaa), (xb, ub, ubb)):
            ufs = K.box7_f32(cast(xf * xs), f32)
            vals.append(_ssim_skimage_map(uf, uff, us, uss, ufs, L, f32).to(torch.float64).mean(dim=(1, 2)))
        sa, sb = vals
    else:
        # Gaussian SSIM: W(x^2) - mu^2 on 0..255 data cancels ~1e-3 absolute in float32, which
        # the tiny MATLAB constants (L = 1: C2 = 9e-4) cannot absorb; these statistics are
        # therefore always computed in float64 (also in fast mode).
        g = K.gaussian_1d(11, 1.5, torch.float64, t.F.device)
        pad = impl == "matlab_builtin"
        if not pad and min(t.F.shape[1:]) < 11:
            return torch.full((t.F.shape[0],), float("nan"), dtype=t.F.dtype, device=t.F.device)

        def prep(x):
            x = x.to(torch.float64)
            if pad:
                x = torch.nn.functional.pad(x[:, None], (5, 5, 5, 5), mode="replicate")[:, 0]
            mu = K.filter_valid(x, g)
            return x, mu, K.filter_valid(x * x, g) - mu * mu

        (xa, ma, va), (xb, mb, vb), (xf, mf, vf) = t.both(("gss", pad), prep)
        c1, c2 = (0.01 * L) ** 2, (0.03 * L) ** 2
        vals = []
        for xs, ms, vs in ((xa, ma, va), (xb, mb, vb)):
            cov = K.filter_valid(xf * xs, g) - mf * ms
            S = ((2 * mf * ms + c1) * (2 * cov + c2)) / ((mf * mf + ms * ms + c1) * (vf + vs + c2))
            vals.append(S.mean(dim=(1, 2)))
        sa, sb = vals
    s = sa + sb
    return s if o["ssim_combine"] == "sum" else s / 2.0


def _ssim_skimage_map(ux, uxx, uy, uyy, uxy, L, f32):
    dt = torch.float32 if f32 else ux.dtype
    ux, uxx, uy, uyy, uxy = (z.to(dt) for z in (ux, uxx, uy, uyy, uxy))
    cov = torch.tensor(49.0 / 48.0, dtype=dt)
    c1 = torch.tensor((0.01 * L) ** 2, dtype=dt)
    c2 = torch.tensor((0.03 * L) ** 2, dtype=dt)
    cov, c1, c2 = cov.to(ux.device), c1.to(ux.device), c2.to(ux.device)
    vx = cov * (uxx - ux * ux)
    vy = cov * (uyy - uy * uy)
    vxy = cov * (uxy - ux * uy)
    a1 = 2 * ux * uy + c1
    a2 = 2 * vxy + c2
    b1 = ux * ux + uy * uy + c1
    b2 = vx + vy + c2
    return (a1 * a2) / (b1 * b2)


# --- Qcb, Qcv (VIFB / Zheng Liu's toolbox) and Nabf --------------------------------------------

def _norm1(t, x):
    """Zheng Liu's ``normalize1`` on the float64 input (its rounding is discontinuous), then the
    working dtype (exact: integers 0..255)."""
    return X.normalize1(x).to(t.F.dtype)


def _norm1_unit(t, x):
    """``normalize1`` after MATLAB's im2double (x / 255), in that order (``qcb_normalize='im2double'``)."""
    u = x / 255.0
    lo, hi = u.amin(dim=(1, 2), keepdim=True), u.amax(dim=(1, 2), keepdim=True)
    y = X.round_away((u - lo) / (hi - lo) * 255.0)
    return torch.where((lo == 0) & (hi == 0), u, y).to(t.F.dtype)


def _qcb(t):
    """Chen & Blum (2009) Q_CB; masked-contrast maps of the sources are cached."""
    unit = t.opts["qcb_normalize"] == "im2double"
    norm = _norm1_unit if unit else _norm1
    cA, cB, cF = t.both_exact(("qcb_contrast", unit), lambda x: X.masked_contrast(norm(t, x)))
    return X.qcb_combine(cA, cB, cF)


def _qcv(t):
    """Chen & Varshney (2007) Q_CV (lower is better); normalised sources and saliency cached."""
    def src(x):
        nx = _norm1(t, x)
        return nx, X.qcv_saliency(nx)

    (na, la), (nb, lb) = t.exact("A", "qcv", src), t.exact("B", "qcv", src)
    fu = t.exact("F", "norm1", lambda x: _norm1(t, x))
    da, db = X.qcv_distortion(na, fu), X.qcv_distortion(nb, fu)
    return K.bsum(la * da + lb * db) / K.bsum(la + lb)


def _nabf(t):
    """Fusion artefacts N^{AB/F}; ``nabf_variant`` as in reference/edges.py (METRICS.md 4.18).

    Always float64 on the float64 inputs: its branches (gF > gA, atan2 of a signed zero,
    atan(gv/gh) for gh ~ 0) are decided by sub-ulp differences on [0,1] or non-integer planes,
    which float32 moves by up to 4e-2 relative.
    """
    v = t.opts["nabf_variant"]
    if v == "smfnet":
        eA, eB, eF = t.both_exact("nabf_smfnet", X.nabf_edges_smfnet)
        return X.nabf_ratio(eF, eA, eB, False)
    div = 255.0 if v == "tang_v1" else 1.0
    eA, eB, eF = t.both_exact(("nabf_tang", div), lambda x: X.nabf_edges_tang(x / div))
    if v == "tang_v1":
        return X.nabf_ratio(eF, eA, eB, True)
    return X.nabf_ratio(eA, eB, eF, True)  # tang2023's argument-order bug: IR plays the fused image


_METRICS = {
    "EN": _en, "SD": _sd, "SF": _sf, "AG": _ag, "MI": _mi, "CC": _cc, "SCD": _scd, "VIF": _vif,
    "Qabf": _qabf, "SSIM": _ssim, "MSE": _mse, "PSNR": _psnr, "RMSE": _rmse, "CE": _ce, "EI": _ei,
    "Qcb": _qcb, "Qcv": _qcv, "VIFF": _viff, "Nabf": _nabf,
    # SSIM-window (Qy, Qc, Qw, Qe) and joint-histogram (NMI, Q_TE, Q_NCIE) metrics, always float64
    **P.KERNELS,
    **MEF.KERNELS,  # MEF-SSIM, MS-SSIM, always float64
    **PH.KERNELS,  # Qp, always float64
}
TORCH_METRICS = tuple(_METRICS)
FALLBACK_METRICS = check_kernels("torch", _METRICS)  # registered metrics scored by the reference
check_kernels("torch-fp32", _METRICS)
