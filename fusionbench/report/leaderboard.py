"""Leaderboards: committed per-image values of every method fusionbench can score on a dataset.

Layout: ``leaderboards/<dataset>/<profile>/`` holds

* ``leaderboard.json`` - metadata: dataset, profile and options, metrics, entries (how each
  method's fused images are obtained), per-metric tolerances, the CI scope, versions;
* ``per_image.csv`` - long format (dataset, method, image, profile, metric, value);
* ``means.csv`` - mean, std and n per method and metric;
* ``provenance.csv`` - per method and image: profile, options, metric version, backend and its class,
  weights digest, source and pixel digests of the stored values;
* ``README.md`` + ``radar.png`` - the rendered page.

:func:`update` regenerates a board with :func:`fusionbench.runner.evaluate` and a result store (the
engine of ``fusionbench evaluate``: values are reused only where they are the same numbers) and writes
``provenance.csv`` (what made each method's values on each image); :func:`check` recomputes the values
independently of the store and reports every value that drifts beyond its tolerance. Sources are
read from the shared data folder (``$FUSIONBENCH_SHARED`` or ``../shared`` next to the repository);
without it only entries whose sources are in the bundled sample (the baselines, on the sample's
images) are checked.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fusionbench.errors import FusionBenchError, InputError

DEFAULT_TOL = {"rel": 1e-6, "abs": 1e-9}
# Network entries are re-fused at check time. float32 convolutions round differently on other
# CPU instruction sets (AVX2 vs AVX-512 kernels), which flips a few uint8 output pixels and
# moves a metric by ~1e-6..1e-5 relative (msfe, TNO 15: MI 5e-6 between an AMD Zen 4 and an
# Intel VM). Metric regressions are caught at DEFAULT_TOL by the fixed-image entries; this
# looser bound still catches any change of a network's code or weights.
NETWORK_TOL = {"rel": 1e-4, "abs": 1e-6}
CHEAP_METRICS = ("EN", "SD", "SF", "AG")
BASELINE_NAMES = ("average", "max", "laplacian", "gff")
NETWORK_NAMES = ("s2fnet", "sspfusion", "smfnet", "msfe")
FLOAT_FORMAT = "%.15g"


# ------------------------------------------------------------------ board definitions

@dataclass
class BoardSpec:
    """How to build one leaderboard. Paths are relative to the shared data root."""

    dataset: str
    profile: str
    source: str  # dataset folder (relative to the shared root)
    sample: str | None  # folder of the bundled sample holding some of the same pairs
    fused: str  # "folders:<dir>" (one sub-folder per method) or "pattern:<glob with {image}_>"
    metrics: tuple | None = None  # None = the profile's default table
    title: str = ""
    notes: str = ""
    ci_images_per_entry: int = 1
    tolerance: dict = field(default_factory=dict)
    compare_subset: str | None = None  # image list matching the papers' test set (datasets.SUBSETS)
    variants: dict = field(default_factory=dict)  # label -> option overrides tried vs the papers


BOARDS = {
    ("tno42", "cddfuse"): BoardSpec(
        "tno42", "cddfuse", "data/tno42", "tno", "folders:data/tno42/fused",
        title="TNO-42 under the CDDFuse evaluator convention (profile cddfuse)",
        notes="Fused images of 9 methods from Linfeng-Tang/Image-Fusion (see shared "
              "data/README.md); PMGI's two stray files 43/44 have no source pair and are not scored.",
        compare_subset="tno25",
        variants={"cddfuse+ag_half=false": {"ag_half": False},
                  "cddfuse+ssim_data_range=255": {"ssim_data_range": 255},
                  "cddfuse+mi_base=2": {"mi_base": "2"}}),
    ("tno42", "tang2022"): BoardSpec(
        "tno42", "tang2022", "data/tno42", "tno", "folders:data/tno42/fused",
        title="TNO-42 under Tang's 2022 MATLAB convention (profile tang2022)",
        notes="SD and SF follow the 2022 uint8 / [0,1] quirks (SD <= 15.97, SF ~ SF/255); these "
              "values reproduce the MATLAB output in data/tno42/published_metrics.",
        compare_subset="tno25"),
    ("vifb", "vifb"): BoardSpec(
        "vifb", "vifb", "data/vifb", "vifb", "pattern:data/vifb/fused",
        title="VIFB (21 pairs) under the VIFB convention (profile vifb, per-channel RGB)",
        notes="The 25 methods' fused JPEGs shipped with VIFB (file <image>_<method>.jpg, split at "
              "the first underscore). Baselines are scored on their uint8 output directly (no JPEG). "
              "Against VIFB's published per-image values (data/vifb/published_metrics) 23 of the "
              "25 methods agree within 2e-4 relative on all 13 metrics; SwinFusion and YDTR differ "
              "by up to 6 % (348 of 6,825 values): VIFB's published values for these two were computed "
              "from differently encoded JPEGs than the files in its repository (even EN/SD of the "
              "fused image alone differ; see tests/test_metrics_parity.py)."),
}


def shared_root(leaderboards_dir=None):
    """``$FUSIONBENCH_SHARED``, else ``<repo>/../shared`` (repo = parent of the leaderboards)."""
    env = os.environ.get("FUSIONBENCH_SHARED")
    if env:
        return Path(env)
    base = Path(leaderboards_dir).resolve().parent if leaderboards_dir else Path.cwd()
    return base.parent / "shared"


def sample_root():
    from fusionbench.datasets.resolve import SAMPLE_ROOT
    return Path(SAMPLE_ROOT)


# ------------------------------------------------------------------ entries and scoring

def _fused_entries(spec: BoardSpec, root: Path) -> list:
    kind, rel = spec.fused.split(":", 1)
    folder = root / rel
    if not folder.is_dir():
        return []
    if kind == "folders":
        return [{"method": d.name, "kind": "fused_folder", "fused": f"{rel}/{d.name}"}
                for d in sorted(folder.iterdir()) if d.is_dir()]
    methods = sorted({p.stem.split("_", 1)[1] for p in folder.iterdir()
                      if p.is_file() and "_" in p.stem})
    return [{"method": m, "kind": "fused_pattern", "fused": f"{rel}/{{image}}_{m}"}
            for m in methods]


def _method_entries(names, kind) -> tuple:
    from fusionbench.methods import get_method
    entries, skipped = [], {}
    for name in names:
        variants = [name]
        if kind == "network":
            try:
                import importlib
                mod = importlib.import_module(f"fusionbench.methods.networks.{name}")
                variants += [f"{name}:{a}" for a in getattr(mod, "ABLATIONS", ())]
            except Exception as exc:  # noqa: BLE001 - any failure means "cannot score here"
                skipped[name] = _short(exc)
                continue
        for v in variants:
            try:
                get_method(v)
            except Exception as exc:  # noqa: BLE001
                skipped[v] = _short(exc)
                continue
            entry = {"method": v, "kind": kind}
            if kind == "network":
                entry["weights_sha256"] = weights_digest(v)
            entries.append(entry)
    return entries, skipped


def weights_digest(method: str):
    """sha256 of a network variant's weights file (``networks/weights/<name>[__<ablation>]``)."""
    from fusionbench.train.weights import file_digest, weights_path
    name, _, ablation = method.partition(":")
    path = weights_path(name, ablation or None)
    return file_digest(path) if path.is_file() else None


