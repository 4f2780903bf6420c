"""Named metric tables (issue #15): ``tang2022-full`` lists exactly what Tang's 2022 MATLAB toolbox
prints and reproduces its outputs where they can be had: Tang's MATLAB per-image values on TNO-42
(11 columns) and Tang's own .m files run in GNU Octave on TNO crops (SSIM, MS_SSIM, FMI_dct)."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from conftest import reference, require_shared

from fusionbench.errors import UnknownNameError
from fusionbench.metrics import PROFILES
from fusionbench.metrics.named_tables import METRIC_TABLES, get_metric_table, tables_of_profile
from fusionbench.metrics.pipeline import load, to_gray
from fusionbench.scoring import compute, compute_table

# Evaluation_for_Single_Image.m (5d6c43a): fprintf order for easy = 1, then easy = 0; the same 17
# outputs as analysis_Reference.m's signature
TANG_PRINTED = ("EN", "MI", "SD", "SF", "MSE", "PSNR", "VIF", "AG", "SCD", "CC", "Qabf",
                "Nabf", "SSIM", "MS_SSIM", "FMI_pixel", "FMI_dct", "FMI_w")
DATA = os.path.join(os.path.dirname(__file__), "data")
CROPS = {"tno01": ("01.png", (slice(150, 246), slice(200, 328))),
         "tno03": ("03.png", (slice(100, 196), slice(100, 228)))}


def test_tang2022_full_lists_exactly_the_printed_columns():
    t = get_metric_table("tang2022-full")
    assert t.labels == TANG_PRINTED
    assert t.profile == "tang2022"
    assert {c.label for c in t.missing} == {"FMI_pixel"}
    assert all(c.missing for c in t.missing) and all(c.checked for c in t.implemented)
    cols = {c.label: c for c in t.columns}
    assert (cols["SSIM"].metric, dict(cols["SSIM"].overrides)) == ("MEF_SSIM", {"mef_ssim_scales": 1})
    assert (cols["MS_SSIM"].metric, dict(cols["MS_SSIM"].overrides)) == ("MEF_SSIM", {"mef_ssim_scales": 3})
    assert tables_of_profile("tang2022") == (t,) and set(METRIC_TABLES) == {"tang2022-full"}


def test_default_tang2022_table_is_unchanged():
    assert PROFILES["tang2022"].table == ("EN", "SD", "SF", "AG", "MI", "CC", "SCD", "VIF", "Qabf", "SSIM")
    assert PROFILES["tang2022"].options["mef_ssim_scales"] == 1


def test_unknown_table_or_column_is_a_named_error():
    from fusionbench.errors import InputError
    with pytest.raises(UnknownNameError, match="tang2022-full"):
        get_metric_table("tang2022-ful")
    F = A = B = pd.DataFrame([[1.0] * 16] * 16).to_numpy()
    with pytest.raises(UnknownNameError, match="MS_SSIM"):
        compute_table(F, A, B, "tang2022-full", columns=["MS-SSIM"], backend="numpy")
    with pytest.raises(InputError, match="FMI_pixel.*edge"):
        compute_table(F, A, B, "tang2022-full", columns=["EN", "FMI_pixel"], backend="numpy")


@pytest.mark.parametrize("image", ["01.png", "17.png", "42.png"])
def test_matches_tangs_matlab_values_on_tno42(image):
    """The 11 columns Tang published per image (easy = 1), 3 images x 9 methods, through compute_table."""
    root = require_shared("data", "tno42")
    ref = pd.read_csv(reference("tang_tno42_per_image.csv"))
    ref = ref[ref.image == image]
    assert ref.method.nunique() == 9 and ref.metric.nunique() == 11
    easy = TANG_PRINTED[:11]
    assert set(ref.metric) == set(easy)
    for method, sub in ref.groupby("method"):
        got = compute_table(root / "fused" / method / image, root / "ir" / image, root / "vi" / image,
                            "tang2022-full", columns=easy, backend="numpy")
        assert tuple(got) == easy
        for row in sub.itertuples():
            # the tang2022 parity claims (tests/test_metrics_parity.py): VIF 5e-7, the rest <= 1e-11
            rel = 1e-6 if row.metric == "VIF" else 1e-10
            assert got[row.metric] == pytest.approx(row.value, rel=rel, abs=0), (method, image, row.metric)


def _crop(root, method, tag, size=None):
    image, crop = CROPS[tag]
    if size:
        crop = (slice(crop[0].start, crop[0].start + size[0]), slice(crop[1].start, crop[1].start + size[1]))
    return tuple(to_gray(load(os.path.join(root, *parts), "x", quantize="round_away"), "matlab")[crop]
                 for parts in (("fused", method, image), ("ir", image), ("vi", image)))


def test_ssim_and_ms_ssim_columns_match_tangs_code_in_octave():
    """Tang's "SSIM" (mef_ssim.m) and "MS_SSIM" (analysis_ms_ssim.m) run in Octave (tests/data/README.md)."""
    root = require_shared("data", "tno42")
    ref = pd.read_csv(os.path.join(DATA, "mef_ssim_octave.csv"))
    label = {1: "SSIM", 3: "MS_SSIM"}
    for case, rows in ref.groupby("case"):
        tag, method = case.split("_", 1)
        got = compute_table(*_crop(root, method, tag), "tang2022-full", backend="numpy")
        for row in rows.itertuples():
            assert got[label[row.scales]] == pytest.approx(row.value, rel=1e-9), (case, row.scales)
        assert got["SSIM"] != got["MS_SSIM"]


