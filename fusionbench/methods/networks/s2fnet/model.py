"""S2F-Net modules (Zhao et al., "S2F-Net: Shared-Specific Fusion Network for Infrared and Visible
Image Fusion", ACM ICMR 2024, doi 10.1145/3652583.3658100), as specified in ``specs/NETWORKS.md`` s. 3.

Equation -> module: Eq. 1/2 -> ``sf_*``, ``enc_*``; Eq. 3 -> ECA + re-weighting (``CAGFM``);
Eq. 4 -> ``dec_v``/``dec_r``; Eq. 5 -> skip adds; Eq. 6 -> ``dec_f`` (MLFM); Eq. 7 -> ``classifier``;
Eq. 8/9 -> ``aux_decoder``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from fusionbench.methods.networks.common import ResBlock, conv3


class ECA(nn.Module):
    """ECA channel attention (Wang et al., CVPR 2020): GAP -> Conv1d(k, no bias) -> sigmoid.

    Returns the attention weights (B, C, 1, 1); k from the adaptive rule (gamma 2, b 1).
    """

    def __init__(self, c: int, gamma: int = 2, b: int = 1):
        super().__init__()
        t = int(abs((math.log2(c) + b) / gamma))
        k = t if t % 2 else t + 1
        self.conv = nn.Conv1d(1, 1, k, padding=(k - 1) // 2, bias=False)

    def forward(self, x):
        y = x.mean((2, 3))[:, None, :]  # (B, 1, C)
        return torch.sigmoid(self.conv(y))[:, 0, :, None, None]


class Classifier(nn.Module):
    """Modality classifier Theta_mc: Conv3x3 stride 2 + LReLU -> GAP -> Linear(C -> classes)."""

    def __init__(self, c: int, classes: int):
        super().__init__()
        self.conv, self.fc = conv3(c, c, stride=2), nn.Linear(c, classes)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))


class S2FNet(nn.Module):
    """Shared-specific fusion network, constant resolution across levels.

    Parameters
    ----------
    channels, levels : int
        C and N (full: 64, 3; small: 16, 3).
    use_shared, use_cagfm, use_mlfm : bool
        Ablation switches (section 3.6): shared branch E_s, ECA cross-modality attention, MLFM.
    aux_classifier, aux_decoder : bool
        Build the training-only modality classifier / auxiliary decoder (off when lambda = 0).
    attn_map : {"symmetric", "as_printed"}
        Eq. 3 reading: each member of a concatenated pair weighted by its partner's attention
        (default), or Eq. 3 literally.
    shared_siamese : bool
        One set of E_s weights for both shared streams (default) or one per stream.
    classifier : {"adversarial", "3way"}
        The modality classifier of Eq. 7. ``"adversarial"`` (default): four labels; the classifier
        learns to tell all four streams apart, while the encoder is trained to make the two
        shared streams indistinguishable to it (domain confusion, Tzeng et al., ICCV 2015: the
        classifier's output on a shared stream is pulled towards 1/2 for each shared label). This
        is the adversarial reading of "modality-invariant" shared features; a plain
        gradient-reversal layer was tried and diverged (the reversed cross-entropy is unbounded:
        loss 1e5 after 1,500 steps). ``"3way"``: both shared streams share one label and are
        trained cooperatively; measured, its loss collapses to ~0 within 200 steps and nothing
        pulls the shared streams together.

    Notes
    -----
    Levels keep the input resolution (the spec's ``level_resolution='constant'``). The spec's
    alternative ``'ushape'`` reading is not offered: Eq. 5 adds level-i to level-(i-1) features and
    one auxiliary decoder D_e serves every level, which both require equal shapes across levels.
    """

    def __init__(self, *, channels=16, levels=3, use_shared=True, use_cagfm=True, use_mlfm=True,
                 aux_classifier=True, aux_decoder=True, attn_map="symmetric", shared_siamese=True,
                 classifier="adversarial"):
        super().__init__()
        if attn_map not in ("symmetric", "as_printed") or classifier not in ("3way", "adversarial"):
            raise ValueError(f"bad option attn_map={attn_map!r} classifier={classifier!r}")
        C, N = int(channels), int(levels)
        self.C, self.N = C, N
        self.use_shared, self.use_cagfm, self.use_mlfm = use_shared, use_cagfm, use_mlfm
        self.attn_map, self.shared_siamese, self.classifier_mode = attn_map, shared_siamese, classifier
        self.sf_v, self.sf_r = conv3(1, C), conv3(1, C)
        self.enc_v = nn.ModuleList(ResBlock(C) for _ in range(N))
        self.enc_r = nn.ModuleList(ResBlock(C) for _ in range(N))
        if use_shared:
            self.enc_s = nn.ModuleList(ResBlock(C) for _ in range(N))
            if not shared_siamese:
                self.enc_s2 = nn.ModuleList(ResBlock(C) for _ in range(N))
        streams = ("v", "r", "sv", "sr") if use_shared else ("v", "r")
        if use_cagfm:
            self.eca = nn.ModuleList(nn.ModuleDict({m: ECA(C) for m in streams}) for _ in range(N))
        pair = 2 * C if use_shared else C
        self.dec_v = nn.ModuleList(conv3(pair, C) for _ in range(N))
        self.dec_r = nn.ModuleList(conv3(pair, C) for _ in range(N))

        def dec_f(cin):
            return nn.Sequential(conv3(cin, C), conv3(C, C))

        self.dec_f = nn.ModuleList(
            dec_f(3 * C if (use_mlfm and i < N - 1) else 2 * C) for i in range(N))
        self.head = nn.Sequential(conv3(C, C // 2), nn.Conv2d(C // 2, 1, 3, 1, 1))
        n_cls = (3 if classifier == "3way" else 4) if use_shared else 2
        self.classifier = Classifier(C, n_cls) if aux_classifier else None
        self.aux_decoder = (nn.Sequential(conv3(2 * C if use_shared else C, C), nn.Conv2d(C, 1, 3, 1, 1))
                            if aux_decoder else None)

    # ------------------------------------------------------------------ parts
    def encode(self, ir, vi):
        """Per level i = 1..N: dict of the stream features (v, r and, with E_s, sv, sr)."""
        fv, fr = self.sf_v(vi), self.sf_r(ir)
        feats, prev = [], {"v": fv, "r": fr, "sv": fv, "sr": fr}
        for i in range(self.N):
            cur = {"v": self.enc_v[i](prev["v"]), "r": self.enc_r[i](prev["r"])}
            if self.use_shared:
                cur["sv"] = self.enc_s[i](prev["sv"])
                cur["sr"] = (self.enc_s if self.shared_siamese else self.enc_s2)[i](prev["sr"])
            feats.append(cur)
            prev = cur
        return (fv, fr), feats

    def cagfm(self, i, f):
        """Eq. 3-4: cross-modality re-weighting and the decoders D_v^i, D_r^i."""
        if self.use_cagfm:
            a = {m: self.eca[i][m](x) for m, x in f.items()}
            if not self.use_shared:
                v, r = f["v"] * a["r"], f["r"] * a["v"]
            elif self.attn_map == "symmetric":
                v, sr, r, sv = f["v"] * a["sr"], f["sr"] * a["v"], f["r"] * a["sv"], f["sv"] * a["r"]
            else:  # Eq. 3 as printed
                v, sr, r, sv = f["v"] * a["sv"], f["sr"] * a["sv"], f["r"] * a["sv"], f["sv"] * a["r"]
        else:
            v, r, sv, sr = f["v"], f["r"], f.get("sv"), f.get("sr")
        if self.use_shared:
            return self.dec_v[i](torch.cat([v, sr], 1)), self.dec_r[i](torch.cat([r, sv], 1))
        return self.dec_v[i](v), self.dec_r[i](r)

    def fuse_features(self, shallow, feats):
        """Eq. 5-6 (MLFM), or the per-level average without MLFM; returns F_f^1."""
        fused = [self.cagfm(i, f) for i, f in enumerate(feats)]
        if not self.use_mlfm:
            outs = [self.dec_f[i](torch.cat(fused[i], 1)) for i in range(self.N)]
            return torch.stack(outs).mean(0)
        prev = [shallow] + [(f["v"], f["r"]) for f in feats]  # level i-1 specific features
        ff = None
        for i in reversed(range(self.N)):
            hv, hr = fused[i][0] + prev[i][0], fused[i][1] + prev[i][1]
            x = [hv, hr] if ff is None else [hv, ff, hr]
            ff = self.dec_f[i](torch.cat(x, 1))
        return ff

    def forward(self, ir, vi):
        """(B,1,H,W) IR and visible Y in [0, 1] -> fused Y in [0, 1]."""
        shallow, feats = self.encode(ir, vi)
        return torch.sigmoid(self.head(self.fuse_features(shallow, feats)))

    def forward_train(self, ir, vi):
        shallow, feats = self.encode(ir, vi)
        fused = torch.sigmoid(self.head(self.fuse_features(shallow, feats)))
        return fused, feats

    def inference_parameters(self) -> int:
        skip = {id(p) for m in (self.classifier, self.aux_decoder) if m is not None for p in m.parameters()}
        return sum(p.numel() for p in self.parameters() if id(p) not in skip)

    # ------------------------------------------------------------------ training heads
    def modality_loss(self, feats):
        """Eq. 7: mean cross-entropy of the classifier over levels and streams.

        ``adversarial``: the shared streams' cross-entropy trains the classifier on detached
        features, and the encoder through a frozen copy of the classifier towards the uniform
        distribution over the two shared labels (bounded below by log 2 per term).
        """
        if self.classifier_mode == "3way":
            labels = {"v": 0, "r": 1, "sv": 2, "sr": 2}
        else:
            labels = {"v": 0, "r": 1, "sv": 2, "sr": 3}
        frozen = {k: v.detach() for k, v in self.classifier.named_parameters()}
        losses = []
        for f in feats:
            for m, x in f.items():
                target = torch.full((x.shape[0],), labels[m], dtype=torch.long, device=x.device)
                if self.classifier_mode == "adversarial" and m in ("sv", "sr"):
                    losses.append(F.cross_entropy(self.classifier(x.detach()), target))
                    logits = torch.func.functional_call(self.classifier, frozen, (x,))[:, 2:]
                    losses.append(-F.log_softmax(logits, dim=1).mean(1).mean())
                else:
                    losses.append(F.cross_entropy(self.classifier(x), target))
        return torch.stack(losses).mean()

    def recon_loss(self, feats, ir, vi):
        """Eq. 8-9: shared auxiliary decoder D_e, sum over levels of the MSE to each source."""
        loss = 0.0
        for f in feats:
            for spec, shared, target in (("v", "sv", vi), ("r", "sr", ir)):
                x = torch.cat([f[spec], f[shared]], 1) if self.use_shared else f[spec]
                loss = loss + F.mse_loss(torch.sigmoid(self.aux_decoder(x)), target)
        return loss
