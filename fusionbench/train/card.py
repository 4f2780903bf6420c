"""Model cards: metric means of bundled weights on tno42 / RoadScene-50 (profile ``cddfuse``)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from fusionbench.train.data import shared_root
from fusionbench.train.weights import WEIGHTS_DIR, read_meta, weights_stem

TABLE_METRICS = ("EN", "SD", "SF", "AG", "MI", "VIF", "Qabf", "SSIM", "SCD", "CC")
CHECK_PAIR = ("tno42", "05.png")  # small pair whose per-image values the tests reproduce

ROADSCENE50 = [f"FLIR_{n}.jpg" for n in (
    "00211 00977 01130 04269 04424 04484 04512 04593 04688 04722 04943 05005 05064 05105 05857 "
    "05879 05893 05914 05955 06282 06325 06392 06430 06506 06570 06795 06974 06993 06995 07190 "
    "07206 07209 07555 07732 07786 07809 07968 07970 08021 08058 08094 08202 08248 08284 08526 "
    "08592 08721 08858 09465").split()] + ["FLIR_video_02829.jpg"]


def eval_sets() -> dict:
    """name -> (ir_path, vi_path, key) lists: tno42, tno10 (its first 10), RoadScene-50 (+ first 20/10/5)."""
    data = shared_root() / "data"
    tno = sorted((data / "tno42" / "ir").glob("*.png"))
    rs = [(data / "roadscene" / "ir" / n, data / "roadscene" / "vi" / n, f"roadscene/{n}")
          for n in ROADSCENE50 if (data / "roadscene" / "ir" / n).exists()]
    return {"tno42": [(p, data / "tno42" / "vi" / p.name, f"tno42/{p.name}") for p in tno],
            "roadscene50": rs, "roadscene20": rs[:20], "roadscene10": rs[:10], "roadscene5": rs[:5],
            "tno10": [(p, data / "tno42" / "vi" / p.name, f"tno42/{p.name}") for p in tno[:10]]}


def average_fuse(ir_u8, vi_u8):
    """The ``average`` baseline ``(ir + vi) / 2`` on the luminance, visible colour reattached."""
    from fusionbench.colour import merge_fused, split_for_fusion
    a, b, cbcr = split_for_fusion(ir_u8, vi_u8)
    return merge_fused((a + b) / 2, cbcr)


def score_method(fuse_images, pairs, *, profile="cddfuse") -> dict:
    """Per-pair metric dicts: key -> {metric: value} for ``fuse_images(ir_u8, vi_u8) -> uint8``."""
    from fusionbench.imageio import read_image
    from fusionbench.metrics import compute
    out = {}
    for ir_p, vi_p, key in pairs:
        ir, vi = read_image(ir_p), read_image(vi_p)
        fused = fuse_images(ir, vi)
        out[key] = {k: float(v) for k, v in compute(fused, ir, vi, list(TABLE_METRICS), profile).items()}
    return out


def means(per_pair: dict) -> dict:
    return {m: float(np.mean([v[m] for v in per_pair.values()])) for m in TABLE_METRICS}


_BASELINE: dict = {}


def baseline_means(name: str, pairs) -> dict:
    if name not in _BASELINE:
        _BASELINE[name] = means(score_method(average_fuse, pairs))
    return _BASELINE[name]


def evaluate_weights(method: str, ablation=None, *, directory=WEIGHTS_DIR, device=None,
                     sets=("tno42", "roadscene50")) -> dict:
    """Fuse and score the evaluation sets with the weights in ``directory``; update the sidecar.

    Adds ``metrics`` (set -> metric means), ``baseline_average`` (means of ``(ir+vi)/2`` on the
    first TNO set, ``baseline_set``), ``beats_average`` (metrics where the network is better)
    and ``check_pair`` (the per-image values on :data:`CHECK_PAIR`, reproduced by the tests).
    """
    import importlib

    from fusionbench.metrics import CARDS
    pkg = importlib.import_module(f"fusionbench.methods.networks.{method}")
    m = pkg.load_method(ablation, device, directory=directory)
    all_sets = eval_sets()
    meta = read_meta(method, ablation, directory=directory)
    t0 = time.perf_counter()
    results = {}
    for s in sets:
        per = score_method(m.fuse_images, all_sets[s])
        results[s] = {"n_pairs": len(per), "means": means(per)}
        key = f"{CHECK_PAIR[0]}/{CHECK_PAIR[1]}"
        if key in per:
            meta["check_pair"] = {"pair": key, "metrics": per[key]}
    meta["metrics"] = results
    meta["metrics_profile"] = "cddfuse"
    tno = [s for s in sets if s.startswith("tno")]
    if tno:  # compare with the average baseline on the (first) TNO set
        base = baseline_means(tno[0], all_sets[tno[0]])
        meta["baseline_set"], meta["baseline_average"] = tno[0], base
        net = results[tno[0]]["means"]
        better = [k for k in TABLE_METRICS
                  if (net[k] > base[k]) == bool(CARDS[k].higher_is_better) and net[k] != base[k]]
        meta["beats_average"] = better
    meta["eval_wall_s"] = round(time.perf_counter() - t0, 1)
    stem = weights_stem(method, ablation)
    (Path(directory) / f"{stem}.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def meta_from_run(res: dict) -> dict:
    """The JSON-serialisable part of :func:`fusionbench.train.train`'s result."""
    keys = ("config", "steps", "stage_steps", "wall_s", "hardware", "device", "data", "n_pairs", "crop",
            "batch", "seed", "final_losses", "torch_version", "lr_override")
    meta = {k: res.get(k) for k in keys}
    meta["data"] = [str(Path(d).resolve().relative_to(shared_root().resolve()))
                    if Path(d).resolve().is_relative_to(shared_root().resolve()) else str(d)
                    for d in res["data"]]
    model = res["model"]
    meta["params_total"] = int(sum(p.numel() for p in model.parameters()))
    if hasattr(model, "inference_parameters"):
        meta["params_inference"] = int(model.inference_parameters())
    return meta


