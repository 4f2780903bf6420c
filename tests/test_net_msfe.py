"""MSFE: shapes, gradients, GAN/attention stages, ablation switches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fusionbench.methods.networks.msfe import ABLATIONS, RECIPE, edge_map

torch.set_flush_denormal(True)


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _batch(n=2, h=32, w=36, seed=0):
    g = torch.Generator().manual_seed(seed)
    ir = torch.rand(n, 1, h, w, generator=g)
    vi = (0.5 * ir + 0.5 * torch.rand(n, 1, h, w, generator=g)).clamp(0, 1)
    return {"ir": ir, "vi": vi}


def _model(ablation=None, config="small", **kw):
    torch.manual_seed(0)
    return RECIPE.build_model(config, ablation, **kw)


def _gen_params(m):
    return sum(p.numel() for n, p in m.named_parameters() if not n.startswith("discriminator"))


def test_parameter_counts_match_spec():
    # specs/NETWORKS.md §6.4
    assert _gen_params(_model(config="full")) == 141_729
    assert sum(p.numel() for p in _model(config="full").discriminator.parameters()) == 166_113
    assert _gen_params(_model()) == 42_225


@pytest.mark.parametrize("shape", [(1, 1, 17, 23), (3, 1, 9, 20)])
@pytest.mark.parametrize("kw", [{}, {"skip_order": "literal"}, {"att_input": "edges+features"}])
def test_odd_sizes(shape, kw):
    m = _model(**kw).eval()
    x = torch.rand(shape)
    with torch.no_grad():
        y = m(x, x.flip(-1))
    assert y.shape == shape and float(y.min()) >= 0 and float(y.max()) <= 1


def test_edge_map():
    u = torch.zeros(1, 1, 6, 6)
    u[..., 3:] = 1.0
    e = edge_map(u)
    assert float(e[0, 0, 0, 2]) == pytest.approx(1.0, abs=1e-5)  # the step at column 2 -> 3
    assert float(e[0, 0, 0, 1]) == pytest.approx(1.0, abs=1e-5)  # spread by the 2x2 running max
    assert float(e[0, 0, 0, 5]) < 1e-5


def test_gradients_reach_every_parameter():
    m = _model().train()
    b = _batch()
    opts = RECIPE.make_optimizers(m, "autoencoder")
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    RECIPE.train_step(m, b, opts, "autoencoder", 0)
    RECIPE.on_stage_start(m, "attention")
    RECIPE.train_step(m, b, RECIPE.make_optimizers(m, "attention"), "attention", 1)
    unchanged = [n for n, p in m.named_parameters() if torch.equal(p.detach(), before[n])]
    assert not unchanged, unchanged


def test_attention_stage_freezes_generator():
    m = _model().train()
    RECIPE.on_stage_start(m, "attention")
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    b = _batch()
    opts = RECIPE.make_optimizers(m, "attention")
    for i in range(2):
        RECIPE.train_step(m, b, opts, "attention", i)
    for n, p in m.named_parameters():
        assert torch.equal(p, before[n]) == (not n.startswith("attention")), n


@pytest.mark.parametrize("stage", ["autoencoder", "attention"])
def test_loss_decreases(stage):
    m = _model().train()
    b = _batch()
    if stage == "attention":  # start from a briefly pretrained autoencoder
        opts = RECIPE.make_optimizers(m, "autoencoder")
        for i in range(15):
            RECIPE.train_step(m, b, opts, "autoencoder", i)
    RECIPE.on_stage_start(m, stage)
    opts = RECIPE.make_optimizers(m, stage)
    losses = [RECIPE.train_step(m, b, opts, stage, i)["total"] for i in range(8)]
    assert np.isfinite(losses).all()
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("ablation", ABLATIONS)
def test_ablation_switches(ablation):
    full, abl = _model(), _model(ablation)
    if ablation == "no_gan":
        assert "D" in RECIPE.make_optimizers(full, "autoencoder")
        assert "D" not in RECIPE.make_optimizers(abl, "autoencoder")
        t = RECIPE.train_step(abl, _batch(), RECIPE.make_optimizers(abl, "autoencoder"), "autoencoder", 0)
        assert "gan_g" not in t and "gan_d" not in t
        return
    if ablation == "no_skips":  # same weights, different forward
        abl.load_state_dict(full.state_dict())
        b = _batch()
        with torch.no_grad():
            assert not torch.allclose(full.eval()(b["ir"], b["vi"]), abl.eval()(b["ir"], b["vi"]))
        return
    sig = lambda m: sorted((n, tuple(p.shape)) for n, p in m.named_parameters())  # noqa: E731
    assert sig(full) != sig(abl)
    if ablation == "no_attention":
        assert abl.attention is None and RECIPE.make_optimizers(abl, "attention") == {}