def _strip_paths(text: str) -> str:
    """Drop the machine-specific checkout prefix from a message."""
    import fusionbench
    repo = str(Path(fusionbench.__file__).resolve().parent.parent) + os.sep
    return str(text).replace(repo, "")


def _short(exc) -> str:
    """One-line reason without machine-specific absolute paths."""
    text = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}" if str(exc) else type(exc).__name__
    return _strip_paths(text)


def _fused_file(entry, image, root: Path):
    if entry["kind"] == "fused_folder":
        from fusionbench.datasets.layout import fused_by_stem
        folder = root / entry["fused"]
        return fused_by_stem(folder).get(image) if folder.is_dir() else None
    stem = root / entry["fused"].format(image=image)
    for ext in (".jpg", ".png", ".jpeg", ".bmp", ".tif"):
        if stem.with_name(stem.name + ext).is_file():
            return stem.with_name(stem.name + ext)
    return None


class _Scorer:
    """The verifier's scorer (:func:`check` only; :func:`update` goes through :func:`fusionbench.runner.evaluate`
    and the result store, which ``check`` never reads, so that it recomputes every value independently).

    Scores (entry, pair) under one profile with the evaluation runner's per-pair worker
    (:func:`fusionbench.runner.tasks.score_pair`: the same decoding, fusion, preparation and
    scoring as ``fusionbench evaluate``). ``provenance[(method, image)]`` keeps what made each value:
    the pixel digest of (fused, IR, visible), the backend and its numeric class, the weights digest."""

    def __init__(self, profile, options, metrics, backend="numpy"):
        from fusionbench.metrics import get_profile
        from fusionbench.store.sqlite import options_json
        self.profile, self.options, self.metrics, self.backend = profile, options, metrics, backend
        prof = get_profile(profile, **options)
        self._overrides, self._options_text = dict(prof.overrides), options_json(prof.options)
        self.provenance = {}

    def __call__(self, entry, pair, root, metrics=None):
        from fusionbench.runner.tasks import score_pair
        metrics = tuple(metrics or self.metrics)
        if entry["kind"] in ("baseline", "network"):
            job = {"kind": "method", "name": entry["method"], "label": entry["method"], "weights_dir": None}
        else:
            fused = _fused_file(entry, pair.name, root)
            if fused is None:
                return None
            job = {"kind": "fused", "label": entry["method"], "path": str(fused)}
        task = {"index": (0, 0), "dataset": "", "image": pair.name, "ir": str(pair.ir), "vi": str(pair.vi),
                "methods": [job], "metrics": metrics, "profile": self.profile, "overrides": self._overrides,
                "options_text": self._options_text, "backend": self.backend, "device": None, "store": None,
                "known": {}}
        res = score_pair(task)["results"][0]
        if res["error"]:
            raise InputError(f"{entry['method']} {pair.name}", _strip_paths(res["error"]))
        self.provenance[(entry["method"], pair.name)] = {
            "pixel_digest": res["digest"], "backend": res["backend"], "backend_class": res["backend_class"],
            "weights": res["weights"]}
        return dict(res["values"])


def _pairs(folder):
    from fusionbench.datasets.layout import pair_folder
    return pair_folder(folder).pairs


# ------------------------------------------------------------------ update (through the runner)

def _board_dataset(spec, root, *, images=None, subset=None):
    """The board's source pairs as a :class:`fusionbench.datasets.Dataset` labelled with the board's
    dataset name (the label its values are stored under), optionally the first ``images`` pairs or the
    pairs named in ``subset``."""
    from fusionbench.datasets.layout import pair_folder
    from fusionbench.datasets.resolve import Dataset
    folder = Path(root) / spec.source
    pl = pair_folder(folder)
    pairs = [p for p in pl.pairs if subset is None or p.name in subset]
    problems = {k: v for k, v in pl.problems.items() if subset is None or k in subset}
    if images:
        pairs, problems = pairs[:images], {}
    all_names = tuple(sorted({p.name for p in pl.pairs} | set(pl.problems)))
    return Dataset(spec.dataset, os.fspath(folder), None, pairs, problems, all_names=all_names)