def _table(rows: dict, metrics=TABLE_METRICS) -> str:
    head = "| | " + " | ".join(metrics) + " |\n|---|" + "---|" * len(metrics) + "\n"
    return head + "".join(f"| {k} | " + " | ".join(f"{v[m]:.4f}" for m in metrics) + " |\n"
                          for k, v in rows.items())


def write_card(method: str, ablation=None, *, directory=WEIGHTS_DIR, notes: str = "") -> Path:
    """Render ``<stem>.md`` from the JSON sidecar."""
    meta = read_meta(method, ablation, directory=directory)
    stem = weights_stem(method, ablation)
    lines = [f"# Model card: {stem}", "",
             f"Network `{method}`, ablation `{ablation or 'full model'}`, config `{meta.get('config')}`. "
             "Trained by `fusionbench train` (shared loop, `fusionbench/train/`); architecture, losses and "
             "defaults per `specs/NETWORKS.md`. Weights: `" + stem + ".safetensors` (safetensors; "
             "config in the JSON sidecar).", "",
             "## Training", "",
             f"* data: {', '.join(meta.get('data', []))} ({meta.get('n_pairs')} training pairs; "
             f"random {meta.get('crop')}x{meta.get('crop')} crops, batch {meta.get('batch')}, "
             f"seed {meta.get('seed')})",
             f"* steps: {meta.get('steps')} ({meta.get('stage_steps')})",
             "* initial learning rate: " + (f"{meta['lr_override']} (override)" if meta.get("lr_override")
                                            else "the recipe's default for this config") + ", cosine decay",
             f"* wall time: {meta.get('wall_s')} s on {meta.get('hardware')} (torch {meta.get('torch_version')})",
             f"* parameters: {meta.get('params_total')} in total"
             + (f", {meta['params_inference']} used at inference" if "params_inference" in meta else ""),
             "* final losses (mean over the last 10 % of steps): "
             + ", ".join(f"{k} = {v:.4g}" for k, v in meta.get("final_losses", {}).items()), ""]
    if "metrics" in meta:
        rows = {f"{s} ({r['n_pairs']} pairs)": r["means"] for s, r in meta["metrics"].items()}
        bset = meta.get("baseline_set", "tno42")
        if "baseline_average" in meta:
            rows[f"average baseline, {bset}"] = meta["baseline_average"]
        better = meta.get("beats_average", [])
        verdict = "beats" if len(better) >= 6 else "does NOT beat"
        lines += ["## Metrics (profile `cddfuse`, means)", "", _table(rows),
                  f"On {bset} the network {verdict} the `average` baseline on at least 6 of the 10 "
                  f"metrics: better on {len(better)} ({', '.join(better) or 'none'}).", "",
                  f"Check pair for the tests: `{meta.get('check_pair', {}).get('pair')}` "
                  "(per-image values in the JSON sidecar).", ""]
    else:
        lines += ["## Metrics", "", "Not evaluated yet (`fusionbench train --evaluate`).", ""]
    if notes or meta.get("notes"):
        lines += ["## Notes", "", notes or meta["notes"], ""]
    path = Path(directory) / f"{stem}.md"
    path.write_text("\n".join(lines))
    return path
