"""Fast backends agree with the reference on whole real images, not just crops.

VIF is ill-conditioned on large flat regions (``W(x*x) - mu**2`` cancels): two valid float64
filtering orders moved vifp by up to 1e-7 relative on VIFB's carLight, which crops did not show.
All backends now share the reference's tap order; this test keeps them to 1e-9 on full images.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_shared

from fusionbench.backends import NumpyBackend, get_backend
from fusionbench.metrics import PROFILES, REGISTRY, prepare

RTOL, ATOL = 1e-9, 1e-12
# metrics with a fast kernel; the others are the reference kernel itself (tests/test_metric_registry.py)
ALL_METRICS = tuple(m for m, entry in REGISTRY.items() if entry.fast)


@pytest.fixture(scope="module")
def triples():
    from fusionbench.imageio import read_image
    tno, vifb = require_shared("data", "tno42"), require_shared("data", "vifb")
    return {
        "tno01-SeAFusion": [read_image(p) for p in (tno / "fused" / "SeAFusion" / "01.png",
                                                    tno / "ir" / "01.png", tno / "vi" / "01.png")],
        "vifb-carLight-ADF": [read_image(p) for p in (vifb / "fused" / "carLight_ADF.jpg",
                                                      vifb / "input" / "IR" / "carLight.jpg",
                                                      vifb / "input" / "VI" / "carLight.jpg")],
    }


@pytest.fixture(scope="module")
def planes(triples):
    return {(name, prof): prepare(*imgs, PROFILES[prof].options).channels[0]
            for name, imgs in triples.items() for prof in PROFILES}


@pytest.fixture(scope="module")
def reference(planes):
    ref = NumpyBackend()
    return {key: ref.score(*p, ALL_METRICS, PROFILES[key[1]].options) for key, p in planes.items()}


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_full_images_match_reference(backend, planes, reference):
    if backend == "torch":
        pytest.importorskip("torch")
    be = get_backend(backend, "cpu" if backend == "torch" else None)
    bad = []
    for key, (F, A, B) in planes.items():
        got = be.score(F, A, B, ALL_METRICS, PROFILES[key[1]].options)
        for m in ALL_METRICS:
            r, g = reference[key][m], got[m]
            if np.isnan(r) or np.isnan(g):
                ok = np.isnan(r) and np.isnan(g)
            else:
                ok = abs(g - r) <= RTOL * abs(r) + ATOL
            if not ok:
                bad.append(f"{key}/{m}: {g!r} vs {r!r}")
    assert not bad, "\n".join(bad)
