"""Every bundled weights file (full models, seeds, ablations) keeps the infrared's polarity.

The infrared's contribution to the fused image, ``fuse(ir, vi) - fuse(mean(ir), vi)``, must correlate
positively with the infrared: hot objects bright, as in both sources' max. Measured on the RoadScene
pair of the bundled sample. The S2F-Net ``no_shared_branch`` weights trained with the sign-blind SeAFusion
gradient loss gave -0.77 here (see ``fusionbench/methods/networks/s2fnet/loss.py``); retrained with the
signed loss they pass. New weights files are picked up automatically.
"""

import numpy as np
import pytest

from fusionbench.colour import luminance
from fusionbench.datasets.resolve import SAMPLE_ROOT
from fusionbench.imageio import read_image
from fusionbench.methods import get_method
from fusionbench.methods.networks.weightfiles import WEIGHTS_DIR

STEMS = sorted(p.stem for p in WEIGHTS_DIR.glob("*.safetensors"))


def _corr(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


@pytest.fixture(scope="module")
def pair():
    root = SAMPLE_ROOT / "roadscene"
    return (luminance(read_image(root / "ir" / "FLIR_00211.jpg")),
            luminance(read_image(root / "vi" / "FLIR_00211.jpg")))


@pytest.mark.parametrize("stem", STEMS)
def test_infrared_contribution_is_positive(stem, pair):
    ir, vi = pair
    method = get_method(stem.replace("__", ":"))
    contribution = method.fuse(ir, vi) - method.fuse(np.full_like(ir, ir.mean()), vi)
    assert _corr(contribution, ir) > 0.3, f"{stem}: infrared contribution correlates {_corr(contribution, ir):+.2f}"


def test_weights_found():
    assert "s2fnet" in STEMS
