"""Base class for training recipes (the contract: ``fusionbench.train``'s package docstring).

It lives below ``fusionbench.train`` (with the networks that subclass it), so the networks never
import the training layer; ``fusionbench.train.recipe`` re-exports it.
"""

from __future__ import annotations

import math


class Recipe:
    """Defaults for the optional parts of a recipe; network packages subclass it.

    Required in a subclass: ``name``, ``configs``, ``stages``, :meth:`build_model`,
    :meth:`make_optimizers`, :meth:`train_step`.
    """

    name = "network"
    configs: dict = {}
    ablations: tuple = ()
    stages = [("main", 1.0)]
    default_steps = {"small": 400, "full": 40000}
    multiple = 1  # inference pads inputs to a multiple of this
    crop = 128
    batch = 4
    lr_min_factor = 0.01  # cosine decay to this fraction of the initial learning rate

    def build_model(self, config: str = "small", ablation=None):
        raise NotImplementedError

    def make_optimizers(self, model, stage: str) -> dict:
        raise NotImplementedError

    def train_step(self, model, batch, optimizers, stage: str, step: int) -> dict:
        raise NotImplementedError

    def stages_for(self, config: str, ablation=None) -> list:
        """Stages of one variant (default :attr:`stages`; e.g. an ablation may drop a pretraining)."""
        return list(self.stages)

    def on_stage_start(self, model, stage: str) -> None:
        """Hook run before a stage's first step (e.g. freeze a pretrained part)."""

    def lr_factor(self, stage: str, progress: float) -> float:
        """Multiplier of every optimiser's initial lr at ``progress`` in [0, 1) of ``stage``.

        Default: cosine decay to ``lr_min_factor``.
        """
        lo = self.lr_min_factor
        return lo + (1 - lo) * 0.5 * (1 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))

    def check(self, config, ablation) -> None:
        from fusionbench.errors import UnknownNameError
        if config not in self.configs:
            raise UnknownNameError(f"{self.name} config", config, self.configs)
        if ablation not in (None, "", "full") and ablation not in self.ablations:
            raise UnknownNameError(f"{self.name} ablation", ablation, self.ablations)
