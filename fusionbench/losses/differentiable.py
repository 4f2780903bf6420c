"""Differentiable SD, SF, AG, CC, SCD and SSIM on batches of gray tensors (see :mod:`fusionbench.losses`)."""

from __future__ import annotations

import math

from fusionbench.errors import InputError


def _opts(profile, options):
    from fusionbench.metrics.profiles import get_profile
    return get_profile(profile, **options).options


def _batch(x, name, input_range):
    import torch
    if not torch.is_tensor(x):
        raise InputError(name, f"expected a torch tensor, got {type(x).__name__}")
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise InputError(name, f"expected a gray batch (N, H, W) or (N, 1, H, W), got shape {tuple(x.shape)}")
    if not torch.is_floating_point(x):
        x = x.to(torch.float64)
    if input_range == "unit":
        return x * 255.0
    if input_range != "byte":
        raise InputError("input_range", f"must be 'unit' or 'byte', got {input_range!r}")
    return x


def _safe_sqrt(s):
    """sqrt with a zero (not infinite) gradient at 0: values equal ``sqrt(s)`` for s >= 0."""
    import torch
    pos = s > 0
    return torch.where(pos, torch.sqrt(torch.where(pos, s, torch.ones_like(s))), torch.zeros_like(s))


def sd(fused, *, input_range="unit", profile="cddfuse", **options):
    """Standard deviation of the fused image (population, ``sd_mode='population'``), shape (N,).

    The tang2022 uint8-saturated SD is a step function of the pixels and is refused.
    """
    if _opts(profile, options)["sd_mode"] != "population":
        raise InputError("sd", "only sd_mode='population' is differentiable (tang2022's uint8 SD is not)")
    F = _batch(fused, "fused", input_range)
    d = F - F.mean(dim=(1, 2), keepdim=True)
    return _safe_sqrt((d * d).mean(dim=(1, 2)))


def sf(fused, *, input_range="unit", profile="cddfuse", **options):
    """Spatial frequency sqrt(RF^2 + CF^2) (Eskicioglu & Fisher 1995) with the profile's ``sf_norm`` and
    ``sf_scale``, shape (N,)."""
    o = _opts(profile, options)
    F = _batch(fused, "fused", input_range)
    X = F / 255.0 if o["sf_scale"] == 1 else F
    dr, dc = X[:, :, 1:] - X[:, :, :-1], X[:, 1:, :] - X[:, :-1, :]
    if o["sf_norm"] == "MN":
        n = X.shape[1] * X.shape[2]
        rf2, cf2 = (dr * dr).sum(dim=(1, 2)) / n, (dc * dc).sum(dim=(1, 2)) / n
    else:
        rf2 = (dr * dr).mean(dim=(1, 2)) if dr.numel() else X.new_zeros(X.shape[0])
        cf2 = (dc * dc).mean(dim=(1, 2)) if dc.numel() else X.new_zeros(X.shape[0])
    return _safe_sqrt(rf2 + cf2)


def _gradient(X, dim):
    """NumPy/MATLAB ``gradient`` along ``dim``: central inside, one-sided at the borders."""
    import torch
    n = X.shape[dim]
    if n < 2:
        return torch.zeros_like(X)
    first = X.narrow(dim, 1, 1) - X.narrow(dim, 0, 1)
    last = X.narrow(dim, n - 1, 1) - X.narrow(dim, n - 2, 1)
    if n == 2:
        return torch.cat([first, last], dim)
    mid = (X.narrow(dim, 2, n - 2) - X.narrow(dim, 0, n - 2)) / 2.0
    return torch.cat([first, mid, last], dim)


def ag(fused, *, input_range="unit", profile="cddfuse", **options):
    """Average gradient sum sqrt((gx^2 + gy^2) / 2) / D (Cui et al. 2015) with the profile's ``ag_norm``
    and ``ag_half``, shape (N,)."""
    o = _opts(profile, options)
    F = _batch(fused, "fused", input_range)
    gx, gy = _gradient(F, 2), _gradient(F, 1)
    s = gx * gx + gy * gy
    if o["ag_half"]:
        s = s / 2.0
    M, N = F.shape[1], F.shape[2]
    D = M * N if o["ag_norm"] == "MN" else (M - 1) * (N - 1)
    return _safe_sqrt(s).sum(dim=(1, 2)) / D


