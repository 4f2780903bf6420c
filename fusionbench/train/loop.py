"""The shared training loop: random crops, fixed seeds, CSV logs, checkpoints and resume."""

from __future__ import annotations

import csv
import importlib
import json
import os
import platform
import random
import time
from pathlib import Path

import numpy as np
import torch

from fusionbench.errors import UnknownNameError
from fusionbench.methods.networks.common import resolve_device
from fusionbench.train.data import CropSampler, default_roots, find_pairs
from fusionbench.train.weights import load_checkpoint


def get_recipe(method: str):
    """``fusionbench.methods.networks.<method>.RECIPE``."""
    from fusionbench.methods.networks import NETWORKS
    if method not in NETWORKS:
        raise UnknownNameError("network", method, NETWORKS)
    return importlib.import_module(f"fusionbench.methods.networks.{method}").RECIPE


def hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} thread(s)"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def split_steps(stages, steps: int) -> list:
    """Integer step counts per stage from the fractions (the last stage takes the remainder)."""
    counts, used = [], 0
    for i, (_, frac) in enumerate(stages):
        n = steps - used if i == len(stages) - 1 else int(round(frac * steps))
        counts.append(max(n, 0))
        used += counts[-1]
    return counts


def _set_lr(optimizers, factor):
    lr = None
    for opt in optimizers.values():
        for g in opt.param_groups:
            g.setdefault("initial_lr", g["lr"])
            g["lr"] = g["initial_lr"] * factor
            lr = g["lr"]
    return lr


class _CsvLog:
    """Append-only wide CSV, one file per stage; the header is fixed by the first row."""

    def __init__(self, path: Path):
        self.path, self.fields, self.fh, self.writer = path, None, None, None

    def write(self, row: dict):
        if self.writer is None:
            exists = self.path.exists() and self.path.stat().st_size > 0
            if exists:
                with open(self.path, newline="") as fh:
                    self.fields = next(csv.reader(fh))
            else:
                self.fields = list(row)
            self.fh = open(self.path, "a", newline="")
            self.writer = csv.DictWriter(self.fh, self.fields, extrasaction="ignore")
            if not exists:
                self.writer.writeheader()
        self.writer.writerow(row)

    def close(self):
        if self.fh:
            self.fh.close()
            self.fh, self.writer = None, None


