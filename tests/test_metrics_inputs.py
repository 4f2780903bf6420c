"""Input handling: formats, dtypes, and clear errors that name the input."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import require_shared
from PIL import Image

import fusionbench as fb
from fusionbench.errors import InputError, UnknownNameError


@pytest.fixture
def triple():
    rng = np.random.default_rng(1)
    A = rng.integers(0, 256, (30, 34), dtype=np.uint8)
    B = rng.integers(0, 256, (30, 34), dtype=np.uint8)
    return ((A.astype(int) + B) // 2).astype(np.uint8), A, B


@pytest.mark.parametrize("ext", ["png", "jpg", "bmp", "tif"])
@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_files_of_every_format_and_mode(tmp_path, triple, ext, mode):
    F, A, B = triple
    paths = []
    for name, arr in zip("fab", (F, A, B)):
        img = Image.fromarray(arr).convert(mode)
        if ext == "jpg" and mode == "RGBA":
            img = img.convert("RGB")
        path = tmp_path / f"{name}.{ext}"
        img.save(path)
        paths.append(path)
    r = fb.compute(*paths, metrics=["EN", "MI", "SSIM"])
    if ext != "jpg":  # lossless: gray replicated into RGB(A) converts back exactly
        assert r["MI"] == pytest.approx(fb.compute(F, A, B, metrics=["MI"])["MI"], rel=1e-12)


def test_uint16_arrays_are_scaled_to_8_bit(triple):
    F, A, B = triple
    r8 = fb.compute(F, A, B, metrics=["EN", "SD", "MI"])
    r16 = fb.compute(*(x.astype(np.uint16) * 257 for x in (F, A, B)), metrics=["EN", "SD", "MI"])
    assert dict(r8) == pytest.approx(dict(r16), rel=1e-12)


def test_size_mismatch_names_the_input(triple):
    F, A, B = triple
    with pytest.raises(InputError, match="vi: size 33x30 differs"):
        fb.compute(F, A, B[:, :33])


@pytest.mark.parametrize("bad, problem", [
    (np.zeros((0, 5), np.uint8), "empty"),
    (np.zeros((4, 5, 5), np.uint8), "expected"),
    (np.zeros((2, 4, 5, 3), np.uint8), "expected"),
    (np.array([[np.nan, 1.0], [2.0, 3.0]]), "NaN"),
    (np.array([[np.inf, 1.0], [2.0, 3.0]]), "NaN or infinite"),
])
def test_bad_arrays_get_clear_errors(bad, problem):
    with pytest.raises(InputError, match=f"fused: .*{problem}"):
        fb.compute(bad, np.zeros((2, 2)), np.zeros((2, 2)))


def test_bad_files_get_clear_errors(tmp_path, triple):
    F, A, B = triple
    good = tmp_path / "a.png"
    Image.fromarray(A).save(good)
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"not an image at all")
    truncated = tmp_path / "trunc.png"
    truncated.write_bytes(good.read_bytes()[:60])
    sixteen = tmp_path / "ir16.png"
    Image.fromarray(A.astype(np.uint16) * 257).save(sixteen)
    for path, problem in [(corrupt, "not a readable image"), (truncated, "corrupt or truncated"),
                          (sixteen, "16-bit"), (tmp_path / "missing.png", "file not found")]:
        with pytest.raises(InputError, match=problem) as info:
            fb.compute(path, good, good)
        assert str(path) in str(info.value)


def test_unknown_names_list_the_known_ones(triple):
    with pytest.raises(UnknownNameError, match="known: .*cddfuse"):
        fb.compute(*triple, profile="nope")
    with pytest.raises(UnknownNameError, match="unknown metric 'FOO'"):
        fb.compute(*triple, metrics=["FOO"])
    with pytest.raises(UnknownNameError, match="metric option"):
        fb.compute(*triple, not_an_option=1)
    with pytest.raises(InputError, match="ssim_data_range"):
        fb.compute(*triple, ssim_data_range=7)


def test_result_records_profile_options_and_overrides(triple):
    r = fb.compute(*triple, metrics=["SSIM", "CE"], ssim_data_range=255)
    assert r.profile == "cddfuse+overrides"
    assert r.overrides == {"ssim_data_range": 255}
    assert r.options["ssim_data_range"] == 255 and r.options["mi_base"] == "e"
    assert r.native == {"SSIM": True, "CE": False}
    assert fb.compute(*triple, metrics=["SSIM"], ssim_data_range=2).profile == "cddfuse"  # no change
    with pytest.raises(InputError, match="strict"):
        fb.compute(*triple, metrics=["CE"], strict=True)


def test_overrides_change_exactly_their_metric(triple):
    base = fb.compute(*triple, metrics=["MI", "AG"])
    bits = fb.compute(*triple, metrics=["MI", "AG"], mi_base="2")
    assert bits["MI"] == pytest.approx(base["MI"] / np.log(2), rel=1e-12)
    assert bits["AG"] == base["AG"]
    no_half = fb.compute(*triple, metrics=["AG"], ag_half=False)
    assert no_half["AG"] == pytest.approx(base["AG"] * np.sqrt(2), rel=1e-12)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "fusionbench", *args], capture_output=True, text=True)


def test_cli_score_prints_the_ten_metrics_on_a_vifb_triple():
    root = require_shared("data", "vifb")
    out = _cli("score", "--fused", str(root / "fused" / "kettle_SeAFusion.jpg"),
               "--ir", str(root / "input" / "IR" / "kettle.jpg"), "--vi", str(root / "input" / "VI" / "kettle.jpg"))
    assert out.returncode == 0, out.stderr
    for metric in fb.metrics.DEFAULT_METRICS:
        assert f"\n{metric} " in "\n" + out.stdout
    csv = _cli("score", "--fused", str(root / "fused" / "kettle_SeAFusion.jpg"), "--ir",
               str(root / "input" / "IR" / "kettle.jpg"), "--vi", str(root / "input" / "VI" / "kettle.jpg"),
               "--profile", "vifb", "--format", "csv")
    assert csv.returncode == 0 and len(csv.stdout.strip().splitlines()) == 14


def test_cli_score_bad_file_one_line_error(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG garbage")
    out = _cli("score", "--fused", str(bad), "--ir", str(bad), "--vi", str(bad))
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0]


def test_cli_metrics_lists_cards_and_profiles():
    out = _cli("metrics")
    assert out.returncode == 0
    for name in ["Qabf", "Qcv", "VIFF", "cddfuse", "tang2022", "vifb"]:
        assert name in out.stdout
    assert "ssim_data_range" in _cli("metrics", "--profile", "tang2023").stdout


def test_unit_float_arrays_warn_and_input_range_scales(triple):
    import warnings

    from fusionbench.metrics import InputRangeWarning
    F, A, B = (x.astype(np.float64) / 255.0 for x in triple)
    with pytest.warns(InputRangeWarning) as caught:
        fb.compute(F, A, B, metrics=["EN"], backend="numpy")
    assert [str(w.message).split(":")[0] for w in caught] == ["fused", "ir", "vi"]
    assert "float array with maximum 0.972549 is scored on the 0..255 scale" in str(caught[0].message)
    assert "input_range='unit'" in str(caught[0].message)
    on_bytes = fb.compute(*triple, metrics=["EN"], backend="numpy")["EN"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither the right scale nor an explicit 'byte' warns
        assert fb.compute(F, A, B, metrics=["EN"], backend="numpy", input_range="unit")["EN"] == on_bytes
        fb.compute(F, A, B, metrics=["EN"], backend="numpy", input_range="byte")
        fb.compute(*(x.astype(np.float32) for x in triple), metrics=["EN"], backend="numpy")
        fb.compute(np.zeros((30, 34)), A * 255, B * 255, metrics=["EN"], backend="numpy")  # black: same on both
