"""MSFE losses (``specs/NETWORKS.md`` §6.3).

Stage 1 (GAN-assisted autoencoder): ``L_G = MSE(O, I) + γ (1 - SSIM(O, I)) + λ MSE(D(O), 1)`` and
the LSGAN discriminator loss (Mao et al., ICCV 2017). Stage 2 (attention):
``|E(f) - max(E(ir), E(vi))|_1 + 1 - (SSIM(f, ir) + SSIM(f, vi)) / 2``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from fusionbench.methods.networks.common import ssim
from fusionbench.methods.networks.msfe.model import edge_map


def generator_loss(out, img, d_out=None, *, gamma=100.0, lam=1.0) -> dict:
    """Pixel MSE + γ (1 - SSIM) [+ λ LSGAN generator term when ``d_out`` is given]."""
    pix = F.mse_loss(out, img)
    l_ssim = 1.0 - ssim(out, img)
    total = pix + gamma * l_ssim
    terms = {"pixel": pix, "ssim": l_ssim}
    if d_out is not None:
        adv = F.mse_loss(d_out, torch.ones_like(d_out))
        total = total + lam * adv
        terms["gan_g"] = adv
    terms["total"] = total
    return terms


def discriminator_loss(d_real, d_fake) -> torch.Tensor:
    """LSGAN: ½ [MSE(D(I), 1) + MSE(D(O), 0)]."""
    return 0.5 * (F.mse_loss(d_real, torch.ones_like(d_real)) + F.mse_loss(d_fake, torch.zeros_like(d_fake)))


def attention_loss(fused, ir, vi, *, intensity: float = 0.0) -> dict:
    """Edge-consistency L1 against the element-wise max of the source edge maps + mean (1 - SSIM)
    [+ ``intensity`` x L1 to the element-wise max of the sources (a deviation, see the recipe)]."""
    l_edge = F.l1_loss(edge_map(fused), torch.maximum(edge_map(ir), edge_map(vi)))
    l_ssim = 1.0 - 0.5 * (ssim(fused, ir) + ssim(fused, vi))
    terms = {"edge": l_edge, "ssim": l_ssim}
    total = l_edge + l_ssim
    if intensity:
        terms["int"] = F.l1_loss(fused, torch.maximum(ir, vi))
        total = total + intensity * terms["int"]
    terms["total"] = total
    return terms
