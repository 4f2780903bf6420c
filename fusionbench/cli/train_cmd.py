"""`fusionbench train`: train a reference network with the shared training loop."""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub):
    p = sub.add_parser("train", help="train a reference fusion network (s2fnet, sspfusion, smfnet, msfe)")
    p.add_argument("--method", required=True, help="network name: s2fnet, sspfusion, smfnet or msfe")
    p.add_argument("--config", default="small", help="configuration (small or full; default small)")
    p.add_argument("--ablation", default=None, help="ablation name, e.g. no_sfe (default: full model)")
    p.add_argument("--steps", type=int, default=None, help="total optimiser steps (default: recipe's)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: cuda if available)")
    p.add_argument("--data", nargs="+", default=None, metavar="DIR",
                   help="dataset roots with ir/ and vi/ (default: RoadScene minus roadscene50 + LLVIP/MSRS "
                        "sample train splits; the bundled sample without ../shared)")
    p.add_argument("--out", default=None, help="run folder (default runs/<method>[__<ablation>][@seed<N>])")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed (default 0, the bundled models'); weights of seed N are saved as "
                        "NAME[__ABLATION]@seedN and addressed as NAME[:ABLATION]@seedN")
    p.add_argument("--crop", type=int, default=None, help="crop side (default 128)")
    p.add_argument("--batch", type=int, default=None, help="batch size (default 4)")
    p.add_argument("--lr", type=float, default=None, help="override the recipe's initial learning rate")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--install", action="store_true",
                   help="also write the weights into the package's weights folder")
    p.add_argument("--evaluate", action="store_true",
                   help="evaluate the trained model for its model card, as `fusionbench card make`")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def describe_default_data() -> str:
    """One line naming the default training data (the shared RoadScene split, or the bundled sample)."""
    from fusionbench.datasets.resolve import SAMPLE_ROOT
    from fusionbench.train.data import default_roots, find_pairs

    roots = default_roots()
    n = sum(len(find_pairs(root, stems)) for root, stems in roots)
    if all(SAMPLE_ROOT in Path(root).parents for root, _ in roots):
        return (f"the bundled sample's training splits ({n} pairs: LLVIP and MSRS train; a smoke-test "
                "amount); pass --data DIR for real training data")
    return f"{n} pairs from " + ", ".join(str(root) for root, _ in roots)


def run(args):
    from pathlib import Path

    from fusionbench.errors import require_torch
    torch = require_torch("fusionbench train")
    from fusionbench.methods.base import seed_suffix
    from fusionbench.train import WEIGHTS_DIR, save_weights, train, weights_stem
    from fusionbench.train.card import copy_card, make_card, meta_from_run, write_card

    if args.threads:
        torch.set_num_threads(args.threads)
    key = ((args.ablation or "") + seed_suffix(args.seed)) or None  # weights of seed N != 0: NAME@seedN
    out = Path(args.out or f"runs/{weights_stem(args.method, key)}")
    if args.data is None:
        print(f"training data: {describe_default_data()}", file=sys.stderr)
    res = train(args.method, config=args.config, ablation=args.ablation, steps=args.steps,
                device=args.device, data=args.data, out=out, resume=args.resume, seed=args.seed,
                crop=args.crop, batch=args.batch, progress=not args.no_progress, lr=args.lr)
    meta = meta_from_run(res)
    dirs = [out] + ([WEIGHTS_DIR] if args.install else [])
    for d in dirs:
        path = save_weights(res["model"], args.method, key, meta=meta, directory=d)
        print(f"weights: {path}")
    if args.evaluate:  # as `fusionbench card make`, then the same card for the same weights elsewhere
        name = weights_stem(args.method, key).replace("__", ":")
        card = make_card(name, directory=out, device=args.device, progress=not args.no_progress)
        for d in dirs[1:]:
            copy_card(args.method, key, out, d)
        cards = [Path(d) / card.name for d in dirs]
    else:
        cards = [write_card(args.method, key, directory=d) for d in dirs]
    for card in cards:
        print(f"model card: {card}")
    losses = ", ".join(f"{k}={v:.4g}" for k, v in res["final_losses"].items())
    print(f"trained {res['steps']} steps in {res['wall_s']} s on {res['hardware']}; final: {losses}")
    return 0
