"""Import numba with a writable on-disk cache (``cache=True`` kernels).

Numba writes its cache next to the module (``__pycache__``) when it can. When the package is
installed read-only we point ``NUMBA_CACHE_DIR`` at a per-user cache directory (platformdirs)
*before* numba is imported, so a fresh process reuses compiled kernels instead of recompiling.
"""

from __future__ import annotations

import os


def _configure_cache_dir() -> None:
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    here = os.path.dirname(os.path.abspath(__file__))
    pycache = os.path.join(here, "__pycache__")
    try:
        os.makedirs(pycache, exist_ok=True)
        probe = os.path.join(pycache, f".fb_write_probe_{os.getpid()}")
        with open(probe, "w"):
            pass
        os.remove(probe)
        return  # numba's default location works
    except OSError:
        pass
    from platformdirs import user_cache_dir
    path = os.path.join(user_cache_dir("fusionbench"), "numba")
    os.makedirs(path, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = path
    import sys
    if "numba" in sys.modules:  # imported earlier by someone else: re-read the environment
        from numba.core import config
        config.reload_config()


_configure_cache_dir()

import numba  # noqa: E402  (must follow the cache-dir setup)

njit = numba.njit
prange = numba.prange


def jit(parallel: bool = False):
    """``numba.njit`` with the project defaults (cache on, no fastmath: parity needs IEEE order)."""
    return numba.njit(cache=True, nogil=True, parallel=parallel, error_model="numpy")
