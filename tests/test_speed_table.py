"""The speed tables (benchmarks/README.md, and README.md where it has the markers) are what
``tools/speed_table.py`` renders from the committed benchmark record ``benchmarks/results/latest.json``."""

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("speed_table", REPO / "tools" / "speed_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def record():
    return json.loads((REPO / "benchmarks" / "results" / "latest.json").read_text())


def test_benchmarks_readme_has_the_markers(tool):
    assert tool.blocks((REPO / "benchmarks" / "README.md").read_text())


@pytest.mark.parametrize("name", ["benchmarks/README.md", "README.md", "docs/backends.md"])
def test_marked_files_are_the_rendered_record(tool, record, name):
    text = (REPO / name).read_text()
    if not tool.blocks(text):
        pytest.skip(f"{name} has no speed markers")
    assert tool.rewrite(text, record) == text, f"{name}'s speed table is stale: run python tools/speed_table.py"
    assert tool.main(["--check", str(REPO / name)]) == 0


def test_table_states_date_machine_and_load(tool, record):
    text = tool.render(record)
    assert record["date"] in text and f"`{record['machine']}`" in text
    assert f"{record['loadavg_start'][0]:.2f} at the start" in text and f"{record['loadavg_end'][0]:.2f} at the end" in text
    numba = record["sizes"]["msrs"]["backends"]["numba"]
    assert f"**{tool.ms(numba['total_first_ms'])}**" in text
    assert record["date"] in tool.render(record, "summary")


@pytest.mark.parametrize("path", [("date",), ("loadavg_end",), ("sizes", "msrs", "backends", "numba", "total_second_ms"),
                                  ("sizes", "llvip", "shape")])
def test_missing_key_fails_loudly(tool, record, path):
    broken = json.loads(json.dumps(record))
    where = broken
    for k in path[:-1]:
        where = where[k]
    del where[path[-1]]
    with pytest.raises(KeyError, match=repr(path[-1])):
        tool.render(broken)


def test_check_reports_a_stale_file_and_skips_one_without_markers(tool, tmp_path, capsys):
    stale = tmp_path / "stale.md"
    stale.write_text("# x\n\n<!-- speed:begin -->\nold table\n<!-- speed:end -->\n")
    plain = tmp_path / "plain.md"
    plain.write_text("# no table here\n")
    assert tool.main(["--check", str(stale), str(plain)]) == 1
    err = capsys.readouterr().err
    assert "stale.md: the speed table is not" in err and "plain.md: no <!-- speed:begin -->" in err
    assert tool.main([str(stale), str(plain)]) == 0
    assert tool.main(["--check", str(stale)]) == 0 and "old table" not in stale.read_text()
