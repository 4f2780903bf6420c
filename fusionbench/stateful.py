"""A torchmetrics-style stateful metric for validation during training: ``update`` / ``compute`` / ``reset``.

:class:`FusionMetric` scores batches of fused images against their sources with the batched torch
backend (:class:`fusionbench.backends.torch_backend.TorchBackend`, float64 parity mode by default) on
the tensors' device, and accumulates per-metric sums and counts there. ``compute()`` gives the mean
over every image seen since the last ``reset()``: the number a paper's table would print for the
same images and profile (the backend agrees with the NumPy reference within the budgets of
:data:`fusionbench.metrics.REGISTRY`). torch is imported only when a metric object is created, so
``import fusionbench`` works without it.

Example
-------
>>> import torch
>>> from fusionbench.stateful import FusionMetric
>>> metric = FusionMetric(["EN", "SD", "SSIM"], profile="cddfuse", input_range="unit")
>>> fused, ir, vi = (torch.rand(2, 1, 32, 32, dtype=torch.float64) for _ in range(3))
>>> metric.update(fused, ir, vi)          # (N, 1, H, W), (N, H, W) or (N, 3, H, W) batches, any device
>>> sorted(metric.compute())               # mean over the images seen so far, on the device
['EN', 'SD', 'SSIM']
>>> metric.reset()
"""

from __future__ import annotations

import math

from fusionbench.errors import InputError


def _gray(x, method, *, rounded=True):
    """(N, C, H, W) -> (N, H, W): :func:`fusionbench.metrics.pipeline.to_gray` on tensors, the same
    operations in the same order (bit-identical); a one-channel batch is returned as is."""
    import torch
    if x.shape[1] == 1:
        return x[:, 0]
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    if method == "opencv":  # float32, summed as (B*0.114 + G*0.587) + R*0.299
        f = torch.float32
        w = [torch.tensor(c, dtype=f, device=x.device) for c in (0.114, 0.587, 0.299)]
        y = (b.to(f) * w[0] + g.to(f) * w[1]) + r.to(f) * w[2]
        y = y.to(torch.float64)
        return torch.round(y) if rounded else y
    if method == "matlab":
        from fusionbench.metrics.pipeline import MATLAB_GRAY
        y = MATLAB_GRAY[0] * r + MATLAB_GRAY[1] * g + MATLAB_GRAY[2] * b
        return (torch.sign(y) * torch.floor(torch.abs(y) + 0.5)).clamp(0.0, 255.0) if rounded else y
    if method == "pil":  # ITU-R 601-2 fixed point
        ri, gi, bi = (c.to(torch.int64) for c in (r, g, b))
        return ((ri * 19595 + gi * 38470 + bi * 7471 + 0x8000) >> 16).to(torch.float64)
    raise InputError("gray", f"unknown gray conversion {method!r}")