def _runner_method(entry, root):
    """What :func:`fusionbench.runner.evaluate` scores for a board entry: a registered method's name,
    or a :class:`~fusionbench.methods.external.FusedFolder` (VIFB's shared ``<image>_<method>.*``
    folder is matched by the folder's own lookup)."""
    from fusionbench.methods.external import FusedFolder
    if entry["kind"] in ("baseline", "network"):
        return entry["method"]
    folder = Path(root) / entry["fused"]
    if entry["kind"] == "fused_pattern":
        folder = folder.parent
    return FusedFolder(folder, name=entry["method"])


def _run(spec, root, entries, *, metrics, backend, store, jobs, executor, progress, bar, images=None,
         subset=None, options=None, what=""):
    """Score ``entries`` on the board's pairs with :func:`fusionbench.runner.evaluate` (the engine of
    ``fusionbench evaluate``), reusing and extending the result ``store``.

    Returns ``(records, dataset)``: records (the store's rows: value, profile, options, backend and its
    class, weights digest, source and pixel digests) by (entry method, image, metric). A pair of a
    fused-image entry without a fused file is left out (as the folder has none); any other failure
    raises :class:`InputError` after the values that could be scored are stored.
    """
    from fusionbench.methods.registry import canonical_name
    from fusionbench.runner import evaluate
    ds = _board_dataset(spec, root, images=images, subset=subset)
    methods = [_runner_method(e, root) for e in entries]
    names = {canonical_name(m) if isinstance(m, str) else m.name: e["method"] for m, e in zip(methods, entries)}
    t0 = time.perf_counter()
    res = evaluate([ds], methods, profile=spec.profile, metrics=list(metrics), backend=backend, store=store,
                   jobs=jobs, executor=executor, progress=bar, **(options or {}))
    board = f"{spec.dataset}/{spec.profile}{what}"
    for w in res.warnings:
        _log(progress, f"{board}: {_strip_paths(w)}")
    missing = [p for p in res.problems if p.method is not None and p.reason.startswith("no fused image named")]
    failed = [p for p in res.problems if p.method is not None and p not in missing]
    for p in res.problems:
        if p.method is None:
            _log(progress, f"{board}: pair not scored: {_strip_paths(p)}")
    if missing:
        _log(progress, f"{board}: {len(missing)} pair(s) without a fused image left out, e.g. "
                       f"{_strip_paths(missing[0])}")
    _log(progress, f"{board}: {len(entries)} entries x {len(ds.pairs)} pairs: computed {res.computed} values, "
                   f"reused {res.reused} from the store ({res.store_path}); fused {res.fused} images, reused "
                   f"{res.fused_reused}; {time.perf_counter() - t0:.1f} s")
    if failed:
        shown = "; ".join(_strip_paths(p) for p in failed[:5])
        raise InputError(board, f"{len(failed)} (method, pair) could not be scored: {shown}"
                                + (f"; ... ({len(failed)} in all)" if len(failed) > 5 else "")
                                + f". The values that were scored are kept in the store {res.store_path}; "
                                  "fix the cause and run again (they are reused)")
    return {(names[r["method"]], r["image"], r["metric"]): r for r in res.records}, ds


def _provenance(method, image, recs) -> dict:
    """One ``provenance.csv`` row: what made the values of (method, image), from their store records."""
    r = recs[0]
    return {"method": method, "image": image, "profile": r["profile"], "options": r["options"],
            "metric_version": r["metric_version"],
            "backend": "+".join(sorted({str(x["backend"]) for x in recs})),
            "backend_class": "+".join(sorted({str(x["backend_class"]) for x in recs})),
            "weights": r["weights"] or "", "source_digest": r.get("source_digest") or "",
            "pixel_digest": r["pixel_digest"]}


def update(out_dir, *, boards=None, shared=None, methods=None, backend="numpy", images=None,
           include_networks=True, progress=None, write_pages=True, metrics=None, store=None, jobs=None,
           executor="local", bar=False) -> list:
    """(Re)generate leaderboards under ``out_dir`` (``leaderboards/``) with :func:`fusionbench.runner.evaluate`.

    Every value comes from the result store (computed and stored in this run, or reused from it where
    the same numbers are stored: same pixels, profile, options, metric version and backend class), and
    ``provenance.csv`` records, per method and image, what made the values: profile, options, metric
    version, backend and its class, weights digest, source and pixel digests.

    Parameters
    ----------
    boards : sequence of "dataset/profile", optional
        Default: every board in :data:`BOARDS` whose sources exist.
    shared : path, optional
        Shared data root (default :func:`shared_root`).
    methods : sequence of str, optional
        Only (re)compute these methods; other methods' rows, entries (weights digests) and provenance
        are kept as they are.
    images : int, optional
        Score only the first ``images`` pairs (quick previews; not for committed boards).
    metrics : sequence of str, optional
        Replace the board's metric list (tests and previews).
    store : ResultStore, path or None
        Result store (default: the user store, :func:`fusionbench.store.default_path`).
    jobs, executor, bar
        Worker processes, executor and progress bar, as in :func:`fusionbench.runner.evaluate`.
    """
    from fusionbench.store.sqlite import ResultStore
    out_dir = Path(out_dir)
    root = Path(shared) if shared else shared_root(out_dir)
    keys = [tuple(b.split("/")) for b in boards] if boards else list(BOARDS)
    for key in keys:
        if key not in BOARDS:
            raise InputError("board", f"{'/'.join(key)} not in "
                                      f"{['/'.join(k) for k in BOARDS]}")
    written = []
    own = not isinstance(store, ResultStore)
    st = ResultStore(store) if own else store
    try:
        for key in keys:
            spec = BOARDS[key]
            if not (root / spec.source).is_dir():
                _log(progress, f"skip {'/'.join(key)}: {root / spec.source} not found")
                continue
            written.append(_update_board(spec, out_dir, root, methods=methods, backend=backend,
                                         images=images, include_networks=include_networks,
                                         progress=progress, write_pages=write_pages, metrics=metrics,
                                         run=dict(store=st, jobs=jobs, executor=executor, progress=progress,
                                                  bar=bar)))
    finally:
        if own:
            st.close()
    return written


