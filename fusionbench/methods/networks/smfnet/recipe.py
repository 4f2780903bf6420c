"""SMFNet configurations, ablations and two-stage training recipe (``specs/NETWORKS.md`` §4.2-4.6)."""

from __future__ import annotations

import torch

from fusionbench.methods.networks.recipe_base import Recipe
from fusionbench.methods.networks.smfnet.losses import stage1_loss, stage2_loss
from fusionbench.methods.networks.smfnet.model import ARCH_KEYS, SMFNet

_COMMON = dict(
    bfe_blocks=2, bfe_depth=2, dilations=(4, 8, 16),
    # paper-vs-code switches (§4.4); defaults implement the paper
    faithful_to_code=False, semantic_loss="lovasz_otsu", stage2_weights="code",
    # ablation switches (§4.6)
    residual_transformer=True, cai=True, use_gnn=True, swap_fusion_layers=False,
    two_stage=True, decomp_ccG_in_stage1=False, use_gram=True, use_semantic=True,
    clip_norm=0.01, test_minmax=True,
)

CONFIGS = {
    "full": dict(_COMMON, dim=64, heads=8, hidden=64, lr=1e-4),
    # CPU-trainable: d = 16 (172 k params); a higher lr for the short CPU schedule
    "small": dict(_COMMON, dim=16, heads=2, hidden=16, lr=1e-3),
    # smoke tests only
    "tiny": dict(_COMMON, dim=8, heads=1, hidden=8, lr=1e-3),
}

#: ablation name -> config overrides (Table 5 rows; ids ``smf_<name>`` in paper_tables)
ABLATION_OVERRIDES = {
    "ccG_both_stages": dict(decomp_ccG_in_stage1=True),
    "no_two_stage": dict(two_stage=False),
    "no_int_sem_loss": dict(use_gram=False, use_semantic=False),
    "no_residual_transformer": dict(residual_transformer=False),
    "cai_to_inn": dict(cai=False),
    "no_gnn": dict(use_gnn=False),
    "swap_fusion_layers": dict(swap_fusion_layers=True),
}
ABLATIONS = tuple(ABLATION_OVERRIDES)


def resolve_config(config="small", ablation=None, **overrides) -> dict:
    """Config dict for ``config`` with the ablation's switches and any keyword overrides."""
    cfg = dict(CONFIGS[config])
    if ablation not in (None, "", "full"):
        cfg.update(ABLATION_OVERRIDES[ablation])
    cfg.update(overrides)
    return cfg


def build(cfg: dict) -> SMFNet:
    model = SMFNet(**{k: cfg[k] for k in ARCH_KEYS if k in cfg})
    model.cfg = dict(cfg)
    model.test_minmax = bool(cfg.get("test_minmax", True))
    return model


class SMFNetRecipe(Recipe):
    """Stage I (reconstruction, 1/3 of the steps = 40 of 120 epochs) then stage II (fusion).

    One Adam per module group (lr from the config, weight decay 0), gradient clipping per group
    (max-norm 0.01, as the official code), cosine decay within each stage.
    ``two_stage=False`` trains everything with the stage-II loss in both stages.
    """

    name = "smfnet"
    configs = CONFIGS
    ablations = ABLATIONS
    stages = [("reconstruction", 1 / 3), ("fusion", 2 / 3)]
    default_steps = {"small": 300, "tiny": 60, "full": 40000}
    crop = 96
    batch = 4

    def build_model(self, config="small", ablation=None, **overrides):
        self.check(config, ablation)
        return build(resolve_config(config, ablation, **overrides))

    def make_optimizers(self, model, stage):
        groups = model.module_groups()
        if stage == "reconstruction" and model.cfg["two_stage"]:
            groups.pop("fuse")
        lr = model.cfg["lr"]
        return {k: torch.optim.Adam(v, lr=lr, weight_decay=0.0) for k, v in groups.items() if v}

    def train_step(self, model, batch, optimizers, stage, step):
        ir, vi = batch["ir"], batch["vi"]
        cfg = model.cfg
        feats = model.encode(ir, vi)
        if stage == "reconstruction" and cfg["two_stage"]:
            rec_ir, rec_vi = model.reconstruct(feats)
            terms = stage1_loss(rec_ir, rec_vi, ir, vi, feats, cfg)
        else:
            terms = stage2_loss(model.fuse_features(feats), ir, vi, feats, cfg)
        for opt in optimizers.values():
            opt.zero_grad(set_to_none=True)
        terms["total"].backward()
        for opt in optimizers.values():
            params = [p for g in opt.param_groups for p in g["params"]]
            if cfg.get("clip_norm"):
                torch.nn.utils.clip_grad_norm_(params, cfg["clip_norm"])
            opt.step()
        return {k: float(v.detach()) for k, v in terms.items()}


RECIPE = SMFNetRecipe()
