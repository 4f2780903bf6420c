"""Model cards of trained weights, from one path: :mod:`fusionbench.runner`, the engine of
``fusionbench evaluate``.

A card holds the metric means of a network and of the ``average`` baseline on the full tno42 and
RoadScene-50 sets (profile ``cddfuse``, the ten IVIF metrics), the metrics on which the network beats
``average`` on tno42, the per-image values of :data:`CHECK_PAIR` (reproduced by the tests) and a
montage of fused examples. ``fusionbench card make NAME`` writes it (JSON sidecar, Markdown card,
montage PNG); ``fusionbench card verify NAME`` recomputes every number and lists the differences.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

from fusionbench.errors import FusionBenchError, InputError
from fusionbench.metrics.profiles import PROFILES
from fusionbench.train.data import shared_root
from fusionbench.train.weights import WEIGHTS_DIR, read_meta, weights_stem

PROFILE = "cddfuse"
TABLE_METRICS = PROFILES[PROFILE].table  # the ten IVIF metrics, from the metric registry's profile
CARD_SETS = {"tno42": 42, "roadscene50": 50}  # evaluation set -> its number of pairs
BASELINE = "average"
VERDICT_SET = "tno42"  # the set on which "better than average on N of 10" is counted
CHECK_PAIR = ("tno42", "05.png")  # small pair whose per-image values the tests reproduce
MONTAGE_PAIRS = (("tno42", "07"), ("roadscene50", "FLIR_00211"))
MONTAGE_BASELINES = ("average", "gff")
TILE_WIDTH = 240
RTOL = {"network": 1e-4, "baseline": 1e-7}  # float32 inference differs slightly across CPUs
EVALUATION_KEYS = ("metrics_profile", "weights_sha256", "metrics", "baselines", "beats_average", "check_pair")
_OLD_KEYS = ("baseline_average", "baseline_set")  # written by the per-card scoring loop this replaced


def split_name(name: str):
    """``"sspfusion:no_sfe"`` -> ``("sspfusion", "no_sfe")``; only the trained networks have cards."""
    from fusionbench.methods.base import seed_suffix, split_seed
    from fusionbench.methods.networks import NETWORKS
    from fusionbench.methods.registry import canonical_name
    spec, seed = split_seed(canonical_name(name))
    method, _, ablation = spec.partition(":")
    ablation = (ablation + seed_suffix(seed)) or None
    if method not in NETWORKS:
        raise InputError(name, f"model cards are made for the trained networks ({', '.join(NETWORKS)})")
    return method, ablation


def _label(method: str, ablation=None) -> str:
    """``sspfusion``, ``sspfusion:no_sfe``, ``sspfusion@seed1``, ``sspfusion:no_sfe@seed1``."""
    from fusionbench.methods.base import seed_suffix, split_seed
    ablation, seed = split_seed(ablation)
    base = method if ablation in (None, "", "full") else f"{method}:{ablation}"
    return base + seed_suffix(seed)


def _variant_words(ablation) -> str:
    """``ablation `no_sfe`, seed 1`` / ``full model`` for a card's first line."""
    from fusionbench.methods.base import split_seed
    ablation, seed = split_seed(ablation)
    words = f"ablation `{ablation}`" if ablation else "full model"
    return words + (f", trained with seed {seed} (the bundled model: seed 0)" if seed else "")


def card_datasets() -> dict:
    """Evaluation set name -> resolved :class:`fusionbench.datasets.Dataset`, complete.

    The sets are read from ``<shared>/data`` (``$FUSIONBENCH_SHARED`` or ``../shared``), never from
    the bundled sample; a missing or incomplete set raises :class:`InputError`.
    """
    from fusionbench.datasets import resolve_dataset
    root = shared_root() / "data"
    out = {}
    for name, n in CARD_SETS.items():
        try:
            ds = resolve_dataset(name, data_root_dir=root)
        except FusionBenchError as exc:
            raise InputError(name, f"model cards are evaluated on the full {name} set ({n} pairs), which "
                                   f"was not found under {root} (set FUSIONBENCH_SHARED): {exc}") from None
        if len(ds.pairs) != n or ds.problems:
            raise InputError(name, f"model cards need all {n} pairs of {name}; {ds.root} has "
                                   f"{len(ds.pairs)} usable")
        out[name] = ds
    return out


