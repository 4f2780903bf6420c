"""Building blocks of SMFNet (Zhang et al., arXiv 2407.06159), as specified in ``specs/NETWORKS.md`` §4.1.

Restormer MDTA (Zamir et al., CVPR 2022), SMFNet's LeFF variant, CDDFuse's AttentionBase and
DetailNode (Zhao et al., CVPR 2023), the GRDB, the cross-transformer attention (Eq. 1-4) and the
HiNet-style affine coupling block used in reverse mode (Eq. 7-8). Module structure, biases and
initialisation follow the official code (``net_final.py``).

Implementation notes (same mathematics as the official code, arranged for CPU speed and for results
that do not depend on the torch thread count):

* every feature map is kept in ``channels_last`` memory format;
* 1x1 convolutions run as ``F.linear`` on the channels-last pixel view (``pointwise``): the backend of
  ``F.conv2d`` for 1x1 kernels changes with the thread count (THNN with one thread, oneDNN with more),
  which made the fused output differ in the last bits;
* AttentionBase's bias-free 1x1 qkv conv followed by its dense 3x3 conv is run as one 3x3 conv
  with the composed kernel (the same linear map, a third of the multiply-adds);
* the transposed attention ``softmax(q̂ k̂ᵀ τ) v`` is computed per head from the Gram matrix of
  ``[q_h; k_h]`` (``q̂ k̂ᵀ = q kᵀ / (|q| |k|ᵀ)``, the norms from its diagonal), summed over image rows
  in a fixed order, and the output projection is folded into the attention matrix (``W_p A v``);
  the qkv convolutions emit their channels in :func:`head_order` (a permutation of their weights).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

CL = torch.channels_last


def to_cl(x: torch.Tensor) -> torch.Tensor:
    """``x`` in channels-last memory format (no copy when it already is)."""
    return x.contiguous(memory_format=CL)


def pixels(x: torch.Tensor) -> torch.Tensor:
    """(B,C,H,W) channels-last tensor (or a channel slice of one) -> (B,H,W,C) view."""
    return x.permute(0, 2, 3, 1)


def from_pixels(y: torch.Tensor) -> torch.Tensor:
    """(B,H,W,C) -> (B,C,H,W) view in channels-last memory format."""
    return y.permute(0, 3, 1, 2)


def pointwise(x: torch.Tensor, weight: torch.Tensor, bias=None) -> torch.Tensor:
    """1x1 convolution with a (O, C[,1,1]) weight as a matrix product over the channels-last pixels."""
    return from_pixels(F.linear(pixels(x), weight.reshape(weight.shape[0], -1), bias))


def conv(x: torch.Tensor, m: nn.Conv2d) -> torch.Tensor:
    """Apply the convolution module ``m`` (1x1 kernels through :func:`pointwise`)."""
    if m.kernel_size == (1, 1) and m.groups == 1 and m.stride == (1, 1) and m.padding == (0, 0):
        return pointwise(x, m.weight, m.bias)
    return m(to_cl(x))


class LayerNorm2d(nn.Module):
    """Restormer "WithBias" LayerNorm over the channels of every pixel (eps 1e-5)."""

    def __init__(self, dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        return from_pixels(F.layer_norm(pixels(x), (x.shape[1],), self.weight, self.bias, 1e-5))


def _tree_sum(t: torch.Tensor) -> torch.Tensor:
    """Sum over dim 1 by pairwise halving: a fixed order, whatever the number of threads."""
    while t.shape[1] > 1:
        n = t.shape[1]
        h = n // 2
        top = t[:, :h] + t[:, h:2 * h]
        t = torch.cat([top, t[:, 2 * h:]], 1) if n % 2 else top
    return t[:, 0]


def head_order(c: int, heads: int) -> torch.Tensor:
    """Channel order that puts each head's q and k next to each other: q_0 k_0 q_1 k_1 ... v."""
    ch = c // heads
    qk = [torch.arange(h * ch, (h + 1) * ch) + o for h in range(heads) for o in (0, c)]
    return torch.cat(qk + [torch.arange(2 * c, 3 * c)])


