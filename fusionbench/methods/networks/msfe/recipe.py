"""MSFE configurations, ablations and the two-stage recipe (``specs/NETWORKS.md`` §6.3-6.5).

Stage 1 (``autoencoder``): extractor + reconstruction as a generator, alternating 1:1 with the
PatchGAN discriminator, on single gray images (MS-COCO in the paper; here the IR and visible Y
crops of the training pairs, each as its own image). Stage 2 (``attention``): only the attention
net is trained, extractor and reconstruction frozen.
"""

from __future__ import annotations

import torch

from fusionbench.methods.networks.msfe.losses import attention_loss, discriminator_loss, generator_loss
from fusionbench.methods.networks.msfe.model import ARCH_KEYS, MSFE
from fusionbench.methods.networks.recipe_base import Recipe

# Two deviations from the paper's literal reading (specs/NETWORKS.md addendum, 2026-11-30):
# skip_merge="attention" (Eq. 4's sum doubles the skips the frozen reconstructor saw and clips the
# output) and stage2_intensity=1 (an L1 term to max(ir, vi) in stage 2: with the paper's edge + SSIM
# loss alone the softmax attention settles on an average of the sources). 0 restores the paper's loss.
_COMMON = dict(att_input="edges", skip_order="mirrored", skip_merge="attention", out_act="clamp",
               gamma_ssim=100.0, lambda_gan=1.0, att_width=16, stage2_intensity=1.0,
               use_dense_dilated=True, use_attention=True, use_skips=True, use_gan=True)

CONFIGS = {
    "full": dict(_COMMON, stem=16, growth=16, disc_width=32, lr=1e-4),
    # CPU-trainable: 8 + 3 x 8 = 32 channels (42 k generator params); higher lr for the short schedule
    "small": dict(_COMMON, stem=8, growth=8, disc_width=16, lr=1e-3),
}

#: ablation name -> overrides (Table 2 rows, ids ``msfe_<name>``; ``no_gan`` is qualitative only)
ABLATION_OVERRIDES = {
    "no_dense_dilated": dict(use_dense_dilated=False),
    "no_attention": dict(use_attention=False),
    "no_skips": dict(use_skips=False),
    "no_gan": dict(use_gan=False),
}
ABLATIONS = tuple(ABLATION_OVERRIDES)


def resolve_config(config="small", ablation=None, **overrides) -> dict:
    cfg = dict(CONFIGS[config])
    if ablation not in (None, "", "full"):
        cfg.update(ABLATION_OVERRIDES[ablation])
    cfg.update(overrides)
    return cfg


def build(cfg: dict) -> MSFE:
    model = MSFE(**{k: cfg[k] for k in ARCH_KEYS if k in cfg})
    model.cfg = dict(cfg)
    return model


def _generator_params(model):
    return list(model.extractor.parameters()) + list(model.reconstructor.parameters())


class MSFERecipe(Recipe):
    """Half of the steps for the GAN-assisted autoencoder, half for the attention net; Adam."""

    name = "msfe"
    configs = CONFIGS
    ablations = ABLATIONS
    stages = [("autoencoder", 0.5), ("attention", 0.5)]
    default_steps = {"small": 1200, "full": 31200}
    crop = 128
    batch = 8

    def build_model(self, config="small", ablation=None, **overrides):
        self.check(config, ablation)
        return build(resolve_config(config, ablation, **overrides))

    def on_stage_start(self, model, stage):
        frozen = stage == "attention"
        for p in _generator_params(model) + list(model.discriminator.parameters()):
            p.requires_grad_(not frozen)

    def make_optimizers(self, model, stage):
        lr = model.cfg["lr"]
        if stage == "autoencoder":
            opts = {"G": torch.optim.Adam(_generator_params(model), lr=lr)}
            if model.cfg["use_gan"]:
                opts["D"] = torch.optim.Adam(model.discriminator.parameters(), lr=lr)
            return opts
        if model.attention is None:  # w/o A: nothing to train in stage 2
            return {}
        return {"A": torch.optim.Adam(model.attention.parameters(), lr=lr)}

    def train_step(self, model, batch, optimizers, stage, step):
        ir, vi = batch["ir"], batch["vi"]
        cfg = model.cfg
        if stage == "autoencoder":
            img = torch.cat([ir, vi], 0)
            out = model.autoencode(img)
            terms = {}
            if "D" in optimizers:
                optimizers["D"].zero_grad(set_to_none=True)
                l_d = discriminator_loss(model.discriminator(img), model.discriminator(out.detach()))
                l_d.backward()
                optimizers["D"].step()
                terms["gan_d"] = l_d
                d_out = model.discriminator(out)
            else:
                d_out = None
            g = generator_loss(out, img, d_out, gamma=cfg["gamma_ssim"], lam=cfg["lambda_gan"])
            optimizers["G"].zero_grad(set_to_none=True)
            g["total"].backward()
            optimizers["G"].step()
            terms.update(g)
            return {k: float(v.detach()) for k, v in terms.items()}
        if not optimizers:
            with torch.no_grad():
                terms = attention_loss(model(ir, vi), ir, vi, intensity=cfg["stage2_intensity"])
            return {k: float(v) for k, v in terms.items()}
        terms = attention_loss(model(ir, vi), ir, vi, intensity=cfg["stage2_intensity"])
        optimizers["A"].zero_grad(set_to_none=True)
        terms["total"].backward()
        optimizers["A"].step()
        return {k: float(v.detach()) for k, v in terms.items()}


RECIPE = MSFERecipe()
