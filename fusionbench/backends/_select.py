"""Backend selection: ``auto`` = torch on CUDA when a GPU is present, else Numba."""

from __future__ import annotations

from fusionbench.errors import InputError

_INSTANCES: dict = {}


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return bool(torch.cuda.is_available())


def select(name, device=None):
    """Return a (shared, cache-holding) backend instance for ``name`` and ``device``.

    ``numba`` ignores ``device`` unless it names a GPU (an error). ``torch`` defaults to
    ``cuda`` when available, else ``cpu``; a ``device`` ending in ``:fp32`` or the names
    ``cuda-fp32``/``cpu-fp32`` select float32 fast mode (default float64 parity mode).
    """
    if name == "auto":
        name = "torch" if (device is None and _cuda_available()) or (
            device is not None and str(device).startswith("cuda")) else "numba"
    if name == "numba":
        if device is not None and not str(device).startswith("cpu"):
            raise InputError("device", f"the numba backend runs on the CPU, not {device!r}")
        key = ("numba",)
        if key not in _INSTANCES:
            from fusionbench.backends.numba_backend import NumbaBackend
            _INSTANCES[key] = NumbaBackend()
        return _INSTANCES[key]
    from fusionbench.errors import require_torch
    require_torch(f"backend {name!r}")
    from fusionbench.backends.torch_backend import TorchBackend, parse_device
    dev, dtype = parse_device(device)
    key = ("torch", dev, dtype)
    if key not in _INSTANCES:
        _INSTANCES[key] = TorchBackend(device=dev, dtype=dtype)
    return _INSTANCES[key]
