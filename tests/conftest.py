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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With ``FUSIONBENCH_REQUIRE_SHARED=1`` (set by ``.ci/run``) a skip for missing shared data fails.

    CI must not pass by skipping the parity and reference tests; GPU-only skips stay skips.
    """
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("FUSIONBENCH_REQUIRE_SHARED") != "1" or not report.skipped:
        return
    reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr)
    if "not available" in reason or "not present" in reason:
        if "cuda" not in reason.lower():
            report.outcome = "failed"
            report.longrepr = f"FUSIONBENCH_REQUIRE_SHARED=1 but the shared data is missing: {reason}"
