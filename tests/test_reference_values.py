"""The reference values shipped in tests/data/reference are the toolboxes' files, unchanged."""

import hashlib

import pandas as pd
import pytest
from conftest import REFERENCE, shared_root

SHARED_COPIES = {
    "tang_tno42_per_image.csv": ("data", "tno42", "published_metrics"),
    "tang_tno42_mean_over_42.csv": ("data", "tno42", "published_metrics"),
    "vifb_per_image.csv": ("data", "vifb", "published_metrics"),
    "vifb_mean_over_21.csv": ("data", "vifb", "published_metrics"),
    "cddfuse_simple.csv": ("oracles",),
    "mefb_octave_tno42.csv": ("oracles",),
}


@pytest.mark.parametrize("name", sorted(SHARED_COPIES))
def test_identical_to_the_shared_copy(name):
    shared = shared_root().joinpath(*SHARED_COPIES[name], name)
    if not shared.is_file():
        pytest.skip(f"reference data not available: {shared}")
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (REFERENCE / name, shared)]
    assert digest[0] == digest[1], name


def test_shapes_and_provenance():
    sizes = {"tang_tno42_per_image.csv": 42 * 9 * 11, "vifb_per_image.csv": 21 * 25 * 13,
             "cddfuse_simple.csv": 69 * 3 * 13}
    for name, rows in sizes.items():
        assert len(pd.read_csv(REFERENCE / name)) == rows, name
    readme = (REFERENCE / "README.md").read_text()
    for name in SHARED_COPIES:
        assert f"`{name}`" in readme, name
