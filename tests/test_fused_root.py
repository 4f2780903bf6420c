"""`evaluate --fused-root`: a results tree scored in one command; which images each method lacks."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fusionbench.cli import main
from fusionbench.errors import InputError
from fusionbench.methods.fused_root import discover_fused_root, method_names, missing_images


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.delenv("FUSIONBENCH_DATA", raising=False)
    monkeypatch.setenv("FUSIONBENCH_NO_PROGRESS", "1")


def _png(path, seed):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (24, 32), dtype=np.uint8)).save(path)


@pytest.fixture
def tree(tmp_path):
    ds = tmp_path / "mini"
    for i, stem in enumerate(("a1", "b2", "c3")):
        _png(ds / "ir" / f"{stem}.png", i)
        _png(ds / "vi" / f"{stem}.png", 10 + i)
    root = tmp_path / "Results"
    for j, method in enumerate(("DenseFuse_TNO", "IFCNN_TNO", "U2Fusion_TNO")):
        for i, stem in enumerate(("a1", "b2", "c3")):
            if method == "IFCNN_TNO" and stem == "b2":
                continue  # IFCNN lacks one image
            _png(root / method / f"{stem}.png", 100 + 10 * j + i)
    (root / "notes").mkdir()  # no images: not a method
    return ds, root


def test_method_names_rules():
    assert method_names(["DenseFuse_TNO", "IFCNN_TNO"]) == {"DenseFuse_TNO": "DenseFuse", "IFCNN_TNO": "IFCNN"}
    # VIFB-style names with underscores stay whole when suffixes differ
    assert method_names(["HMSD_GF", "LP_SR", "ADF"]) == {"HMSD_GF": "HMSD_GF", "LP_SR": "LP_SR", "ADF": "ADF"}
    # a tree with several datasets: the scored dataset's folders only
    got = method_names(["A_TNO", "B_TNO", "A_RoadScene"], dataset="tno42")
    assert got == {"A_TNO": "A", "B_TNO": "B"}
    assert method_names(["Solo_TNO"]) == {"Solo_TNO": "Solo_TNO"}


def test_discover_filters_and_errors(tree, tmp_path):
    _, root = tree
    assert [f.name for f in discover_fused_root(root)] == ["DenseFuse", "IFCNN", "U2Fusion"]
    assert [f.name for f in discover_fused_root(root, include=["*fus*"])] == ["DenseFuse", "U2Fusion"]
    assert [f.name for f in discover_fused_root(root, exclude=["IFCNN_TNO"])] == ["DenseFuse", "U2Fusion"]
    with pytest.raises(InputError, match="no method folder left"):
        discover_fused_root(root, include=["nothing*"])
    with pytest.raises(InputError, match="not found"):
        discover_fused_root(tmp_path / "absent")


def test_evaluate_fused_root_reports_missing(tree, tmp_path, capsys):
    ds, root = tree
    out = tmp_path / "r.csv"
    rc = main(["evaluate", "--fused-root", str(root), "--exclude", "U2*", "--dataset", str(ds),
               "--metrics", "EN,SD", "--store", str(tmp_path / "s.sqlite"), "--out", str(out),
               "--executor", "inline"])
    cap = capsys.readouterr()
    assert rc == 3  # incomplete: IFCNN lacks b2
    assert "MISSING: mini [IFCNN] lacks 1 of 3 image(s): b2" in cap.err
    df = pd.read_csv(out)
    assert set(df.method) == {"DenseFuse", "IFCNN"}
    assert len(df[df.method == "DenseFuse"]) == 3 * 2 and len(df[df.method == "IFCNN"]) == 2 * 2


def test_missing_images_from_run(tree, tmp_path):
    from fusionbench.runner import evaluate
    ds, root = tree
    res = evaluate([str(ds)], discover_fused_root(root), metrics="EN", store=":memory:", executor="inline",
                   progress=False)
    assert missing_images(res.problems) == {"mini": {"IFCNN": ["b2"]}}


def test_flat_vifb_folder_gives_one_method_per_suffix():
    import os
    from pathlib import Path
    shared = Path(os.environ.get("FUSIONBENCH_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    vifb = shared / "data" / "vifb"
    if not (vifb / "fused").is_dir():
        pytest.skip("shared data not available")
    stems = [p.stem for p in (vifb / "input" / "IR").iterdir()]
    folders = discover_fused_root(vifb / "fused", stems=stems)
    names = [f.name for f in folders]
    assert len(names) == 25 and {"HMSD_GF", "LP_SR", "Hybrid_MSD", "ADF", "YDTR"} <= set(names)
    hmsd = next(f for f in folders if f.name == "HMSD_GF")
    assert hmsd.lookup("walking2").endswith("walking2_HMSD_GF.jpg")
    assert hmsd.lookup("walking").endswith("walking_HMSD_GF.jpg")
    assert [f.name for f in discover_fused_root(vifb / "fused", stems=stems, include=["*SR"])] == \
        ["LP_SR", "NSCT_SR", "RP_SR"]


def test_include_needs_root(tree, tmp_path, capsys):
    ds, _ = tree
    assert main(["evaluate", "--method", "average", "--include", "x*", "--dataset", str(ds)]) != 0
    assert "--include/--exclude: only apply to --fused-root" in capsys.readouterr().err
