"""Compatibility profiles: each is plain data fixing the input pipeline and every metric option.

A profile reproduces one reference toolbox (``specs/METRICS.md`` section 2). Kernels never test
the profile's name; they read the options. Any option may be overridden per call, and the
resolved profile is then called ``<profile>+overrides``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from fusionbench.errors import InputError, UnknownNameError
from fusionbench.metrics.registry import REGISTRY, native_metrics

# option -> allowed values (the first is only a documentation order, not a default)
OPTION_VALUES = {
    "gray": ("opencv", "matlab", "pil"),
    "color_mode": ("gray", "per_channel"),
    "fused_quantize": ("round_even", "round_away", "none"),
    "sd_mode": ("population", "tang_u8_saturate"),
    "sf_norm": ("mean", "MN"),
    "sf_scale": (255, 1),
    "ag_norm": ("MN", "M1N1"),
    "ag_half": (True, False),
    "mi_base": ("e", "2"),
    "mi_joint_u8_saturation": (True, False),
    "mi_minmax": (True, False),
    "vif_combine": ("sum", "mean"),
    "vif_u8_saturation": (True, False),
    "vif_nan": ("one", "nan"),
    "qabf_scale": (255, 1),
    "qabf_conv_order": ("any", "matlab_colmajor"),
    "qabf_equal_g": ("gF", "one"),
    "ssim_impl": ("skimage019", "wang2004_valid", "matlab_builtin"),
    "ssim_data_range": (2, 255, 1),
    "ssim_combine": ("sum", "mean"),
    "ssim_float32": (True, False),
    "psnr_mode": ("cddfuse", "tang", "vifb"),
    "mse_scale": (255, 1),
    "nabf_variant": ("smfnet", "tang_v1", "tang_v2_swapped"),
    "qw_input": ("image", "edges"),
    "te_marginals": ("paper", "mefb"),
    "mef_ssim_scales": (3, 1),
    "qcb_normalize": ("double", "im2double"),
}


@dataclass(frozen=True)
class Profile:
    """A named set of options; ``native`` lists the metrics its toolbox defines (from the metric
    registry), ``table`` the ones scored by default, in the toolbox's order."""

    name: str
    description: str
    reproduces: str
    options: MappingProxyType
    native: frozenset
    table: tuple
    overrides: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @property
    def label(self) -> str:
        return f"{self.name}+overrides" if self.overrides else self.name

    def with_overrides(self, **overrides) -> Profile:
        if not overrides:
            return self
        clean = {k: _check_option(k, v) for k, v in overrides.items()}
        changed = {k: v for k, v in clean.items() if self.options[k] != v}
        merged = dict(self.options) | clean
        return Profile(self.name, self.description, self.reproduces, MappingProxyType(merged),
                       self.native, self.table, MappingProxyType(dict(self.overrides) | changed))


def _check_option(key, value):
    if key not in OPTION_VALUES:
        raise UnknownNameError("metric option", key, OPTION_VALUES)
    allowed = OPTION_VALUES[key]
    # accept "255"/"true" from the command line
    for candidate in allowed:
        if value == candidate or str(value).lower() == str(candidate).lower():
            return candidate
    raise InputError(f"option {key}", f"value {value!r} not in {list(allowed)}")


# default tables (what `compute` scores when no metrics are named), in each toolbox's order; the
# metrics a profile's toolbox defines (Profile.native) come from the metric registry
_CORE = ("EN", "SD", "SF", "AG", "MI", "CC", "SCD", "VIF", "Qabf", "SSIM")
_VIFB = ("CE", "EN", "MI", "PSNR", "AG", "EI", "Qabf", "SD", "SF", "RMSE", "SSIM", "Qcb", "Qcv")