def card_numbers(name: str, *, directory=WEIGHTS_DIR, device=None, store=None, executor="local", jobs=None,
                 progress=False) -> dict:
    """The evaluation part of a model card, computed by :func:`fusionbench.runner.evaluate`.

    Parameters
    ----------
    name : str
        Network, ``NAME`` or ``NAME:ABLATION``; its weights are read from ``directory``.
    store, executor, jobs, device, progress
        As in :func:`fusionbench.runner.evaluate` (``store=None``: the default result store, whose
        cached fused images and scores are reused).

    Returns
    -------
    dict
        ``metrics_profile``; ``weights_sha256`` (of the weights that made the numbers); ``metrics``
        (set -> ``{"n_pairs", "means"}``) of the network; ``baselines`` (``{"average": {set -> ...}}``);
        ``beats_average`` (metrics of :data:`VERDICT_SET` where the network is better, in table
        order); ``check_pair`` (``{"pair", "metrics"}``, per-image values of :data:`CHECK_PAIR`).
    """
    from fusionbench.metrics import CARDS
    from fusionbench.runner import evaluate
    label = _label(*split_name(name))
    sets = card_datasets()
    res = evaluate(list(sets.values()), [BASELINE, label], profile=PROFILE, metrics=list(TABLE_METRICS),
                   store=store, device=device, executor=executor, jobs=jobs, progress=progress,
                   weights_dir=directory)
    if res.problems:
        raise InputError(label, "not every card pair could be scored: " + "; ".join(map(str, res.problems)))
    summary = res.summary()

    def means(method):
        out = {}
        for s, ds in sets.items():
            rows = summary[(summary.method == method) & (summary.dataset == ds.label)]
            out[s] = {"n_pairs": len(ds.pairs), "means": {r.metric: float(r.mean) for r in rows.itertuples()}}
        return out

    net, base = means(label), means(BASELINE)
    a, b = net[VERDICT_SET]["means"], base[VERDICT_SET]["means"]
    better = [m for m in TABLE_METRICS if a[m] != b[m] and (a[m] > b[m]) == bool(CARDS[m].higher_is_better)]
    out = {"metrics_profile": PROFILE, "metrics": net, "baselines": {BASELINE: base}, "beats_average": better}
    weights = {r["weights"] for r in res.records if r["method"] == label}
    out["weights_sha256"] = weights.pop() if len(weights) == 1 else None
    check_set, check_file = CHECK_PAIR
    check = {r["metric"]: r["value"] for r in res.records if r["method"] == label
             and r["dataset"] == sets[check_set].label and r["image"] == Path(check_file).stem}
    if check:
        out["check_pair"] = {"pair": f"{check_set}/{check_file}", "metrics": check}
    return out


