"""Memory per pixel of scoring a large pair (#13): source intermediates within a byte budget and one
metric's full-size maps at a time, instead of every metric's maps for both sources at once."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fusionbench.backends.cache import SourceCache, nbytes

REPO = Path(__file__).resolve().parents[1]

PROBE = r"""
import resource, sys
import numpy as np
from fusionbench.backends import get_backend
from fusionbench.metrics.compute import score_planes
from fusionbench.metrics.pipeline import prepare
from fusionbench.metrics.profiles import get_profile

prof = get_profile("cddfuse")
be = get_backend("numba")

def triple(n, seed):
    rng = np.random.default_rng(seed)
    a = np.kron(rng.integers(0, 236, (n // 8, n // 8), dtype=np.uint8), np.ones((8, 8), np.uint8))
    a = a + rng.integers(0, 20, a.shape, dtype=np.uint8)
    b = a[::-1].copy()
    return ((a.astype(np.uint16) + b) // 2).astype(np.uint8), a, b

def score(n):
    planes = prepare(*triple(n, n), prof.options, names=("f", "ir", "vi"))
    return score_planes(planes, list(prof.table), prof.options, be)

score(64)  # compile and warm up
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
n = int(sys.argv[1])
score(n)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before) / n / n)
"""


def _bytes_per_pixel(n, **env):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1", **env)
    out = subprocess.run([sys.executable, "-c", PROBE, str(n)], env=env, capture_output=True, text=True,
                         timeout=600, check=True)
    return float(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB (Linux)")
def test_large_pair_bytes_per_pixel():
    # 1200 x 1200 with a 16 MiB cache budget stands for a pair whose intermediates exceed the default
    # budget (256 MiB: about 3000 x 3000 and up). Before: every metric's source maps and the fused
    # maps were kept until the end of the call, 171 bytes per pixel (1500 x 1500, all cddfuse metrics);
    # now the planes (3 x 8 bytes) plus the largest single metric (Qabf: 6 float64 maps), about 85.
    bpp = _bytes_per_pixel(1200, FUSIONBENCH_SOURCE_CACHE_MB="16")
    assert bpp < 110, bpp


def test_cache_keeps_within_budget_and_drops_older_planes():
    a, b, c = (np.full((100, 100), v, np.float64) for v in (1.0, 2.0, 3.0))
    item = np.zeros((100, 100))  # 80 kB
    cache = SourceCache(maxsize=8, max_bytes=200_000)
    ea = cache.entry(a)
    cache.get(ea, "x", lambda: item.copy())
    eb = cache.entry(b)
    cache.get(eb, "x", lambda: item.copy())
    assert cache.size == 160_000 and len(cache) == 2
    ec = cache.entry(c)
    cache.get(ec, "x", lambda: item.copy())  # a (oldest) goes
    assert cache.size == 160_000 and cache.size <= cache.max_bytes
    assert "x" not in cache.entry(a) and "x" in cache.entry(c)
    big = np.zeros((400, 400))  # larger than the budget: computed, not kept
    assert cache.get(ec, "big", lambda: big) is big and "big" not in ec
    assert cache.size <= cache.max_bytes


def test_cache_budget_from_the_environment(monkeypatch):
    monkeypatch.setenv("FUSIONBENCH_SOURCE_CACHE_MB", "0")
    cache = SourceCache()
    e = cache.entry(np.ones((10, 10)))
    cache.get(e, "x", lambda: np.ones(10))
    assert cache.size == 0 and "x" not in e
    monkeypatch.setenv("FUSIONBENCH_SOURCE_CACHE_MB", "-1")
    with pytest.raises(ValueError, match="FUSIONBENCH_SOURCE_CACHE_MB"):
        SourceCache()


def test_nbytes_counts_nested_arrays():
    from fusionbench.backends._nb_vif import Pyramid
    x = np.random.default_rng(0).integers(0, 256, (64, 64)).astype(np.float64)
    p = Pyramid(x, False)
    assert nbytes(p) >= sum(a.nbytes for a in p.planes + p.mu + p.var)
    assert nbytes((np.zeros(3), [np.zeros(2)], {"k": np.zeros(1)}, 5)) == 48
