"""Exceptions with messages that name the offending input."""

import difflib


class FusionBenchError(Exception):
    """Base class of every error fusionbench raises on purpose."""


class InputError(FusionBenchError, ValueError):
    """An image or array that cannot be scored; the message names it and the problem."""

    def __init__(self, name, problem):
        self.name = str(name)
        self.problem = problem
        super().__init__(f"{self.name}: {problem}")


class UnknownNameError(FusionBenchError, KeyError):
    """An unknown metric, profile, dataset or method; the message lists the known ones."""

    def __init__(self, kind, name, known):
        self.kind, self.name, self.known = kind, name, sorted(known)
        hint = did_you_mean(name, self.known)
        super().__init__(f"unknown {kind} {name!r}{hint}; known: {', '.join(self.known)}")

    def __str__(self):  # KeyError would quote the whole message otherwise
        return self.args[0]


def suggest(name, known, n: int = 3) -> list:
    """Up to ``n`` names of ``known`` that ``name`` probably meant: same name in another case, names that
    start with or contain it (``msrs`` -> ``msrs-sample/test``), then close spellings."""
    low = str(name).lower()
    known = [str(k) for k in known]
    out = [k for k in known if k.lower() == low]
    out += [k for k in known if k.lower().startswith(low) and k not in out]
    out += [k for k in known if low and low in k.lower() and k not in out]
    lower = {k.lower(): k for k in known}
    out += [lower[k] for k in difflib.get_close_matches(low, list(lower), n=n, cutoff=0.6) if lower[k] not in out]
    return out[:n]


def did_you_mean(name, known) -> str:
    """``" (did you mean 'a' or 'b'?)"`` for :func:`suggest`'s names, or ``""``."""
    names = suggest(name, known)
    return f" (did you mean {' or '.join(repr(k) for k in names)}?)" if names else ""


NETWORKS_EXTRA = "ivif-fusionbench[networks]"


class MissingDependencyError(FusionBenchError, ImportError):
    """An optional dependency (PyTorch for the networks and torch backends) is not installed."""


def require_torch(what: str):
    """Import and return ``torch``, or raise :class:`MissingDependencyError` saying how to install it."""
    try:
        import torch
    except ImportError:
        raise MissingDependencyError(
            f"{what} needs PyTorch, which is not installed; install the networks extra: "
            f"pip install \"{NETWORKS_EXTRA}\" (the metrics, runner and reports work without it)") from None
    return torch
