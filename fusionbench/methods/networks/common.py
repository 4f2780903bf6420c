"""Building blocks, losses and the inference wrapper shared by the reference networks.

Sobel gradient and SSIM follow ``specs/NETWORKS.md`` section 2 (CDDFuse/SeAFusion ``Sobelxy``;
SSIM of Wang et al., IEEE TIP 2004, Gaussian window 11, sigma 1.5).
"""

from __future__ import annotations

import functools
import hashlib
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fusionbench.methods.base import Method


def resolve_device(device=None) -> torch.device:
    """``device`` as a ``torch.device``; None, '' or 'auto': CUDA when available, else CPU."""
    if device in (None, "", "auto"):
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(device)


_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def sobel(x: torch.Tensor) -> torch.Tensor:
    """|Gx| + |Gy| per channel with 3x3 Sobel kernels, zero padding (as ``Sobelxy``)."""
    c = x.shape[1]
    kx = _SOBEL_X.to(x)
    k = torch.stack([kx, kx.t()])[:, None].repeat(c, 1, 1, 1)  # (2c, 1, 3, 3)
    g = F.conv2d(x, k, padding=1, groups=c)
    return g[:, 0::2].abs() + g[:, 1::2].abs()


def _gauss(size=11, sigma=1.5, device=None, dtype=None):
    t = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(t ** 2) / (2 * sigma ** 2))
    return (g / g.sum()).to(device=device, dtype=dtype)


def ssim(x: torch.Tensor, y: torch.Tensor, *, window: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Mean SSIM (data in [0, 1], C1 = 0.01^2, C2 = 0.03^2, 'same' reflect padding), per batch."""
    c = x.shape[1]
    g = _gauss(window, sigma, x.device, x.dtype)
    kh, kw = g.view(1, 1, -1, 1).repeat(c, 1, 1, 1), g.view(1, 1, 1, -1).repeat(c, 1, 1, 1)
    p = window // 2

    def blur(t):
        t = F.pad(t, (p, p, p, p), mode="reflect")
        return F.conv2d(F.conv2d(t, kh, groups=c), kw, groups=c)

    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx ** 2, blur(y * y) - my ** 2, blur(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (sxx + syy + c2))
    return s.mean()


def max_intensity_gradient_loss(f, ir, vi, *, grad_weight: float = 10.0) -> dict:
    """SeAFusion/CDDFuse content loss: ``|f - max(ir, vi)|_1 + w |grad f - max(grad ir, grad vi)|_1``."""
    l_int = F.l1_loss(f, torch.maximum(ir, vi))
    l_grad = F.l1_loss(sobel(f), torch.maximum(sobel(ir), sobel(vi)))
    return {"int": l_int, "grad": l_grad, "fus": l_int + grad_weight * l_grad}


def conv3(cin, cout, *, stride=1, act=True, bias=True) -> nn.Sequential:
    """Conv3x3 (+ LeakyReLU 0.2)."""
    layers = [nn.Conv2d(cin, cout, 3, stride, 1, bias=bias)]
    if act:
        layers.append(nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(*layers)


class ResBlock(nn.Module):
    """Conv3x3 - LReLU - Conv3x3 + identity, then LReLU."""

    def __init__(self, c: int):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(c, c, 3, 1, 1), nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return F.leaky_relu(x + self.c2(F.leaky_relu(self.c1(x), 0.2)), 0.2)


def pad_to_multiple(x: torch.Tensor, multiple: int):
    """Reflect-pad (B, C, H, W) on the bottom/right to a multiple; returns (padded, (H, W))."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        mode = "reflect" if ph < h and pw < w else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return x, (h, w)


class TorchMethod(Method):
    """Wrap a fusion ``nn.Module`` ``model(ir, vi) -> fused`` (B,1,H,W) in [0, 1] as a Method.

    Inputs of any size are padded to ``multiple`` and the output cropped back; ``fuse_batch``
    runs same-size images as one batch (chunks of ``batch_size``).
    """

    kind = "network"

    def __init__(self, model: nn.Module, *, name: str, device=None, multiple: int = 1,
                 batch_size: int = 4, meta=None, weights_digest=None):
        self.name, self.multiple, self.batch_size = name, int(multiple), int(batch_size)
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        if self.device.type == "cpu":  # whole-image feature maps: no page faults on every pass
            from fusionbench.backends._heap import keep_large_blocks
            keep_large_blocks()
        self.meta = meta or {}
        self._weights_digest = weights_digest

    @property
    def weights_digest(self):
        """sha256 of the weights file loaded (None for a model not loaded from a file)."""
        return self._weights_digest

    @property
    def version(self) -> str:
        """Digest of the network's source package and of this module."""
        return code_digest(type(self.model).__module__)

    def options(self) -> dict:
        return {"config": self.meta.get("config"), "multiple": self.multiple}

    @torch.no_grad()
    def _run(self, ir: np.ndarray, vi: np.ndarray) -> np.ndarray:
        a = torch.from_numpy(np.ascontiguousarray(ir, dtype=np.float32))[:, None].to(self.device)
        b = torch.from_numpy(np.ascontiguousarray(vi, dtype=np.float32))[:, None].to(self.device)
        a, (h, w) = pad_to_multiple(a, self.multiple)
        b, _ = pad_to_multiple(b, self.multiple)
        f = self.model(a, b)[:, 0, :h, :w].clamp(0, 1)
        return f.float().cpu().numpy()

    def fuse(self, ir_y, vi_y):
        ir_y, vi_y = np.asarray(ir_y), np.asarray(vi_y)
        if ir_y.shape != vi_y.shape or ir_y.ndim != 2:
            from fusionbench.errors import InputError
            raise InputError(self.name, f"needs equal 2-D inputs, got {ir_y.shape} and {vi_y.shape}")
        return self._run(ir_y[None], vi_y[None])[0]

    def fuse_batch(self, ir_y, vi_y):
        ir_y, vi_y = np.asarray(ir_y), np.asarray(vi_y)
        outs = [self._run(ir_y[i:i + self.batch_size], vi_y[i:i + self.batch_size])
                for i in range(0, len(ir_y), self.batch_size)]
        return np.concatenate(outs)


def load_network_method(recipe, variant=None, device=None, *, multiple: int = 1, directory=None):
    """Build ``recipe``'s model for the bundled weights of ``variant`` and wrap it as a Method."""
    from fusionbench.methods.base import seed_suffix, split_seed
    from fusionbench.methods.networks.weightfiles import (
        WEIGHTS_DIR,
        file_digest,
        load_weights,
        read_meta,
        weights_path,
    )
    ablation, seed = split_seed(variant)
    ablation = None if ablation in (None, "", "full") else ablation
    recipe.check("small", ablation)
    variant = ((ablation or "") + seed_suffix(seed)) or None  # weights file key
    directory = directory or WEIGHTS_DIR
    meta = read_meta(recipe.name, variant, directory=directory)
    model = recipe.build_model(meta.get("config", "small"), ablation)
    load_weights(model, recipe.name, variant, directory=directory)
    name = (recipe.name if ablation is None else f"{recipe.name}:{ablation}") + seed_suffix(seed)
    return TorchMethod(model, name=name, device=device, multiple=multiple, meta=meta,
                       weights_digest=file_digest(weights_path(recipe.name, variant, directory=directory)))


@functools.lru_cache(maxsize=None)
def code_digest(module: str) -> str:
    """sha256 (16 hex digits) of the ``.py`` files of ``module``'s package and of this module."""
    files = sorted(Path(sys.modules[module].__file__).parent.glob("*.py")) + [Path(__file__)]
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]
