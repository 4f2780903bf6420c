"""Backend selection, numba cache directory, and the source cache."""

from __future__ import annotations

import os

import numpy as np
import pytest

from fusionbench.backends import get_backend
from fusionbench.errors import FusionBenchError

torch = pytest.importorskip("torch")


def test_auto_picks_torch_on_cuda_else_numba():
    be = get_backend("auto")
    assert be.name == ("torch" if torch.cuda.is_available() else "numba")
    assert get_backend("numba") is get_backend("numba")  # shared instance keeps its cache


def test_torch_names_and_devices():
    assert get_backend("torch", "cpu").name == "torch"
    fast = get_backend("torch-fp32", "cpu")
    assert fast.name == "torch-fp32" and fast.dtype == torch.float32
    if not torch.cuda.is_available():
        with pytest.raises(FusionBenchError):
            get_backend("torch", "cuda")
    with pytest.raises(FusionBenchError):
        get_backend("numba", "cuda")
    with pytest.raises(FusionBenchError):
        get_backend("nonsense")


def test_numba_cache_dir_falls_back_to_user_dir_when_package_read_only(tmp_path):
    from numba.core import config

    from fusionbench.backends import _numba_env
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("x")
    saved = os.environ.pop("NUMBA_CACHE_DIR", None)
    try:
        path = _numba_env._configure_cache_dir(here=str(blocker / "backends"))
        assert os.environ["NUMBA_CACHE_DIR"] == path
        assert "fusionbench" in path and os.access(path, os.W_OK)
    finally:
        os.environ.pop("NUMBA_CACHE_DIR", None)
        if saved is not None:
            os.environ["NUMBA_CACHE_DIR"] = saved
        config.reload_config()


def test_source_cache_lru_and_content_key():
    from fusionbench.backends.cache import SourceCache
    c = SourceCache(maxsize=2)
    a = np.arange(12.0).reshape(3, 4)
    e = c.entry(a)
    assert c.get(e, "x", lambda: 1) == 1 and c.misses == 1
    assert c.get(c.entry(a.copy()), "x", lambda: 2) == 1 and c.hits == 1  # same content, new object
    b = a + 1
    c.entry(b)
    c.entry(b * 2)  # evicts a
    assert len(c) == 2 and "x" not in c.entry(a)
    assert SourceCache.key(a) != SourceCache.key(a.T.copy())
