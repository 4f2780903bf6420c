"""One harness every metric passes (cf. kornia): dtypes, shapes, properties, edge images.

``score(F, A, B, metric, profile, backend)`` is the only entry point, so the fast backends reuse
these checks by parametrising ``BACKENDS``.
"""

from __future__ import annotations

import numpy as np

import fusionbench as fb
from fusionbench.metrics import ALL_METRICS, CARDS, PROFILES

PROFILE_NAMES = tuple(PROFILES)
# metrics whose definition is not symmetric in the two sources (by the toolbox's design)
ASYMMETRIC = {"VIFF", "Nabf", "Qc"}  # Qc clips its weight at 0 and 1 asymmetrically
# 0/0 cases the toolboxes give NaN for (documented in the cards)
MAY_BE_NAN = {"CC", "SCD", "Qabf", "VIF", "Qcb", "Qcv", "Nabf", "AG", "SSIM", "VIFF", "MI", "PSNR",
              "Qy", "Qc", "Qw", "Qe", "NMI", "Q_TE", "Q_NCIE", "MEF_SSIM", "MS_SSIM", "Qp"}


def score(F, A, B, metric, profile, backend="numpy", **options):
    return fb.compute(F, A, B, metrics=[metric], profile=profile, backend=backend, **options)[metric]


def in_card_range(metric, value) -> bool:
    lo, hi = CARDS[metric].range
    return lo - 1e-9 <= value <= hi + 1e-9


def random_triple(rng, shape=(32, 40)):
    """A fused image correlated with two random sources (uint8)."""
    A = rng.integers(0, 256, shape).astype(np.float64)
    B = np.clip(0.5 * A + rng.normal(0, 40, shape) + 60, 0, 255)
    F = np.clip(0.5 * A + 0.5 * B + rng.normal(0, 10, shape), 0, 255)
    return tuple(np.round(x).astype(np.uint8) for x in (F, A, B))


__all__ = [
    "ALL_METRICS",
    "ASYMMETRIC",
    "MAY_BE_NAN",
    "PROFILE_NAMES",
    "in_card_range",
    "random_triple",
    "score",
]
