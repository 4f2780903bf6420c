"""Fast backends agree with the NumPy reference: every metric x profile on real image crops.

Numba and torch-float64 within each metric's registered budget (``REGISTRY[m].fast``, issue #16:
1e-9 for EN and MI, at most 1e-7 for the rest); torch-float32 within its registered budgets
``FP32_RTOL`` (``FP32_RTOL_TANG2022_QABF`` for the ill-conditioned [0,1] Qabf). Metrics a backend
falls back on are scored by the reference kernel itself (budget 0).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_shared

from fusionbench.backends import NumpyBackend, get_backend
from fusionbench.metrics import ALL_METRICS, PROFILES, REGISTRY, prepare

torch = pytest.importorskip("torch")

RTOL = 1e-9  # what the float64 backends reach on every metric (tighter than the budgets)


def budget(backend):
    """The registered agreement budget of ``backend`` per metric (0 for a reference fallback)."""
    return lambda m, prof=None, integer=None: REGISTRY[m].fast.get(backend, 0.0)
ATOL = 1e-12  # for values that are exactly 0 in the reference


def _crop(path, box):
    from fusionbench.imageio import read_image
    img = read_image(path)
    (r0, r1), (c0, c1) = box
    return img[r0:r1, c0:c1]


def _cases():
    """(name, fused, ir, vi) uint8 crops of real images: TNO fused results (gray and RGB),
    a VIFB colour JPEG result, and MSRS with a synthetic fusion."""
    tno = require_shared("data", "tno42")
    vifb = require_shared("data", "vifb")
    msrs = require_shared("data", "msrs_samples", "test")
    box = ((150, 246), (200, 328))
    cases = []
    for method in ("SeAFusion", "DenseFuse"):
        cases.append((f"tno01-{method}", _crop(tno / "fused" / method / "01.png", box),
                      _crop(tno / "ir" / "01.png", box), _crop(tno / "vi" / "01.png", box)))
    vb = ((100, 180), (150, 250))
    cases.append(("vifb-carLight-ADF", _crop(vifb / "fused" / "carLight_ADF.jpg", vb),
                  _crop(vifb / "input" / "IR" / "carLight.jpg", vb),
                  _crop(vifb / "input" / "VI" / "carLight.jpg", vb)))
    ir = _crop(msrs / "ir" / "00537D.png", ((200, 290), (300, 420)))
    vi = _crop(msrs / "vi" / "00537D.png", ((200, 290), (300, 420)))
    gray_vi = vi.mean(axis=2) if vi.ndim == 3 else vi
    fused = np.clip(np.maximum(ir.astype(float), gray_vi), 0, 255).astype(np.uint8)
    cases.append(("msrs-00537D-max", fused, ir, vi))
    return cases


def _planes(case, profile):
    _, f, a, b = case
    return prepare(f, a, b, PROFILES[profile].options).channels


def _close(got, ref, rtol):
    if np.isnan(ref) or np.isnan(got):
        return np.isnan(ref) and np.isnan(got)
    return abs(got - ref) <= rtol * abs(ref) + ATOL


@pytest.fixture(scope="module")
def cases():
    return _cases()


@pytest.fixture(scope="module")
def reference(cases):
    """Reference values: {(case, profile, channel): {metric: value}}."""
    ref = {}
    be = NumpyBackend()
    for case in cases:
        for prof in PROFILES:
            for k, (F, A, B) in enumerate(_planes(case, prof)):
                ref[case[0], prof, k] = be.score(F, A, B, ALL_METRICS, PROFILES[prof].options)
    return ref


def _check(backend, cases, reference, tol):
    bad = []
    for case in cases:
        for prof in PROFILES:
            for k, (F, A, B) in enumerate(_planes(case, prof)):
                got = backend.score(F, A, B, ALL_METRICS, PROFILES[prof].options)
                integer = all(np.array_equal(x, np.round(x)) for x in (F, A, B))
                for m in ALL_METRICS:
                    r = reference[case[0], prof, k][m]
                    if not _close(got[m], r, tol(m, prof, integer)):
                        bad.append(f"{case[0]}/{prof}/ch{k}/{m}: {got[m]!r} vs {r!r}")
    assert not bad, "\n".join(bad)


def test_numba_matches_reference(cases, reference):
    _check(get_backend("numba"), cases, reference, budget("numba"))


def test_numba_second_method_uses_cache_and_agrees(cases, reference):
    from fusionbench.backends.numba_backend import NumbaBackend
    be = NumbaBackend()
    opts = PROFILES["cddfuse"].options
    F1, A, B = _planes(cases[0], "cddfuse")[0]
    F2 = _planes(cases[1], "cddfuse")[0][0]  # same sources (TNO 01), another method
    be.score(F1, A, B, ALL_METRICS, opts)
    misses = be.cache.misses
    got = be.score(F2, A.copy(), B.copy(), ALL_METRICS, opts)  # equal content, new objects
    assert be.cache.misses == misses and be.cache.hits > 0
    ref = reference[cases[1][0], "cddfuse", 0]
    assert all(_close(got[m], ref[m], RTOL) for m in ALL_METRICS)


def test_torch_float64_matches_reference(cases, reference):
    _check(get_backend("torch", "cpu"), cases, reference, budget("torch"))


def _fp32_tol(m, prof, integer):
    from fusionbench.backends.torch_backend import FP32_RTOL, FP32_RTOL_TANG2022_QABF
    if m == "Qabf" and (PROFILES[prof].options["qabf_scale"] == 1 or not integer):
        return FP32_RTOL_TANG2022_QABF
    return FP32_RTOL.get(m, 0.0)


def test_torch_float32_within_documented_tolerance(cases, reference):
    _check(get_backend("torch-fp32", "cpu"), cases, reference, _fp32_tol)


def test_torch_batch_equals_single(cases):
    from fusionbench.backends.torch_backend import TorchBackend
    be = TorchBackend("cpu", torch.float64)
    opts = PROFILES["tang2022"].options
    trip = [_planes(c, "tang2022")[0] for c in cases[:2]]  # same size crops
    Fs, As, Bs = (np.stack([t[i] for t in trip]) for i in range(3))
    batch = be.score_batch(Fs, As, Bs, ALL_METRICS, opts)
    for n, (F, A, B) in enumerate(trip):
        single = TorchBackend("cpu", torch.float64).score(F, A, B, ALL_METRICS, opts)
        for m in ALL_METRICS:
            assert _close(batch[m][n], single[m], 1e-12), m


def test_edge_cases_nan_rules_and_small_images():
    """Flat sources (VIF NaN -> 1 under cddfuse, Qabf NaN), F == A (SCD NaN), tiny images."""
    rng = np.random.default_rng(0)
    triples = []
    A = rng.integers(0, 256, (24, 30)).astype(float)
    triples.append((A.copy(), A, np.full_like(A, 255.0)))  # F == A, flat B (saturated)
    triples.append((np.round(A / 2), np.zeros_like(A), np.full_like(A, 7.0)))  # both flat
    triples.append(tuple(rng.integers(0, 256, (12, 13)).astype(float) for _ in range(3)))
    triples.append(tuple(rng.integers(250, 256, (40, 19)).astype(float) for _ in range(3)))
    backends = [get_backend("numba"), get_backend("torch", "cpu")]
    ref = NumpyBackend()
    bad = []
    with np.errstate(all="ignore"):
        for prof, p in PROFILES.items():
            for k, (F, A, B) in enumerate(triples):
                r = ref.score(F, A, B, ALL_METRICS, p.options)
                for be in backends:
                    got = be.score(F, A, B, ALL_METRICS, p.options)
                    bad += [f"{be.name}/{prof}/{k}/{m}: {got[m]!r} vs {r[m]!r}" for m in ALL_METRICS
                            if not _close(got[m], r[m], budget(be.name)(m))]
    assert not bad, "\n".join(bad)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_reference(cases, reference):
    _check(get_backend("torch", "cuda"), cases, reference, budget("torch"))
    _check(get_backend("torch-fp32", "cuda"), cases, reference, _fp32_tol)
