"""FusionMetric (torchmetrics-style update/compute/reset on the tensors' device) equals the reference
kernels and Tang's MATLAB values."""

import numpy as np
import pandas as pd
import pytest
from conftest import reference, require_shared
from metric_harness import random_triple

import fusionbench as fb
from fusionbench.errors import InputError
from fusionbench.metrics import REGISTRY

torch = pytest.importorskip("torch")
from fusionbench.stateful import FusionMetric  # noqa: E402

TEN = ["EN", "SD", "SF", "AG", "MI", "CC", "SCD", "VIF", "Qabf", "SSIM"]


def _t(x, unit=False):
    t = torch.as_tensor(np.asarray(x, dtype=np.float64))
    return t / 255.0 if unit else t


def test_ten_metrics_equal_the_reference_over_batches():
    rng = np.random.default_rng(7)
    # both sides >= 41 px: VIF has its full pyramid (smaller images follow toolbox-specific rules)
    batches = [[random_triple(rng, (44, 52)) for _ in range(2)], [random_triple(rng, (48, 41)) for _ in range(3)]]
    metric = FusionMetric(profile="cddfuse", input_range="unit", per_image=True)
    assert list(metric.metrics) == TEN
    ref = {m: [] for m in TEN}
    for batch in batches:
        F, A, B = (torch.stack([_t(t[k], unit=True) for t in batch])[:, None] for k in range(3))  # (N,1,H,W)
        metric.update(F, A, B)
        for f, a, b in batch:
            r = fb.compute(f, a, b, metrics=TEN, profile="cddfuse", backend="numpy")
            for m in TEN:
                ref[m].append(r[m])
    out = metric.compute()
    assert metric.count == 5
    per = metric.values()
    for m in TEN:
        budget = REGISTRY[m].fast["torch"]
        assert out[m].dtype == torch.float64 and out[m].ndim == 0
        assert float(out[m]) == pytest.approx(np.mean(ref[m]), rel=budget, abs=1e-12), m
        assert np.allclose(per[m].numpy(), ref[m], rtol=budget, atol=1e-12), m
    metric.reset()
    assert metric.count == 0
    with pytest.raises(InputError, match="before any update"):
        metric.compute()


def test_matches_tang_matlab_on_tno42():
    root = require_shared("data", "tno42")
    from PIL import Image
    tang = pd.read_csv(reference("tang_tno42_per_image.csv"))
    metrics = sorted(tang.metric.unique())
    metric = FusionMetric(metrics, profile="tang2022", input_range="byte", per_image=True)
    for image in ("01.png", "05.png"):
        def gray(p):
            a = np.array(Image.open(p))
            return a if a.ndim == 2 else a[..., 0]  # R = G = B in these files (README of the data)
        F = gray(root / "fused" / "DenseFuse" / image)
        A, B = gray(root / "ir" / image), gray(root / "vi" / image)
        metric.update(*(torch.as_tensor(x)[None] for x in (F, A, B)))  # uint8 (1, H, W)
    per = metric.values()
    for m in metrics:
        want = [tang[(tang.method == "DenseFuse") & (tang.image == i) & (tang.metric == m)].value.item()
                for i in ("01.png", "05.png")]
        assert np.allclose(per[m].numpy(), want, rtol=1e-5 if m == "VIF" else 1e-6, atol=0), (m, per[m], want)


def test_nan_values_are_left_out_and_counted():
    flat = torch.full((1, 16, 16), 100.0, dtype=torch.float64)
    rng = np.random.default_rng(1)
    f, a, b = random_triple(rng, (16, 16))
    metric = FusionMetric(["CC", "SD"], input_range="byte")
    metric.update(flat, flat, flat)  # CC of constant images: NaN (0/0)
    metric.update(_t(f)[None], _t(a)[None], _t(b)[None])
    out = metric.compute()
    assert metric.nan_count == {"CC": 1, "SD": 0}
    ref = fb.compute(f, a, b, metrics=["CC", "SD"], backend="numpy")
    assert float(out["CC"]) == pytest.approx(ref["CC"], rel=1e-7)
    assert float(out["SD"]) == pytest.approx(ref["SD"] / 2, rel=1e-7)  # flat SD 0 counts


