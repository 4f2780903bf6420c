"""SSPFusion: shapes, gradients, training, ablation switches, named options."""

import numpy as np
import pytest
import torch

from fusionbench.methods.networks import sspfusion
from fusionbench.methods.networks.common import TorchMethod
from fusionbench.methods.networks.sspfusion import RECIPE, SSPFusion


def _batch(seed=0, n=2, h=32, w=32):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, h, w, generator=g), torch.rand(n, 1, h, w, generator=g)


def test_parameter_counts_match_spec():
    for w, inf, teacher in (((8, 16, 32, 64), 267_985, 48_705), ((32, 64, 128, 256), 4_279_105, 775_425)):
        m = SSPFusion(widths=w)
        total = sum(p.numel() for p in m.parameters())
        assert (m.inference_parameters(), total - m.inference_parameters()) == (inf, teacher)


@pytest.mark.parametrize("hw", [(17, 23), (33, 9), (8, 8)])
def test_odd_sizes_shape_and_range(hw):
    torch.manual_seed(0)
    meth = TorchMethod(RECIPE.build_model("small"), name="sspfusion", device="cpu", multiple=8)
    rng = np.random.default_rng(1)
    ir, vi = rng.random(hw, dtype=np.float32), rng.random(hw, dtype=np.float32)
    out = meth.fuse(ir, vi)
    assert out.shape == hw and out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
    rgb = meth.fuse_images((ir * 255).astype(np.uint8), (np.stack([vi] * 3, -1) * 255).astype(np.uint8))
    assert rgb.shape == hw + (3,)
    assert np.allclose(meth.fuse_batch(np.stack([ir] * 2), np.stack([vi] * 2))[0], out, atol=1e-6)


@pytest.mark.parametrize("ablation", [None, *sspfusion.ABLATIONS])
def test_gradients_reach_every_parameter(ablation):
    torch.manual_seed(0)
    model = RECIPE.build_model("small", ablation)
    ir, vi = _batch()
    stages = [s for s, _ in RECIPE.stages_for("small", ablation)]
    for stage in stages:
        RECIPE.on_stage_start(model, stage)
        fn = RECIPE.teacher_loss if stage == "teacher" else RECIPE.fusion_loss
        fn(model, ir, vi)["total"].backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    if ablation == "no_spf":  # without SPF the structure maps reach no output; the teacher still trains
        assert not [n for n in missing if n.startswith("teacher.")]
    else:
        assert not missing


def test_fusion_stage_freezes_teacher_and_lowers_loss():
    torch.manual_seed(0)
    model = RECIPE.build_model("small")
    RECIPE.on_stage_start(model, "fusion")
    opts = RECIPE.make_optimizers(model, "fusion")
    before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    ir, vi = _batch(n=4)
    first = RECIPE.fusion_loss(model, ir, vi)["total"].item()
    for step in range(15):
        RECIPE.train_step(model, {"ir": ir, "vi": vi}, opts, "fusion", step)
    assert RECIPE.fusion_loss(model, ir, vi)["total"].item() < 0.95 * first
    assert all(torch.equal(v, model.teacher.state_dict()[k]) for k, v in before.items())


def test_ablation_switches_change_the_graph():
    ir, vi = _batch()
    full = RECIPE.build_model("small")
    assert full.enc_ir.res is not None and full.teacher is not None
    no_sfe = RECIPE.build_model("small", "no_sfe")
    assert no_sfe.enc_ir.res is None and no_sfe.teacher is None
    assert [s for s, _ in RECIPE.stages_for("small", "no_sfe")] == ["fusion"]
    assert "rec" not in RECIPE.fusion_loss(no_sfe, ir, vi)
    # SPF: the structure maps feed the fusion only when use_spf is on
    for ablation, depends in ((None, True), ("no_spf", False)):
        torch.manual_seed(0)
        m = RECIPE.build_model("small", ablation)
        ref = m(ir, vi)
        m.smap = lambda f: torch.ones_like(f) * 0.7
        assert (not torch.allclose(ref, m(ir, vi))) == depends


def test_named_options():
    ir, vi = _batch()
    torch.manual_seed(0)
    a = SSPFusion()
    for opt in (dict(spf_mode="as_printed"), dict(edges_one=False), dict(tau=1.0)):
        b = SSPFusion(**opt)
        b.load_state_dict(a.state_dict())
        assert not torch.allclose(a(ir, vi), b(ir, vi)), opt
    assert SSPFusion(shared_encoder=False).enc_vi is not None
    with pytest.raises(ValueError):
        SSPFusion(spf_mode="bogus")
