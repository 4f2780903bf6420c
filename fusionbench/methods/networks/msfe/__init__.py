"""MSFE: attention-guided deep multi-scale feature ensemble (anonymous, Paper ID 92).

``load_method(variant=None, device=None)`` returns the bundled trained ``small`` network (or an
ablation variant, see ``ABLATIONS``) as a :class:`fusionbench.methods.base.Method`;
``RECIPE`` trains it with ``fusionbench.train``.
"""

from fusionbench.methods.networks.msfe.model import MSFE, edge_map
from fusionbench.methods.networks.msfe.recipe import ABLATIONS, CONFIGS, RECIPE, resolve_config


def load_method(variant=None, device=None, *, directory=None):
    """Bundled MSFE weights (``variant``: None / ``"full"`` or an ablation name) as a Method."""
    from fusionbench.methods.networks.common import load_network_method
    if isinstance(variant, str) and variant.startswith("msfe_"):
        variant = variant[5:]
    return load_network_method(RECIPE, variant, device, multiple=1, directory=directory)


__all__ = ["MSFE", "RECIPE", "ABLATIONS", "CONFIGS", "load_method", "resolve_config", "edge_map"]
