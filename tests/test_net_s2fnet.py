"""S2F-Net: shapes, gradients, training, ablation switches, bundled weights."""

import numpy as np
import pytest
import torch

from fusionbench.methods.networks import s2fnet
from fusionbench.methods.networks.common import TorchMethod
from fusionbench.methods.networks.s2fnet import RECIPE, S2FNet


def _batch(seed=0, n=2, h=32, w=32):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, h, w, generator=g), torch.rand(n, 1, h, w, generator=g)


def test_parameter_counts_match_spec():
    # training-only extras: spec counts with the 3-way classifier; the adversarial one adds a class
    for c, inf, extra in ((16, 96_533, 7_140), (64, 1_533_413, 111_492)):
        m = S2FNet(channels=c, classifier="3way")
        assert sum(p.numel() for p in S2FNet(channels=c).classifier.parameters()) == \
            sum(p.numel() for p in m.classifier.parameters()) + c + 1
        total = sum(p.numel() for p in m.parameters())
        assert (m.inference_parameters(), total - m.inference_parameters()) == (inf, extra)


@pytest.mark.parametrize("hw", [(17, 23), (31, 8), (5, 40)])
def test_odd_sizes_shape_and_range(hw):
    torch.manual_seed(0)
    meth = TorchMethod(RECIPE.build_model("small"), name="s2fnet", device="cpu")
    rng = np.random.default_rng(0)
    ir, vi = rng.random(hw, dtype=np.float32), rng.random(hw, dtype=np.float32)
    out = meth.fuse(ir, vi)
    assert out.shape == hw and out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
    rgb = meth.fuse_images((ir * 255).astype(np.uint8), (np.stack([vi] * 3, -1) * 255).astype(np.uint8))
    assert rgb.shape == hw + (3,) and rgb.dtype == np.uint8
    batch = meth.fuse_batch(np.stack([ir] * 3), np.stack([vi] * 3))
    assert np.allclose(batch[1], out, atol=1e-6)


@pytest.mark.parametrize("ablation", [None, *s2fnet.ABLATIONS])
def test_gradients_reach_every_parameter(ablation):
    torch.manual_seed(0)
    model = RECIPE.build_model("small", ablation)
    ir, vi = _batch()
    RECIPE.loss(model, ir, vi)["total"].backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing


def test_few_steps_lower_the_loss():
    torch.manual_seed(0)
    model = RECIPE.build_model("small")
    opts = RECIPE.make_optimizers(model, "main")
    ir, vi = _batch(n=4)
    first = RECIPE.loss(model, ir, vi)["total"].item()
    for step in range(15):
        RECIPE.train_step(model, {"ir": ir, "vi": vi}, opts, "main", step)
    assert RECIPE.loss(model, ir, vi)["total"].item() < 0.9 * first


def test_ablation_switches_change_the_graph():
    C = 16
    full = RECIPE.build_model("small")
    assert hasattr(full, "enc_s") and hasattr(full, "eca") and full.classifier.fc.out_features == 4
    m = RECIPE.build_model("small", "no_shared_branch")
    assert not hasattr(m, "enc_s") and m.dec_v[0][0].in_channels == C
    assert m.classifier.fc.out_features == 2 and m.aux_decoder[0][0].in_channels == C
    m = RECIPE.build_model("small", "no_cagfm")
    assert not hasattr(m, "eca")
    m = RECIPE.build_model("small", "no_mlfm")
    assert all(d[0][0].in_channels == 2 * C for d in m.dec_f)
    assert full.dec_f[0][0][0].in_channels == 3 * C and full.dec_f[-1][0][0].in_channels == 2 * C
    m = RECIPE.build_model("small", "no_modality_classifier")
    assert m.classifier is None and m.aux_decoder is not None
    m = RECIPE.build_model("small", "no_aux_decoder")
    assert m.classifier is not None and m.aux_decoder is None
    m = RECIPE.build_model("small", "no_ssl")
    assert m.classifier is None and m.aux_decoder is None
    assert set(RECIPE.loss(m, *_batch())) == {"int", "grad", "fus", "total"}


def test_named_options():
    ir, vi = _batch()
    torch.manual_seed(0)
    a = S2FNet(channels=8)
    torch.manual_seed(0)
    b = S2FNet(channels=8, attn_map="as_printed")
    b.load_state_dict(a.state_dict())
    for m in a.eca[0].values():  # make the attention informative
        torch.nn.init.normal_(m.conv.weight, std=3.0)
    b.load_state_dict(a.state_dict())
    assert not torch.allclose(a(ir, vi), b(ir, vi))
    assert S2FNet(channels=8).classifier.fc.out_features == 4  # adversarial reading by default
    assert S2FNet(channels=8, classifier="3way").classifier.fc.out_features == 3
    assert hasattr(S2FNet(channels=8, shared_siamese=False), "enc_s2")
    with pytest.raises(TypeError):
        S2FNet(level_resolution="ushape")  # removed from the switches (see the class notes)


def test_adversarial_classifier_is_bounded_and_trains_both_sides():
    torch.manual_seed(0)
    net = S2FNet(channels=8)
    feats = [{k: torch.randn(2, 8, 12, 12, requires_grad=True) for k in ("v", "r", "sv", "sr")}]
    loss = net.modality_loss(feats)
    loss.backward()
    assert torch.isfinite(loss)
    assert all(feats[0][k].grad.abs().sum() > 0 for k in ("v", "r", "sv", "sr"))
    assert net.classifier.fc.weight.grad.abs().sum() > 0
    # the encoder-side confusion term cannot be driven below log 2 (a reversed CE could diverge)
    with torch.no_grad():
        for _ in range(3):
            big = {k: 100 * v for k, v in feats[0].items()}
            assert net.modality_loss([big]) > 0
