"""Evaluate methods on datasets: build per-pair tasks, run them, store each pair as it finishes."""

from __future__ import annotations

import functools
import os
import sys
import time
from dataclasses import dataclass, field

from fusionbench import __version__
from fusionbench.datasets.resolve import Dataset, resolve_dataset
from fusionbench.errors import InputError
from fusionbench.methods.external import FusedFolder
from fusionbench.methods.registry import canonical_name
from fusionbench.metrics.compute import resolve_metrics
from fusionbench.metrics.profiles import get_profile
from fusionbench.metrics.result import METRIC_VERSION
from fusionbench.runner.executors import run_tasks
from fusionbench.runner.tasks import key_options, score_pair
from fusionbench.store.sqlite import ResultStore, git_hash, locator, now, options_json


@dataclass
class Problem:
    """A pair (or file) that was not scored, and why."""

    dataset: str
    method: str | None
    image: str
    reason: str

    def __str__(self):
        who = f"{self.dataset}/{self.image}" + (f" [{self.method}]" if self.method else "")
        return f"{who}: {self.reason}"


@dataclass
class RunResult:
    """Records (long format, fixed order), problems, warnings and counts of one evaluation."""

    records: list
    problems: list
    warnings: list
    datasets: list
    methods: list
    metrics: tuple
    profile: str
    computed: int = 0  # metric values computed in this run
    reused: int = 0  # metric values found in the store
    fused: int = 0  # images fused in this run
    fused_reused: int = 0  # fused images found in the store
    store_path: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.problems

    def frame(self):
        from fusionbench.store.export import long_frame
        return long_frame(self.records)

    def summary(self):
        from fusionbench.store.export import aggregate
        return aggregate(self.frame())


def _method_entries(methods, weights_dir):
    """Normalise methods to (label, entry-template, FusedFolder or None); labels must be unique."""
    out, seen = [], set()
    for m in methods:
        if isinstance(m, FusedFolder):
            label, entry, folder = m.name, {"kind": "fused"}, m
        else:
            label = canonical_name(m)
            entry, folder = {"kind": "method", "name": label, "weights_dir": weights_dir}, None
        if label in seen:
            raise InputError("methods", f"{label!r} given twice; give each method once (and a distinct "
                                        "--name to each --fused folder)")
        seen.add(label)
        out.append((label, dict(entry, label=label), folder))
    return out


