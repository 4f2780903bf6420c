"""Train, bundle, evaluate and card one SMFNet / MSFE variant (used to make the shipped weights).

``python -m fusionbench.methods.networks.smfnet.bundle --method smfnet [--ablation NAME]
--steps N --crop C --batch B [--subset]`` trains with the shared loop (one CPU thread), writes
``weights/<stem>.safetensors`` + JSON sidecar, scores tno42 and RoadScene-50 under profile
``cddfuse`` (``--subset``: every 4th tno42 pair from 01 and every 5th RoadScene-50 pair, to
save CPU time) and renders the model card.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

TNO_STRIDE, ROAD_STRIDE = 4, 5


def evaluate_subset(method, ablation=None, *, directory=None, device=None) -> dict:
    """Like :func:`fusionbench.train.card.evaluate_weights` on a systematic subset (baseline likewise)."""
    import importlib

    from fusionbench.metrics import CARDS
    from fusionbench.train.card import CHECK_PAIR, TABLE_METRICS, average_fuse, eval_sets, means, score_method
    from fusionbench.train.weights import WEIGHTS_DIR, read_meta, weights_stem
    directory = directory or WEIGHTS_DIR
    m = importlib.import_module(f"fusionbench.methods.networks.{method}").load_method(
        ablation, device, directory=directory)
    sets = eval_sets()
    subsets = {f"tno42_every{TNO_STRIDE}": sets["tno42"][::TNO_STRIDE],
               f"roadscene50_every{ROAD_STRIDE}": sets["roadscene50"][::ROAD_STRIDE]}
    meta = read_meta(method, ablation, directory=directory)
    t0 = time.perf_counter()
    results, tno_name = {}, f"tno42_every{TNO_STRIDE}"
    for s, pairs in subsets.items():
        per = score_method(m.fuse_images, pairs)
        results[s] = {"n_pairs": len(per), "means": means(per), "pairs": [k for *_, k in pairs]}
        key = f"{CHECK_PAIR[0]}/{CHECK_PAIR[1]}"
        if key in per:
            meta["check_pair"] = {"pair": key, "metrics": per[key]}
    meta["metrics"] = results
    meta["metrics_profile"] = "cddfuse"
    base = means(score_method(average_fuse, subsets[tno_name]))
    meta["baseline_average_tno42"] = base
    meta["baseline_average_note"] = f"average baseline on the same {tno_name} subset"
    net = results[tno_name]["means"]
    meta["beats_average_tno42"] = [k for k in TABLE_METRICS
                                   if (net[k] > base[k]) == bool(CARDS[k].higher_is_better) and net[k] != base[k]]
    meta["eval_wall_s"] = round(time.perf_counter() - t0, 1)
    (Path(directory) / f"{weights_stem(method, ablation)}.json").write_text(
        json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", required=True, choices=("smfnet", "msfe"))
    ap.add_argument("--ablation", default=None)
    ap.add_argument("--config", default="small")
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--crop", type=int, default=None)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--subset", action="store_true")
    ap.add_argument("--notes", default="")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    from fusionbench.train import WEIGHTS_DIR, save_weights, train, weights_stem
    from fusionbench.train.card import evaluate_weights, meta_from_run, write_card
    res = train(a.method, config=a.config, ablation=a.ablation, steps=a.steps, device="cpu",
                out=f"runs/{weights_stem(a.method, a.ablation)}", crop=a.crop, batch=a.batch, progress=False)
    meta = meta_from_run(res)
    meta["config_values"] = dict(res["model"].cfg)
    meta["notes"] = a.notes
    save_weights(res["model"], a.method, a.ablation, meta=meta, directory=WEIGHTS_DIR)
    print("trained", res["steps"], "steps in", res["wall_s"], "s;", res["final_losses"], flush=True)
    if a.subset:
        evaluate_subset(a.method, a.ablation, device="cpu")
    else:
        evaluate_weights(a.method, a.ablation, device="cpu")
    print("card:", write_card(a.method, a.ablation), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
