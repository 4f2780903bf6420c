"""Shared training loop for the reference networks (``fusionbench train``).

Recipe contract
---------------
A network package ``fusionbench.methods.networks.<name>`` exposes ``RECIPE``, usually a subclass
of :class:`fusionbench.train.recipe.Recipe`, with

* ``name`` and ``configs`` (``{"small": {...}, "full": {...}}``), ``ablations`` (tuple of names);
* ``stages``: list of ``(stage_name, fraction_of_steps)``, e.g. ``[("ae_gan", 0.5), ("attention", 0.5)]``
  (per variant via ``stages_for(config, ablation)``, default ``stages``);
* ``build_model(config, ablation) -> nn.Module`` (training-only heads may live inside the module);
* ``make_optimizers(model, stage) -> dict[str, Optimizer]`` (called at the start of each stage);
* ``train_step(model, batch, optimizers, stage, step) -> dict[str, float]``: ``batch`` is
  ``{"ir": (B,1,h,w), "vi": (B,1,h,w)}`` float32 in [0, 1] on the device (IR gray, visible Y);
  the step computes its losses, calls ``backward`` and steps its own optimisers (so a GAN can
  alternate two), and returns every loss term as floats, including ``"total"``.

Optional: ``default_steps`` per config, ``crop`` / ``batch`` (default 128 / 4),
``on_stage_start(model, stage)`` (freeze parts) and ``lr_factor(stage, progress)`` (default cosine
decay; the loop multiplies each param group's initial lr by it before every step).

The loop (:func:`train`) draws random aligned crops from the training pairs (never a test split),
seeds Python/NumPy/torch, shows a tqdm bar, appends every loss term to ``out/log_<stage>.csv``,
checkpoints to ``out/checkpoint.pt`` (+ ``.json``; ``resume=True`` continues exactly), and runs on
CPU (with ``torch.set_flush_denormal(True)``) or CUDA. Final weights are written with
:func:`save_weights` as safetensors + JSON sidecar; :mod:`fusionbench.train.card` adds metric means
and the Markdown model card.
"""

from fusionbench.train.data import CropSampler, default_roots, find_pairs, shared_root
from fusionbench.train.loop import get_recipe, resolve_device, split_steps, train
from fusionbench.train.recipe import Recipe
from fusionbench.train.weights import WEIGHTS_DIR, load_weights, read_meta, save_weights, weights_stem

__all__ = [
    "train", "get_recipe", "resolve_device", "split_steps", "Recipe", "CropSampler", "find_pairs",
    "default_roots", "shared_root", "save_weights", "load_weights", "read_meta", "weights_stem",
    "WEIGHTS_DIR",
]
