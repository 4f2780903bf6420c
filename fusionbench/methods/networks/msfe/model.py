"""MSFE: attention-guided deep multi-scale feature ensemble for IR-visible fusion (anonymous,
"Learning Attention Guided Deep Multi-Scale Feature Ensemble for Infrared and Visible Image
Fusion", Paper ID 92), following ``specs/NETWORKS.md`` §6.2 and the ablation switches of §6.5.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

ARCH_KEYS = ("stem", "growth", "att_width", "disc_width", "att_input", "skip_order", "skip_merge", "out_act",
             "use_dense_dilated", "use_attention", "use_skips")


def conv_relu(cin, cout, dilation=1, relu=True):
    """Reflection-padded 3x3 conv (+ ReLU), DenseFuse style."""
    layers = [nn.ReflectionPad2d(dilation), nn.Conv2d(cin, cout, 3, dilation=dilation)]
    return nn.Sequential(*layers, nn.ReLU()) if relu else nn.Sequential(*layers)


def edge_map(u: torch.Tensor) -> torch.Tensor:
    """Eq. 1-2: forward-difference gradient magnitude, then a 2x2 running max (rows, then columns)."""
    gx = F.pad(u[..., :, 1:] - u[..., :, :-1], (0, 1, 0, 0))
    gy = F.pad(u[..., 1:, :] - u[..., :-1, :], (0, 0, 0, 1))
    g = torch.sqrt(gx ** 2 + gy ** 2 + 1e-12)
    g = torch.maximum(g, F.pad(g[..., 1:, :], (0, 0, 0, 1), mode="replicate"))
    return torch.maximum(g, F.pad(g[..., :, 1:], (0, 1, 0, 0), mode="replicate"))


class DensePath(nn.Module):
    """Three 3x3 convs with one dilation; each output is concatenated to the next input."""

    def __init__(self, stem, growth, dilation, dense=True):
        super().__init__()
        self.dense = dense
        if dense:
            self.convs = nn.ModuleList(conv_relu(stem + i * growth, growth, dilation) for i in range(3))
        else:  # w/o D: plain stem -> stem+g -> stem+2g -> stem+3g, no dilation, no dense links
            self.convs = nn.ModuleList(conv_relu(stem + i * growth, stem + (i + 1) * growth) for i in range(3))

    def forward(self, x):
        states = []
        for conv in self.convs:
            x = torch.cat([x, conv(x)], 1) if self.dense else conv(x)
            states.append(x)
        return states  # after conv-2, conv-3, conv-4


class Extractor(nn.Module):
    """conv-1 + three densely connected dilated paths (d = 1, 2, 3), summed (the ensemble)."""

    def __init__(self, stem, growth, dense_dilated=True):
        super().__init__()
        self.conv1 = conv_relu(1, stem)
        dil = (1, 2, 3) if dense_dilated else (1,)
        self.paths = nn.ModuleList(DensePath(stem, growth, d, dense_dilated) for d in dil)

    def forward(self, x):
        """-> (f_e, [f_conv2, f_conv3, f_conv4]) with widths stem + {1, 2, 3} x growth."""
        x = self.conv1(x)
        per_path = [p(x) for p in self.paths]
        skips = [sum(s[k] for s in per_path) for k in range(3)]
        return skips[2], skips


class AttentionNet(nn.Module):
    """Edge-guided attention (Eq. 3): edges -> conv -> dilated conv (rate 2) -> (2, C) softmax weights."""

    def __init__(self, width, channels, with_features=False):
        super().__init__()
        cin = 2 + (2 * channels if with_features else 0)
        self.with_features, self.channels = with_features, channels
        self.body = nn.Sequential(conv_relu(cin, width), conv_relu(width, width, dilation=2),
                                  conv_relu(width, 2 * channels, relu=False))

    def forward(self, e_ir, e_vi, f_ir, f_vi):
        x = torch.cat([e_ir, e_vi, f_ir, f_vi] if self.with_features else [e_ir, e_vi], 1)
        w = self.body(x)
        b, _, h, wd = w.shape
        w = w.view(b, 2, self.channels, h, wd).softmax(dim=1)
        return w[:, 0], w[:, 1]


class Reconstructor(nn.Module):
    """Three stride-1 3x3 transposed convs with compensation skips (Eq. 4), then a 3x3 output conv."""

    def __init__(self, widths, skip_order="mirrored", use_skips=True):
        super().__init__()
        w2, w3, w4 = widths  # skip widths after conv-2/3/4
        self.order = (2, 1, 0) if skip_order == "mirrored" else (0, 1, 2)
        chans = [w4] + [widths[i] for i in self.order]
        self.deconvs = nn.ModuleList(nn.ConvTranspose2d(chans[i], chans[i + 1], 3, padding=1) for i in range(3))
        self.out = conv_relu(chans[-1], 1, relu=False)
        self.use_skips = use_skips

    def forward(self, x, skips):
        for dconv, k in zip(self.deconvs, self.order):
            x = F.relu(dconv(x))
            if self.use_skips:
                x = x + skips[k]
        return self.out(x)


class Discriminator(nn.Module):
    """PatchGAN for the stage-1 LSGAN: 4x4/2 convs (w, 2w + BN, 4w + BN, LReLU 0.2) -> 3x3 -> 1."""

    def __init__(self, width=32):
        super().__init__()
        w = width
        self.body = nn.Sequential(
            nn.Conv2d(1, w, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.BatchNorm2d(4 * w), nn.LeakyReLU(0.2),
            nn.Conv2d(4 * w, 1, 3, 1, 1))

    def forward(self, x):
        return self.body(x)


class MSFE(nn.Module):
    """Generator (extractor + edge-guided attention + reconstruction) and the stage-1 discriminator.

    Keyword-only parameters are the config's architecture keys: ``stem`` (16 in the paper),
    ``growth`` (16), ``att_width`` (attention hidden width, 16), ``disc_width``, ``att_input`` (``edges`` | ``edges+features``), ``skip_order``
    (``mirrored`` | ``literal``), ``skip_merge`` (``attention`` | ``mean`` | ``sum``), ``out_act`` (``clamp`` |
    ``sigmoid``) and the ablation switches ``use_dense_dilated``, ``use_attention``, ``use_skips``.
    Nothing down-samples, so any input size works.
    """

    def __init__(self, *, stem=16, growth=16, att_width=16, disc_width=32, att_input="edges", skip_order="mirrored",
                 skip_merge="attention", out_act="clamp", use_dense_dilated=True, use_attention=True,
                 use_skips=True):
        super().__init__()
        if skip_merge not in ("attention", "mean", "sum"):
            raise ValueError(f"skip_merge must be 'attention', 'mean' or 'sum', not {skip_merge!r}")
        widths = (stem + growth, stem + 2 * growth, stem + 3 * growth)
        self.extractor = Extractor(stem, growth, use_dense_dilated)
        self.attention = AttentionNet(att_width, widths[2], att_input == "edges+features") if use_attention else None
        self.reconstructor = Reconstructor(widths, skip_order, use_skips)
        self.discriminator = Discriminator(disc_width)
        self.skip_merge, self.out_act = skip_merge, out_act

    def _output(self, y):
        if self.out_act == "sigmoid":
            return torch.sigmoid(y)
        return y if self.training else y.clamp(0, 1)

    def autoencode(self, x):
        """Stage 1: reconstruct one gray image."""
        f, skips = self.extractor(x)
        return self._output(self.reconstructor(f, skips))

    def forward(self, ir, vi):
        f_ir, s_ir = self.extractor(ir)
        f_vi, s_vi = self.extractor(vi)
        w_ir = None
        if self.attention is not None:
            w_ir, w_vi = self.attention(edge_map(ir), edge_map(vi), f_ir, f_vi)
            f = f_ir * w_ir + f_vi * w_vi
        else:
            f = f_ir + f_vi
        return self._output(self.reconstructor(f, self._merge_skips(s_ir, s_vi, w_ir)))

    def _merge_skips(self, s_ir, s_vi, w_ir):
        """Eq. 4's compensation skips from both sources.

        ``sum`` (Eq. 4 literally) doubles the magnitudes the stage-1 reconstructor was trained on
        (28-49 % of pixels clip on TNO 01/30); ``mean`` keeps them; ``attention`` (default) mixes
        them with the channel-mean of the IR attention weight, so the skips follow the same
        per-pixel choice as the fused features (a convex mix: stage-1 magnitudes are kept).
        """
        if self.skip_merge == "sum":
            return [a + b for a, b in zip(s_ir, s_vi)]
        if self.skip_merge == "mean" or w_ir is None:
            return [(a + b) * 0.5 for a, b in zip(s_ir, s_vi)]
        a = w_ir.mean(1, keepdim=True)
        return [a * x + (1 - a) * y for x, y in zip(s_ir, s_vi)]