def _log(progress, msg):
    if progress:
        progress(msg)


def _update_board(spec, out_dir, root, *, methods, backend, images, include_networks,
                  progress, write_pages, metrics=None, run):
    from fusionbench import __version__
    from fusionbench.metrics import METRIC_VERSION, get_profile, resolve_metrics
    prof = get_profile(spec.profile)
    metrics = list(resolve_metrics(metrics or spec.metrics, prof))
    entries = _fused_entries(spec, root)
    base_entries, skipped = _method_entries(BASELINE_NAMES, "baseline")
    entries = base_entries + entries
    if include_networks:
        net_entries, net_skipped = _method_entries(NETWORK_NAMES, "network")
        entries += net_entries
        skipped |= net_skipped
    name = f"{spec.dataset}/{spec.profile}"
    if methods:
        unknown = [m for m in methods if m not in {e["method"] for e in entries}]
        if unknown:
            why = "; ".join(f"{m}: {skipped[m]}" for m in unknown if m in skipped)
            raise InputError("--method", f"{', '.join(unknown)}: not an entry of board {name}"
                                         + (f" ({why})" if why else "")
                             + f"; entries: {', '.join(e['method'] for e in entries)}")
    board_dir = out_dir / spec.dataset / spec.profile
    board_dir.mkdir(parents=True, exist_ok=True)
    old = _read_per_image(board_dir) if methods else None
    old_prov = _read_provenance(board_dir) if methods else None
    todo = [dict(e) for e in entries if not methods or e["method"] in methods]
    recs, ds = _run(spec, root, todo, metrics=metrics, backend=backend, images=images, **run)
    pairs = ds.pairs
    rows, prov = [], []
    for entry in todo:
        made = set()
        for pair in pairs:
            got = [recs.get((entry["method"], pair.name, m)) for m in metrics]
            if any(g is None for g in got):  # no fused image for this pair
                continue
            rows += [(spec.dataset, entry["method"], pair.name, spec.profile, m, g["value"])
                     for m, g in zip(metrics, got)]
            prov.append(_provenance(entry["method"], pair.name, got))
            made.add(got[0]["weights"])
        if entry["kind"] == "network":  # the weights that made the values, not the file on disk now
            entry["weights_sha256"] = made.pop() if len(made) == 1 else None
    done = {e["method"]: e for e in todo}
    entries = [done.get(e["method"], e) for e in entries]
    df = pd.DataFrame(rows, columns=["dataset", "method", "image", "profile", "metric", "value"])
    if old is not None:
        current = {e["method"] for e in entries}  # rows of methods that can no longer be made are dropped
        df = pd.concat([old[~old["method"].isin(methods) & old["method"].isin(current)], df],
                       ignore_index=True)
        order = {e["method"]: i for i, e in enumerate(entries)}
        df = df.sort_values("method", key=lambda s: s.map(order).fillna(1e9), kind="stable")
    if old is not None:  # kept rows keep the entry (and weights digest) that made them
        kept = _read_entries(board_dir)
        entries = [e if e["method"] in methods else kept.get(e["method"], e) for e in entries]
    present = set(df["method"])
    meta = {
        "dataset": spec.dataset, "profile": spec.profile, "title": spec.title,
        "notes": spec.notes, "options": {k: v for k, v in prof.options.items()},
        "metrics": metrics, "source": spec.source, "sample": spec.sample,
        "images": [p.name for p in pairs], "compare_subset": spec.compare_subset,
        "entries": [e for e in entries if e["method"] in present],
        "not_included": skipped,
        "tolerance": {m: dict(DEFAULT_TOL) | spec.tolerance.get(m, {}) for m in metrics},
        "network_tolerance": dict(NETWORK_TOL),
        "ci": {"all_images_metrics": [m for m in CHEAP_METRICS if m in metrics],
               "images_per_entry": spec.ci_images_per_entry},
        "backend": backend, "metric_version": METRIC_VERSION,
        "fusionbench_version": __version__,
    }
    if spec.variants:
        update_variants(board_dir, spec, root, meta, backend=backend, methods=methods, **run)
    write_board(board_dir, df, meta, pages=write_pages)
    prov = pd.DataFrame(prov, columns=PROVENANCE_COLUMNS)
    if old_prov is not None:  # kept rows keep the provenance of what made them
        prov = pd.concat([old_prov[~old_prov["method"].isin(methods) & old_prov["method"].isin(present)], prov],
                         ignore_index=True)
    _write_provenance(board_dir, prov)
    return board_dir


PROVENANCE_COLUMNS = ["method", "image", "profile", "options", "metric_version", "backend", "backend_class",
                      "weights", "source_digest", "pixel_digest"]


def _read_provenance(board_dir):
    """``provenance.csv``: per (method, image) what made the board's values, from their store records:
    profile, options (JSON), metric version, backend(s) and numeric class, weights digest, pixel digest
    of (IR, visible) (``source_digest``) and of (fused, IR, visible) (``pixel_digest``). None for boards
    made before it existed; older files lack some columns."""
    p = Path(board_dir) / "provenance.csv"
    if not p.is_file():
        return None
    return pd.read_csv(p, dtype=str, keep_default_na=False)


def _write_provenance(board_dir, prov):
    from fusionbench.store.export import write_atomic
    prov = prov.reindex(columns=PROVENANCE_COLUMNS).fillna("").sort_values(["method", "image"], kind="stable")
    write_atomic(Path(board_dir) / "provenance.csv", lambda tmp: prov.to_csv(tmp, index=False))


