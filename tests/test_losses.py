"""fusionbench.losses: values equal the exact metrics (same profile options); gradients are finite."""

import numpy as np
import pytest
from metric_harness import random_triple

import fusionbench as fb
from fusionbench.errors import InputError

torch = pytest.importorskip("torch")
from fusionbench import losses  # noqa: E402

PROFILES = ("cddfuse", "tang2023", "vifb")


def _tensors(triple):
    return [torch.as_tensor(x.astype(np.float64))[None] for x in triple]


@pytest.mark.parametrize("profile", PROFILES)
def test_values_equal_the_metrics(profile):
    rng = np.random.default_rng(11)
    for shape in ((41, 47), (48, 44)):  # VIF: both sides >= 41 (its full pyramid)
        triple = random_triple(rng, shape)
        F, A, B = _tensors(triple)
        opts = {"ssim_float32": False} if profile == "cddfuse" else {}
        ref = fb.compute(*triple, metrics=["SD", "SF", "AG", "CC", "SCD", "SSIM", "VIF"], profile=profile,
                         backend="numpy", **opts)
        got = {
            "SD": losses.sd(F, input_range="byte", profile=profile),
            "SF": losses.sf(F, input_range="byte", profile=profile),
            "AG": losses.ag(F, input_range="byte", profile=profile),
            "CC": losses.cc(F, A, B, input_range="byte"),
            "SCD": losses.scd(F, A, B, input_range="byte"),
            "SSIM": losses.ssim(F, A, B, input_range="byte", profile=profile, **opts),
            "VIF": losses.vif(F, A, B, input_range="byte", profile=profile),
        }
        for m, v in got.items():
            assert v.shape == (1,)
            assert float(v[0]) == pytest.approx(ref[m], rel=1e-12, abs=1e-12), (profile, shape, m)


def test_cddfuse_float32_ssim_within_its_rounding():
    triple = random_triple(np.random.default_rng(2), (32, 32))
    F, A, B = _tensors(triple)
    ref = fb.compute(*triple, metrics=["SSIM"], backend="numpy")["SSIM"]  # the evaluator's float32 steps
    assert float(losses.ssim(F, A, B, input_range="byte")[0]) == pytest.approx(ref, rel=1e-5)


def test_unit_range_and_batches():
    rng = np.random.default_rng(4)
    trips = [random_triple(rng, (24, 24)) for _ in range(3)]
    F, A, B = (torch.stack([torch.as_tensor(t[k] / 255.0) for t in trips])[:, None] for k in range(3))
    v = losses.ssim(F, A, B)
    assert v.shape == (3,)
    for i, t in enumerate(trips):
        ref = fb.compute(*t, metrics=["SSIM"], backend="numpy", ssim_float32=False)["SSIM"]
        assert float(v[i]) == pytest.approx(ref, rel=1e-12)


def test_gradients_are_finite_including_flat_images():
    g = torch.Generator().manual_seed(0)
    fused = torch.rand(2, 1, 44, 44, generator=g, dtype=torch.float64)
    fused[1] = 0.5  # flat: SF, AG, SD have sqrt(0)
    fused.requires_grad_(True)
    ir, vi = torch.rand(2, 1, 44, 44, generator=g, dtype=torch.float64), torch.rand(2, 1, 44, 44, generator=g,
                                                                                    dtype=torch.float64)
    for fn in (losses.sd, losses.sf, losses.ag):
        fused.grad = None
        fn(fused).sum().backward()
        assert torch.isfinite(fused.grad).all(), fn.__name__
    for fn in (losses.ssim, losses.cc, losses.scd, losses.vif):
        fused.grad = None
        fn(fused[:1], ir[:1], vi[:1]).sum().backward()
        assert torch.isfinite(fused.grad).all() and fused.grad.abs().sum() > 0, fn.__name__


def test_gradcheck_ssim_and_ag():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(1, 12, 12, generator=g, dtype=torch.float64, requires_grad=True)
    a, b = torch.rand(1, 12, 12, generator=g, dtype=torch.float64), torch.rand(1, 12, 12, generator=g,
                                                                               dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda f: losses.ssim(f, a, b), (x,))
    assert torch.autograd.gradcheck(lambda f: losses.ag(f), (x,))


def test_vif_flat_source_counts_as_one_with_zero_gradient():
    g = torch.Generator().manual_seed(2)
    f = torch.rand(1, 44, 44, generator=g, dtype=torch.float64, requires_grad=True)
    flat = torch.full((1, 44, 44), 0.4, dtype=torch.float64)
    v = losses.vif(f, flat, flat)
    assert float(v[0].detach()) == 2.0  # cddfuse: each NaN vifp counts as 1.0
    v.sum().backward()
    assert torch.isfinite(f.grad).all()
    assert torch.isnan(losses.vif(f.detach(), flat, flat, profile="vifb")).all()


def test_refusals():
    x = torch.rand(1, 16, 16)
    with pytest.raises(InputError, match="not differentiable"):
        losses.vif(x, x, x, profile="tang2022")
    with pytest.raises(InputError, match=">= 41 px"):
        losses.vif(x, x, x)
    with pytest.raises(InputError, match="differentiable"):
        losses.sd(x, profile="tang2022")
    with pytest.raises(InputError, match="gray batch"):
        losses.sf(torch.rand(1, 3, 8, 8))
    with pytest.raises(InputError, match="torch tensor"):
        losses.sf(np.zeros((8, 8)))
