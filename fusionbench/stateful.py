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
>>> metric.update(fused, ir, vi)          # (N, 1, H, W) or (N, H, W) gray batches, any device
>>> sorted(metric.compute())               # mean over the images seen so far, on the device
['EN', 'SD', 'SSIM']
>>> metric.reset()
"""

from __future__ import annotations

import math

from fusionbench.errors import InputError


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
    Inputs are gray batches (N, H, W) or (N, 1, H, W), e.g. the Y channel a fusion network outputs;
    a batch must hold images of one size (one batch per size otherwise). NaN values (VIF of a flat
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
        import torch
        if not torch.is_tensor(x):
            x = torch.as_tensor(x)
        x = x.detach()
        if x.ndim == 4 and x.shape[1] == 1:
            x = x[:, 0]
        if x.ndim == 2:
            x = x[None]
        if x.ndim != 3:
            raise InputError(name, f"expected a gray batch (N, H, W) or (N, 1, H, W), got shape {tuple(x.shape)}; "
                                   "score the Y channel of colour images")
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

    def update(self, fused, ir, vi) -> None:
        """Score a batch (fused, ir, vi: tensors of shape (N, H, W) or (N, 1, H, W)) and add it to the state."""
        import torch
        F, A, B = self._planes(fused, "fused"), self._planes(ir, "ir"), self._planes(vi, "vi")
        if not (F.shape == A.shape == B.shape):
            raise InputError("batch", f"shapes differ: fused {tuple(F.shape)}, ir {tuple(A.shape)}, "
                                      f"vi {tuple(B.shape)}")
        device = F.device
        be = self._backend_for(device)
        out = be.score_batch(F, A.to(device), B.to(device), self.metrics, dict(self.profile.options))
        vals = torch.stack([torch.as_tensor(out[m], dtype=torch.float64) for m in self.metrics], 1).to(device)
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
