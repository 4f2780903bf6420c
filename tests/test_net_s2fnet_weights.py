"""Bundled S2F-Net weights (and ablations): safe loading, card values reproduced on the check pair."""

import json

import pytest

from fusionbench.train import WEIGHTS_DIR
from fusionbench.train.data import shared_root

NAME = "s2fnet"


def _sidecars(name):
    return sorted(p for p in WEIGHTS_DIR.glob(f"{name}*.json")
                  if p.stem == name or p.stem.startswith(name + "__"))


def check_bundled(path):
    from fusionbench.imageio import read_image
    from fusionbench.methods import get_method
    from fusionbench.scoring import compute
    meta = json.loads(path.read_text())
    assert (path.with_suffix(".safetensors")).stat().st_size < 8_000_000
    assert (path.with_suffix(".md")).exists()
    for key in ("config", "steps", "wall_s", "hardware", "final_losses", "data"):
        assert key in meta, key
    if "check_pair" not in meta:
        pytest.skip(f"{path.name}: not evaluated")
    data = shared_root() / "data"
    pair = meta["check_pair"]["pair"]  # e.g. tno42/05.png
    folder, fname = pair.split("/")
    if not (data / folder / "ir" / fname).exists():
        pytest.skip("shared data not available")
    ablation = path.stem.partition("__")[2]
    method = get_method(f"{meta['method']}:{ablation}" if ablation else meta["method"], device="cpu")
    ir, vi = read_image(data / folder / "ir" / fname), read_image(data / folder / "vi" / fname)
    got = compute(method.fuse_images(ir, vi), ir, vi, list(meta["check_pair"]["metrics"]), "cddfuse")
    for m, v in meta["check_pair"]["metrics"].items():
        assert got[m] == pytest.approx(v, abs=1e-4), m


@pytest.mark.parametrize("path", _sidecars(NAME), ids=lambda p: p.stem)
def test_bundled_weights_reproduce_card(path):
    check_bundled(path)


def test_main_weights_bundled():
    assert (WEIGHTS_DIR / f"{NAME}.safetensors").exists()
