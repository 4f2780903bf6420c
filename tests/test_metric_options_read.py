"""Every kernel reads only the options its registration declares (``Metric.reads``).

Stored values are keyed by those options only (``fusionbench.store.value_key``), so a kernel that
read an undeclared option would have its values reused after that option changed: a wrong number.
Each metric is scored under every profile and under every value of each option it declares (every
branch those options open), with an option mapping that records what is read.
"""

import warnings

import numpy as np
import pytest

from fusionbench.backends import get_backend
from fusionbench.metrics import PROFILES, REGISTRY
from fusionbench.metrics.pipeline import prepare
from fusionbench.metrics.profiles import OPTION_VALUES


class Recording(dict):
    """An option mapping that records every key read (iteration reads them all)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)

    def __iter__(self):
        self.read.update(self)
        return super().__iter__()

    def keys(self):
        self.read.update(super().keys())
        return super().keys()

    def items(self):
        self.read.update(super().keys())
        return super().items()

    def values(self):
        self.read.update(super().keys())
        return super().values()


RNG = np.random.default_rng(5)
SMALL = [RNG.integers(0, 256, (44, 52)).astype(np.uint8) for _ in range(3)]
LARGE = [np.kron(x, np.ones((4, 4), np.uint8)) for x in SMALL]  # 176 x 208: MS_SSIM's five scales
RGB = [np.stack([x, np.roll(x, 3, 0), np.roll(x, 5, 1)], axis=-1) for x in SMALL]


def _variants(metric, profile):
    base = dict(PROFILES[profile].options)
    yield base
    for key in REGISTRY[metric].reads:
        for value in OPTION_VALUES[key]:
            if value != base[key]:
                yield base | {key: value}


def _reads(metric, backend_name):
    backend = get_backend(backend_name)
    triple = LARGE if metric == "MS_SSIM" else SMALL
    seen = set()
    for profile in PROFILES:
        for opts in _variants(metric, profile):
            rec = Recording(opts)
            planes = prepare(*(RGB if opts["color_mode"] == "per_channel" else triple), rec)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                for F, A, B in planes.channels[:1]:
                    backend.score(F, A, B, (metric,), rec)
            seen |= rec.read
    return seen


@pytest.mark.parametrize("metric", sorted(REGISTRY))
def test_reference_kernel_reads_only_declared_options(metric):
    extra = _reads(metric, "numpy") - set(REGISTRY[metric].reads)
    assert not extra, f"{metric} reads {sorted(extra)}: add them to its card's parameters"


@pytest.mark.parametrize("metric", sorted(m for m, e in REGISTRY.items() if "numba" in e.fast))
def test_numba_kernel_reads_only_declared_options(metric):
    pytest.importorskip("numba")
    extra = _reads(metric, "numba") - set(REGISTRY[metric].reads)
    assert not extra, f"{metric} reads {sorted(extra)} under numba: add them to its card's parameters"


def test_the_recording_mapping_sees_reads():
    rec = Recording(PROFILES["cddfuse"].options)
    get_backend("numpy").score(*[x.astype(float) for x in SMALL], ("SSIM",), rec)
    assert {"ssim_data_range", "ssim_impl"} <= rec.read
