"""Issue #15: one registration per metric; every list derives from it; fallbacks are loud.

Every fast backend either implements a registered metric (a kernel plus a budget in the
registration) or scores it with the reference kernel and raises a ``ReferenceFallbackWarning``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from fusionbench.backends import check_kernels, get_backend
from fusionbench.metrics import CARDS, OPTION_VALUES, PROFILES, REGISTRY, ReferenceFallbackWarning, register
from fusionbench.metrics import registry as reg
from fusionbench.metrics.cards import MetricCard

FAST = [("numba", None), ("torch", "cpu"), ("torch-fp32", "cpu")]


def _triple(shape=(48, 56), seed=0):
    rng = np.random.default_rng(seed)
    A = rng.integers(0, 256, shape).astype(np.float64)
    B = np.clip(0.5 * A + rng.normal(0, 40, shape) + 60, 0, 255).round()
    F = np.clip(0.5 * A + 0.5 * B + rng.normal(0, 10, shape), 0, 255).round()
    return F, A, B


def _kernel_table(name):
    if name == "numba":
        from fusionbench.backends.numba_backend import _KERNELS
        return _KERNELS
    from fusionbench.backends.torch_backend import _METRICS
    return _METRICS


def test_every_list_derives_from_the_registry():
    assert tuple(CARDS) == tuple(REGISTRY)
    for name, entry in REGISTRY.items():
        card = entry.card
        assert card.name == name and callable(entry.reference)
        assert set(card.parameters) <= set(OPTION_VALUES), name
        assert card.range[0] < card.range[1], name
        assert card.checked, f"{name}: the card must say what the metric was checked against"
        assert set(entry.native) <= set(PROFILES), name
    for prof in PROFILES.values():
        assert prof.native == {n for n, e in REGISTRY.items() if prof.name in e.native}
        assert set(prof.table) <= set(REGISTRY)


@pytest.mark.parametrize("backend", ["numba", "torch", "torch-fp32"])
def test_backend_kernels_match_their_registrations(backend):
    kernels = _kernel_table(backend)
    assert set(kernels) == set(reg.fast_metrics(backend))
    assert set(kernels) | set(reg.fallback_metrics(backend)) == set(REGISTRY)


def test_kernel_table_disagreeing_with_the_registry_is_an_error():
    kernels = dict(_kernel_table("numba"))
    kernels.pop("EN")
    with pytest.raises(RuntimeError, match=r"registered without a kernel \['EN'\]"):
        check_kernels("numba", kernels)
    with pytest.raises(RuntimeError, match=r"kernel without registration \['NotAMetric'\]"):
        check_kernels("numba", dict(_kernel_table("numba"), NotAMetric=None))


def test_budgets_follow_issue_16():
    """Float64 backends: EN and MI within 1e-9, every other metric within 1e-7 of the reference."""
    for name, entry in REGISTRY.items():
        for backend in ("numba", "torch"):
            if backend in entry.fast:
                limit = 1e-9 if name in ("EN", "MI") else 1e-7
                assert 0 < entry.fast[backend] <= limit, (name, backend, entry.fast[backend])


@pytest.fixture
def unported_metric():
    """A registered metric no fast backend implements (removed again afterwards)."""
    card = MetricCard("_Mean", "Mean of F (test-only)", True, (0.0, 255.0), "", "", (), sources=0,
                      checked="test")
    register(card, lambda F, A, B, opts: float(np.mean(F)))
    try:
        yield "_Mean"
    finally:
        del reg._REGISTRY["_Mean"]


@pytest.mark.parametrize("backend,device", FAST)
def test_missing_kernel_falls_back_loudly(unported_metric, backend, device):
    F, A, B = _triple()
    be = get_backend(backend, device)
    opts = PROFILES["cddfuse"].options
    with pytest.warns(ReferenceFallbackWarning, match=f"{backend} has no kernel for _Mean"):
        got = be.score(F, A, B, ["EN", unported_metric], opts)
    assert got[unported_metric] == float(np.mean(F))


@pytest.mark.parametrize("backend,device", FAST)
def test_every_registered_fallback_warns_and_equals_the_reference(backend, device):
    F, A, B = _triple()
    be = get_backend(backend, device)
    ref = get_backend("numpy")
    for prof in ("cddfuse", "vifb"):
        opts = PROFILES[prof].options
        for m in reg.fallback_metrics(backend):
            with pytest.warns(ReferenceFallbackWarning, match=m):
                got = be.score(F, A, B, [m], opts)[m]
            r = ref.score(F, A, B, [m], opts)[m]
            assert got == r or (np.isnan(got) and np.isnan(r)), (backend, prof, m)


@pytest.mark.parametrize("backend,device", FAST)
def test_implemented_metrics_do_not_warn(backend, device):
    F, A, B = _triple()
    be = get_backend(backend, device)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReferenceFallbackWarning)
        be.score(F, A, B, list(reg.fast_metrics(backend)), PROFILES["cddfuse"].options)


def test_cli_shows_a_full_card(capsys):
    from fusionbench.cli import main
    assert main(["metrics", "--card", "Qw"]) == 0
    out = capsys.readouterr().out
    assert "Piella" in out and "qw_input" in out and "mefb" in out and "checked against" in out
    assert "numba (rtol 1e-09)" in out and "float64 reference" not in out
    assert main(["metrics", "--card", "FMI_w"]) == 0
    out = capsys.readouterr().out  # numba has a kernel; the torch backends say they fall back
    assert "numba (rtol 1e-09); torch, torch-fp32: the float64 reference" in out
