"""SMFNet network (Zhang et al., "A Semantic-Aware and Multi-Guided Network for Infrared-Visible
Image Fusion", arXiv 2407.06159), following ``specs/NETWORKS.md`` §4.1 and its ablation switches §4.6.

The module structure, biases, activation slopes and initialisation follow the official code
(``Abraham-Einstein/SMFNet`` @ 6be9437: ``net_final.py``, ``utils/graph.py``, ``utils/ConvGRU.py``):
exactly 2,650,098 parameters at d = 64 (config ``full``), the parameters that the official forward
pass uses (its checkpoint also holds 498,720 unused ones). Differences from the official code are in
how the same function is evaluated (``blocks.py`` notes; ``tests/test_net_smfnet.py`` checks the
forward against a plain transcription of the official one): the shared encoder runs once on IR and
VI stacked along the batch for small inputs (it has no batch statistics), the graph processes the
nodes of a modality as one batch, and test-time batch norms are folded into their convolutions.
Widths other than d = 64 scale every 64 of the official code (and its 32-channel halves) with d.
"""

from __future__ import annotations

import torch
from torch import nn

from fusionbench.methods.networks.smfnet.blocks import (
    CL,
    GRDB,
    AffineCoupling,
    CrossAttention,
    DetailNode,
    ResidualBlock,
    TransformerBlock,
    conv,
    to_cl,
)
from fusionbench.methods.networks.smfnet.graph import GraphReasoning

#: architecture keys of a config (the rest are loss / schedule keys)
ARCH_KEYS = ("dim", "heads", "hidden", "bfe_blocks", "bfe_depth", "dilations",
             "residual_transformer", "cai", "use_gnn", "swap_fusion_layers")


class Shallow(nn.Module):
    """OverlapPatchEmbed (3x3, no bias) + one TransformerBlock; its output feeds BFE, CAI and the graph."""

    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.embed = nn.Conv2d(1, dim, 3, padding=1, bias=False)
        self.block = TransformerBlock(dim, heads, hidden)

    def forward(self, x):
        return self.block(to_cl(self.embed(x.contiguous(memory_format=CL))))


class BaseEncoder(nn.Module):
    """BFE ("residual transformer", Eq. 9-10; official ``SwinIR_Encoder``): conv 3x3 (bias) then
    ``blocks`` residual Blocks."""

    def __init__(self, dim, heads, hidden, blocks, depth, residual):
        super().__init__()
        self.conv = nn.Conv2d(dim, dim, 3, padding=1)
        self.blocks = nn.Sequential(*[ResidualBlock(dim, heads, hidden, depth, residual=residual)
                                      for _ in range(blocks)])

    def forward(self, x):
        return self.blocks(conv(x, self.conv))


class DetailEncoder(nn.Module):
    """CAI (Eq. 1-6): GRDB, cross attention both ways (one module, ``F1 = CTA(z2 -> z1)``,
    ``F2 = CTA(z1 -> z2)``), one INN DetailNode; ``cai=False``: 3 DetailNodes."""

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
            n = x.shape[0]  # both directions as one batch
            f = self.cross(torch.cat([z2, z1], 0), torch.cat([z1, z2], 0))
            x = torch.cat([f[:n], f[n:]], 1)
        return self.nodes(x)


class DetailFuse(nn.Module):
    """DetailFuseLayer (official ``DetailFeatureExtraction``): GRDB + 2 affine coupling blocks in reverse
    mode (Eq. 7-8), each with its own 1x1 channel-mixing conv."""

    def __init__(self, dim):
        super().__init__()
        self.grdb = GRDB(dim)
        self.inv = nn.Sequential(AffineCoupling(dim), AffineCoupling(dim))

    def forward(self, x):
        return self.inv(self.grdb(x))


class Decoder(nn.Module):
    """TransformerBlock -> 3x3 convs d -> d/2 -> d/4 -> 1 (LeakyReLU slope 0.01, no bias) -> sigmoid."""

    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.block = TransformerBlock(dim, heads, hidden)
        self.convs = nn.Sequential(
            nn.Conv2d(dim, dim // 2, 3, padding=1, bias=False), nn.LeakyReLU(),
            nn.Conv2d(dim // 2, dim // 4, 3, padding=1, bias=False), nn.LeakyReLU(),
            nn.Conv2d(dim // 4, 1, 3, padding=1, bias=False))

    def forward(self, x):
        return torch.sigmoid(self.convs(to_cl(self.block(x))))


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
        self.dim = dim
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

    #: the encoder runs on IR and VI stacked along the batch while a stacked d-channel feature map has
    #: at most this many elements (16 MiB in float32); larger inputs (whole test images) go through it
    #: one modality at a time: the same results, a lower peak memory, and fewer multi-megabyte
    #: allocations (which glibc serves with fresh, page-faulting mmaps)
    stack_limit = 1 << 22

    def _encoder(self, x):
        s = self.shallow(x)
        return s, self.base(s), self.detail(s)

    def encode(self, ir, vi):
        """(B,1,H,W) IR and VI -> dict of base, detail and graph features per modality.

        The shared encoder (shallow, base, detail) has no batch statistics: it runs once on IR and VI
        stacked along the batch (up to :attr:`stack_limit`), or once per modality."""
        n = ir.shape[0]
        if 2 * ir.numel() * self.dim <= self.stack_limit:
            s, b, d = self._encoder(torch.cat([ir, vi], 0))
            s_ir, s_vi, b_ir, b_vi, d_ir, d_vi = s[:n], s[n:], b[:n], b[n:], d[:n], d[n:]
        else:
            (s_ir, b_ir, d_ir), (s_vi, b_vi, d_vi) = self._encoder(ir), self._encoder(vi)
        out = {"B_ir": b_ir, "B_vi": b_vi, "D_ir": d_ir, "D_vi": d_vi}
        if self.use_gnn:
            out["G_ir"], out["G_vi"] = self.graph(s_ir, s_vi)
        return out

    def reconstruct(self, feats):
        """Stage I: decode each modality from F_B + F_D + F_GCN,m (both in one decoder batch)."""
        x = torch.cat([feats["B_ir"], feats["B_vi"]], 0) + torch.cat([feats["D_ir"], feats["D_vi"]], 0)
        if self.use_gnn:
            x = x + torch.cat([feats["G_ir"], feats["G_vi"]], 0)
        rec = self.decoder(x)
        n = feats["B_ir"].shape[0]
        return rec[:n], rec[n:]

    def fuse_features(self, feats):
        """Stage II: DetailFuse(D_ir + D_vi) + BaseFuse(B_ir + B_vi) + F_GCN -> decoder."""
        b, d = feats["B_ir"] + feats["B_vi"], feats["D_ir"] + feats["D_vi"]
        if self.swap:
            x = self.detail_fuse(b) + self.base_fuse(d)
        else:
            x = self.base_fuse(b) + self.detail_fuse(d)
        if self.use_gnn:
            x = x + conv(torch.cat([feats["G_ir"], feats["G_vi"]], 1), self.graph_fuse)
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
