"""Torch kernels of Qy, Qc, Qw, Qe, NMI, Q_TE and Q_NCIE (``backends._torch_piella``) agree with
the NumPy reference kernels within 1e-9 relative, in float64 and in the float32 fast mode (where
they run in float64 too): under every profile's options on real crops, on a full 480x640 pair,
on flat 7x7 / 11x11 windows, near-ties of Qy's and Qc's exact tests, constant and tiny images;
batched scoring equals one-by-one scoring, and a second fused image reuses the source cache.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_shared

from fusionbench.metrics import PROFILES, REGISTRY, prepare
from fusionbench.metrics.registry import KERNELS

torch = pytest.importorskip("torch")

from fusionbench.backends._torch_piella import KERNELS as TORCH_KERNELS  # noqa: E402
from fusionbench.backends.torch_backend import TorchBackend  # noqa: E402

RTOL, ATOL = 1e-9, 1e-12
METRICS = ["Qy", "Qc", "Qw", "Qe", "NMI", "Q_TE", "Q_NCIE"]
DTYPES = {"torch": torch.float64, "torch-fp32": torch.float32}


def _crop(path, box):
    from fusionbench.imageio import read_image
    (r0, r1), (c0, c1) = box
    return read_image(path)[r0:r1, c0:c1]


def crop_cases():
    """(name, fused, ir, vi) uint8 crops, the cases of test_backends_numba_extra: TNO (gray fused,
    RGB visible), a VIFB colour JPEG result, MSRS with a max fusion."""
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


@pytest.fixture(scope="module")
def cases():
    return crop_cases()


def crop_triples(cases):
    """(label, F, A, B, profile) for every crop, profile and channel."""
    out = []
    for c in cases:
        for prof in PROFILES:
            for k, p in enumerate(prepare(*c[1:], PROFILES[prof].options).channels):
                F, A, B = (np.ascontiguousarray(x, dtype=np.float64) for x in p)
                out.append((f"{c[0]}/ch{k}", F, A, B, prof))
    return out


def full_triples():
    """480x640 MSRS pair with a mean fusion, under each profile (with the metrics it lists)."""
    from fusionbench.imageio import read_image
    msrs = require_shared("data", "msrs_samples", "test")
    ir, vi = read_image(msrs / "ir" / "00537D.png"), read_image(msrs / "vi" / "00537D.png")
    out = []
    for prof, p in PROFILES.items():
        _, A, B = (np.ascontiguousarray(x) for x in prepare(ir, ir, vi, p.options).channels[0])
        out.append(("msrs-00537D-mean", np.round((A + B) / 2), A, B, prof))
    return out


def flat_triples():
    """Sources with flat 7x7 and 11x11 windows, steps of one grey level (near-ties of Qy's
    SSIM(A, B) >= 0.75 and of Qc's weight clipping), a constant fused image, two-level images
    (sparse joint histograms), F == A and a source equal to F's negative."""
    rng = np.random.default_rng(5)
    block = np.kron(rng.integers(0, 4, (6, 8)), np.ones((9, 9))).astype(float)  # 54 x 72, flat 9x9 blocks
    big = np.kron(rng.integers(0, 3, (4, 5)), np.ones((13, 13))).astype(float)  # flat 13x13 blocks
    noisy = block + (rng.random(block.shape) > 0.97)
    bnoisy = big + (rng.random(big.shape) > 0.98)
    return [(noisy, block, 255.0 - block), (block, block, noisy), (np.round((block + noisy) / 2), noisy, block),
            (np.full_like(block, 3.0), block, noisy), ((block > 1) * 255.0, (noisy > 1) * 255.0, block),
            (noisy, noisy, noisy), (bnoisy, big, big), (big, bnoisy, np.zeros_like(big)),
            (np.round((big + bnoisy) / 2), 2.0 - big, bnoisy)]


def degenerate_triples():
    """Constant images (normalize1 0/0 -> NaN; all-zero images stay 0), tiny sizes (NaN under 11
    pixels), sizes at the windows' edges, non-integer data."""
    rng = np.random.default_rng(0)
    A = rng.integers(0, 256, (24, 30)).astype(float)
    out = [(A.copy(), A, np.full_like(A, 255.0)), (np.round(A / 2), np.zeros_like(A), np.full_like(A, 7.0)),
           (np.zeros_like(A), A, np.zeros_like(A)), (np.full_like(A, 77.0),) * 3]
    out += [tuple(rng.integers(0, 256, s).astype(float) for _ in range(3))
            for s in ((1, 5), (5, 1), (2, 2), (7, 7), (10, 12), (11, 11), (12, 13), (33, 40))]
    out.append(tuple(rng.random((50, 61)) * 255 for _ in range(3)))
    return out


def _close(got, ref):
    if np.isnan(ref) or np.isnan(got):
        return bool(np.isnan(ref) and np.isnan(got))
    return abs(got - ref) <= RTOL * abs(ref) + ATOL


def _mismatches(triples, metrics, backend="torch"):
    """[message] over (label, F, A, B, profile): the torch kernels vs the reference (fresh backend)."""
    bad = []
    with np.errstate(all="ignore"):
        for label, F, A, B, prof in triples:
            opts = PROFILES[prof].options
            got = TorchBackend("cpu", DTYPES[backend]).score(F, A, B, metrics, opts)
            for m in metrics:
                ref = float(KERNELS[m](F, A, B, opts))
                if not _close(got[m], ref):
                    bad.append(f"{backend}/{label}/{prof}/{m}: {got[m]!r} vs {ref!r}")
    return bad


def test_kernels_are_registered_for_torch():
    for m in METRICS:
        assert m in TORCH_KERNELS
        assert REGISTRY[m].fast["torch"] == 1e-9 and REGISTRY[m].fast["torch-fp32"] == 1e-9


@pytest.mark.parametrize("backend", list(DTYPES))
@pytest.mark.parametrize("metric", METRICS)
def test_matches_reference_on_crops(cases, metric, backend):
    bad = _mismatches(crop_triples(cases), [metric], backend)
    assert not bad, "\n".join(bad)


def test_matches_reference_on_full_image():
    bad = []
    for label, F, A, B, prof in full_triples():
        native = [m for m in METRICS if m in PROFILES[prof].native or (m == "Qe" and prof == "mefb")]
        if native:
            bad += _mismatches([(label, F, A, B, prof)], native)
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("backend", list(DTYPES))
def test_flat_windows_and_ties_of_the_ssim_window_metrics(backend):
    triples = [(f"flat{k}", F, A, B, prof) for k, (F, A, B) in enumerate(flat_triples())
               for prof in ("mefb", "cddfuse")]
    bad = _mismatches(triples, METRICS, backend)
    assert not bad, "\n".join(bad)


def test_flat_cases_hit_the_exact_branches():
    """The flat cases do reach the exact-zero, tie and clipping branches they are meant to test."""
    from fusionbench.metrics.reference.filters import gaussian_1d
    from fusionbench.metrics.reference.similarity import _C_YANG, _flat, _ssim_map
    g = gaussian_1d(7, 1.5)
    n_flat = n_ties = n_clip = 0
    for F, A, B in flat_triples():
        n_flat += int(_flat(A, 7).sum() + _flat(B, 7).sum())
        with np.errstate(all="ignore"):
            sab = _ssim_map(A, B, g, _C_YANG, _C_YANG, exact_flat=True)[0]
            caf = _ssim_map(A, F, g, _C_YANG, _C_YANG, exact_flat=True)[3]
            cbf = _ssim_map(B, F, g, _C_YANG, _C_YANG, exact_flat=True)[3]
            s = caf / (caf + cbf)
        n_ties += int(np.sum(np.abs(sab - 0.75) < 0.05))
        n_clip += int(np.sum((s < 0) | (s > 1)))
    assert n_flat > 1000 and n_ties > 0 and n_clip > 0


@pytest.mark.parametrize("backend", list(DTYPES))
def test_degenerate_inputs_nan_rules_and_small_images(backend):
    triples = [(f"edge{k}", F, A, B, prof) for k, (F, A, B) in enumerate(degenerate_triples())
               for prof in PROFILES]
    bad = _mismatches(triples, METRICS, backend)
    assert not bad, "\n".join(bad)


def test_batch_equals_single_with_a_nan_member():
    """A batch mixing a constant image (NaN for NMI / Q_TE / Q_NCIE) with real ones: each member's
    value is its one-by-one value."""
    rng = np.random.default_rng(3)
    trip = [tuple(rng.integers(0, 256, (40, 52)).astype(float) for _ in range(3)) for _ in range(2)]
    trip.append((np.full((40, 52), 9.0), trip[0][1], trip[0][2]))
    Fs, As, Bs = (np.stack([t[i] for t in trip]) for i in range(3))
    for prof in ("mefb", "cddfuse"):
        opts = PROFILES[prof].options
        batch = TorchBackend("cpu", torch.float64).score_batch(Fs, As, Bs, METRICS, opts)
        for n, (F, A, B) in enumerate(trip):
            single = TorchBackend("cpu", torch.float64).score(F, A, B, METRICS, opts)
            for m in METRICS:
                v, s = float(batch[m][n]), single[m]
                assert (np.isnan(v) and np.isnan(s)) or abs(v - s) <= 1e-12 * abs(s), (prof, n, m)
    assert np.isnan(batch["NMI"][2]) and not np.isnan(batch["Qw"][2])


def test_second_fused_image_hits_source_cache(cases):
    """Same sources (TNO 01, new array objects), another method: the sources' window statistics,
    edge maps and levels come from the cache, and the values still agree."""
    opts = PROFILES["mefb"].options
    (_, F1, A, B, _), (_, F2, _, _, _) = [t for t in crop_triples(cases[:2]) if t[4] == "mefb"][:2]
    be = TorchBackend("cpu", torch.float64)
    be.score(F1, A, B, METRICS, opts)
    entry = be._entry(be._tensor(A))
    keys = set(entry)
    assert ("win", 7, True, False) in keys and "norm1_levels" in keys and "prewitt" in keys
    got = be.score(F2, A.copy(), B.copy(), METRICS, opts)
    assert set(be._entry(be._tensor(A))) == keys  # nothing new computed for the source
    for m in METRICS:
        assert _close(got[m], float(KERNELS[m](F2, A, B, opts))), m
