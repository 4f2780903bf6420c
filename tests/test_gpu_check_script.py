"""benchmarks/gpu_check.sh (run on a CUDA machine) parses, and its dry run plans every step within 10 min."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fusionbench.methods.networks import NETWORKS

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.sh"
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def test_syntax_and_dry_run():
    assert subprocess.run(["bash", "-n", str(SCRIPT)]).returncode == 0
    out = subprocess.run(["bash", str(SCRIPT), "--dry-run"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "-m cuda" in out.stdout and "bench_metrics.py --device cuda" in out.stdout
    for net in NETWORKS:
        assert f"train --method {net} --config full --steps 1 --device cuda" in out.stdout
    budget = int(re.search(r"step limits sum to (\d+)s", out.stdout).group(1))
    assert budget <= 600