def channel_attention(qk, v, heads: int, temperature, proj_weight, proj_bias=None):
    """``proj(softmax(q̂ k̂ᵀ · τ) v)`` per head, q and k L2-normalised over space (Restormer transposed
    attention followed by its 1x1 output projection).

    ``qk`` is (B, 2C, H, W) with the channels in :func:`head_order` (q_0 k_0 q_1 k_1 ...), ``v`` is
    (B, C, H, W). Per head, the Gram matrix of [q_h; k_h] gives q_h k_hᵀ and the norms (its diagonal);
    it is summed over image rows in a fixed pairwise order, so the result does not depend on how a
    library would split one long reduction across threads."""
    b, c, h, w = v.shape
    ch = c // heads
    rows = pixels(qk).reshape(b * h, w, 2 * c)
    grams = torch.stack([torch.bmm(r.transpose(1, 2), r)
                         for r in rows.split(2 * ch, dim=2)], 1)           # (B·H, heads, 2ch, 2ch)
    g = _tree_sum(grams.view(b, h, heads, 2 * ch, 2 * ch))              # (B, heads, 2ch, 2ch)
    # F.normalize's eps (clamped before the root so that an all-zero channel has a zero gradient)
    norms = torch.diagonal(g, dim1=-2, dim2=-1).clamp_min(1e-24).sqrt()
    cos = g[..., :ch, ch:] / (norms[..., :ch, None] * norms[..., None, ch:])
    attn = (cos * temperature).softmax(dim=-1)                          # (B, heads, ch, ch)
    eye = torch.eye(heads, dtype=attn.dtype, device=attn.device).view(1, heads, 1, heads, 1)
    a_full = (attn.unsqueeze(3) * eye).reshape(b, c, c)                 # block-diagonal over heads
    m = proj_weight.reshape(c, c) @ a_full                               # fold the output projection
    y = torch.bmm(pixels(v).reshape(b, h * w, c), m.transpose(1, 2))
    if proj_bias is not None:
        y = y + proj_bias
    return from_pixels(y.view(b, h, w, c))


class MDTA(nn.Module):
    """Multi-Dconv-head Transposed Attention (Restormer ``Attention``): 1x1 qkv + depthwise 3x3, no bias."""

    def __init__(self, dim: int, heads: int, *, bias: bool = False):
        super().__init__()
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(dim, dim * 3, 1, bias=bias)
        self.qkv_dw = nn.Conv2d(dim * 3, dim * 3, 3, padding=1, groups=dim * 3, bias=bias)
        self.proj = nn.Conv2d(dim, dim, 1, bias=bias)

    def forward(self, x):
        c = x.shape[1]
        order = head_order(c, self.heads).to(x.device)
        qkv = pointwise(x, self.qkv.weight[order], None if self.qkv.bias is None else self.qkv.bias[order])
        dw = self.qkv_dw
        qkv = F.conv2d(to_cl(qkv), dw.weight[order], None if dw.bias is None else dw.bias[order],
                       padding=1, groups=3 * c)
        return channel_attention(qkv[:, :2 * c], qkv[:, 2 * c:], self.heads, self.temperature,
                                 self.proj.weight, self.proj.bias)


