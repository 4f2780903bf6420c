"""Differentiable versions of IVIF metrics, for use as training losses.

Each function takes batches of gray images (``(N, H, W)`` or ``(N, 1, H, W)`` tensors, any device,
float32 or float64) and returns the metric per image, shape ``(N,)``, with gradients. Where the
metric is a smooth function of the pixels (SD, SF, AG, CC, SCD, SSIM; VIF almost everywhere) the value equals the exact
metric of :func:`fusionbench.compute` for the same profile options (tested); the square roots of SF
and AG use a zero-safe form so that a flat image gives a finite (zero) gradient instead of NaN.
Histogram metrics (EN, MI, Qabf's quantised orientations) have no useful gradient and are not
offered. Options come from a metric profile (``profile="cddfuse"`` by default, overridable by
keyword, e.g. ``ssim_data_range=1``). torch is imported inside the functions.

Inputs are on [0, 1] by default (``input_range="unit"``, multiplied by 255 to reach the metrics'
0..255 scale) or 0..255 (``input_range="byte"``); no rounding is applied (it has no gradient).

Example
-------
>>> import torch
>>> from fusionbench import losses
>>> fused = torch.rand(4, 1, 64, 64, requires_grad=True)
>>> ir, vi = torch.rand(4, 1, 64, 64), torch.rand(4, 1, 64, 64)
>>> loss = -(losses.ssim(fused, ir, vi) + 0.1 * losses.scd(fused, ir, vi)).mean()
>>> loss.backward()
>>> bool(torch.isfinite(fused.grad).all())
True
"""

from fusionbench.losses.differentiable import ag, cc, scd, sd, sf, ssim, vif

__all__ = ["ag", "cc", "scd", "sd", "sf", "ssim", "vif"]
