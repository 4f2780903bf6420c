"""The recipe base class; defined in :mod:`fusionbench.methods.networks.recipe_base` (below the
training layer, with the networks that subclass it) and re-exported here."""

from fusionbench.methods.networks.recipe_base import Recipe

__all__ = ["Recipe"]