class LeFF(nn.Module):
    """SMFNet's LeFF: 1x1+GELU -> dw3x3+GELU -> 1x1+GELU (all with bias), plus an inner residual."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.dw = nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden)
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def forward(self, x):
        y = F.gelu(self.dw(F.gelu(conv(x, self.fc1))))
        return F.gelu(conv(y, self.fc2)) + x


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
    """CDDFuse AttentionBase (1x1 qkv + dense 3x3 conv, transposed attention) + 1x1 GELU FFN (x2), no bias."""

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
        # qkv2(qkv1(x)) as one 3x3 convolution d -> 3d: both are linear and bias-free, so the composed
        # kernel W2·W1 gives the same map (zero padding commutes) at a third of the multiply-adds
        c = x.shape[1]
        w = torch.einsum("omyx,mi->oiyx", self.qkv2.weight[head_order(c, self.heads).to(x.device)],
                         self.qkv1.weight.flatten(1))
        qkv = F.conv2d(to_cl(self.norm1(x)), w, padding=1)
        x = x + channel_attention(qkv[:, :2 * c], qkv[:, 2 * c:], self.heads, self.temperature, self.proj.weight)
        f1, f2 = self.ffn[0], self.ffn[2]
        return x + conv(F.gelu(conv(self.norm2(x), f1)), f2)


class ResidualBlock(nn.Module):
    """BFE Block (Eq. 9-10): depth x [TransformerBlock + TransformerBase] then the '3conv' residual
    ``Conv3x3(d->d/4) - LReLU(0.2) - Conv1x1 - LReLU(0.2) - Conv3x3(d/4->d) + block input``."""

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
        if not self.residual:
            return y
        c1, c2, c3 = self.conv[0], self.conv[2], self.conv[4]
        t = F.leaky_relu(conv(F.leaky_relu(conv(y, c1), 0.2), c2), 0.2)
        return conv(t, c3) + x


class SobelConv(nn.Module):
    """Trainable depthwise 3x3 convs initialised to Sobel x / y (official ``Sobelxy`` signs); |gx| + |gy|."""

    def __init__(self, dim: int):
        super().__init__()
        kx = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
        self.gx = nn.Conv2d(dim, dim, 3, padding=1, groups=dim, bias=False)
        self.gy = nn.Conv2d(dim, dim, 3, padding=1, groups=dim, bias=False)
        with torch.no_grad():
            self.gx.weight.copy_(kx.expand(dim, 1, 3, 3))
            self.gy.weight.copy_(kx.t().expand(dim, 1, 3, 3))

    def forward(self, x):
        x = to_cl(x)
        return self.gx(x).abs() + self.gy(x).abs()


class GRDB(nn.Module):
    """GRDB_module: Conv3x3+LReLU(0.2), then RGBD = dense block (1x1 ``fuse``) + Sobel path (1x1 ``out``),
    summed, LReLU(0.1). All convolutions except the Sobel ones have bias."""

    def __init__(self, dim: int):
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(dim, dim, 3, padding=1), nn.LeakyReLU(0.2))
        self.c1 = nn.Sequential(nn.Conv2d(dim, dim, 3, padding=1), nn.LeakyReLU(0.2))
        self.c2 = nn.Sequential(nn.Conv2d(dim * 2, dim, 3, padding=1), nn.LeakyReLU(0.2))
        self.fuse = nn.Conv2d(dim * 3, dim, 1)
        self.sobel = SobelConv(dim)
        self.out = nn.Conv2d(dim, dim, 1)

    def forward(self, x):
        x = F.leaky_relu(self.head[0](to_cl(x)), 0.2)
        y1 = F.leaky_relu(self.c1[0](x), 0.2)
        y2 = F.leaky_relu(self.c2[0](torch.cat([x, y1], 1)), 0.2)
        # convdown(dense) + convup(sobel) as one 1x1 convolution over the concatenation
        w = torch.cat([self.fuse.weight, self.out.weight], 1)
        s = pointwise(torch.cat([x, y1, y2, self.sobel(x)], 1), w, self.fuse.bias + self.out.bias)
        return F.leaky_relu(s, 0.1)


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
        q = self.q[1](conv(guide, self.q[0]))
        k, v = self.kv[1](conv(operand, self.kv[0])).chunk(2, dim=1)
        qk = torch.cat([t for pair in zip(q.chunk(self.heads, 1), k.chunk(self.heads, 1)) for t in pair], 1)
        return channel_attention(qk, v, self.heads, self.temperature, self.proj.weight, self.proj.bias)


class InvertedResidual(nn.Module):
    """MobileNetV2 block (expand 2, ReLU6, reflection padding, no BN, no bias), CDDFuse's φ/ρ/η."""

    def __init__(self, dim: int, expand: int = 2):
        super().__init__()
        h = dim * expand
        self.body = nn.Sequential(
            nn.Conv2d(dim, h, 1, bias=False), nn.ReLU6(), nn.ReflectionPad2d(1),
            nn.Conv2d(h, h, 3, groups=h, bias=False), nn.ReLU6(), nn.Conv2d(h, dim, 1, bias=False))

    def forward(self, x):
        # the reflection padding commutes with the per-pixel 1x1 conv and ReLU6: pad the narrow input
        b = self.body
        t = F.relu6(conv(to_cl(F.pad(x, (1, 1, 1, 1), mode="reflect")), b[0]))
        return conv(F.relu6(b[3](t)), b[5])


