"""Shared test fixtures: where the real reference data lives, skipping cleanly when it is absent.

Reference *values* ship in the repository (``tests/data/reference``). Reference *images* come from
``$FUSIONBENCH_SHARED`` (default ``../shared``, what CI uses), else from the datasets that
``fusionbench datasets fetch`` put under ``$FUSIONBENCH_DATA`` or the user data folder (verified against
the sha256 manifests), else from the bundled sample where it holds a complete byte-identical copy.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = Path(__file__).resolve().parent / "data" / "reference"

# shared/ paths of reference values -> their copies in the repository
_REFERENCE_FILES = {
    ("oracles", "cddfuse_simple.csv"): "cddfuse_simple.csv",
    ("oracles", "mefb_octave_tno42.csv"): "mefb_octave_tno42.csv",
    ("data", "tno42", "published_metrics", "tang_tno42_per_image.csv"): "tang_tno42_per_image.csv",
    ("data", "tno42", "published_metrics", "tang_tno42_mean_over_42.csv"): "tang_tno42_mean_over_42.csv",
    ("data", "vifb", "published_metrics", "vifb_per_image.csv"): "vifb_per_image.csv",
    ("data", "vifb", "published_metrics", "vifb_mean_over_21.csv"): "vifb_mean_over_21.csv",
}
# shared/data folders whose complete, byte-identical copy is in the bundled sample
_SAMPLE_COPIES = {("msrs_samples", "test"): ("msrs", "test")}


def shared_root() -> Path:
    env = os.environ.get("FUSIONBENCH_SHARED")
    return Path(env) if env else REPO.parent / "shared"


def reference(name: str) -> Path:
    """A reference-value file shipped in ``tests/data/reference``."""
    return REFERENCE / name


def data_roots() -> list:
    """Folders that may hold fetched datasets: ``$FUSIONBENCH_DATA``, then the fetch default."""
    roots = []
    if os.environ.get("FUSIONBENCH_DATA"):
        roots.append(Path(os.environ["FUSIONBENCH_DATA"]))
    try:
        from fusionbench.datasets.resolve import fetched_root
        roots.append(fetched_root())
    except Exception:  # noqa: BLE001 - a conftest copied elsewhere must still load
        pass
    return roots


def find_data(*parts):
    """The path of ``shared/<parts>`` or of an equivalent copy (module docstring), or None."""
    path = shared_root().joinpath(*parts)
    if path.exists():
        return path
    if tuple(parts) in _REFERENCE_FILES and (REFERENCE / _REFERENCE_FILES[tuple(parts)]).is_file():
        return REFERENCE / _REFERENCE_FILES[tuple(parts)]
    if os.environ.get("FUSIONBENCH_REQUIRE_SHARED") == "1" or len(parts) < 2 or parts[0] != "data":
        return None  # CI runs on the shared copy only
    rest = parts[1:]
    for root in data_roots():
        candidate = root.joinpath(*rest)
        if candidate.exists() and (root / rest[0]).is_dir():
            return candidate
    for (name, sub), (sname, ssub) in _SAMPLE_COPIES.items():
        if rest[:2] == (name, sub):
            from fusionbench.datasets.resolve import SAMPLE_ROOT
            return SAMPLE_ROOT.joinpath(sname, ssub, *rest[2:])
    return None


def require_shared(*parts) -> Path:
    """Path inside ../shared (or an equivalent copy, see :func:`find_data`), or skip the test."""
    path = find_data(*parts)
    if path is None:
        hint = (f"; run `fusionbench datasets fetch {parts[1]}` or set FUSIONBENCH_DATA"
                if len(parts) > 1 and parts[0] == "data" else "")
        pytest.skip(f"reference data not available: {shared_root().joinpath(*parts)}{hint}")
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
