"""SMFNet: shapes, gradients, training progress, ablation switches, parity with the official code and
thread-count independence of the fused output."""

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


# ------------------------------------------------------------------------------------------------
# Parity with the official code's structure (Abraham-Einstein/SMFNet net_final.py, utils/graph.py)


def test_full_config_parameter_count_is_exact():
    # the parameters used by the official forward at d = 64 (3,148,818 in its checkpoint, of which
    # 498,720 are never used): spec §4.1 / addendum
    counts = {c: sum(p.numel() for p in RECIPE.build_model(c).parameters()) for c in ("full", "small")}
    assert counts == {"full": 2_650_098, "small": 171_966}
    m = RECIPE.build_model("full")
    per = {k: sum(p.numel() for p in getattr(m, k).parameters())
           for k in ("shallow", "base", "detail", "graph", "graph_fuse", "base_fuse", "detail_fuse", "decoder")}
    assert per == {"shallow": 27_912, "base": 1_643_072, "detail": 188_680, "graph": 493_314,
                   "graph_fuse": 8_256, "base_fuse": 27_336, "detail_fuse": 211_008, "decoder": 50_520}


def _c(x, m, **kw):
    return torch.nn.functional.conv2d(x, m.weight, m.bias, padding=m.padding, dilation=m.dilation,
                                      groups=m.groups, **kw)


def _ref_ln(x, ln):
    mu = x.mean(1, keepdim=True)
    var = x.var(1, keepdim=True, unbiased=False)
    return (x - mu) / torch.sqrt(var + 1e-5) * ln.weight[:, None, None] + ln.bias[:, None, None]


