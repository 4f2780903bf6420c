"""`fusionbench train` / `fusionbench fuse` end to end on tiny settings."""

import numpy as np
import pytest

from fusionbench.cli import main
from fusionbench.train.data import shared_root

DATA = shared_root() / "data" / "msrs_samples"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="shared data not available")


def test_train_cli_writes_weights_card_and_log(tmp_path, capsys):
    rc = main(["train", "--method", "sspfusion", "--ablation", "no_sfe", "--steps", "3", "--crop", "32",
               "--batch", "1", "--device", "cpu", "--data", str(DATA / "train"), "--out", str(tmp_path),
               "--no-progress"])
    assert rc == 0
    for f in ("sspfusion__no_sfe.safetensors", "sspfusion__no_sfe.json", "sspfusion__no_sfe.md",
              "log_fusion.csv", "checkpoint.pt"):
        assert (tmp_path / f).exists(), f
    assert "trained 3 steps" in capsys.readouterr().out


def test_train_cli_refuses_test_split(tmp_path, capsys):
    rc = main(["train", "--method", "s2fnet", "--steps", "1", "--data", str(DATA / "test"),
               "--out", str(tmp_path), "--no-progress"])
    assert rc == 2 and "test split" in capsys.readouterr().err


def test_train_cli_unknown_ablation(tmp_path, capsys):
    rc = main(["train", "--method", "s2fnet", "--ablation", "bogus", "--out", str(tmp_path)])
    assert rc == 2 and "no_cagfm" in capsys.readouterr().err


def test_fuse_cli(tmp_path):
    from fusionbench.imageio import read_image
    ir, vi = DATA / "test" / "ir" / "00537D.png", DATA / "test" / "vi" / "00537D.png"
    out = tmp_path / "f.png"
    assert main(["fuse", "--method", "average", "--ir", str(ir), "--vi", str(vi), "--out", str(out)]) == 0
    f = read_image(out)
    assert f.shape == read_image(vi).shape and f.dtype == np.uint8
