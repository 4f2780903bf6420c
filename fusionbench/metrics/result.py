"""The value returned by :func:`fusionbench.compute`: a mapping that remembers how it was made."""

from __future__ import annotations

from collections.abc import Mapping

METRIC_VERSION = "2"  # bump when any kernel's numbers change


class MetricResult(Mapping):
    """metric name -> float, plus the profile label, resolved options and provenance."""

    def __init__(self, values, *, profile, options, overrides, native, backend):
        self._values = dict(values)
        self.profile = profile
        self.options = dict(options)
        self.overrides = dict(overrides)
        self.native = dict(native)
        self.backend = backend
        self.metric_version = METRIC_VERSION

    def __getitem__(self, key):
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def __repr__(self):
        vals = ", ".join(f"{k}={v:.6g}" for k, v in self._values.items())
        return f"MetricResult({self.profile}: {vals})"

    def metadata(self) -> dict:
        return {"profile": self.profile, "options": self.options, "overrides": self.overrides,
                "native": self.native, "backend": self.backend, "metric_version": self.metric_version}
