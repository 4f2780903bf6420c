"""SMFNet: shapes, gradients (incl. the decomposition loss), training progress, ablation switches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fusionbench.methods.networks.smfnet import ABLATIONS, RECIPE, resolve_config
from fusionbench.methods.networks.smfnet.losses import (
    cc,
    decomposition_loss,
    lovasz_softmax_2class,
    otsu_threshold,
)

torch.set_flush_denormal(True)


@pytest.fixture(autouse=True)
def _one_thread():
    # tiny tensors: extra threads only add contention on shared CPUs
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _batch(n=2, h=24, w=28, seed=0):
    g = torch.Generator().manual_seed(seed)
    ir = torch.rand(n, 1, h, w, generator=g)
    vi = (0.6 * ir + 0.4 * torch.rand(n, 1, h, w, generator=g)).clamp(0, 1)
    return {"ir": ir, "vi": vi}


def _model(ablation=None, **kw):
    torch.manual_seed(0)
    return RECIPE.build_model("tiny", ablation, **kw)


@pytest.mark.parametrize("shape", [(1, 1, 17, 23), (3, 1, 20, 9)])
def test_odd_sizes(shape):
    m = _model().eval()
    x = torch.rand(shape)
    with torch.no_grad():
        y = m(x, x.flip(-1))
    assert y.shape == shape
    assert float(y.min()) >= 0 and float(y.max()) <= 1 + 1e-6


def test_full_config_parameter_count():
    # spec §4.5: 2,650,098 used parameters in the official code at d = 64 (ours within 0.3 %)
    n = sum(p.numel() for p in RECIPE.build_model("full").parameters())
    assert abs(n - 2_650_098) / 2_650_098 < 0.003


def _grads_of(model, loss):
    model.zero_grad(set_to_none=True)
    loss.backward()
    return {n: p.grad for n, p in model.named_parameters()}


def test_gradients_reach_every_parameter():
    from fusionbench.methods.networks.smfnet.losses import stage1_loss, stage2_loss
    m = _model().train()
    with torch.no_grad():  # γ starts at 0 (IGNet), which blocks the GRU/edge gradients on step 0 only
        m.graph.ir.gamma.fill_(0.1)
        m.graph.vi.gamma.fill_(0.1)
    b = _batch()
    feats = m.encode(b["ir"], b["vi"])
    g1 = _grads_of(m, stage1_loss(*m.reconstruct(feats), b["ir"], b["vi"], feats, m.cfg)["total"])
    feats = m.encode(b["ir"], b["vi"])
    g2 = _grads_of(m, stage2_loss(m.fuse_features(feats), b["ir"], b["vi"], feats, m.cfg)["total"])
    missing = [n for n in g1 if (g1[n] is None or not g1[n].abs().sum() > 0)
               and (g2[n] is None or not g2[n].abs().sum() > 0)]
    assert not missing, missing
    # stage I trains encoder, graph and decoder: all of them get a gradient from the stage-I loss
    enc = [n for n in g1 if n.startswith(("shallow.", "base.", "detail.", "decoder.", "graph."))]
    no_grad = [n for n in enc if g1[n] is None or not g1[n].abs().sum() > 0]
    assert not no_grad, no_grad


@pytest.mark.parametrize("faithful", [False, True])
def test_decomposition_loss_gradient(faithful):
    m = _model(faithful_to_code=faithful).train()
    b = _batch()
    feats = m.encode(b["ir"], b["vi"])
    loss = decomposition_loss(feats, with_graph=True, faithful=faithful)
    if faithful:  # the released code's cc() returns a float: no gradient at all
        assert not loss.requires_grad
        return
    g = _grads_of(m, loss)
    for prefix in ("base.", "detail.", "graph."):
        assert any(v is not None and v.abs().sum() > 0 for n, v in g.items() if n.startswith(prefix)), prefix


def test_cc_and_semantic_helpers():
    a = torch.rand(2, 3, 8, 8)
    assert abs(float(cc(a, a)) - 1) < 1e-5
    assert abs(float(cc(a, -a)) + 1) < 1e-5
    x = torch.cat([torch.full((1, 1, 8, 4), 0.2), torch.full((1, 1, 8, 4), 0.8)], -1)
    t = float(otsu_threshold(x))
    assert 0.2 < t <= 0.8
    lab = (x > t).float()
    assert float(lovasz_softmax_2class(lab, lab)) < 1e-6
    assert float(lovasz_softmax_2class(1 - lab, lab)) > 0.9


@pytest.mark.parametrize("stage", ["reconstruction", "fusion"])
def test_loss_decreases(stage):
    m = _model().train()
    b = _batch(n=2, h=32, w=32)
    opts = RECIPE.make_optimizers(m, stage)
    losses = [RECIPE.train_step(m, b, opts, stage, i)["total"] for i in range(6)]
    assert np.isfinite(losses).all()
    assert losses[-1] < losses[0]


def test_stage_one_does_not_train_fusion_layers():
    m = _model()
    assert "fuse" not in RECIPE.make_optimizers(m, "reconstruction")
    assert "fuse" in RECIPE.make_optimizers(m, "fusion")
    # w/o two-stage training: everything from the first step
    assert "fuse" in RECIPE.make_optimizers(_model("no_two_stage"), "reconstruction")


def _signature(model):
    return sorted((n, tuple(p.shape)) for n, p in model.named_parameters())


@pytest.mark.parametrize("ablation", ABLATIONS)
def test_ablation_switches_change_the_model_or_losses(ablation):
    full, abl = _model(), _model(ablation)
    if _signature(full) != _signature(abl):
        return  # architecture changed
    # loss-only ablations: same weights, different training objective
    abl.load_state_dict(full.state_dict())
    b = _batch()
    differs = []
    for stage in ("reconstruction", "fusion"):
        t_full = RECIPE.train_step(full, b, {}, stage, 0)
        t_abl = RECIPE.train_step(abl, b, {}, stage, 0)
        differs.append(t_full["total"] != pytest.approx(t_abl["total"], rel=1e-6))
    assert any(differs)


def test_swap_changes_forward():
    full, swapped = _model(), _model("swap_fusion_layers")
    swapped.load_state_dict(full.state_dict())
    b = _batch()
    with torch.no_grad():
        assert not torch.allclose(full.train()(b["ir"], b["vi"]), swapped.train()(b["ir"], b["vi"]))


def test_config_flags_documented():
    cfg = resolve_config("small")
    assert cfg["semantic_loss"] == "lovasz_otsu" and cfg["stage2_weights"] == "code"
    assert not cfg["faithful_to_code"]
    assert resolve_config("small", "no_gnn")["use_gnn"] is False
