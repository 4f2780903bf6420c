"""The method interface: fuse one luminance channel; colour is handled here for every method."""

from __future__ import annotations

import re

import numpy as np

from fusionbench.colour import merge_fused, split_for_fusion

_SEED = re.compile(r"@seed(\d+)$")


def split_seed(variant):
    """``"no_sfe@seed1"`` -> ``("no_sfe", 1)``, ``"@seed2"`` -> ``(None, 2)``, ``"no_sfe"`` -> ``("no_sfe", 0)``.

    A network trained with another seed than the bundled model's (0) is addressed as
    ``NAME[:ABLATION]@seedN``; seed 0 has no suffix.
    """
    text = "" if variant is None else str(variant)
    m = _SEED.search(text)
    seed = int(m.group(1)) if m else 0
    base = text[:m.start()] if m else text
    return (base or None), seed


def seed_suffix(seed) -> str:
    """``""`` for seed 0 (the bundled model's), else ``"@seedN"``."""
    return f"@seed{int(seed)}" if seed else ""


class Method:
    """A fusion method. Subclasses implement :meth:`fuse` (and may override :meth:`fuse_batch`).

    ``fuse`` takes the IR and the visible luminance as float32 arrays in [0, 1] of equal shape
    (H, W) and returns the fused luminance, float32 in [0, 1], same shape.
    """

    name = "method"
    kind = "baseline"  # "baseline" | "network" | "external"
    version = "1"  # bump when a code change alters the output (cached fused images are then redone)

    @property
    def weights_digest(self) -> str | None:
        """What made this method's parameters, for cache keys and stored results.

        A trained network gives the sha256 of its weights file; a method defined by its code alone
        gives ``code:<name>@<version>``. ``None`` (unknown) means its outputs are never cached.
        """
        return f"code:{self.name}@{self.version}"

    def options(self) -> dict:
        """Options that change the output: by default the public instance attributes (the
        constructor's keyword arguments of the baselines)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def fuse(self, ir_y: np.ndarray, vi_y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def fuse_batch(self, ir_y: np.ndarray, vi_y: np.ndarray) -> np.ndarray:
        """(N, H, W) -> (N, H, W); the default loops over :meth:`fuse`."""
        return np.stack([self.fuse(a, b) for a, b in zip(ir_y, vi_y)])

    def fuse_images(self, ir_u8: np.ndarray, vi_u8: np.ndarray) -> np.ndarray:
        """uint8 IR + uint8 visible (gray or RGB) -> uint8 fused image (RGB if the visible is).

        The IR is fused with the visible Y channel and the visible CbCr is reattached, as the
        papers do.
        """
        ir_y, vi_y, cbcr = split_for_fusion(ir_u8, vi_u8)
        fused_y = np.asarray(self.fuse(ir_y, vi_y), dtype=np.float32)
        if fused_y.shape != ir_y.shape:
            raise ValueError(f"{self.name} returned shape {fused_y.shape}, expected {ir_y.shape}")
        return merge_fused(fused_y, cbcr)