def evaluate_weights(method: str, ablation=None, *, directory=WEIGHTS_DIR, **kwargs) -> dict:
    """Compute :func:`card_numbers` for the weights in ``directory`` and write them into the sidecar.

    ``kwargs`` go to :func:`card_numbers`. Returns the updated sidecar.
    """
    t0 = time.perf_counter()
    numbers = card_numbers(_label(method, ablation), directory=directory, **kwargs)
    meta = read_meta(method, ablation, directory=directory)
    for key in _OLD_KEYS + EVALUATION_KEYS:
        meta.pop(key, None)
    meta.update(numbers, eval_wall_s=round(time.perf_counter() - t0, 1))
    path = Path(directory) / f"{weights_stem(method, ablation)}.json"
    path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def _tile(image, title: str):
    """Luminance of ``image`` scaled to :data:`TILE_WIDTH` wide, under a caption band."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from fusionbench.colour import luminance
    y = np.round(luminance(image) * 255.0).astype(np.uint8)
    img = Image.fromarray(y)
    img = img.resize((TILE_WIDTH, max(1, round(img.height * TILE_WIDTH / img.width))), Image.LANCZOS)
    band = 20
    tile = Image.new("L", (TILE_WIDTH, img.height + band), 255)
    tile.paste(img, (0, band))
    ImageDraw.Draw(tile).text((4, 3), title, fill=0, font=ImageFont.load_default(size=13))
    return tile


def montage_path(method: str, ablation=None, *, directory=WEIGHTS_DIR) -> Path:
    return Path(directory) / f"{weights_stem(method, ablation)}_montage.png"


def write_montage(method: str, ablation=None, *, directory=WEIGHTS_DIR, device=None) -> Path:
    """``<stem>_montage.png``: rows :data:`MONTAGE_PAIRS`, columns IR, visible, the
    :data:`MONTAGE_BASELINES` and the network (luminance, tiles :data:`TILE_WIDTH` px wide)."""
    from PIL import Image

    from fusionbench.imageio import read_image
    from fusionbench.methods import get_method
    label = _label(method, ablation)
    methods = [get_method(m) for m in MONTAGE_BASELINES]
    methods.append(get_method(label, device=device, weights_dir=directory))
    sets = card_datasets()
    rows = []
    for set_name, stem in MONTAGE_PAIRS:
        pair = next((p for p in sets[set_name].pairs if p.name == stem), None)
        if pair is None:
            raise InputError(set_name, f"montage pair {stem} not found in {sets[set_name].root}")
        ir, vi = read_image(pair.ir), read_image(pair.vi)
        images = [ir, vi] + [m.fuse_images(ir, vi) for m in methods]
        titles = [f"IR, {set_name}/{stem}", "visible"] + [m.name for m in methods]
        rows.append([_tile(img, t) for img, t in zip(images, titles)])
    gap = 4
    width = len(rows[0]) * (TILE_WIDTH + gap) - gap
    canvas = Image.new("L", (width, sum(r[0].height + gap for r in rows) - gap), 255)
    top = 0
    for row in rows:
        for i, tile in enumerate(row):
            canvas.paste(tile, (i * (TILE_WIDTH + gap), top))
        top += row[0].height + gap
    path = montage_path(method, ablation, directory=directory)
    canvas.save(path, optimize=True)
    return path


def measure_cost(name: str, *, directory=WEIGHTS_DIR, device=None) -> Path:
    """Parameters, FLOPs and run time (:func:`fusionbench.methods.cost.method_cost`) into the sidecar's
    ``cost`` and the re-rendered card (machine-dependent: not part of ``card verify``)."""
    import os
    import platform

    from fusionbench.methods.cost import method_cost
    method, ablation = split_name(name)
    rows = method_cost(_label(method, ablation), device=device, weights_dir=directory)
    meta = read_meta(method, ablation, directory=directory)
    meta["cost"] = {"rows": rows, "machine": f"{platform.machine()} CPU" if device in (None, "cpu") else device,
                    "load_average": round(os.getloadavg()[0], 2)}
    path = Path(directory) / f"{weights_stem(method, ablation)}.json"
    path.write_text(json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n")
    return write_card(method, ablation, directory=directory)


def make_card(name: str, *, directory=WEIGHTS_DIR, device=None, **kwargs) -> Path:
    """Evaluate the weights of ``name`` in ``directory`` (:func:`evaluate_weights`), write the
    montage and render the Markdown card; returns the card's path. ``kwargs`` go to :func:`card_numbers`."""
    method, ablation = split_name(name)
    evaluate_weights(method, ablation, directory=directory, device=device, **kwargs)
    write_montage(method, ablation, directory=directory, device=device)
    return write_card(method, ablation, directory=directory)


def compare(card: dict, now: dict, *, path: str = "") -> tuple:
    """``(number of values compared, differences)`` between two card evaluations.

    Numbers under ``baselines`` must agree within ``RTOL["baseline"]``, all others within
    ``RTOL["network"]`` (relative); anything else must be equal. Each difference is one line.
    """
    if isinstance(card, dict) and isinstance(now, dict):
        count, diffs = 0, []
        for key in sorted(set(card) | set(now), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in now or key not in card:
                diffs.append(f"{where}: {'only in the card' if key in card else 'missing from the card'}")
                continue
            n, d = compare(card[key], now[key], path=where)
            count, diffs = count + n, diffs + d
        return count, diffs
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (card, now))
    if numbers:
        rtol = RTOL["baseline" if path.startswith("baselines") else "network"]
        same = (math.isnan(card) and math.isnan(now)) or math.isclose(card, now, rel_tol=rtol, abs_tol=1e-12)
        rel = abs(card - now) / max(abs(card), abs(now), 1e-300)
        return 1, [] if same else [f"{path}: card {card!r}, now {now!r} (relative difference {rel:.2e})"]
    return 1, [] if card == now else [f"{path}: card {card!r}, now {now!r}"]


