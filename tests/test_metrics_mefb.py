"""The ``mefb`` profile reproduces MEFB's MATLAB metric functions as run in GNU Octave.

``../shared/oracles/mefb_octave_tno42.csv`` (README beside it): TNO-42 images 01-06 x 9 methods for
Qy, Qc, Qw, Qcb, Qcv, VIF (Han's, our VIFF), SD, AG, PSNR, plus a few rows of EN, SF, CE, EI,
Qabf, NMI, TE, Qncie, MEF_SSIM. Every value must agree within 1e-9 relative, except where the toolbox's
own value is decided by float64 rounding (stated per metric below, each an assertion that fails if
the deviation grows or spreads).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest
from conftest import require_shared
from parity_claims import check, record, tolerance
from scipy import ndimage

import fusionbench as fb
from fusionbench.metrics.pipeline import load, to_gray

MEFB_NAMES = {
    "Avg_gradient": "AG", "Cross_entropy": "CE", "Edge_intensity": "EI", "Entropy": "EN", "NMI": "NMI",
    "Psnr": "PSNR", "Qabf": "Qabf", "Qc": "Qc", "Qcb": "Qcb", "Qcv": "Qcv", "Qncie": "Q_NCIE", "Qw": "Qw",
    "Qy": "Qy", "SD": "SD", "Spatial_frequency": "SF", "TE": "Q_TE", "VIF": "VIFF", "MEF_SSIM": "MEF_SSIM", "Qp": "Qp",
}
RTOL = tolerance("mefb", "EN")  # the claim for every mefb metric (tests/parity_claims.py)
# MEFB's Qcb normalises im2double'd uint8 images; with VIFB's order (doubles on 0..255) these three
# results round their normalize1 ties the other way
QCB_TIE_ROWS = (("02.png", "PIAFusion"), ("03.png", "PIAFusion"), ("06.png", "PIAFusion"))
# Qc: where a source has a constant 7x7 window, cov(X, F) is +-1e-13 in float64 and its sign
# picks 0, 1 or the SSIM for that window (C = 2e-16); Octave's order of sums decides there
QC_FLAT_RTOL = 2e-2


def _job(job):
    root, image, method, metrics = job
    r = fb.compute(os.path.join(root, "fused", method, image), os.path.join(root, "ir", image),
                   os.path.join(root, "vi", image), metrics=metrics, profile="mefb", backend="numpy")
    return [(image, method, m, r[m]) for m in metrics]


def _has_flat_window(root, image, n=7):
    for kind in ("ir", "vi"):
        x = to_gray(load(os.path.join(root, kind, image), kind, quantize="round_away"), "matlab")
        flat = ndimage.maximum_filter(x, size=n) == ndimage.minimum_filter(x, size=n)
        if flat[n // 2:-(n // 2), n // 2:-(n // 2)].any():
            return True
    return False


@pytest.fixture(scope="module")
def mefb_rows():
    oracle = pd.read_csv(require_shared("oracles", "mefb_octave_tno42.csv"))
    root = str(require_shared("data", "tno42"))
    oracle = oracle[oracle.metric.isin(MEFB_NAMES)].copy()
    oracle["ours_name"] = oracle.metric.map(MEFB_NAMES)
    jobs = [(root, img, meth, list(sub.ours_name)) for (img, meth), sub in oracle.groupby(["image", "method"])]
    workers = int(os.environ.get("FUSIONBENCH_TEST_WORKERS", min(2, os.cpu_count() or 1)))
    if workers <= 1:
        got = {(i, me, m): v for job in jobs for i, me, m, v in _job(job)}
    else:
        with ProcessPoolExecutor(workers) as pool:
            got = {(i, me, m): v for rows in pool.map(_job, jobs) for i, me, m, v in rows}
    oracle["ours"] = [got[r.image, r.method, r.ours_name] for r in oracle.itertuples()]
    oracle["rel"] = (oracle.ours - oracle.value).abs() / oracle.value.abs()
    flat = {img: _has_flat_window(root, img) for img in oracle.image.unique()}
    oracle["flat"] = oracle.image.map(flat)
    return oracle


def test_mefb_oracle_covers_the_metrics(mefb_rows):
    counts = mefb_rows.groupby("metric").size()
    for m in ("Qy", "Qc", "Qw", "Qcb", "Qcv", "VIF", "SD", "Avg_gradient", "Psnr"):
        assert counts[m] == 54, m
    assert set(MEFB_NAMES) <= set(counts.index)


def test_mefb_profile_matches_octave_within_1e_9(mefb_rows):
    r = mefb_rows
    claimed = r[~r.metric.isin(["Qy", "Qc"]) | ~r.flat]  # Qy, Qc: on images without a flat source window
    achieved = {}
    for name, g in claimed.groupby("ours_name"):
        err = (g.ours - g.value).abs()
        worst = g.loc[g.rel.idxmax()]
        achieved[name] = {"n": int(len(g)), "max_abs": float(err.max()), "max_rel": float(g.rel.max()),
                          "where": f"{worst.image}/{worst.method}"}
    flat = r[r.metric.isin(["Qy", "Qc"]) & r.flat]
    record("mefb", achieved, data=str(require_shared("data", "tno42")),
           note=f"Qy, Qc: {len(flat)} rows on images with a flat 7x7 source window not in the claim "
                f"(Qy: {int((flat[flat.metric == 'Qy'].rel > RTOL).sum())} above 1e-9; Qc worst "
                f"{flat[flat.metric == 'Qc'].rel.max():.1e})")
    bad = check("mefb", achieved)
    assert not bad, "\n".join(bad)
    strict = r[~r.metric.isin(["Qy", "Qc"])]
    bad = strict[~(strict.rel <= RTOL)]
    assert bad.empty, bad[["image", "method", "metric", "ours", "value", "rel"]].to_string()
    for name, worst in strict.groupby("metric").rel.max().items():
        print(f"{name:18s} {worst:.1e}")


def test_mefb_qcb_needs_its_im2double_normalisation(mefb_rows):
    """With VIFB's normalisation order (qcb_normalize='double') the PIAFusion rows move off MEFB's values."""
    root = str(require_shared("data", "tno42"))
    q = mefb_rows[mefb_rows.metric == "Qcb"].set_index(["image", "method"]).value
    for image, method in QCB_TIE_ROWS:
        r = fb.compute(os.path.join(root, "fused", method, image), os.path.join(root, "ir", image),
                       os.path.join(root, "vi", image), metrics=["Qcb"], profile="mefb", qcb_normalize="double",
                       backend="numpy")["Qcb"]
        assert 1e-6 < abs(r - q[image, method]) / q[image, method] < 3e-4, (image, method)


def test_mefb_qy_qc_exact_where_no_source_window_is_flat(mefb_rows):
    r = mefb_rows[mefb_rows.metric.isin(["Qy", "Qc"])]
    clean = r[~r.flat]
    assert len(clean) >= 18  # at least one image (x 9 methods) for each of the two metrics
    assert (clean.rel <= RTOL).all(), clean[clean.rel > RTOL].to_string()
    qy = r[(r.metric == "Qy") & r.flat]
    assert (qy.rel <= RTOL).sum() >= len(qy) - 2  # TNO 03: FusionGAN 3.7e-4, RFN-Nest (Octave 1.36)
    qc = r[(r.metric == "Qc") & r.flat]
    assert (qc.rel <= QC_FLAT_RTOL).all(), qc[qc.rel > QC_FLAT_RTOL].to_string()


def test_tsallis_hand_made_case():
    """Paper formula: I_q(X; X) for X uniform on k levels is (1 - k^(q-1)) / (1 - q), q = 1.85."""
    x = np.tile(np.array([0, 85, 170, 255], dtype=np.uint8), (8, 4))  # 4 levels, equally often
    want = 2 * (1 - 4 ** 0.85) / (1 - 1.85)
    for marg in ("paper", "mefb"):  # F = A = B: both index orders agree
        got = fb.compute(x, x, x, metrics=["Q_TE"], profile="mefb", te_marginals=marg, backend="numpy")["Q_TE"]
        assert got == pytest.approx(want, rel=1e-12)


def test_mefb_te_follows_the_toolbox_not_the_paper():
    """MEFB's TE pairs transposed marginals; on unequal sources the two forms differ."""
    rng = np.random.default_rng(1)
    A = rng.integers(0, 256, (40, 48)).astype(np.uint8)
    B = np.clip(rng.normal(60, 20, (40, 48)), 0, 255).astype(np.uint8)
    F = ((A.astype(int) + B) // 2).astype(np.uint8)
    mefb = fb.compute(F, A, B, metrics=["Q_TE"], profile="mefb", backend="numpy")["Q_TE"]
    paper = fb.compute(F, A, B, metrics=["Q_TE"], profile="mefb", te_marginals="paper", backend="numpy")["Q_TE"]
    assert np.isfinite(paper) and np.isfinite(mefb) and abs(mefb - paper) > 1e-3 * abs(paper)


MEF_CROPS = {"tno01": ("01.png", (slice(150, 246), slice(200, 328))),
             "tno03": ("03.png", (slice(100, 196), slice(100, 228)))}


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_mef_ssim_matches_tangs_code_in_octave(backend):
    """tests/data/mef_ssim_octave.csv: Tang's mef_ssim.m (1 scale) and analysis_ms_ssim.m (3 scales)
    run in Octave on TNO crops (tests/data/README.md); tang2022 uses 1 scale, mefb 3."""
    if backend == "torch":
        pytest.importorskip("torch")
    root = require_shared("data", "tno42")
    ref = pd.read_csv(os.path.join(os.path.dirname(__file__), "data", "mef_ssim_octave.csv"))
    assert len(ref) == 8
    for row in ref.itertuples():
        tag, method = row.case.split("_", 1)
        image, crop = MEF_CROPS[tag]
        F, A, B = (to_gray(load(os.path.join(root, *parts), "x", quantize="round_away"), "matlab")[crop]
                   for parts in (("fused", method, image), ("ir", image), ("vi", image)))
        profile = "tang2022" if row.scales == 1 else "mefb"
        got = fb.compute(F, A, B, metrics=["MEF_SSIM"], profile=profile, backend=backend)["MEF_SSIM"]
        assert got == pytest.approx(row.value, rel=RTOL), (row.case, row.scales)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_fmi_matches_tangs_code_in_octave(backend):
    """tests/data/fmi_octave.csv: Tang's analysis_fmi.m ('none', 'dct') in Octave on 40 x 48 TNO crops."""
    root = require_shared("data", "tno42")
    ref = pd.read_csv(os.path.join(os.path.dirname(__file__), "data", "fmi_octave.csv"))
    assert len(ref) == 8
    names = {"none": "FMI_pixel", "dct": "FMI_dct"}
    for row in ref.itertuples():
        tag, method = row.case.split("_", 1)
        image, (rows, cols) = MEF_CROPS[tag]
        crop = (slice(rows.start, rows.start + 40), slice(cols.start, cols.start + 48))
        F, A, B = (to_gray(load(os.path.join(root, *parts), "x", quantize="round_away"), "matlab")[crop]
                   for parts in (("fused", method, image), ("ir", image), ("vi", image)))
        metric = names[row.feature]
        got = fb.compute(F, A, B, metrics=[metric], profile="tang2022", backend=backend)[metric]
        assert got == pytest.approx(row.value, rel=RTOL), (row.case, row.feature)


def _fmi_w_cases():
    root = require_shared("data", "tno42")
    ref = pd.read_csv(os.path.join(os.path.dirname(__file__), "data", "fmi_w_octave.csv"))
    assert len(ref) == 8
    for row in ref.itertuples():
        crop = (slice(row.row0, row.row0 + row.height), slice(row.col0, row.col0 + row.width))
        F, A, B = (to_gray(load(os.path.join(root, *parts), "x", quantize="round_away"), "matlab")[crop]
                   for parts in (("fused", row.method, row.image), ("ir", row.image), ("vi", row.image)))
        yield row, F, A, B


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_fmi_w_matches_tangs_code_in_octave(backend):
    """tests/data/fmi_w_octave.csv: Tang's analysis_fmi.m ('wavelet') in Octave with MATLAB's dwt2 and
    dmey.mat, on 40 x 48 crops (sides shorter than the 101-sample extension: repeated reflection) and
    120 x 136 crops."""
    for row, F, A, B in _fmi_w_cases():
        got = fb.compute(F, A, B, metrics=["FMI_w"], profile="tang2022", backend=backend)["FMI_w"]
        assert got == pytest.approx(row.value, rel=RTOL), row.case


def test_ms_ssim_matches_pytorch_msssim():
    """tests/data/ms_ssim_pytorch_msssim.json: pytorch_msssim's MS-SSIM on 192 x 256 TNO crops."""
    import json

    from fusionbench.metrics.reference.msssim import ms_ssim_pair
    root = require_shared("data", "tno42")
    ref = json.loads(open(os.path.join(os.path.dirname(__file__), "data", "ms_ssim_pytorch_msssim.json")).read())
    assert len(ref["cases"]) == 8
    for c in ref["cases"]:
        crop = (slice(*c["rows"]), slice(*c["cols"]))
        F, X = (to_gray(load(os.path.join(root, *parts), "x", quantize="round_away"), "matlab")[crop]
                for parts in (("fused", c["method"], c["image"]), (c["source"], c["image"])))
        exact = ms_ssim_pair(F, X, window=ref["window_float32"])
        assert exact == pytest.approx(c["value"], rel=1e-12, abs=1e-15), c
        assert ms_ssim_pair(F, X) == pytest.approx(c["value"], rel=1e-4, abs=1e-15), c


def test_qw_image_matches_liu_code_in_octave():
    """tests/data/qw_octave.csv: Zheng Liu's metricPeilla.m (sw = 2) in Octave on 96 x 128 TNO crops."""
    root = require_shared("data", "tno42")
    ref = pd.read_csv(os.path.join(os.path.dirname(__file__), "data", "qw_octave.csv"))
    assert len(ref) == 4
    for row in ref.itertuples():
        tag, method = row.case.split("_", 1)
        image, crop = MEF_CROPS[tag]
        F, A, B = (to_gray(load(os.path.join(root, *parts), "x", quantize="round_away"), "matlab")[crop]
                   for parts in (("fused", method, image), ("ir", image), ("vi", image)))
        got = fb.compute(F, A, B, metrics=["Qw"], profile="mefb", qw_input="image", backend="numpy")["Qw"]
        assert got == pytest.approx(row.value, rel=RTOL), row.case


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_qp_matches_mefb_code_in_octave(backend):
    """tests/data/qp_octave.csv: MEFB's metricsQp.m in Octave on 96 x 128 TNO crops."""
    if backend == "torch":
        pytest.importorskip("torch")
    root = require_shared("data", "tno42")
    ref = pd.read_csv(os.path.join(os.path.dirname(__file__), "data", "qp_octave.csv"))
    assert len(ref) == 4
    for row in ref.itertuples():
        tag, method = row.case.split("_", 1)
        image, crop = MEF_CROPS[tag]
        F, A, B = (to_gray(load(os.path.join(root, *parts), "x", quantize="round_away"), "matlab")[crop]
                   for parts in (("fused", method, image), ("ir", image), ("vi", image)))
        got = fb.compute(F, A, B, metrics=["Qp"], profile="mefb", backend=backend)["Qp"]
        assert got == pytest.approx(row.value, rel=RTOL), row.case
