"""Property tests (hypothesis) that every metric and profile passes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from metric_harness import (
    ALL_METRICS,
    ASYMMETRIC,
    MAY_BE_NAN,
    PROFILE_NAMES,
    in_card_range,
    random_triple,
)

import fusionbench as fb
from fusionbench.metrics.reference.vif import scipy_gives_value

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])

shapes = st.tuples(st.integers(20, 36), st.integers(20, 40))
seeds = st.integers(0, 2**32 - 1)


def _all(F, A, B, profile, **kw):
    return fb.compute(F, A, B, metrics=list(ALL_METRICS), profile=profile, **kw)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_symmetric_in_sources(profile, shape, seed):
    F, A, B = random_triple(np.random.default_rng(seed), shape)
    r1, r2 = _all(F, A, B, profile), _all(F, B, A, profile)
    for m in ALL_METRICS:
        if m not in ASYMMETRIC:
            assert r1[m] == pytest.approx(r2[m], rel=1e-9, abs=1e-12, nan_ok=True), m


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_values_in_card_range(profile, shape, seed):
    F, A, B = random_triple(np.random.default_rng(seed), shape)
    r = _all(F, A, B, profile)
    for m, v in r.items():
        assert not math.isnan(v) or m in MAY_BE_NAN, m
        assert math.isnan(v) or in_card_range(m, v), (m, v)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_uint8_and_float_agree(profile, shape, seed):
    F, A, B = random_triple(np.random.default_rng(seed), shape)
    r8 = _all(F, A, B, profile)
    rf = _all(*(x.astype(np.float64) for x in (F, A, B)), profile)
    ru = _all(*(x.astype(np.float32) / 255.0 for x in (F, A, B)), profile, input_range="unit")
    for m in ALL_METRICS:
        assert rf[m] == pytest.approx(r8[m], rel=1e-12, nan_ok=True), m
        assert ru[m] == pytest.approx(r8[m], rel=1e-12, nan_ok=True), m


@SETTINGS
@given(shape=shapes, seed=seeds)
def test_identities_when_fused_equals_both_sources(shape, seed):
    _, A, _ = random_triple(np.random.default_rng(seed), shape)
    r = fb.compute(A, A, A, metrics=list(ALL_METRICS))
    assert r["SSIM"] == pytest.approx(2.0, abs=1e-6)  # sum of two perfect SSIMs
    assert r["CC"] == pytest.approx(1.0, abs=1e-12)
    assert math.isnan(r["SCD"])  # r(F - B, A) with F - B = 0: 0/0, as the evaluator
    assert r["MSE"] == 0.0 and r["PSNR"] == math.inf
    if scipy_gives_value(*shape):  # else the evaluator's scipy 'valid' filtering raises: NaN
        assert r["VIF"] == pytest.approx(2.0, rel=1e-6)
    else:
        assert math.isnan(r["VIF"])
    p = np.bincount(A.ravel(), minlength=256) / A.size
    h = -np.sum(p[p > 0] * np.log(p[p > 0]))
    assert r["MI"] == pytest.approx(2 * h, rel=1e-12)  # I(A; A) = H(A), nats
    qa = 0.9879 / (1 + math.exp(-22 * (1 - 0.8)))
    assert 0.99885 * qa - 1e-6 <= r["Qabf"] <= 0.9994 * qa + 1e-6  # the G = gF quirk on 0..255
    exact = fb.compute(A, A, A, metrics=["Qabf"], qabf_equal_g="one")["Qabf"]
    assert exact == pytest.approx(0.9994 / (1 + math.exp(-15 * 0.5)) * qa, rel=1e-12)
    r_vifb = fb.compute(A, A, A, metrics=["SSIM", "Qcb", "Qcv", "CE", "RMSE"], profile="vifb")
    assert r_vifb["SSIM"] == pytest.approx(2.0, abs=1e-9)
    assert r_vifb["Qcb"] == pytest.approx(1.0, abs=1e-12)
    assert r_vifb["Qcv"] == 0.0 and r_vifb["CE"] == 0.0 and r_vifb["RMSE"] == 0.0


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize("shape", [(8, 8), (1, 30), (30, 1), (3, 5), (40, 40)])
@pytest.mark.parametrize("kind", ["constant", "random"])
def test_no_crash_on_constant_tiny_and_one_row_images(profile, shape, kind):
    rng = np.random.default_rng(0)
    if kind == "constant":
        F = A = B = np.full(shape, 77, np.uint8)
    else:
        F, A, B = (rng.integers(0, 256, shape).astype(np.uint8) for _ in range(3))
    r = _all(F, A, B, profile)
    assert set(r) == set(ALL_METRICS)
    for m, v in r.items():
        assert isinstance(v, float)
        if m == "AG" and 1 in shape and profile != "cddfuse":
            assert v == math.inf or math.isnan(v)  # (M-1)(N-1) = 0, as MATLAB (documented on the card)
            continue
        assert math.isnan(v) or in_card_range(m, v), (m, v)


def test_constant_image_rules_per_profile():
    F = A = B = np.full((40, 40), 77, np.uint8)
    # VIF: flat reference -> vifp = 0/0; the CDDFuse evaluator maps it to 1.0 per source (from 41 px;
    # below, scipy's swapped 'valid' windows see part of the window: 2 - 2e-11, tests/test_vif_small.py)
    flat = np.full((48, 48), 77, np.uint8)
    assert fb.compute(flat, flat, flat, metrics=["VIF"])["VIF"] == 2.0
    assert math.isnan(fb.compute(flat, flat, flat, metrics=["VIF"], profile="tang2023")["VIF"])
    # Qabf: no source gradient at all (zero padding makes a flat non-zero image's border an edge)
    zero = np.zeros((40, 40), np.uint8)
    assert math.isnan(fb.compute(zero, zero, zero, metrics=["Qabf"])["Qabf"])
    assert fb.compute(F, A, B, metrics=["EN", "SD", "SF", "AG"]) == {"EN": 0.0, "SD": 0.0, "SF": 0.0, "AG": 0.0}