def update_variants(board_dir, spec, root, meta, *, backend="numpy", progress=None, store=None, jobs=None,
                    executor="local", bar=False, methods=None):
    """Score the methods that appear in the paper tables under option overrides.

    Only the metrics an override changes are computed, on the board's ``compare_subset``, by
    :func:`fusionbench.runner.evaluate` with the result ``store``; the rows go to
    ``published_variants.csv`` with the variant label as profile, so the page can show which
    convention lands closest to each published column. With ``methods``, only those are recomputed
    and the other methods' rows are kept.
    """
    from fusionbench.datasets.registry import SUBSETS
    from fusionbench.metrics import CARDS
    from fusionbench.report.published import dataset_key, load_published, method_key
    pub = load_published()
    pub = pub[[dataset_key(d) == dataset_key(spec.dataset) for d in pub["dataset"]]]
    published = {method_key(m) for m in pub["method"]}
    entries = [e for e in meta["entries"] if method_key(e["method"]) in published]
    todo = [e for e in entries if not methods or e["method"] in methods]
    subset = set(meta["images"])
    if spec.compare_subset:
        subset &= set(SUBSETS[spec.compare_subset])
    path = Path(board_dir) / "published_variants.csv"
    columns = ["dataset", "method", "image", "profile", "metric", "value"]
    rows = []
    for label, overrides in spec.variants.items():
        metrics = [m for m in meta["metrics"]
                   if any(k in CARDS[m].parameters for k in overrides)]
        if not metrics or not todo:
            continue
        recs, ds = _run(spec, root, todo, metrics=metrics, backend=backend, store=store, jobs=jobs,
                        executor=executor, progress=progress, bar=bar, subset=subset, options=overrides,
                        what=f" {label}")
        for entry in todo:
            for pair in ds.pairs:
                got = [recs.get((entry["method"], pair.name, m)) for m in metrics]
                if all(g is not None for g in got):
                    rows += [(spec.dataset, entry["method"], pair.name, label, m, g["value"])
                             for m, g in zip(metrics, got)]
    df = pd.DataFrame(rows, columns=columns)
    if methods and path.is_file():  # kept methods keep their rows
        old = pd.read_csv(path, dtype={"image": str, "method": str}, keep_default_na=False,
                          na_values=["", "nan", "NaN"])
        keep = {e["method"] for e in entries} - set(methods)
        df = pd.concat([old[old["method"].isin(keep)], df], ignore_index=True)
        vorder = {v: i for i, v in enumerate(spec.variants)}
        morder = {e["method"]: i for i, e in enumerate(entries)}
        df = df.assign(_v=df["profile"].map(vorder).fillna(1e9), _m=df["method"].map(morder).fillna(1e9))
        df = df.sort_values(["_v", "_m"], kind="stable").drop(columns=["_v", "_m"])
    df.to_csv(path, index=False, float_format=FLOAT_FORMAT)
    meta["variants"] = spec.variants


def _read_entries(board_dir) -> dict:
    """method -> entry of a board's committed ``leaderboard.json`` (empty when there is none)."""
    p = Path(board_dir) / "leaderboard.json"
    if not p.is_file():
        return {}
    return {e["method"]: e for e in json.loads(p.read_text()).get("entries", [])}


def _read_per_image(board_dir):
    p = Path(board_dir) / "per_image.csv"
    if not p.is_file():
        return None
    return pd.read_csv(p, dtype={"image": str, "method": str},
                       keep_default_na=False, na_values=["", "nan", "NaN"])


def write_board(board_dir, per_image, meta, *, pages=True):
    """Write per_image.csv, means.csv, leaderboard.json and (``pages``) README.md + radar.png."""
    from fusionbench.report.results import summarise
    board_dir = Path(board_dir)
    board_dir.mkdir(parents=True, exist_ok=True)
    per_image.to_csv(board_dir / "per_image.csv", index=False, float_format=FLOAT_FORMAT)
    means = summarise(per_image)[["method", "metric", "mean", "std", "n"]]
    means.to_csv(board_dir / "means.csv", index=False, float_format=FLOAT_FORMAT)
    (board_dir / "leaderboard.json").write_text(json.dumps(meta, indent=1) + "\n")
    if pages:
        write_page(board_dir, per_image, meta)


