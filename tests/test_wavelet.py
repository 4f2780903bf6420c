"""MATLAB ``dwt2(x, 'dmey')`` (fusionbench.metrics.reference.wavelet): the filter bank from dmey.mat,
output sizes, the half-point symmetric extension, and what a constant image gives. The transform
itself is checked against MATLAB's own dwt2.m run in Octave through FMI_w (test_metrics_mefb.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fusionbench.metrics.reference.wavelet import DMEY, _sym_index, dwt2_dmey, orth_filters


def test_dmey_filter_bank():
    assert len(DMEY) == 102 and DMEY[-1] == 0.0
    assert math.fsum(DMEY) == pytest.approx(1.0, abs=1e-6)  # dmey.mat's values carry 9 digits
    lo, hi = orth_filters(DMEY)
    assert math.fsum(lo) == pytest.approx(math.sqrt(2.0), rel=1e-15)
    assert abs(math.fsum(hi)) < 1e-5  # high-pass, to the precision of the stored values (2e-6)
    assert np.array_equal(hi[::-1][1::2], -lo[1::2]) and np.array_equal(hi[::-1][::2], lo[::2])
    assert np.dot(lo, lo) == pytest.approx(1.0, abs=1e-5)  # orthonormal up to the FIR approximation


@pytest.mark.parametrize("n,ext", [(7, 3), (7, 7), (5, 101), (40, 101), (1, 4)])
def test_symmetric_extension_reflects_like_wextend(n, ext):
    want = np.pad(np.arange(n), ext, mode="symmetric")  # half-point, repeated for long extensions
    assert np.array_equal(_sym_index(n, ext), want)


@pytest.mark.parametrize("shape", [(40, 48), (120, 137), (1, 3)])
def test_sizes_and_constant_image(shape):
    a, h, v, d = dwt2_dmey(np.full(shape, 100.0))
    want = tuple((s + 101) // 2 for s in shape)
    assert a.shape == h.shape == v.shape == d.shape == want
    lo, hi = orth_filters(DMEY)
    np.testing.assert_allclose(a, 100.0 * math.fsum(lo) ** 2, rtol=1e-13)
    for band, gain in ((h, math.fsum(lo) * math.fsum(hi)), (v, math.fsum(lo) * math.fsum(hi)),
                       (d, math.fsum(hi) ** 2)):
        np.testing.assert_allclose(band, 100.0 * gain, atol=1e-9)
