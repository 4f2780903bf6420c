"""Float64 NumPy reference kernels: ``KERNELS[name](F, A, B, opts) -> float``.

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

KERNELS = {
    "EN": en, "SD": sd, "SF": sf, "AG": ag, "MI": mi, "CC": cc, "SCD": scd, "VIF": vif,
    "Qabf": qabf, "SSIM": ssim, "MSE": mse, "PSNR": psnr, "RMSE": rmse, "CE": ce, "EI": ei,
    "Qcb": qcb, "Qcv": qcv, "VIFF": viff, "Nabf": nabf,
}
