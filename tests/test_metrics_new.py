"""Issue #15 metrics on hand-made cases: identities and closed forms from the papers' formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fusionbench as fb


def _texture(shape=(48, 56), seed=3):
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(128, 40, shape), 0, 255).round().astype(np.uint8)


def _score(F, A, B, metric, profile="mefb", **kw):
    return fb.compute(F, A, B, metrics=[metric], profile=profile, backend="numpy", **kw)[metric]


@pytest.mark.parametrize("metric,kw", [("Qy", {}), ("Qc", {}), ("Qw", {"qw_input": "image"}),
                                       ("Qw", {"qw_input": "edges"}), ("Qe", {})])
def test_ssim_family_is_one_when_everything_is_equal(metric, kw):
    A = _texture()
    assert _score(A, A, A, metric, **kw) == pytest.approx(1.0, abs=1e-12)


def test_qe_is_the_product_of_the_two_qw_forms():
    A, B = _texture(seed=1), _texture(seed=2)
    F = ((A.astype(int) + B) // 2).astype(np.uint8)
    qw_img = _score(F, A, B, "Qw", qw_input="image")
    qw_edge = _score(F, A, B, "Qw", qw_input="edges")
    assert _score(F, A, B, "Qe") == pytest.approx(qw_img * qw_edge, rel=1e-12)
    assert 0 < qw_img < 1 and 0 < qw_edge < 1


def test_ssim_family_prefers_the_better_fusion():
    A, B = _texture(seed=1), _texture(seed=2)
    avg = ((A.astype(int) + B) // 2).astype(np.uint8)
    rng = np.random.default_rng(9)
    noise = np.clip(avg + rng.normal(0, 60, avg.shape), 0, 255).round().astype(np.uint8)  # a noisy fusion
    # (NMI and Q_NCIE left out: 256 x 256 joint histograms of 2,688 pixels are dominated by bias)
    for m in ("Qy", "Qc", "Qw", "Qe", "MEF_SSIM"):
        assert _score(avg, A, B, m) > _score(noise, A, B, m), m


def test_nmi_identity_is_two():
    A = _texture()
    assert _score(A, A, A, "NMI") == pytest.approx(2.0, rel=1e-12)


def _independent_triple():
    """A, B, F on 4 levels each, every (a, b, f) combination equally often: pairwise independent."""
    lv = np.array([0, 85, 170, 255])
    a, b, f = np.meshgrid(lv, lv, lv, indexing="ij")
    return tuple(np.tile(x.reshape(8, 8), (2, 2)).astype(np.uint8) for x in (f, a, b))


def test_ncie_closed_form_for_independent_images():
    """All pairwise NCC are 0, so R = I, eigenvalues 1, 1, 1: Q_NCIE = 1 - log2(3) / 8."""
    F, A, B = _independent_triple()
    assert _score(F, A, B, "Q_NCIE") == pytest.approx(1 - math.log2(3) / 8, rel=1e-12)
    assert _score(F, A, B, "NMI") == pytest.approx(0.0, abs=1e-12)


def test_ncie_closed_form_when_f_copies_a_source():
    """F = A, B independent of both, A and B uniform on 4 levels (NCC(A, F) = 2 bits / 8 = 1/4):
    R = [[1, 0, 1/4], [0, 1, 0], [1/4, 0, 1]], eigenvalues 1, 3/4, 5/4."""
    _, A, B = _independent_triple()
    lam = np.array([1.0, 0.75, 1.25])
    want = 1 + np.sum(lam / 3 * np.log2(lam / 3)) / 8
    assert _score(A, A, B, "Q_NCIE") == pytest.approx(want, rel=1e-12)


def test_mef_ssim_of_a_source_stack_of_one_image():
    """F = A = B: the desired structure is A's patch scaled by (norm + 0.001) / norm, so the value is
    1 up to the 0.001 stabiliser and C; single scale and three scales."""
    A = _texture((64, 72))
    for scales in (1, 3):
        v = _score(A, A, A, "MEF_SSIM", mef_ssim_scales=scales)
        assert 0.999 < v <= 1.0 + 1e-12


def test_small_images_are_nan():
    A = _texture((10, 40))
    for m in ("Qy", "Qc", "Qw", "Qe", "MEF_SSIM"):
        assert math.isnan(_score(A, A, A, m)), m
    A = _texture((30, 40))  # 3 scales need 44 pixels
    assert math.isnan(_score(A, A, A, "MEF_SSIM"))
    assert not math.isnan(_score(A, A, A, "MEF_SSIM", mef_ssim_scales=1))


@pytest.mark.parametrize("metric", ["FMI_pixel", "FMI_dct", "FMI_w"])
def test_fmi_identity_and_range(metric):
    A, B = _texture(seed=1), _texture(seed=2)
    assert _score(A, A, A, metric, profile="tang2022") == 1.0  # every window equals: 1 by definition
    F = ((A.astype(int) + B) // 2).astype(np.uint8)
    v = _score(F, A, B, metric, profile="tang2022")
    assert 0.0 < v < 1.0
    assert v > _score(np.ascontiguousarray(F[::-1]), A, B, metric, profile="tang2022")  # a scrambled F


def test_fmi_hand_made_window():
    """One 3 x 3 window, F = 2 A (so equal after normalisation but not equal): c = 1, the joint pdf is
    the upper Frechet bound (the diagonal), I = H, so FMI_AF = 2 H / (H + H) = 1; B = F gives 1 too."""
    A = np.array([[10, 20, 30], [40, 50, 60], [70, 80, 90]], dtype=np.uint8)
    F = 2 * A
    assert _score(F, A, F, "FMI_pixel", profile="tang2022") == pytest.approx(1.0, rel=1e-12)


def test_ms_ssim_identity_combination_and_size():
    A, B = _texture((192, 200), seed=1), _texture((192, 200), seed=2)
    assert _score(A, A, A, "MS_SSIM", profile="cddfuse") == pytest.approx(2.0, rel=1e-12)  # sum
    assert _score(A, A, A, "MS_SSIM", profile="tang2023") == pytest.approx(1.0, rel=1e-12)  # mean
    F = ((A.astype(int) + B) // 2).astype(np.uint8)
    v = _score(F, A, B, "MS_SSIM", profile="cddfuse")
    assert 0 < v < 2
    assert math.isnan(_score(A[:170], A[:170], A[:170], "MS_SSIM"))  # 170 / 16 < 11


def test_qp_properties_and_constant_images():
    """The sources' feature maps are masked (PC > 0.1) but F's are not, so even F = A = B scores below 1
    (the correlations drop at the mask borders); a noisy copy scores lower still; constant: NaN."""
    A = _texture((64, 72))
    same = _score(A, A, A, "Qp")
    assert 0.0 < same < 1.0
    rng = np.random.default_rng(4)
    noisy = np.clip(A + rng.normal(0, 40, A.shape), 0, 255).round().astype(np.uint8)
    assert -1.0 <= _score(noisy, A, A, "Qp") < same
    flat = np.full((64, 72), 90, np.uint8)
    assert math.isnan(_score(flat, flat, flat, "Qp"))
