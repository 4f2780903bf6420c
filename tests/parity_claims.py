"""The parity claims: one table of the tolerances the README states and the parity tests assert.

Every parity test against real toolbox outputs (``tests/test_metrics_parity.py``,
``tests/test_metrics_mefb.py``) asserts each metric at exactly the tolerance given here, and records
what it achieved (:func:`record`) in ``build/parity.json`` (gitignored; ``FUSIONBENCH_PARITY_JSON``
to put it elsewhere). ``tools/parity_table.py`` renders the README's parity table from these claims
and from the achieved errors committed in ``docs/parity.json`` (a copy of a full run's
``build/parity.json``); ``tests/test_parity_table.py`` fails when the README differs from that
rendering, when a claim has no achieved figure or when an achieved figure exceeds its claim.

A claim is ``(kind, tolerance)``:

* ``"rel"``: worst ``|ours - toolbox| / |toolbox|`` over the values compared;
* ``"abs"``: worst ``|ours - toolbox|``;
* ``"digits"``: every value within ``tolerance`` units of the toolbox's last printed digit.

How the claims were set (each the 1-2-5 step at or above twice an achieved error, 0 for exact):
``tang2022`` from the errors recorded in ``docs/parity.json`` (NumPy float64 reference kernels, the
reference copy); ``vifb``: within the printed digits, i.e. rounding our value to VIFB's 5 significant
digits gives VIFB's value (at most 0.5 units of the last digit; the test asserted 1 unit before);
``cddfuse`` from the figures the README stated before this table was generated; ``mefb`` 1e-9, as
the README states (Qy and Qc on images without a flat source window); the TNO-42 means within one
unit of the evaluator's 4th printed decimal. None is looser than what the tests asserted before.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# profile (section) -> title, what is compared, metric -> (kind, tolerance)
SECTIONS = {
    "tang2022": {
        "title": "`tang2022` vs MATLAB",
        "against": "Tang's MATLAB output, TNO-42, 9 methods × 42 images",
        "claims": {
            "EN": ("rel", 2e-14), "SD": ("rel", 0.0), "SF": ("rel", 5e-15), "AG": ("rel", 1e-14),
            "MI": ("rel", 2e-11), "CC": ("rel", 2e-13), "SCD": ("rel", 2e-14), "VIF": ("rel", 5e-8),
            "Qabf": ("rel", 1e-14), "MSE": ("rel", 5e-15), "PSNR": ("rel", 5e-16),
        },
    },
    "cddfuse": {
        "title": "`cddfuse` vs Python evaluator",
        "against": "CDDFuse's utils/Evaluator.py in its pinned environment, 69 pairs × 3 trivial fusions",
        "claims": {
            "EN": ("rel", 1e-14), "SD": ("rel", 1e-6), "SF": ("rel", 5e-7), "AG": ("rel", 1e-6),
            "MI": ("rel", 1e-14), "CC": ("rel", 5e-6), "SCD": ("rel", 1e-6), "VIF": ("rel", 1e-7),
            "Qabf": ("rel", 2e-6), "MSE": ("rel", 1e-6), "PSNR": ("rel", 5e-7),
            "SSIM": ("abs", 2e-15), "SSIM_dr255": ("abs", 1e-6),  # dr255: no figure stated before; as asserted
        },
    },
    "cddfuse_tno42_means": {
        "title": "`cddfuse`, TNO-42 means",
        "against": "the evaluator's printed means (4 decimals) for SeAFusion and DenseFuse, specs/METRICS.md 7",
        "claims": {m: ("digits", 1.0) for m in ("EN", "SD", "SF", "AG", "MI", "CC", "SCD", "VIF", "Qabf",
                                                "SSIM", "SSIM_dr255")},
    },
    "vifb": {
        "title": "`vifb` vs VIFB",
        "against": "VIFB's published per-image values (5 significant digits), 21 images × 23 methods",
        "claims": {m: ("digits", 0.5) for m in ("CE", "EN", "MI", "PSNR", "AG", "EI", "Qabf", "SD", "SF",
                                                "RMSE", "SSIM", "Qcb", "Qcv")},
    },
    "mefb": {
        "title": "`mefb` vs MEFB in Octave",
        "against": "MEFB's .m functions run in GNU Octave, TNO-42 01–06 × 9 methods",
        "claims": {m: ("rel", 1e-9) for m in ("AG", "CE", "EI", "EN", "NMI", "PSNR", "Qabf", "Qcb", "Qcv",
                                              "Qw", "Q_NCIE", "Q_TE", "SD", "SF", "VIFF", "MEF_SSIM", "Qp")}
        | {"Qy": ("rel", 1e-9), "Qc": ("rel", 1e-9)},  # on images without a flat source window
    },
}


def claim(section: str, metric: str) -> tuple:
    """``(kind, tolerance)`` claimed for ``metric`` under ``section``."""
    return SECTIONS[section]["claims"][metric]


def tolerance(section: str, metric: str) -> float:
    return claim(section, metric)[1]


def achieved_path() -> Path:
    env = os.environ.get("FUSIONBENCH_PARITY_JSON")
    return Path(env) if env else REPO / "build" / "parity.json"


def _num(x):
    x = float(x)
    return None if math.isnan(x) else x


def portable(data: str) -> str:
    """A data location without this machine's folders (``/x/shared/data/tno42`` -> ``data/tno42``)."""
    parts = Path(data).parts
    return "/".join(parts[parts.index("data"):]) if "data" in parts else data


def record(section: str, metrics: dict, *, data: str, note: str = "") -> None:
    """Merge what a parity test achieved into :func:`achieved_path` (before it asserts).

    ``metrics``: metric -> dict with ``n`` (values compared), ``max_abs``, ``max_rel`` (and for
    ``digits`` claims ``max_units``, for values that must be NaN ``nan_matched``).
    """
    path = achieved_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        doc = {}
    clean = {m: {k: (_num(v) if k.startswith("max") else v) for k, v in sorted(d.items())}
             for m, d in sorted(metrics.items())}
    import numpy
    import scipy
    doc[section] = {"data": portable(data), "note": note, "metrics": clean, "backend": "numpy",
                    "versions": {"numpy": numpy.__version__, "scipy": scipy.__version__}}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)


def check(section: str, achieved: dict) -> list:
    """Claims that ``achieved`` (metric -> recorded dict) does not meet, as readable strings."""
    bad = []
    for metric, (kind, tol) in SECTIONS[section]["claims"].items():
        got = achieved.get(metric)
        if got is None:
            bad.append(f"{section}/{metric}: no achieved figure")
            continue
        value = {"rel": got.get("max_rel"), "abs": got.get("max_abs"), "digits": got.get("max_units")}[kind]
        if value is None or not value <= tol:
            bad.append(f"{section}/{metric}: {kind} error {value} > claimed {tol} ({got.get('where')})")
    return bad
