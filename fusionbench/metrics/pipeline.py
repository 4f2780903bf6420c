"""Input pipeline (``specs/METRICS.md`` section 3): validation, quantisation, gray conversion.

Everything ends as float64 2-D planes holding the grey levels the reference toolbox would see.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np

from fusionbench.errors import InputError
from fusionbench.imageio import read_image

MATLAB_GRAY = (0.298936021293775, 0.587043074451121, 0.114020904255103)


def round_away(x):
    """Round half away from zero (MATLAB ``round`` and integer casts)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def u8(x):
    """MATLAB cast of doubles to uint8: round half away, saturate to 0..255 (kept as float64)."""
    return np.clip(round_away(x), 0.0, 255.0)


class InputRangeWarning(UserWarning):
    """A float array that looks like it is on [0, 1] is scored on the 0..255 scale."""


def load(image, name: str, *, input_range: str | None = None, quantize: str = "round_even") -> np.ndarray:
    """Read a path or array into float64 (H, W) or (H, W, 3) on the 0..255 scale, validated.

    Float arrays are on 0..255 (``input_range=None`` or ``"byte"``) or on [0, 1] (``"unit"``). With
    ``None`` a float array whose maximum lies in (0, 1] raises :class:`InputRangeWarning`: it is most
    likely on [0, 1], and read on 0..255 it would give wrong numbers (EN 0.62 instead of 7.14).
    """
    if isinstance(image, (str, os.PathLike)):
        name = os.fspath(image)
        image = read_image(image)
    arr = np.asarray(image)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise InputError(name, f"unsupported array dtype {arr.dtype}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]
    if arr.ndim == 3 and arr.shape[2] == 2:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3):
        raise InputError(name, f"expected (H, W), (H, W, 3) or (H, W, 4) pixels, got shape {arr.shape}")
    if arr.size == 0 or 0 in arr.shape:
        raise InputError(name, f"empty image (shape {arr.shape})")
    if arr.dtype == np.uint8 or arr.dtype == bool:
        return arr.astype(np.float64)
    if arr.dtype == np.uint16:
        out = arr.astype(np.float64) / 257.0  # 65535 -> 255
    else:
        out = arr.astype(np.float64)
        if not np.all(np.isfinite(out)):
            raise InputError(name, "contains NaN or infinite values")
        if input_range == "unit":
            out = out * 255.0
        elif input_range is None:
            peak = float(out.max())
            if 0.0 < peak <= 1.0:
                warnings.warn(f"{name}: float array with maximum {peak:g} is scored on the 0..255 scale; if it is "
                              "on [0, 1] pass input_range='unit' (or multiply by 255), if 0..255 is right pass "
                              "input_range='byte' to silence this warning", InputRangeWarning, stacklevel=4)
        elif input_range != "byte":
            raise InputError(name, f"input_range must be 'unit' or 'byte', got {input_range!r}")
    if quantize == "round_even":
        out = np.round(out)
    elif quantize == "round_away":
        out = round_away(out)
    elif quantize != "none":
        raise InputError(name, f"unknown quantisation {quantize!r}")
    return np.clip(out, 0.0, 255.0)


def to_gray(img: np.ndarray, method: str, *, rounded: bool = True) -> np.ndarray:
    """Gray conversion of a (H, W, 3) RGB image; 2-D input is returned unchanged."""
    if img.ndim == 2:
        return img
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    if method == "opencv":
        # OpenCV BGR2GRAY on float32, summed as (B*0.114 + G*0.587) + R*0.299 (METRICS.md 6.1b)
        f = np.float32
        y = (b.astype(f) * f(0.114) + g.astype(f) * f(0.587)) + r.astype(f) * f(0.299)
        return np.round(y.astype(np.float64)) if rounded else y.astype(np.float64)
    if method == "matlab":
        y = MATLAB_GRAY[0] * r + MATLAB_GRAY[1] * g + MATLAB_GRAY[2] * b
        return u8(y) if rounded else y
    if method == "pil":
        # PIL convert('L'): ITU-R 601-2, fixed point (L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16)
        ri, gi, bi = (c.astype(np.int64) for c in (r, g, b))
        return ((ri * 19595 + gi * 38470 + bi * 7471 + 0x8000) >> 16).astype(np.float64)
    raise InputError("gray", f"unknown gray conversion {method!r}")


@dataclass
class Planes:
    """The planes the metrics see: ``channels`` is a list of (F, A, B) 2-D float64 triples."""

    channels: list
    fused_rgb: np.ndarray | None  # the 3-channel fused image in per-channel mode (for SF)


def prepare(fused, ir, vi, opts, *, input_range: str | None = None, names=("fused", "ir", "vi")) -> Planes:
    """Apply a profile's input pipeline to one triple (paths or arrays)."""
    quant = opts["fused_quantize"]
    f = load(fused, names[0], input_range=input_range, quantize=quant)
    a = load(ir, names[1], input_range=input_range, quantize=quant)
    b = load(vi, names[2], input_range=input_range, quantize=quant)
    for arr, nm in ((a, names[1]), (b, names[2])):
        if arr.shape[:2] != f.shape[:2]:
            raise InputError(nm, f"size {arr.shape[1]}x{arr.shape[0]} differs from the fused image's "
                                 f"{f.shape[1]}x{f.shape[0]} ({names[0]})")
    if opts["color_mode"] == "per_channel" and f.ndim == 3:
        def chan(x, k):
            return x if x.ndim == 2 else x[..., k]
        return Planes([(f[..., k], chan(a, k), chan(b, k)) for k in range(3)], f)
    if opts["color_mode"] == "per_channel":
        # one-channel fused image: 3-channel sources to unrounded MATLAB gray (a fusionbench choice)
        return Planes([(f, to_gray(a, "matlab", rounded=False), to_gray(b, "matlab", rounded=False))], None)
    g = opts["gray"]
    return Planes([(to_gray(f, g), to_gray(a, g), to_gray(b, g))], None)
