"""Metric backends. Every backend scores one (F, A, B) triple of 2-D float64 planes.

``numpy`` is the float64 reference (``fusionbench.metrics.reference``); ``numba`` and ``torch``
must agree with it within 1e-9 relative (torch float32 within documented tolerances).
"""

from __future__ import annotations

from fusionbench.errors import UnknownNameError

BACKENDS = ("auto", "numpy", "numba", "torch")


class NumpyBackend:
    name = "numpy"

    def score(self, F, A, B, metrics, opts) -> dict:
        from fusionbench.metrics.reference import KERNELS
        return {m: float(KERNELS[m](F, A, B, opts)) for m in metrics}


def get_backend(name="numpy", device=None):
    if name == "numpy":
        return NumpyBackend()
    if name in ("numba", "torch", "auto"):
        from fusionbench.backends import _select
        return _select.select(name, device)
    raise UnknownNameError("backend", name, BACKENDS)
