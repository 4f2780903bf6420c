"""S2F-Net (Zhao et al., ACM ICMR 2024): shared-specific fusion network, trained by fusionbench.

``load_method(variant, device)`` returns a :class:`fusionbench.methods.base.Method` backed by the
bundled weights (``weights/s2fnet[__<ablation>].safetensors``).
"""

from fusionbench.methods.networks.s2fnet.model import S2FNet
from fusionbench.methods.networks.s2fnet.recipe import ABLATION_SWITCHES, RECIPE

ABLATIONS = tuple(ABLATION_SWITCHES)


def load_method(variant=None, device=None, *, directory=None):
    """S2F-Net with bundled weights; ``variant`` is None (full model) or one of :data:`ABLATIONS`."""
    from fusionbench.methods.networks.common import load_network_method
    return load_network_method(RECIPE, variant, device, multiple=1, directory=directory)


__all__ = ["S2FNet", "RECIPE", "ABLATIONS", "load_method"]
