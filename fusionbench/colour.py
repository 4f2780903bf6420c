"""Colour handling shared by fusion methods: fuse the Y channel, reattach the visible CbCr.

BT.601 full-range YCbCr (OpenCV's ``COLOR_RGB2YCrCb``), as CDDFuse/SMFNet do at test time.
"""

from __future__ import annotations

import numpy as np


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """RGB in [0, 1] (H, W, 3) -> YCbCr in [0, 1] (H, W, 3), float32."""
    rgb = np.asarray(rgb, dtype=np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = (b - y) * 0.564 + 0.5
    cr = (r - y) * 0.713 + 0.5
    return np.stack([y, cb, cr], axis=-1).astype(np.float32)


def ycbcr_to_rgb(ycbcr: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_ycbcr`, clipped to [0, 1]."""
    y, cb, cr = ycbcr[..., 0], ycbcr[..., 1] - 0.5, ycbcr[..., 2] - 0.5
    r = y + 1.403 * cr
    g = y - 0.714 * cr - 0.344 * cb
    b = y + 1.773 * cb
    return np.clip(np.stack([r, g, b], axis=-1), 0.0, 1.0).astype(np.float32)


def luminance(image_u8: np.ndarray) -> np.ndarray:
    """Gray or RGB uint8 -> Y in [0, 1] float32 (H, W)."""
    img = np.asarray(image_u8, dtype=np.float32) / 255.0
    return img if img.ndim == 2 else rgb_to_ycbcr(img)[..., 0]


def split_for_fusion(ir_u8: np.ndarray, vi_u8: np.ndarray):
    """Return (ir_y, vi_y, vi_cbcr or None) in [0, 1] for a method that fuses one channel."""
    ir_y = luminance(ir_u8)
    if np.asarray(vi_u8).ndim == 3:
        ycc = rgb_to_ycbcr(np.asarray(vi_u8, dtype=np.float32) / 255.0)
        return ir_y, ycc[..., 0], ycc[..., 1:]
    return ir_y, luminance(vi_u8), None


def merge_fused(fused_y: np.ndarray, vi_cbcr) -> np.ndarray:
    """Fused Y in [0, 1] (+ visible CbCr) -> uint8 gray or RGB image, rounded half to even."""
    y = np.clip(np.asarray(fused_y, dtype=np.float32), 0.0, 1.0)
    out = y if vi_cbcr is None else ycbcr_to_rgb(np.concatenate([y[..., None], vi_cbcr], axis=-1))
    return np.clip(np.round(out * 255.0), 0, 255).astype(np.uint8)