def write_page(board_dir, per_image, meta, *, top=8):
    """The Markdown page of a board: the means table, a radar chart and the paper comparison."""
    from fusionbench.report.figures import mean_rank, radar
    from fusionbench.report.published import compare, render_comparison
    from fusionbench.report.results import summarise
    from fusionbench.report.tables import render_table
    board_dir = Path(board_dir)
    metrics = meta["metrics"]
    s = summarise(per_image)
    wide = s.pivot_table(index="method", columns="metric", values="mean", sort=False)[metrics]
    order = list(mean_rank(wide).sort_values(kind="stable").index)
    table = render_table(per_image, metrics=metrics, methods=order, precision=4, n=True)
    top_methods = order[:top]
    radar(per_image, metrics=metrics, methods=top_methods, path=board_dir / "radar.png",
          title=f"{meta['dataset']} / {meta['profile']}: top {len(top_methods)} by mean rank")
    cmp_rows, subset = per_image, meta.get("compare_subset")
    if subset:
        from fusionbench.datasets.registry import SUBSETS
        cmp_rows = per_image[per_image["image"].isin(SUBSETS[subset])]
    variants_csv = board_dir / "published_variants.csv"
    if variants_csv.is_file():
        var = pd.read_csv(variants_csv, dtype={"image": str})
        cmp_rows = pd.concat([cmp_rows, var[var["image"].isin(set(cmp_rows["image"]))]])
    cmp = compare(cmp_rows)
    lines = [f"# {meta['title'] or meta['dataset'] + ' / ' + meta['profile']}", "",
             meta.get("notes", ""), "",
             f"Dataset `{meta['dataset']}` ({len(meta['images'])} pairs, sources "
             f"`shared/{meta['source']}`), profile `{meta['profile']}`, metric version "
             f"{meta['metric_version']}, backend `{meta['backend']}`. Methods are sorted by mean "
             "rank over the metrics. Per-image values: `per_image.csv`; means: `means.csv`.", "",
             table, "![radar chart](radar.png)", "",
             "Radar: the top methods by mean rank; every axis is min-max scaled across them, "
             "outer = better (lower-is-better metrics reversed).", ""]
    nets = [e["method"] for e in meta["entries"] if e["kind"] == "network"]
    if nets:
        lines += [f"Network entries ({', '.join(nets)}) use the weights bundled in "
                  "`fusionbench/methods/networks/weights/` (see each model card `<name>.json`; "
                  "small CPU smoke-training configurations unless the card says otherwise), so "
                  "they are not the papers' models.", ""]
    if meta.get("not_included"):
        lines += ["## Not included", "", "Methods registered in fusionbench that could not be "
                  "scored when this board was made (re-run `fusionbench leaderboard update "
                  "--method NAME` once they can):", "", "| method (and variants) | reason |",
                  "|:--|:--|"]
        groups = {}
        for k, v in meta["not_included"].items():
            groups.setdefault(k.split(":")[0], []).append((k, v))
        for base, items in groups.items():
            names = base + (f" (+{len(items) - 1} ablations)" if len(items) > 1 else "")
            lines.append(f"| {names} | {_strip_paths(items[0][1]).replace('|', '/')} |")
        lines.append("")
    if not cmp.empty:
        lines += ["## Published vs reproduced", "",
                  "Same method name and dataset in a paper table (`leaderboards/published/`). "
                  "The papers ran the methods themselves (other weights / outputs), so only the "
                  "order of magnitude and the convention are comparable."
                  + (f" fusionbench means here are over the `{subset}` images (the papers' test "
                     "set)." if subset else "")
                  + (" Rows with option overrides (`published_variants.csv`) show which metric "
                     "convention lands closest (✓)." if variants_csv.is_file() else ""), "",
                  render_comparison(cmp)]
    lines += ["## Reproduce", "", "```", "fusionbench leaderboard update --board "
              f"{meta['dataset']}/{meta['profile']}", "fusionbench check leaderboards/ --board "
              f"{meta['dataset']}/{meta['profile']} --scope full", "```", ""]
    (board_dir / "README.md").write_text("\n".join(lines))


# ------------------------------------------------------------------ check

@dataclass
class Drift:
    board: str
    method: str
    image: str
    metric: str
    stored: float
    recomputed: float
    tol: dict

    @property
    def abs_diff(self):
        return abs(self.recomputed - self.stored)


@dataclass
class CheckReport:
    checked: int = 0
    drifts: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (board, what, why)
    problems: list = field(default_factory=list)  # structural problems (missing rows, means)
    boards: list = field(default_factory=list)
    coverage: list = field(default_factory=list)  # (board, image x metric cells recomputed, cells)

    @property
    def ok(self):
        return not self.drifts and not self.problems

    def format(self, max_rows=50) -> str:
        lines = []
        for b in self.boards:
            lines.append(f"checked {b}")
        for board, done, total in self.coverage:
            lines.append(f"coverage {board}: {done} of {total} image x metric cells recomputed by some entry")
        grouped = {}
        for board, what, why in self.skipped:
            grouped.setdefault((board, why), []).append(what)
        for (board, why), whats in grouped.items():
            shown = ", ".join(whats[:6]) + (f", ... ({len(whats)} in all)" if len(whats) > 6 else "")
            lines.append(f"skipped {board}: {shown}: {why}")
        for p in self.problems:
            lines.append(f"PROBLEM {p}")
        if self.drifts:
            lines.append(f"{len(self.drifts)} value(s) drifted beyond tolerance:")
            hdr = f"  {'board':<18} {'method':<16} {'image':<14} {'metric':<6} " \
                  f"{'stored':>16} {'recomputed':>16} {'abs diff':>10} {'rel diff':>10} tolerance"
            lines.append(hdr)
            for d in self.drifts[:max_rows]:
                rel = d.abs_diff / abs(d.stored) if d.stored else math.inf
                lines.append(f"  {d.board:<18} {d.method:<16} {d.image:<14} {d.metric:<6} "
                             f"{d.stored:>16.10g} {d.recomputed:>16.10g} {d.abs_diff:>10.3g} "
                             f"{rel:>10.3g} rel {d.tol['rel']:g} / abs {d.tol['abs']:g}")
            if len(self.drifts) > max_rows:
                lines.append(f"  ... and {len(self.drifts) - max_rows} more")
        lines.append(f"{self.checked} value(s) recomputed; "
                     f"{'OK' if self.ok else 'FAILED'}")
        return "\n".join(lines)


def _loosest(a, b):
    return {"rel": max(a["rel"], b["rel"]), "abs": max(a["abs"], b["abs"])}


def _within(stored, new, tol):
    if not np.isfinite(stored) or not np.isfinite(new):
        return (np.isnan(stored) and np.isnan(new)) or stored == new
    return abs(new - stored) <= max(tol["abs"], tol["rel"] * abs(stored))


def find_boards(path) -> list:
    """Board folders (holding ``leaderboard.json``) under ``path`` (or ``path`` itself)."""
    path = Path(path)
    if (path / "leaderboard.json").is_file():
        return [path]
    if not path.is_dir():
        raise InputError(str(path), "no such leaderboard folder")
    return sorted(p.parent for p in path.glob("*/*/leaderboard.json"))


