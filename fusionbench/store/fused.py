"""Fused images cached in the result store: a rerun or resumed evaluation does not fuse again.

A fused image is keyed by everything that made it (:func:`fused_key`) and reused only on an exact
match; the runner's workers read the cache (:class:`FusedReader`), the runner writes it
(:meth:`fusionbench.store.ResultStore.add`).
"""

from __future__ import annotations

import hashlib
import io
import sqlite3
from pathlib import Path

import numpy as np

from fusionbench.store.sqlite import options_json

FUSED_FORMAT = "1"  # bump to retire every cached fused image (e.g. after a change of the colour handling)


def fused_key(method, source_digest: str) -> str | None:
    """sha256 over the method's name (with ablation), weights digest, code version and options and
    the pixel digest of the IR and visible image; None when the method's weights are unknown."""
    if method.weights_digest is None:
        return None
    text = "\x1f".join((FUSED_FORMAT, method.name, method.weights_digest, str(method.version),
                        options_json(method.options()), source_digest))
    return hashlib.sha256(text.encode()).hexdigest()


def encode(image: np.ndarray) -> bytes | None:
    """Lossless PNG bytes of a uint8 gray or RGB image; None for anything else (not cached)."""
    from PIL import Image
    img = np.asarray(image)
    if img.dtype != np.uint8 or not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3)):
        return None
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def decode(data: bytes) -> np.ndarray:
    from PIL import Image
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im)


class FusedReader:
    """Read-only view of the fused images of a store file.

    Parameters
    ----------
    path : path
        The SQLite store; opened read-only, so a worker that cannot see it creates nothing.
    """

    def __init__(self, path, *, timeout: float = 60.0):
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        self.conn = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)

    def digest(self, key: str) -> str | None:
        """The pixel digest of (fused, IR, visible) stored under ``key``, or None."""
        row = self.conn.execute("SELECT pixel_digest FROM fused WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def image(self, key: str) -> np.ndarray:
        row = self.conn.execute("SELECT image FROM fused WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return decode(row[0])


def open_reader(path) -> FusedReader | None:
    """A :class:`FusedReader`, or None when the store cannot be read from here (in memory, no file,
    another machine's path)."""
    if path in (None, ":memory:"):
        return None
    try:
        reader = FusedReader(path)
        reader.conn.execute("SELECT 1 FROM fused LIMIT 1")
    except sqlite3.Error:
        return None
    return reader
