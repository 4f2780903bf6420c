"""Dataset registry, folder layouts, pairing by stem, bundled sample."""

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fusionbench.datasets import SAMPLE_ROOT, get_spec, pair_folder, resolve_dataset
from fusionbench.errors import InputError, UnknownNameError

SHARED = Path(os.environ.get("FUSIONBENCH_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
DATA = SHARED / "data"
needs_data = pytest.mark.skipif(not (DATA / "tno42").is_dir(), reason="shared data not available")


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("FUSIONBENCH_DATA", raising=False)


def _img(path, shape=(8, 10), value=0, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = np.full(shape, value, dtype=np.uint8)
    Image.fromarray(arr, mode).save(path)


def test_bundled_sample_is_small_and_documented():
    total = sum(p.stat().st_size for p in SAMPLE_ROOT.rglob("*") if p.is_file())
    assert total <= 6 * 1024 * 1024
    prov = (SAMPLE_ROOT / "PROVENANCE.md").read_text()
    for text in ("Linfeng-Tang/VIF-Benchmark", "bupt-ai-cz/LLVIP", "non-commercial", "xingchenzhang/VIFB",
                 "hanna-xu/RoadScene"):
        assert text in prov
    assert (SAMPLE_ROOT / "llvip" / "TERMS_OF_USE.md").is_file()


@pytest.mark.parametrize("name,split,n", [("msrs", None, 2), ("msrs", "train", 1), ("tno", None, 4),
                                          ("tno25", None, 4), ("roadscene", None, 4), ("llvip", None, 1),
                                          ("llvip", "train", 1), ("vifb", None, 4), ("roadscene50", None, 4)])
def test_sample_datasets(name, split, n):
    ds = resolve_dataset(name, split=split)
    assert ds.is_sample and ds.root_source == "sample"
    assert len(ds.pairs) == n and not ds.problems
    assert "sample" in ds.label and "bundled sample" in ds.describe()
    for p in ds.pairs:
        assert Path(p.ir).stem == Path(p.vi).stem == p.name
    if get_spec(name).splits:
        assert ds.split == (split or "test")


def test_unknown_dataset_lists_known():
    with pytest.raises(UnknownNameError) as err:
        resolve_dataset("nosuchset")
    for name in ("msrs", "tno42", "roadscene", "llvip", "vifb", "m3fd"):
        assert name in str(err.value)


def test_dataset_missing_from_sample_says_so():
    with pytest.raises(InputError, match="bundled sample.*--data-root"):
        resolve_dataset("m3fd")


@needs_data
@pytest.mark.parametrize("name,root,n", [
    ("vifb", DATA, 21), ("vifb", DATA / "vifb", 21), ("tno42", DATA, 42), ("tno", DATA / "tno42", 42),
    ("tno25", DATA, 25), ("tno21", DATA, 21), ("roadscene", DATA, 221), ("roadscene", DATA / "roadscene", 221),
    ("roadscene50", DATA, 50), ("msrs", DATA, 2), ("msrs", DATA / "msrs_samples", 2), ("llvip", DATA, 12)])
def test_data_root_layouts(name, root, n, monkeypatch):
    ds = resolve_dataset(name, data_root_dir=root)
    assert not ds.is_sample and len(ds.pairs) == n and not ds.problems
    # the same through the environment variable
    monkeypatch.setenv("FUSIONBENCH_DATA", str(root))
    assert [p.name for p in resolve_dataset(name).pairs] == [p.name for p in ds.pairs]


@needs_data
def test_paths_and_splits():
    assert len(resolve_dataset(DATA / "vifb").pairs) == 21
    assert resolve_dataset(DATA / "llvip_samples", split="train").split == "train"
    assert len(resolve_dataset(DATA / "llvip_samples", split="train").pairs) == 32
    assert resolve_dataset(str(DATA / "tno42"), subset="tno25").pairs[7].name == "12"
    with pytest.raises(InputError, match="split"):
        resolve_dataset(DATA / "msrs_samples", split="val")


def test_case_insensitive_names_and_pairing(tmp_path):
    _img(tmp_path / "Infrared" / "a.png")
    _img(tmp_path / "Infrared" / "b.bmp")
    _img(tmp_path / "Infrared" / "only_ir.png")
    _img(tmp_path / "VISIBLE" / "a.jpg")
    _img(tmp_path / "VISIBLE" / "b.png")
    _img(tmp_path / "VISIBLE" / "only_vi.png")
    (tmp_path / "VISIBLE" / "notes.txt").write_text("ignored")
    ds = resolve_dataset(tmp_path)
    assert [p.name for p in ds.pairs] == ["a", "b"]
    assert "no visible image" in ds.problems["only_ir"]
    assert "no infrared image" in ds.problems["only_vi"]


@pytest.mark.parametrize("ir,vi", [("ir", "vi"), ("IR", "VI"), ("Ir", "Vis"), ("infrared", "visible"),
                                   ("input/IR", "input/VI")])
def test_folder_name_variants(tmp_path, ir, vi):
    _img(tmp_path / ir / "x.png")
    _img(tmp_path / vi / "x.png")
    assert [p.name for p in pair_folder(tmp_path).pairs] == ["x"]


def test_release_layout_modality_then_split(tmp_path):
    # LLVIP release: infrared/{train,test}, visible/{train,test}
    for split in ("train", "test"):
        _img(tmp_path / "infrared" / split / f"{split}1.jpg")
        _img(tmp_path / "visible" / split / f"{split}1.jpg")
    ds = resolve_dataset("llvip", data_root_dir=tmp_path, split="train")
    assert [p.name for p in ds.pairs] == ["train1"] and ds.split == "train"
    assert [p.name for p in resolve_dataset(tmp_path).pairs] == ["test1"]  # default split: test


def test_subset_file(tmp_path):
    for s in ("01", "02", "03"):
        _img(tmp_path / "d" / "ir" / f"{s}.png")
        _img(tmp_path / "d" / "vi" / f"{s}.png")
    lst = tmp_path / "subset.txt"
    lst.write_text("03.png\n01\n09\n")
    ds = resolve_dataset(tmp_path / "d", subset=str(lst))
    assert [p.name for p in ds.pairs] == ["01", "03"]
    assert "09" in ds.problems  # listed but absent: reported


def test_not_a_dataset(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(InputError, match="no infrared/visible folders"):
        resolve_dataset(tmp_path / "x")
    with pytest.raises(InputError, match="not found"):
        resolve_dataset(str(tmp_path / "missing"))


def test_roadscene_repository_layout(tmp_path):
    # the RoadScene repository also holds raw infrared/ and crop_HR_visible/: pair the cropped, size-matched ones
    _img(tmp_path / "infrared" / "FLIR_1.jpg", (16, 20))
    _img(tmp_path / "crop_HR_visible" / "FLIR_1.jpg", (30, 40))
    _img(tmp_path / "cropinfrared" / "FLIR_1.jpg")
    _img(tmp_path / "crop_LR_visible" / "FLIR_1.jpg")
    pl = pair_folder(tmp_path)
    assert Path(pl.ir_dir).name == "cropinfrared" and Path(pl.vi_dir).name == "crop_LR_visible"


def test_split_ignored_for_registered_sets_without_splits():
    assert resolve_dataset("tno", split="test").split is None
    assert resolve_dataset("msrs", split="train").split == "train"


def test_registered_name_wins_over_cwd_folder(tmp_path, monkeypatch):
    _img(tmp_path / "msrs" / "ir" / "x.png")
    _img(tmp_path / "msrs" / "vi" / "x.png")
    _img(tmp_path / "mine" / "ir" / "y.png")
    _img(tmp_path / "mine" / "vi" / "y.png")
    monkeypatch.chdir(tmp_path)
    assert resolve_dataset("msrs").is_sample
    assert [p.name for p in resolve_dataset("./msrs").pairs] == ["x"]
    assert [p.name for p in resolve_dataset("mine").pairs] == ["y"]  # unregistered name: a folder
