"""SSPFusion (Yang et al., arXiv 2309.14745): semantic structure-preserving fusion, trained by fusionbench.

``load_method(variant, device)`` returns a :class:`fusionbench.methods.base.Method` backed by the
bundled weights (``weights/sspfusion[__<ablation>].safetensors``); inputs are padded to a multiple
of 8 and the output cropped back.
"""

from fusionbench.methods.networks.sspfusion.model import SSPFusion
from fusionbench.methods.networks.sspfusion.recipe import ABLATION_SWITCHES, RECIPE

ABLATIONS = tuple(ABLATION_SWITCHES)


def load_method(variant=None, device=None, *, directory=None):
    """SSPFusion with bundled weights; ``variant`` is None (full model), ``no_sfe`` or ``no_spf``."""
    from fusionbench.methods.networks.common import load_network_method
    return load_network_method(RECIPE, variant, device, multiple=8, directory=directory)


__all__ = ["SSPFusion", "RECIPE", "ABLATIONS", "load_method"]
