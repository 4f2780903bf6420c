"""One registration per metric: card, float64 reference kernel, fast backends and their budgets.

Every metric list of the package is derived from :data:`REGISTRY`: the cards (``CARDS``), the
metrics each profile's toolbox defines (``Profile.native``), the reference kernels
(``reference.KERNELS``), the metrics each fast backend implements and its agreement budget
(``fast``). A fast backend that is asked for a registered metric it does not implement falls back
to the reference kernel and says so with a :class:`ReferenceFallbackWarning`.

Adding a metric: one :class:`Metric` entry here (or in a module that calls :func:`register`),
its reference kernel, its tests; then, optionally, its fast kernels plus their names in ``fast``.

Agreement budgets (issue #16): a fast backend agrees with the float64 reference within a
per-metric relative budget at least 10x tighter than the tolerance of the reference to the
toolbox's real outputs: VIF 1e-7, the metrics the CDDFuse evaluator accumulates in float32
(SD, SF, AG, CC, SCD, Qabf, MSE, PSNR) 1e-7, EN and MI 1e-9, the rest 1e-9 (what they reach).
``torch-fp32`` is the opt-in float32 fast mode; its budgets are the measured float32 errors and
are outside that rule (see ``fusionbench.backends.torch_backend``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable

from fusionbench.errors import UnknownNameError
from fusionbench.metrics import reference as R
from fusionbench.metrics.cards import MetricCard
from fusionbench.metrics.reference import fmi as FMI
from fusionbench.metrics.reference import joint as J
from fusionbench.metrics.reference import mef_ssim as MS
from fusionbench.metrics.reference import msssim as MSS
from fusionbench.metrics.reference import phase as PH
from fusionbench.metrics.reference import similarity as S
from fusionbench.metrics.reference.vif import no_value_reason as _vif_no_value

FAST_BACKENDS = ("numba", "torch", "torch-fp32")
# options read by the input pipeline (fusionbench.metrics.pipeline.prepare) for every metric
PIPELINE_OPTIONS = ("color_mode", "fused_quantize", "gray")
INF = float("inf")


class ReferenceFallbackWarning(UserWarning):
    """A fast backend scores a metric with the float64 NumPy reference kernel (it has none)."""


@dataclass(frozen=True)
class Metric:
    """A registered metric.

    Attributes
    ----------
    card : MetricCard
        What the metric is (direction, range, reference, options, what it was checked against).
    reference : callable
        ``reference(F, A, B, opts) -> float`` on float64 planes (the ground truth).
    native : tuple of str
        Profiles whose toolbox defines the metric.
    fast : mapping
        Fast backend name (``numba``, ``torch``, ``torch-fp32``) -> relative agreement budget with
        the reference. A backend not named here falls back to ``reference`` (with a warning).
    """

    card: MetricCard
    reference: Callable
    native: tuple = ()
    fast: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def reads(self) -> tuple:
        """The profile options that can change this metric's values, sorted: the input pipeline's
        (:data:`PIPELINE_OPTIONS`) and the card's ``parameters``. Stored values are keyed by these
        only (:func:`metric_options`), so an option the metric does not read never forces a
        recomputation; ``tests/test_metric_options_read.py`` checks that the kernels read no other."""
        return tuple(sorted(set(PIPELINE_OPTIONS) | set(self.card.parameters)))


_REGISTRY: dict = {}


def register(card: MetricCard, reference: Callable, *, native=(), fast=None) -> Metric:
    """Register a metric (the only place a metric is listed)."""
    if card.name in _REGISTRY:
        raise ValueError(f"metric {card.name!r} registered twice")
    bad = set(fast or {}) - set(FAST_BACKENDS)
    if bad:
        raise ValueError(f"metric {card.name!r}: unknown fast backends {sorted(bad)}")
    entry = Metric(card, reference, tuple(native), MappingProxyType(dict(fast or {})))
    _REGISTRY[card.name] = entry
    return entry


def _budgets(f64: float, fp32: float | None) -> dict:
    out = {"numba": f64, "torch": f64}
    if fp32 is not None:
        out["torch-fp32"] = fp32
    return out


C, T22, T23, V, M = "cddfuse", "tang2022", "tang2023", "vifb", "mefb"
_EVAL = "CDDFuse evaluator outputs (oracles/cddfuse_simple.csv)"
_TANG = "Tang's MATLAB TNO-42 per-image values (data/tno42/published_metrics)"
_VIFB = "VIFB's published MATLAB per-image values (5 digits)"
_MEFB = "MEFB's MATLAB functions run in GNU Octave (oracles/mefb_octave_tno42.csv, tests/test_metrics_mefb.py)"

register(MetricCard("EN", "Shannon entropy of F", True, (0.0, 8.0), "bits",
                    "Roberts et al., J. Appl. Remote Sens. 2008", ("color_mode",), sources=0,
                    checked=f"{_EVAL}; {_TANG}; {_VIFB}; {_MEFB}"),
         R.en, native=(C, T22, T23, V, M), fast=_budgets(1e-9, 1e-6))
register(MetricCard("SD", "Standard deviation of F", True, (0.0, 127.5), "grey levels",
                    "Rao, Measurement 1997", ("sd_mode", "color_mode"), sources=0,
                    notes="tang2022 computes it on uint8 with saturation, bounded by sqrt(255)=15.97",
                    checked=f"{_EVAL}; {_TANG}; {_VIFB}; {_MEFB}"),
         R.sd, native=(C, T22, T23, V, M), fast=_budgets(1e-7, 1e-6))
register(MetricCard("SF", "Spatial frequency", True, (0.0, 255.0 * 2 ** 0.5), "grey levels / pixel",
                    "Eskicioglu & Fisher, IEEE TCOM 1995", ("sf_norm", "sf_scale"), sources=0,
                    notes="tang2022 on [0,1] data (~SF/255); vifb normalises by MN and treats RGB as M x 3N",
                    checked=f"{_EVAL}; {_TANG}; {_VIFB}; {_MEFB}"),
         R.sf, native=(C, T22, T23, V, M), fast=_budgets(1e-7, 1e-6))
register(MetricCard("AG", "Average gradient", True, (0.0, 255.0), "grey levels / pixel",
                    "Cui et al., Opt. Commun. 2015", ("ag_norm", "ag_half"), sources=0,
                    notes="1-row or 1-column images: M1N1 normalisation divides by 0 (inf/NaN, as MATLAB)",
                    checked=f"{_EVAL}; {_TANG}; {_VIFB}; {_MEFB}"),
         R.ag, native=(C, T22, T23, V, M), fast=_budgets(1e-7, 1e-6))
register(MetricCard("MI", "Mutual information, summed over both sources", True, (0.0, 16.0), "nats or bits",
                    "Qu et al., Electron. Lett. 2002", ("mi_base", "mi_joint_u8_saturation", "mi_minmax"),
                    checked=f"{_EVAL}; {_TANG}; {_VIFB}"),
         R.mi, native=(C, T22, T23, V), fast=_budgets(1e-9, 1e-9))
register(MetricCard("CC", "Correlation coefficient, mean over both sources", True, (-1.0, 1.0), "",
                    "Shah et al., 2008", (), notes="NaN when F or a source is constant (0/0), as every toolbox",
                    checked=f"{_EVAL}; {_TANG}"),
         R.cc, native=(C, T22, T23), fast=_budgets(1e-7, 1e-6))
register(MetricCard("SCD", "Sum of the correlations of differences", True, (-2.0, 2.0), "",
                    "Aslantas & Bendes, AEU 2015", (),
                    notes="NaN when F equals a source (0/0), as the CDDFuse evaluator and MATLAB",
                    checked=f"{_EVAL}; {_TANG}"),
         R.scd, native=(C, T22, T23), fast=_budgets(1e-7, 1e-5))
register(MetricCard("VIF", "Pixel-domain multiscale VIF, summed over both sources", True, (0.0, INF), "",
                    "Sheikh & Bovik, IEEE TIP 2006; Han et al. 2013 for its use in fusion",
                    ("vif_combine", "vif_u8_saturation", "vif_nan"),
                    notes="a flat reference gives 0/0: 1.0 under cddfuse (vif_nan='one'), NaN otherwise. Under 41 "
                          "px on a side some scale's window is larger than the image: cddfuse computes it as "
                          "scipy.signal.convolve2d(..., 'valid') does (inputs swapped), NaN where scipy raises "
                          "(a window fits one side only, e.g. 32x40: the evaluator stops there). Returning NaN "
                          "instead of raising there is deliberate, though issue #13 asked for an error: one small "
                          "image must not stop a run's other metrics and pairs; evaluate reports the reason per "
                          "pair (fusionbench.metrics.registry.nan_reason). The MATLAB "
                          "profiles drop that scale and the ones after it (filter2's empty map), NaN when none fits",
                    checked=f"{_EVAL}; {_TANG}"),
         R.vif, native=(C, T22, T23), fast=_budgets(1e-7, 1e-4))
register(MetricCard("Qabf", "Xydeas-Petrovic gradient-based fusion quality", True, (0.0, 1.0), "",
                    "Xydeas & Petrovic, Electron. Lett. 2000", ("qabf_scale", "qabf_conv_order", "qabf_equal_g"),
                    notes="NaN when both sources are flat (0/0)", checked=f"{_EVAL}; {_TANG}; {_VIFB}; {_MEFB}"),
         R.qabf, native=(C, T22, T23, V, M), fast=_budgets(1e-7, 1e-5))
register(MetricCard("SSIM", "Structural similarity, summed (or averaged) over both sources", True, (-2.0, 2.0),
                    "", "Wang et al., IEEE TIP 2004",
                    ("ssim_impl", "ssim_data_range", "ssim_combine", "ssim_float32"),
                    notes="NaN for images smaller than the window (7x7 skimage019, 11x11 otherwise)",
                    checked=f"{_EVAL}; {_VIFB}"),
         R.ssim, native=(C, T23, V), fast=_budgets(1e-9, 1e-4))
register(MetricCard("MSE", "Mean squared error, mean over both sources", False, (0.0, 65025.0), "grey levels^2",
                    "", ("mse_scale",), checked=f"{_EVAL}; {_TANG}"),
         R.mse, native=(C, T22, T23), fast=_budgets(1e-7, 1e-6))
register(MetricCard("PSNR", "Peak signal-to-noise ratio", True, (-INF, INF), "dB", "", ("psnr_mode", "mse_scale"),
                    notes="+inf when F equals both sources (MSE = 0)", checked=f"{_EVAL}; {_TANG}; {_VIFB}; {_MEFB}"),
         R.psnr, native=(C, T22, T23, V, M), fast=_budgets(1e-7, 1e-6))
register(MetricCard("RMSE", "VIFB root mean squared error (sqrt of the sum / MN)", False, (0.0, INF), "",
                    "Zhang et al., VIFB, CVPRW 2020", (), checked=_VIFB),
         R.rmse, native=(V,), fast=_budgets(1e-9, 1e-6))
register(MetricCard("CE", "Cross entropy, mean over both sources", False, (-INF, INF), "bits",
                    "Bulanon et al., Biosyst. Eng. 2009", (),
                    notes="summed only where both histograms are non-zero (VIFB), so it can be negative",
                    checked=f"{_VIFB}; {_MEFB}"),
         R.ce, native=(V, M), fast=_budgets(1e-9, 1e-9))
register(MetricCard("EI", "Edge intensity", True, (0.0, INF), "grey levels", "Rajalingam & Priya 2018", (),
                    sources=0, checked=f"{_VIFB}; {_MEFB}"),
         R.ei, native=(V, M), fast=_budgets(1e-9, 1e-6))
register(MetricCard("Qcb", "Chen-Blum perceptual fusion quality", True, (0.0, 1.0), "",
                    "Chen & Blum, Image Vis. Comput. 2009", ("qcb_normalize",), notes="qcb_normalize='im2double' (mefb): MEFB passes uint8 images, so normalize1 sees x/255 and "
                          "rounds its k + 1/2 ties by that order's residue (up to 2e-4 on TNO-42 PIAFusion results)",
                    checked=f"{_VIFB}; {_MEFB}: 54 rows within 1e-9"),
         R.qcb, native=(V, M), fast=_budgets(1e-9, 1e-4))
register(MetricCard("Qcv", "Chen-Varshney perceptual fusion quality", False, (0.0, INF), "",
                    "Chen & Varshney, Opt. Commun. 2007", (), checked=f"{_VIFB}; {_MEFB}"),
         R.qcv, native=(V, M), fast=_budgets(1e-9, 1e-5))
register(MetricCard("VIFF", "Han et al.'s visual information fidelity for fusion", True, (0.0, INF), "",
                    "Han et al., Information Fusion 2013", (),
                    notes="MEFB calls it VIF (metricsVIF.m, Han's code). NaN for images under 41 px on a side: a "
                          "scale's window no longer fits, MATLAB's filter2 gives an empty map and that scale 0/0",
                    checked=f"{_MEFB}: 54 rows (its VIF column)"),
         R.viff, native=(C, M), fast=_budgets(1e-9, 1e-9))
register(MetricCard("Nabf", "Fusion artefacts (Kumar / Petrovic)", False, (0.0, 1.0), "",
                    "Kumar, SIViP 2013; Petrovic & Xydeas 2005", ("nabf_variant",),
                    checked="specs/METRICS.md 4.18 (Tang's analysis_nabf.m read); properties only"),
         R.nabf, native=(C, T22, T23), fast=_budgets(1e-9, 1e-9))

# --- metrics of Zheng Liu's toolbox as MEFB runs them (issue #15) ------------------------------
# Numba (backends/_nb_piella.py) and torch (backends/_torch_piella.py) kernels for the SSIM-window
# (Qy, Qc, Qw, Qe) and joint-histogram (NMI, Q_TE, Q_NCIE) metrics; FMI has a Numba kernel only; MEF_SSIM,
# MS_SSIM (backends/_torch_mef.py) and Qp (backends/_nb_phase.py, _torch_phase.py) have both.
_NUMBA_ONLY = {"numba": 1e-9}
register(MetricCard("Qy", "Yang et al.'s SSIM-based fusion quality", True, (-INF, INF), "",
                    "Yang, Zhang, Wang, Liu, Information Fusion 9 (2) 2008", (),
                    notes="SSIM with a 7x7 Gaussian and C1 = C2 = 2e-16: a window flat in a source is 0/0-like, "
                          "and the toolbox's value there depends on float64 rounding (Octave gives 1.36 on TNO 03 "
                          "RFN-Nest); fusionbench sets the (co)variances of constant windows to exactly 0. "
                          "Nominally in [0, 1]; NaN for images under 11 pixels",
                    checked=f"{_MEFB}: 52 of 54 rows within 1e-9; the two others have flat source windows"),
         S.qy, native=(M,), fast=_budgets(1e-9, 1e-9))
register(MetricCard("Qc", "Cvejic et al.'s covariance-weighted SSIM fusion quality", True, (-INF, INF), "",
                    "Cvejic, Loza, Bull, Canagarajah, Int. J. Signal Process. 2 (3) 2005", (),
                    notes="weights cov(A,F)/(cov(A,F)+cov(B,F)) clipped to 0 / 1 as in the toolbox; on windows where "
                          "a source is flat that ratio is decided by float64 rounding in the toolbox (differences "
                          "up to 2e-2 on TNO-42); fusionbench uses exact zeros there. NaN under 11 pixels",
                    checked=f"{_MEFB}: rows without flat source windows within 1e-9, the rest within 2e-2"),
         S.qc, native=(M,), fast=_budgets(1e-9, 1e-9))
register(MetricCard("Qw", "Piella-Heijmans weighted fusion quality index", True, (-1.0, 1.0), "",
                    "Piella & Heijmans, Proc. ICIP 2003", ("qw_input",),
                    notes="qw_input='edges' (mefb): on Prewitt edge maps, what MEFB's metricsQw.m returns. "
                          "NaN under 11 pixels",
                    checked=f"{_MEFB}: 54 rows within 1e-9 (qw_input='edges'); 'image': Zheng Liu's metricPeilla.m "
                            "(sw = 2) run in Octave on 4 TNO crops within 1e-9 (tests/data/qw_octave.csv)"),
         S.qw, native=(M,), fast=_budgets(1e-9, 1e-9))
register(MetricCard("Qe", "Piella-Heijmans edge-dependent fusion quality index (alpha = 1)", True, (-1.0, 1.0), "",
                    "Piella & Heijmans, Proc. ICIP 2003", (),
                    notes="Q_W(A, B, F) * Q_W(A', B', F') on Prewitt edge maps; MEFB's code returns only the second "
                          "factor (its Qw)",
                    checked="the paper's formula: the product of the two Q_W forms, each checked against toolbox "
                            "output run in Octave (see Qw); properties (Q_E(A, A, A) = 1). Zheng Liu's sw = 3 "
                            "stops with an undefined variable, so no toolbox value of Q_E exists"),
         S.qe, native=(), fast=_budgets(1e-9, 1e-9))
register(MetricCard("NMI", "Hossny's normalised mutual information", True, (0.0, 2.0), "",
                    "Hossny, Nahavandi, Creighton, Electron. Lett. 44 (18) 2008", (),
                    notes="images stretched to 0..255 first (normalize1); NaN for a constant non-zero image",
                    checked=f"{_MEFB}: 2 rows within 1e-9"),
         J.nmi, native=(M,), fast=_budgets(1e-9, 1e-9))
register(MetricCard("Q_TE", "Tsallis-entropy fusion metric (q = 1.85)", True, (-INF, INF), "",
                    "Cvejic, Canagarajah, Bull, Electron. Lett. 42 (11) 2006", ("te_marginals",),
                    notes="te_marginals='mefb' reproduces MEFB's metricsTE.m, whose transposed marginals give values "
                          "in the thousands (12566 on TNO 01 DenseFuse); 'paper' follows the formula",
                    checked=f"{_MEFB}: 2 rows within 1e-9 (te_marginals='mefb'); 'paper' only differs in the index "
                            "order of the marginals"),
         J.te, native=(M,), fast=_budgets(1e-9, 1e-9))
register(MetricCard("Q_NCIE", "Nonlinear correlation information entropy", True, (0.0, 1.0), "",
                    "Wang, Shen, Jin, in Image Fusion (Stathaki ed.), Academic Press 2008", (),
                    notes="images stretched to 0..255 first (normalize1)",
                    checked=f"{_MEFB}: 2 rows within 1e-9"),
         J.ncie, native=(M,), fast=_budgets(1e-9, 1e-9))
register(MetricCard("MEF_SSIM", "MEF-SSIM of F against the sources as an exposure stack", True, (-1.0, 1.0), "",
                    "Ma, Zeng, Wang, IEEE TIP 24 (11) 2015", ("mef_ssim_scales",),
                    notes="mef_ssim_scales=3 (mefb): MEFB's metricsMEF_SSIM (mef_ms_ssim), Tang's MS_SSIM; 1 "
                          "(tang2022): Tang's 2022 'SSIM' output (mef_ssim.m), whose code is identical to MEFB's "
                          "mef_ssim.m. NaN under 44 (3 scales) or 11 pixels, and for 3 scales when a scale's value is "
                          "negative (MATLAB's product of powers turns complex there)",
                    checked=f"{_MEFB}: 1 row within 1e-9 (3 scales); Tang's mef_ssim.m and analysis_ms_ssim.m run "
                            "in Octave on 4 TNO crops, 1 and 3 scales, within 1e-9 (tests/data/mef_ssim_octave.csv)"),
         MS.mef_ssim, native=(T22, M), fast=_budgets(1e-9, 1e-9))
_FMI_QUIRKS = ("follows Tang's analysis_fmi.m (Haghighat's code) on [0,1] images, including its exact-zero "
               "tests (a flat window's pdf can be 1 ulp off its mean, giving correlation +-1) and its reuse of "
               "F's normalised window when testing B's window for equality (an all-white B window equals a "
               "flat F's). NaN under 3 pixels")
register(MetricCard("FMI_pixel", "Feature mutual information on pixels (3x3 windows)", True, (0.0, 1.0), "",
                    "Haghighat, Aghagolzadeh, Seyedarabi, Comput. Electr. Eng. 37 (5) 2011; Haghighat & Razian, "
                    "AICT 2014", (),
                    notes=f"{_FMI_QUIRKS}. Tang's 2022 'FMI_pixel' column calls analysis_fmi with its default "
                          "feature 'edge' (MATLAB edge(), Sobel): not this metric and not implemented",
                    checked="Tang's analysis_fmi.m (feature 'none') run in Octave on 4 TNO crops within 1e-9 "
                            "(tests/data/fmi_octave.csv); properties (FMI(A; A, A) = 1)"),
         FMI.fmi_pixel, native=(), fast=_NUMBA_ONLY)
register(MetricCard("FMI_dct", "Feature mutual information on DCT coefficients (3x3 windows)", True, (0.0, 1.0), "",
                    "Haghighat & Razian, Fast-FMI, IEEE AICT 2014", (),
                    notes=f"whole-image orthonormal DCT-II (MATLAB dct2), then windows; {_FMI_QUIRKS}",
                    checked="Tang's analysis_fmi.m (feature 'dct', as tang2022 calls it) run in Octave on 4 TNO "
                            "crops within 1e-9 (tests/data/fmi_octave.csv)"),
         FMI.fmi_dct, native=(T22,), fast=_NUMBA_ONLY)
register(MetricCard("FMI_w", "Feature mutual information on Discrete Meyer wavelet coefficients (3x3 windows)",
                    True, (0.0, 1.0), "", "Haghighat & Razian, Fast-FMI, IEEE AICT 2014", (),
                    notes="one level of MATLAB dwt2(x, 'dmey') (the toolbox's 102-tap Discrete Meyer filter, "
                          "'sym' extension), sub-bands tiled [cA, cH; cV, cD] and scaled to [0, 1] (Tang's "
                          f"rerange), then windows; {_FMI_QUIRKS}",
                    checked="Tang's analysis_fmi.m (feature 'wavelet', as tang2022 calls it) run in Octave with "
                            "MATLAB's own dwt2.m, wextend.m, wconv2.m, orthfilt.m, qmf.m and dmey.mat on 8 TNO "
                            "crops (40x48 and 120x136) within 1e-9 (tests/data/fmi_w_octave.csv)"),
         FMI.fmi_w, native=(T22,), fast=_NUMBA_ONLY)
register(MetricCard("MS_SSIM", "Multi-scale SSIM of F with each source, summed (or averaged)", True, (0.0, 2.0), "",
                    "Wang, Simoncelli, Bovik, Asilomar 2003", ("ssim_combine",),
                    notes="5 scales, 11x11 Gaussian (1.5) 'valid', L = 255, 2x2 mean between scales (symmetric "
                          "border); a negative scale term counts as 0 (pytorch_msssim's relu). NaN when a side is "
                          "under 176 pixels. No fusion toolbox defines it reproducibly (SMFNet's MS_SSIM never "
                          "fills its contrast terms), so no profile lists it",
                    checked="pytorch_msssim 1.0.0 (float64 tensors) on 8 TNO crops: within 1e-12 with its float32 "
                            "Gaussian window, 1e-4 with the float64 one (tests/data/ms_ssim_pytorch_msssim.json); "
                            "properties (identity 1 per source)"),
         MSS.ms_ssim, native=(), fast=_budgets(1e-9, 1e-9))
register(MetricCard("Qp", "Zhao et al.'s phase-congruency fusion quality", True, (-1.0, 1.0), "",
                    "Zhao, Laganiere, Liu, Int. J. Innov. Comput. Inf. Control 3 (6A) 2007; Kovesi, Videre 1999",
                    (), notes="phase congruency and its moments by Kovesi's phasecong3 (4 scales, 6 orientations); "
                              "NaN under 11 pixels and for constant images",
                    checked=f"{_MEFB}: 1 row within 1e-9 (7e-14); Octave runs on crops (tests/data/qp_octave.csv)"),
         PH.qp, native=(M,), fast=_budgets(1e-9, 1e-9))

REGISTRY = MappingProxyType(_REGISTRY)
CARDS = MappingProxyType({name: m.card for name, m in _REGISTRY.items()})
ALL_METRICS = tuple(_REGISTRY)
KERNELS = MappingProxyType({name: m.reference for name, m in _REGISTRY.items()})


def get_metric(name: str) -> Metric:
    if name not in REGISTRY:
        raise UnknownNameError("metric", name, REGISTRY)
    return REGISTRY[name]


def get_card(name: str) -> MetricCard:
    return get_metric(name).card


# metric -> (h, w, options) -> why the metric is NaN for every image of that size, or None
_SIZE_NAN_REASONS = {"VIF": _vif_no_value}


def nan_reason(name: str, shape, options) -> str | None:
    """Why metric ``name`` is NaN for every image of ``shape`` (rows, columns, ...) under ``options``
    where the toolbox itself raises, or None. The runner attaches it to such values and reports it."""
    fn = _SIZE_NAN_REASONS.get(name)
    return None if fn is None else fn(int(shape[0]), int(shape[1]), options)


def metric_options(name: str, options) -> dict:
    """The part of a resolved option set that metric ``name`` reads (:attr:`Metric.reads`)."""
    return {k: options[k] for k in get_metric(name).reads}


def fast_metrics(backend: str) -> tuple:
    """Metrics the fast ``backend`` implements (by registration)."""
    return tuple(n for n, m in _REGISTRY.items() if backend in m.fast)


def fallback_metrics(backend: str) -> tuple:
    """Registered metrics the fast ``backend`` scores with the reference kernel (with a warning)."""
    return tuple(n for n, m in _REGISTRY.items() if backend not in m.fast)


def native_metrics(profile: str) -> frozenset:
    return frozenset(n for n, m in _REGISTRY.items() if profile in m.native)
