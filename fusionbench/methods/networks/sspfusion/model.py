"""SSPFusion modules (Yang et al., "SSPFusion: A Semantic Structure-Preserving Approach for Infrared
and Visible Image Fusion", arXiv 2309.14745), as specified in ``specs/NETWORKS.md`` section 5.

SFE = structural feature extractor (strided convs + ResBlocks, Sec. 3.2); ``structure_map`` = G of
Eq. 2 (soft, tau-scaled sigmoid); SPF = structure-preserving fusion (Eq. 3-5); U-shaped decoder.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fusionbench.methods.networks.common import ResBlock, conv3, sobel


def structure_map(feat, *, tau=10.0, edges_one=True, hard=False):
    """G (Eq. 2) per channel: compare the Sobel response with its global average.

    Soft: ``sigmoid(tau * (sobel - GAP(sobel)))``; hard: the same sign test as a {0, 1} map.
    ``edges_one=False`` flips the polarity (Eq. 2 as printed marks flat regions with 1).
    """
    g = sobel(feat)
    d = g - g.mean((2, 3), keepdim=True)
    if not edges_one:
        d = -d
    return (d > 0).to(feat.dtype) if hard else torch.sigmoid(tau * d)


class Encoder(nn.Module):
    """Stem + 3 stride-2 levels; ``res=True`` adds a ResBlock per level (the SFE)."""

    def __init__(self, widths, *, res=True):
        super().__init__()
        self.stem = conv3(1, widths[0])
        self.down = nn.ModuleList(conv3(widths[k], widths[k + 1], stride=2) for k in range(len(widths) - 1))
        self.res = nn.ModuleList(ResBlock(c) for c in widths[1:]) if res else None

    def forward(self, x):
        s = self.stem(x)
        feats, h = [], s
        for k, down in enumerate(self.down):
            h = down(h)
            if self.res is not None:
                h = self.res[k](h)
            feats.append(h)
        return s, feats


class Teacher(nn.Module):
    """R_I: the SFE without skips and ResBlocks, plus a mirrored bilinear-up decoder (autoencoder)."""

    def __init__(self, widths):
        super().__init__()
        self.enc = Encoder(widths, res=False)
        self.up = nn.ModuleList(conv3(widths[k + 1], widths[k]) for k in reversed(range(len(widths) - 1)))
        self.out = nn.Conv2d(widths[0], 1, 3, 1, 1)

    def forward(self, x):
        _, feats = self.enc(x)
        h = feats[-1]
        for up in self.up:
            h = up(F.interpolate(h, scale_factor=2, mode="bilinear", align_corners=False))
        return torch.sigmoid(self.out(h)), feats


class SSPFusion(nn.Module):
    """U-shaped structure-preserving fusion network.

    Parameters
    ----------
    widths : tuple of int
        Stem and level widths (full 32-64-128-256, small 8-16-32-64).
    use_sfe : bool
        ResBlocks in the encoder + the R_I teacher and L_rec (ablation ``no_sfe`` turns all off).
    use_spf : bool
        Structure-preserving fusion; off: F_fus^k = Conv(concat(F_ir, F_vi)) (ablation ``no_spf``).
    shared_encoder : bool
        One encoder for IR and VI (default) or two.
    tau, edges_one : float, bool
        Soft structure map sharpness and polarity (see :func:`structure_map`).
    spf_mode : {"unique_enhance", "as_printed"}
        Eq. 4-5 reading: enhance each modality where only it has structure (default), or the
        literal ``S + F_ir`` for both modalities.
    """

    multiple = 8

    def __init__(self, *, widths=(8, 16, 32, 64), use_sfe=True, use_spf=True, shared_encoder=True,
                 tau=10.0, edges_one=True, spf_mode="unique_enhance"):
        super().__init__()
        if spf_mode not in ("unique_enhance", "as_printed"):
            raise ValueError(f"spf_mode must be 'unique_enhance' or 'as_printed', not {spf_mode!r}")
        w = tuple(int(c) for c in widths)
        self.widths, self.use_sfe, self.use_spf = w, use_sfe, use_spf
        self.tau, self.edges_one, self.spf_mode = float(tau), edges_one, spf_mode
        self.enc_ir = Encoder(w, res=use_sfe)
        self.enc_vi = None if shared_encoder else Encoder(w, res=use_sfe)  # None: shared weights
        self.fuse = nn.ModuleList(conv3(2 * c, c) for c in w[1:])
        self.stem_fuse = conv3(2 * w[0], w[0])
        n = len(w) - 1
        self.up = nn.ModuleList(conv3(w[k + 1], w[k]) for k in reversed(range(n)))
        self.merge = nn.ModuleList(conv3(2 * w[k], w[k]) for k in reversed(range(n)))
        self.out = nn.Conv2d(w[0], 1, 3, 1, 1)
        self.teacher = Teacher(w) if use_sfe else None

    def smap(self, f):
        return structure_map(f, tau=self.tau, edges_one=self.edges_one)

    def spf(self, k, f_ir, f_vi, s_ir, s_vi):
        """Eq. 3-5 and the level fusion conv."""
        if not self.use_spf:
            return self.fuse[k](torch.cat([f_ir, f_vi], 1))
        m = s_ir * (1 - s_vi) + s_vi * (1 - s_ir)  # soft XOR J(S_ir, S_vi), Eq. 3
        if self.spf_mode == "unique_enhance":
            h_ir = s_ir + f_ir + (m * s_ir) * f_ir
            h_vi = s_vi + f_vi + (m * s_vi) * f_vi
        else:  # Eq. 4-5 as printed
            h_ir, h_vi = s_ir + f_ir, s_vi + f_ir
        return self.fuse[k](torch.cat([h_ir, h_vi], 1))

    def forward_train(self, ir, vi):
        """Fused image plus the structure maps of each level (for L_rec)."""
        st_ir, f_ir = self.enc_ir(ir)
        st_vi, f_vi = (self.enc_vi or self.enc_ir)(vi)
        s_ir, s_vi = [self.smap(f) for f in f_ir], [self.smap(f) for f in f_vi]
        fused = [self.spf(k, f_ir[k], f_vi[k], s_ir[k], s_vi[k]) for k in range(len(f_ir))]
        skips = [self.stem_fuse(torch.cat([st_ir, st_vi], 1))] + fused[:-1]
        h = fused[-1]
        for up, merge, skip in zip(self.up, self.merge, reversed(skips)):
            h = up(F.interpolate(h, size=skip.shape[-2:], mode="bilinear", align_corners=False))
            h = merge(torch.cat([h, skip], 1))
        return torch.sigmoid(self.out(h)), s_ir, s_vi

    def forward(self, ir, vi):
        """(B,1,H,W) IR and visible Y in [0, 1], H and W multiples of 8 -> fused Y in [0, 1]."""
        return self.forward_train(ir, vi)[0]

    def inference_parameters(self) -> int:
        skip = {id(p) for p in self.teacher.parameters()} if self.teacher is not None else set()
        return sum(p.numel() for p in self.parameters() if id(p) not in skip)