def verify_card(name: str, *, directory=WEIGHTS_DIR, store=":memory:", **kwargs) -> tuple:
    """Recompute the card of ``name`` and compare it with its sidecar; writes nothing into ``directory``.

    ``store=":memory:"`` (default) fuses and scores everything afresh; ``kwargs`` go to
    :func:`card_numbers`. Returns ``(number of values compared, differences)`` as :func:`compare`.
    """
    method, ablation = split_name(name)
    meta = read_meta(method, ablation, directory=directory)
    if "baselines" not in meta:
        return 0, [f"{weights_stem(method, ablation)}.json in {directory}: no card evaluation "
                   f"(run `fusionbench card make {_label(method, ablation)}`)"]
    now = card_numbers(_label(method, ablation), directory=directory, store=store, **kwargs)
    return compare({k: meta[k] for k in EVALUATION_KEYS if k in meta}, now)


def copy_card(method: str, ablation, source, target) -> None:
    """Copy the sidecar, montage and Markdown card of one set of weights to another folder."""
    stem = weights_stem(method, ablation)
    for suffix in (".json", "_montage.png", ".md"):
        if (Path(source) / f"{stem}{suffix}").exists():
            shutil.copyfile(Path(source) / f"{stem}{suffix}", Path(target) / f"{stem}{suffix}")


def _rel(path) -> str:
    """A data path relative to the shared folder where it lies inside it."""
    p, root = Path(path).resolve(), shared_root().resolve()
    return str(p.relative_to(root)) if p.is_relative_to(root) else str(path)


def meta_from_run(res: dict) -> dict:
    """The JSON-serialisable part of :func:`fusionbench.train.train`'s result."""
    keys = ("config", "steps", "stage_steps", "wall_s", "hardware", "device", "data", "n_pairs", "crop",
            "batch", "seed", "final_losses", "torch_version", "lr_override", "threads", "load_average",
            "initial_lr")
    meta = {k: res.get(k) for k in keys}
    meta["data"] = [_rel(d) for d in res["data"]]
    meta["splits"] = {_rel(k): v for k, v in (res.get("splits") or {}).items()}
    model = res["model"]
    meta["params_total"] = int(sum(p.numel() for p in model.parameters()))
    if hasattr(model, "inference_parameters"):
        meta["params_inference"] = int(model.inference_parameters())
    return meta


def _table(rows: dict, metrics=TABLE_METRICS) -> str:
    head = "| | " + " | ".join(metrics) + " |\n|---|" + "---|" * len(metrics) + "\n"
    return head + "".join(f"| {k} | " + " | ".join(f"{v[m]:.4f}" for m in metrics) + " |\n"
                          for k, v in rows.items())


def _metrics_section(meta: dict, label: str, stem: str, montage: bool) -> list:
    if "baselines" not in meta:
        return ["## Metrics", "", f"Not evaluated yet (`fusionbench card make {label}`).", ""]
    rows, order = {}, list(CARD_SETS)
    for s in sorted(meta["metrics"], key=lambda s: order.index(s) if s in order else len(order)):
        r = meta["metrics"][s]
        rows[f"{label}, {s} ({r['n_pairs']} pairs)"] = r["means"]
        for base, per_set in meta["baselines"].items():
            rows[f"{base}, {s} ({per_set[s]['n_pairs']} pairs)"] = per_set[s]["means"]
    better = meta["beats_average"]
    goal = ("meets the goal of at least 8" if len(better) >= 8 else "meets the floor of 7, short of the goal of 8"
            if len(better) == 7 else "does NOT reach the floor of 7")
    lines = ["## Metrics", "",
             f"Means under profile `{meta['metrics_profile']}` over the full sets, computed by "
             "`fusionbench.runner` (the engine of `fusionbench evaluate`), the `average` baseline the same "
             f"way on the same pairs. `fusionbench card verify {label}` recomputes every number.", "",
             _table(rows),
             f"Better than `average` on {VERDICT_SET} on {len(better)} of {len(TABLE_METRICS)} metrics "
             f"({', '.join(better) or 'none'}): it {goal} (issue #12's bar for a reference network).",
             ""]
    if "check_pair" in meta:
        lines += [f"Check pair for the tests: `{meta['check_pair']['pair']}` (per-image values in the JSON "
                  "sidecar).", ""]
    if montage:
        lines += [f"![IR, visible, {', '.join(MONTAGE_BASELINES)} and {label}]({stem}_montage.png)", ""]
    return lines


