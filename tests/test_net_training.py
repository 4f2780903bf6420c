"""The bundled weights learned something that transfers: on crops of test pairs that were never
trained on, the final stage's training loss of each network is lower with its trained weights than
with the initial weights the same run started from, and no loss term has collapsed to zero."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fusionbench.datasets.resolve import SAMPLE_ROOT  # noqa: E402
from fusionbench.methods.networks import NETWORKS  # noqa: E402
from fusionbench.train.data import CropSampler, find_pairs  # noqa: E402
from fusionbench.train.loop import get_recipe, seed_everything  # noqa: E402
from fusionbench.train.weights import load_weights, read_meta  # noqa: E402

HELD_OUT = ("tno", "roadscene")  # bundled test pairs: TNO is never trained on, RoadScene-50 neither
COLLAPSE = 1e-4  # a loss term below this has stopped carrying signal


class _Frozen:
    """Stands in for an optimiser: gradients are computed and dropped, parameters never change."""

    def __init__(self, model):
        self.model = model
        self.param_groups = [{"params": [p for p in model.parameters() if p.requires_grad], "lr": 0.0}]

    def zero_grad(self, set_to_none=True):
        self.model.zero_grad(set_to_none=set_to_none)

    def step(self):
        pass


def _held_out_losses(recipe, model, stage, batches):
    model.train()
    recipe.on_stage_start(model, stage)
    frozen = {k: _Frozen(model) for k in recipe.make_optimizers(model, stage)}
    terms = [recipe.train_step(model, {"ir": x[:, :1], "vi": x[:, 1:]}, frozen, stage, 10 ** 6)
             for x in batches]
    return {k: float(np.mean([t[k] for t in terms])) for k in terms[0]}


@pytest.fixture(scope="module")
def held_out_pairs():
    pairs = [p for folder in HELD_OUT for p in find_pairs(SAMPLE_ROOT / folder)]
    assert len(pairs) >= 4
    return pairs


@pytest.mark.parametrize("name", NETWORKS)
def test_held_out_loss_falls_and_no_term_collapses(name, held_out_pairs):
    recipe = get_recipe(name)
    meta = read_meta(name)
    config, seed = meta.get("config", "small"), int(meta.get("seed", 0))
    stage = recipe.stages_for(config)[-1][0]
    sampler = CropSampler(held_out_pairs, crop=recipe.crop, seed=1234)
    batches = [torch.from_numpy(sampler.sample(2)) for _ in range(3)]
    seed_everything(seed)  # the initial weights of the bundled run (same seed, same build order)
    initial = recipe.build_model(config)
    trained = recipe.build_model(config)
    load_weights(trained, name)
    before = _held_out_losses(recipe, initial, stage, batches)
    after = _held_out_losses(recipe, trained, stage, batches)
    assert all(np.isfinite(v) for v in (*before.values(), *after.values()))
    assert after["total"] < before["total"], (name, before, after)
    collapsed = {k: v for k, v in after.items() if abs(v) < COLLAPSE}
    assert not collapsed, f"{name}: loss terms collapsed on held-out crops: {collapsed}"
    recorded = {k: v for k, v in meta["final_losses"].items() if abs(v) < COLLAPSE}
    assert not recorded, f"{name}: loss terms collapsed during training (card): {recorded}"
