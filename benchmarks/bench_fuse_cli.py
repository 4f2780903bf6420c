"""Cold-start benchmark of ``fusionbench fuse``: one 480x640 pair, each network's bundled (``small``)
weights, a fresh process per run (issue #12: <= 1.5 s per network on 2 cores, idle machine).

Each repeat runs the CLI twice in new processes:

* plain: ``python -m fusionbench fuse --method NET ...``; its wall time (from just before the process is
  started to its exit) and CPU time (user + system, from ``getrusage``) are the figures to compare with
  the target;
* instrumented: the same with ``python -X importtime`` and ``fuse --timings``; the command marks its
  phases (load the method, read the pair, fuse, write) on stderr, so every import is assigned to the
  phase that triggered it. Reported per phase *without* the imports inside it: ``import_s`` is every
  import of the process (``import_torch_s`` of which is PyTorch), ``load_s`` builds the model and reads
  the weights, ``forward_s`` is the fuse call (padding, forward pass, crop), ``read_s``/``write_s`` the
  image I/O, ``other_s`` the rest of the process (interpreter start-up and shut-down, argument parsing).

One unrecorded warm-up run per network first (it writes the ``.pyc`` files, as ``pip install`` does,
and fills the OS file cache); then medians over the repeats. The fused file's sha256 is recorded per run: all runs of a network must agree.
Writes ``benchmarks/results/fuse_cli_<time>.json`` and ``fuse_cli_latest.json`` and prints a table.
Numbers are only meaningful on an otherwise idle machine (the load average is recorded).

Usage::

    python benchmarks/bench_fuse_cli.py                           # the four networks, 2 threads, 3 repeats
    python benchmarks/bench_fuse_cli.py --networks s2fnet,msfe --repeats 1 --threads 1
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SAMPLE = REPO / "fusionbench" / "datasets" / "sample" / "msrs" / "test"  # 480x640 MSRS pair
PAIR = "00537D.png"
NETWORKS = ("s2fnet", "sspfusion", "smfnet", "msfe")
TARGET_S = 1.5

_IMPORT = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)")
_MARK = re.compile(r"fusionbench-timing: (start|stop) (\w+)")


def _args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--networks", default=",".join(NETWORKS), help="comma-separated methods")
    p.add_argument("--ir", default=str(SAMPLE / "ir" / PAIR), help="infrared image (default: bundled MSRS 00537D)")
    p.add_argument("--vi", default=str(SAMPLE / "vi" / PAIR), help="visible image")
    p.add_argument("--threads", type=int, default=2, help="OMP/MKL/NUMBA thread count of the CLI processes")
    p.add_argument("--repeats", type=int, default=3, help="plain + instrumented runs per network")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default=str(HERE / "results"))
    return p.parse_args(argv)


def parse_stderr(text: str) -> dict:
    """Import seconds per phase (top-level ``-X importtime`` entries between the ``--timings`` marks)
    and the phase totals of the ``fusionbench-timings:`` line."""
    phase, imports, torch_s, total = "outside", {}, 0.0, {}
    for line in text.splitlines():
        m = _MARK.search(line)
        if m:
            phase = m[2] if m[1] == "start" else "outside"
            continue
        if line.startswith("fusionbench-timings: "):
            total = json.loads(line.split(": ", 1)[1])
            continue
        m = _IMPORT.match(line)
        if m and len(m[3]) == 1:  # top level: its cumulative time includes everything it imported
            s = int(m[2]) / 1e6
            imports[phase] = imports.get(phase, 0.0) + s
            if m[4] == "torch":
                torch_s += s
    return {"imports": imports, "import_torch_s": torch_s, "phases": total}


def _run(cmd, env, cwd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stderr


def bench_network(net, args, env, tmp) -> dict:
    fused = Path(tmp) / f"{net}.png"
    cli = ["-m", "fusionbench", "fuse", "--method", net, "--ir", args.ir, "--vi", args.vi,
           "--out", str(fused), "--device", args.device]
    _run([sys.executable, *cli], env, tmp)  # warm-up, not recorded: writes the .pyc files, fills the file cache
    fused.unlink()
    runs = []
    for _ in range(args.repeats):
        wall, cpu, _ = _run([sys.executable, *cli], env, tmp)
        digest = hashlib.sha256(fused.read_bytes()).hexdigest()
        fused.unlink()
        wall_i, _, err = _run([sys.executable, "-X", "importtime", *cli, "--timings"], env, tmp)
        info = parse_stderr(err)
        ph, imp = info["phases"], info["imports"]
        run = {"wall_s": wall, "cpu_s": cpu, "import_s": sum(imp.values()), "import_torch_s": info["import_torch_s"]}
        for name in ("load", "read", "fuse", "write"):
            run[f"{'forward' if name == 'fuse' else name}_s"] = ph.get(f"{name}_s", 0.0) - imp.get(name, 0.0)
        run["other_s"] = wall_i - run["import_s"] - sum(run[k] for k in ("load_s", "read_s", "forward_s", "write_s"))
        run["instrumented_wall_s"] = wall_i
        run["sha256"] = digest
        runs.append(run)
    keys = [k for k in runs[0] if k != "sha256"]
    entry = {k: statistics.median(r[k] for r in runs) for k in keys}
    entry["runs"] = runs
    entry["outputs_identical"] = len({r["sha256"] for r in runs}) == 1
    entry["meets_target"] = entry["wall_s"] <= TARGET_S
    return entry


def main(args) -> int:
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads),
               NUMBA_NUM_THREADS=str(args.threads))
    # as after `pip install` (which compiles the bytecode): with PYTHONDONTWRITEBYTECODE set and no
    # __pycache__ (an editable checkout), every process would compile the package's sources again
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    report = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "host": platform.node(),
              "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
              "python": platform.python_version(), "threads": args.threads, "device": args.device,
              "pair": [args.ir, args.vi], "repeats": args.repeats, "target_s": TARGET_S,
              "load_average_before": list(os.getloadavg()), "networks": {}}
    cols = ("wall_s", "cpu_s", "import_s", "import_torch_s", "load_s", "read_s", "forward_s", "write_s", "other_s")
    print(f"{'network':10s} " + " ".join(f"{c[:-2]:>12s}" for c in cols) + "  identical  <=1.5s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for net in args.networks.split(","):
            e = bench_network(net, args, env, tmp)
            report["networks"][net] = e
            print(f"{net:10s} " + " ".join(f"{e[c]:12.3f}" for c in cols)
                  + f"  {str(e['outputs_identical']):9s}  {e['meets_target']}", flush=True)
    report["load_average_after"] = list(os.getloadavg())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2) + "\n"
    path = out / f"fuse_cli_{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(text)
    (out / "fuse_cli_latest.json").write_text(text)
    print(f"load average before {report['load_average_before'][0]:.2f}, after "
          f"{report['load_average_after'][0]:.2f}; wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(_args()))
