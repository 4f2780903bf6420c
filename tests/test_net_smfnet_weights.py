"""Bundled SMFNet / MSFE weights reproduce their model card's metric values on the check pair."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

WEIGHTS = Path(__file__).resolve().parents[1] / "fusionbench" / "methods" / "networks" / "weights"
SHARED = Path(os.environ.get("FUSIONBENCH_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))


def sidecars(method):
    return sorted(p for p in WEIGHTS.glob(f"{method}*.json")
                  if p.stem == method or p.stem.startswith(f"{method}__"))


def check_reproduces(sidecar: Path):
    import torch

    from fusionbench.imageio import read_image
    from fusionbench.scoring import compute
    meta = json.loads(sidecar.read_text())
    if "check_pair" not in meta:
        pytest.skip(f"{sidecar.name}: not evaluated")
    pair = meta["check_pair"]["pair"]  # e.g. "tno42/05.png"
    ds, name = pair.split("/")
    ir_p, vi_p = SHARED / "data" / ds / "ir" / name, SHARED / "data" / ds / "vi" / name
    if not ir_p.exists():
        pytest.skip(f"shared data not available: {ir_p}")
    assert (WEIGHTS / f"{sidecar.stem}.safetensors").exists()
    method, _, ablation = sidecar.stem.partition("__")
    import importlib
    pkg = importlib.import_module(f"fusionbench.methods.networks.{method}")
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        m = pkg.load_method(ablation or None, "cpu")
        ir, vi = read_image(ir_p), read_image(vi_p)
        fused = m.fuse_images(ir, vi)
    finally:
        torch.set_num_threads(n)
    expected = meta["check_pair"]["metrics"]
    got = compute(fused, ir, vi, list(expected), meta.get("metrics_profile", "cddfuse"))
    for k, v in expected.items():
        assert float(got[k]) == pytest.approx(v, rel=1e-4, abs=1e-4), (sidecar.stem, k)
    card = WEIGHTS / f"{sidecar.stem}.md"
    assert card.exists() and pair in card.read_text()


def smfnet_weights_match_model(sidecar: Path) -> bool:
    """Whether the bundled tensors have the names and shapes of the current SMFNet for that variant."""
    from safetensors import safe_open

    from fusionbench.methods.networks.smfnet import RECIPE
    meta = json.loads(sidecar.read_text())
    ablation = sidecar.stem.partition("__")[2] or None
    model = RECIPE.build_model(meta.get("config", "small"), ablation)
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    with safe_open(str(WEIGHTS / f"{sidecar.stem}.safetensors"), "pt") as f:
        got = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    return got == want


@pytest.mark.parametrize("sidecar", sidecars("smfnet"), ids=lambda p: p.stem)
def test_smfnet_weights_reproduce_card(sidecar):
    assert smfnet_weights_match_model(sidecar), f"{sidecar.stem}: tensors do not match the current SMFNet"
    check_reproduces(sidecar)


def test_smfnet_weights_are_bundled():
    stems = {p.stem for p in sidecars("smfnet")}
    if not stems:
        pytest.skip("no SMFNet weights bundled yet")
    assert "smfnet" in stems
