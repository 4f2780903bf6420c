"""Shared test fixtures: where the real reference data lives (``../shared``), skipping cleanly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_root() -> Path:
    env = os.environ.get("FUSIONBENCH_SHARED")
    return Path(env) if env else REPO.parent / "shared"


def require_shared(*parts) -> Path:
    """Path inside ../shared, or skip the test when that data is absent."""
    path = shared_root().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data not available: {path}")
    return path


@pytest.fixture
def shared():
    return require_shared()
