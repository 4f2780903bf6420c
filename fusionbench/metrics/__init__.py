"""Metrics core: the registry (one entry per metric: card, reference kernel, fast-backend budgets),
profiles (which toolbox), reference kernels (how). ``fusionbench.compute`` lives one layer up
(:mod:`fusionbench.scoring`), above the backends."""

from fusionbench.metrics.cards import MetricCard
from fusionbench.metrics.compute import resolve_metrics, score_planes
from fusionbench.metrics.pipeline import InputRangeWarning, prepare
from fusionbench.metrics.profiles import OPTION_VALUES, PROFILES, Profile, get_profile
from fusionbench.metrics.registry import (
    ALL_METRICS,
    CARDS,
    REGISTRY,
    Metric,
    ReferenceFallbackWarning,
    get_card,
    get_metric,
    register,
)
from fusionbench.metrics.result import METRIC_VERSION, MetricResult

DEFAULT_METRICS = PROFILES["cddfuse"].table
VIFB_METRICS = PROFILES["vifb"].table

__all__ = [
    "ALL_METRICS",
    "CARDS",
    "DEFAULT_METRICS",
    "InputRangeWarning",
    "METRIC_VERSION",
    "OPTION_VALUES",
    "PROFILES",
    "VIFB_METRICS",
    "Metric",
    "MetricCard",
    "MetricResult",
    "Profile",
    "REGISTRY",
    "ReferenceFallbackWarning",
    "get_card",
    "get_metric",
    "get_profile",
    "prepare",
    "register",
    "resolve_metrics",
    "score_planes",
]