def _ref_attn(q, k, v, heads, temperature):
    F = torch.nn.functional
    b, c, h, w = q.shape
    q, k, v = (t.reshape(b, heads, c // heads, h * w) for t in (q, k, v))
    q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
    attn = ((q @ k.transpose(-2, -1)) * temperature).softmax(dim=-1)
    return (attn @ v).reshape(b, c, h, w)


def _ref_tb(m, x):
    F = torch.nn.functional
    a = m.attn
    q, k, v = _c(_c(_ref_ln(x, m.norm1), a.qkv), a.qkv_dw).chunk(3, 1)
    x = x + _c(_ref_attn(q, k, v, a.heads, a.temperature), a.proj)
    f = m.ffn
    y = F.gelu(_c(F.gelu(_c(_ref_ln(x, m.norm2), f.fc1)), f.dw))
    return x + (F.gelu(_c(y, f.fc2)) + _ref_ln(x, m.norm2))


def _ref_tbase(m, x):
    F = torch.nn.functional
    q, k, v = _c(_c(_ref_ln(x, m.norm1), m.qkv1), m.qkv2).chunk(3, 1)
    x = x + _c(_ref_attn(q, k, v, m.heads, m.temperature), m.proj)
    return x + _c(F.gelu(_c(_ref_ln(x, m.norm2), m.ffn[0])), m.ffn[2])


def _ref_resblock(m, x):
    y = x
    for blk in m.body:
        y = _ref_tb(blk, y) if hasattr(blk, "attn") else _ref_tbase(blk, y)
    if not m.residual:
        return y
    return m.conv(y) + x


def _ref_grdb(m, x):
    F = torch.nn.functional
    x = F.leaky_relu(_c(x, m.head[0]), 0.2)
    y1 = F.leaky_relu(_c(x, m.c1[0]), 0.2)
    y2 = F.leaky_relu(_c(torch.cat([x, y1], 1), m.c2[0]), 0.2)
    dense = _c(torch.cat([x, y1, y2], 1), m.fuse)
    sob = _c(_c(x, m.sobel.gx).abs() + _c(x, m.sobel.gy).abs(), m.out)
    return F.leaky_relu(dense + sob, 0.1)


def _ref_cross(m, guide, op):
    q = _c(_c(guide, m.q[0]), m.q[1])
    k, v = _c(_c(op, m.kv[0]), m.kv[1]).chunk(2, 1)
    return _c(_ref_attn(q, k, v, m.heads, m.temperature), m.proj)


def _ref_detail_node(m, x):
    z1, z2 = _c(x, m.shuffle).chunk(2, 1)
    z2 = z2 + m.phi.body(z1)
    z1 = z1 * torch.exp(m.rho.body(z2)) + m.eta.body(z2)
    return torch.cat([z1, z2], 1)


def _ref_affine(m, x):
    def e(s):
        return torch.exp(m.clamp * 2 * (torch.sigmoid(s) - 0.5))
    x1, x2 = _c(x, m.shuffle).chunk(2, 1)
    y2 = (x2 - m.eta.body(x1)) / e(m.rho.body(x1))
    y1 = (x1 - m.phi.body(y2)) / e(m.psi.body(y2))
    return torch.cat([y1, y2], 1)


def _ref_gru(g, x, h):
    r, u = torch.sigmoid(_c(torch.cat([x, h], 1), g.gates)).chunk(2, 1)
    ct = torch.tanh(_c(torch.cat([x, r * h], 1), g.cand))
    return (1 - u) * h + u * ct


def _ref_graph_model(mg, feats):
    """IGNet GraphModel.forward, literally (repeat / view interleave included)."""
    n = len(feats)
    out = []
    for i in range(n):
        h_t = feats[i]
        b, c, hh, ww = h_t.shape
        h_t_m = h_t.repeat(1, n - 1, 1, 1)
        h_n = torch.cat([feats[j] for j in range(n) if j != i], 1)
        x1 = h_t_m - h_n
        wgt = torch.nn.functional.conv2d(x1, mg.edge.weight, groups=n - 1)
        wgt = wgt.unsqueeze(1).repeat(1, x1.shape[1] // (n - 1), 1, 1, 1).view(b, x1.shape[1], hh, ww)
        msg = h_n * torch.sigmoid(wgt)
        m_t = msg.view(b, -1, c, hh, ww).sum(1)
        out.append(_ref_gru(mg.gru, m_t, h_t) * mg.gamma + feats[i])
    return out


def _ref_graph(g, f_ir, f_vi):
    ir = [m(f_ir) for m in g.ir.nodes]
    vi = [m(f_vi) for m in g.vi.nodes]
    for s in range(len(ir)):
        for _ in range(g.rounds):
            vi_new = ir[s] * torch.sigmoid(_c(ir[s] - vi[s], g.to_vi)) + vi[s]
            ir_new = vi[s] * torch.sigmoid(_c(vi[s] - ir[s], g.to_ir)) + ir[s]
            ir[s], vi[s] = ir_new, vi_new
    for _ in range(g.ir.iterations):
        ir, vi = _ref_graph_model(g.ir, ir), _ref_graph_model(g.vi, vi)
    return g.ir.merge(torch.cat(ir, 1)), g.vi.merge(torch.cat(vi, 1))


def _ref_forward(model, ir, vi):
    """The official forward written out plainly (each modality separately, F.normalize attention, ...)."""
    def encode(x):
        s = _ref_tb(model.shallow.block, _c(x, model.shallow.embed))
        b = _c(s, model.base.conv)
        for blk in model.base.blocks:
            b = _ref_resblock(blk, b)
        d = _ref_grdb(model.detail.grdb, s)
        if model.detail.cai:
            z1, z2 = d.chunk(2, 1)
            d = torch.cat([_ref_cross(model.detail.cross, z2, z1), _ref_cross(model.detail.cross, z1, z2)], 1)
        for node in model.detail.nodes:
            d = _ref_detail_node(node, d)
        return s, b, d

    def detail_fuse(x):
        x = _ref_grdb(model.detail_fuse.grdb, x)
        for blk in model.detail_fuse.inv:
            x = _ref_affine(blk, x)
        return x

    s_ir, b_ir, d_ir = encode(ir)
    s_vi, b_vi, d_vi = encode(vi)
    if model.swap:
        x = detail_fuse(b_ir + b_vi) + _ref_tb(model.base_fuse, d_ir + d_vi)
    else:
        x = _ref_tb(model.base_fuse, b_ir + b_vi) + detail_fuse(d_ir + d_vi)
    if model.use_gnn:
        g_ir, g_vi = _ref_graph(model.graph, s_ir, s_vi)
        x = x + _c(torch.cat([g_ir, g_vi], 1), model.graph_fuse)
    f = torch.sigmoid(model.decoder.convs(_ref_tb(model.decoder.block, x)))
    lo, hi = f.amin(dim=(1, 2, 3), keepdim=True), f.amax(dim=(1, 2, 3), keepdim=True)
    return (f - lo) / (hi - lo).clamp_min(1e-6)


def _randomise(model, seed=1):
    """Non-trivial values for the parameters that start at constants (γ, temperatures, norms, BN)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(("gamma", "temperature")) or ".norm" in name:
                p.copy_(0.5 + torch.rand(p.shape, generator=g, dtype=p.dtype))
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.copy_(0.1 * torch.randn(mod.running_mean.shape, generator=g, dtype=torch.float64))
                mod.running_var.copy_(0.5 + torch.rand(mod.running_var.shape, generator=g, dtype=torch.float64))
                mod.weight.copy_(0.5 + torch.rand(mod.weight.shape, generator=g, dtype=torch.float64))
                mod.bias.copy_(0.1 * torch.randn(mod.bias.shape, generator=g, dtype=torch.float64))
    return model


@pytest.mark.parametrize("ablation", [None, "cai_to_inn", "no_residual_transformer", "no_gnn",
                                      "swap_fusion_layers"])
def test_forward_matches_plain_official_formulation(ablation):
    # the optimised forward (stacked encoder, channels-last, Gram-based attention, composed qkv conv,
    # batched graph nodes, ...) computes exactly the official network's function
    torch.manual_seed(0)
    m = RECIPE.build_model("tiny", ablation, dim=8, heads=2).double().eval()
    _randomise(m)
    b = _batch(n=2, h=19, w=23)
    ir, vi = b["ir"].double(), b["vi"].double()
    with torch.no_grad():
        got, want = m(ir, vi), _ref_forward(m, ir, vi)
    assert torch.allclose(got, want, rtol=0, atol=1e-10), float((got - want).abs().max())


@pytest.mark.parametrize("dim,dilations", [(5, (4, 8, 16)), (6, (2, 4, 6, 8)), (4, (3, 5))])
def test_graph_message_interleave_quirk(dim, dilations):
    # IGNet's repeat/view gate assignment for odd widths, more nodes and a single neighbour
    from fusionbench.methods.networks.smfnet.graph import GraphReasoning
    torch.manual_seed(0)
    g = _randomise(GraphReasoning(dim, dilations).double().eval())
    x1, x2 = torch.rand(2, 2, dim, 11, 13, dtype=torch.float64)
    with torch.no_grad():
        got, want = g(x1, x2), _ref_graph(g, x1, x2)
    for a, b in zip(got, want):
        assert torch.allclose(a, b, rtol=0, atol=1e-10), float((a - b).abs().max())


def test_official_structure_details():
    m = RECIPE.build_model("full")
    # LeFF convolutions have bias; the decoder's LeakyReLU uses the default slope
    assert all(c.bias is not None for c in (m.shallow.block.ffn.fc1, m.shallow.block.ffn.dw, m.shallow.block.ffn.fc2))
    assert [a.negative_slope for a in m.decoder.convs if isinstance(a, torch.nn.LeakyReLU)] == [0.01, 0.01]
    # INV_block_affine: a 64 -> 64 1x1 channel-mixing conv with bias before each coupling
    for blk in m.detail_fuse.inv:
        assert tuple(blk.shuffle.weight.shape) == (64, 64, 1, 1) and blk.shuffle.bias is not None
    # graph: one shared (n-1)-gate edge conv per modality, cross-modal convs shared and bias-free
    assert tuple(m.graph.ir.edge.weight.shape) == (2, 64, 1, 1) and m.graph.ir.edge.bias is None
    assert m.graph.to_vi.bias is None and m.graph.to_ir.bias is None
    # ConvGRU weights ~ N(0, 0.01)
    w = torch.cat([m.graph.ir.gru.gates.weight.flatten(), m.graph.ir.gru.cand.weight.flatten()])
    assert 0.008 < float(w.detach().std()) < 0.012


def test_fused_output_independent_of_thread_count():
    torch.manual_seed(0)
    m = RECIPE.build_model("small").eval()
    _randomise(m)
    b = _batch(n=1, h=64, w=80, seed=3)
    outs = []
    for t in (1, 2):
        torch.set_num_threads(t)
        with torch.no_grad():
            outs.append(m(b["ir"], b["vi"]))
    assert torch.equal(outs[0], outs[1]), float((outs[0] - outs[1]).abs().max())


def test_black_image_gives_finite_gradients():
    # an all-zero crop makes whole q / k channels zero: the attention's norms must not produce NaNs
    m = _model().train()
    b = _batch()
    b["ir"] = torch.zeros_like(b["ir"])
    feats = m.encode(b["ir"], b["vi"])
    from fusionbench.methods.networks.smfnet.losses import stage2_loss
    loss = stage2_loss(m.fuse_features(feats), b["ir"], b["vi"], feats, m.cfg)["total"]
    g = _grads_of(m, loss)
    bad = [n for n, v in g.items() if v is not None and not torch.isfinite(v).all()]
    assert torch.isfinite(loss) and not bad, bad


def test_stacked_and_per_modality_encoder_agree():
    m = _model().eval()
    b = _batch(n=2, h=20, w=24)
    with torch.no_grad():
        stacked = m(b["ir"], b["vi"])
        m.stack_limit = 0
        separate = m(b["ir"], b["vi"])
    assert torch.allclose(stacked, separate, atol=1e-6)
