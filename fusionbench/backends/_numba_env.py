"""Import numba with a writable on-disk cache (``cache=True`` kernels).

Numba writes its cache next to the module (``__pycache__``) when it can. When the package is
installed read-only we point ``NUMBA_CACHE_DIR`` at a per-user cache directory (platformdirs)
*before* numba is imported, so a fresh process reuses compiled kernels instead of recompiling.
"""

from __future__ import annotations

import os


def _writable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, f".fb_write_probe_{os.getpid()}")
        with open(probe, "w"):
            pass
        os.remove(probe)
        return True
    except OSError:
        return False


def _purge_stale(cache_dir: str, here: str) -> None:
    """Numba only checks the timestamp of a kernel's own file, not of the kernels it inlines
    from other modules; drop every cached kernel of this package when any _nb_*.py changed."""
    import hashlib
    h = hashlib.sha256()
    try:
        names = sorted(os.listdir(here))
    except OSError:
        return
    for name in names:
        if name.startswith("_nb_") and name.endswith(".py"):
            with open(os.path.join(here, name), "rb") as f:
                h.update(name.encode() + f.read())
    stamp = os.path.join(cache_dir, "fusionbench_kernels.sha256")
    digest = h.hexdigest()
    try:
        with open(stamp) as f:
            if f.read() == digest:
                return
    except OSError:
        pass
    try:
        for root, _, files in os.walk(cache_dir):
            for name in files:
                if name.startswith("_nb_") and name.endswith((".nbi", ".nbc")):
                    os.remove(os.path.join(root, name))
        with open(stamp, "w") as f:
            f.write(digest)
    except OSError:
        pass


def _configure_cache_dir(here=None) -> str:
    """Choose (and return) the numba cache directory; set NUMBA_CACHE_DIR if needed."""
    here = here or os.path.dirname(os.path.abspath(__file__))
    path = os.environ.get("NUMBA_CACHE_DIR")
    if not path:
        path = os.path.join(here, "__pycache__")
        if not _writable(path):
            from platformdirs import user_cache_dir
            path = os.path.join(user_cache_dir("fusionbench"), "numba")
            os.makedirs(path, exist_ok=True)
            os.environ["NUMBA_CACHE_DIR"] = path
            import sys
            if "numba" in sys.modules:  # imported earlier by someone else: re-read the environment
                from numba.core import config
                config.reload_config()
    try:  # a NUMBA_CACHE_DIR that does not exist yet: create it now, or the stamp below is not
        os.makedirs(path, exist_ok=True)  # written and the next process purges (recompiles) everything
    except OSError:
        pass  # not writable: numba falls back to compiling in memory
    _purge_stale(path, here)
    return path


CACHE_DIR = _configure_cache_dir()

import numba  # noqa: E402  (after NUMBA_CACHE_DIR is set)
import numba.core.event  # noqa: E402

njit = numba.njit
prange = numba.prange


class _CompileNotice(numba.core.event.Listener):
    """One line on stderr when a fusionbench kernel is compiled (a cache miss): the first scoring of a
    fresh install would otherwise sit silently at 0 % while the kernels compile. Loads from the
    on-disk cache fire no event. ``FUSIONBENCH_COMPILE_NOTICE=0`` silences it."""

    said = False
    compiled: list = []  # qualified names of the kernels compiled in this process

    def on_start(self, event):
        fn = getattr(event.data.get("dispatcher"), "py_func", None)
        if fn is None or not str(getattr(fn, "__module__", "")).startswith("fusionbench."):
            return
        _CompileNotice.compiled.append(f"{fn.__module__}.{fn.__qualname__}")
        if not _CompileNotice.said and os.environ.get("FUSIONBENCH_COMPILE_NOTICE", "1") != "0":
            _CompileNotice.said = True
            import sys
            print(f"fusionbench: compiling Numba kernels for first use (one time per install, kept in "
                  f"{CACHE_DIR}) ...", file=sys.stderr, flush=True)

    def on_end(self, event):
        pass


numba.core.event.register("numba:compile", _CompileNotice())


def jit(parallel: bool = False):
    """``numba.njit`` with the project defaults (cache on, no fastmath: parity needs IEEE order)."""
    return numba.njit(cache=True, nogil=True, parallel=parallel, error_model="numpy")


def jit_reduce():
    """``jit`` for pure reduction kernels: ``reassoc`` lets LLVM vectorise float sums (only the
    summation order changes, ~1e-16 relative); never used where bit-exact order matters."""
    return numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "nsz"})


def jit_poly(inline: str = "never"):
    """``jit`` for polynomial elementwise kernels (exp, atan): ``contract`` lets LLVM fuse
    multiply-adds (one rounding instead of two, well inside the kernels' ~1e-15 accuracy);
    ``inline="always"`` for small helpers inlined into vectorised loops."""
    return numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"},
                      inline=inline)
