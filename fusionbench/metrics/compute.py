"""Metric selection and per-plane scoring with a given backend object.

The public entry point :func:`fusionbench.compute` (in :mod:`fusionbench.scoring`, one layer up)
resolves the backend by name; this layer never imports the backends.
"""

from __future__ import annotations

import numpy as np

from fusionbench.errors import InputError
from fusionbench.metrics.pipeline import Planes
from fusionbench.metrics.registry import get_card


def resolve_metrics(metrics, profile) -> tuple:
    """None -> the profile's table (VIFB's 13 under vifb, the ten IVIF metrics otherwise)."""
    if metrics is None:
        return profile.table
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    out = tuple(get_card(m).name for m in metrics)
    if not out:
        raise InputError("metrics", "no metric names given; name at least one (e.g. EN,SSIM) or leave "
                                    "the option out for the profile's table")
    return out


def score_planes(planes: Planes, metrics, opts, backend) -> dict:
    """Score prepared planes with a backend; averages channels in per-channel mode."""
    per_channel = [backend.score(F, A, B, metrics, opts) for F, A, B in planes.channels]
    values = {m: float(np.mean([v[m] for v in per_channel])) for m in metrics}
    if planes.fused_rgb is not None and "SF" in metrics:
        # VIFB: MATLAB size() of an RGB array gives n = 3N, i.e. SF of [R G B] side by side
        wide = np.concatenate([planes.fused_rgb[..., k] for k in range(3)], axis=1)
        values["SF"] = backend.score(wide, wide, wide, ("SF",), opts)["SF"]
    return values
