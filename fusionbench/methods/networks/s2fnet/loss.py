"""S2F-Net's fusion (content) loss: the paper gives none (``specs/NETWORKS.md`` s. 3.3).

The spec's default is the SeAFusion/CDDFuse loss ``|f - max(ir, vi)|_1 + 10 |grad f - max(grad ir,
grad vi)|_1`` with ``grad = |Sobel_x| + |Sobel_y|`` (:func:`fusionbench.methods.networks.common.
max_intensity_gradient_loss`, ``grad_target='magnitude'``). That gradient term cannot tell an edge from
its inverse, and the intensity term constrains the infrared only where it is the brighter source, so a
network that starts (from its random initialisation) with the infrared detail inverted stays there:
undoing the inversion must pass through "no infrared detail", which the 10x gradient term penalises.
Measured: S2F-Net ``no_shared_branch`` at seed 0 and the full model at seed 1 keep hot objects dark
through training (``leaderboards/ablations/README.md``).

``grad_target='signed'`` (the default of both configs) keeps the same targets but with their signs:
at each pixel the source with the larger gradient magnitude ``|Sobel_x| + |Sobel_y|`` (the one the
magnitude loss takes the maximum of) gives the target derivatives ``(Sobel_x, Sobel_y)``, signs
included, and the loss is ``|d_x f - t_x|_1 + |d_y f - t_y|_1``: the choose-max-absolute rule of
multi-scale fusion for detail coefficients (Burt & Kolczynski, ICCV 1993). An inverted edge then costs
twice its magnitude, more than a missing one, so there is no inverted minimum to get stuck in.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from fusionbench.methods.networks.common import max_intensity_gradient_loss

GRAD_TARGETS = ("signed", "magnitude")

_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def sobel_xy(x: torch.Tensor) -> torch.Tensor:
    """Signed Sobel derivatives of a (B, 1, H, W) image, zero padding (as ``Sobelxy``): (B, 2, H, W)."""
    kx = _SOBEL_X.to(x)
    return F.conv2d(x, torch.stack([kx, kx.t()])[:, None], padding=1)


def signed_max_gradient_loss(f, ir, vi, *, grad_weight: float = 10.0) -> dict:
    """``|f - max(ir, vi)|_1 + w (|d_x f - t_x|_1 + |d_y f - t_y|_1)``, ``t`` the signed Sobel
    derivatives of the source with the larger ``|Sobel_x| + |Sobel_y|`` at each pixel (ties: infrared).

    Returns the terms ``int``, ``grad`` and ``fus`` like
    :func:`~fusionbench.methods.networks.common.max_intensity_gradient_loss`.
    """
    l_int = F.l1_loss(f, torch.maximum(ir, vi))
    g_ir, g_vi = sobel_xy(ir), sobel_xy(vi)
    take_ir = g_ir.abs().sum(1, keepdim=True) >= g_vi.abs().sum(1, keepdim=True)
    target = torch.where(take_ir, g_ir, g_vi)
    l_grad = (sobel_xy(f) - target).abs().sum(1).mean()
    return {"int": l_int, "grad": l_grad, "fus": l_int + grad_weight * l_grad}


def fusion_loss(f, ir, vi, *, grad_target: str = "signed", grad_weight: float = 10.0) -> dict:
    """The configured content loss: ``'signed'`` (default) or ``'magnitude'`` (the spec's SeAFusion form)."""
    if grad_target == "signed":
        return signed_max_gradient_loss(f, ir, vi, grad_weight=grad_weight)
    if grad_target == "magnitude":
        return max_intensity_gradient_loss(f, ir, vi, grad_weight=grad_weight)
    raise ValueError(f"S2F-Net grad_target must be one of {GRAD_TARGETS}, got {grad_target!r}")
