"""SMFNet's graph reasoning branch (Eq. 11-16), after IGNet's graph modules (Li et al., ACM MM 2023),
as in the official ``utils/graph.py`` / ``utils/ConvGRU.py`` with one graph level on the full-resolution
shallow features (``rd_sc = 1``):

* nodes (Eq. 11, ``PPM``): per modality one dilated Conv3x3 + BN + ReLU per dilation;
* cross-modal edges (Eq. 12-13, ``C_pa``): two Conv1x1(d -> 1, no bias) shared by every scale and by
  both rounds: ``VI' = IR·σ(to_vi(IR - VI)) + VI``, ``IR' = VI·σ(to_ir(VI - IR)) + IR``;
* intra-modal message passing (Eq. 14-16, ``GraphModel``), 2 synchronous iterations: one grouped
  Conv1x1(``(n-1)·d -> n-1``, no bias, ``C_wgt``) gives one scalar gate per neighbour from
  ``node - neighbour`` (the same weights for every node); IGNet's ``repeat``/``view`` then assigns the
  gates to the concatenated neighbour channels *interleaved*: channel ``c`` of the ``j``-th neighbour
  is weighted by gate ``(j·d + c) mod (n-1)``, not by its own gate (kept for parity). The message is
  the gated sum of the neighbours; update ``h = ConvGRU(message, h)·γ + h`` with γ initialised to 0;
* merge (``C_cat``): concat of the nodes -> Conv3x3(n·d -> d, no bias) + BN + ReLU.

The nodes of a modality share all message-passing weights, so they are processed as one batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fusionbench.methods.networks.smfnet.blocks import from_pixels, pixels, to_cl


def conv_bn_relu(x, conv: nn.Conv2d, bn: nn.BatchNorm2d):
    """ReLU(BN(conv(x))); in eval mode the BN is folded into the convolution."""
    x = to_cl(x)
    if bn.training or bn.running_mean is None:
        return F.relu(bn(conv(x)))
    scale = bn.weight * torch.rsqrt(bn.running_var + bn.eps)
    w = conv.weight * scale.view(-1, 1, 1, 1)
    b = bn.bias - bn.running_mean * scale
    if conv.bias is not None:
        b = b + conv.bias * scale
    return F.relu(F.conv2d(x, w, b, conv.stride, conv.padding, conv.dilation, conv.groups))


class ConvGRU(nn.Module):
    """IGNet ``ConvGRUCell`` with 1x1 kernels: (reset, update) = σ(W_g [x, h]), candidate
    ``tanh(W_c [x, reset·h])``, ``h' = (1 - update)·h + update·candidate``. Conv weights ~ N(0, 0.01),
    biases with PyTorch's default initialisation (as the official code)."""

    def __init__(self, dim: int):
        super().__init__()
        self.gates = nn.Conv2d(dim * 2, dim * 2, 1)
        self.cand = nn.Conv2d(dim * 2, dim, 1)
        for m in (self.gates, self.cand):
            nn.init.normal_(m.weight, 0.0, 0.01)

    def forward_pixels(self, x, h):
        """The cell on (P, d) pixel matrices (the 1x1 convolutions of the concatenations as split products)."""
        c = h.shape[1]
        wg, wc = self.gates.weight.view(2 * c, 2 * c), self.cand.weight.view(c, 2 * c)
        g = torch.addmm(self.gates.bias, x, wg[:, :c].t()).addmm_(h, wg[:, c:].t()).sigmoid()
        r, u = g[:, :c], g[:, c:]
        # tanh(a) = 2·σ(2a) - 1 (σ is several times faster than tanh on CPU); the 2 goes into the weights
        s = torch.addmm(2 * self.cand.bias, x, 2 * wc[:, :c].t()).addmm_(r * h, 2 * wc[:, c:].t()).sigmoid()
        return torch.lerp(h, torch.addcmul(s.new_tensor(-1.0), s, s.new_tensor(2.0)), u)

    def forward(self, x, h):
        b, c, hh, ww = h.shape
        out = self.forward_pixels(pixels(x).reshape(-1, c), pixels(h).reshape(-1, c))
        return from_pixels(out.view(b, hh, ww, c))


