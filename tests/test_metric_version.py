"""Issue #13: a metric's numbers may not change while ``METRIC_VERSION`` stays the same.

Stores reuse a value whenever its key (pixels, profile, options, metric version, backend class)
matches, so a kernel change that moves numbers without a version bump silently mixes old and new
values. ``tests/data/metric_reference.json`` holds every metric under every profile on a fixed crop
of a bundled MSRS pair (float64 NumPy reference) with the version that made them.

Regenerate after bumping ``METRIC_VERSION`` (fusionbench/metrics/result.py):
``python tests/test_metric_version.py``; after adding a metric or profile (no existing value may
change): ``python tests/test_metric_version.py --add``.
"""

import json
import math
from pathlib import Path

import numpy as np

from fusionbench.datasets import SAMPLE_ROOT
from fusionbench.imageio import read_image
from fusionbench.metrics import ALL_METRICS, METRIC_VERSION, PROFILES
from fusionbench.scoring import compute

REFERENCE = Path(__file__).parent / "data" / "metric_reference.json"
PAIR = "msrs/test/{}/00537D.png"
CROP = (slice(200, 296), slice(260, 388))  # 96 x 128 pixels, well above every metric's window
# small crops guard the size-dependent paths (VIF below 41 px follows scipy's 'valid' semantics)
SMALL_CROPS = {"@30x36": (slice(230, 260), slice(300, 336)), "@16x16": (slice(240, 256), slice(320, 336))}
RTOL = 1e-12


def _triple(crop=CROP):
    ir = read_image(SAMPLE_ROOT / PAIR.format("ir"))[crop]
    vi = read_image(SAMPLE_ROOT / PAIR.format("vi"))[crop]
    fused = ((ir.astype(np.int64)[..., None] + vi) // 2).astype(np.uint8)  # RGB: colour paths too
    return fused, ir, vi


def compute_all() -> dict:
    """profile[@crop] -> metric -> value (None for NaN) on the fixed triples (small crops: the
    metrics that give a value there)."""
    out = {}
    for suffix, crop in {"": CROP, **SMALL_CROPS}.items():
        F, A, B = _triple(crop)
        for profile in PROFILES:
            vals = {}
            for m in ALL_METRICS:
                try:
                    vals[m] = compute(F, A, B, metrics=[m], profile=profile, backend="numpy")[m]
                except Exception:  # noqa: BLE001 - a metric that refuses this size has no reference value
                    if not suffix:
                        raise
                    continue
            out[profile + suffix] = {m: None if math.isnan(v) else v for m, v in vals.items()}
    return out


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or abs(a - b) <= RTOL * max(abs(a), abs(b))


def test_values_change_only_with_the_metric_version():
    ref = json.loads(REFERENCE.read_text())
    assert ref["metric_version"] == METRIC_VERSION, (
        f"METRIC_VERSION is {METRIC_VERSION!r} but {REFERENCE.name} was made under {ref['metric_version']!r}: "
        "regenerate it with `python tests/test_metric_version.py` in the commit that bumps the version")
    now = compute_all()
    known = ref["values"]
    changed = [f"{p}/{m}: {known[p][m]!r} -> {v!r}" for p, vals in now.items() for m, v in vals.items()
               if m in known.get(p, {}) and not _same(known[p][m], v)]
    new = [f"{p}/{m}" for p, vals in now.items() for m in vals if m not in known.get(p, {})]
    assert not changed, (f"metric values changed while METRIC_VERSION stayed {METRIC_VERSION!r}; bump it in "
                         "fusionbench/metrics/result.py (stores would reuse the old values), then regenerate "
                         f"{REFERENCE.name}:\n  " + "\n  ".join(changed))
    assert not new, (f"no reference value for {', '.join(new)} (a new metric or profile): add them with "
                     "`python tests/test_metric_version.py --add`, which keeps every existing value")


def test_the_check_catches_a_change():
    """The comparison sees a change of one value at 1e-10 relative."""
    ref = json.loads(REFERENCE.read_text())["values"]
    assert all(_same(v, v) for vals in ref.values() for v in vals.values())
    v = ref["cddfuse"]["VIF"]
    assert not _same(v, v * (1 + 1e-10)) and not _same(None, v)


def _add_new_values():
    """Add values of new metrics / profiles; refuse if an existing value changed."""
    ref = json.loads(REFERENCE.read_text())
    assert ref["metric_version"] == METRIC_VERSION, "METRIC_VERSION changed: regenerate without --add"
    now = compute_all()
    changed = [f"{p}/{m}" for p, vals in now.items() for m, v in vals.items()
               if m in ref["values"].get(p, {}) and not _same(ref["values"][p][m], v)]
    if changed:
        raise SystemExit(f"existing values changed ({', '.join(changed)}): bump METRIC_VERSION instead")
    added = 0
    for p, vals in now.items():
        for m, v in vals.items():
            if m not in ref["values"].setdefault(p, {}):
                ref["values"][p][m] = v
                added += 1
    REFERENCE.write_text(json.dumps(ref, indent=1) + "\n")
    print(f"added {added} values to {REFERENCE}")


if __name__ == "__main__" and "--add" in __import__("sys").argv:
    _add_new_values()
elif __name__ == "__main__":
    REFERENCE.parent.mkdir(exist_ok=True)
    REFERENCE.write_text(json.dumps({
        "_regenerate": "python tests/test_metric_version.py (after bumping METRIC_VERSION)",
        "metric_version": METRIC_VERSION, "pair": PAIR, "crop": "rows 200:296, columns 260:388",
        "fused": "(ir + vi) // 2 per channel, uint8", "backend": "numpy",
        "values": compute_all()}, indent=1) + "\n")
    print(f"wrote {REFERENCE}")
