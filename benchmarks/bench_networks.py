"""Network benchmark: inference and one training step of each reference network.

For every network and config (``small`` with the bundled weights, ``full`` untrained at its paper
width) on a real 480x640 MSRS pair:

* ``fuse_s``: median wall-clock of ``method.fuse_images`` (what ``fusionbench fuse`` runs per pair,
  after one warm-up), with ``--threads`` torch threads;
* ``cli_s`` (small only): wall-clock of the whole ``fusionbench fuse`` command in a fresh process
  (interpreter start, imports, weight loading, decode, fuse, encode);
* ``thread_invariant``: whether the fused image is bit-identical with 1 thread and ``--threads``;
* ``train_step_s``: median wall-clock of one optimiser step of the recipe's last stage at its
  default batch and crop (small and full).

Prints a table and writes JSON to ``benchmarks/results/networks_<stamp>.json`` (and
``networks_latest.json``), with the load average before and after the run.

Usage::

    python benchmarks/bench_networks.py                  # 2 threads, every network
    python benchmarks/bench_networks.py --methods msfe --configs small
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PAIR = ("msrs/test/ir/00537D.png", "msrs/test/vi/00537D.png")  # bundled sample, 480x640


def _args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--methods", default="s2fnet,sspfusion,smfnet,msfe")
    p.add_argument("--configs", default="small,full")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", default=str(HERE / "results"))
    return p.parse_args(argv)


def _median_time(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _sources():
    from fusionbench.imageio import read_image
    sample = REPO / "fusionbench" / "datasets" / "sample"
    return [sample / p for p in PAIR], [read_image(sample / p) for p in PAIR]


def _method(name, config):
    """The bundled weights for ``small``; an untrained paper-width model for ``full``."""
    from fusionbench.methods import get_method
    from fusionbench.methods.networks.common import TorchMethod
    from fusionbench.train import get_recipe
    if config == "small":
        return get_method(name)
    recipe = get_recipe(name)
    model = recipe.build_model("full")
    return TorchMethod(model, name=f"{name}/full", multiple=recipe.multiple)


def _train_step(name, config, repeats):
    import torch

    from fusionbench.train import get_recipe
    recipe = get_recipe(name)
    model = recipe.build_model(config)
    stage = recipe.stages_for(config)[-1][0]
    model.train()
    recipe.on_stage_start(model, stage)
    opts = recipe.make_optimizers(model, stage)
    crop = getattr(model, "train_settings", {}).get("crop") or recipe.crop
    batch = getattr(model, "train_settings", {}).get("batch") or recipe.batch
    g = torch.Generator().manual_seed(0)
    x = torch.rand(batch, 2, crop, crop, generator=g)
    return _median_time(lambda: recipe.train_step(model, {"ir": x[:, :1], "vi": x[:, 1:]}, opts, stage, 0),
                        repeats), dict(stage=stage, batch=batch, crop=crop)


def _cli_seconds(name, paths):
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "fusionbench", "fuse", "--method", name, "--ir", str(paths[0]),
                        "--vi", str(paths[1]), "--out", str(Path(tmp) / "f.png")], check=True,
                       capture_output=True)
        return time.perf_counter() - t


def main(argv=None):
    args = _args(argv)
    import numpy as np
    import torch
    paths, (ir, vi) = _sources()
    load_before = os.getloadavg()
    rows = []
    for name in args.methods.split(","):
        for config in args.configs.split(","):
            torch.set_num_threads(args.threads)
            m = _method(name, config)
            row = dict(method=name, config=config, threads=args.threads,
                       params=int(sum(p.numel() for p in m.model.parameters())))
            row["fuse_s"] = _median_time(lambda m=m: m.fuse_images(ir, vi), args.repeats)
            fused = m.fuse_images(ir, vi)
            torch.set_num_threads(1)
            row["thread_invariant"] = bool(np.array_equal(fused, m.fuse_images(ir, vi)))
            torch.set_num_threads(args.threads)
            if config == "small":
                row["cli_s"] = _cli_seconds(name, paths)
            row["train_step_s"], row["train_step"] = _train_step(name, config, args.repeats)
            rows.append(row)
            print(f"{name:10s} {config:5s} fuse {row['fuse_s']:7.3f} s"
                  + (f"  CLI {row['cli_s']:6.2f} s" if "cli_s" in row else " " * 15)
                  + f"  train step {row['train_step_s']:7.3f} s  thread-invariant {row['thread_invariant']}"
                  f"  params {row['params']}", flush=True)
    result = dict(kind="networks", when=time.strftime("%Y-%m-%dT%H:%M:%S"), pair="MSRS 00537D 480x640",
                  machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
                  torch=torch.__version__, load_average_before=load_before,
                  load_average_after=os.getloadavg(), rows=rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for p in (out / f"networks_{stamp}.json", out / "networks_latest.json"):
        p.write_text(json.dumps(result, indent=1) + "\n")
    print(f"load average before {load_before}, after {result['load_average_after']}; wrote {out}")


if __name__ == "__main__":
    main()
