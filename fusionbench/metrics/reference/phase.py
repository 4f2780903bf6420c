"""Zhao et al.'s phase-congruency metric Q_P, with Kovesi's phase congruency (``phasecong3``).

As MEFB's ``metricsQp.m`` (Zheng Liu's ``metricZhao.m`` with its ``myphasecong3``): phase
congruency PC and its maximum and minimum moments M, m of each image (log-Gabor filters, 4 scales,
6 orientations, noise threshold from the median response); then, for each of PC, M, m, local
correlation coefficients of F with A, B and their elementwise maximum (by PC), on the pixels where
that source's PC exceeds 0.1, the best of the three taken per pixel and averaged over the maximum's
feature pixels; Q_P is the product of the three averages.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import ndimage

from fusionbench.metrics.reference.filters import gaussian_1d

NSCALE, NORIENT, MIN_WAVELENGTH, MULT, SIGMA_ONF = 4, 6, 3.0, 2.1, 0.55
D_THETA_ON_SIGMA, K_NOISE, CUT_OFF, G_SHARP, EPS = 1.2, 2.0, 0.5, 10.0, 1e-4


def _axis(n):
    if n % 2:
        return np.arange(-(n - 1) / 2, (n - 1) / 2 + 1) / (n - 1)
    return np.arange(-n / 2, n / 2) / n


def _lowpass(rows, cols, cutoff=0.45, order=15):
    x = (np.arange(1, cols + 1)[None, :] - (cols // 2 + 1)) / cols
    y = (np.arange(1, rows + 1)[:, None] - (rows // 2 + 1)) / rows
    r = np.sqrt(x * x + y * y)
    return np.fft.fftshift(1.0 / (1.0 + (r / cutoff) ** (2 * order)))


@functools.lru_cache(maxsize=1)
def _filter_bank(rows, cols):
    """What phasecong3 derives from the image size alone: the log-Gabor radial filters (one per
    scale), the angular spread of each orientation and, per orientation, the noise model's
    constants (the first scale's filter energy and the spatial filters' energy sums). Cached for
    the last size: a dataset's images mostly share one, and these cost 24 inverse FFTs."""
    x, y = np.meshgrid(_axis(cols), _axis(rows))
    radius = np.sqrt(x * x + y * y)
    radius[rows // 2, cols // 2] = 1.0
    theta = np.arctan2(-y, x)
    radius, theta = np.fft.ifftshift(radius), np.fft.ifftshift(theta)
    sin_t, cos_t = np.sin(theta), np.cos(theta)
    lp = _lowpass(rows, cols)
    log_gabor = []
    for s in range(NSCALE):
        fo = 1.0 / (MIN_WAVELENGTH * MULT ** s)
        lg = np.exp(-(np.log(radius / fo)) ** 2 / (2 * np.log(SIGMA_ONF) ** 2)) * lp
        lg[0, 0] = 0.0
        lg.flags.writeable = False
        log_gabor.append(lg)
    theta_sigma = np.pi / NORIENT / D_THETA_ON_SIGMA
    orients = []
    for o in range(NORIENT):
        angl = o * np.pi / NORIENT
        ds = sin_t * np.cos(angl) - cos_t * np.sin(angl)
        dc = cos_t * np.cos(angl) + sin_t * np.sin(angl)
        spread = np.exp(-np.abs(np.arctan2(ds, dc)) ** 2 / (2 * theta_sigma ** 2))
        spread.flags.writeable = False
        filts = [lg * spread for lg in log_gabor]
        spatial = [np.real(np.fft.ifft2(f)) * np.sqrt(rows * cols) for f in filts]
        em_n = np.sum(filts[0] ** 2)
        sum_an2 = sum(np.sum(f ** 2) for f in spatial)
        sum_aiaj = sum(np.sum(spatial[i] * spatial[j]) for i in range(NSCALE - 1) for j in range(i + 1, NSCALE))
        orients.append((angl, spread, em_n, sum_an2, sum_aiaj))
    return tuple(log_gabor), tuple(orients)


def phase_congruency(im):
    """(PC, M, m): phase congruency and its maximum / minimum moments (Kovesi's phasecong3 defaults)."""
    rows, cols = im.shape
    imagefft = np.fft.fft2(im)
    log_gabor, orients = _filter_bank(rows, cols)
    total_energy = np.zeros((rows, cols))
    total_sum_an = np.zeros((rows, cols))
    covx2, covy2, covxy = (np.zeros((rows, cols)) for _ in range(3))
    for angl, spread, em_n, sum_an2, sum_aiaj in orients:
        sum_e, sum_o, sum_an = (np.zeros((rows, cols)) for _ in range(3))
        eo = []
        for s in range(NSCALE):
            r = np.fft.ifft2(imagefft * (log_gabor[s] * spread))
            eo.append(r)
            an = np.abs(r)
            sum_an += an
            sum_e += r.real
            sum_o += r.imag
            if s == 0:
                max_an = an
            else:
                max_an = np.maximum(max_an, an)
        x_energy = np.sqrt(sum_e ** 2 + sum_o ** 2) + EPS
        mean_e, mean_o = sum_e / x_energy, sum_o / x_energy
        energy = np.zeros((rows, cols))
        for r in eo:
            e, od = r.real, r.imag
            energy += e * mean_e + od * mean_o - np.abs(e * mean_o - od * mean_e)
        mean_e2n = -np.median(np.abs(eo[0]) ** 2) / np.log(0.5)
        noise_power = mean_e2n / em_n
        tau = np.sqrt((2 * noise_power * sum_an2 + 4 * noise_power * sum_aiaj) / 2)
        threshold = (tau * np.sqrt(np.pi / 2) + K_NOISE * np.sqrt((2 - np.pi / 2) * tau ** 2)) / 1.7
        energy = np.maximum(energy - threshold, 0.0)
        width = sum_an / (max_an + EPS) / NSCALE
        weight = 1.0 / (1.0 + np.exp((CUT_OFF - width) * G_SHARP))
        total_sum_an += sum_an
        total_energy += weight * energy
        with np.errstate(invalid="ignore", divide="ignore"):
            pc_o = weight * energy / sum_an
        covx, covy = pc_o * np.cos(angl), pc_o * np.sin(angl)
        covx2 += covx ** 2
        covy2 += covy ** 2
        covxy += covx * covy
    pc = total_energy / (total_sum_an + EPS)
    covx2, covy2, covxy = covx2 / (NORIENT / 2), covy2 / (NORIENT / 2), covxy / NORIENT
    denom = np.sqrt(covxy ** 2 + (covx2 - covy2) ** 2) + EPS
    return pc, (covy2 + covx2 + denom) / 2, (covy2 + covx2 - denom) / 2


def _same(x, g):
    """filter2(outer(g, g), x, 'same') with zero padding."""
    return ndimage.correlate1d(ndimage.correlate1d(x, g, axis=0, mode="constant"), g, axis=1, mode="constant")


def _corr(x1, x2, xmax, xf, m1, m2, m3):
    g = gaussian_1d(11, 1.5)
    c = 1e-4
    x1, x2, xmax = x1 * m1, x2 * m2, xmax * m3
    mu = {k: _same(v, g) for k, v in (("1", x1), ("2", x2), ("x", xmax), ("f", xf))}
    vf = _same(xf * xf, g) - mu["f"] ** 2
    out = []
    for key, x, m in (("1", x1, m1), ("2", x2, m2), ("x", xmax, m3)):
        v = _same(x * x, g) - mu[key] ** 2
        cov = _same(x * xf, g) - mu[key] * mu["f"]
        r = np.zeros_like(xf)
        r[m] = (cov[m] + c) / (np.sqrt(np.abs(v[m] * vf[m])) + c)
        out.append(r)
    best = np.fmax(np.fmax(out[0], out[1]), out[2])
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.sum(best) / np.sum(m3))


