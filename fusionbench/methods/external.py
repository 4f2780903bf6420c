"""External results: a folder of fused images, matched to the source pairs by file stem."""

from __future__ import annotations

import os
from pathlib import Path

from fusionbench.datasets.layout import fused_by_stem
from fusionbench.methods.base import Method


class FusedFolder(Method):
    """Fused images produced elsewhere; ``lookup(stem)`` gives the file or None.

    Nothing is fused here: the runner reads the file and scores it against the pair.
    """

    kind = "external"
    weights_digest = None  # made elsewhere: unknown

    def __init__(self, folder, *, name: str | None = None):
        self.folder = os.fspath(folder)
        self.name = name or Path(self.folder).resolve().name
        self._files = None

    @property
    def files(self) -> dict:
        if self._files is None:
            self._files = fused_by_stem(self.folder)
        return self._files

    def lookup(self, stem: str):
        """The fused file for pair ``stem``: ``<stem>.*``, else VIFB's ``<stem>_<name>.*``."""
        return self.files.get(stem) or self.files.get(f"{stem}_{self.name}")

    def extras(self, stems) -> list:
        """File names in the folder that belong to no source pair (reported, not scored).

        In a VIFB-style shared folder (``<image>_<method>.*``), other methods' files are not extras.
        """
        stems = set(stems)
        used = {s for s in stems if s in self.files} | {f"{s}_{self.name}" for s in stems}
        shared = any(f"{s}_{self.name}" in self.files for s in stems)
        out = []
        for s, p in self.files.items():
            if s in used or (shared and s.split("_", 1)[0] in stems):
                continue
            out.append(Path(p).name)
        return out

    def fuse(self, ir_y, vi_y):
        raise TypeError(f"{self.name} is a folder of fused images; it cannot fuse new pairs")
