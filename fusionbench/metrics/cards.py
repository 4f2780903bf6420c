"""Metric cards: what each metric is. The cards themselves are registered with their kernels in
:mod:`fusionbench.metrics.registry` (one registration per metric)."""

from __future__ import annotations

from dataclasses import dataclass


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
    checked: str = ""  # what the reference kernel was checked against (toolbox outputs, paper, properties)

    @property
    def arrow(self) -> str:
        return "↑" if self.higher_is_better else "↓"


_MOVED = ("CARDS", "ALL_METRICS", "get_card")


def __getattr__(name):
    # the cards are registered in fusionbench.metrics.registry; these names stay importable from here
    if name in _MOVED:
        from fusionbench.metrics import registry
        return getattr(registry, name)
    if name in ("DEFAULT_METRICS", "VIFB_METRICS"):  # now the cddfuse / vifb profiles' tables
        import fusionbench.metrics as metrics
        return getattr(metrics, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
