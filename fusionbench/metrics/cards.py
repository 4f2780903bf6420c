"""Metric cards: what each metric is, kept apart from the kernels (cf. pyiqa's registry)."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from fusionbench.errors import UnknownNameError


@dataclass(frozen=True)
class MetricCard:
    name: str
    long_name: str
    higher_is_better: bool
    range: tuple  # (low, high) that every value lies in (NaN excepted, see notes)
    unit: str
    reference: str
    parameters: tuple  # profile options that change this metric
    sources: int = 2  # how many source images the metric uses (0 = fused image only)
    notes: str = ""

    @property
    def arrow(self) -> str:
        return "↑" if self.higher_is_better else "↓"


def _c(*args, **kw):
    return MetricCard(*args, **kw)


INF = float("inf")

CARDS = MappingProxyType({c.name: c for c in [
    _c("EN", "Shannon entropy of F", True, (0.0, 8.0), "bits",
       "Roberts et al., J. Appl. Remote Sens. 2008", ("color_mode",), sources=0),
    _c("SD", "Standard deviation of F", True, (0.0, 127.5), "grey levels",
       "Rao, Measurement 1997", ("sd_mode", "color_mode"), sources=0,
       notes="tang2022 computes it on uint8 with saturation, bounded by sqrt(255)=15.97"),
    _c("SF", "Spatial frequency", True, (0.0, 255.0 * 2 ** 0.5), "grey levels / pixel",
       "Eskicioglu & Fisher, IEEE TCOM 1995", ("sf_norm", "sf_scale"), sources=0,
       notes="tang2022 on [0,1] data (~SF/255); vifb normalises by MN and treats RGB as M x 3N"),
    _c("AG", "Average gradient", True, (0.0, 255.0), "grey levels / pixel",
       "Cui et al., Opt. Commun. 2015", ("ag_norm", "ag_half"), sources=0,
       notes="1-row or 1-column images: M1N1 normalisation divides by 0 (inf/NaN, as MATLAB)"),
    _c("MI", "Mutual information, summed over both sources", True, (0.0, 16.0), "nats or bits",
       "Qu et al., Electron. Lett. 2002", ("mi_base", "mi_joint_u8_saturation", "mi_minmax")),
    _c("CC", "Correlation coefficient, mean over both sources", True, (-1.0, 1.0), "",
       "Shah et al., 2008", (), notes="NaN when F or a source is constant (0/0), as every toolbox"),
    _c("SCD", "Sum of the correlations of differences", True, (-2.0, 2.0), "",
       "Aslantas & Bendes, AEU 2015", (),
       notes="NaN when F equals a source (0/0), as the CDDFuse evaluator and MATLAB"),
    _c("VIF", "Pixel-domain multiscale VIF, summed over both sources", True, (0.0, INF), "",
       "Sheikh & Bovik, IEEE TIP 2006; Han et al. 2013 for its use in fusion",
       ("vif_combine", "vif_u8_saturation", "vif_nan"),
       notes="a flat reference gives 0/0: 1.0 under cddfuse (vif_nan='one'), NaN otherwise"),
    _c("Qabf", "Xydeas-Petrovic gradient-based fusion quality", True, (0.0, 1.0), "",
       "Xydeas & Petrovic, Electron. Lett. 2000",
       ("qabf_scale", "qabf_conv_order", "qabf_equal_g"),
       notes="NaN when both sources are flat (0/0)"),
    _c("SSIM", "Structural similarity, summed (or averaged) over both sources", True, (-2.0, 2.0), "",
       "Wang et al., IEEE TIP 2004", ("ssim_impl", "ssim_data_range", "ssim_combine", "ssim_float32"),
       notes="NaN for images smaller than the window (7x7 skimage019, 11x11 otherwise)"),
    _c("MSE", "Mean squared error, mean over both sources", False, (0.0, 65025.0), "grey levels^2",
       "", ("mse_scale",)),
    _c("PSNR", "Peak signal-to-noise ratio", True, (-INF, INF), "dB", "", ("psnr_mode", "mse_scale"),
       notes="+inf when F equals both sources (MSE = 0)"),
    _c("RMSE", "VIFB root mean squared error (sqrt of the sum / MN)", False, (0.0, INF), "",
       "Zhang et al., VIFB, CVPRW 2020", ()),
    _c("CE", "Cross entropy, mean over both sources", False, (-INF, INF), "bits",
       "Bulanon et al., Biosyst. Eng. 2009", (),
       notes="summed only where both histograms are non-zero (VIFB), so it can be negative"),
    _c("EI", "Edge intensity", True, (0.0, INF), "grey levels", "Rajalingam & Priya 2018", (),
       sources=0),
    _c("Qcb", "Chen-Blum perceptual fusion quality", True, (0.0, 1.0), "",
       "Chen & Blum, Image Vis. Comput. 2009", ()),
    _c("Qcv", "Chen-Varshney perceptual fusion quality", False, (0.0, INF), "",
       "Chen & Varshney, Opt. Commun. 2007", ()),
    _c("VIFF", "Han et al.'s visual information fidelity for fusion", True, (0.0, INF), "",
       "Han et al., Information Fusion 2013", ()),
    _c("Nabf", "Fusion artefacts (Kumar / Petrovic)", False, (0.0, 1.0), "",
       "Kumar, SIViP 2013; Petrovic & Xydeas 2005", ("nabf_variant",)),
]})

DEFAULT_METRICS = ("EN", "SD", "SF", "AG", "MI", "CC", "SCD", "VIF", "Qabf", "SSIM")
VIFB_METRICS = ("CE", "EN", "MI", "PSNR", "AG", "EI", "Qabf", "SD", "SF", "RMSE", "SSIM", "Qcb", "Qcv")
ALL_METRICS = tuple(CARDS)


def get_card(name: str) -> MetricCard:
    if name not in CARDS:
        raise UnknownNameError("metric", name, CARDS)
    return CARDS[name]
