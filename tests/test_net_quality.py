"""Bundled network weights behave like fusion: no clipping, sane exposure, identity on equal inputs.

These catch what the metric means hide (washed-out, blown-out or noisy outputs). They run the
bundled ``small`` weights on real pairs of the bundled sample (TNO, RoadScene test pairs).
"""

import numpy as np
import pytest

from fusionbench.colour import luminance
from fusionbench.datasets.resolve import SAMPLE_ROOT
from fusionbench.imageio import read_image
from fusionbench.methods import get_method
from fusionbench.methods.networks import NETWORKS

PAIRS = [("tno", "08.png"), ("tno", "12.png"), ("roadscene", "FLIR_00211.jpg")]


def _pair(folder, name):
    root = SAMPLE_ROOT / folder
    stem = name.rsplit(".", 1)[0]
    ir = next((root / "ir").glob(stem + ".*"))
    vi = next((root / "vi").glob(stem + ".*"))
    return luminance(read_image(ir)), luminance(read_image(vi))


@pytest.fixture(scope="module", params=NETWORKS)
def method(request):
    try:
        return get_method(request.param)
    except Exception as exc:  # noqa: BLE001 - weights of another architecture: said loudly
        pytest.fail(f"bundled {request.param} weights do not load: {exc}")


@pytest.mark.parametrize("pair", PAIRS, ids=[p[1] for p in PAIRS])
def test_no_clipping_and_exposure_between_the_sources(method, pair):
    ir, vi = _pair(*pair)
    f = method.fuse(ir, vi)
    clipped = np.mean((f <= 0.5 / 255) | (f >= 254.5 / 255))
    src_clipped = max(np.mean((s <= 0.5 / 255) | (s >= 254.5 / 255)) for s in (ir, vi))
    assert clipped <= src_clipped + 0.01, f"{method.name}: {clipped:.1%} of the pixels clip"
    lo, hi = sorted((float(ir.mean()), float(vi.mean())))
    # a max-selecting fusion may sit above both means, but not far outside their span
    assert lo - 0.05 <= f.mean() <= hi + 0.1, f"{method.name}: mean {f.mean():.3f} vs sources {lo:.3f}..{hi:.3f}"


def test_equal_inputs_give_the_input_back(method):
    """Measured on the 2026-11-30 weights (mean abs, [0, 1]): MSFE 0.007, SSPFusion 0.023,
    S2F-Net 0.056, SMFNet 0.078 (it brightens this dark scene: mean 0.24 vs 0.17). A washed-out
    or blown-out network is 0.2 or more off."""
    _, vi = _pair("tno", "08.png")
    f = method.fuse(vi, vi)
    err = float(np.mean(np.abs(f - vi)))
    assert err < 0.1, f"{method.name}: fusing an image with itself is {err:.3f} off it (mean abs, [0,1])"
