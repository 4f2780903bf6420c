"""Batched torch kernel of Zhao et al.'s Q_P on (N, H, W) tensors: ``KERNELS["Qp"](t)`` -> (N,)
float64 tensor.

Kovesi's phase congruency as :mod:`fusionbench.metrics.reference.phase` computes it, with
``torch.fft`` (cuFFT on a GPU) and the reference's filter bank (built once per image size, on the
tensor's device); the noise threshold takes each image's own median, as ``np.median`` does (the mean
of the two middle values for an even count). The local correlations use 'same' Gaussian windows
with zero padding. Values agree with the reference to ~1e-15 relative (FFT and summation order);
always float64, also in the float32 fast mode (the feature masks ``PC > 0.1`` are exact tests).
Each source's (PC, M, m) is kept in the source cache.

References: J. Zhao, R. Laganiere, Z. Liu, Int. J. Innov. Comput. Inf. Control 3 (6A) 2007;
P. Kovesi, Videre 1 (3) 1999.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as Fn

from fusionbench.backends import _torch_kernels as K
from fusionbench.metrics.reference import phase as R

_BANKS = {}  # (rows, cols, device) -> filter bank tensors; the last size only, as the reference


def _bank(rows, cols, device):
    key = (rows, cols, str(device))
    if key not in _BANKS:
        _BANKS.clear()
        log_gabor, orients = R._filter_bank(rows, cols)

        def dev(a):
            return torch.as_tensor(a, dtype=torch.float64, device=device)
        _BANKS[key] = ([dev(lg) for lg in log_gabor],
                       [(angl, dev(spread), em_n, sum_an2, sum_aiaj)
                        for angl, spread, em_n, sum_an2, sum_aiaj in orients])
    return _BANKS[key]


def _median(x):
    """np.median of each image's values: the mean of the two middle ones for an even count."""
    v = x.reshape(x.shape[0], -1)
    n = v.shape[1]
    hi = torch.kthvalue(v, n // 2 + 1, dim=1).values
    if n % 2:
        return hi
    return (torch.kthvalue(v, n // 2, dim=1).values + hi) / 2


def phase_congruency(x):
    """(PC, M, m) of each image of x (N, H, W), float64."""
    N, rows, cols = x.shape
    log_gabor, orients = _bank(rows, cols, x.device)
    imagefft = torch.fft.fft2(x)
    total_energy, total_sum_an = torch.zeros_like(x), torch.zeros_like(x)
    covx2, covy2, covxy = torch.zeros_like(x), torch.zeros_like(x), torch.zeros_like(x)
    for angl, spread, em_n, sum_an2, sum_aiaj in orients:
        sum_e, sum_o, sum_an = torch.zeros_like(x), torch.zeros_like(x), torch.zeros_like(x)
        eo, max_an = [], None
        for s in range(R.NSCALE):
            r = torch.fft.ifft2(imagefft * (log_gabor[s] * spread))
            eo.append(r)
            an = torch.abs(r)
            sum_an = sum_an + an
            sum_e = sum_e + r.real
            sum_o = sum_o + r.imag
            max_an = an if max_an is None else torch.maximum(max_an, an)
        x_energy = K.exact_sqrt(sum_e * sum_e + sum_o * sum_o) + R.EPS
        mean_e, mean_o = sum_e / x_energy, sum_o / x_energy
        energy = torch.zeros_like(x)
        for r in eo:
            e, od = r.real, r.imag
            energy = energy + (e * mean_e + od * mean_o - torch.abs(e * mean_o - od * mean_e))
        an0 = torch.abs(eo[0])
        mean_e2n = -_median(an0 * an0) / math.log(0.5)
        noise_power = mean_e2n / em_n
        tau = torch.sqrt((2 * noise_power * sum_an2 + 4 * noise_power * sum_aiaj) / 2)
        threshold = (tau * math.sqrt(math.pi / 2) + R.K_NOISE * torch.sqrt((2 - math.pi / 2) * tau * tau)) / 1.7
        energy = torch.clamp_min(energy - threshold.view(-1, 1, 1), 0.0)
        width = sum_an / (max_an + R.EPS) / R.NSCALE
        weight = 1.0 / (1.0 + torch.exp((R.CUT_OFF - width) * R.G_SHARP))
        total_sum_an = total_sum_an + sum_an
        total_energy = total_energy + weight * energy
        pc_o = weight * energy / sum_an
        covx, covy = pc_o * math.cos(angl), pc_o * math.sin(angl)
        covx2 = covx2 + covx * covx
        covy2 = covy2 + covy * covy
        covxy = covxy + covx * covy
    pc = total_energy / (total_sum_an + R.EPS)
    covx2, covy2, covxy = covx2 / (R.NORIENT / 2), covy2 / (R.NORIENT / 2), covxy / R.NORIENT
    denom = K.exact_sqrt(covxy * covxy + (covx2 - covy2) * (covx2 - covy2)) + R.EPS
    return pc, (covy2 + covx2 + denom) / 2, (covy2 + covx2 - denom) / 2


def _same(x, g):
    """filter2(outer(g, g), x, 'same') with zero padding."""
    h = g.numel() // 2
    return K.filter_valid(Fn.pad(x[:, None], (h, h, h, h))[:, 0], g)


def _corr(x1, x2, xmax, xf, m1, m2, m3):
    g = K.gaussian_1d(11, 1.5, torch.float64, xf.device)
    c = 1e-4
    x1, x2, xmax = x1 * m1, x2 * m2, xmax * m3
    mu = {k: _same(v, g) for k, v in (("1", x1), ("2", x2), ("x", xmax), ("f", xf))}
    vf = _same(xf * xf, g) - mu["f"] * mu["f"]
    out = []
    for key, x, m in (("1", x1, m1), ("2", x2, m2), ("x", xmax, m3)):
        v = _same(x * x, g) - mu[key] * mu[key]
        cov = _same(x * xf, g) - mu[key] * mu["f"]
        r = (cov + c) / (K.exact_sqrt(torch.abs(v * vf)) + c)
        out.append(torch.where(m, r, torch.zeros_like(r)))
    best = torch.fmax(torch.fmax(out[0], out[1]), out[2])
    return K.bsum(best) / K.bsum(m3.to(best.dtype))


def qp(t):
    if min(t.F.shape[1:]) < 11:
        return torch.full((t.F.shape[0],), float("nan"), dtype=torch.float64, device=t.F.device)
    (pa, Ma, ma), (pb, Mb, mb), (pf, Mf, mf) = t.both_exact("qp_pc", phase_congruency)
    pick = pa > pb
    p_max, M_max, m_max = (torch.where(pick, a, b) for a, b in ((pa, pb), (Ma, Mb), (ma, mb)))
    m1, m2, m3 = pa > 0.1, pb > 0.1, p_max > 0.1
    return (_corr(pa, pb, p_max, pf, m1, m2, m3) * _corr(Ma, Mb, M_max, Mf, m1, m2, m3)
            * _corr(ma, mb, m_max, mf, m1, m2, m3))


KERNELS = {"Qp": qp}
