"""Work done for one source pair, in whatever process runs it: decode once, fuse or load, score.

Everything here is picklable plain data so that a process pool or a Dask worker can run it.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import Callable, NamedTuple

import numpy as np

from fusionbench.errors import InputError
from fusionbench.imageio import read_image

_CACHE = {}  # per-process cache of methods and backends (network weights load once per worker)


def _cached(key, build):
    if key not in _CACHE:
        _CACHE[key] = build()
    return _CACHE[key]


def pixel_digest(*images) -> str:
    """sha256 over shape, dtype and pixels of each array."""
    h = hashlib.sha256()
    for img in images:
        arr = np.ascontiguousarray(img)
        h.update(f"{arr.shape}|{arr.dtype.str}|".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def _size(img) -> str:
    return f"{img.shape[1]}x{img.shape[0]}"


def _checked(fused, ir, where):
    if fused.shape[:2] != ir.shape[:2]:
        raise InputError(where, f"size mismatch: fused {_size(fused)} vs sources {_size(ir)}")
    return fused


class Obtained(NamedTuple):
    """A fused image as :func:`_obtain` found it."""

    digest: str  # pixel digest of (fused, IR, visible)
    image: Callable  # () -> the fused image (a cached one is decoded only when called)
    weights: str | None  # the method's weights digest
    row: dict | None  # cache row to store: set when fused here and cacheable
    cached: bool  # taken from the store's fused images


def _obtain(entry, ir, vi, sources, device, cache) -> Obtained:
    """Fused image of one method or folder: read from the folder, reused from the cache, or fused."""
    if entry["kind"] == "fused":
        fused = _checked(read_image(entry["path"]), ir, entry["path"])
        return Obtained(pixel_digest(fused, ir, vi), lambda: fused, None, None, False)
    from fusionbench.methods.registry import get_method
    from fusionbench.store.fused import encode, fused_key
    name, wdir = entry["name"], entry.get("weights_dir")
    method = _cached(("method", name, device, wdir), lambda: get_method(name, device=device, weights_dir=wdir))
    key = fused_key(method, sources)
    digest = cache.digest(key) if cache is not None and key is not None else None
    if digest is not None:
        return Obtained(digest, lambda: cache.image(key), method.weights_digest, None, True)
    fused = _checked(method.fuse_images(ir, vi), ir, entry["label"])
    digest = pixel_digest(fused, ir, vi)
    png = encode(fused) if cache is not None and key is not None else None
    row = None if png is None else {"key": key, "method": method.name, "weights": method.weights_digest,
                                    "source_digest": sources, "pixel_digest": digest, "image": png}
    return Obtained(digest, lambda: fused, method.weights_digest, row, False)


def key_options(metrics, options) -> dict:
    """metric -> the JSON text of the options it reads (its key's part of the option set)."""
    from fusionbench.metrics.registry import metric_options
    from fusionbench.store.sqlite import options_json
    return {m: options_json(metric_options(m, options)) for m in metrics}


def score_pair(task: dict) -> dict:
    """Score every method of one pair; failures become per-method ``error`` strings, never exceptions.

    Fused images come from ``task["store"]`` when it holds them (see :mod:`fusionbench.store.fused`).

    Returns ``{"index", "image", "results": [{"method", "digest", "keys", "values", "backend",
    "backend_class", "weights", "source_digest", "fused", "cached", "nan_reasons", "error"}]}`` (``nan_reasons``:
    metric -> why it is NaN at this image size where the toolbox raises; ``source_digest``: pixel digest of
    the IR and visible images); ``values`` holds only the metrics whose key was not
    in ``task["known"]``, ``fused`` the cache row of an image fused here (or None), ``cached``
    whether the fused image came from the store. ``timing`` holds this pair's seconds (``decode``:
    reading the sources and fused files, with their digests; ``fuse``: running methods; ``score``:
    preparing the planes and scoring, and ``score_cpu``, its process CPU time; ``total``), the
    worker's ``pid`` and its peak resident memory so far (``maxrss_kb``), for
    ``benchmarks/bench_dataset.py``.
    """
    from fusionbench.backends import get_backend
    from fusionbench.metrics.compute import score_planes
    from fusionbench.metrics.pipeline import prepare
    from fusionbench.metrics.profiles import get_profile
    from fusionbench.metrics.registry import nan_reason
    from fusionbench.metrics.result import METRIC_VERSION
    from fusionbench.store.fused import open_reader
    from fusionbench.store.sqlite import backend_class, value_key

    prof = get_profile(task["profile"], **task["overrides"])
    backend = _cached(("backend", task["backend"], task["device"]),
                      lambda: get_backend(task["backend"], task["device"]))
    bclass = backend_class(backend.name)
    key_opts = key_options(task["metrics"], prof.options)
    cache = _cached(("fused", task.get("store")), lambda: open_reader(task.get("store")))
    clock = {"decode": 0.0, "fuse": 0.0, "score": 0.0, "score_cpu": 0.0}
    t_start = time.perf_counter()
    out = {"index": task["index"], "image": task["image"], "results": [], "timing": clock}
    methods = task["methods"]

    def fail(msg, which=methods):
        out["results"].extend({"method": m["label"], "error": msg} for m in which)
        return out

    try:
        ir, vi = read_image(task["ir"]), read_image(task["vi"])
    except InputError as exc:
        return _timed(fail(str(exc)), t_start)
    if ir.shape[:2] != vi.shape[:2]:
        return _timed(fail(f"size mismatch: infrared {_size(ir)} ({task['ir']}) vs visible {_size(vi)} "
                           f"({task['vi']})"), t_start)
    sources = pixel_digest(ir, vi)
    reasons = {m: why for m in task["metrics"] if (why := nan_reason(m, ir.shape, prof.options))}
    clock["decode"] += time.perf_counter() - t_start
    for entry in methods:
        label = entry["label"]
        try:
            t0 = time.perf_counter()
            got = _obtain(entry, ir, vi, sources, task["device"], cache)
            clock["decode" if entry["kind"] == "fused" or got.cached else "fuse"] += time.perf_counter() - t0
            keys = {m: value_key(got.digest, m, key_opts[m], METRIC_VERSION, bclass) for m in task["metrics"]}
            known = task["known"].get(label, {})
            todo = tuple(m for m in task["metrics"] if keys[m] not in known)
            values = {}
            if todo:
                names = (entry.get("path") or f"{label} output", task["ir"], task["vi"])
                t0, c0 = time.perf_counter(), time.process_time()
                planes = prepare(got.image(), ir, vi, prof.options, names=names)
                values = score_planes(planes, todo, prof.options, backend)
                clock["score"] += time.perf_counter() - t0
                clock["score_cpu"] += time.process_time() - c0
            out["results"].append({"method": label, "digest": got.digest, "keys": keys,
                                   "values": {m: float(v) for m, v in values.items()},
                                   "backend": backend.name, "backend_class": bclass,
                                   "weights": got.weights, "source_digest": sources, "fused": got.row,
                                   "cached": got.cached, "nan_reasons": reasons, "error": None})
        except InputError as exc:
            fail(str(exc), [entry])
        except Exception as exc:  # noqa: BLE001 - a method or kernel failure must not stop the other pairs
            fail(f"{type(exc).__name__}: {exc}", [entry])
    source_cache = getattr(backend, "cache", None)
    if source_cache is not None and hasattr(source_cache, "clear"):
        source_cache.clear()  # the next task is another pair: its sources' intermediates would only hold memory
    return _timed(out, t_start)


def _timed(out, t_start):
    """Add the pair's total seconds, the worker's pid and its peak memory to ``out["timing"]``."""
    clock = out.setdefault("timing", {})
    clock["total"] = time.perf_counter() - t_start
    clock["pid"] = os.getpid()
    try:
        import resource
        clock["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    except ImportError:  # Windows
        clock["maxrss_kb"] = None
    return out
