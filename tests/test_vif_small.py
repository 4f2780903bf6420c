"""VIF under ``cddfuse`` on images smaller than its 4-scale pyramid (#13).

The cddfuse evaluator filters with ``scipy.signal.convolve2d(x, rot90(w, 2), 'valid')``. For a window
larger than the image scipy swaps the two inputs (the image becomes the kernel) and returns a
value; where the window fits one side only it raises, and fusionbench gives NaN (no value, as for
SSIM under its window) instead of stopping the other metrics. scipy's behaviour *is* the toolbox's here, so
the oracle below is the vifp of specs/METRICS.md 4.8 written with scipy's convolve2d, on float32
inputs as the evaluator reads them, with its NaN -> 1.0 rule.
"""

import warnings

import numpy as np
import pytest
from scipy.signal import convolve2d

from fusionbench import compute


def _window(n):
    x = np.arange(n) - (n - 1) / 2.0
    h = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2.0 * (n / 5.0) ** 2))
    h[h < np.finfo(float).eps * h.max()] = 0.0
    return h / h.sum()


def _vifp_scipy(ref, dist):
    num = den = 0.0
    for s in range(1, 5):
        n = 2 ** (5 - s) + 1
        w = np.rot90(_window(n), 2)

        def W(x, w=w):
            return convolve2d(x, w, mode="valid")
        if s > 1:
            ref, dist = W(ref)[::2, ::2], W(dist)[::2, ::2]
        mu1, mu2 = W(ref), W(dist)
        s1 = np.maximum(W(ref * ref) - mu1 * mu1, 0.0)
        s2 = np.maximum(W(dist * dist) - mu2 * mu2, 0.0)
        s12 = W(ref * dist) - mu1 * mu2
        g = s12 / (s1 + 1e-10)
        sv = s2 - g * s12
        flat1, flat2 = s1 < 1e-10, s2 < 1e-10
        g[flat1], sv[flat1], s1[flat1] = 0.0, s2[flat1], 0.0
        g[flat2], sv[flat2] = 0.0, 0.0
        neg = g < 0
        sv[neg], g[neg] = s2[neg], 0.0
        sv[sv <= 1e-10] = 1e-10
        num += np.sum(np.log10(1 + g * g * s1 / (sv + 2.0)))
        den += np.sum(np.log10(1 + s1 / 2.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        v = num / den
    return 1.0 if np.isnan(v) else float(v)


def _oracle(F, A, B):
    """The toolbox's VIF, or None where scipy raises."""
    F, A, B = (x.astype(np.float32) for x in (F, A, B))
    try:
        return _vifp_scipy(A, F) + _vifp_scipy(B, F)
    except ValueError:
        return None


def _triple(h, w, seed):
    rng = np.random.default_rng(seed)
    A = rng.integers(0, 256, (h, w), dtype=np.uint8)
    B = rng.integers(0, 256, (h, w), dtype=np.uint8)
    F = ((A.astype(np.uint16) + B) // 2).astype(np.uint8)
    F[::3] = rng.integers(0, 256, F[::3].shape, dtype=np.uint8)
    return F, A, B


SQUARES = [(n, n) for n in range(8, 65, 4)] + [(n, n) for n in (16, 17, 24, 25, 32, 33, 40, 41, 47)]
RECTANGLES = [(12, 20), (20, 12), (17, 16), (30, 50), (40, 200), (64, 24), (9, 10), (45, 41)]


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
@pytest.mark.parametrize("h, w", SQUARES + RECTANGLES)
def test_vif_matches_scipy_semantics(h, w, backend):
    if backend == "torch":
        pytest.importorskip("torch")
    F, A, B = _triple(h, w, seed=h * 1000 + w)
    want = _oracle(F, A, B)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = compute(F, A, B, ["VIF"], profile="cddfuse", backend=backend)["VIF"]
    if want is None:  # the evaluator raises: no value (NaN, as SSIM under its window), never 1.0 + 1.0
        assert np.isnan(got)
    else:
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("h, w", SQUARES + RECTANGLES + [(h, w) for h in range(5, 48, 3) for w in range(5, 48, 4)])
def test_scipy_gives_value_predicts_the_oracle(h, w):
    from fusionbench.metrics.reference.vif import scipy_gives_value
    assert scipy_gives_value(h, w) == (_oracle(*_triple(h, w, 0)) is not None)


def test_the_toolbox_raises_for_some_sizes():
    """The oracle really raises (scipy: 'valid' mode needs one input at least as large in every
    dimension) on rectangles that straddle a window size, and does not on squares."""
    assert _oracle(*_triple(32, 40, 0)) is None and _oracle(*_triple(12, 20, 0)) is None
    assert all(_oracle(*_triple(n, n, 0)) is not None for n in (8, 16, 24, 40))


def test_small_images_are_not_the_old_constant():
    F, A, B = _triple(16, 16, seed=3)
    assert compute(F, A, B, ["VIF"], profile="cddfuse", backend="numpy")["VIF"] != pytest.approx(2.0)


def test_matlab_profiles_keep_empty_maps():
    """tang2023 (MATLAB filter2: an empty map adds nothing) is unchanged: no scale fits -> NaN."""
    F, A, B = _triple(16, 16, seed=4)
    assert np.isnan(compute(F, A, B, ["VIF"], profile="tang2023", backend="numpy")["VIF"])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_viff_is_nan_under_41_px_and_the_card_says_so(backend):
    from fusionbench.metrics import CARDS
    assert "NaN for images under 41 px" in CARDS["VIFF"].notes
    assert "Under 41 px" in CARDS["VIF"].notes
    for n, finite in ((40, False), (41, True), (64, True)):
        F, A, B = _triple(n, n, seed=n)
        v = compute(F, A, B, ["VIFF"], profile="mefb", backend=backend)["VIFF"]
        assert np.isfinite(v) == finite, (n, v)
    F, A, B = _triple(41, 40, seed=1)
    assert np.isnan(compute(F, A, B, ["VIFF"], profile="mefb", backend=backend)["VIFF"])
