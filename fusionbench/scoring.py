"""``compute``: the one entry point that scores a fused image against its two sources.

It sits above :mod:`fusionbench.metrics` (cards, profiles, reference kernels, input pipeline) and
:mod:`fusionbench.backends` (which runs them), so neither of those imports the other upward.
"""

from __future__ import annotations

from fusionbench.backends import get_backend
from fusionbench.errors import InputError, UnknownNameError
from fusionbench.metrics.compute import resolve_metrics, score_planes
from fusionbench.metrics.pipeline import prepare
from fusionbench.metrics.profiles import get_profile
from fusionbench.metrics.result import MetricResult


def compute(fused, ir, vi, metrics=None, profile="cddfuse", *, backend="auto", device=None,
            input_range=None, strict=False, names=None, **options) -> MetricResult:
    """Score one fused image against its infrared and visible sources.

    Parameters
    ----------
    fused, ir, vi : path or array
        Image files (PNG, JPEG, BMP, TIFF; gray, RGB or RGBA) or arrays (H, W) / (H, W, 3),
        uint8, uint16 or float.
    input_range : {None, "byte", "unit"}
        Scale of float arrays: ``"byte"`` 0..255, ``"unit"`` [0, 1] (multiplied by 255). ``None``
        (default) reads 0..255 and warns (:class:`~fusionbench.metrics.pipeline.InputRangeWarning`)
        when a float array's maximum is in (0, 1], the sign of a [0, 1] image scored on the wrong scale.
    metrics : sequence of str, optional
        Metric names (see ``fusionbench.metrics.CARDS``); default: the profile's table.
    profile : str
        ``cddfuse`` (default, the CDDFuse-family Python evaluator), ``tang2022``, ``tang2023``,
        ``vifb`` or ``mefb``; see ``specs/METRICS.md`` and ``fusionbench.metrics.PROFILES``.
    backend : {"auto", "numpy", "numba", "torch", "torch-fp32"}
        ``auto`` (default) runs torch on CUDA when a GPU is present, else Numba; ``numpy`` is the
        float64 reference. Numba and torch agree with it within the per-metric budgets of
        :data:`fusionbench.metrics.REGISTRY` (``fast``); a metric a backend lacks falls back to the
        reference with a :class:`~fusionbench.metrics.ReferenceFallbackWarning`.
    strict : bool
        Raise instead of computing a metric the profile's toolbox does not define.
    **options
        Per-metric option overrides (e.g. ``ssim_data_range=255``); see ``OPTION_VALUES``.

    Returns
    -------
    MetricResult
        Mapping metric -> float that also records the profile label, options and backend.
    """
    prof = get_profile(profile, **options)
    names_ = resolve_metrics(metrics, prof)
    native = {m: m in prof.native for m in names_}
    if strict and not all(native.values()):
        bad = [m for m, ok in native.items() if not ok]
        raise InputError(f"profile {prof.name}", f"does not define {', '.join(bad)} (strict mode)")
    be = get_backend(backend, device)
    planes = prepare(fused, ir, vi, prof.options, input_range=input_range,
                     names=names or ("fused", "ir", "vi"))
    values = score_planes(planes, names_, prof.options, be)
    return MetricResult(values, profile=prof.label, options=prof.options, overrides=prof.overrides,
                        native=native, backend=be.name)


def compute_table(fused, ir, vi, table="tang2022-full", *, columns=None, backend="auto", device=None,
                  input_range=None, names=None) -> dict:
    """Score the columns of a named metric table (:mod:`fusionbench.metrics.named_tables`).

    Each group of columns that shares option overrides is one :func:`compute` call under the
    table's profile; e.g. ``tang2022-full`` scores Tang's "SSIM" and "MS_SSIM" columns as MEF-SSIM
    at 1 and 3 scales.

    Parameters
    ----------
    fused, ir, vi : path or array
        As :func:`compute`.
    table : str or MetricTable
        A name of ``fusionbench.metrics.named_tables.METRIC_TABLES`` (``tang2022-full``).
    columns : sequence of str, optional
        Column labels to score (default: every implemented column); a label the table lacks or does
        not implement is an error.
    backend, device, input_range, names
        As :func:`compute`.

    Returns
    -------
    dict
        Column label -> value, in the table's order, for the columns fusionbench implements; the
        others are listed, with the reason, in ``get_metric_table(table).missing``.
    """
    from fusionbench.metrics.named_tables import get_metric_table
    tab = get_metric_table(table)
    if columns is not None:
        columns = [columns] if isinstance(columns, str) else list(columns)
        known = {c.label: c for c in tab.columns}
        for label in columns:
            if label not in known:
                raise UnknownNameError(f"{tab.name} column", label, known)
            if known[label].metric is None:
                raise InputError(f"{tab.name} column {label}", f"not implemented: {known[label].missing}")
    got = {}
    for overrides, cols in tab.groups(columns):
        r = compute(fused, ir, vi, metrics=[c.metric for c in cols], profile=tab.profile, backend=backend,
                    device=device, input_range=input_range, names=names, **overrides)
        got.update({c.label: r[c.metric] for c in cols})
    return {c.label: got[c.label] for c in tab.implemented if c.label in got}