def check(path, *, scope="ci", boards=None, methods=None, shared=None, backend=None,
          progress=None) -> CheckReport:
    """Recompute stored leaderboard values and compare within each metric's tolerance.

    Parameters
    ----------
    path : path
        ``leaderboards/`` or one board folder.
    scope : {"ci", "full"}
        ``full`` recomputes every stored value. ``ci`` recomputes, for every entry, the cheap
        metrics (``ci.all_images_metrics`` of the board, EN/SD/SF/AG) on every image and all
        metrics on ``ci.images_per_entry`` images (rotating over the entries so that every image
        is covered by some entry); network entries get only the rotating images.
    boards, methods : sequence of str, optional
        Restrict to boards ("dataset/profile") and methods.
    backend : str, optional
        Metric backend (default: the one the board was made with).

    Besides recomputation, every board is checked for consistency: ``means.csv`` must equal
    the means of ``per_image.csv`` and every (entry, image, metric) must be present.
    """
    if scope not in ("ci", "full"):
        raise InputError("scope", f"{scope!r} not in ['ci', 'full']")
    report = CheckReport()
    dirs = find_boards(path)
    if not dirs:
        raise InputError(str(path), "no leaderboard.json found")
    lb_root = Path(path) if not (Path(path) / "leaderboard.json").is_file() else Path(path).parent.parent
    root = Path(shared) if shared else shared_root(lb_root)
    for board_dir in dirs:
        meta = json.loads((board_dir / "leaderboard.json").read_text())
        name = f"{meta['dataset']}/{meta['profile']}"
        if boards and name not in boards:
            continue
        report.boards.append(name)
        _check_board(board_dir, meta, name, report, scope=scope, methods=methods, root=root,
                     backend=backend or meta.get("backend", "numpy"), progress=progress)
    if boards and not report.boards:
        raise InputError("board", f"none of {list(boards)} found under {path}")
    return report


def _check_consistency(df, meta, name, report):
    from fusionbench.report.results import summarise
    key = ["method", "image", "metric"]
    dup = df.duplicated(key)
    if dup.any():
        report.problems.append(f"{name}: {int(dup.sum())} duplicated rows in per_image.csv")
    expected = {(e["method"], m) for e in meta["entries"] for m in meta["metrics"]}
    got = set(zip(df["method"], df["metric"]))
    for method, metric in sorted(expected - got):
        report.problems.append(f"{name}: no values for {method} / {metric}")
    return summarise(df)


def _check_board(board_dir, meta, name, report, *, scope, methods, root, backend, progress):
    df = _read_per_image(board_dir)
    if df is None:
        report.problems.append(f"{name}: per_image.csv missing")
        return
    summary = _check_consistency(df, meta, name, report)
    means_path = board_dir / "means.csv"
    if means_path.is_file():
        stored = pd.read_csv(means_path, keep_default_na=False, na_values=["", "nan", "NaN"])
        merged = stored.merge(summary, on=["method", "metric"], how="outer",
                              suffixes=("", "_new"), indicator="which")
        for r in merged.itertuples():
            tol = meta["tolerance"].get(r.metric, DEFAULT_TOL)
            if r.which != "both":
                where = "means.csv" if r.which == "left_only" else "per_image.csv"
                report.problems.append(f"{name}: {r.method} / {r.metric} only in {where}")
            elif not _within(float(r.mean), float(r.mean_new), tol):
                report.drifts.append(Drift(name + " (means)", r.method, "(mean)", r.metric,
                                           float(r.mean), float(r.mean_new), tol))
    else:
        report.problems.append(f"{name}: means.csv missing")
    stale = _check_weights(meta, name, report, methods)
    use_sample = not (root / meta["source"]).is_dir()
    if use_sample:
        if not meta.get("sample") or not (sample_root() / meta["sample"]).is_dir():
            report.skipped.append((name, "all entries", f"sources {root / meta['source']} not "
                                                        "found and no bundled sample"))
            return
        src, data_root = sample_root() / meta["sample"], sample_root()
    else:
        src, data_root = root / meta["source"], root
    pairs = {p.name: p for p in _pairs(src)}
    stored = {(r.method, r.image, r.metric): r.value
              for r in df.itertuples(index=False)}
    images = [i for i in meta["images"] if i in pairs]
    scorer = _Scorer(meta["profile"], _overrides(meta), meta["metrics"], backend)
    prov = _read_provenance(board_dir)
    made_from = {} if prov is None else {(r.method, r.image): r.pixel_digest for r in prov.itertuples()}
    # entries that share the full-metric images of the ci scope between them (networks, whose fusion
    # dominates the cost, add one rotating image each): every image gets every metric in one run
    rotating = [e["method"] for e in meta["entries"]
                if e["kind"] != "network" and (not use_sample or e["kind"] == "baseline")]
    covered = set()
    for k, entry in enumerate(meta["entries"]):
        if (methods and entry["method"] not in methods) or entry["method"] in stale:
            continue
        if use_sample and entry["kind"] not in ("baseline",):
            report.skipped.append((name, entry["method"], "fused images not in the bundled "
                                                          "sample (set FUSIONBENCH_SHARED)"))
            continue
        if entry["method"] in rotating:
            plan = _plan(images, meta, scope, rotating.index(entry["method"]), rotating=len(rotating))
        else:
            plan = _plan(images, meta, scope, k, expensive=entry["kind"] == "network")
        t0 = time.perf_counter()
        for image, metrics in plan:
            try:
                vals = scorer(entry, pairs[image], data_root, metrics=metrics)
            except FusionBenchError as exc:
                report.problems.append(f"{name}: {entry['method']} {image}: {exc}")
                continue
            if vals is None:
                report.problems.append(f"{name}: {entry['method']} {image}: fused image missing")
                continue
            stored_digest = made_from.get((entry["method"], image))
            digest = scorer.provenance[(entry["method"], image)]["pixel_digest"]
            if stored_digest and entry["kind"] != "network" and stored_digest != digest:
                # network output may move by float32 rounding across CPUs; the others must be the same pixels
                report.problems.append(f"{name}: {entry['method']} {image}: the fused or source pixels differ "
                                       "from the ones the board was made from (provenance.csv)")
            for m in metrics:
                old = stored.get((entry["method"], image, m))
                if old is None:
                    report.problems.append(f"{name}: {entry['method']} {image} {m}: not stored")
                    continue
                report.checked += 1
                covered.add((image, m))
                tol = meta["tolerance"].get(m, DEFAULT_TOL)
                if entry["kind"] == "network":
                    tol = _loosest(tol, meta.get("network_tolerance", NETWORK_TOL))
                if not _within(float(old), float(vals[m]), tol):
                    report.drifts.append(Drift(name, entry["method"], image, m, float(old),
                                               float(vals[m]), tol))
        _log(progress, f"{name} {entry['method']}: {len(plan)} image(s) in "
                       f"{time.perf_counter() - t0:.1f} s")
    cells = {(i, m) for i in images for m in meta["metrics"]}
    report.coverage.append((name, len(cells & covered), len(cells)))
    missing = sorted(cells - covered)
    if missing and not methods:  # the run itself proves that it covered every image and metric
        report.problems.append(f"{name}: {len(missing)} image x metric cell(s) recomputed by no entry "
                               f"in this run, e.g. {', '.join(f'{i}/{m}' for i, m in missing[:5])}")