def test_bad_inputs_are_clear_errors():
    metric = FusionMetric(["EN"])
    with pytest.raises(InputError, match=r"RGB batch \(N, 3, H, W\)"):
        metric.update(torch.zeros(2, 2, 8, 8), torch.zeros(2, 2, 8, 8), torch.zeros(2, 2, 8, 8))
    with pytest.raises(InputError, match="shapes differ"):
        metric.update(torch.zeros(2, 3, 8, 8), torch.zeros(2, 1, 8, 9), torch.zeros(2, 8, 8))
    with pytest.raises(InputError, match="shapes differ"):
        metric.update(torch.zeros(2, 8, 8), torch.zeros(2, 8, 9), torch.zeros(2, 8, 8))
    with pytest.raises(InputError, match="input_range"):
        FusionMetric(["EN"], input_range="percent")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_state_lives_on_the_cuda_device():
    rng = np.random.default_rng(3)
    f, a, b = random_triple(rng, (48, 48))
    metric = FusionMetric(TEN, input_range="byte")
    metric.update(*(_t(x)[None].cuda() for x in (f, a, b)))
    out = metric.compute()
    ref = fb.compute(f, a, b, metrics=TEN, backend="numpy")
    for m in TEN:
        assert out[m].device.type == "cuda"
        assert float(out[m]) == pytest.approx(ref[m], rel=REGISTRY[m].fast["torch"], abs=1e-12), m


def _colour_triples(rng, n, shape):
    """(fused RGB, ir gray, vi RGB) uint8, the fused image correlated with the sources."""
    out = []
    for _ in range(n):
        vi = rng.integers(0, 256, shape + (3,)).astype(np.float64)
        ir = np.clip(vi.mean(axis=2) * 0.5 + rng.normal(0, 30, shape) + 40, 0, 255)
        f = np.clip(0.5 * vi + 0.5 * ir[..., None] + rng.normal(0, 8, shape + (3,)), 0, 255)
        out.append(tuple(np.round(x).astype(np.uint8) for x in (f, ir, vi)))
    return out


def _nchw(x):
    t = torch.as_tensor(x)
    return t[None] if t.ndim == 2 else t.permute(2, 0, 1)


@pytest.mark.parametrize("profile,options", [("cddfuse", {}), ("tang2022", {}), ("vifb", {}), ("mefb", {}),
                                             ("cddfuse", {"gray": "pil"})])
def test_colour_batches_follow_the_functional_path(profile, options):
    """(N, 3, H, W) fused and visible, (N, 1, H, W) infrared: every image's values equal
    fusionbench.compute on the same (H, W, 3) arrays (the profile's gray conversion, or VIFB's
    per-channel scoring with its side-by-side SF)."""
    rng = np.random.default_rng(11)
    triples = _colour_triples(rng, 3, (44, 46))
    metrics = ["EN", "SD", "SF", "AG", "MI", "Qabf", "SSIM"] if profile != "mefb" else ["EN", "SD", "SF", "Qabf"]
    metric = FusionMetric(metrics, profile=profile, input_range="byte", per_image=True, **options)
    metric.update(*(torch.stack([_nchw(t[k]) for t in triples]) for k in range(3)))
    per = metric.values()
    for i, (f, a, b) in enumerate(triples):
        ref = fb.compute(f, a, b, metrics=metrics, profile=profile, backend="numpy", **options)
        for m in metrics:
            assert float(per[m][i]) == pytest.approx(ref[m], rel=REGISTRY[m].fast["torch"], abs=1e-12), (m, i)
    if profile == "vifb":  # per-channel: differs from scoring the gray image
        gray = fb.compute(*triples[0], metrics=["SF"], profile="vifb", backend="numpy", color_mode="gray")["SF"]
        assert abs(float(per["SF"][0]) - gray) > 1e-3


def test_colour_float_batches_on_the_unit_scale():
    """A float RGB network output on [0, 1] is scaled and quantised before the gray conversion, as
    compute(..., input_range='unit') does."""
    rng = np.random.default_rng(12)
    f, a, b = _colour_triples(rng, 1, (40, 40))[0]
    fu = f / 255.0 + rng.uniform(-0.0015, 0.0015, f.shape)  # off-grid values: quantisation matters
    metric = FusionMetric(["EN", "SD", "CC"], profile="tang2022", input_range="unit")
    metric.update(_nchw(np.clip(fu, 0, 1))[None], _nchw(a / 255.0)[None], _nchw(b / 255.0)[None])
    out = metric.compute()
    ref = fb.compute(np.clip(fu, 0, 1), a / 255.0, b / 255.0, metrics=["EN", "SD", "CC"], profile="tang2022",
                     backend="numpy", input_range="unit")
    for m in ("EN", "SD", "CC"):
        assert float(out[m]) == pytest.approx(ref[m], rel=1e-7), m