def qp(F, A, B, opts) -> float:
    """Zhao, Laganiere and Liu's phase-congruency fusion metric Q_P (MEFB ``metricsQp.m``).

    NaN for images under 11 pixels a side, and for constant images (0/0 in the phase congruency).

    References
    ----------
    J. Zhao, R. Laganiere, Z. Liu, "Performance assessment of combinative pixel-level image fusion
    based on an absolute feature measurement", Int. J. Innov. Comput. Inf. Control 3 (6A), 2007.
    P. Kovesi, "Image features from phase congruency", Videre 1 (3), 1999.
    """
    if min(F.shape) < 11:
        return float("nan")
    return qp_from_maps(*(phase_congruency(np.asarray(x, dtype=np.float64)) for x in (A, B, F)))


def qp_from_maps(a, b, f):
    """Q_P from the (PC, M, m) triples of A, B and F (:func:`phase_congruency`)."""
    (pa, Ma, ma), (pb, Mb, mb), (pf, Mf, mf) = a, b, f
    pick = pa > pb
    p_max, M_max, m_max = (np.where(pick, a, b) for a, b in ((pa, pb), (Ma, Mb), (ma, mb)))
    m1, m2, m3 = pa > 0.1, pb > 0.1, p_max > 0.1
    return (_corr(pa, pb, p_max, pf, m1, m2, m3) * _corr(Ma, Mb, M_max, Mf, m1, m2, m3)
            * _corr(ma, mb, m_max, mf, m1, m2, m3))
