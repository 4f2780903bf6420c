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


@pytest.fixture
def board(tmp_path):
    import shutil
    shared = tmp_path / "shared"
    for side in ("ir", "vi"):
        (shared / "data/tno42" / side).mkdir(parents=True)
        for stem in ("08", "12"):
            shutil.copy(SAMPLE_TNO / side / f"{stem}.png", shared / "data/tno42" / side)
    fake = shared / "data/tno42/fused/VisCopy"
    fake.mkdir(parents=True)
    for stem in ("08", "12"):
        shutil.copy(SAMPLE_TNO / "vi" / f"{stem}.png", fake)
    out = tmp_path / "leaderboards"
    lb.update(out, boards=["tno42/cddfuse"], shared=shared, metrics=["EN", "SD"],
              methods=None, include_networks=False, write_pages=False)
    return out, shared


def test_update_records_provenance_and_check_verifies_the_pixels(board):
    import numpy as np
    from PIL import Image
    out, shared = board
    d = out / "tno42" / "cddfuse"
    prov = lb._read_provenance(d)
    import json
    methods = [e["method"] for e in json.loads((d / "leaderboard.json").read_text())["entries"]]
    assert "average" in methods and "VisCopy" in methods
    assert sorted(zip(prov["method"], prov["image"])) == sorted((m, i) for m in methods for i in ("08", "12"))
    assert prov["pixel_digest"].str.fullmatch("[0-9a-f]{64}").all() and (prov["backend_class"] == "fp64").all()
    assert prov.loc[prov["method"] == "average", "weights"].str.startswith("code:").all()
    # a partial update keeps the other method's provenance
    lb.update(out, boards=["tno42/cddfuse"], shared=shared, metrics=["EN", "SD"], methods=["average"],
              include_networks=False, write_pages=False)
    assert lb._read_provenance(d).equals(prov)
    assert lb.check(out, scope="full", shared=shared).ok
    # one fused pixel changed (EN, SD move by less than their tolerance, or not at all): caught
    f = shared / "data/tno42/fused/VisCopy/08.png"
    img = np.array(Image.open(f))
    img[0, 0] ^= 1
    Image.fromarray(img).save(f)
    report = lb.check(out, scope="full", shared=shared)
    assert not report.ok
    assert any("VisCopy 08: the fused or source pixels differ" in p for p in report.problems), report.format()
