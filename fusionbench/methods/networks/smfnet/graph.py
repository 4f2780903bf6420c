"""SMFNet's graph reasoning branch (Eq. 11-16), after IGNet's graph modules (Li et al., ACM MM 2023).

One graph level on the full-resolution shallow features: three dilated-conv nodes per modality,
cross-modal same-scale edges, intra-modal message passing with a 1x1 ConvGRU update.
"""

from __future__ import annotations

import torch
from torch import nn


class ConvGRU(nn.Module):
    """GRU cell with 1x1 convolutions: (message, node) -> updated node."""

    def __init__(self, dim: int):
        super().__init__()
        self.gates = nn.Conv2d(dim * 2, dim * 2, 1)
        self.cand = nn.Conv2d(dim * 2, dim, 1)

    def forward(self, x, h):
        r, z = torch.sigmoid(self.gates(torch.cat([x, h], 1))).chunk(2, dim=1)
        n = torch.tanh(self.cand(torch.cat([x, r * h], 1)))
        return (1 - z) * h + z * n


class ModalityGraph(nn.Module):
    """Nodes (Eq. 11) and intra-modal message passing (Eq. 14-16) for one modality."""

    def __init__(self, dim: int, dilations=(4, 8, 16), iterations: int = 2):
        super().__init__()
        self.nodes = nn.ModuleList(
            nn.Sequential(nn.Conv2d(dim, dim, 3, padding=d, dilation=d, bias=False), nn.BatchNorm2d(dim), nn.ReLU())
            for d in dilations)
        n = len(dilations)
        # edge gate: grouped 1x1 conv of (node - neighbour) per (node, neighbour) pair
        self.edge = nn.ModuleList(nn.Conv2d(dim, dim, 1, groups=max(dim // 4, 1)) for _ in range(n * (n - 1)))
        self.gru = ConvGRU(dim)
        self.gamma = nn.Parameter(torch.zeros(1))
        self.iterations = iterations
        self.merge = nn.Sequential(nn.Conv2d(dim * n, dim, 3, padding=1, bias=False), nn.BatchNorm2d(dim), nn.ReLU())

    def make_nodes(self, x):
        return [m(x) for m in self.nodes]

    def propagate(self, nodes):
        n = len(nodes)
        for _ in range(self.iterations):
            new, e = [], 0
            for i in range(n):
                msg = 0
                for j in range(n):
                    if j == i:
                        continue
                    msg = msg + torch.sigmoid(self.edge[e](nodes[i] - nodes[j])) * nodes[j]
                    e += 1
                new.append(self.gru(msg, nodes[i]) * self.gamma + nodes[i])
            nodes = new  # synchronous update
        return self.merge(torch.cat(nodes, 1))


class CrossEdge(nn.Module):
    """Cross-modal edge (Eq. 12-13): B' = A·σ(Conv1x1→1(A − B)) + B."""

    def __init__(self, dim: int):
        super().__init__()
        self.w = nn.Conv2d(dim, 1, 1)

    def forward(self, a, b):
        return a * torch.sigmoid(self.w(a - b)) + b


class GraphReasoning(nn.Module):
    """CGR backbone: returns the per-modality graph features (G_ir, G_vi)."""

    def __init__(self, dim: int, dilations=(4, 8, 16), rounds: int = 2):
        super().__init__()
        self.ir, self.vi = ModalityGraph(dim, dilations), ModalityGraph(dim, dilations)
        n = len(dilations)
        self.to_vi = nn.ModuleList(CrossEdge(dim) for _ in range(n * rounds))
        self.to_ir = nn.ModuleList(CrossEdge(dim) for _ in range(n * rounds))
        self.rounds = rounds

    def forward(self, f_ir, f_vi):
        n_ir, n_vi = self.ir.make_nodes(f_ir), self.vi.make_nodes(f_vi)
        e = 0
        for _ in range(self.rounds):
            for s in range(len(n_ir)):
                vi_new = self.to_vi[e](n_ir[s], n_vi[s])
                ir_new = self.to_ir[e](n_vi[s], n_ir[s])
                n_vi[s], n_ir[s] = vi_new, ir_new
                e += 1
        return self.ir.propagate(n_ir), self.vi.propagate(n_vi)
