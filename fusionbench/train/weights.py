"""Trained weights: the safetensors + JSON sidecar store of
:mod:`fusionbench.methods.networks.weightfiles` (re-exported) and training checkpoints."""

from __future__ import annotations

import torch

from fusionbench.methods.networks.weightfiles import (
    WEIGHTS_DIR,
    file_digest,
    load_weights,
    read_meta,
    save_weights,
    weights_path,
    weights_stem,
)

__all__ = ["WEIGHTS_DIR", "file_digest", "load_checkpoint", "load_weights", "read_meta", "save_weights",
           "weights_path", "weights_stem"]


def load_checkpoint(path):
    """A training checkpoint, loaded with ``weights_only=True``."""
    return torch.load(path, map_location="cpu", weights_only=True)
