"""Exceptions with messages that name the offending input."""


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
        super().__init__(f"unknown {kind} {name!r}; known: {', '.join(self.known)}")

    def __str__(self):  # KeyError would quote the whole message otherwise
        return self.args[0]