def write_card(method: str, ablation=None, *, directory=WEIGHTS_DIR, notes: str = "") -> Path:
    """Render ``<stem>.md`` from the JSON sidecar (linking the montage when there is one).

    The card has a Cost section only when the sidecar has a ``cost`` block (written by
    :func:`measure_cost`, ``fusionbench card cost NAME``). ``fusionbench train`` writes a fresh sidecar
    without one: the run time was measured on other weights, so it is dropped rather than carried
    over, and this prints (stderr) the command that measures it again."""
    meta = read_meta(method, ablation, directory=directory)
    stem = weights_stem(method, ablation)
    montage = montage_path(method, ablation, directory=directory).exists()
    lines = [f"# Model card: {stem}", "",
             f"Network `{method}`, {_variant_words(ablation)}, config `{meta.get('config')}`. "
             "Trained by `fusionbench train` (shared loop, `fusionbench/train/`); architecture, losses and "
             "defaults per `specs/NETWORKS.md`. Weights: `" + stem + ".safetensors` (safetensors; "
             "config in the JSON sidecar).", "",
             "## Training", "",
             f"* data: {', '.join(meta.get('data', []))} ({meta.get('n_pairs')} training pairs; "
             f"random {meta.get('crop')}x{meta.get('crop')} crops, batch {meta.get('batch')}, "
             f"seed {meta.get('seed')})",
             f"* steps: {meta.get('steps')} ({meta.get('stage_steps')})",
             "* initial learning rate per stage and optimiser, as run: "
             + (json.dumps(meta["initial_lr"]) if meta.get("initial_lr") else "not recorded")
             + (" (--lr override)" if meta.get("lr_override") else "") + "; cosine decay within each stage",
             "* load average (1 min) before / mean / max during the run: "
             + ("{before} / {mean} / {max}".format(**meta["load_average"]) if meta.get("load_average")
                else "not recorded") + f", {meta.get('threads', '?')} torch thread(s)",
             f"* wall time: {meta.get('wall_s')} s on {meta.get('hardware')} (torch {meta.get('torch_version')})",
             f"* parameters: {meta.get('params_total')} in total"
             + (f", {meta['params_inference']} used at inference" if "params_inference" in meta else ""),
             "* final losses (mean over the last 10 % of steps): "
             + ", ".join(f"{k} = {v:.4g}" for k, v in meta.get("final_losses", {}).items()), ""]
    lines += _metrics_section(meta, _label(method, ablation), stem, montage)
    if meta.get("cost"):
        from fusionbench.methods.cost import cost_markdown
        c = meta["cost"]
        lines += ["## Cost", "", "Parameters; FLOPs of one forward pass (`torch.utils.flop_counter`, a multiply-add "
                  "= 2 FLOPs); median run time of one fuse call, measured by `fusionbench card cost "
                  f"{_label(method, ablation)}` on {c.get('machine', 'this machine')} (load average "
                  f"{c.get('load_average')}).", "", cost_markdown(c["rows"]).rstrip(), ""]
    else:  # a fresh sidecar (`fusionbench train`) has none: its run time was measured on other weights
        import sys
        print(f"{weights_stem(method, ablation)}: no Cost section: run `fusionbench card cost "
              f"{_label(method, ablation)}`", file=sys.stderr)
    if notes or meta.get("notes"):
        lines += ["## Notes", "", notes or meta["notes"], ""]
    path = Path(directory) / f"{stem}.md"
    path.write_text("\n".join(lines))
    return path
