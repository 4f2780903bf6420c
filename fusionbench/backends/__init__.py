"""Metric backends. Every backend scores one (F, A, B) triple of 2-D float64 planes.

``numpy`` is the float64 reference (``fusionbench.metrics.reference``); ``numba`` and ``torch``
must agree with it within 1e-9 relative (torch float32 within documented tolerances).
"""

from __future__ import annotations

from fusionbench.errors import UnknownNameError

BACKENDS = ("auto", "numpy", "numba", "torch", "torch-fp32")


class NumpyBackend:
    name = "numpy"

    def score(self, F, A, B, metrics, opts) -> dict:
        from fusionbench.metrics.reference import KERNELS
        return {m: float(KERNELS[m](F, A, B, opts)) for m in metrics}


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
