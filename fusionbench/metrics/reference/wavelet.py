"""Single-level 2-D discrete wavelet transform as MATLAB's ``dwt2`` computes it, and the Discrete
Meyer filter it uses for ``'dmey'`` (Tang's FMI_w feature).

``dwt2(x, 'dmey')`` with the toolbox's default extension mode ``'sym'`` (half-point symmetric,
shift 0): extend the columns by ``L - 1`` samples on each side, convolve each row with the
decomposition filter (``'valid'``) and keep every second column starting from the second; then the
same down the columns. Each output side is ``floor((n + L - 1) / 2)``. Sides shorter than the
extension reflect again and again (period ``2 n``), as ``wextend`` does.

The decomposition filters follow ``wfilters``/``orthfilt``: ``W = dmey / sum(dmey)``,
``Lo_R = sqrt(2) W``, ``Hi_R = qmf(Lo_R)`` (reversed, sign of every second tap flipped, starting with
the second), ``Lo_D``/``Hi_D`` their reversals.
"""

from __future__ import annotations

import math

import numpy as np

# MATLAB Wavelet Toolbox ``dmey.mat`` (variable ``dmey``, 102 values, the last one 0; MAT-file header
# "Created on: Thu Jun 05 17:06:55 2003"), read from the copy in the public repository
# Shrediquette/PIVlab at commit 53c6d3f (``wavelet/dmey.mat``, sha256 dcb91fce...c037).
# PyWavelets' 'dmey' is a different, 62-tap approximation.
DMEY = (
    -1.06754713e-06, 9.0422391e-07, 3.1790474e-07, -1.48249686e-06, 1.21850207e-06,
    4.9361831e-07, -2.03604729e-06, 1.68513902e-06, 6.9474288e-07, -2.98242491e-06,
    2.37128175e-06, 1.18420622e-06, -4.26703335e-06, 3.42066573e-06, 1.69867277e-06,
    -6.757326e-06, 5.10285152e-06, 3.42881336e-06, -1.004580737e-05, 7.42738297e-06,
    4.37527643e-06, -1.72802656e-05, 1.421735152e-05, 1.060201359e-05,
    -3.283006737e-05, 2.286874237e-05, 2.645260683e-05, -7.267567236e-05,
    1.72972015e-05, 0.00010586335588, -5.34521877e-05, -9.893345543e-05,
    -6.612354762e-05, 0.0001139783219, 0.00060775793536, -0.00040883876416,
    -0.0019107202819, 0.00155193926157, 0.00427481806225, -0.00451609544333,
    -0.00780973483285, 0.01078401534427, 0.01230639736499, -0.02269391137934,
    -0.01719808438302, 0.04501954358581, 0.02165247163319, -0.09383060025865,
    -0.02478286152969, 0.31402235238643, 0.52591095141626, 0.31402235238643,
    -0.02478286152969, -0.09383060025865, 0.02165247163319, 0.04501954358581,
    -0.01719808438302, -0.02269391137934, 0.01230639736499, 0.01078401534427,
    -0.00780973483285, -0.00451609544333, 0.00427481806225, 0.00155193926157,
    -0.0019107202819, -0.00040883876416, 0.00060775793536, 0.0001139783219,
    -6.612354762e-05, -9.893345543e-05, -5.34521877e-05, 0.00010586335588,
    1.72972015e-05, -7.267567236e-05, 2.645260683e-05, 2.286874237e-05,
    -3.283006737e-05, 1.060201359e-05, 1.421735152e-05, -1.72802656e-05,
    4.37527643e-06, 7.42738297e-06, -1.004580737e-05, 3.42881336e-06, 5.10285152e-06,
    -6.757326e-06, 1.69867277e-06, 3.42066573e-06, -4.26703335e-06, 1.18420622e-06,
    2.37128175e-06, -2.98242491e-06, 6.9474288e-07, 1.68513902e-06, -2.03604729e-06,
    4.9361831e-07, 1.21850207e-06, -1.48249686e-06, 3.1790474e-07, 9.0422391e-07,
    -1.06754713e-06, 0.0,
)


def orth_filters(w):
    """(Lo_D, Hi_D) of an orthogonal wavelet's scaling filter, as MATLAB's ``orthfilt``."""
    w = np.asarray(w, dtype=np.float64)
    total = 0.0
    for v in w:  # summed left to right, as Octave's sum
        total += v
    w = w / total
    lo_r = math.sqrt(2.0) * w
    hi_r = lo_r[::-1].copy()
    hi_r[1::2] = -hi_r[1::2]
    return lo_r[::-1].copy(), hi_r[::-1].copy()


def _sym_index(n: int, ext: int) -> np.ndarray:
    """Indices of a length-``n`` axis extended by ``ext`` on both sides, half-point symmetric."""
    i = np.arange(-ext, n + ext) % (2 * n)
    return np.where(i < n, i, 2 * n - 1 - i)


def _conv_valid(y, f):
    """MATLAB ``conv2(y, f(:)', 'valid')`` along the last axis, taps added in order f[0], f[1], ..."""
    L = f.shape[0]
    n = y.shape[-1] - L + 1
    out = np.zeros(y.shape[:-1] + (n,))
    for k in range(L):
        out += f[k] * y[..., L - 1 - k:L - 1 - k + n]
    return out


def dwt2(x, lo_d, hi_d):
    """(cA, cH, cV, cD) of MATLAB ``dwt2(x, Lo_D, Hi_D)`` in its default ``'sym'`` mode."""
    x = np.asarray(x, dtype=np.float64)
    L = lo_d.shape[0]
    ext = L - 1
    m, n = x.shape
    rows = x[:, _sym_index(n, ext)]
    out = []
    for f_row in (lo_d, hi_d):
        z = _conv_valid(rows, f_row)[:, 1:n + ext:2]  # keep columns 2:2:n+L-1 (1-based)
        zt = np.ascontiguousarray(z[_sym_index(m, ext)].T)
        for f_col in (lo_d, hi_d):
            out.append(_conv_valid(zt, f_col)[:, 1:m + ext:2].T)
    a, h, v, d = out  # (row filter, column filter): (lo, lo), (lo, hi), (hi, lo), (hi, hi)
    return a, h, v, d


def dwt2_dmey(x):
    """MATLAB ``dwt2(x, 'dmey')``."""
    return dwt2(x, *_DMEY_D)


_DMEY_D = orth_filters(DMEY)
