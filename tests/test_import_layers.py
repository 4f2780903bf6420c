"""Issue #15: the package layers (``.importlinter``) hold, no import cycle is ignored, and metrics
never imports backends."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept():
    pytest.importorskip("importlinter", reason="import-linter not installed (dev extra)")
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    proc = subprocess.run([exe, "--config", str(REPO / ".importlinter")], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken" in proc.stdout


def test_no_known_cycles_are_ignored():
    """The methods <-> train and report significance <-> tables cycles are gone: no ignore_imports."""
    assert "ignore_imports" not in (REPO / ".importlinter").read_text()


def test_networks_do_not_import_the_training_layer():
    grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter (dev extra)")
    graph = grimp.build_graph("fusionbench")
    chains = graph.find_shortest_chains(importer="fusionbench.methods", imported="fusionbench.train")
    assert not chains, sorted(chains)[:3]
    for a, b in (("significance", "tables"), ("tables", "significance")):
        if graph.find_shortest_chain(importer=f"fusionbench.report.{a}", imported=f"fusionbench.report.{b}"):
            assert not graph.find_shortest_chain(importer=f"fusionbench.report.{b}",
                                                 imported=f"fusionbench.report.{a}"), f"{a} <-> {b} cycle"


def test_metrics_does_not_import_backends():
    grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter (dev extra)")
    graph = grimp.build_graph("fusionbench")
    for low, high in (("metrics", "backends"), ("metrics", "scoring"), ("backends", "scoring")):
        chains = graph.find_shortest_chains(importer=f"fusionbench.{low}", imported=f"fusionbench.{high}")
        assert not chains, f"fusionbench.{low} imports fusionbench.{high}: {sorted(chains)[:3]}"
