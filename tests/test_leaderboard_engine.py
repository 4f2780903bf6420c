"""#13 one evaluation engine: leaderboard update and check score through the runner's per-pair worker
(fusionbench.runner.tasks.score_pair), with the same numbers as fusionbench.compute, and keep what made
each value."""

import os
from pathlib import Path

import pytest

from fusionbench import compute
from fusionbench.report import leaderboard as lb

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FUSIONBENCH_SHARED", REPO.parent / "shared"))
SAMPLE_TNO = lb.sample_root() / "tno"


def _pair(stem="08"):
    return next(p for p in lb._pairs(SAMPLE_TNO) if p.name == stem)


@pytest.mark.parametrize("profile", ["cddfuse", "tang2022"])
@pytest.mark.parametrize("method", ["average", "gff"])
def test_baselines_equal_compute(profile, method):
    from fusionbench.imageio import read_image
    from fusionbench.methods import get_method
    pair = _pair()
    metrics = ["EN", "SD", "MI", "VIF", "Qabf", "SSIM"]
    scorer = lb._Scorer(profile, {}, metrics, "numpy")
    got = scorer({"method": method, "kind": "baseline"}, pair, SAMPLE_TNO)
    fused = get_method(method).fuse_images(read_image(pair.ir), read_image(pair.vi))
    want = dict(compute(fused, pair.ir, pair.vi, metrics=metrics, profile=profile, backend="numpy"))
    assert got == want  # bit for bit
    prov = scorer.provenance[(method, pair.name)]
    assert prov["backend"] == "numpy" and prov["backend_class"] == "fp64"
    assert len(prov["pixel_digest"]) == 64 and prov["weights"]


@pytest.mark.skipif(not (SHARED / "data/vifb/fused").is_dir(), reason="shared VIFB fused images not present")
def test_fused_pattern_equals_compute():
    root = SHARED
    pair = lb._pairs(root / "data/vifb")[0]
    entry = {"method": "ADF", "kind": "fused_pattern", "fused": "data/vifb/fused/{image}_ADF"}
    path = lb._fused_file(entry, pair.name, root)
    metrics = ["EN", "Qabf", "SSIM", "Qcb"]
    got = lb._Scorer("vifb", {}, metrics, "numpy")(entry, pair, root)
    assert got == dict(compute(path, pair.ir, pair.vi, metrics=metrics, profile="vifb", backend="numpy"))


def test_a_bad_fused_file_is_one_clear_error(tmp_path):
    folder = tmp_path / "fused" / "Broken"
    folder.mkdir(parents=True)
    (folder / "08.png").write_bytes(b"not a png")
    entry = {"method": "Broken", "kind": "fused_folder", "fused": "fused/Broken"}
    with pytest.raises(lb.InputError, match="Broken 08: .*08.png"):
        lb._Scorer("cddfuse", {}, ["EN"])(entry, _pair(), tmp_path)
