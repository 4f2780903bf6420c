"""Cost of a method: parameters, FLOPs (torch flop counter) and run time per size; evaluate --report-cost."""

import json
from pathlib import Path

import pytest

from fusionbench.cli import main
from fusionbench.errors import InputError
from fusionbench.methods.cost import card_cost_section, method_cost, parse_sizes

torch = pytest.importorskip("torch")

WEIGHTS = Path(__file__).resolve().parents[1] / "fusionbench" / "methods" / "networks" / "weights"


class _Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 4, 3, padding=1)
        self.out = torch.nn.Conv2d(4, 1, 1)

    def forward(self, a, b):
        return torch.sigmoid(self.out(self.conv(torch.cat([a, b], 1))))


def test_flops_of_a_known_network_are_exact():
    from fusionbench.methods.networks.common import TorchMethod
    m = TorchMethod(_Tiny(), name="tiny", device="cpu")
    rows = method_cost(m, sizes=[(8, 12), (16, 16)], repeats=1, warmup=0)
    assert [r["params"] for r in rows] == [2 * 4 * 9 + 4 + 4 + 1] * 2
    for r in rows:
        hw = r["height"] * r["width"]
        # conv 3x3: 2 * (4 * H * W) * (2 * 3 * 3); conv 1x1: 2 * (1 * H * W) * 4 (bias adds not counted)
        assert r["flops"] == 2 * 4 * hw * 18 + 2 * hw * 4
        assert r["gmacs"] == pytest.approx(r["flops"] / 2e9) and r["seconds"] > 0


def test_baseline_has_no_params_or_flops():
    rows = method_cost("average", sizes=[(16, 20)], repeats=1, warmup=0)
    assert rows[0]["params"] == 0 and rows[0]["flops"] is None and rows[0]["seconds"] >= 0


def test_one_network_matches_its_card_parameter_count():
    card = json.loads((WEIGHTS / "msfe.json").read_text())
    rows = method_cost("msfe", sizes=[(32, 32)], repeats=1, warmup=0, device="cpu")
    assert rows[0]["params"] == card["params_total"]
    assert rows[0]["flops"] > 0
    text = card_cost_section("msfe", sizes=[(32, 32)], repeats=1, device="cpu")
    assert text.startswith("## Cost") and "| msfe | 32 x 32 |" in text


def test_parse_sizes():
    assert parse_sizes("256x256, 480X640") == [(256, 256), (480, 640)]
    with pytest.raises(InputError, match="HxW"):
        parse_sizes("256")


def test_evaluate_report_cost(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FUSIONBENCH_NO_PROGRESS", "1")
    monkeypatch.delenv("FUSIONBENCH_DATA", raising=False)
    rc = main(["evaluate", "--method", "average", "--dataset", "msrs", "--metrics", "EN", "--store", ":memory:",
               "--executor", "inline", "--report-cost", "--cost-sizes", "16x16"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "| average | 16 x 16 | 0 | – | – |" in out


@pytest.mark.parametrize("name", ["s2fnet", "sspfusion", "smfnet", "msfe"])
def test_bundled_sidecar_has_a_cost_block_of_its_model(name):
    """Each main bundled network's sidecar keeps a ``cost`` block (`fusionbench card cost NAME`; a
    retrain drops it) whose parameter count is the model's (the model is built, not timed)."""
    import importlib
    meta = json.loads((WEIGHTS / f"{name}.json").read_text())
    assert meta.get("cost"), f"{name}.json has no cost block: run `fusionbench card cost {name}`"
    recipe = importlib.import_module(f"fusionbench.methods.networks.{name}").RECIPE
    model = recipe.build_model(meta["config"], None)
    params = sum(p.numel() for p in model.parameters())
    assert {r["params"] for r in meta["cost"]["rows"]} == {params}
    assert params == meta["params_total"]


def test_card_without_cost_says_how_to_measure_it(tmp_path, capsys):
    from fusionbench.methods.networks.msfe import RECIPE
    from fusionbench.train import save_weights
    from fusionbench.train.card import write_card
    save_weights(RECIPE.build_model("small", None), "msfe", None, meta={"config": "small"}, directory=tmp_path)
    text = write_card("msfe", None, directory=tmp_path).read_text()
    assert "## Cost" not in text
    assert "no Cost section: run `fusionbench card cost msfe`" in capsys.readouterr().err
