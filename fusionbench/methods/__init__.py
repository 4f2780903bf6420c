"""Fusion methods: the :class:`Method` interface, baselines, networks and external results."""

from fusionbench.methods.base import Method
from fusionbench.methods.external import FusedFolder
from fusionbench.methods.registry import MethodUnavailableError, canonical_name, get_method, list_methods

__all__ = ["FusedFolder", "Method", "MethodUnavailableError", "canonical_name", "get_method", "list_methods"]
