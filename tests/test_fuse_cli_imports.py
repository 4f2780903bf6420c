"""`fusionbench fuse` loads only what fusing needs (issue #12: cold start <= 1.5 s per network).

A fresh interpreter runs the command; afterwards none of the metric registry, SciPy, Numba, the
report/runner/training layers or the other subcommands may have been imported (they cost about a
second of start-up on the 2-core machine and fusing uses none of them). ``--timings`` reports the
phases that ``benchmarks/bench_fuse_cli.py`` reads.
"""

import json
import os
import subprocess
import sys

import pytest

from fusionbench.datasets.resolve import SAMPLE_ROOT

PAIR = SAMPLE_ROOT / "msrs" / "test"
PROBE = """
import json, sys
from fusionbench.cli import main
rc = main(sys.argv[1:])
heavy = ("scipy", "numba", "llvmlite", "matplotlib", "tabulate", "pandas")
layers = ("fusionbench.metrics", "fusionbench.scoring", "fusionbench.backends._nb", "fusionbench.backends.numba",
          "fusionbench.report", "fusionbench.runner", "fusionbench.train", "fusionbench.losses")
mods = sorted(m for m in sys.modules if m.split(".")[0] in heavy or m.startswith(layers))
cmds = sorted(m for m in sys.modules if m.startswith("fusionbench.cli.") and m != "fusionbench.cli.fuse_cmd")
print("PROBE " + json.dumps({"rc": rc, "modules": mods, "commands": cmds}))
"""


def _fuse(method, out, *extra):
    args = ["fuse", "--method", method, "--ir", str(PAIR / "ir" / "00537D.png"),
            "--vi", str(PAIR / "vi" / "00537D.png"), "--out", str(out), *extra]
    res = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                         env=dict(os.environ, OMP_NUM_THREADS="1"), timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("PROBE "))
    return json.loads(line[6:]), res.stderr


@pytest.mark.parametrize("method", ["average", "s2fnet"])
def test_fuse_imports_nothing_it_does_not_use(method, tmp_path):
    if method != "average":
        pytest.importorskip("torch")
    probe, _ = _fuse(method, tmp_path / "f.png")
    assert probe["rc"] == 0 and (tmp_path / "f.png").exists()
    assert probe["modules"] == [], f"fuse --method {method} imported {probe['modules']}"
    assert probe["commands"] == [], f"fuse imported other subcommands: {probe['commands']}"


def test_timings_mark_the_phases(tmp_path):
    _, err = _fuse("average", tmp_path / "f.png", "--timings")
    marks = [ln.split(": ", 1)[1] for ln in err.splitlines() if ln.startswith("fusionbench-timing: ")]
    assert marks == [f"{w} {p}" for p in ("load", "read", "fuse", "write") for w in ("start", "stop")]
    (line,) = [ln for ln in err.splitlines() if ln.startswith("fusionbench-timings: ")]
    spent = json.loads(line.split(": ", 1)[1])
    assert set(spent) == {"load_s", "read_s", "fuse_s", "write_s"} and all(v >= 0 for v in spent.values())


def test_package_compute_is_still_there():
    import fusionbench
    from fusionbench import compute
    assert fusionbench.compute is compute and "compute" in fusionbench.__all__
    with pytest.raises(AttributeError):
        fusionbench.no_such_name  # noqa: B018


def test_entry_point_flushes_output_and_keeps_exit_codes(tmp_path):
    """``fuse`` leaves via ``os._exit`` (no interpreter teardown): what the command printed
    must still arrive through a pipe, the file must be complete, and errors keep exit code 2."""
    run = [sys.executable, "-m", "fusionbench", "fuse", "--method", "average", "--vi", str(PAIR / "vi" / "00537D.png")]
    ok = subprocess.run(run + ["--ir", str(PAIR / "ir" / "00537D.png"), "--out", str(tmp_path / "f.png")],
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0 and "average: wrote 1 fused image(s)" in ok.stdout, ok.stderr[-2000:]
    from fusionbench.imageio import read_image
    assert read_image(tmp_path / "f.png").shape[:2] == (480, 640)
    bad = subprocess.run(run + ["--ir", str(tmp_path / "missing.png"), "--out", str(tmp_path / "g.png")],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "missing.png" in bad.stderr and not (tmp_path / "g.png").exists()


def test_other_commands_exit_normally_and_clean_up_worker_pools(tmp_path):
    """Only ``fuse`` skips the teardown: an ``evaluate`` on two worker processes must leave no
    leaked semaphores behind (multiprocessing's resource tracker would warn on stderr)."""
    res = subprocess.run([sys.executable, "-m", "fusionbench", "evaluate", "--method", "average", "--dataset", "msrs",
                          "--metrics", "EN", "--jobs", "2", "--store", str(tmp_path / "s.sqlite"), "--no-progress"],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "leaked" not in res.stderr, res.stderr[-2000:]


def test_console_script_uses_the_fast_exit_entry():
    from importlib.metadata import entry_points
    (ep,) = [e for e in entry_points(group="console_scripts") if e.name == "fusionbench"]
    assert ep.value == "fusionbench.cli:entry"
