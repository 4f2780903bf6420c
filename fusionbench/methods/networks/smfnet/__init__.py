"""SMFNet (Zhang et al., arXiv 2407.06159): semantic-aware, multi-guided IR-visible fusion network.

``load_method(variant=None, device=None)`` returns the bundled trained ``small`` network (or an
ablation variant, see ``ABLATIONS``) as a :class:`fusionbench.methods.base.Method`;
``RECIPE`` trains it with ``fusionbench.train``.
"""

from fusionbench.methods.networks.smfnet.model import SMFNet
from fusionbench.methods.networks.smfnet.recipe import ABLATIONS, CONFIGS, RECIPE, resolve_config


def load_method(variant=None, device=None, *, directory=None):
    """Bundled SMFNet weights (``variant``: None / ``"full"`` or an ablation name) as a Method."""
    from fusionbench.methods.networks.common import load_network_method
    if isinstance(variant, str) and variant.startswith("smf_"):
        variant = variant[4:]
    return load_network_method(RECIPE, variant, device, multiple=1, directory=directory)


__all__ = ["SMFNet", "RECIPE", "ABLATIONS", "CONFIGS", "load_method", "resolve_config"]
