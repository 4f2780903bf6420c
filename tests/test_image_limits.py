"""Issue #13: a huge image (small file, e.g. 20000x20000 PNG) is a named problem, never a crash."""

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from fusionbench.cli import main
from fusionbench.errors import InputError
from fusionbench.imageio import MAX_PIXELS, read_image
from fusionbench.runner import evaluate


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(path, w, h):
    """A gray PNG that declares w x h pixels in a file of under 100 bytes (only its first row is there)."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) \
        + _chunk(b"IEND", b"")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _gray(path, h=40, w=48):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (h, w), dtype=np.uint8)).save(path)
    return path


@pytest.mark.parametrize("size", [(20000, 20000), (9000, 9000)])  # Pillow's bomb error / our limit
def test_huge_png_is_an_input_error_naming_the_file(tmp_path, size):
    path = huge_png(tmp_path / "big.png", *size)
    assert path.stat().st_size < 100
    with pytest.raises(InputError, match=r"big\.png: image too large.*FUSIONBENCH_MAX_PIXELS"):
        read_image(path)


def test_pixel_limit_is_settable(tmp_path, monkeypatch):
    assert MAX_PIXELS == 64_000_000
    path = _gray(tmp_path / "small.png", 20, 20)
    monkeypatch.setenv("FUSIONBENCH_MAX_PIXELS", "399")
    with pytest.raises(InputError, match="20x20 = 400 pixels, limit 399"):
        read_image(path)
    monkeypatch.setenv("FUSIONBENCH_MAX_PIXELS", "400")
    assert read_image(path).shape == (20, 20)
    monkeypatch.setenv("FUSIONBENCH_MAX_PIXELS", "lots")
    with pytest.raises(InputError, match="FUSIONBENCH_MAX_PIXELS: must be a positive number"):
        read_image(path)


@pytest.fixture
def ds(tmp_path):
    d = tmp_path / "ds"
    for stem in ("a", "b"):
        _gray(d / "ir" / f"{stem}.png"), _gray(d / "vi" / f"{stem}.png")
    huge_png(d / "ir" / "big.png", 20000, 20000)
    _gray(d / "vi" / "big.png")
    return d


def test_evaluate_scores_the_others_and_names_the_huge_pair(ds, tmp_path):
    res = evaluate([ds], ["average"], metrics=["EN"], store=":memory:", executor="inline", progress=False)
    assert [(p.image, p.method) for p in res.problems] == [("big", "average")]
    assert "image too large" in res.problems[0].reason and "big.png" in res.problems[0].reason
    assert sorted(r["image"] for r in res.records) == ["a", "b"]


def test_cli_commands_give_one_line_errors(ds, tmp_path, capsys):
    big, small = ds / "ir" / "big.png", ds / "vi" / "a.png"
    assert main(["score", "--fused", str(small), "--ir", str(big), "--vi", str(small)]) == 2
    assert "big.png: image too large" in capsys.readouterr().err
    assert main(["fuse", "--method", "average", "--ir", str(big), "--vi", str(small),
                 "--out", str(tmp_path / "f.png")]) == 2
    assert "big.png: image too large" in capsys.readouterr().err
    assert main(["datasets", "info", str(ds)]) == 0
    out = capsys.readouterr().out
    assert "problem" in out and "big.png: image too large" in out and "1 distinct" in out
