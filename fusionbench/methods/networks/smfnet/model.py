"""SMFNet network (Zhang et al., "A Semantic-Aware and Multi-Guided Network for Infrared-Visible
Image Fusion", arXiv 2407.06159), following ``specs/NETWORKS.md`` §4.1 and its ablation switches §4.6.
"""

from __future__ import annotations

import torch
from torch import nn

from fusionbench.methods.networks.smfnet.blocks import (
    GRDB,
    AffineCoupling,
    CrossAttention,
    DetailNode,
    ResidualBlock,
    TransformerBlock,
)
from fusionbench.methods.networks.smfnet.graph import GraphReasoning

#: architecture keys of a config (the rest are loss / schedule keys)
ARCH_KEYS = ("dim", "heads", "hidden", "bfe_blocks", "bfe_depth", "dilations",
             "residual_transformer", "cai", "use_gnn", "swap_fusion_layers")


class Shallow(nn.Module):
    """OverlapPatchEmbed (3x3, no bias) + one TransformerBlock."""

    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.embed = nn.Conv2d(1, dim, 3, padding=1, bias=False)
        self.block = TransformerBlock(dim, heads, hidden)

    def forward(self, x):
        return self.block(self.embed(x))


class BaseEncoder(nn.Module):
    """BFE ("residual transformer", Eq. 9-10): conv 3x3 then ``blocks`` residual Blocks."""

    def __init__(self, dim, heads, hidden, blocks, depth, residual):
        super().__init__()
        self.conv = nn.Conv2d(dim, dim, 3, padding=1)
        self.blocks = nn.Sequential(*[ResidualBlock(dim, heads, hidden, depth, residual=residual)
                                      for _ in range(blocks)])

    def forward(self, x):
        return self.blocks(self.conv(x))


class DetailEncoder(nn.Module):
    """CAI (Eq. 1-6): GRDB, cross attention both ways, one INN DetailNode; ``cai=False``: 3 DetailNodes."""

    def __init__(self, dim, heads, cai):
        super().__init__()
        self.grdb = GRDB(dim)
        self.cai = cai
        half_heads = max(1, min(heads, (dim // 2) // 2))
        self.cross = CrossAttention(dim // 2, half_heads) if cai else None
        self.nodes = nn.Sequential(*[DetailNode(dim) for _ in range(1 if cai else 3)])

    def forward(self, x):
        x = self.grdb(x)
        if self.cai:
            z1, z2 = x.chunk(2, dim=1)
            x = torch.cat([self.cross(z2, z1), self.cross(z1, z2)], 1)
        return self.nodes(x)


class DetailFuse(nn.Module):
    """DetailFuseLayer: GRDB + 2 affine coupling blocks in reverse mode (Eq. 7-8)."""

    def __init__(self, dim):
        super().__init__()
        self.grdb = GRDB(dim)
        self.inv = nn.Sequential(AffineCoupling(dim), AffineCoupling(dim))

    def forward(self, x):
        return self.inv(self.grdb(x))


class Decoder(nn.Module):
    """TransformerBlock -> 3x3 convs d -> d/2 -> d/4 -> 1 (LReLU, no bias) -> sigmoid."""

    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.block = TransformerBlock(dim, heads, hidden)
        self.convs = nn.Sequential(
            nn.Conv2d(dim, dim // 2, 3, padding=1, bias=False), nn.LeakyReLU(0.2),
            nn.Conv2d(dim // 2, dim // 4, 3, padding=1, bias=False), nn.LeakyReLU(0.2),
            nn.Conv2d(dim // 4, 1, 3, padding=1, bias=False))

    def forward(self, x):
        return torch.sigmoid(self.convs(self.block(x)))


class SMFNet(nn.Module):
    """SMFNet: shared encoder (shallow, BFE, CAI), graph reasoning, two fusion layers, decoder.

    Parameters (keyword-only) are the architecture keys of a config: ``dim`` (d), ``heads``,
    ``hidden`` (LeFF width), ``bfe_blocks``, ``bfe_depth``, ``dilations`` (graph nodes) and the
    ablation switches ``residual_transformer``, ``cai``, ``use_gnn``, ``swap_fusion_layers``
    (``specs/NETWORKS.md`` §4.6). Nothing down-samples, so any input size works.
    """

    def __init__(self, *, dim=64, heads=8, hidden=None, bfe_blocks=2, bfe_depth=2, dilations=(4, 8, 16),
                 residual_transformer=True, cai=True, use_gnn=True, swap_fusion_layers=False):
        super().__init__()
        hidden = hidden or dim
        self.shallow = Shallow(dim, heads, hidden)
        self.base = BaseEncoder(dim, heads, hidden, bfe_blocks, bfe_depth, residual_transformer)
        self.detail = DetailEncoder(dim, heads, cai)
        self.use_gnn = use_gnn
        self.graph = GraphReasoning(dim, tuple(dilations)) if use_gnn else None
        self.graph_fuse = nn.Conv2d(dim * 2, dim, 1) if use_gnn else None
        self.base_fuse = TransformerBlock(dim, heads, hidden)
        self.detail_fuse = DetailFuse(dim)
        self.swap = swap_fusion_layers
        self.decoder = Decoder(dim, heads, hidden)

    def encode(self, ir, vi):
        """(B,1,H,W) IR and VI -> dict of base, detail and graph features per modality."""
        s_ir, s_vi = self.shallow(ir), self.shallow(vi)
        out = {"B_ir": self.base(s_ir), "B_vi": self.base(s_vi),
               "D_ir": self.detail(s_ir), "D_vi": self.detail(s_vi)}
        if self.use_gnn:
            out["G_ir"], out["G_vi"] = self.graph(s_ir, s_vi)
        return out

    def reconstruct(self, feats):
        """Stage I: decode each modality from F_B + F_D + F_GCN,m."""
        rec = {}
        for m in ("ir", "vi"):
            x = feats[f"B_{m}"] + feats[f"D_{m}"]
            if self.use_gnn:
                x = x + feats[f"G_{m}"]
            rec[m] = self.decoder(x)
        return rec["ir"], rec["vi"]

    def fuse_features(self, feats):
        """Stage II: DetailFuse(D_ir + D_vi) + BaseFuse(B_ir + B_vi) + F_GCN -> decoder."""
        b, d = feats["B_ir"] + feats["B_vi"], feats["D_ir"] + feats["D_vi"]
        if self.swap:
            x = self.detail_fuse(b) + self.base_fuse(d)
        else:
            x = self.base_fuse(b) + self.detail_fuse(d)
        if self.use_gnn:
            x = x + self.graph_fuse(torch.cat([feats["G_ir"], feats["G_vi"]], 1))
        return self.decoder(x)

    test_minmax = True  # §4.1 item 7: min-max normalise each fused image at test time

    def forward(self, ir, vi):
        f = self.fuse_features(self.encode(ir, vi))
        if self.training or not self.test_minmax:
            return f
        lo = f.amin(dim=(1, 2, 3), keepdim=True)
        hi = f.amax(dim=(1, 2, 3), keepdim=True)
        return (f - lo) / (hi - lo).clamp_min(1e-6)

    def module_groups(self):
        """Named parameter groups (one optimiser each, as in the official training script)."""
        enc = [self.shallow, self.base, self.detail]
        groups = {"encoder": enc, "decoder": [self.decoder], "fuse": [self.base_fuse, self.detail_fuse]}
        if self.use_gnn:
            groups["graph"] = [self.graph, self.graph_fuse]
        return {k: [p for m in v for p in m.parameters()] for k, v in groups.items()}
