"""A fresh NUMBA_CACHE_DIR that does not exist yet: compiled once, then loaded from the cache (#13)."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PROBE = """
import numpy as np
from fusionbench.backends import _nb_stats
_nb_stats.fingerprint(np.zeros((8, 8), np.uint8))
d = _nb_stats.fingerprint
print(sum(d._cache_hits.values()), sum(d._cache_misses.values()))
"""


def _run(cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                         timeout=300, check=True)
    hits, misses = map(int, out.stdout.split())
    return hits, misses


def test_fresh_cache_dir_compiles_once(tmp_path):
    cache_dir = tmp_path / "not" / "there" / "yet"
    assert _run(cache_dir) == (0, 1)  # compiled and written
    assert (cache_dir / "fusionbench_kernels.sha256").is_file()
    # before the fix the stamp was missing, so this process purged the cache and compiled again
    assert _run(cache_dir) == (1, 0)