def _corr(x, y):
    dx = x - x.mean(dim=(1, 2), keepdim=True)
    dy = y - y.mean(dim=(1, 2), keepdim=True)
    return (dx * dy).sum(dim=(1, 2)) / ((dx * dx).sum(dim=(1, 2)) * (dy * dy).sum(dim=(1, 2))).sqrt()


def cc(fused, ir, vi, *, input_range="unit"):
    """Correlation coefficient (r(IR, F) + r(VI, F)) / 2, shape (N,); NaN for a constant image, as the metric."""
    F, A, B = (_batch(x, n, input_range) for x, n in ((fused, "fused"), (ir, "ir"), (vi, "vi")))
    return (_corr(A, F) + _corr(B, F)) / 2.0


def scd(fused, ir, vi, *, input_range="unit"):
    """Sum of the correlations of differences r(F - VI, IR) + r(F - IR, VI) (Aslantas & Bendes 2015), shape (N,)."""
    F, A, B = (_batch(x, n, input_range) for x, n in ((fused, "fused"), (ir, "ir"), (vi, "vi")))
    return _corr(F - B, A) + _corr(F - A, B)


def _gauss(n, sigma, like):
    import torch
    x = torch.arange(n, dtype=like.dtype, device=like.device) - (n - 1) / 2.0
    g = torch.exp(-(x * x) / (2.0 * sigma * sigma))
    return g / g.sum()


def _sep(x, g):
    """Separable correlation of (N, H, W) with the 1-D kernel ``g`` in both directions, 'valid'."""
    import torch.nn.functional as nnf
    n = g.numel()
    y = nnf.conv2d(x[:, None], g.view(1, 1, n, 1))
    return nnf.conv2d(y, g.view(1, 1, 1, n))[:, 0]


def _sym_pad(x, p):
    """SciPy ``mode='reflect'`` (edge repeated: d c b a | a b c d) padding of p pixels on every side."""
    import torch
    x = torch.cat([x[:, :, :p].flip(2), x, x[:, :, -p:].flip(2)], 2)
    return torch.cat([x[:, :p].flip(1), x, x[:, -p:].flip(1)], 1)


def _ssim_single(x, y, impl, L):
    import torch
    import torch.nn.functional as nnf
    k1, k2 = 0.01, 0.03
    c1, c2 = (k1 * L) ** 2, (k2 * L) ** 2
    if impl == "skimage019":
        if min(x.shape[1:]) < 7:
            return torch.full(x.shape[:1], math.nan, dtype=x.dtype, device=x.device)
        g = torch.full((7,), 1.0 / 7.0, dtype=x.dtype, device=x.device)

        def W(z):
            return _sep(_sym_pad(z, 3), g)
        cov = 49.0 / 48.0
    elif impl == "wang2004_valid":
        if min(x.shape[1:]) < 11:
            return torch.full(x.shape[:1], math.nan, dtype=x.dtype, device=x.device)
        g = _gauss(11, 1.5, x)

        def W(z):
            return _sep(z, g)
        cov = 1.0
    else:  # matlab_builtin: replicate padding, full-size map
        g = _gauss(11, 1.5, x)

        def W(z):
            return _sep(nnf.pad(z[:, None], (5, 5, 5, 5), mode="replicate")[:, 0], g)
        cov = 1.0
    ux, uy = W(x), W(y)
    vx, vy, vxy = cov * (W(x * x) - ux * ux), cov * (W(y * y) - uy * uy), cov * (W(x * y) - ux * uy)
    S = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    if impl == "skimage019":
        S = S[:, 3:-3, 3:-3]
    return S.mean(dim=(1, 2))


