"""Building blocks of SMFNet (Zhang et al., arXiv 2407.06159), as specified in ``specs/NETWORKS.md`` §4.1.

Restormer MDTA (Zamir et al., CVPR 2022), SMFNet's LeFF variant, CDDFuse's AttentionBase and
DetailNode (Zhao et al., CVPR 2023), the GRDB, the cross-transformer attention (Eq. 1-4) and the
HiNet-style affine coupling block used in reverse mode (Eq. 7-8).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class LayerNorm2d(nn.Module):
    """Restormer "WithBias" LayerNorm over the channels of every pixel."""

    def __init__(self, dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        mu = x.mean(1, keepdim=True)
        var = x.var(1, keepdim=True, unbiased=False)
        return (x - mu) / torch.sqrt(var + 1e-5) * self.weight[:, None, None] + self.bias[:, None, None]


def _transposed_attention(q, k, v, heads: int, temperature):
    """Channel ("transposed") attention: softmax(q̂ k̂ᵀ · τ) v per head, q/k L2-normalised over space."""
    b, c, h, w = q.shape
    q, k, v = (t.reshape(b, heads, c // heads, h * w) for t in (q, k, v))
    q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
    attn = (q @ k.transpose(-2, -1)) * temperature
    return (attn.softmax(dim=-1) @ v).reshape(b, c, h, w)


class MDTA(nn.Module):
    """Multi-Dconv-head Transposed Attention (Restormer): 1x1 qkv + depthwise 3x3, no bias."""

    def __init__(self, dim: int, heads: int, *, bias: bool = False):
        super().__init__()
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(dim, dim * 3, 1, bias=bias)
        self.qkv_dw = nn.Conv2d(dim * 3, dim * 3, 3, padding=1, groups=dim * 3, bias=bias)
        self.proj = nn.Conv2d(dim, dim, 1, bias=bias)

    def forward(self, x):
        q, k, v = self.qkv_dw(self.qkv(x)).chunk(3, dim=1)
        return self.proj(_transposed_attention(q, k, v, self.heads, self.temperature))


class LeFF(nn.Module):
    """SMFNet's LeFF: 1x1+GELU -> dw3x3+GELU -> 1x1+GELU, plus an inner residual."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1, bias=False)
        self.dw = nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden, bias=False)
        self.fc2 = nn.Conv2d(hidden, dim, 1, bias=False)

    def forward(self, x):
        y = F.gelu(self.dw(F.gelu(self.fc1(x))))
        return F.gelu(self.fc2(y)) + x


