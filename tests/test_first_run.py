"""First run: compiling the Numba kernels says so (once, on stderr) and compiles only what is scored."""

import os
import subprocess
import sys

import pytest

pytest.importorskip("numba")

SCRIPT = """
import numpy as np
import fusionbench as fb
from fusionbench.backends import _numba_env as env
rng = np.random.default_rng(0)
A = rng.integers(0, 256, (40, 48)).astype(np.uint8)
B = A[::-1].copy()
F = ((A.astype(int) + B) // 2).astype(np.uint8)
fb.compute(F, A, B, metrics=["EN", "SD"], backend="numba")
fb.compute(F, B, A, metrics=["EN", "SD"], backend="numba")
print("COMPILED", ",".join(sorted({n.rsplit(".", 2)[-2] for n in env._CompileNotice.compiled})))
"""


def _run(cache, **extra):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1", **extra)
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    return out


def test_compile_notice_once_then_silent(tmp_path):
    cache = tmp_path / "numba-cache"  # does not exist yet, as on a fresh install
    cold = _run(cache)
    assert cold.stderr.count("compiling Numba kernels for first use") == 1, cold.stderr
    # only the kernels of the requested metrics: EN and SD live in _nb_stats
    modules = cold.stdout.split("COMPILED", 1)[1].split()[0].split(",")
    assert modules == ["_nb_stats"], modules
    warm = _run(cache)
    assert "compiling" not in warm.stderr
    assert warm.stdout.strip() == "COMPILED"  # everything came from the on-disk cache


def test_compile_notice_can_be_silenced(tmp_path):
    out = _run(tmp_path / "c", FUSIONBENCH_COMPILE_NOTICE="0")
    assert "compiling" not in out.stderr
