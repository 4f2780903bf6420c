"""SMFNet losses (``specs/NETWORKS.md`` §4.2 and the code defects of §4.4).

Stage I (reconstruction): ``L_vi + L_ir + α1 L_decomp + α2 L_grad`` (Eq. 17-26); stage II
(fusion): ``L_int + α4 L_decomp + α5 L_grad`` (Eq. 27-30). Lovász-Softmax: Berman et al., CVPR 2018.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from fusionbench.methods.networks.common import sobel, ssim

_DELTA = 1.01


def cc(a: torch.Tensor, b: torch.Tensor, *, differentiable: bool = True) -> torch.Tensor:
    """Correlation coefficient of feature maps: per (sample, channel), clamped to [-1, 1], averaged.

    ``differentiable=False`` reproduces the official code (a Python float: no gradient).
    """
    a = a.flatten(2) - a.flatten(2).mean(-1, keepdim=True)
    b = b.flatten(2) - b.flatten(2).mean(-1, keepdim=True)
    eps = torch.finfo(a.dtype).eps
    r = (a * b).sum(-1) / (a.pow(2).sum(-1).sqrt() * b.pow(2).sum(-1).sqrt() + eps)
    r = r.clamp(-1, 1).mean()
    return r if differentiable else r.detach()


def decomposition_loss(feats, *, with_graph: bool, faithful: bool) -> torch.Tensor:
    """Eq. 26 (``with_graph=False``) or Eq. 27: (CC(D)² [+ CC(G)²]) / (CC(B) + 1.01).

    ``faithful=True``: no gradient, and Eq. 27's CC(G) replaced by CC(D) as in the released code.
    """
    diff = not faithful
    cd = cc(feats["D_vi"], feats["D_ir"], differentiable=diff)
    cb = cc(feats["B_vi"], feats["B_ir"], differentiable=diff)
    num = cd ** 2
    if with_graph:
        if faithful:
            num = num + cd ** 2
        elif "G_ir" in feats:
            num = num + cc(feats["G_vi"], feats["G_ir"]) ** 2
    return num / (cb + _DELTA)


def ssim_loss_kornia(x, y) -> torch.Tensor:
    """Old kornia ``SSIM`` loss: mean of clamp(1 - SSIM map, 0, 1) / 2 ≈ (1 - SSIM) / 2."""
    return (1.0 - ssim(x, y)).clamp(0, 1) / 2


def spatial_gradient_l1(x, y) -> torch.Tensor:
    """L1 distance of kornia ``SpatialGradient`` maps (normalised Sobel dx, dy; replicate padding)."""
    k = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], device=x.device) / 8
    w = torch.stack([k, k.t()])[:, None].to(x.dtype)

    def grad(t):
        return F.conv2d(F.pad(t, (1, 1, 1, 1), mode="replicate"), w)

    return F.l1_loss(grad(x), grad(y))


def gram_loss(x, y) -> torch.Tensor:
    """Eq. 20: MSE between Gram matrices (1 channel: the mean squared intensity per image)."""
    def gram(t):
        f = t.flatten(2)
        return f @ f.transpose(1, 2) / f.shape[-1]
    return F.mse_loss(gram(x), gram(y))


def otsu_threshold(x: torch.Tensor, bins: int = 256) -> torch.Tensor:
    """Per-image Otsu threshold of (B,1,H,W) data in [0, 1] -> (B,1,1,1)."""
    out = []
    centres = (torch.arange(bins, device=x.device, dtype=torch.float64) + 0.5) / bins
    for img in x.detach():
        h = torch.histc(img.double().flatten(), bins=bins, min=0.0, max=1.0)
        p = h / h.sum()
        w0 = p.cumsum(0)
        m0 = (p * centres).cumsum(0)
        mt = m0[-1]
        between = (mt * w0 - m0) ** 2 / (w0 * (1 - w0)).clamp_min(1e-12)
        out.append(centres[int(between.argmax())] + 0.5 / bins)
    return torch.stack(out).to(x.dtype).view(-1, 1, 1, 1)


def _lovasz_grad(gt_sorted: torch.Tensor) -> torch.Tensor:
    gts = gt_sorted.sum()
    inter = gts - gt_sorted.cumsum(0)
    union = gts + (1 - gt_sorted).cumsum(0)
    jac = 1.0 - inter / union
    jac[1:] = jac[1:] - jac[:-1]
    return jac


def lovasz_softmax_2class(prob_fg: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Lovász-Softmax with classes {background, foreground}, averaged over the classes present."""
    p = prob_fg.flatten()
    lab = labels.flatten().to(p.dtype)
    losses = []
    for fg, pc in ((lab, p), (1 - lab, 1 - p)):
        if fg.sum() == 0:
            continue
        err = (fg - pc).abs()
        err_sorted, order = torch.sort(err, descending=True)
        losses.append(torch.dot(err_sorted, _lovasz_grad(fg[order])))
    return torch.stack(losses).mean() if losses else p.sum() * 0


