"""Named metric tables: exactly the columns a toolbox prints, each mapped to a fusionbench metric
and the options that reproduce it.

A profile fixes one value per option, so it cannot hold two columns that are one metric under two
settings (Tang's "SSIM" and "MS_SSIM" are both MEF-SSIM, at 1 and 3 scales). A named table lists
the toolbox's columns in its print order; each column names its metric and its option overrides
on top of the table's profile, or says why fusionbench has no metric for it. Score one with
:func:`fusionbench.scoring.compute_table`; ``fusionbench metrics --table NAME`` shows its card.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from fusionbench.errors import UnknownNameError
from fusionbench.metrics.registry import REGISTRY


@dataclass(frozen=True)
class TableColumn:
    """One printed column: ``label`` (the toolbox's name), ``metric`` (None: not implemented, see
    ``missing``), ``overrides`` (options on top of the table's profile), ``checked`` (what the column
    was checked against)."""

    label: str
    metric: str | None
    overrides: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    checked: str = ""
    missing: str = ""


@dataclass(frozen=True)
class MetricTable:
    """A toolbox's printed metric set under one profile."""

    name: str
    profile: str
    description: str
    reproduces: str
    columns: tuple

    @property
    def labels(self) -> tuple:
        return tuple(c.label for c in self.columns)

    @property
    def implemented(self) -> tuple:
        return tuple(c for c in self.columns if c.metric is not None)

    @property
    def missing(self) -> tuple:
        return tuple(c for c in self.columns if c.metric is None)

    def groups(self, labels=None) -> list:
        """[(overrides dict, [column, ...]), ...]: implemented columns (those in ``labels`` if given)
        that share their overrides (one scoring call each), in order of first appearance."""
        out = {}
        for c in self.implemented:
            if labels is not None and c.label not in labels:
                continue
            key = tuple(sorted(c.overrides.items()))
            out.setdefault(key, []).append(c)
        return [(dict(k), cols) for k, cols in out.items()]


def _col(label, metric=None, checked="", missing="", **overrides):
    if metric is not None and metric not in REGISTRY:
        raise ValueError(f"named table column {label!r}: unregistered metric {metric!r}")
    return TableColumn(label, metric, MappingProxyType(overrides), checked, missing)


_TANG_MATLAB = "Tang's MATLAB per-image values, TNO-42 (data/tno42/published_metrics; tests/test_named_tables.py)"
_TANG_OCTAVE = "Tang's {} run in GNU Octave on TNO crops (tests/data/{}; tests/test_named_tables.py)"

# Tang's Evaluation_for_Single_Image.m prints easy = 1 (EN .. Qabf) and easy = 0 (Nabf .. FMI_w), in
# this order; analysis_Reference.m of the 2022 commit defines each column
_TANG2022_FULL = (
    _col("EN", "EN", _TANG_MATLAB), _col("MI", "MI", _TANG_MATLAB), _col("SD", "SD", _TANG_MATLAB),
    _col("SF", "SF", _TANG_MATLAB), _col("MSE", "MSE", _TANG_MATLAB), _col("PSNR", "PSNR", _TANG_MATLAB),
    _col("VIF", "VIF", _TANG_MATLAB), _col("AG", "AG", _TANG_MATLAB), _col("SCD", "SCD", _TANG_MATLAB),
    _col("CC", "CC", _TANG_MATLAB), _col("Qabf", "Qabf", _TANG_MATLAB),
    _col("Nabf", "Nabf", "analysis_nabf.m read (specs/METRICS.md 4.18); no toolbox output compared"),
    _col("SSIM", "MEF_SSIM", _TANG_OCTAVE.format("mef_ssim.m", "mef_ssim_octave.csv"), mef_ssim_scales=1),
    _col("MS_SSIM", "MEF_SSIM", _TANG_OCTAVE.format("analysis_ms_ssim.m", "mef_ssim_octave.csv"),
         mef_ssim_scales=3),
    _col("FMI_pixel", missing="analysis_fmi's default feature 'edge' (MATLAB edge(): Sobel with an automatic "
                              "threshold and thinning) has no port; fusionbench's FMI_pixel is feature 'none'"),
    _col("FMI_dct", "FMI_dct", _TANG_OCTAVE.format("analysis_fmi.m (feature 'dct')", "fmi_octave.csv")),
    _col("FMI_w", "FMI_w", _TANG_OCTAVE.format("analysis_fmi.m (feature 'wavelet') with MATLAB's dwt2.m and "
                                                "dmey.mat", "fmi_w_octave.csv")),
)

METRIC_TABLES = MappingProxyType({
    "tang2022-full": MetricTable(
        "tang2022-full", "tang2022",
        "every metric Tang's 2022 MATLAB evaluation prints (easy = 1 and easy = 0), in its order",
        "Linfeng-Tang/Evaluation-for-Image-Fusion@5d6c43a Evaluation/analysis_Reference.m, "
        "Evaluation_for_Single_Image.m",
        _TANG2022_FULL),
})


def get_metric_table(name) -> MetricTable:
    if isinstance(name, MetricTable):
        return name
    if name not in METRIC_TABLES:
        raise UnknownNameError("metric table", name, METRIC_TABLES)
    return METRIC_TABLES[name]


def tables_of_profile(profile: str) -> tuple:
    """Named tables scored under ``profile``."""
    return tuple(t for t in METRIC_TABLES.values() if t.profile == profile)
