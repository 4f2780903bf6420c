"""The README's parity table is what ``tools/parity_table.py`` renders from the committed record of
achieved errors (``docs/parity.json``) and the claims the parity tests assert (``tests/parity_claims.py``)."""

import importlib.util
import json
from pathlib import Path

import pytest
from parity_claims import SECTIONS, check

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("parity_table", REPO / "tools" / "parity_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def achieved():
    return json.loads((REPO / "docs" / "parity.json").read_text())


def test_readme_table_is_the_rendered_record(tool, achieved):
    readme = (REPO / "README.md").read_text()
    assert tool.current_block(readme) == tool.render(achieved), \
        "README.md's parity table is stale: run python tools/parity_table.py"
    assert tool.main(["--check"]) == 0


def test_every_recorded_claim_is_met(achieved):
    assert {"tang2022", "vifb"} <= set(achieved) <= set(SECTIONS)
    for section in achieved:
        assert check(section, achieved[section]["metrics"]) == [], section
        assert all(m["n"] > 0 for m in achieved[section]["metrics"].values()), section


def test_counts_cover_the_reference_files(achieved, tool):
    n = {s: sum(m["n"] + m.get("nan_matched", 0) for m in achieved[s]["metrics"].values()) for s in achieved}
    want = {"tang2022": 42 * 9 * 11, "vifb": 21 * 23 * 13,  # vifb: SwinFusion and YDTR apart, see the note
            "cddfuse": 69 * 3 * 13, "cddfuse_tno42_means": 2 * 11}  # cddfuse: every pair of the oracle
    for section, count in n.items():
        assert count == want.get(section, count), section
    for section in set(SECTIONS) - set(achieved):  # a section without a record is named, not hidden
        assert SECTIONS[section]["title"] in tool.render(achieved).split("Not in this record")[1]


def test_a_claim_not_met_is_shown_not_hidden(tool, achieved):
    worse = json.loads(json.dumps(achieved))
    worse["tang2022"]["metrics"]["VIF"]["max_rel"] = 1.0
    text = tool.render(worse)
    assert f"claim {SECTIONS['tang2022']['claims']['VIF'][1]:g} not met" in text and "Claims not met" in text
