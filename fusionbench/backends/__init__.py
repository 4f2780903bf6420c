"""Metric backends. Every backend scores one (F, A, B) triple of 2-D float64 planes.

``numpy`` is the float64 reference (``fusionbench.metrics.reference``); ``numba`` and ``torch``
agree with it within each metric's registered budget (``fusionbench.metrics.REGISTRY[m].fast``).
A registered metric a fast backend has no kernel for is scored with the reference kernel, with a
:class:`~fusionbench.metrics.ReferenceFallbackWarning` (:func:`reference_fallback`).
"""

from __future__ import annotations

import warnings

from fusionbench.errors import UnknownNameError

BACKENDS = ("auto", "numpy", "numba", "torch", "torch-fp32")


class NumpyBackend:
    name = "numpy"

    def score(self, F, A, B, metrics, opts) -> dict:
        from fusionbench.metrics.registry import get_metric
        return {m: float(get_metric(m).reference(F, A, B, opts)) for m in metrics}


def check_kernels(backend: str, kernels) -> tuple:
    """Check a fast backend's kernel table against the registry; return its fallback metrics.

    Raises ``RuntimeError`` naming the metric when the registry says ``backend`` implements a
    metric it has no kernel for, or when it has a kernel for an unregistered metric or one whose
    registration does not name ``backend`` (its budget would be untested).
    """
    from fusionbench.metrics.registry import REGISTRY, fallback_metrics, fast_metrics
    missing = set(fast_metrics(backend)) - set(kernels)
    extra = set(kernels) - set(fast_metrics(backend))
    if missing or extra:
        raise RuntimeError(f"backend {backend}: kernels and fusionbench/metrics/registry.py disagree: "
                           f"registered without a kernel {sorted(missing)}, kernel without registration "
                           f"{sorted(extra)} (registered metrics: {len(REGISTRY)})")
    return fallback_metrics(backend)


def reference_fallback(backend: str, metric: str):
    """The reference kernel of ``metric``, announced with a :class:`ReferenceFallbackWarning`."""
    from fusionbench.metrics.registry import ReferenceFallbackWarning, get_metric
    entry = get_metric(metric)
    warnings.warn(f"backend {backend} has no kernel for {metric}: scoring it with the float64 NumPy "
                  f"reference (slower; register a fast kernel in fusionbench/metrics/registry.py)",
                  ReferenceFallbackWarning, stacklevel=3)
    return entry.reference


def get_backend(name="numpy", device=None):
    """Backend by name: ``numpy`` (reference), ``numba`` (CPU), ``torch`` (float64 parity mode,
    ``device`` 'cpu' or 'cuda[:i]'), ``torch-fp32`` (float32 fast mode) or ``auto`` (torch on
    CUDA when a GPU is present, else numba). Accelerated backends are shared instances, so their
    source caches persist across calls. An object with a ``score`` method is returned as is."""
    if hasattr(name, "score"):
        return name
    if name == "numpy":
        return NumpyBackend()
    if name == "torch-fp32":
        from fusionbench.backends import _select
        dev = "cuda" if device is None and _select._cuda_available() else (device or "cpu")
        return _select.select("torch", f"{dev}:fp32")
    if name in ("numba", "torch", "auto"):
        from fusionbench.backends import _select
        return _select.select(name, device)
    raise UnknownNameError("backend", name, BACKENDS)
