"""Training pairs: discovery under dataset roots and random crops (IR gray + visible Y in [0, 1])."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from fusionbench.colour import luminance
from fusionbench.errors import InputError
from fusionbench.imageio import IMAGE_EXTENSIONS, read_image

IR_DIRS = ("ir", "IR", "infrared", "Infrared")
VI_DIRS = ("vi", "VI", "vis", "visible", "Visible")


def shared_root() -> Path:
    """The shared data folder (``FUSIONBENCH_SHARED`` or ``../shared`` next to the repository)."""
    env = os.environ.get("FUSIONBENCH_SHARED")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared"


SPLITS_DIR = Path(__file__).resolve().parent / "splits"


def read_split(name: str) -> tuple:
    """File stems of a training split shipped in ``fusionbench/train/splits/<name>.txt``."""
    lines = (SPLITS_DIR / f"{name}.txt").read_text().splitlines()
    return tuple(ln.strip() for ln in lines if ln.strip() and not ln.startswith("#"))


def default_roots() -> list:
    """The default training data: ``(root, stems or None)`` per dataset root.

    With the shared data: RoadScene without the 50 test pairs of ``roadscene50`` (split
    ``roadscene_train``, 171 pairs) + the LLVIP and MSRS sample training splits (36 pairs).
    Without it: the bundled sample's LLVIP and MSRS training splits (a smoke-test amount of data).
    TNO and every test split are never trained on.
    """
    data = shared_root() / "data"
    if (data / "roadscene").is_dir():
        return [(data / "roadscene", read_split("roadscene_train")),
                (data / "llvip_samples" / "train", None), (data / "msrs_samples" / "train", None)]
    sample = Path(__file__).resolve().parents[1] / "datasets" / "sample"
    return [(sample / "llvip" / "train", None), (sample / "msrs" / "train", None)]


def _subdir(root: Path, names):
    for n in names:
        if (root / n).is_dir():
            return root / n
    return None


def find_pairs(root, stems=None) -> list:
    """Pairs ``(ir_path, vi_path)`` under a dataset root, paired by identical file stem.

    ``root`` holds ``ir``/``vi`` folders (or ``IR``/``VI``, ``infrared``/``visible``), or a
    ``train`` folder holding them. A path with a ``test`` component is refused: training never
    touches a test split. ``stems`` restricts the pairs to those file stems (all must exist).
    """
    root = Path(root)
    if any(part.lower() == "test" for part in root.parts):
        raise InputError(root, "is a test split; training must use training data only")
    if not root.is_dir():
        raise InputError(root, "dataset root not found")
    ir_dir, vi_dir = _subdir(root, IR_DIRS), _subdir(root, VI_DIRS)
    if ir_dir is None and (root / "train").is_dir():
        return find_pairs(root / "train")
    if ir_dir is None or vi_dir is None:
        raise InputError(root, f"expected sub-folders {IR_DIRS[0]}/ and {VI_DIRS[0]}/ (or a train/ folder)")

    def index(d):
        return {p.stem: p for p in sorted(d.iterdir()) if p.suffix.lower() in IMAGE_EXTENSIONS}

    irs, vis = index(ir_dir), index(vi_dir)
    found = sorted(set(irs) & set(vis))
    if stems is not None:
        missing = sorted(set(stems) - set(found))
        if missing:
            raise InputError(root, f"{len(missing)} pairs of the split are missing, e.g. {missing[0]}")
        found = sorted(set(stems))
    stems = found
    if not stems:
        raise InputError(root, "no IR/visible pairs with matching file names")
    return [(irs[s], vis[s]) for s in stems]


class CropSampler:
    """Random aligned crops from a list of pairs, held in memory as float16 luminance.

    Parameters
    ----------
    pairs : list of (ir_path, vi_path)
    crop : int
        Side of the square crop; images smaller than it are reflect-padded.
    seed : int
        Seed of the NumPy generator (its state is saved in checkpoints).
    flip : bool
        Random horizontal flips.
    """

    def __init__(self, pairs, *, crop: int = 128, seed: int = 0, flip: bool = True):
        self.crop, self.flip = int(crop), bool(flip)
        self.images = []
        for ir_path, vi_path in pairs:
            ir, vi = luminance(read_image(ir_path)), luminance(read_image(vi_path))
            if ir.shape != vi.shape:
                raise InputError(ir_path, f"size {ir.shape} differs from its visible pair {vi.shape}")
            pad = [(0, max(0, self.crop - s)) for s in ir.shape]
            if any(p[1] for p in pad):
                ir, vi = np.pad(ir, pad, mode="reflect"), np.pad(vi, pad, mode="reflect")
            self.images.append(np.stack([ir, vi]).astype(np.float16))
        if not self.images:
            raise InputError("training data", "no pairs")
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.images)

    def sample(self, batch: int) -> np.ndarray:
        """(batch, 2, crop, crop) float32: channel 0 = IR, 1 = visible Y."""
        out = np.empty((batch, 2, self.crop, self.crop), dtype=np.float32)
        for b in range(batch):
            img = self.images[self.rng.integers(len(self.images))]
            y = self.rng.integers(img.shape[1] - self.crop + 1)
            x = self.rng.integers(img.shape[2] - self.crop + 1)
            patch = img[:, y:y + self.crop, x:x + self.crop]
            if self.flip and self.rng.random() < 0.5:
                patch = patch[:, :, ::-1]
            out[b] = patch
        return out

    def get_state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state
