"""Torch kernels of MEF_SSIM, MS_SSIM (``backends._torch_mef``) and Qp (``backends._torch_phase``)
agree with the NumPy reference within 1e-9 relative, in float64 and in the float32 fast mode (where they run in float64 too): on
TNO crops of the sizes their scales need, with flat windows and constant images; batched scoring
equals one-by-one scoring, and the cached source terms follow the pair (no stale MEF-SSIM terms
when B changes under the same A)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_shared

from fusionbench.metrics import PROFILES
from fusionbench.metrics.registry import KERNELS

torch = pytest.importorskip("torch")

from fusionbench.backends.torch_backend import TorchBackend  # noqa: E402

RTOL = 1e-9
METRICS = ["MEF_SSIM", "MS_SSIM", "Qp"]
DTYPES = [torch.float64, torch.float32]


def _close(got, ref):
    if np.isnan(ref) or np.isnan(got):
        return bool(np.isnan(ref) and np.isnan(got))
    return abs(got - ref) <= RTOL * abs(ref) + 1e-12


def _tno(method, image, rows, cols):
    from fusionbench.metrics.pipeline import load, to_gray
    root = require_shared("data", "tno42")
    return tuple(to_gray(load(str(root.joinpath(*parts)), "x", quantize="round_away"), "matlab")[rows, cols]
                 for parts in (("fused", method, image), ("ir", image), ("vi", image)))


@pytest.fixture(scope="module")
def triples():
    box = (slice(150, 342), slice(200, 392))  # 192 x 192: MS-SSIM's five scales fit
    out = [_tno(m, "01.png", *box) for m in ("SeAFusion", "DenseFuse")]
    F, A, B = (x.copy() for x in out[0])
    A[:30, :40] = 17.0  # flat windows in A, and in both sources
    B[:20, :20] = 200.0
    out.append((F, A, B))
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric", METRICS)
def test_matches_reference(triples, metric, dtype):
    be = TorchBackend("cpu", dtype)
    for prof in ("mefb", "tang2022", "cddfuse", "tang2023"):
        opts = PROFILES[prof].options
        for F, A, B in triples:
            got, ref = be.score(F, A, B, (metric,), opts)[metric], KERNELS[metric](F, A, B, opts)
            assert _close(got, ref), (prof, metric, got, ref)


@pytest.mark.parametrize("metric", METRICS)
def test_constant_and_small_images(metric):
    be = TorchBackend("cpu", torch.float64)
    opts = PROFILES["mefb"].options
    for shape in ((180, 180), (40, 50), (10, 12)):
        for F, A, B in ((np.full(shape, 9.0),) * 3, (np.full(shape, 9.0), np.full(shape, 9.0), np.full(shape, 90.0))):
            got, ref = be.score(F, A, B, (metric,), opts)[metric], KERNELS[metric](F, A, B, opts)
            assert _close(got, ref), (shape, metric, got, ref)


def test_batch_equals_one_by_one_and_cache_follows_the_pair(triples):
    be = TorchBackend("cpu", torch.float64)
    opts = PROFILES["mefb"].options
    Fs, As, Bs = (np.stack(x) for x in zip(*triples))
    batch = be.score_batch(Fs, As, Bs, METRICS, opts)
    for k, (F, A, B) in enumerate(triples):
        for m in METRICS:
            assert _close(float(batch[m][k]), KERNELS[m](F, A, B, opts)), (k, m)
    F, A, B = triples[0]
    B2 = triples[2][2]  # the same visible image with a flat patch
    for G, X, Y in ((F, A, B), (F, A, B2), (triples[1][0], A, B)):  # same A, another B, another F
        for m in METRICS:
            assert _close(be.score(G, X, Y, (m,), opts)[m], KERNELS[m](G, X, Y, opts)), m
