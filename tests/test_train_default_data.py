"""`fusionbench train` out of the box: without ../shared the default data is the bundled sample's
training splits (never a test split), and the command says so."""

from pathlib import Path

from fusionbench.cli.train_cmd import describe_default_data
from fusionbench.datasets.resolve import SAMPLE_ROOT
from fusionbench.train.data import default_roots, find_pairs


def test_default_training_data_without_shared(monkeypatch, tmp_path):
    monkeypatch.setenv("FUSIONBENCH_SHARED", str(tmp_path / "absent"))
    roots = default_roots()
    assert [Path(r) for r, _ in roots] == [SAMPLE_ROOT / "llvip" / "train", SAMPLE_ROOT / "msrs" / "train"]
    pairs = [p for r, s in roots for p in find_pairs(r, s)]
    assert len(pairs) == 2 and all("test" not in Path(p[0]).parts for p in pairs)
    line = describe_default_data()
    assert line.startswith("the bundled sample's training splits (2 pairs") and "--data" in line