def semantic_loss(rec_vi, vi, *, mode: str) -> torch.Tensor:
    """``lovasz_otsu``: Lovász on the reconstructed visible Y vs Otsu labels of the visible Y; ``off``: 0."""
    if mode == "off":
        return rec_vi.sum() * 0
    labels = (vi >= otsu_threshold(vi)).to(vi.dtype)
    return lovasz_softmax_2class(rec_vi, labels)


def stage1_loss(rec_ir, rec_vi, ir, vi, feats, cfg) -> dict:
    """Reconstruction stage: L_vi + L_ir + α1 L_decomp + α2 L_grad (α1 = 2, α2 = 5, α3 = 8, β1 = 10)."""
    faithful = cfg["faithful_to_code"]
    sem_mode = "off" if (faithful or not cfg["use_semantic"]) else cfg["semantic_loss"]
    l_sem = semantic_loss(rec_vi, vi, mode=sem_mode)
    l_gram = gram_loss(rec_ir, ir) if cfg["use_gram"] else ir.sum() * 0
    ssim_vi, ssim_ir = ssim_loss_kornia(rec_vi, vi), ssim_loss_kornia(rec_ir, ir)
    g_vi = F.l1_loss(sobel(rec_vi), sobel(vi))
    g_ir = F.l1_loss(sobel(rec_ir), sobel(ir))
    l_vi = 8 * ssim_vi + l_sem + 10 * g_vi
    l_ir = 8 * ssim_ir + l_gram + 10 * g_ir
    l_dec = decomposition_loss(feats, with_graph=cfg["decomp_ccG_in_stage1"], faithful=faithful)
    l_sg = spatial_gradient_l1(rec_vi, vi)
    total = l_vi + l_ir + 2 * l_dec + 5 * l_sg
    return {"total": total, "ssim_vi": ssim_vi, "ssim_ir": ssim_ir, "semantic": l_sem, "gram": l_gram,
            "grad_vi": g_vi, "grad_ir": g_ir, "decomp": l_dec, "spatial_grad": l_sg}


def stage2_loss(fused, ir, vi, feats, cfg) -> dict:
    """Fusion stage: |f - max|_1 + α4 L_decomp (Eq. 27) + α5 |∇f - max ∇|_1; code α4=2, α5=10, paper 10, 2."""
    a4, a5 = (2.0, 10.0) if cfg["stage2_weights"] == "code" else (10.0, 2.0)
    l_int = F.l1_loss(fused, torch.maximum(ir, vi))
    l_grad = F.l1_loss(sobel(fused), torch.maximum(sobel(ir), sobel(vi)))
    l_dec = decomposition_loss(feats, with_graph=True, faithful=cfg["faithful_to_code"])
    total = l_int + a4 * l_dec + a5 * l_grad
    return {"total": total, "intensity": l_int, "grad": l_grad, "decomp": l_dec}