def _check_weights(meta, name, report, methods) -> set:
    """Network entries of the board that cannot be recomputed with the weights on disk.

    An entry whose recorded ``weights_sha256`` (of the weights that made its values) differs from
    the digest of the bundled weights file is a stale board: a problem (``check`` fails), at every
    scope and whether or not the sources are present. An entry whose weights file is absent (an
    ablation whose weights are not bundled) is skipped with a message."""
    out = set()
    for entry in meta["entries"]:
        method = entry["method"]
        if entry["kind"] != "network" or (methods and method not in methods):
            continue
        recorded, disk = entry.get("weights_sha256"), weights_digest(method)
        if disk is None:
            out.add(method)
            report.skipped.append((name, method, "weights file not found here (not bundled); "
                                                 "cannot recompute"))
        elif recorded != disk:
            out.add(method)
            made = "mixed or unknown weights" if not recorded else f"weights {recorded[:12]}"
            report.problems.append(
                f"{name}: {method}: the board's values were made by {made}, the weights file on "
                f"disk is {disk[:12]} (stale entry); fix: `fusionbench leaderboard update "
                f"--board {name} --method {method}`")
    return out


def _overrides(meta):
    """Options stored in the board that differ from the profile (normally none)."""
    from fusionbench.metrics import get_profile
    base = get_profile(meta["profile"]).options
    return {k: v for k, v in meta.get("options", {}).items() if k in base and base[k] != v}


def _plan(images, meta, scope, k, expensive=False, rotating=None):
    """(image, metrics) pairs to recompute for entry number ``k``.

    ``expensive`` entries (networks: fusion dominates the cost) get only their rotating
    full-metric images in the ``ci`` scope, not the cheap metrics on every image. With
    ``rotating`` (the number of entries that share the rotation, ``k`` < ``rotating`` being this
    one's place among them) each gets ``ceil(len(images) / rotating)`` consecutive full-metric
    images (at least ``images_per_entry``), so that the ``rotating`` entries together give every
    image every metric.
    """
    metrics = meta["metrics"]
    if scope == "full" or not images:
        return [(i, metrics) for i in images]
    n = max(1, int(meta.get("ci", {}).get("images_per_entry", 1)))
    if rotating:
        n = max(n, -(-len(images) // rotating))
    full = {images[(k * n + j) % len(images)] for j in range(n)}
    cheap = [m for m in meta.get("ci", {}).get("all_images_metrics", []) if m in metrics]
    plan = []
    for i in images:
        if i in full:
            plan.append((i, metrics))
        elif cheap and not expensive:
            plan.append((i, cheap))
    return plan


def rewrite_pages(path) -> list:
    """Regenerate README.md and radar.png of every board from its stored CSV and metadata."""
    out = []
    for board_dir in find_boards(path):
        meta = json.loads((board_dir / "leaderboard.json").read_text())
        meta["not_included"] = {k: _strip_paths(v) for k, v in meta.get("not_included", {}).items()}
        (board_dir / "leaderboard.json").write_text(json.dumps(meta, indent=1) + "\n")
        write_page(board_dir, _read_per_image(board_dir), meta)
        out.append(board_dir)
    write_index(path)
    return out


def write_index(path):
    """``leaderboards/README.md``: one line per board with its best methods."""
    from fusionbench.report.figures import mean_rank
    from fusionbench.report.results import summarise
    path = Path(path)
    lines = ["# fusionbench leaderboards", "",
             "Per-image values of every method fusionbench can score on each dataset, under the "
             "metric profile that fits it. Regenerate with `fusionbench leaderboard update`; "
             "verify with `fusionbench check leaderboards/` (CI runs the `ci` scope; "
             "`--scope full` recomputes every value). Values must reproduce within 1e-6 relative; "
             "network entries, re-fused at check time, within 1e-4 (float32 inference rounds "
             "differently on other CPU instruction sets and flips a few uint8 pixels). "
             "Paper tables: `published/`.", "",
             "| board | pairs | methods | best by mean rank | page |", "|:--|--:|--:|:--|:--|"]
    for board_dir in find_boards(path):
        meta = json.loads((board_dir / "leaderboard.json").read_text())
        s = summarise(_read_per_image(board_dir))
        wide = s.pivot_table(index="method", columns="metric", values="mean", sort=False)
        best = ", ".join(mean_rank(wide[meta["metrics"]]).sort_values(kind="stable").index[:3])
        rel = board_dir.relative_to(path).as_posix()
        lines.append(f"| {meta['dataset']} / {meta['profile']} | {len(meta['images'])} | "
                     f"{len(meta['entries'])} | {best} | [{rel}]({rel}/README.md) |")
    (path / "README.md").write_text("\n".join(lines) + "\n")
