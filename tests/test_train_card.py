"""Model cards from the runner: `fusionbench card make|verify` and `train --evaluate`, on a stand-in
(an untrained small MSFE in a temporary folder, card sets cut to two bundled sample pairs each)."""

import json

import numpy as np
import pytest
import torch

from fusionbench.cli import main
from fusionbench.datasets import SAMPLE_ROOT, resolve_dataset
from fusionbench.train import card

SETS = {"tno42": ("tno", ["08", "35"]), "roadscene50": ("roadscene", ["FLIR_00211", "FLIR_00977"])}


@pytest.fixture
def stand_in(tmp_path, monkeypatch):
    """Card sets of 2 sample pairs each; returns a folder holding untrained small MSFE weights."""
    monkeypatch.delenv("FUSIONBENCH_DATA", raising=False)
    monkeypatch.setenv("FUSIONBENCH_NO_PROGRESS", "1")

    def sets():
        out = {}
        for name, (sample, stems) in SETS.items():
            subset = tmp_path / f"{name}.txt"
            subset.write_text("\n".join(stems))
            out[name] = resolve_dataset(sample, subset=str(subset))
        return out

    monkeypatch.setattr(card, "card_datasets", sets)
    monkeypatch.setattr(card, "CHECK_PAIR", ("tno42", "08.png"))
    monkeypatch.setattr(card, "MONTAGE_PAIRS", (("tno42", "35"), ("roadscene50", "FLIR_00211")))
    from fusionbench.methods.networks.msfe import RECIPE
    from fusionbench.train import save_weights
    torch.manual_seed(0)
    weights = tmp_path / "weights"
    save_weights(RECIPE.build_model("small", None), "msfe", None, meta={"config": "small"}, directory=weights)
    return weights


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_card_make_uses_the_runner_and_verify_agrees(stand_in, tmp_path, capsys):
    from fusionbench.imageio import read_image
    from fusionbench.methods import get_method
    from fusionbench.scoring import compute
    store = str(tmp_path / "s.sqlite")
    assert main(["card", "make", "msfe", "--directory", str(stand_in), "--store", store, "--jobs", "1",
                 "--no-progress"]) == 0
    meta = json.loads((stand_in / "msfe.json").read_text())
    assert meta["config"] == "small"  # the training part of the sidecar is kept
    assert set(meta["metrics"]) == set(meta["baselines"]["average"]) == {"tno42", "roadscene50"}
    assert meta["metrics"]["tno42"]["n_pairs"] == 2 and set(meta["metrics"]["tno42"]["means"]) == set(
        card.TABLE_METRICS)
    # the same numbers as scoring each pair directly
    net, avg = get_method("msfe", device="cpu", weights_dir=stand_in), get_method("average")
    direct = {"msfe": [], "average": []}
    for stem in SETS["tno42"][1]:
        ir, vi = (read_image(SAMPLE_ROOT / "tno" / side / f"{stem}.png") for side in ("ir", "vi"))
        for who, m in (("msfe", net), ("average", avg)):
            direct[who].append(compute(m.fuse_images(ir, vi), ir, vi, list(card.TABLE_METRICS)))
    for k in card.TABLE_METRICS:
        assert meta["baselines"]["average"]["tno42"]["means"][k] == pytest.approx(
            np.mean([r[k] for r in direct["average"]]), rel=1e-12)
        assert meta["metrics"]["tno42"]["means"][k] == pytest.approx(
            np.mean([r[k] for r in direct["msfe"]]), rel=1e-6)
        assert meta["check_pair"]["metrics"][k] == pytest.approx(direct["msfe"][0][k], rel=1e-6)
    assert meta["check_pair"]["pair"] == "tno42/08.png"
    from fusionbench.metrics import CARDS
    a, b = meta["metrics"]["tno42"]["means"], meta["baselines"]["average"]["tno42"]["means"]
    assert meta["beats_average"] == [k for k in card.TABLE_METRICS
                                     if a[k] != b[k] and (a[k] > b[k]) == CARDS[k].higher_is_better]
    from fusionbench.train.weights import file_digest
    assert meta["weights_sha256"] == file_digest(stand_in / "msfe.safetensors")
    # montage: 2 rows x 5 labelled tiles, small; linked from the card
    montage = stand_in / "msfe_montage.png"
    from PIL import Image
    with Image.open(montage) as im:
        assert im.width == 5 * card.TILE_WIDTH + 4 * 4 and im.mode == "L"
    assert montage.stat().st_size < 400_000
    text = (stand_in / "msfe.md").read_text()
    assert "(msfe_montage.png)" in text and f"on {len(meta['beats_average'])} of 10 metrics" in text
    assert "tno42/08.png" in text
    capsys.readouterr()

    before = _snapshot(stand_in)
    assert main(["card", "verify", "msfe", "--directory", str(stand_in), "--jobs", "1", "--no-progress"]) == 0
    assert "agree" in capsys.readouterr().out
    assert _snapshot(stand_in) == before  # read-only

    meta["metrics"]["roadscene50"]["means"]["EN"] *= 1 + 1e-6  # within the tolerance of networks
    meta["baselines"]["average"]["tno42"]["means"]["SD"] *= 1 + 1e-5  # outside that of baselines
    meta["check_pair"]["metrics"]["MI"] += 0.01
    (stand_in / "msfe.json").write_text(json.dumps(meta))
    assert main(["card", "verify", "msfe", "--directory", str(stand_in), "--store", store, "--jobs", "1",
                 "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "2 of the card's values differ" in out
    assert "baselines.average.tno42.means.SD" in out and "check_pair.metrics.MI" in out


def test_train_evaluate_makes_the_same_card(stand_in, tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["train", "--method", "msfe", "--steps", "2", "--crop", "32", "--batch", "1", "--device", "cpu",
               "--data", str(SAMPLE_ROOT / "msrs" / "train"), "--out", str(out), "--evaluate", "--no-progress"])
    assert rc == 0
    meta = json.loads((out / "msfe.json").read_text())
    assert meta["steps"] == 2 and set(meta["baselines"]["average"]) == {"tno42", "roadscene50"}
    assert (out / "msfe_montage.png").exists() and "msfe_montage.png" in (out / "msfe.md").read_text()
    capsys.readouterr()
    assert main(["card", "verify", "msfe", "--directory", str(out), "--jobs", "1", "--no-progress"]) == 0


def test_card_needs_the_full_sets(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FUSIONBENCH_SHARED", str(tmp_path))
    with pytest.raises(card.InputError, match="full tno42 set"):
        card.card_datasets()
    assert main(["card", "make", "msfe", "--directory", str(tmp_path)]) == 2
    assert "FUSIONBENCH_SHARED" in capsys.readouterr().err


def test_card_refuses_baselines_and_unevaluated_weights(stand_in, capsys):
    assert main(["card", "make", "gff"]) == 2
    assert "trained networks" in capsys.readouterr().err
    count, diffs = card.verify_card("msfe", directory=stand_in)
    assert count == 0 and "card make msfe" in diffs[0]


def test_compare_tolerances():
    a = {"metrics": {"t": {"means": {"EN": 1.0}}}, "baselines": {"average": {"t": {"EN": 1.0}}}, "beats": ["EN"]}
    same = {"metrics": {"t": {"means": {"EN": 1 + 5e-5}}}, "baselines": {"average": {"t": {"EN": 1 + 5e-8}}},
            "beats": ["EN"]}
    assert card.compare(a, same) == (3, [])
    other = {"metrics": {"t": {"means": {"EN": 1 + 2e-4}}}, "baselines": {"average": {"t": {"EN": 1 + 5e-7}}},
             "beats": []}
    count, diffs = card.compare(a, other)
    assert count == 3 and len(diffs) == 3 and diffs[0].startswith("baselines.average.t.EN")
    assert card.compare({"x": float("nan")}, {"x": float("nan")}) == (1, [])
    assert card.compare({"x": 1}, {"y": 1})[1] == ["x: only in the card", "y: missing from the card"]


def test_card_cost_goes_into_sidecar_and_card(stand_in, monkeypatch, capsys):
    from fusionbench.methods import cost
    monkeypatch.setitem(cost.method_cost.__kwdefaults__, "sizes", ((32, 32),))
    assert main(["card", "cost", "msfe", "--directory", str(stand_in)]) == 0
    meta = json.loads((stand_in / "msfe.json").read_text())
    row, = meta["cost"]["rows"]
    from fusionbench.methods.networks.msfe import RECIPE
    assert row["params"] == sum(p.numel() for p in RECIPE.build_model("small", None).parameters())
    assert row["height"] == 32 and row["flops"] > 0 and row["seconds"] > 0
    text = (stand_in / "msfe.md").read_text()
    assert "## Cost" in text and "card cost msfe" in text
