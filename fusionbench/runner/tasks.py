"""Work done for one source pair, in whatever process runs it: decode once, fuse or load, score.

Everything here is picklable plain data so that a process pool or a Dask worker can run it.
"""

from __future__ import annotations

import hashlib

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


def _fused_image(entry, ir, vi, device):
    kind = entry["kind"]
    if kind == "fused":
        return read_image(entry["path"])
    from fusionbench.methods.registry import get_method
    method = _cached(("method", entry["name"], device), lambda: get_method(entry["name"], device=device))
    return method.fuse_images(ir, vi)


def score_pair(task: dict) -> dict:
    """Score every method of one pair; failures become per-method ``error`` strings, never exceptions.

    Returns ``{"index", "image", "results": [{"method", "digest", "keys", "values", "error"}]}``;
    ``values`` holds only the metrics whose key was not in ``task["known"]``.
    """
    from fusionbench.backends import get_backend
    from fusionbench.metrics.compute import score_planes
    from fusionbench.metrics.pipeline import prepare
    from fusionbench.metrics.profiles import get_profile
    from fusionbench.metrics.result import METRIC_VERSION
    from fusionbench.store.sqlite import score_key

    prof = get_profile(task["profile"], **task["overrides"])
    backend = _cached(("backend", task["backend"], task["device"]),
                      lambda: get_backend(task["backend"], task["device"]))
    out = {"index": task["index"], "image": task["image"], "results": []}
    methods = task["methods"]

    def fail(msg, which=methods):
        out["results"].extend({"method": m["label"], "error": msg} for m in which)
        return out

    try:
        ir, vi = read_image(task["ir"]), read_image(task["vi"])
    except InputError as exc:
        return fail(str(exc))
    if ir.shape[:2] != vi.shape[:2]:
        return fail(f"size mismatch: infrared {_size(ir)} ({task['ir']}) vs visible {_size(vi)} ({task['vi']})")
    for entry in methods:
        label = entry["label"]
        try:
            fused = _fused_image(entry, ir, vi, task["device"])
            if fused.shape[:2] != ir.shape[:2]:
                where = entry.get("path") or label
                raise InputError(where, f"size mismatch: fused {_size(fused)} vs sources {_size(ir)}")
            digest = pixel_digest(fused, ir, vi)
            keys = {m: score_key(digest, prof.label, task["options_text"], METRIC_VERSION, m)
                    for m in task["metrics"]}
            known = task["known"].get(label, {})
            todo = tuple(m for m in task["metrics"] if keys[m] not in known)
            values = {}
            if todo:
                names = (entry.get("path") or f"{label} output", task["ir"], task["vi"])
                planes = prepare(fused, ir, vi, prof.options, names=names)
                values = score_planes(planes, todo, prof.options, backend)
            out["results"].append({"method": label, "digest": digest, "keys": keys,
                                   "values": {m: float(v) for m, v in values.items()},
                                   "backend": backend.name, "error": None})
        except InputError as exc:
            fail(str(exc), [entry])
        except Exception as exc:  # noqa: BLE001 - a method or kernel failure must not stop the other pairs
            fail(f"{type(exc).__name__}: {exc}", [entry])
    return out