def evaluate(datasets, methods, *, profile="cddfuse", metrics=None, backend="auto", device=None,
             executor="local", jobs=None, store=None, progress=True, on_result=None, data_root=None,
             split=None, subset=None, weights_dir=None, fused_cache=True, **options) -> RunResult:
    """Score fusion methods on datasets, reusing and extending a result store.

    Parameters
    ----------
    datasets : sequence of str, path or Dataset
        Registered names or folders (see :func:`fusionbench.datasets.resolve_dataset`).
    methods : sequence of str or FusedFolder
        Registered method names (``average``, ``sspfusion:no_sfe``, ...) and/or folders of fused
        images (matched to the pairs by stem).
    profile, metrics, backend, device, **options
        As in :func:`fusionbench.compute`.
    executor, jobs
        ``local`` process pool (default), ``inline``, ``dask`` or ``dask://HOST:PORT``; worker count.
    store : ResultStore, path or None
        Result store; already-scored keys are reused, new values are written pair by pair.
        ``None`` uses the default store; pass ``":memory:"`` for none that persists.
    weights_dir : path, optional
        Folder of the networks' weights (default: the bundled ones).
    fused_cache : bool
        Keep the images the methods fuse in the store and reuse them (exact key match: method,
        weights digest, code version, options and source pixels, see :mod:`fusionbench.store.fused`)
        instead of fusing again. Only for a store in a file.
    on_result : callable, optional
        Called with the number of finished pairs after each pair is stored.

    Returns
    -------
    RunResult
        Records in a fixed order (dataset, method, image, metric) independent of the executor.
    """
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise InputError("--jobs", f"must be a whole number of worker processes >= 1, got {jobs!r}")
    prof = get_profile(profile, **options)
    if isinstance(backend, str):  # decide 'auto' once here, not in every worker (it may import torch)
        from fusionbench.backends._select import resolve
        backend = resolve(backend, device)
    metric_names = resolve_metrics(metrics, prof)
    opts_text = options_json(prof.options)
    key_opts = key_options(metric_names, prof.options)  # per metric: the options its values are keyed by
    entries = _method_entries(methods, None if weights_dir is None else os.fspath(weights_dir))
    _preflight(entries, device)
    dsets = [d if isinstance(d, Dataset) else
             resolve_dataset(d, data_root_dir=data_root, split=split, subset=subset) for d in datasets]
    for ds in dsets:
        if not ds.pairs and not ds.problems:
            raise InputError(ds.root, f"dataset {ds.label} has no image pairs (nothing to score)")
    own_store = not isinstance(store, ResultStore)
    st = store if not own_store else ResultStore(store)
    if st.readonly:
        if own_store:
            st.close()
        raise InputError(st.path, "read-only: cannot write results to it; give a writable --store")
    cache_path = os.path.abspath(st.path) if fused_cache and st.path != ":memory:" else None
    problems, warnings, tasks, cells = [], [], [], {}
    try:
        for di, ds in enumerate(dsets):
            for image, reason in ds.problems.items():
                problems.append(Problem(ds.label, None, image, reason))
            stems = [p.name for p in ds.pairs]
            for label, _, folder in entries:
                if folder is not None:
                    extra = folder.extras(set(stems) | set(ds.problems) | set(ds.all_names))
                    if extra:
                        warnings.append(f"{ds.label} [{label}]: {len(extra)} fused file(s) with no source "
                                        f"pair, ignored: {', '.join(sorted(extra))}")
            locs = {(p.name, label): locator(ds.label, label, p.name, prof.label, opts_text, METRIC_VERSION)
                    for p in ds.pairs for label, _, _ in entries}
            # values of any option set whose key matches are the same numbers (store.value_key)
            known = st.known_cells([(ds.label, label, p.name) for p in ds.pairs for label, _, _ in entries])
            for pi, pair in enumerate(ds.pairs):
                todo = []
                for label, entry, folder in entries:
                    e = dict(entry)
                    if folder is not None:
                        e["path"] = folder.lookup(pair.name)
                        if e["path"] is None:
                            problems.append(Problem(ds.label, label, pair.name,
                                                    f"no fused image named {pair.name}.* in {folder.folder}"))
                            continue
                    todo.append(e)
                    cells[(di, pair.name, label)] = locs[(pair.name, label)]
                if todo:
                    tasks.append({
                        "index": (di, pi), "dataset": ds.label, "image": pair.name, "ir": pair.ir,
                        "vi": pair.vi, "methods": todo, "metrics": metric_names, "profile": prof.name,
                        "overrides": dict(prof.overrides), "options_text": opts_text, "backend": backend,
                        "device": device, "store": cache_path,
                        "known": {e["label"]: known[(ds.label, e["label"], pair.name)] for e in todo},
                    })
        records, computed, reused, fused, fused_reused = {}, 0, 0, 0, 0
        nan_notes = {}  # metric -> [(pair, reason)] for values that are NaN where the toolbox raises
        folders = {label for label, _, folder in entries if folder is not None}
        version, git = __version__, git_hash()
        bar = _progress(len(tasks), progress)
        done = 0
        timing = _Timing()
        try:
            for res in run_tasks(score_pair, tasks, executor=executor, jobs=jobs):
                timing.add(res.get("timing"))
                idx = tuple(res["index"])
                task = tasks[_task_pos(tasks, idx)]
                new, images = [], []
                for r in res["results"]:
                    if r["error"]:
                        problems.append(Problem(task["dataset"], r["method"], res["image"], r["error"]))
                        continue
                    loc = cells[(idx[0], res["image"], r["method"])]
                    known_rows = task["known"].get(r["method"], {})
                    stamp = now()
                    fused_reused += r["cached"]
                    fused += not r["cached"] and r["method"] not in folders
                    if r["fused"] is not None:
                        images.append(dict(r["fused"], created=stamp))
                    for m in metric_names:
                        key = r["keys"][m]
                        rec = dict(dataset=task["dataset"], method=r["method"], image=res["image"],
                                   profile=prof.label, metric=m, key=key, locator=loc, options=opts_text,
                                   key_options=key_opts[m],
                                   metric_version=METRIC_VERSION, pixel_digest=r["digest"],
                                   weights=r["weights"], backend_class=r["backend_class"],
                                   source_digest=r.get("source_digest"))
                        why = r.get("nan_reasons", {}).get(m)
                        if why:  # NaN where the toolbox raises (e.g. VIF under cddfuse on tiny images)
                            rec["nan_reason"] = why
                            nan_notes.setdefault(m, []).append((f"{task['dataset']}/{res['image']} [{r['method']}]",
                                                                why))
                        if m in r["values"]:
                            rec.update(value=r["values"][m], backend=r["backend"], fusionbench_version=version,
                                       git_hash=git, created=stamp)
                            new.append(rec)
                            computed += 1
                        else:
                            row = known_rows[key]
                            rec.update(value=row["value"], backend=row["backend"], created=row["created"],
                                       fusionbench_version=row["fusionbench_version"], git_hash=row["git_hash"])
                            new.append(rec)  # its label for this run's profile and options (the value is kept)
                            reused += 1
                        records[(idx, _order(entries, r["method"]), m)] = rec
                t0 = time.perf_counter()
                st.add(new, images)  # one transaction per pair: nothing finished is lost on a kill
                timing.store += time.perf_counter() - t0
                done += 1
                bar.update(1)
                if on_result is not None:
                    on_result(done)
        finally:
            bar.close()
    finally:
        if own_store:
            st.close()
    for m, notes in nan_notes.items():
        shown = ", ".join(where for where, _ in notes[:5]) + (", ..." if len(notes) > 5 else "")
        warnings.append(f"{m} is NaN for {len(notes)} value(s) ({shown}): {notes[0][1]}")
    mpos = {m: i for i, m in enumerate(metric_names)}
    ordered = [records[k] for k in sorted(records, key=lambda k: (k[0], k[1], mpos[k[2]]))]
    dorder = {d.label: i for i, d in enumerate(dsets)}
    morder = {label: i for i, (label, _, _) in enumerate(entries)}
    problems.sort(key=lambda p: (dorder.get(p.dataset, 0), morder.get(p.method, -1), p.image))
    return RunResult(ordered, problems, warnings, dsets, [e[0] for e in entries], metric_names, prof.label,
                     computed, reused, fused, fused_reused, st.path, extra={"timing": timing.summary()})


