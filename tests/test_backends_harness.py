"""The shared metric harness, run on every fast backend (cf. kornia's per-device test matrix).

Each backend must give the NumPy reference's value (within 1e-9 relative, NaN where it is NaN,
the same infinities) for every metric x profile on random triples of random size and on the
degenerate images the property tests use: constant, tiny, one row, one column, and images
just at or below each metric's window size (7x7 SSIM box, 11x11 Gaussian, 17x17 VIF).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from metric_harness import ALL_METRICS, PROFILE_NAMES, random_triple, score

import fusionbench as fb

SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _backends():
    out = ["numba"]
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a core dependency
        return out
    out.append("torch")
    if torch.cuda.is_available():
        out.append(pytest.param("torch-cuda", marks=pytest.mark.cuda))
    return out


BACKENDS = _backends()


def _all(F, A, B, profile, backend):
    kw = {"backend": backend}
    if backend == "torch-cuda":
        kw = {"backend": "torch", "device": "cuda"}
    return fb.compute(F, A, B, metrics=list(ALL_METRICS), profile=profile, **kw)


def _same(got, ref):
    if math.isnan(ref) or math.isnan(got):
        return math.isnan(ref) and math.isnan(got)
    if math.isinf(ref) or math.isinf(got):
        return got == ref
    return abs(got - ref) <= 1e-9 * abs(ref) + 1e-12


def _compare(F, A, B, profile, backend):
    ref = _all(F, A, B, profile, "numpy")
    got = _all(F, A, B, profile, backend)
    assert set(got) == set(ref)
    bad = [f"{m}: {got[m]!r} vs reference {ref[m]!r}" for m in ALL_METRICS if not _same(got[m], ref[m])]
    assert not bad, f"{backend}/{profile} {F.shape}:\n" + "\n".join(bad)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("profile", PROFILE_NAMES)
@SETTINGS
@given(shape=st.tuples(st.integers(18, 40), st.integers(18, 44)), seed=st.integers(0, 2**32 - 1))
def test_random_triples_match_reference(backend, profile, shape, seed):
    _compare(*random_triple(np.random.default_rng(seed), shape), profile, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize("shape", [(1, 30), (30, 1), (3, 5), (6, 9), (7, 7), (10, 12), (11, 11),
                                   (16, 20), (17, 17), (33, 35)])
@pytest.mark.parametrize("kind", ["constant", "random", "binary"])
def test_degenerate_images_match_reference(backend, profile, shape, kind):
    rng = np.random.default_rng(sum(shape))
    if kind == "constant":
        F = A = B = np.full(shape, 77, np.uint8)
    elif kind == "binary":  # flat regions and hard edges: the VIF / SSIM eps branches
        F, A, B = ((rng.random(shape) > 0.5).astype(np.uint8) * 255 for _ in range(3))
    else:
        F, A, B = (rng.integers(0, 256, shape).astype(np.uint8) for _ in range(3))
    with np.errstate(all="ignore"):
        _compare(F, A, B, profile, backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_harness_entry_point_takes_backend(backend):
    """metric_harness.score routes to the backend (a wrong backend name is an error, not numpy)."""
    F, A, B = random_triple(np.random.default_rng(1), (24, 24))
    name = "torch" if backend == "torch-cuda" else backend
    kw = {"device": "cuda"} if backend == "torch-cuda" else {}
    assert _same(score(F, A, B, "VIF", "cddfuse", name, **kw), score(F, A, B, "VIF", "cddfuse"))
    with pytest.raises(Exception, match="nosuch"):
        score(F, A, B, "VIF", "cddfuse", "nosuch")
