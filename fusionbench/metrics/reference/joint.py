"""Joint-histogram fusion metrics: NMI (Hossny), Q_TE (Tsallis, Cvejic) and Q_NCIE (Wang).

As in Zheng Liu's toolbox and MEFB (``metricsNMI.m``, ``metricsTE.m``, ``metricsQncie.m``): each
image is first stretched to 0..255 and rounded (``normalize1``), then 256 x 256 joint histograms
of (source, fused) levels are formed.
"""

from __future__ import annotations

import numpy as np

from fusionbench.metrics.reference.perceptual import normalize1


def _levels(x):
    y = normalize1(x)
    if np.isnan(y).any():  # a constant non-zero image: 0/0 in normalize1
        return None
    return y.astype(np.intp).ravel()


def _joint(x, y):
    """Joint distribution p[i, j] of levels (x = i, y = j), 256 x 256."""
    return np.bincount(x * 256 + y, minlength=65536).reshape(256, 256) / x.size


def _entropy2(p):
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def _mi_terms(x, y):
    """I(X; Y), H(X), H(Y) in bits."""
    p = _joint(x, y)
    hx, hy = _entropy2(p.sum(axis=1)), _entropy2(p.sum(axis=0))
    return hx + hy - _entropy2(p), hx, hy


def nmi(F, A, B, opts) -> float:
    """Hossny et al.'s normalised mutual information
    ``Q_MI = 2 [I(A; F) / (H(A) + H(F)) + I(B; F) / (H(B) + H(F))]``, in [0, 2].

    References
    ----------
    M. Hossny, S. Nahavandi, D. Creighton, "Comments on 'Information measure for performance of
    image fusion'", Electronics Letters 44 (18), 1066-1067, 2008.
    """
    f, a, b = _levels(F), _levels(A), _levels(B)
    if f is None or a is None or b is None:
        return float("nan")
    iaf, ha, hfa = _mi_terms(a, f)
    ibf, hb, hfb = _mi_terms(b, f)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(2.0 * (np.float64(iaf) / (hfa + ha) + np.float64(ibf) / (hfb + hb)))


def _tsallis(x, f, q, swapped):
    p = _joint(x, f)
    px, pf = p.sum(axis=1), p.sum(axis=0)
    # MEFB / Zheng Liu weight h(i, j) (i: source level, j: fused level) by pF(i) pX(j), the
    # marginals indexed the other way round; the paper's definition uses pX(i) pF(j)
    buff = np.outer(pf, px) if swapped else np.outer(px, pf)
    keep = buff != 0
    s = np.sum(p[keep] ** q / buff[keep] ** (q - 1.0))
    return (1.0 - s) / (1.0 - q)


def te(F, A, B, opts) -> float:
    """Tsallis-entropy fusion metric ``Q_TE = I_q(A; F) + I_q(B; F)``, q = 1.85,
    ``I_q(X; F) = (1 - sum_ij p(i, j)^q / (p_X(i) p_F(j))^(q-1)) / (1 - q)``.

    ``te_marginals='mefb'`` reproduces MEFB / Zheng Liu's ``metricsTE.m``, which pairs the
    marginals with the transposed histogram (``p_F(i) p_X(j)``); ``'paper'`` follows the formula.

    References
    ----------
    N. Cvejic, C. N. Canagarajah, D. R. Bull, "Image fusion metric based on mutual information and
    Tsallis entropy", Electronics Letters 42 (11), 626-627, 2006.
    """
    f, a, b = _levels(F), _levels(A), _levels(B)
    if f is None or a is None or b is None:
        return float("nan")
    swapped = opts["te_marginals"] == "mefb"
    q = 1.85
    return float(_tsallis(a, f, q, swapped) + _tsallis(b, f, q, swapped))


def _ncc(x, y):
    """Nonlinear correlation coefficient: I(X; Y) with entropies in base 256 (log2 / 8)."""
    return _mi_terms(x, y)[0] / 8.0


def ncie(F, A, B, opts) -> float:
    """Nonlinear correlation information entropy ``Q_NCIE = 1 + sum_i (l_i / 3) log_256(l_i / 3)``,
    ``l_i`` the eigenvalues of the 3 x 3 matrix of pairwise NCCs of A, B and F; in [0, 1].

    References
    ----------
    Q. Wang, Y. Shen, J. Jin, "Performance evaluation of image fusion techniques", in Image Fusion:
    Algorithms and Applications (T. Stathaki, ed.), Academic Press, 2008, pp. 469-492.
    """
    f, a, b = _levels(F), _levels(A), _levels(B)
    if f is None or a is None or b is None:
        return float("nan")
    nab, naf, nbf = _ncc(a, b), _ncc(a, f), _ncc(b, f)
    R = np.array([[1.0, nab, naf], [nab, 1.0, nbf], [naf, nbf, 1.0]])
    lam = np.linalg.eigvalsh(R)
    with np.errstate(invalid="ignore", divide="ignore"):
        hr = -np.sum(lam * np.log2(lam / 3.0) / 3.0) / 8.0
    return float(1.0 - hr)
