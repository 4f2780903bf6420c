"""Float64 NumPy reference kernels: ``kernel(F, A, B, opts) -> float``, registered per metric in
:mod:`fusionbench.metrics.registry` (``REGISTRY[name].reference``, ``registry.KERNELS``).

F, A, B are 2-D float64 planes on the 0..255 scale (integer-valued unless the profile says
otherwise); ``opts`` is a profile's option mapping. These are the ground truth for the faster
backends.
"""

from fusionbench.metrics.reference.edges import nabf, qabf
from fusionbench.metrics.reference.gradient import ag, ei, sf
from fusionbench.metrics.reference.information import mi
from fusionbench.metrics.reference.perceptual import qcb, qcv
from fusionbench.metrics.reference.ssim import ssim
from fusionbench.metrics.reference.statistics import cc, ce, en, mse, psnr, rmse, scd, sd
from fusionbench.metrics.reference.vif import vif, viff

__all__ = ["ag", "cc", "ce", "ei", "en", "mi", "mse", "nabf", "psnr", "qabf", "qcb", "qcv", "rmse", "scd", "sd",
           "sf", "ssim", "vif", "viff"]
