"""Batched torch kernels of the SSIM-window metrics Qy, Qc, Qw, Qe and the joint-histogram
metrics NMI, Q_TE, Q_NCIE on (N, H, W) tensors: ``KERNELS[name](t)`` -> (N,) float64 tensor.

``t`` is the per-call ``_Batch`` of :mod:`fusionbench.backends.torch_backend` (cached source
items via ``t.exact``). They follow the NumPy reference (:mod:`fusionbench.metrics.reference.similarity`
and :mod:`fusionbench.metrics.reference.joint`) operation by operation:

* local statistics by ``filter_valid`` (the reference's tap order, bit-identical in float64), so
  every window's means, (co)variances and SSIM are bit-identical and the exact decisions of the
  reference (flat windows set to exactly 0, Qy's ``SSIM(A, B) >= 0.75``, Qc's weights clipped at
  0 and 1, Piella's ``va + vb == 0``) fall the same way; only the final sums over windows run in
  another order (~1e-16 relative);
* flat windows (max == min over the n x n window) by max pooling;
* 256 x 256 joint histograms of ``normalize1`` levels; entropies, Tsallis sums and the 3 x 3
  eigenvalues of Q_NCIE in float64.

All seven always run in float64 on the float64 inputs, also in the float32 fast mode: with
C1 = C2 = 2e-16 (Qy, Qc) a window's value hangs on exact zeros and ties that float32 would
move, and the histogram metrics are exact on integer levels anyway.

References: C. Yang et al., Information Fusion 9 (2) 2008 (Qy); N. Cvejic et al., Int. J. Signal
Process. 2 (3) 2005 (Qc); G. Piella & H. Heijmans, ICIP 2003 (Qw, Qe); M. Hossny et al.,
Electron. Lett. 44 (18) 2008 (NMI); N. Cvejic et al., Electron. Lett. 42 (11) 2006 (Q_TE);
Q. Wang et al., in Image Fusion (Stathaki ed.) 2008 (Q_NCIE).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as Fn

from fusionbench.backends import _torch_kernels as K
from fusionbench.backends._torch_extra import correlate3, normalize1

_YANG_C = 2e-16  # C1 = C2 of Yang's and Cvejic's SSIM (reference.similarity)
_PIELLA_C1, _PIELLA_C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
_PREWITT_X = ((1.0, 0.0, -1.0),) * 3
_PREWITT_Y = ((1.0, 1.0, 1.0), (0.0, 0.0, 0.0), (-1.0, -1.0, -1.0))
_TSALLIS_Q = 1.85


# --- window statistics -------------------------------------------------------------------------

def flat_windows(x, n):
    """True for the 'valid' n x n windows where x is constant (max == min), per image."""
    y = x[:, None]
    hi = Fn.max_pool2d(y, n, stride=1)[:, 0]
    lo = -Fn.max_pool2d(-y, n, stride=1)[:, 0]
    return hi == lo


def prewitt_magnitude(x):
    """sqrt(gx^2 + gy^2) of the reference's Prewitt ``correlate_same`` (zero border; taps summed
    row-major from 0, exact with weights +-1) and a correctly rounded sqrt."""
    P = Fn.pad(x, (1, 1, 1, 1))
    gx, gy = correlate3(P, _PREWITT_X), correlate3(P, _PREWITT_Y)
    return K.exact_sqrt(gx * gx + gy * gy)


def ssim_window(mx, my, vx, vy, vxy, c1, c2):
    """Per-window SSIM in the reference's operation order."""
    return ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


def nanmean(q):
    """Mean over the non-NaN entries of each image; NaN when there are none."""
    keep = ~torch.isnan(q)
    s = K.bsum(torch.where(keep, q, torch.zeros_like(q)))
    cnt = K.bsum(keep.to(q.dtype))
    return s / cnt  # 0 / 0 = NaN without a window


def _gauss(n, x):
    return K.gaussian_1d(n, 1.5, torch.float64, x.device)


def _plane(t, which, edges):
    """The float64 input plane ``which`` or its Prewitt edge map (cached)."""
    if edges:
        return t.exact(which, "prewitt", prewitt_magnitude)
    return t.exact(which, "x64", lambda x: x)


def _win_stats(t, which, n, flat, edges=False):
    """(mu, W(x^2) - mu^2, flat-window mask or None) of plane ``which`` over the n x n Gaussian."""
    def make(_):
        x = _plane(t, which, edges)
        g = _gauss(n, x)
        mu = K.filter_valid(x, g)
        return mu, K.filter_valid(x * x, g) - mu * mu, (flat_windows(x, n) if flat else None)
    return t.exact(which, ("win", n, flat, edges), make)


