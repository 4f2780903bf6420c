"""Cache of per-source intermediates, keyed by the plane's content.

Scoring many fused images against the same (IR, VI) pair recomputes nothing that depends on
the sources alone: histograms, levels, moments, Sobel magnitudes/angles, the vifp pyramid
statistics and SSIM source statistics are kept here. The key is a 64-bit hash of the plane's
bytes plus its shape (``_nb_stats.fingerprint``, ~0.3 ms for 480x640), so equal content hits
even when the array object differs; entries are evicted least-recently-used.
"""

from __future__ import annotations

import os
from collections import OrderedDict

import numpy as np

MAX_BYTES = 256 * 2**20  # default budget: every intermediate of a 1280x1024 pair fits, a 3000x3000 one does not
ENV_MAX_MB = "FUSIONBENCH_SOURCE_CACHE_MB"


def default_max_bytes() -> int:
    """``$FUSIONBENCH_SOURCE_CACHE_MB`` MiB (0 keeps nothing), else :data:`MAX_BYTES`."""
    text = os.environ.get(ENV_MAX_MB, "").strip()
    if not text:
        return MAX_BYTES
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        from fusionbench.errors import InputError
        raise InputError(ENV_MAX_MB, f"must be a number of MiB >= 0, got {text!r}")
    return int(value * 2**20)


def nbytes(value) -> int:
    """Bytes held by the arrays in ``value`` (arrays, tuples, lists, dicts, objects with slots)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (tuple, list)):
        return sum(nbytes(v) for v in value)
    if isinstance(value, dict):
        return sum(nbytes(v) for v in value.values())
    slots = getattr(type(value), "__slots__", None)
    if slots:
        return sum(nbytes(getattr(value, k, None)) for k in slots)
    if hasattr(value, "__dict__"):
        return nbytes(vars(value))
    return 0


class _Entry(dict):
    """The items of one source plane, with their size."""

    __slots__ = ("key", "size")

    def __init__(self, key):
        super().__init__()
        self.key, self.size = key, 0


class SourceCache:
    """LRU map ``plane content -> {item key: value}`` within a memory budget.

    Parameters
    ----------
    maxsize : int
        Number of distinct source planes kept (each holds a few full-size float maps).
    max_bytes : int, optional
        Most bytes kept over all planes (default :func:`default_max_bytes`). Older planes are
        dropped first; an item that does not fit even alone is computed and not kept, so scoring a
        very large image holds one metric's intermediates at a time instead of every metric's.
    """

    def __init__(self, maxsize: int = 8, max_bytes: int | None = None):
        self.maxsize = maxsize
        self.max_bytes = default_max_bytes() if max_bytes is None else int(max_bytes)
        self._store: OrderedDict = OrderedDict()
        self.size = 0  # bytes kept
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(x: np.ndarray):
        from fusionbench.backends._nb_stats import fingerprint
        return (int(fingerprint(x)), x.shape)

    def _drop_oldest(self) -> None:
        _, old = self._store.popitem(last=False)
        self.size -= old.size

    def entry(self, x: np.ndarray) -> dict:
        """The item dict of plane ``x`` (created empty on first sight)."""
        k = self.key(x)
        d = self._store.get(k)
        if d is None:
            d = _Entry(k)
            self._store[k] = d
            while len(self._store) > self.maxsize:
                self._drop_oldest()
        else:
            self._store.move_to_end(k)
        return d

    def get(self, entry: dict, item, make):
        """``entry[item]``, computed with ``make()`` on a miss and kept if the budget allows."""
        if item in entry:
            self.hits += 1
            return entry[item]
        self.misses += 1
        v = make()
        size = nbytes(v)
        if self._store.get(getattr(entry, "key", None)) is not entry:
            return v  # dropped meanwhile: keep nothing for it
        for k in [k for k, e in self._store.items() if e is not entry]:  # older planes first
            if self.size + size <= self.max_bytes:
                break
            self.size -= self._store.pop(k).size
        if self.size + size <= self.max_bytes:
            entry[item] = v
            entry.size += size
            self.size += size
        return v

    def clear(self) -> None:
        self._store.clear()
        self.size = 0
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._store)
