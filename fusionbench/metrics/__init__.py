"""Metrics core: cards (what a metric is), profiles (which toolbox), reference kernels (how)."""

from fusionbench.metrics.cards import ALL_METRICS, CARDS, DEFAULT_METRICS, VIFB_METRICS, MetricCard, get_card
from fusionbench.metrics.compute import compute, resolve_metrics, score_planes
from fusionbench.metrics.pipeline import prepare
from fusionbench.metrics.profiles import OPTION_VALUES, PROFILES, Profile, get_profile
from fusionbench.metrics.result import METRIC_VERSION, MetricResult

__all__ = [
    "compute", "prepare", "score_planes", "resolve_metrics", "get_profile", "get_card",
    "CARDS", "PROFILES", "OPTION_VALUES", "DEFAULT_METRICS", "VIFB_METRICS", "ALL_METRICS",
    "MetricCard", "MetricResult", "Profile", "METRIC_VERSION",
]