def _cross(t, x, y, n, edges=False):
    """W(x y) of planes x, y ('A', 'B', 'F'), kept for this call only."""
    def make(_):
        px, py = _plane(t, x, edges), _plane(t, y, edges)
        return K.filter_valid(px * py, _gauss(n, px))
    return t.exact("F", ("cross", x, y, n, edges), make)


def _nan(t):
    return torch.full((t.F.shape[0],), float("nan"), dtype=torch.float64, device=t.F.device)


# --- Qy, Qc (Yang, Cvejic: 7x7 Gaussian, C1 = C2 = 2e-16, exact zeros on flat windows) ---------

def _flat_stats(t):
    """Per plane A, B, F: (mu, variance with flat windows set to 0, flat mask)."""
    out = []
    for w in "ABF":
        mu, var, flat = _win_stats(t, w, 7, True)
        out.append((mu, torch.where(flat, torch.zeros_like(var), var), flat))
    return out


def _cov(t, x, y, sx, sy):
    """Covariance of planes x, y over the 7x7 window, exactly 0 where either window is flat."""
    (mx, _, fx), (my, _, fy) = sx, sy
    c = _cross(t, x, y, 7) - mx * my
    return torch.where(fx | fy, torch.zeros_like(c), c)


def qy(t):
    """Yang et al.'s Q_Y (reference ``similarity.qy``); NaN under 11 pixels."""
    if min(t.F.shape[1:]) < 11:
        return _nan(t)
    sA, sB, sF = _flat_stats(t)
    (mA, vA, _), (mB, vB, _), (mF, vF, _) = sA, sB, sF
    c = _YANG_C
    sab = ssim_window(mA, mB, vA, vB, _cov(t, "A", "B", sA, sB), c, c)
    saf = ssim_window(mA, mF, vA, vF, _cov(t, "A", "F", sA, sF), c, c)
    sbf = ssim_window(mB, mF, vB, vF, _cov(t, "B", "F", sB, sF), c, c)
    r = (sab >= 0.75).to(torch.float64)
    lam = vA / (vA + vB)
    # both terms are multiplied by the 0/1 mask, as the reference does (NaN * 0 stays NaN)
    q = (lam * saf + (1 - lam) * sbf) * r + torch.maximum(saf, sbf) * (1.0 - r)
    return nanmean(q)


def qc(t):
    """Cvejic et al.'s Q_C (reference ``similarity.qc``); NaN under 11 pixels."""
    if min(t.F.shape[1:]) < 11:
        return _nan(t)
    sA, sB, sF = _flat_stats(t)
    (mA, vA, _), (mB, vB, _), (mF, vF, _) = sA, sB, sF
    c = _YANG_C
    caf, cbf = _cov(t, "A", "F", sA, sF), _cov(t, "B", "F", sB, sF)
    saf = ssim_window(mA, mF, vA, vF, caf, c, c)
    sbf = ssim_window(mB, mF, vB, vF, cbf, c, c)
    s = caf / (caf + cbf)
    sim = s * saf + (1 - s) * sbf
    sim = torch.where(s < 0, torch.zeros_like(sim), sim)  # NaN weights fail both tests
    sim = torch.where(s > 1, torch.ones_like(sim), sim)
    return nanmean(sim)


# --- Qw, Qe (Piella: 11x11 Gaussian, Wang's SSIM constants) -------------------------------------

def piella_qw(t, edges):
    """Piella's Q_W of (A, B, F), or of their Prewitt edge maps with ``edges``; NaN under 11 pixels."""
    if min(t.F.shape[1:]) < 11:
        return _nan(t)
    (mA, vA, _), (mB, vB, _), (mF, vF, _) = (_win_stats(t, w, 11, False, edges) for w in "ABF")
    c1, c2 = _PIELLA_C1, _PIELLA_C2
    saf = ssim_window(mF, mA, vF, vA, _cross(t, "F", "A", 11, edges) - mF * mA, c1, c2)
    sbf = ssim_window(mF, mB, vF, vB, _cross(t, "F", "B", 11, edges) - mF * mB, c1, c2)
    flat = ((vA + vB) == 0).to(torch.float64)  # both sources flat: equal weights (0.5 each)
    va, vb = vA + 0.5 * flat, vB + 0.5 * flat
    lam = va / (va + vb)
    cw = torch.maximum(va, vb)
    cw = cw / K.bsum(cw).view(-1, 1, 1)
    return K.bsum(cw * (lam * saf + (1 - lam) * sbf))


def qw(t):
    """Q_W on the images, or on their Prewitt edge maps (``qw_input='edges'``, MEFB)."""
    return piella_qw(t, t.opts["qw_input"] == "edges")


def qe(t):
    """Q_E = Q_W(A, B, F) Q_W(A', B', F') (alpha = 1), ' the Prewitt edge maps."""
    return piella_qw(t, False) * piella_qw(t, True)


