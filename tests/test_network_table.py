"""The README's network status table is what ``tools/network_table.py`` renders from the model cards'
JSON sidecars (every figure made by ``fusionbench card make``, checkable with ``card verify``)."""

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("torch")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("network_table", REPO / "tools" / "network_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_table_is_the_rendered_cards(tool):
    assert tool.current_block((REPO / "README.md").read_text()) == tool.render(), \
        "README.md's network table is stale: run python tools/network_table.py"
    assert tool.main(["--check"]) == 0


def test_rendering_follows_the_cards(tool, monkeypatch, tmp_path):
    import json
    import shutil
    for p in tool.WEIGHTS.glob("*.json"):
        shutil.copy(p, tmp_path / p.name)
    meta = json.loads((tmp_path / "msfe.json").read_text())
    meta["beats_average"] = ["EN"]
    (tmp_path / "msfe.json").write_text(json.dumps(meta))
    monkeypatch.setattr(tool, "WEIGHTS", tmp_path)
    row = [line for line in tool.render().splitlines() if line.startswith("| MSFE |")][0]
    assert "| 1 (EN) |" in row
