"""Methods registry and the classical baselines."""

import sys
import types

import numpy as np
import pytest

from fusionbench.errors import UnknownNameError
from fusionbench.methods import (
    FusedFolder,
    Method,
    MethodUnavailableError,
    get_method,
    list_methods,
    registry,
)
from fusionbench.methods.baselines import guided_filter, laplacian_pyramid, reconstruct

RNG = np.random.default_rng(0)
IR = RNG.random((37, 53)).astype(np.float32)
VI = (0.5 + 0.4 * np.sin(np.arange(53) / 5.0)[None, :] * np.ones((37, 1))).astype(np.float32)


def test_list_contains_baselines_and_networks():
    names = list_methods()
    for n in ("average", "max", "laplacian", "gff", "s2fnet", "sspfusion", "smfnet", "msfe"):
        assert n in names


@pytest.mark.parametrize("name", ["average", "max", "laplacian", "gff"])
def test_baseline_contract(name):
    m = get_method(name)
    out = m.fuse(IR, VI)
    assert out.shape == IR.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    # fusing an image with itself returns it
    np.testing.assert_allclose(m.fuse(VI, VI), VI, atol=2e-3)
    # colour: RGB visible in -> RGB out; gray in -> gray out
    ir8 = (IR * 255).astype(np.uint8)
    vi8 = np.stack([(VI * 255).astype(np.uint8)] * 3, axis=-1)
    vi8[..., 0] //= 2
    rgb = m.fuse_images(ir8, vi8)
    assert rgb.shape == vi8.shape and rgb.dtype == np.uint8
    assert m.fuse_images(ir8, vi8[..., 1]).shape == ir8.shape


def test_average_and_max_values():
    np.testing.assert_allclose(get_method("average").fuse(IR, VI), (IR.astype(np.float64) + VI) / 2, atol=1e-7)
    np.testing.assert_array_equal(get_method("max").fuse(IR, VI), np.maximum(IR, VI))
    assert get_method("avg").name == "average" and get_method("maxabs").name == "max"


def test_laplacian_pyramid_reconstructs_exactly():
    x = RNG.random((45, 61))
    pyr = laplacian_pyramid(x, 4)
    assert len(pyr) == 4 and pyr[-1].shape == (6, 8)  # stops before a side drops below 8
    np.testing.assert_allclose(reconstruct(pyr), x, atol=1e-12)


def test_laplacian_keeps_stronger_detail():
    flat = np.full((64, 64), 0.5, np.float32)
    edge = flat.copy()
    edge[:, 32:] = 0.9
    out = get_method("laplacian").fuse(flat, edge)
    # the edge contrast survives better than with averaging (0.2)
    assert out[:, 40:].mean() - out[:, :24].mean() > 0.25


def test_guided_filter_preserves_constant_and_edges():
    guide = np.zeros((40, 40))
    guide[:, 20:] = 1.0
    np.testing.assert_allclose(guided_filter(guide, np.full((40, 40), 0.3), 5, 1e-3), 0.3, atol=1e-9)
    out = guided_filter(guide, guide, 5, 1e-6)  # edge-preserving: a step guide filters to itself
    np.testing.assert_allclose(out, guide, atol=1e-3)


def test_gff_prefers_salient_source():
    flat = np.full((64, 64), 0.5, np.float32)
    texture = (0.5 + 0.3 * (np.indices((64, 64)).sum(0) % 2)).astype(np.float32)
    out = get_method("gff").fuse(flat, texture)
    assert out.std() > 0.5 * texture.std()


def test_unknown_method_lists_known():
    with pytest.raises(UnknownNameError) as err:
        get_method("nosuch")
    assert "average" in str(err.value) and "sspfusion" in str(err.value)
    with pytest.raises(UnknownNameError):
        get_method("average:ablation")


def test_network_lazy_loading(monkeypatch):
    calls = []

    class Net(Method):
        name = "fakenet"
        kind = "network"

        def fuse(self, ir_y, vi_y):
            return ir_y

    mod = types.ModuleType("fusionbench.methods.networks.fakenet")
    mod.ABLATIONS = ("no_x",)
    mod.load_method = lambda variant=None, device=None: (calls.append((variant, device)), Net())[1]
    monkeypatch.setitem(sys.modules, "fusionbench.methods.networks.fakenet", mod)
    monkeypatch.setattr(registry, "NETWORKS", registry.NETWORKS + ("fakenet", "ghostnet"))
    m = get_method("fakenet:no_x", device="cpu")
    assert calls == [("no_x", "cpu")] and m.name == "fakenet:no_x"
    assert registry.canonical_name("FakeNet:no_x") == "fakenet:no_x"
    with pytest.raises(UnknownNameError, match="no_x"):
        get_method("fakenet:bad")
    with pytest.raises(MethodUnavailableError, match="ghostnet"):
        get_method("ghostnet")


def test_fused_folder(tmp_path):
    for name in ("01.png", "02.jpg", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    f = FusedFolder(tmp_path, name="X")
    assert f.name == "X" and f.lookup("01").endswith("01.png") and f.lookup("03") is None
    assert f.extras(["01"]) == ["02.jpg"]
    assert FusedFolder(tmp_path).name == tmp_path.name


def test_network_runs_through_the_runner(monkeypatch):
    from fusionbench.errors import InputError
    from fusionbench.runner import evaluate

    class Net(Method):
        name = "fakenet"
        kind = "network"

        def fuse(self, ir_y, vi_y):
            return np.maximum(ir_y, vi_y)

    def load(variant=None, device=None):
        if variant == "broken":
            raise InputError("weights/fakenet.safetensors", "no trained weights")
        return Net()

    mod = types.ModuleType("fusionbench.methods.networks.fakenet")
    mod.ABLATIONS, mod.load_method = ("broken",), load
    monkeypatch.setitem(sys.modules, "fusionbench.methods.networks.fakenet", mod)
    monkeypatch.setattr(registry, "NETWORKS", registry.NETWORKS + ("fakenet",))
    monkeypatch.delenv("FUSIONBENCH_DATA", raising=False)
    kw = dict(metrics=["EN"], store=":memory:", executor="inline", progress=False)
    res = evaluate(["msrs"], ["fakenet", "max"], **kw)
    vals = {(r["method"], r["image"]): r["value"] for r in res.records}
    assert res.complete and len(vals) == 4
    assert vals[("fakenet", "00537D")] == vals[("max", "00537D")]  # same fused pixels, same score
    with pytest.raises(InputError, match="no trained weights"):  # fails once, before any pair
        evaluate(["msrs"], ["fakenet:broken"], **kw)


def test_fused_folder_vifb_naming(tmp_path):
    # VIFB keeps all methods in one folder as <image>_<method>.jpg
    for name in ("carLight_ADF.jpg", "carLight_HMSD_GF.jpg", "kettle_ADF.jpg", "kettle_HMSD_GF.jpg", "odd.jpg"):
        (tmp_path / name).write_bytes(b"")
    f = FusedFolder(tmp_path, name="HMSD_GF")
    assert f.lookup("carLight").endswith("carLight_HMSD_GF.jpg") and f.lookup("walking") is None
    assert f.extras(["carLight", "kettle"]) == ["odd.jpg"]