class FusionMetric:
    """Stateful IVIF metrics (torchmetrics-style): ``update(fused, ir, vi)``, ``compute()``, ``reset()``.

    Parameters
    ----------
    metrics : sequence of str, optional
        Metric names (default: the profile's table, e.g. the ten IVIF metrics of ``cddfuse``).
    profile : str
        Metric profile (``cddfuse``, ``tang2022``, ``tang2023``, ``vifb``); ``**options`` override it.
    input_range : {"unit", "byte"}
        Scale of the tensors: ``"unit"`` [0, 1] (multiplied by 255, the usual network output) or
        ``"byte"`` 0..255. Values are then quantised as the profile's pipeline does
        (``fused_quantize``) and clipped to 0..255, as :func:`fusionbench.compute` does for arrays.
    precision : {"float64", "float32"}
        float64 (parity with the reference) or float32 (faster; budgets ``fast["torch-fp32"]``).
    per_image : bool
        Also keep every image's values (``values()``).

    Notes
    -----
    Inputs are gray batches (N, H, W) or (N, 1, H, W), e.g. the Y channel a fusion network outputs,
    or RGB batches (N, 3, H, W), in any mix; colour is handled by the profile's rule exactly as
    :func:`fusionbench.compute` handles one image (``fusionbench.metrics.pipeline.prepare``): under
    ``color_mode='gray'`` every RGB image is converted with the profile's ``gray`` conversion (OpenCV
    for cddfuse, MATLAB rgb2gray for tang2022/tang2023/mefb); under ``'per_channel'`` (vifb) an RGB
    fused image is scored per channel and averaged (SF on the channels side by side). A batch
    must hold images of one size (one batch per size otherwise). NaN values (VIF of a flat
    image under ``vif_nan='nan'``) are left out of the mean and counted in ``nan_count``.
    """

    def __init__(self, metrics=None, *, profile="cddfuse", input_range="unit", precision="float64",
                 per_image=False, **options):
        from fusionbench.metrics.compute import resolve_metrics
        from fusionbench.metrics.profiles import get_profile
        if input_range not in ("unit", "byte"):
            raise InputError("input_range", f"must be 'unit' or 'byte', got {input_range!r}")
        if precision not in ("float64", "float32"):
            raise InputError("precision", f"must be 'float64' or 'float32', got {precision!r}")
        self.profile = get_profile(profile, **options)
        self.metrics = tuple(resolve_metrics(metrics, self.profile))
        self.input_range = input_range
        self.precision = precision
        self.per_image = per_image
        self._backend = None
        self.reset()

    # -- state ------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every image seen."""
        self._sum = None  # tensor (n_metrics,) on the device
        self._count = None
        self._nan = None
        self._values = []

    def _backend_for(self, device):
        import torch

        from fusionbench.backends.torch_backend import TorchBackend
        dtype = torch.float64 if self.precision == "float64" else torch.float32
        if self._backend is None or self._backend.device != device:
            self._backend = TorchBackend(device=device, dtype=dtype)
        return self._backend

    def _planes(self, x, name):
        """(N, C, H, W) float64 on 0..255, C = 1 (gray) or 3 (RGB), scaled and quantised as
        :func:`fusionbench.metrics.pipeline.load` does."""
        import torch
        if not torch.is_tensor(x):
            x = torch.as_tensor(x)
        x = x.detach()
        if x.ndim == 2:
            x = x[None]
        if x.ndim == 3:
            x = x[:, None]
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise InputError(name, f"expected a gray batch (N, H, W) or (N, 1, H, W) or an RGB batch (N, 3, H, W), "
                                   f"got shape {tuple(x.shape)}")
        if not torch.is_floating_point(x):
            x = x.to(torch.float64)
            scale = 1.0
        else:
            x = x.to(torch.float64)
            if not torch.isfinite(x).all():
                raise InputError(name, "contains NaN or infinite values")
            scale = 255.0 if self.input_range == "unit" else 1.0
        x = x * scale
        quant = self.profile.options["fused_quantize"]
        if quant == "round_even":
            x = torch.round(x)
        elif quant == "round_away":
            x = torch.sign(x) * torch.floor(torch.abs(x) + 0.5)
        return x.clamp(0.0, 255.0)

    def _channels(self, F, A, B):
        """[(F, A, B) (N, H, W) triples]: the profile's colour rule, as ``pipeline.prepare`` applies it
        to one image (``color_mode='gray'``: every RGB image to gray with the profile's ``gray``
        conversion; ``'per_channel'`` with an RGB fused image: one triple per channel, gray sources
        repeated; with a gray fused image: RGB sources to unrounded MATLAB gray)."""
        opts = self.profile.options
        if opts["color_mode"] == "per_channel" and F.shape[1] == 3:
            return [(F[:, k], A[:, k] if A.shape[1] == 3 else A[:, 0], B[:, k] if B.shape[1] == 3 else B[:, 0])
                    for k in range(3)]
        if opts["color_mode"] == "per_channel":
            return [(F[:, 0], _gray(A, "matlab", rounded=False), _gray(B, "matlab", rounded=False))]
        return [tuple(_gray(x, opts["gray"]) for x in (F, A, B))]

    def update(self, fused, ir, vi) -> None:
        """Score a batch and add it to the state. ``fused``, ``ir``, ``vi``: gray (N, H, W) /
        (N, 1, H, W) or RGB (N, 3, H, W) tensors (any mix), converted by the profile's colour rule."""
        import torch
        F, A, B = self._planes(fused, "fused"), self._planes(ir, "ir"), self._planes(vi, "vi")
        shapes = [(x.shape[0],) + tuple(x.shape[2:]) for x in (F, A, B)]
        if not (shapes[0] == shapes[1] == shapes[2]):
            raise InputError("batch", f"shapes differ: fused {tuple(F.shape)}, ir {tuple(A.shape)}, "
                                      f"vi {tuple(B.shape)}")
        device = F.device
        be = self._backend_for(device)
        opts = dict(self.profile.options)
        A, B = A.to(device), B.to(device)
        per_channel = [be.score_batch(f, a, b, self.metrics, opts) for f, a, b in self._channels(F, A, B)]
        cols = []
        for m in self.metrics:
            v = [torch.as_tensor(out[m], dtype=torch.float64) for out in per_channel]
            total = v[0]
            for w in v[1:]:
                total = total + w
            cols.append(total / len(v) if len(v) > 1 else total)  # numpy.mean's order over the channels
        if len(per_channel) == 3 and "SF" in self.metrics:
            # VIFB: MATLAB size() of an RGB array gives n = 3N, i.e. SF of [R G B] side by side
            wide = torch.cat([F[:, k] for k in range(3)], dim=-1)
            cols[self.metrics.index("SF")] = torch.as_tensor(be.score_batch(wide, wide, wide, ("SF",), opts)["SF"],
                                                             dtype=torch.float64)
        vals = torch.stack(cols, 1).to(device)
        ok = torch.isfinite(vals)
        if self._sum is None:
            k = len(self.metrics)
            self._sum = torch.zeros(k, dtype=torch.float64, device=device)
            self._count = torch.zeros(k, dtype=torch.int64, device=device)
            self._nan = torch.zeros(k, dtype=torch.int64, device=device)
        self._sum += torch.where(ok, vals, torch.zeros_like(vals)).sum(0)
        self._count += ok.sum(0)
        self._nan += (~ok).sum(0)
        if self.per_image:
            self._values.append(vals)

    __call__ = update

    def compute(self) -> dict:
        """``{metric: 0-d float64 tensor}``: mean over the images seen (NaN values left out), on the device."""
        if self._sum is None:
            raise InputError("FusionMetric", "compute() before any update(); nothing scored yet")
        import torch
        mean = self._sum / self._count.clamp_min(1).to(torch.float64)
        mean = torch.where(self._count > 0, mean, torch.full_like(mean, math.nan))
        return {m: mean[i] for i, m in enumerate(self.metrics)}

    @property
    def count(self) -> int:
        """Images seen since the last reset."""
        return 0 if self._count is None else int((self._count + self._nan)[0])

    @property
    def nan_count(self) -> dict:
        """``{metric: number of NaN values left out of the mean}``."""
        if self._nan is None:
            return {m: 0 for m in self.metrics}
        return {m: int(self._nan[i]) for i, m in enumerate(self.metrics)}

    def values(self) -> dict:
        """``{metric: (n,) tensor}`` of every image's value (needs ``per_image=True``)."""
        if not self.per_image:
            raise InputError("FusionMetric", "per-image values are kept only with per_image=True")
        import torch
        if not self._values:
            return {m: torch.empty(0, dtype=torch.float64) for m in self.metrics}
        allv = torch.cat(self._values, 0)
        return {m: allv[:, i] for i, m in enumerate(self.metrics)}
