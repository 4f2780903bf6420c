"""The method registry: classical baselines, the reference networks (lazy) and fused-image folders."""

from __future__ import annotations

import importlib

from fusionbench.errors import (
    NETWORKS_EXTRA,
    FusionBenchError,
    MissingDependencyError,
    UnknownNameError,
    require_torch,
)
from fusionbench.methods.base import Method, seed_suffix, split_seed
from fusionbench.methods.baselines import ALIASES, BASELINES
from fusionbench.methods.networks import NETWORKS


class MethodUnavailableError(FusionBenchError):
    """A registered method whose implementation (or weights) cannot be loaded here."""


def list_methods() -> list:
    """Names accepted by :func:`get_method` (a network also takes ``NAME:ABLATION`` and ``@seedN``)."""
    return list(BASELINES) + list(NETWORKS)


def _network_module(name):
    modname = f"fusionbench.methods.networks.{name}"
    require_torch(f"network {name!r}")
    try:
        return importlib.import_module(modname)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "safetensors":
            raise MissingDependencyError(f"network {name!r} needs safetensors: pip install "
                                         f"\"{NETWORKS_EXTRA}\"") from None
        if exc.name and (exc.name == modname or modname.startswith(exc.name + ".")):
            raise MethodUnavailableError(f"network {name!r} is registered but its package {modname} is not "
                                         "installed in this build") from None
        raise


def canonical_name(name: str, *, check: bool = True) -> str:
    """``avg`` -> ``average``, ``SSPFusion:No_SFE`` -> ``sspfusion:No_SFE``; unknown names raise.

    With ``check``, a network's package is imported (no weights are loaded) so a missing one fails early.
    """
    spec, seed = split_seed(str(name).strip())
    base, sep, variant = (spec or "").partition(":")
    key = ALIASES.get(base.lower(), base.lower())
    if key not in BASELINES and key not in NETWORKS:
        raise UnknownNameError("method", name, list_methods())
    if key in BASELINES and (variant or seed):
        raise UnknownNameError(f"variant of {key}", variant or seed_suffix(seed), ["(none)"])
    if key in NETWORKS and check:
        mod = _network_module(key)
        if variant and variant not in getattr(mod, "ABLATIONS", ()):
            raise UnknownNameError(f"ablation of {key}", variant, getattr(mod, "ABLATIONS", ()))
    return key + sep + variant + seed_suffix(seed)


def get_method(name: str, *, device=None, weights_dir=None, **options):
    """Build a fusion method by name.

    Parameters
    ----------
    name : str
        ``average``, ``max``, ``laplacian``, ``gff`` (classical baselines), or a network
        ``s2fnet``, ``sspfusion``, ``smfnet``, ``msfe``, optionally ``NAME:ABLATION``, and
        ``NAME[:ABLATION]@seedN`` for the weights trained with seed N (seed 0 = the bundled model).
    device : str, optional
        Torch device for networks (ignored by the baselines).
    weights_dir : path, optional
        Folder of a network's ``<name>[__<ablation>].safetensors`` + sidecar (default: the bundled
        weights); ignored by the baselines.
    **options
        Keyword options of a baseline's constructor (e.g. ``levels=5`` for ``laplacian``).
    """
    text = str(name).strip()
    spec, seed = split_seed(text)
    base, _, variant = (spec or "").partition(":")
    key = base.lower()
    key = ALIASES.get(key, key)
    if key in BASELINES:
        if variant or seed:
            raise UnknownNameError(f"variant of {key}", variant or seed_suffix(seed), ["(none)"])
        return BASELINES[key](**options)
    if key in NETWORKS:
        mod = _network_module(key)
        if variant and variant not in getattr(mod, "ABLATIONS", ()):
            raise UnknownNameError(f"ablation of {key}", variant, getattr(mod, "ABLATIONS", ()))
        where = {} if weights_dir is None else {"directory": weights_dir}
        method = mod.load_method((variant + seed_suffix(seed)) or None, device, **where)
        label = key + (f":{variant}" if variant else "") + seed_suffix(seed)
        if getattr(method, "name", None) in (None, key, Method.name):  # a loader that does not name it
            method.name = label
        return method
    raise UnknownNameError("method", text, list_methods())
