"""Bundled MSFE weights reproduce their model card's metric values on the check pair."""

from __future__ import annotations

import pytest
from test_net_smfnet_weights import check_reproduces, sidecars


@pytest.mark.parametrize("sidecar", sidecars("msfe"), ids=lambda p: p.stem)
def test_msfe_weights_reproduce_card(sidecar):
    check_reproduces(sidecar)


def test_msfe_weights_are_bundled():
    stems = {p.stem for p in sidecars("msfe")}
    if not stems:
        pytest.skip("no MSFE weights bundled yet")
    assert "msfe" in stems