class ModalityGraph(nn.Module):
    """Nodes (Eq. 11), intra-modal message passing (Eq. 14-16) and the merge, for one modality."""

    def __init__(self, dim: int, dilations=(4, 8, 16), iterations: int = 2):
        super().__init__()
        self.nodes = nn.ModuleList(
            nn.Sequential(nn.Conv2d(dim, dim, 3, padding=d, dilation=d, bias=False), nn.BatchNorm2d(dim), nn.ReLU())
            for d in dilations)
        n = len(dilations)
        self.n = n
        self.edge = nn.Conv2d(dim * (n - 1), n - 1, 1, groups=n - 1, bias=False) if n > 1 else None
        self.gru = ConvGRU(dim)
        self.gamma = nn.Parameter(torch.zeros(1))
        self.iterations = iterations
        self.merge = nn.Sequential(nn.Conv2d(dim * n, dim, 3, padding=1, bias=False), nn.BatchNorm2d(dim), nn.ReLU())

    def make_nodes(self, x):
        """(B,d,H,W) -> the n nodes stacked along the batch: (n·B, d, H, W), channels-last."""
        return torch.cat([conv_bn_relu(x, m[0], m[1]) for m in self.nodes], 0)

    def message(self, px):
        """Messages for stacked nodes given as pixels (n, P, d) -> (n, P, d)."""
        n, p, c = px.shape
        # q[k, :, g] = w_g · node_k, so that w_g · (node_i - node_j) = q[i, :, g] - q[j, :, g]
        q = F.linear(px, self.edge.weight.view(n - 1, c))
        nbr = [[j for j in range(n) if j != i] for i in range(n)]
        gates = torch.sigmoid(torch.stack(
            [q[:, :, g] - q[[nb[g] for nb in nbr], :, g] for g in range(n - 1)], -1))  # (n, P, n-1)
        if c % (n - 1) == 0:  # every neighbour sees the same pattern: channel c takes gate c mod (n-1)
            others = px.sum(0) - px if n > 2 else px.flip(0)
            spread = (torch.arange(c, device=px.device) % (n - 1) == torch.arange(n - 1, device=px.device)[:, None])
            return others * (gates @ spread.to(gates.dtype))  # gate c mod (n-1) on channel c
        msg = 0
        for j in range(n - 1):
            idx = (j * c + torch.arange(c, device=px.device)) % (n - 1)
            msg = msg + px[[nb[j] for nb in nbr]] * gates[..., idx]
        return msg

    def propagate(self, x):
        """Message passing on stacked nodes (n·B, d, H, W), then the merge -> (B, d, H, W)."""
        nb, c, h, w = x.shape
        b = nb // self.n
        if self.n > 1:
            px = pixels(x).reshape(self.n, -1, c)
            for _ in range(self.iterations):  # synchronous update: h = GRU(m, h)·γ + h
                new = self.gru.forward_pixels(self.message(px).reshape(-1, c), px.reshape(-1, c))
                px = torch.addcmul(px, new.view_as(px), self.gamma)
            x = from_pixels(px.view(nb, h, w, c))
        cat = torch.cat(x.split(b, 0), 1)
        return conv_bn_relu(cat, self.merge[0], self.merge[1])


class GraphReasoning(nn.Module):
    """CGR backbone: returns the per-modality graph features (G_ir, G_vi)."""

    def __init__(self, dim: int, dilations=(4, 8, 16), rounds: int = 2):
        super().__init__()
        self.ir, self.vi = ModalityGraph(dim, dilations), ModalityGraph(dim, dilations)
        self.to_vi = nn.Conv2d(dim, 1, 1, bias=False)  # C_pa[0]
        self.to_ir = nn.Conv2d(dim, 1, 1, bias=False)  # C_pa[1]
        self.rounds = rounds

    def cross(self, a, v):
        """Cross-modal same-scale edges (Eq. 12-13) on stacked IR / VI nodes, both from the old values."""
        w = torch.cat([self.to_vi.weight, -self.to_ir.weight]).flatten(1)  # w_ir·(V - A) = -w_ir·(A - V)
        pa, pv = pixels(a), pixels(v)
        s = torch.sigmoid(F.linear(pa - pv, w))
        return from_pixels(torch.addcmul(pa, pv, s[..., 1:])), from_pixels(torch.addcmul(pv, pa, s[..., :1]))

    def forward(self, f_ir, f_vi):
        a, v = self.ir.make_nodes(f_ir), self.vi.make_nodes(f_vi)
        for _ in range(self.rounds):
            a, v = self.cross(a, v)
        return self.ir.propagate(a), self.vi.propagate(v)
