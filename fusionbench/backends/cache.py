"""Cache of per-source intermediates, keyed by the plane's content.

Scoring many fused images against the same (IR, VI) pair recomputes nothing that depends on
the sources alone: histograms, levels, moments, Sobel magnitudes/angles, the vifp pyramid
statistics and SSIM source statistics are kept here. The key is a 64-bit hash of the plane's
bytes plus its shape (``_nb_stats.fingerprint``, ~0.3 ms for 480x640), so equal content hits
even when the array object differs; entries are evicted least-recently-used.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np


class SourceCache:
    """LRU map ``plane content -> {item key: value}``.

    Parameters
    ----------
    maxsize : int
        Number of distinct source planes kept (each holds a few full-size float maps).
    """

    def __init__(self, maxsize: int = 8):
        self.maxsize = maxsize
        self._store: OrderedDict = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(x: np.ndarray):
        from fusionbench.backends._nb_stats import fingerprint
        return (int(fingerprint(x)), x.shape)

    def entry(self, x: np.ndarray) -> dict:
        """The item dict of plane ``x`` (created empty on first sight)."""
        k = self.key(x)
        d = self._store.get(k)
        if d is None:
            d = {}
            self._store[k] = d
            while len(self._store) > self.maxsize:
                self._store.popitem(last=False)
        else:
            self._store.move_to_end(k)
        return d

    def get(self, entry: dict, item, make):
        """``entry[item]``, computed with ``make()`` on a miss."""
        if item in entry:
            self.hits += 1
            return entry[item]
        self.misses += 1
        v = entry[item] = make()
        return v

    def clear(self) -> None:
        self._store.clear()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._store)
