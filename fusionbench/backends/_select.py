"""Backend selection: ``auto`` = torch on CUDA when a GPU is present, else Numba."""

from __future__ import annotations

import os
import sys

from fusionbench.errors import InputError

_INSTANCES: dict = {}


def _no_gpu_device_files() -> bool:
    """True on Linux when no GPU device node exists (no /dev/nvidiactl, /dev/kfd for ROCm or
    /dev/dxg for WSL2): then torch cannot see a GPU, and importing it only to ask costs about a
    second and 200 MB per process (every worker of ``fusionbench evaluate`` asked)."""
    return sys.platform.startswith("linux") and not any(
        os.path.exists(p) for p in ("/dev/nvidiactl", "/dev/kfd", "/dev/dxg"))


def _cuda_available() -> bool:
    if "torch" not in sys.modules and _no_gpu_device_files():
        return False
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return bool(torch.cuda.is_available())


def resolve(name, device=None) -> str:
    """The backend ``auto`` stands for (``torch`` on CUDA when a GPU is present or ``device``
    names one, else ``numba``); other names unchanged."""
    if name == "auto":
        return "torch" if (device is None and _cuda_available()) or (
            device is not None and str(device).startswith("cuda")) else "numba"
    return name


def select(name, device=None):
    """Return a (shared, cache-holding) backend instance for ``name`` and ``device``.

    ``numba`` ignores ``device`` unless it names a GPU (an error). ``torch`` defaults to
    ``cuda`` when available, else ``cpu``; a ``device`` ending in ``:fp32`` or the names
    ``cuda-fp32``/``cpu-fp32`` select float32 fast mode (default float64 parity mode).
    """
    name = resolve(name, device)
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