def _pair(a: InvertedResidual, b: InvertedResidual, x):
    """``(a(x), b(x))`` for two inverted residual blocks on the same input, as one wider block."""
    a0, a3, a5 = a.body[0], a.body[3], a.body[5]
    b0, b3, b5 = b.body[0], b.body[3], b.body[5]
    t = F.relu6(pointwise(to_cl(F.pad(x, (1, 1, 1, 1), mode="reflect")), torch.cat([a0.weight, b0.weight])))
    t = F.relu6(F.conv2d(t, torch.cat([a3.weight, b3.weight]), groups=t.shape[1]))
    h = a0.out_channels
    return pointwise(t[:, :h], a5.weight), pointwise(t[:, h:], b5.weight)


class DetailNode(nn.Module):
    """CDDFuse INN node (Eq. 5-6): 1x1 shuffle (bias), z2 += φ(z1), z1 = z1·exp(ρ(z2)) + η(z2)."""

    def __init__(self, dim: int):
        super().__init__()
        half = dim // 2
        self.shuffle = nn.Conv2d(dim, dim, 1)
        self.phi, self.rho, self.eta = InvertedResidual(half), InvertedResidual(half), InvertedResidual(half)

    def forward(self, x):
        z1, z2 = conv(x, self.shuffle).chunk(2, dim=1)
        z2 = z2 + self.phi(z1)
        r, e = _pair(self.rho, self.eta, z2)
        z1 = z1 * torch.exp(r) + e
        return torch.cat([z1, z2], 1)


class AffineCoupling(nn.Module):
    """HiNet/DeepMIH ``INV_block_affine`` run in reverse (Eq. 7-8), clamp 2: a 1x1 channel-mixing
    convolution (dim -> dim, bias) on the input, then ``y2 = (x2 - η(x1)) / e(ρ(x1))``,
    ``y1 = (x1 - φ(y2)) / e(ψ(y2))`` with ``e(s) = exp(2·clamp·(σ(s) - 0.5))``."""

    def __init__(self, dim: int, clamp: float = 2.0):
        super().__init__()
        half = dim // 2
        self.clamp = clamp
        self.shuffle = nn.Conv2d(dim, dim, 1)
        self.phi, self.psi, self.rho, self.eta = (InvertedResidual(half) for _ in range(4))

    def _inv_e(self, s):
        return torch.exp(-2.0 * self.clamp * (torch.sigmoid(s) - 0.5))

    def forward(self, x):
        x1, x2 = conv(x, self.shuffle).chunk(2, dim=1)
        s1, t1 = _pair(self.rho, self.eta, x1)
        y2 = (x2 - t1) * self._inv_e(s1)
        s2, t2 = _pair(self.psi, self.phi, y2)
        y1 = (x1 - t2) * self._inv_e(s2)
        return torch.cat([y1, y2], 1)