class _Timing:
    """Seconds spent per phase over all pairs (summed over workers) and each worker's peak memory."""

    def __init__(self):
        self.sums = {"decode": 0.0, "fuse": 0.0, "score": 0.0, "score_cpu": 0.0, "total": 0.0}
        self.store = 0.0  # result-store writes, in this process
        self.rss = {}  # worker pid -> peak resident KiB

    def add(self, t):
        if not t:
            return
        for k in self.sums:
            self.sums[k] += t.get(k, 0.0)
        if t.get("pid") is not None:
            self.rss[t["pid"]] = max(self.rss.get(t["pid"], 0), t.get("maxrss_kb") or 0)

    def summary(self) -> dict:
        return {**{f"{k}_s": v for k, v in self.sums.items()}, "store_s": self.store,
                "worker_peak_rss_kb": dict(self.rss)}


def _preflight(entries, device):
    """Load each network once here so that missing weights fail early, with one clear error."""
    from fusionbench.methods.baselines import BASELINES
    from fusionbench.methods.registry import get_method
    from fusionbench.runner.tasks import _cached
    for label, entry, folder in entries:
        if folder is None and label.split(":")[0] not in BASELINES:
            wdir = entry["weights_dir"]
            _cached(("method", label, device, wdir),
                    functools.partial(get_method, label, device=device, weights_dir=wdir))


def _order(entries, label):
    return next(i for i, e in enumerate(entries) if e[0] == label)


def _task_pos(tasks, index):
    # tasks are created in (dataset, pair) order, but pairs without work are skipped
    lo, hi = 0, len(tasks)
    while lo < hi:
        mid = (lo + hi) // 2
        if tasks[mid]["index"] < index:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _progress(total, enabled):
    from tqdm import tqdm
    return tqdm(total=total, unit="pair", desc="evaluate", file=sys.stderr,
                disable=not enabled or total == 0 or os.environ.get("FUSIONBENCH_NO_PROGRESS") == "1")
