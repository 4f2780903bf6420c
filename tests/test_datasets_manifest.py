"""`datasets fetch` hardening: per-file sha256 manifests, layout rules, size/ratio limits, corrupt archives.

Archives are made by hand and served as file:// URLs (no network needed).
"""

import io
import re
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import require_shared
from PIL import Image

from fusionbench.cli import main
from fusionbench.datasets import manifest as mf
from fusionbench.datasets.fetch import FetchError, fetch_dataset, safe_extract
from fusionbench.datasets.registry import DATASETS, get_spec

TNO_SRC = "Image-Fusion-dba5bf3/General Evaluation Metric/Image/Source-Image/TNO"
TNO_ALG = "Image-Fusion-dba5bf3/General Evaluation Metric/Image/Algorithm"


def _png(value):
    buf = io.BytesIO()
    Image.fromarray(np.full((6, 7), value, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _tno_zip(path, *, extra=None, replace=None, drop=None):
    """A miniature TNO-42 archive in the GitHub layout (2 pairs, one method's fused images)."""
    files = {}
    for i, stem in enumerate(("01", "02")):
        files[f"{TNO_SRC}/ir/{stem}.png"] = _png(10 + i)
        files[f"{TNO_SRC}/vi/{stem}.png"] = _png(100 + i)
        files[f"{TNO_ALG}/DenseFuse_TNO/{stem}.png"] = _png(50 + i)
    files["Image-Fusion-dba5bf3/README.md"] = b"not part of the dataset"
    files.update(extra or {})
    files.update(replace or {})
    for name in drop or ():
        files.pop(name)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path.as_uri()


@pytest.fixture
def tno_manifest(tmp_path, monkeypatch):
    """A manifest of the miniature archive, installed in place of the real tno42 manifest."""
    mdir = tmp_path / "manifests"
    mdir.mkdir()
    ref = tmp_path / "ref"
    for stem, i in (("01", 0), ("02", 1)):
        for rel, v in ((f"ir/{stem}.png", 10), (f"vi/{stem}.png", 100), (f"fused/DenseFuse/{stem}.png", 50)):
            (ref / rel).parent.mkdir(parents=True, exist_ok=True)
            (ref / rel).write_bytes(_png(v + i))
    mf.write_manifest(ref, mdir / "tno42.sha256")
    monkeypatch.setattr(mf, "MANIFEST_DIR", mdir)
    return mdir / "tno42.sha256"


def test_layout_and_manifest_verified(tmp_path, tno_manifest):
    url = _tno_zip(tmp_path / "tno.zip")
    info = fetch_dataset("tno42", tmp_path / "root", url=url, progress=False)
    out = tmp_path / "root" / "tno42"
    assert info["verified"] and info["manifest_files"] == 6
    assert sorted(mf.folder_files(out)) == ["fused/DenseFuse/01.png", "fused/DenseFuse/02.png", "ir/01.png",
                                            "ir/02.png", "vi/01.png", "vi/02.png"]  # README.md left behind
    assert not list((tmp_path / "root").glob(".*"))


def test_file_manager_litter_left_behind(tmp_path, tno_manifest):
    # the real RoadScene archive holds crop_LR_visible/Thumbs.db; it must not fail the manifest check
    litter = {f"{TNO_SRC}/vi/Thumbs.db": b"x", f"{TNO_SRC}/ir/.DS_Store": b"x", f"{TNO_SRC}/ir/._01.png": b"x"}
    info = fetch_dataset("tno42", tmp_path / "root", url=_tno_zip(tmp_path / "tno.zip", extra=litter),
                         progress=False)
    assert info["placed"] == info["manifest_files"] == 6


def test_roadscene_rules_take_images_only():
    rules = [re.compile(rx) for rx, _ in get_spec("roadscene").layout]
    base = "RoadScene-ab71420f8fc96396eeb97eecf3694909b3feb656"
    assert any(r.fullmatch(f"{base}/crop_LR_visible/FLIR_00006.jpg") for r in rules)
    assert not any(r.fullmatch(f"{base}/crop_LR_visible/Thumbs.db") for r in rules)
    assert not any(r.fullmatch(f"{base}/crop_HR_visible/FLIR_00006.jpg") for r in rules)


@pytest.mark.parametrize("change,match", [
    ({"replace": {f"{TNO_SRC}/ir/01.png": _png(11)}}, r"changed \(sha256 differs\): ir/01\.png"),
    ({"drop": [f"{TNO_ALG}/DenseFuse_TNO/02.png"]}, r"missing: fused/DenseFuse/02\.png"),
    ({"extra": {f"{TNO_SRC}/vi/03.png": _png(7)}}, r"not in the manifest: vi/03\.png"),
])
def test_manifest_mismatch_refused(tmp_path, tno_manifest, change, match):
    url = _tno_zip(tmp_path / "tno.zip", **change)
    with pytest.raises(FetchError, match=match):
        fetch_dataset("tno42", tmp_path / "root", url=url, progress=False)
    assert not (tmp_path / "root" / "tno42").exists()
    assert not list((tmp_path / "root").glob(".*"))  # staging removed


def test_unverifiable_download_needs_consent(tmp_path):
    with zipfile.ZipFile(tmp_path / "m.zip", "w") as zf:
        zf.writestr("M3FD-x/ir/a.png", _png(1))
        zf.writestr("M3FD-x/vi/a.png", _png(2))
    url = (tmp_path / "m.zip").as_uri()
    with pytest.raises(FetchError, match="cannot be verified"):
        fetch_dataset("m3fd", tmp_path / "root", url=url, subdir="M3FD-*", progress=False)
    info = fetch_dataset("m3fd", tmp_path / "root", url=url, subdir="M3FD-*", progress=False,
                         allow_unverified=True)
    assert not info["verified"] and (tmp_path / "root" / "m3fd" / "ir" / "a.png").is_file()


def test_bad_crc_zip(tmp_path):
    arc = tmp_path / "bad.zip"
    with zipfile.ZipFile(arc, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("set/ir/a.png", b"A" * 4000)
        zf.writestr("set/ir/b.png", b"B" * 4000)
    raw = bytearray(arc.read_bytes())
    raw[raw.index(b"B" * 100) + 50] ^= 0xFF  # flip one stored byte of b.png: its CRC no longer matches
    arc.write_bytes(bytes(raw))
    with pytest.raises(FetchError, match=r"corrupt archive, member 'set/ir/b.png'.*CRC"):
        safe_extract(arc, tmp_path / "out")
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]  # a.png removed again


@pytest.mark.parametrize("mode,suffix", [("w", ".tar"), ("w:gz", ".tar.gz")])
def test_truncated_tar(tmp_path, mode, suffix):
    arc = tmp_path / f"cut{suffix}"
    rng = np.random.default_rng(0)
    with tarfile.open(arc, mode) as tf:
        for name in ("set/ir/a.png", "set/ir/b.png"):
            data = rng.integers(0, 256, 200_000, dtype=np.uint8).tobytes()  # incompressible
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    arc.write_bytes(arc.read_bytes()[: int(arc.stat().st_size * 0.7)])
    with pytest.raises(FetchError, match="truncated"):
        safe_extract(arc, tmp_path / "out")
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]


def test_truncated_before_first_member(tmp_path):
    arc = tmp_path / "tiny.tar.gz"
    with tarfile.open(arc, "w:gz") as tf:
        info = tarfile.TarInfo("a")
        info.size = 3
        tf.addfile(info, io.BytesIO(b"abc"))
    arc.write_bytes(arc.read_bytes()[:12])
    with pytest.raises(FetchError, match="not a zip or tar archive|truncated|corrupt"):
        safe_extract(arc, tmp_path / "out")


def test_zip_bomb_ratio_refused(tmp_path):
    arc = tmp_path / "bomb.zip"
    with zipfile.ZipFile(arc, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("set/ir/a.png", b"\0" * (40 << 20))  # 40 MiB of zeros -> ~40 KB
    assert arc.stat().st_size < 200_000
    with pytest.raises(FetchError, match="archive bomb"):
        safe_extract(arc, tmp_path / "out")
    assert not (tmp_path / "out" / "set" / "ir" / "a.png").exists()  # refused from the declared size


def test_size_limit_counts_real_bytes(tmp_path, monkeypatch):
    arc = tmp_path / "big.tar"
    data = b"x" * 300_000
    with tarfile.open(arc, "w") as tf:
        info = tarfile.TarInfo("set/a.bin")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    monkeypatch.setenv("FUSIONBENCH_MAX_EXTRACT_BYTES", "100000")
    with pytest.raises(FetchError, match="more than 100,000 bytes"):
        safe_extract(arc, tmp_path / "out")
    monkeypatch.setenv("FUSIONBENCH_MAX_EXTRACT_BYTES", "lots")
    with pytest.raises(FetchError, match="not a number"):
        safe_extract(arc, tmp_path / "out")
    monkeypatch.delenv("FUSIONBENCH_MAX_EXTRACT_BYTES")
    assert safe_extract(arc, tmp_path / "out") == ["set/a.bin"]


def test_every_fetchable_dataset_is_verifiable():
    for spec in DATASETS.values():
        if spec.url and not spec.sha256 and spec.name != "msrs":
            assert mf.has_manifest(spec.name), spec.name
    for name in ("tno42", "tno21", "roadscene", "vifb"):
        files, complete = mf.read_manifest(name)
        assert complete and all(re.fullmatch(r"[0-9a-f]{64}", d) for d in files.values())
    assert len(mf.read_manifest("tno42")[0]) == 42 * 2 + 42 * 9 + 2  # + PMGI's two stray files
    assert len(mf.read_manifest("vifb")[0]) == 21 * 2 + 21 * 25


def _github_names(name, data: Path):
    """The archive paths the public repository holds for each file of our copy (inverse of the rules)."""
    out = {}
    for rel in mf.folder_files(data):
        if rel.startswith("published_metrics/"):
            continue
        top, _, rest = rel.partition("/")
        if name == "vifb":
            arc = f"VIFB-x/input/{rest}" if top == "input" else f"VIFB-x/output/fused_images/{rest}"
        elif name == "tno21":
            arc = "C-x/ResNet_ZCA_Image_Fusion_Codes/IV_images/" + (
                f"IR/IR{int(rest[:2])}.png" if top == "ir" else f"VIS/VIS{int(rest[:2])}.png")
        else:
            raise AssertionError(name)
        out[arc] = data / rel
    return out


@pytest.mark.parametrize("name", ["tno21", "vifb"])
def test_real_manifest_and_layout_against_the_reference_copy(tmp_path, name):
    """The shipped manifest and layout rules accept an archive in the public repository's layout."""
    data = require_shared("data", name)
    arc = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(arc, "w", compression=zipfile.ZIP_STORED) as zf:
        for arcname, path in _github_names(name, data).items():
            zf.write(path, arcname)
        if name == "vifb":  # the old duplicate method name is in VIFB's repository, left out by the rules
            zf.writestr("VIFB-x/output/fused_images/kettle_MST_SR.jpg", b"dup")
    info = fetch_dataset(name, tmp_path / "root", url=arc.as_uri(), progress=False)
    assert info["verified"] and info["manifest_files"] == len(mf.read_manifest(name)[0])


def test_tno42_rules_map_the_public_names_onto_the_manifest():
    files, _ = mf.read_manifest("tno42")
    spec = get_spec("tno42")
    staging_names = [f"{TNO_SRC}/{rel}" if not rel.startswith("fused/") else
                     f"{TNO_ALG}/{rel.split('/')[1]}_TNO/{rel.split('/')[2]}" for rel in files]
    mapped = set()
    for name in staging_names:
        for rx, tpl in spec.layout:
            m = re.fullmatch(rx, name)
            if m:
                mapped.add(tpl.format(*m.groups()))
                break
    assert mapped == set(files)


def test_cli_fetch_two_names(tmp_path, tno_manifest, capsys):
    url = _tno_zip(tmp_path / "tno.zip")
    assert main(["datasets", "fetch", "tno42", "vifb", "--url", url, "--no-progress",
                 "--data-root", str(tmp_path)]) == 2
    assert "apply to one dataset" in capsys.readouterr().err
    assert main(["datasets", "fetch", "tno42", "--url", url, "--no-progress", "--data-root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "placed 6 of the archive's 7 files" in out and "6 files match the sha256 manifest" in out


def test_info_names_the_manifest(capsys, monkeypatch):
    monkeypatch.delenv("FUSIONBENCH_DATA", raising=False)
    assert main(["datasets", "info", "tno42"]) == 0
    assert "manifest       464 files (complete)" in capsys.readouterr().out
