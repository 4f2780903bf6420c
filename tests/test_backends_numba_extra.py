"""Numba ports of MSE, PSNR, RMSE, VIFF, Nabf, Qcb, Qcv, Qy, Qc, Qw, Qe, NMI, Q_TE, Q_NCIE, FMI_pixel
and FMI_dct (``numba_extra.EXTRA_KERNELS``)
agree with the NumPy reference kernels within 1e-9 relative, under every profile's options, on
real crops, a full-size pair and degenerate inputs; a second fused image reuses the source cache.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_shared

from fusionbench.backends.cache import SourceCache
from fusionbench.backends.numba_backend import _Triple
from fusionbench.backends.numba_extra import EXTRA_KERNELS
from fusionbench.metrics import PROFILES, prepare
from fusionbench.metrics.registry import KERNELS

RTOL, ATOL = 1e-9, 1e-12
METRICS = sorted(EXTRA_KERNELS)


def _crop(path, box):
    from fusionbench.imageio import read_image
    (r0, r1), (c0, c1) = box
    return read_image(path)[r0:r1, c0:c1]


@pytest.fixture(scope="module")
def cases():
    """(name, fused, ir, vi) uint8 crops, as in test_backends_parity: TNO (gray fused, RGB
    visible), a VIFB colour JPEG result, MSRS with a max fusion."""
    tno = require_shared("data", "tno42")
    vifb = require_shared("data", "vifb")
    msrs = require_shared("data", "msrs_samples", "test")
    box, vb = ((150, 246), (200, 328)), ((100, 180), (150, 250))
    out = [(f"tno01-{m}", _crop(tno / "fused" / m / "01.png", box), _crop(tno / "ir" / "01.png", box),
            _crop(tno / "vi" / "01.png", box)) for m in ("SeAFusion", "DenseFuse")]
    out.append(("vifb-carLight-ADF", _crop(vifb / "fused" / "carLight_ADF.jpg", vb),
                _crop(vifb / "input" / "IR" / "carLight.jpg", vb),
                _crop(vifb / "input" / "VI" / "carLight.jpg", vb)))
    ir = _crop(msrs / "ir" / "00537D.png", ((200, 290), (300, 420)))
    vi = _crop(msrs / "vi" / "00537D.png", ((200, 290), (300, 420)))
    gray_vi = vi.mean(axis=2) if vi.ndim == 3 else vi
    out.append(("msrs-00537D-max", np.clip(np.maximum(ir.astype(float), gray_vi), 0, 255).astype(np.uint8),
                ir, vi))
    return out


def _planes(case, prof):
    return [tuple(np.ascontiguousarray(x, dtype=np.float64) for x in p)
            for p in prepare(*case[1:], PROFILES[prof].options).channels]


def _close(got, ref):
    if np.isnan(ref) or np.isnan(got):
        return bool(np.isnan(ref) and np.isnan(got))
    return abs(got - ref) <= RTOL * abs(ref) + ATOL


def _mismatches(triples, metrics):
    """[(label, metric, got, ref)] over (label, F, A, B, profile) triples; fresh cache each."""
    bad = []
    with np.errstate(all="ignore"):
        for label, F, A, B, prof in triples:
            opts = PROFILES[prof].options
            t = _Triple(F, A, B, opts, SourceCache())
            for m in metrics:
                got, ref = float(EXTRA_KERNELS[m](t)), float(KERNELS[m](F, A, B, opts))
                if not _close(got, ref):
                    bad.append(f"{label}/{prof}/{m}: {got!r} vs {ref!r}")
    return bad


@pytest.mark.parametrize("metric", METRICS)
def test_matches_reference_on_crops(cases, metric):
    triples = [(f"{c[0]}/ch{k}", F, A, B, prof) for c in cases for prof in PROFILES
               for k, (F, A, B) in enumerate(_planes(c, prof))]
    bad = _mismatches(triples, [metric])
    assert not bad, "\n".join(bad)


def test_matches_reference_on_full_image():
    """480x640 MSRS pair with a mean fusion, each metric under the profiles that define it."""
    from fusionbench.imageio import read_image
    msrs = require_shared("data", "msrs_samples", "test")
    ir, vi = read_image(msrs / "ir" / "00537D.png"), read_image(msrs / "vi" / "00537D.png")
    bad = []
    for prof, p in PROFILES.items():
        _, A, B = (np.ascontiguousarray(x) for x in prepare(ir, ir, vi, p.options).channels[0])
        F = np.round((A + B) / 2)
        bad += _mismatches([("msrs-00537D-mean", F, A, B, prof)], [m for m in METRICS if m in p.native])
    assert not bad, "\n".join(bad)


def test_degenerate_inputs_nan_rules_and_small_images():
    """Flat sources (normalize1 0/0 -> NaN in Qcb/Qcv), F == A, non-integer data, tiny sizes
    (VIFF NaN below 4 scales, 1-pixel borders of the Sobel variants)."""
    rng = np.random.default_rng(0)
    A = rng.integers(0, 256, (24, 30)).astype(float)
    triples = [(A.copy(), A, np.full_like(A, 255.0)), (np.round(A / 2), np.zeros_like(A), np.full_like(A, 7.0))]
    triples += [tuple(rng.integers(0, 256, s).astype(float) for _ in range(3))
                for s in ((1, 5), (5, 1), (2, 2), (12, 13), (33, 40))]
    triples.append(tuple(rng.random((50, 61)) * 255 for _ in range(3)))
    bad = _mismatches([(f"edge{k}", F, A, B, prof) for k, (F, A, B) in enumerate(triples)
                       for prof in PROFILES], METRICS)
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("prof", list(PROFILES))
def test_second_fused_image_hits_source_cache(cases, prof):
    """Same sources (TNO 01, new array objects), another method: no source item is recomputed."""
    metrics = [m for m in METRICS if m in PROFILES[prof].native]
    opts = PROFILES[prof].options
    F1, A, B = _planes(cases[0], prof)[0]
    F2 = _planes(cases[1], prof)[0][0]
    cache = SourceCache()
    for m in metrics:
        EXTRA_KERNELS[m](_Triple(F1, A, B, opts, cache))
    misses, hits = cache.misses, cache.hits
    t = _Triple(F2, A.copy(), B.copy(), opts, cache)
    got = {m: float(EXTRA_KERNELS[m](t)) for m in metrics}
    assert cache.misses == misses
    if any(m in metrics for m in ("VIFF", "Nabf", "Qcb", "Qcv", "Qy", "Qw", "NMI")):
        assert misses > 0 and cache.hits > hits
    for m in metrics:
        assert _close(got[m], float(KERNELS[m](F2, A, B, opts))), m


def test_flat_windows_and_ties_of_the_ssim_window_metrics():
    """Qy / Qc on sources with flat 7x7 windows (their (co)variances are exactly 0 in both) and
    near-ties of Qy's SSIM(A, B) >= 0.75 test and Qc's clipped weights; blocky images with steps of
    1 grey level; Q_TE / NMI / Q_NCIE on two-level images (sparse joint histograms)."""
    rng = np.random.default_rng(5)
    block = np.kron(rng.integers(0, 4, (6, 8)), np.ones((9, 9))).astype(float)  # 54 x 72, flat 9x9 blocks
    noisy = block + (rng.random(block.shape) > 0.97)
    triples = [(noisy, block, 255.0 - block), (block, block, noisy), (np.round((block + noisy) / 2), noisy, block),
               (np.full_like(block, 3.0), block, noisy), ((block > 1) * 255.0, (noisy > 1) * 255.0, block)]
    bad = _mismatches([(f"flat{k}", F, A, B, prof) for k, (F, A, B) in enumerate(triples)
                       for prof in ("mefb", "cddfuse")],
                      ["Qy", "Qc", "Qw", "Qe", "NMI", "Q_TE", "Q_NCIE"])
    assert not bad, "\n".join(bad)


def test_fmi_exact_tests_of_the_toolbox():
    """FMI's exact decisions: windows equal to F's (term 1), a saturated B window against a flat F window
    that the A term normalised to all ones (term 1), flat windows whose pdf is 1 ulp off its mean, and
    two-level windows (a single-spike pdf: index deviation exactly 0)."""
    rng = np.random.default_rng(7)
    block = np.kron(rng.integers(0, 4, (5, 6)), np.ones((7, 7))).astype(float) * 60.0  # flat 7x7 blocks
    spikes = block + 60.0 * (rng.random(block.shape) > 0.9)
    white = np.full_like(block, 255.0)
    triples = [(block, spikes, white), (block, block, white), (spikes, block, spikes), (white, block, white),
               (np.round((block + spikes) / 2), spikes, block), (block / 3.0, spikes / 7.0, block)]
    bad = _mismatches([(f"fmi{k}", F, A, B, prof) for k, (F, A, B) in enumerate(triples)
                       for prof in ("tang2022", "cddfuse")], ["FMI_pixel", "FMI_dct", "FMI_w"])
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("metric", ["MEF_SSIM", "Qp", "MS_SSIM"])
def test_cached_source_terms_follow_the_pair(metric):
    """MEF_SSIM keeps its pair terms under A's entry keyed by B's content, Qp and MS_SSIM each source's
    maps: one shared cache scoring (F, A, B1), (F, A, B2), (F2, A, B1) must agree with the reference
    each time (no stale term from another pair)."""
    rng = np.random.default_rng(3)
    A = rng.integers(0, 256, (176, 180)).astype(np.float64)  # MS_SSIM's 5 scales need 176
    B1 = np.round(np.clip(0.5 * A + rng.normal(0, 30, A.shape) + 50, 0, 255))
    B2 = np.round(np.clip(255 - A + rng.normal(0, 10, A.shape), 0, 255))
    F, F2 = np.round((A + B1) / 2), np.round(np.maximum(A, B2))
    cache, finite = SourceCache(), 0
    for prof in ("mefb", "tang2022"):
        opts = PROFILES[prof].options
        for G, X, Y in ((F, A, B1), (F, A, B2), (F2, A, B1), (F2, B2, A)):
            got = float(EXTRA_KERNELS[metric](_Triple(G, X, Y, opts, cache)))
            ref = float(KERNELS[metric](G, X, Y, opts))
            assert _close(got, ref), (prof, metric, got, ref)
            finite += np.isfinite(ref)
    assert finite >= 4