def train(method: str, *, config: str = "small", ablation=None, steps=None, device=None, data=None,
          out="runs/train", resume: bool = False, seed: int = 0, crop=None, batch=None,
          ckpt_every: int = 100, progress: bool = True, recipe=None, lr=None) -> dict:
    """Train a reference network with its recipe.

    Parameters
    ----------
    method : str
        Network name (``s2fnet``, ``sspfusion``, ``smfnet``, ``msfe``); its package's ``RECIPE``
        is used unless ``recipe`` is given.
    config, ablation : str
        Configuration (``small`` / ``full``) and ablation name (None = the full model).
    steps : int, optional
        Total optimiser steps over all stages (default: ``recipe.default_steps[config]``).
    device : str, optional
        ``cpu``, ``cuda``, ``cuda:1``…; default CUDA when available.
    data : list of path, optional
        Dataset roots (``ir``/``vi`` folders or a ``train`` folder); default
        :func:`~fusionbench.train.data.default_roots` (RoadScene without ``roadscene50`` + the
        LLVIP/MSRS sample training splits). Test splits are refused.
    out : path
        Run folder: ``log_<stage>.csv``, ``checkpoint.pt`` + ``checkpoint.json``.
    resume : bool
        Continue from ``out/checkpoint.pt``.
    lr : float, optional
        Override the initial learning rate of every optimiser (all stages).

    Returns
    -------
    dict
        ``model`` (on ``device``, eval mode), ``final_losses`` (mean of each term over the last
        10 % of the final stage's steps), ``steps``, ``wall_s``, ``hardware``, ``data``, ``config``…
    """
    recipe = recipe or get_recipe(method)
    recipe.check(config, ablation)
    device = resolve_device(device)
    if device.type == "cpu":
        torch.set_flush_denormal(True)
    steps = int(steps if steps is not None else recipe.default_steps.get(config, 400))
    crop, batch = int(crop or recipe.crop), int(batch or recipe.batch)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sets = default_roots() if data is None else [(Path(r), None) for r in data]
    pairs = [p for r, stems in sets for p in find_pairs(r, stems)]
    roots = [Path(r) for r, _ in sets]
    splits = {str(r): len(stems) for r, stems in sets if stems is not None}
    loads = [os.getloadavg()[0]]  # 1-min load average: before the run, then every 50 steps

    seed_everything(seed)
    sampler = CropSampler(pairs, crop=crop, seed=seed)
    model = recipe.build_model(config, ablation).to(device)
    stages = recipe.stages_for(config, ablation)
    counts = split_steps(stages, steps)
    start_stage, start_step, wall0, opt_state = 0, 0, 0.0, None
    ckpt_path, meta_path = out / "checkpoint.pt", out / "checkpoint.json"
    if not resume:  # a fresh run never appends to the logs of an earlier run in the same folder
        for stale in [*out.glob("log_*.csv"), ckpt_path, meta_path]:
            stale.unlink(missing_ok=True)
    if resume and ckpt_path.exists():
        ck = load_checkpoint(ckpt_path)
        meta = json.loads(meta_path.read_text())
        model.load_state_dict(ck["model"])
        opt_state = ck["optimizers"]
        torch.set_rng_state(ck["torch_rng"])
        sampler.set_state(meta["sampler_state"])
        start_stage, start_step, wall0 = meta["stage_index"], meta["step"], meta["wall_s"]
        counts = meta["counts"]
        _truncate_logs(out, start_step)

    t0 = time.perf_counter() - wall0
    history: dict = {}
    stage_lr: dict = {}  # stage -> initial learning rate of each optimiser, as run
    global_step = start_step
    for si, (stage, _) in enumerate(stages):
        if si < start_stage:
            continue
        first = sum(counts[:si])
        n = counts[si]
        model.train()
        recipe.on_stage_start(model, stage)
        optimizers = recipe.make_optimizers(model, stage)
        if lr is not None:
            for opt in optimizers.values():
                for g in opt.param_groups:
                    g["lr"] = g["initial_lr"] = float(lr)
        stage_lr[stage] = {k: opt.param_groups[0]["initial_lr"] if "initial_lr" in opt.param_groups[0]
                           else opt.param_groups[0]["lr"] for k, opt in optimizers.items()}
        if opt_state is not None and si == start_stage:
            for k, opt in optimizers.items():
                if k in opt_state:
                    opt.load_state_dict(opt_state[k])
            opt_state = None
        log = _CsvLog(out / f"log_{stage}.csv")
        bar = range(global_step - first, n)
        if progress:
            from tqdm import tqdm
            bar = tqdm(bar, total=n, initial=global_step - first, desc=f"{method} {stage}",
                       dynamic_ncols=True)
        history = {}
        for k in bar:
            cur_lr = _set_lr(optimizers, recipe.lr_factor(stage, k / max(n, 1)))
            x = torch.from_numpy(sampler.sample(batch)).to(device)
            terms = recipe.train_step(model, {"ir": x[:, :1], "vi": x[:, 1:]}, optimizers, stage,
                                      global_step)
            terms = {t: float(v) for t, v in terms.items()}
            if not np.isfinite(terms.get("total", 0.0)):
                raise FloatingPointError(f"{method} {stage} step {global_step}: loss is {terms}")
            global_step += 1
            if global_step % 50 == 0:
                loads.append(os.getloadavg()[0])
            for t, v in terms.items():
                history.setdefault(t, []).append(v)
            log.write({"step": global_step, "wall_s": round(time.perf_counter() - t0, 3),
                       "lr": cur_lr, **terms})
            if progress:
                bar.set_postfix(total=f"{terms.get('total', float('nan')):.4f}")
            if global_step % ckpt_every == 0 or k == n - 1:
                log.fh.flush()
                done = k == n - 1  # a finished stage's optimisers are not carried over
                _save_checkpoint(ckpt_path, meta_path, model, {} if done else optimizers, sampler,
                                 si + done,
                                 global_step, time.perf_counter() - t0, counts,
                                 dict(method=method, config=config, ablation=ablation, seed=seed))
        log.close()
    wall = time.perf_counter() - t0
    tail = {t: float(np.mean(v[-max(1, len(v) // 10):])) for t, v in history.items()}
    model.eval()
    return dict(model=model, final_losses=tail, steps=steps, stage_steps=dict(
        zip([s for s, _ in stages], counts)), wall_s=round(wall, 1), hardware=hardware(device),
        device=str(device), data=[str(r) for r in roots], splits=splits, n_pairs=len(pairs),
        crop=crop, batch=batch,
        seed=seed, config=config, ablation=ablation, method=method, lr_override=lr,
        initial_lr=stage_lr,
        torch_version=torch.__version__, threads=torch.get_num_threads(),
        load_average=dict(before=round(loads[0], 2), mean=round(float(np.mean(loads)), 2),
                          max=round(max(loads), 2)))


def _save_checkpoint(ckpt_path, meta_path, model, optimizers, sampler, stage_index, step, wall,
                     counts, extra):
    tmp = ckpt_path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(),
                "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
                "torch_rng": torch.get_rng_state()}, tmp)
    tmp.replace(ckpt_path)
    meta = dict(extra, stage_index=stage_index, step=step, wall_s=wall, counts=counts,
                sampler_state=sampler.get_state())
    meta_path.write_text(json.dumps(meta, indent=1))


def _truncate_logs(out: Path, step: int) -> None:
    """Drop log rows written after the checkpoint a run resumes from."""
    for path in out.glob("log_*.csv"):
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh))
        if rows:
            keep = [rows[0]] + [r for r in rows[1:] if r and int(r[0]) <= step]
            with open(path, "w", newline="") as fh:
                csv.writer(fh).writerows(keep)