_CDDFUSE = dict(
    gray="opencv", color_mode="gray", fused_quantize="round_even", sd_mode="population",
    sf_norm="mean", sf_scale=255, ag_norm="MN", ag_half=True, mi_base="e",
    mi_joint_u8_saturation=False, mi_minmax=False, vif_combine="sum", vif_u8_saturation=False,
    vif_nan="one", qabf_scale=255, qabf_conv_order="any", qabf_equal_g="gF", ssim_impl="skimage019",
    ssim_data_range=2, ssim_combine="sum", ssim_float32=True, psnr_mode="cddfuse", mse_scale=255,
    nabf_variant="smfnet", qw_input="image", te_marginals="paper", mef_ssim_scales=3,
    qcb_normalize="double",
)
_TANG2023 = _CDDFUSE | dict(
    gray="matlab", fused_quantize="round_away", ag_norm="M1N1", mi_base="2",
    mi_joint_u8_saturation=True, vif_nan="nan", ssim_impl="matlab_builtin", ssim_data_range=1,
    ssim_combine="mean", ssim_float32=False, psnr_mode="tang", mse_scale=1,
    nabf_variant="tang_v2_swapped",
)
_TANG2022 = _TANG2023 | dict(
    sd_mode="tang_u8_saturate", sf_scale=1, vif_u8_saturation=True, qabf_scale=1,
    qabf_conv_order="matlab_colmajor", nabf_variant="tang_v1",
    mef_ssim_scales=1,  # Tang's "SSIM" column is single-scale mef_ssim (its "MS_SSIM" is 3 scales)
)
_VIFB_OPTS = _CDDFUSE | dict(
    gray="matlab", color_mode="per_channel", fused_quantize="round_away", sf_norm="MN",
    ag_norm="M1N1", mi_minmax=True, vif_nan="nan", ssim_impl="wang2004_valid",
    ssim_data_range=255, ssim_float32=False, psnr_mode="vifb",
)


# MEFB (Zhang, Information Fusion 2021) runs VIFB's metric code (Zheng Liu's toolbox) on sources and
# fused images that its driver has turned to gray with rgb2gray (uint8); its "Qw" is Piella's
# weighted index on Prewitt edge maps, its Tsallis metric pairs transposed marginals and its Qcb
# normalises im2double'd uint8 images (VIFB hands it doubles on 0..255)
_MEFB_OPTS = _VIFB_OPTS | dict(color_mode="gray", qw_input="edges", te_marginals="mefb", qcb_normalize="im2double")
_MEFB = ("CE", "EN", "NMI", "PSNR", "Q_NCIE", "Q_TE", "AG", "EI", "Qabf", "SD", "SF", "Qp", "Qc", "Qw",
         "Qy", "MEF_SSIM", "Qcb", "Qcv", "VIFF")


def _profile(name, description, reproduces, options, table):
    assert set(options) == set(OPTION_VALUES), set(options) ^ set(OPTION_VALUES)
    native = native_metrics(name)
    assert set(table) <= set(REGISTRY), f"profile {name}: unregistered table metrics {set(table) - set(REGISTRY)}"
    return Profile(name, description, reproduces, MappingProxyType(dict(options)), native, tuple(table))


PROFILES = MappingProxyType({
    "cddfuse": _profile(
        "cddfuse", "CDDFuse-family Python evaluator (utils/Evaluator.py, scikit-image 0.19.2)",
        "Zhaozixiang1228/MMIF-CDDFuse@fd8da1f; copied by ~30 IVIF repositories (SMFNet, SSPFusion, ...)",
        _CDDFUSE, _CORE),
    "tang2022": _profile(
        "tang2022", "Tang's MATLAB evaluation, 2022 version (uint8 / [0,1] quirks)",
        "Linfeng-Tang/Evaluation-for-Image-Fusion@5d6c43a; SeAFusion, PIAFusion, TC-MoA",
        _TANG2022, _CORE),
    "tang2023": _profile(
        "tang2023", "Tang's MATLAB evaluation after the 2023-03-03 fix (0..255 doubles)",
        "Linfeng-Tang/Evaluation-for-Image-Fusion@7849642",
        _TANG2023, _CORE),
    "vifb": _profile(
        "vifb", "VIFB benchmark (Zhang et al., CVPRW 2020): 13 metrics, per-channel RGB",
        "xingchenzhang/VIFB@22b2ea9 compute_metrics.m",
        _VIFB_OPTS, _VIFB),
    "mefb": _profile(
        "mefb", "MEFB benchmark's metric functions (Zhang, Information Fusion 2021) on gray images",
        "xingchenzhang/MEFB@9e185bf metrics/metrics<Name>.m (run in GNU Octave: oracles/mefb_octave_tno42.csv)",
        _MEFB_OPTS, _MEFB),
})

DEFAULT_PROFILE = "cddfuse"


def get_profile(profile="cddfuse", **overrides) -> Profile:
    """Resolve a profile name (or :class:`Profile`) and apply option overrides."""
    if isinstance(profile, Profile):
        base = profile
    else:
        if profile not in PROFILES:
            raise UnknownNameError("profile", profile, PROFILES)
        base = PROFILES[profile]
    return base.with_overrides(**overrides)
