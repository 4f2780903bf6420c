"""Bad input: every problem pair is reported by name with its reason; the rest is scored and stored."""

import numpy as np
import pytest
from PIL import Image

from fusionbench.cli import main
from fusionbench.methods import FusedFolder
from fusionbench.runner import evaluate
from fusionbench.store import ResultStore

RNG = np.random.default_rng(1)


def _save(path, arr, **kw):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path, **kw)


def _gray(h=40, w=48):
    return RNG.integers(0, 256, (h, w), dtype=np.uint8)


@pytest.fixture
def bad_dataset(tmp_path):
    d, fused = tmp_path / "ds", tmp_path / "fused"
    for stem in ("a", "b", "h"):  # good pairs
        _save(d / "ir" / f"{stem}.png", _gray())
        _save(d / "vi" / f"{stem}.png", np.stack([_gray()] * 3, -1))
    _save(d / "ir" / "c.png", _gray())  # no visible partner
    _save(d / "ir" / "d.png", _gray())  # IR/VI size mismatch
    _save(d / "vi" / "d.png", _gray(32, 32))
    _save(d / "ir" / "e.png", _gray())  # truncated file
    (d / "ir" / "e.png").write_bytes((d / "ir" / "e.png").read_bytes()[:120])
    _save(d / "vi" / "e.png", _gray())
    _save(d / "ir" / "f.tif", RNG.random((40, 48)).astype(np.float32))  # mode F: unsupported
    _save(d / "vi" / "f.png", _gray())
    _save(d / "ir" / "g.png", RNG.integers(0, 65535, (40, 48)).astype(np.uint16))  # 16-bit IR
    _save(d / "vi" / "g.png", _gray())
    _save(fused / "a.png", _gray())
    _save(fused / "b.png", _gray(20, 20))  # fused size mismatch
    for stem in ("d", "e", "f", "g"):
        _save(fused / f"{stem}.png", _gray())
    _save(fused / "zz_extra.png", _gray())  # no source pair; "h" has no fused image
    return d, fused


EXPECTED = {
    ("c", None): "no visible image",
    ("d", "average"): "size mismatch", ("d", "ext"): "size mismatch",
    ("e", "average"): "corrupt or truncated", ("e", "ext"): "corrupt or truncated",
    ("f", "average"): "unsupported image mode", ("f", "ext"): "unsupported image mode",
    ("g", "average"): "16-bit", ("g", "ext"): "16-bit",
    ("b", "ext"): "size mismatch", ("h", "ext"): "no fused image",
}


def test_problems_reported_and_others_stored(bad_dataset, tmp_path):
    d, fused = bad_dataset
    res = evaluate([d], ["average", FusedFolder(fused, name="ext")], metrics=["EN", "SD"],
                   store=tmp_path / "s.sqlite", executor="inline", progress=False)
    got = {(p.image, p.method): p.reason for p in res.problems}
    assert set(got) == set(EXPECTED)
    for key, text in EXPECTED.items():
        assert text in got[key], (key, got[key])
    assert not res.complete
    scored = sorted({(r["method"], r["image"]) for r in res.records})
    assert scored == [("average", "a"), ("average", "b"), ("average", "h"), ("ext", "a")]
    assert len(res.records) == 8 and all(np.isfinite(r["value"]) for r in res.records)
    assert any("zz_extra.png" in w for w in res.warnings)
    with ResultStore(tmp_path / "s.sqlite") as st:
        assert st.count() == 8


def test_cli_exit_code_and_report(bad_dataset, tmp_path, capsys):
    d, fused = bad_dataset
    out = tmp_path / "r.csv"
    rc = main(["evaluate", "--method", "average", "--fused", str(fused), "--name", "ext", "--dataset", str(d),
               "--metrics", "EN,SD", "--store", str(tmp_path / "s.sqlite"), "--executor", "inline",
               "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 3
    assert f"INCOMPLETE: {len(EXPECTED)} pair(s) not scored" in err
    for (image, method), text in EXPECTED.items():
        line = next(ln for ln in err.splitlines() if ln.strip().startswith(f"ds/{image}")
                    and (method is None or f"[{method}]" in ln))
        assert text in line
    assert "zz_extra.png" in err
    assert len(out.read_text().strip().splitlines()) == 1 + 8


def test_unknown_names(capsys, tmp_path):
    args = ["--store", str(tmp_path / "s.sqlite"), "--no-progress"]
    assert main(["evaluate", "--method", "nosuch", "--dataset", "msrs"] + args) == 2
    assert "known: average" in capsys.readouterr().err
    assert main(["evaluate", "--method", "average", "--dataset", "nosuchset"] + args) == 2
    err = capsys.readouterr().err
    assert "unknown dataset" in err and "msrs" in err and "vifb" in err
    assert main(["evaluate", "--method", "average", "--dataset", "msrs", "--metrics", "XYZ"] + args) == 2
    assert main(["evaluate", "--method", "average", "--dataset", "msrs", "--profile", "nope"] + args) == 2
    assert "unknown profile" in capsys.readouterr().err
