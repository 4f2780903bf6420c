"""Metrics core: cards (what a metric is), profiles (which toolbox), reference kernels (how)."""

from fusionbench.metrics.cards import ALL_METRICS, CARDS, DEFAULT_METRICS, VIFB_METRICS, MetricCard, get_card
from fusionbench.metrics.compute import compute, resolve_metrics, score_planes
from fusionbench.metrics.pipeline import InputRangeWarning, prepare
from fusionbench.metrics.profiles import OPTION_VALUES, PROFILES, Profile, get_profile
from fusionbench.metrics.result import METRIC_VERSION, MetricResult

__all__ = [
    "ALL_METRICS",
    "CARDS",
    "DEFAULT_METRICS",
    "InputRangeWarning",
    "METRIC_VERSION",
    "OPTION_VALUES",
    "PROFILES",
    "VIFB_METRICS",
    "MetricCard",
    "MetricResult",
    "Profile",
    "compute",
    "get_card",
    "get_profile",
    "prepare",
    "resolve_metrics",
    "score_planes",
]
