"""Shared training loop: data discovery, seeds, CSV logs, checkpoints/resume, safe weights."""

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from fusionbench.errors import InputError
from fusionbench.train import Recipe, find_pairs, load_weights, save_weights, split_steps, train
from fusionbench.train.data import shared_root


def _data_ok():
    return (shared_root() / "data" / "msrs_samples" / "train").is_dir()


class Toy(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, 3, padding=1)

    def forward(self, ir, vi):
        return torch.sigmoid(self.conv(torch.cat([ir, vi], 1)))


class ToyRecipe(Recipe):
    name = "toy"
    configs = {"small": {}}
    stages = [("a", 0.5), ("b", 0.5)]

    def build_model(self, config="small", ablation=None):
        return Toy()

    def make_optimizers(self, model, stage):
        return {"g": torch.optim.Adam(model.parameters(), lr=1e-2)}

    def train_step(self, model, batch, optimizers, stage, step):
        f = model(batch["ir"], batch["vi"])
        loss = (f - torch.maximum(batch["ir"], batch["vi"])).abs().mean()
        optimizers["g"].zero_grad()
        loss.backward()
        optimizers["g"].step()
        return {"total": loss.item(), "l1": loss.item()}


def test_split_steps():
    assert split_steps([("a", 0.3), ("b", 0.7)], 10) == [3, 7]
    assert sum(split_steps([("a", 0.33), ("b", 0.33), ("c", 0.34)], 7)) == 7


def test_test_split_refused(tmp_path):
    (tmp_path / "test" / "ir").mkdir(parents=True)
    with pytest.raises(InputError, match="test split"):
        find_pairs(tmp_path / "test")


@pytest.mark.skipif(not _data_ok(), reason="shared data not available")
def test_loop_logs_resume_and_weights(tmp_path):
    data = [shared_root() / "data" / "msrs_samples" / "train"]
    kw = dict(data=data, crop=32, batch=2, progress=False, recipe=ToyRecipe(), device="cpu")
    full = train("toy", steps=8, out=tmp_path / "full", **kw)
    rows = list(csv.DictReader(open(tmp_path / "full" / "log_b.csv")))
    assert [int(r["step"]) for r in rows] == [5, 6, 7, 8] and "l1" in rows[0]
    # weights round-trip through safetensors
    save_weights(full["model"], "toy", None, meta={"config": "small"}, directory=tmp_path / "w")
    m = Toy()
    meta = load_weights(m, "toy", None, directory=tmp_path / "w")
    assert meta["config"] == "small"
    x = torch.rand(1, 1, 9, 11)
    assert torch.equal(m(x, x), full["model"](x, x))


@pytest.mark.skipif(not _data_ok(), reason="shared data not available")
def test_fresh_run_replaces_old_logs_and_records_load(tmp_path):
    data = [shared_root() / "data" / "msrs_samples" / "train"]
    kw = dict(data=data, crop=32, batch=2, progress=False, recipe=ToyRecipe(), device="cpu")
    train("toy", steps=6, out=tmp_path, **kw)
    res = train("toy", steps=4, out=tmp_path, **kw)  # same folder, no resume: a new run
    steps = [int(r["step"]) for r in csv.DictReader(open(tmp_path / "log_b.csv"))]
    assert steps == [3, 4]
    assert set(res["load_average"]) == {"before", "mean", "max"} and res["threads"] >= 1


def test_default_training_split_excludes_test_pairs():
    from fusionbench.datasets.registry import ROADSCENE50
    from fusionbench.train.data import default_roots, read_split
    train_stems = read_split("roadscene_train")
    assert len(train_stems) == 171 and not set(train_stems) & set(ROADSCENE50)
    for root, stems in default_roots():
        assert "tno" not in str(root).lower() and "test" not in Path(root).parts
        if stems is not None and root.is_dir():
            assert len(find_pairs(root, stems)) == len(stems)


@pytest.mark.skipif(not _data_ok(), reason="shared data not available")
def test_resume_mid_stage_matches(tmp_path):
    data = [shared_root() / "data" / "msrs_samples" / "train"]
    kw = dict(data=data, crop=32, batch=2, progress=False, recipe=ToyRecipe(), device="cpu")
    ref = train("toy", steps=10, out=tmp_path / "ref", **kw)
    # crash at step 4 (checkpoint at step 3), resume: same weights as the uninterrupted run
    import shutil
    run = tmp_path / "run"

    class Stop(Exception):
        pass

    class Stopping(ToyRecipe):
        def train_step(self, model, batch, optimizers, stage, step):
            if step == 4:
                raise Stop
            return super().train_step(model, batch, optimizers, stage, step)

    with pytest.raises(Stop):
        train("toy", steps=10, out=run, ckpt_every=3, **dict(kw, recipe=Stopping()))
    res = train("toy", steps=10, out=run, resume=True, ckpt_every=3, **kw)
    for k, v in ref["model"].state_dict().items():
        assert torch.allclose(v, res["model"].state_dict()[k], atol=1e-7)
    steps = [int(r["step"]) for r in csv.DictReader(open(run / "log_a.csv"))]
    assert steps == [1, 2, 3, 4, 5]  # the row logged after the checkpoint was dropped on resume
    shutil.rmtree(run)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available() or not _data_ok(), reason="needs CUDA and shared data")
def test_loop_on_cuda(tmp_path):
    data = [shared_root() / "data" / "msrs_samples" / "train"]
    res = train("toy", steps=4, out=tmp_path, data=data, crop=32, batch=2, progress=False,
                recipe=ToyRecipe(), device="cuda")
    assert next(res["model"].parameters()).is_cuda and np.isfinite(res["final_losses"]["total"])