class TransformerBlock(nn.Module):
    """LN -> MDTA -> residual -> LN -> LeFF -> residual."""

    def __init__(self, dim: int, heads: int, hidden: int):
        super().__init__()
        self.norm1, self.attn = LayerNorm2d(dim), MDTA(dim, heads)
        self.norm2, self.ffn = LayerNorm2d(dim), LeFF(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


class TransformerBase(nn.Module):
    """CDDFuse AttentionBase (1x1 qkv + dense 3x3 conv, transposed attention) + 1x1 GELU FFN."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = LayerNorm2d(dim), LayerNorm2d(dim)
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv1 = nn.Conv2d(dim, dim * 3, 1, bias=False)
        self.qkv2 = nn.Conv2d(dim * 3, dim * 3, 3, padding=1, bias=False)
        self.proj = nn.Conv2d(dim, dim, 1, bias=False)
        self.ffn = nn.Sequential(nn.Conv2d(dim, dim * 2, 1, bias=False), nn.GELU(),
                                 nn.Conv2d(dim * 2, dim, 1, bias=False))

    def forward(self, x):
        q, k, v = self.qkv2(self.qkv1(self.norm1(x))).chunk(3, dim=1)
        x = x + self.proj(_transposed_attention(q, k, v, self.heads, self.temperature))
        return x + self.ffn(self.norm2(x))


class ResidualBlock(nn.Module):
    """BFE Block (Eq. 9-10): depth x [TransformerBlock + TransformerBase] then the '3conv' residual."""

    def __init__(self, dim: int, heads: int, hidden: int, depth: int, *, residual: bool = True):
        super().__init__()
        self.body = nn.Sequential(*[m for _ in range(depth)
                                    for m in (TransformerBlock(dim, heads, hidden), TransformerBase(dim, heads))])
        self.residual = residual
        if residual:
            q = max(dim // 4, 1)
            self.conv = nn.Sequential(
                nn.Conv2d(dim, q, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(q, q, 1), nn.LeakyReLU(0.2),
                nn.Conv2d(q, dim, 3, padding=1))

    def forward(self, x):
        y = self.body(x)
        return self.conv(y) + x if self.residual else y


class SobelConv(nn.Module):
    """Trainable depthwise 3x3 convs initialised to Sobel x / y; |gx| + |gy| -> 1x1."""

    def __init__(self, dim: int):
        super().__init__()
        kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
        self.gx = nn.Conv2d(dim, dim, 3, padding=1, groups=dim, bias=False)
        self.gy = nn.Conv2d(dim, dim, 3, padding=1, groups=dim, bias=False)
        with torch.no_grad():
            self.gx.weight.copy_(kx.expand(dim, 1, 3, 3))
            self.gy.weight.copy_(kx.t().expand(dim, 1, 3, 3))
        self.out = nn.Conv2d(dim, dim, 1)

    def forward(self, x):
        return self.out(self.gx(x).abs() + self.gy(x).abs())


class GRDB(nn.Module):
    """Gradient residual dense block: conv, then dense block + Sobel path, summed, LReLU(0.1)."""

    def __init__(self, dim: int):
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(dim, dim, 3, padding=1), nn.LeakyReLU(0.2))
        self.c1 = nn.Sequential(nn.Conv2d(dim, dim, 3, padding=1), nn.LeakyReLU(0.2))
        self.c2 = nn.Sequential(nn.Conv2d(dim * 2, dim, 3, padding=1), nn.LeakyReLU(0.2))
        self.fuse = nn.Conv2d(dim * 3, dim, 1)
        self.sobel = SobelConv(dim)

    def forward(self, x):
        x = self.head(x)
        y1 = self.c1(x)
        y2 = self.c2(torch.cat([x, y1], 1))
        dense = self.fuse(torch.cat([x, y1, y2], 1))
        return F.leaky_relu(dense + self.sobel(x), 0.1)


class CrossAttention(nn.Module):
    """Cross_Trans_Attention (Eq. 1-4): Q from the guide, K and V from the operand; with biases."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.q = nn.Sequential(nn.Conv2d(dim, dim, 1), nn.Conv2d(dim, dim, 3, padding=1, groups=dim))
        self.kv = nn.Sequential(nn.Conv2d(dim, dim * 2, 1),
                                nn.Conv2d(dim * 2, dim * 2, 3, padding=1, groups=dim * 2))
        self.proj = nn.Conv2d(dim, dim, 1)

    def forward(self, guide, operand):
        k, v = self.kv(operand).chunk(2, dim=1)
        return self.proj(_transposed_attention(self.q(guide), k, v, self.heads, self.temperature))


class InvertedResidual(nn.Module):
    """MobileNetV2 block (expand 2, ReLU6, reflection padding, no BN), CDDFuse's φ/ρ/η."""

    def __init__(self, dim: int, expand: int = 2):
        super().__init__()
        h = dim * expand
        self.body = nn.Sequential(
            nn.Conv2d(dim, h, 1, bias=False), nn.ReLU6(), nn.ReflectionPad2d(1),
            nn.Conv2d(h, h, 3, groups=h, bias=False), nn.ReLU6(), nn.Conv2d(h, dim, 1, bias=False))

    def forward(self, x):
        return self.body(x)


class DetailNode(nn.Module):
    """CDDFuse INN node (Eq. 5-6): 1x1 shuffle, z2 += φ(z1), z1 = z1·exp(ρ(z2)) + η(z2)."""

    def __init__(self, dim: int):
        super().__init__()
        half = dim // 2
        self.shuffle = nn.Conv2d(dim, dim, 1)
        self.phi, self.rho, self.eta = InvertedResidual(half), InvertedResidual(half), InvertedResidual(half)

    def forward(self, x):
        z1, z2 = self.shuffle(x).chunk(2, dim=1)
        z2 = z2 + self.phi(z1)
        z1 = z1 * torch.exp(self.rho(z2)) + self.eta(z2)
        return torch.cat([z1, z2], 1)


class AffineCoupling(nn.Module):
    """HiNet/DeepMIH INV_block_affine run in reverse (Eq. 7-8), clamp 2."""

    def __init__(self, dim: int, clamp: float = 2.0):
        super().__init__()
        half = dim // 2
        self.clamp = clamp
        self.phi, self.psi, self.rho, self.eta = (InvertedResidual(half) for _ in range(4))

    def _e(self, s):
        return torch.exp(2.0 * self.clamp * (torch.sigmoid(s) - 0.5))

    def forward(self, x):
        x1, x2 = x.chunk(2, dim=1)
        y2 = (x2 - self.eta(x1)) / self._e(self.rho(x1))
        y1 = (x1 - self.phi(y2)) / self._e(self.psi(y2))
        return torch.cat([y1, y2], 1)
