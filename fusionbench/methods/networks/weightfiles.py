"""Saving and loading trained weights: safetensors + JSON sidecar (+ Markdown model card).

Below ``fusionbench.train`` so the networks load their weights without importing the training
layer; ``fusionbench.train.weights`` re-exports these names (and adds ``load_checkpoint``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from safetensors.torch import load_file, save_file

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


def weights_stem(name: str, ablation=None) -> str:
    """``sspfusion``, ``sspfusion__no_sfe``, ``sspfusion@seed1`` or ``sspfusion__no_sfe@seed1``
    (``ablation`` may end in a seed suffix, see :func:`fusionbench.methods.base.split_seed`)."""
    from fusionbench.methods.base import seed_suffix, split_seed
    ablation, seed = split_seed(ablation)
    stem = name if ablation in (None, "", "full") else f"{name}__{ablation}"
    return stem + seed_suffix(seed)


def weights_path(name: str, ablation=None, *, directory=WEIGHTS_DIR) -> Path:
    """``<directory>/<stem>.safetensors``."""
    return Path(directory) / f"{weights_stem(name, ablation)}.safetensors"


def file_digest(path) -> str:
    """sha256 (hex) of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_weights(model, name: str, ablation=None, *, meta: dict, directory=WEIGHTS_DIR) -> Path:
    """Write ``<stem>.safetensors`` and ``<stem>.json`` (``meta`` must hold ``config``)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = weights_stem(name, ablation)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(directory / f"{stem}.safetensors"))
    from fusionbench.methods.base import split_seed
    meta = dict(meta, method=name, ablation=split_seed(ablation)[0])
    (directory / f"{stem}.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return directory / f"{stem}.safetensors"


def read_meta(name: str, ablation=None, *, directory=WEIGHTS_DIR) -> dict:
    path = Path(directory) / f"{weights_stem(name, ablation)}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def load_weights(model, name: str, ablation=None, *, directory=WEIGHTS_DIR, strict: bool = True):
    """Load ``<stem>.safetensors`` into ``model`` (safe: no pickle). Returns the sidecar dict."""
    from fusionbench.errors import InputError
    path = weights_path(name, ablation, directory=directory)
    if not path.exists():
        raise InputError(path, "no trained weights; run `fusionbench train` first")
    state = load_file(str(path))
    model.load_state_dict(state, strict=strict)
    return read_meta(name, ablation, directory=directory)
