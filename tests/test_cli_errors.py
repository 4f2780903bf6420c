"""Issue #13: command-line mistakes end in one clear line (exit 2), found before any scoring."""

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fusionbench.cli import main
from fusionbench.errors import InputError
from fusionbench.runner import evaluate
from fusionbench.store import write_frame


def _gray(path, seed=0, h=40, w=48):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)).save(path)
    return path


@pytest.fixture
def ds(tmp_path):
    d = tmp_path / "ds"
    for i, stem in enumerate("ab"):
        _gray(d / "ir" / f"{stem}.png", i), _gray(d / "vi" / f"{stem}.png", 10 + i)
    return d


def _evaluate(ds, tmp_path, *extra):
    return main(["evaluate", "--dataset", str(ds), "--metrics", "EN", "--store", str(tmp_path / "s.sqlite"),
                 "--executor", "inline", "--no-progress", *extra])


@pytest.mark.parametrize("extra, text", [
    (["--method", "average", "--jobs", "-3"], "--jobs: must be at least 1"),
    (["--method", "average", "--method", "average"], "'average' given twice"),
    (["--method", "average", "--out", "r.txt"], "unknown output format .txt"),
    (["--method", "average", "--out", "{file}/r.csv"], "cannot write there"),
    (["--method", "average", "--summary-out", "{file}/s.json"], "cannot write there"),
    (["--method", "average", "--metrics", ""], "no metric names given"),
])
def test_evaluate_mistakes_fail_before_scoring(ds, tmp_path, capsys, extra, text):
    (tmp_path / "file").write_text("a file, not a folder")
    extra = [x.replace("{file}", str(tmp_path / "file")) for x in extra]
    assert _evaluate(ds, tmp_path, *extra) == 2
    err = capsys.readouterr().err
    assert text in err and "Traceback" not in err
    assert not (tmp_path / "s.sqlite").exists()  # nothing was scored


def test_library_rejects_bad_jobs_and_empty_metrics(ds):
    with pytest.raises(InputError, match="--jobs"):
        evaluate([ds], ["average"], jobs=-3, store=":memory:", progress=False)
    with pytest.raises(InputError, match="no metric names"):
        evaluate([ds], ["average"], metrics=[], store=":memory:", progress=False)


def test_empty_dataset_fails(tmp_path, capsys):
    empty = tmp_path / "empty"
    (empty / "ir").mkdir(parents=True), (empty / "vi").mkdir()
    assert _evaluate(empty, tmp_path, "--method", "average") == 2
    assert "has no image pairs" in capsys.readouterr().err


def test_duplicate_stems_in_a_fused_folder_name_both_files(ds, tmp_path, capsys):
    fused = tmp_path / "mine"
    _gray(fused / "a.png"), _gray(fused / "b.png"), _gray(fused / "a.bmp", 5)
    assert _evaluate(ds, tmp_path, "--fused", str(fused)) == 2
    assert "several fused images share a name: a.bmp and a.png" in capsys.readouterr().err


def test_fuse_unknown_extension_and_atomic_image(ds, tmp_path, capsys):
    ir, vi = ds / "ir" / "a.png", ds / "vi" / "a.png"
    assert main(["fuse", "--method", "average", "--ir", str(ir), "--vi", str(vi),
                 "--out", str(tmp_path / "f.xyz")]) == 2
    assert "f.xyz: unknown output format .xyz" in capsys.readouterr().err
    assert main(["fuse", "--method", "average", "--ir", str(ir), "--vi", str(vi),
                 "--out", str(tmp_path / "f.bmp")]) == 0
    assert Image.open(tmp_path / "f.bmp").format == "BMP"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_out_is_written_atomically(tmp_path, monkeypatch):
    out = tmp_path / "r.csv"
    out.write_text("old complete file\n")

    def disk_full(self, path, **kw):
        open(path, "w").write("dataset,meth")  # a cut file, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    with pytest.raises(InputError, match=r"r\.csv: could not write it \(No space left on device\)"):
        write_frame(pd.DataFrame({"value": [1.0]}), out)
    assert out.read_text() == "old complete file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]  # no temporary file left


def test_json_has_null_not_infinity(tmp_path, capsys):
    img = _gray(tmp_path / "x.png")  # fused = sources: MSE 0, PSNR infinite
    assert main(["score", "--fused", str(img), "--ir", str(img), "--vi", str(img), "--metrics", "PSNR,EN",
                 "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert "Infinity" not in out and json.loads(out)["values"]["PSNR"] is None
    path = write_frame(pd.DataFrame({"value": [np.inf, np.nan, 1.5]}), tmp_path / "r.json")
    assert "Infinity" not in path.read_text() and json.loads(path.read_text()) == [
        {"value": None}, {"value": None}, {"value": 1.5}]


def test_evaluate_json_summary_and_n_per_metric(tmp_path, capsys):
    d = tmp_path / "same"
    for stem in "ab":  # fused (average of two equal images) = sources: PSNR infinite, SCD NaN
        _gray(d / "ir" / f"{stem}.png"), _gray(d / "vi" / f"{stem}.png")
    _gray(d / "ir" / "c.png", 1), _gray(d / "vi" / "c.png", 2)
    base = ["evaluate", "--method", "average", "--dataset", str(d), "--metrics", "PSNR,SCD", "--store",
            str(tmp_path / "s.sqlite"), "--executor", "inline", "--no-progress"]
    assert main(base + ["--format", "json"]) == 0
    out = capsys.readouterr().out
    assert "Infinity" not in out and "NaN" not in out
    rows = {r["metric"]: r for r in json.loads(out)}
    assert rows["PSNR"]["mean"] is None and rows["SCD"]["n"] == 1
    assert main(base) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("average"))
    assert line.split()[1] == "3" and "(n=1)" in line  # 3 pairs; SCD's mean is over 1