# --- NMI, Q_TE, Q_NCIE (joint histograms of normalize1 levels) ----------------------------------

def _levels(t, which):
    """``normalize1`` levels (int64, (N, H, W)) of plane ``which`` and a per-image NaN flag."""
    def make(x):
        y = normalize1(x)
        bad = torch.isnan(y).any(dim=2).any(dim=1)
        return torch.where(torch.isnan(y), torch.zeros_like(y), y).long(), bad
    return t.exact(which, "norm1_levels", make)


def _joint(t, x, y):
    """Joint distributions p[n, i, j] of the levels (x = i, y = j), 256 x 256, this call only."""
    def make(_):
        (lx, _), (ly, _) = _levels(t, x), _levels(t, y)
        counts = K.hist(lx * 256 + ly, 65536).view(-1, 256, 256)
        return counts.to(torch.float64) / (lx.shape[1] * lx.shape[2])
    return t.exact("F", ("joint", x, y), make)


def _any_nan_level(t):
    return _levels(t, "A")[1] | _levels(t, "B")[1] | _levels(t, "F")[1]


def _entropy2(p):
    """-sum p log2 p over p > 0, over the last dimension(s) after the batch one."""
    p = p.reshape(p.shape[0], -1)
    pos = p > 0
    lp = torch.log2(torch.where(pos, p, torch.ones_like(p)))
    return -torch.where(pos, p * lp, torch.zeros_like(p)).sum(dim=1)


def mi_terms(p):
    """(I(X; Y), H(X), H(Y)) in bits of the joint distributions p (N, 256, 256)."""
    hx, hy = _entropy2(p.sum(dim=2)), _entropy2(p.sum(dim=1))
    return hx + hy - _entropy2(p), hx, hy


def nmi(t):
    """Hossny et al.'s NMI (reference ``joint.nmi``); NaN for a constant non-zero image."""
    iaf, ha, hfa = mi_terms(_joint(t, "A", "F"))
    ibf, hb, hfb = mi_terms(_joint(t, "B", "F"))
    v = 2.0 * (iaf / (hfa + ha) + ibf / (hfb + hb))
    return torch.where(_any_nan_level(t), torch.full_like(v, math.nan), v)


def tsallis(p, q, swapped):
    """I_q(X; F) = (1 - sum p^q / w^(q-1)) / (1 - q) over w != 0, w[i, j] = pX(i) pF(j)
    (``swapped``: pF(i) pX(j), MEFB's metricsTE.m)."""
    px, pf = p.sum(dim=2), p.sum(dim=1)
    w = pf[:, :, None] * px[:, None, :] if swapped else px[:, :, None] * pf[:, None, :]
    keep = w != 0
    one = torch.ones_like(w)
    terms = p ** q / torch.where(keep, w, one) ** (q - 1.0)
    s = K.bsum(torch.where(keep, terms, torch.zeros_like(terms)))
    return (1.0 - s) / (1.0 - q)


def te(t):
    """Tsallis-entropy metric Q_TE = I_q(A; F) + I_q(B; F), q = 1.85 (reference ``joint.te``)."""
    swapped = t.opts["te_marginals"] == "mefb"
    v = tsallis(_joint(t, "A", "F"), _TSALLIS_Q, swapped) + tsallis(_joint(t, "B", "F"), _TSALLIS_Q, swapped)
    return torch.where(_any_nan_level(t), torch.full_like(v, math.nan), v)


def ncie(t):
    """Q_NCIE = 1 + sum_i (l_i / 3) log_256(l_i / 3), l_i the eigenvalues of the pairwise NCC
    matrix of A, B, F (reference ``joint.ncie``)."""
    nab, naf, nbf = (mi_terms(_joint(t, x, y))[0] / 8.0 for x, y in ("AB", "AF", "BF"))
    one = torch.ones_like(nab)
    R = torch.stack([torch.stack([one, nab, naf], -1), torch.stack([nab, one, nbf], -1),
                     torch.stack([naf, nbf, one], -1)], -2)
    bad = _any_nan_level(t)
    R = torch.where(bad.view(-1, 1, 1), torch.eye(3, dtype=R.dtype, device=R.device), R)  # keep eigvalsh finite
    lam = torch.linalg.eigvalsh(R)
    hr = -(lam * torch.log2(lam / 3.0) / 3.0).sum(dim=1) / 8.0
    v = 1.0 - hr
    return torch.where(bad, torch.full_like(v, math.nan), v)


KERNELS = {"Qy": qy, "Qc": qc, "Qw": qw, "Qe": qe, "NMI": nmi, "Q_TE": te, "Q_NCIE": ncie}
