"""Where the toolbox raises on a tiny image, fusionbench gives NaN (not an error) and says why (#13).

VIF under ``cddfuse`` follows ``scipy.signal.convolve2d(..., 'valid')``, which raises where a window
fits one side of the image only (``tests/test_vif_small.py``). A deliberate deviation from raising:
one small image must not stop the other metrics and pairs of a run, so the value is NaN, the metric
card says so, and ``evaluate`` records the reason on the value and reports it.
"""

import math

import numpy as np
from PIL import Image

from fusionbench.metrics import CARDS, PROFILES
from fusionbench.metrics.reference.vif import scipy_gives_value
from fusionbench.metrics.registry import nan_reason
from fusionbench.runner import evaluate


def test_nan_reason_exactly_where_the_evaluator_raises():
    cdd, tang = PROFILES["cddfuse"].options, PROFILES["tang2022"].options
    for h in range(8, 48, 3):
        for w in range(8, 48, 5):
            assert (nan_reason("VIF", (h, w), cdd) is None) == scipy_gives_value(h, w), (h, w)
            assert nan_reason("VIF", (h, w), tang) is None  # MATLAB drops scales, it never raises
    assert "raises" in nan_reason("VIF", (32, 40), cdd) and "40x32" in nan_reason("VIF", (32, 40), cdd)
    assert nan_reason("EN", (32, 40), cdd) is None
    assert "deliberate" in CARDS["VIF"].notes and "nan_reason" in CARDS["VIF"].notes


def test_evaluate_records_and_reports_the_reason(tmp_path):
    rng = np.random.default_rng(3)
    ds = tmp_path / "tiny"
    for kind in ("ir", "vi"):
        (ds / kind).mkdir(parents=True)
        Image.fromarray(rng.integers(0, 256, (32, 40), dtype=np.uint8)).save(ds / kind / "small.png")
        Image.fromarray(rng.integers(0, 256, (48, 48), dtype=np.uint8)).save(ds / kind / "fine.png")
    res = evaluate([ds], ["average"], metrics=["EN", "VIF"], store=tmp_path / "s.sqlite", executor="inline",
                   progress=False, backend="numpy")
    assert res.complete  # nothing stopped: both pairs scored
    vif = {r["image"]: r for r in res.records if r["metric"] == "VIF"}
    assert math.isnan(vif["small"]["value"]) and "raises" in vif["small"]["nan_reason"]
    assert math.isfinite(vif["fine"]["value"]) and "nan_reason" not in vif["fine"]
    (note,) = [w for w in res.warnings if w.startswith("VIF is NaN")]
    assert "tiny/small [average]" in note and "scipy convolve2d 'valid'" in note
    # a rerun that reuses the stored NaN still says why
    again = evaluate([ds], ["average"], metrics=["EN", "VIF"], store=tmp_path / "s.sqlite", executor="inline",
                     progress=False, backend="numpy")
    assert again.computed == 0 and any(w.startswith("VIF is NaN for 1 value") for w in again.warnings)