def ssim(fused, ir, vi, *, input_range="unit", profile="cddfuse", **options):
    """SSIM(F, IR) + SSIM(F, VI) (or their mean, ``ssim_combine``) in the profile's form (Wang et al. 2004;
    ``ssim_impl`` skimage019 / wang2004_valid / matlab_builtin, ``ssim_data_range``), shape (N,).

    Computed in the inputs' dtype: with float64 inputs it equals the metric with ``ssim_float32=False``
    (the cddfuse evaluator's float32 arithmetic differs by ~1e-6).
    """
    o = _opts(profile, options)
    F, A, B = (_batch(x, n, input_range) for x, n in ((fused, "fused"), (ir, "ir"), (vi, "vi")))
    L = float(o["ssim_data_range"])
    s = _ssim_single(F, A, o["ssim_impl"], L) + _ssim_single(F, B, o["ssim_impl"], L)
    return s if o["ssim_combine"] == "sum" else s / 2.0


_VIF_SIGMA_NSQ = 2.0
_VIF_EPS = 1e-10


def _vifp(ref, dist):
    """Batched pixel-domain multiscale vifp(ref, dist) (Sheikh & Bovik 2006) with the reference code's
    eps rules as masks; returns (num, den), each (N,)."""
    import torch
    num = ref.new_zeros(ref.shape[0])
    den = ref.new_zeros(ref.shape[0])
    zero = ref.new_zeros(())
    for s in range(1, 5):
        n = 2 ** (5 - s) + 1
        if min(ref.shape[1:]) < n:
            break
        g1 = _gauss(n, n / 5.0, ref)
        if s > 1:
            ref, dist = _sep(ref, g1)[:, ::2, ::2], _sep(dist, g1)[:, ::2, ::2]
            if min(ref.shape[1:]) < n:
                break
        mu1, mu2 = _sep(ref, g1), _sep(dist, g1)
        s1 = (_sep(ref * ref, g1) - mu1 * mu1).clamp_min(0.0)
        s2 = (_sep(dist * dist, g1) - mu2 * mu2).clamp_min(0.0)
        s12 = _sep(ref * dist, g1) - mu1 * mu2
        g = s12 / (s1 + _VIF_EPS)
        sv = s2 - g * s12
        m = s1 < _VIF_EPS
        g, sv, s1 = torch.where(m, zero, g), torch.where(m, s2, sv), torch.where(m, zero, s1)
        m = s2 < _VIF_EPS
        g, sv = torch.where(m, zero, g), torch.where(m, zero, sv)
        m = g < 0
        sv, g = torch.where(m, s2, sv), torch.where(m, zero, g)
        sv = torch.where(sv <= _VIF_EPS, torch.full_like(sv, _VIF_EPS), sv)
        num = num + torch.log10(1.0 + g * g * s1 / (sv + _VIF_SIGMA_NSQ)).sum(dim=(1, 2))
        den = den + torch.log10(1.0 + s1 / _VIF_SIGMA_NSQ).sum(dim=(1, 2))
    return num, den


def vif(fused, ir, vi, *, input_range="unit", profile="cddfuse", **options):
    """VIF: vifp(IR, F) and vifp(VI, F) summed (or averaged, ``vif_combine``), pixel-domain multiscale
    (Sheikh & Bovik 2006), shape (N,).

    Equals the metric (``vif_u8_saturation=False``) on images with both sides >= 41 px (smaller ones
    are refused: their partial pyramids follow toolbox-specific rules); the masks of the reference code's eps rules make
    it differentiable almost everywhere. A flat source (vifp 0/0) gives 1.0 under ``vif_nan='one'``
    (cddfuse) and NaN under ``'nan'``, as the metric; its gradient is then zero, not NaN.
    """
    import torch
    o = _opts(profile, options)
    if o["vif_u8_saturation"]:
        raise InputError("vif", "vif_u8_saturation (tang2022's uint8 products) is not differentiable")
    F, A, B = (_batch(x, n, input_range) for x, n in ((fused, "fused"), (ir, "ir"), (vi, "vi")))
    if min(F.shape[1:]) < 41:
        raise InputError("vif", f"needs images with both sides >= 41 px (the full 4-scale pyramid), got "
                                f"{F.shape[2]}x{F.shape[1]}")
    vals = []
    for ref in (A, B):
        num, den = _vifp(ref, F)
        ok = den != 0
        v = num / torch.where(ok, den, torch.ones_like(den))
        fill = 1.0 if o["vif_nan"] == "one" else math.nan
        vals.append(torch.where(ok, v, torch.full_like(v, fill)))
    s = vals[0] + vals[1]
    return s if o["vif_combine"] == "sum" else s / 2.0
