"""SSPFusion training recipe (``specs/NETWORKS.md`` s. 5): teacher pretraining, then
``L = alpha * L_rec + L_ssim + L_smooth + L_grad`` (alpha = 1/100, Charbonnier eps = 1)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from fusionbench.methods.networks.common import sobel, ssim
from fusionbench.methods.networks.recipe_base import Recipe
from fusionbench.methods.networks.sspfusion.model import SSPFusion, structure_map

ABLATION_SWITCHES = {"no_sfe": {"use_sfe": False}, "no_spf": {"use_spf": False}}


def charbonnier(x, y, eps=1.0):
    """Per-pixel mean ``sqrt((x - y)^2 + eps^2)``."""
    return torch.sqrt((x - y) ** 2 + eps ** 2).mean()


class SSPFusionRecipe(Recipe):
    """Configs: ``full`` (32-64-128-256, lr 2e-4, batch 8, 256 crops) and ``small`` (8-16-32-64,
    CPU-trainable: lr 1e-3 for the short CPU runs, batch 4, 128 crops). The R_I teacher is
    pretrained as an autoencoder (L1 + 1 - SSIM) in stage ``teacher``, then frozen."""

    name = "sspfusion"
    configs = {
        "small": dict(widths=(8, 16, 32, 64), lr=1e-3, alpha=0.01, eps=1.0, crop=128, batch=4),
        "full": dict(widths=(32, 64, 128, 256), lr=2e-4, alpha=0.01, eps=1.0, crop=256, batch=8),
    }
    ablations = tuple(ABLATION_SWITCHES)
    multiple = 8
    default_steps = {"small": 1200, "full": 40000}
    teacher_fraction = 0.25

    def stages_for(self, config, ablation=None):
        if ABLATION_SWITCHES.get(ablation, {}).get("use_sfe", True):
            return [("teacher", self.teacher_fraction), ("fusion", 1 - self.teacher_fraction)]
        return [("fusion", 1.0)]

    stages = [("teacher", 0.25), ("fusion", 0.75)]

    def build_model(self, config="small", ablation=None, **options):
        self.check(config, ablation)
        cfg = dict(self.configs[config])
        switches = dict(ABLATION_SWITCHES.get(ablation, {}))
        switches.update(options)
        model = SSPFusion(widths=cfg["widths"], **switches)
        model.train_settings = cfg
        return model

    def on_stage_start(self, model, stage):
        if model.teacher is not None:
            model.teacher.requires_grad_(stage == "teacher")
            model.teacher.train(stage == "teacher")

    def make_optimizers(self, model, stage):
        lr = model.train_settings["lr"]
        if stage == "teacher":
            params = model.teacher.parameters()
        else:
            skip = {id(p) for p in model.teacher.parameters()} if model.teacher is not None else set()
            params = [p for p in model.parameters() if id(p) not in skip]
        return {"adam": torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999))}

    def teacher_loss(self, model, ir, vi) -> dict:
        x = torch.cat([ir, vi], 0)
        rec, _ = model.teacher(x)
        l1, ls = F.l1_loss(rec, x), 1 - ssim(rec, x)
        return {"ae_l1": l1, "ae_ssim": ls, "total": l1 + ls}

    def fusion_loss(self, model, ir, vi) -> dict:
        cfg = model.train_settings
        f, s_ir, s_vi = model.forward_train(ir, vi)
        terms = {
            "ssim": 1 - 0.5 * (ssim(f, ir) + ssim(f, vi)),
            "smooth": F.l1_loss(f, torch.maximum(ir, vi)),
            "grad": F.l1_loss(sobel(f), torch.maximum(sobel(ir), sobel(vi))),
        }
        total = terms["ssim"] + terms["smooth"] + terms["grad"]
        if model.teacher is not None:
            with torch.no_grad():
                gt_ir, gt_vi = model.teacher(ir)[1], model.teacher(vi)[1]
            rec = 0.0
            for s, t in zip(s_ir + s_vi, gt_ir + gt_vi):
                rec = rec + charbonnier(s, structure_map(t, edges_one=model.edges_one, hard=True),
                                        cfg["eps"])
            terms["rec"] = rec
            total = total + cfg["alpha"] * rec
        terms["total"] = total
        return terms

    def train_step(self, model, batch, optimizers, stage, step):
        loss_fn = self.teacher_loss if stage == "teacher" else self.fusion_loss
        terms = loss_fn(model, batch["ir"], batch["vi"])
        opt = optimizers["adam"]
        opt.zero_grad(set_to_none=True)
        terms["total"].backward()
        opt.step()
        return {k: float(v.detach()) for k, v in terms.items()}


RECIPE = SSPFusionRecipe()