def test_fmi_dct_column_matches_tangs_code_in_octave():
    root = require_shared("data", "tno42")
    ref = pd.read_csv(os.path.join(DATA, "fmi_octave.csv"))
    ref = ref[ref.feature == "dct"]
    assert len(ref) == 4
    for row in ref.itertuples():
        tag, method = row.case.split("_", 1)
        got = compute_table(*_crop(root, method, tag, (40, 48)), "tang2022-full", backend="numpy")
        assert got["FMI_dct"] == pytest.approx(row.value, rel=1e-9), row.case


def test_fmi_w_column_matches_tangs_code_in_octave():
    root = require_shared("data", "tno42")
    ref = pd.read_csv(os.path.join(DATA, "fmi_w_octave.csv"))
    for row in ref[ref.height == 40].itertuples():
        crop = (slice(row.row0, row.row0 + row.height), slice(row.col0, row.col0 + row.width))
        F, A, B = (to_gray(load(os.path.join(root, *parts), "x", quantize="round_away"), "matlab")[crop]
                   for parts in (("fused", row.method, row.image), ("ir", row.image), ("vi", row.image)))
        got = compute_table(F, A, B, "tang2022-full", columns=["FMI_w"], backend="numpy")
        assert got["FMI_w"] == pytest.approx(row.value, rel=1e-9), row.case


def test_columns_equal_compute_with_their_options():
    """Each column is compute() of its metric under the profile plus the column's overrides."""
    root = require_shared("data", "tno42")
    F, A, B = _crop(root, "SeAFusion", "tno01", (48, 64))
    got = compute_table(F, A, B, "tang2022-full", backend="numpy")
    for c in get_metric_table("tang2022-full").implemented:
        want = compute(F, A, B, metrics=[c.metric], profile="tang2022", backend="numpy", **c.overrides)[c.metric]
        assert got[c.label] == want, c.label
    assert "FMI_pixel" not in got and "FMI_w" in got


def test_cli_shows_the_table_and_the_profile_card_names_it(capsys):
    from fusionbench.cli import main
    assert main(["metrics", "--table", "tang2022-full"]) == 0
    out = capsys.readouterr().out
    assert all(label in out for label in TANG_PRINTED)
    assert "mef_ssim_scales=3" in out and out.count("not implemented") == 1
    assert main(["metrics", "--profile", "tang2022"]) == 0
    out = capsys.readouterr().out
    assert "named table tang2022-full" in out and "not implemented: FMI_pixel (" in out
