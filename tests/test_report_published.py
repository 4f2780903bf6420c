"""Published paper tables: bundled as package data, matched to fusionbench results."""

import filecmp
from pathlib import Path

import numpy as np
import pandas as pd

from fusionbench.report.published import (
    compare,
    convention,
    dataset_key,
    load_published,
    method_key,
    published_dir,
    render_comparison,
)

REPO = Path(__file__).resolve().parents[1]


def test_bundled_tables_complete_and_identical_to_leaderboards_copy():
    files = sorted(p.name for p in published_dir().iterdir() if p.name.endswith(".csv"))
    assert len(files) == 14 and "README.md" in {p.name for p in published_dir().iterdir()}
    copy = REPO / "leaderboards" / "published"
    if copy.is_dir():
        for name in files + ["README.md"]:
            assert filecmp.cmp(Path(str(published_dir() / name)), copy / name, shallow=False)
    df = load_published(include_ambiguous=True)
    assert len(df) == 36 + 240 + 70 + 100 + 84 + 32 + 54 * 3 + 11 + 24 + 18 + 90 + 24
    assert len(load_published()) == len(df) - 90  # MSFE Table 1 left out by default
    ours = df[(df.source == "smfnet_table1_ivf_tno_roadscene_msrs") & (df.method == "Ours")
              & (df.dataset == "MSRS")].set_index("metric")["value"]
    assert ours["EN"] == 6.7021 and ours["SSIM"] == 0.9923  # METRICS.md section 8.1


def test_name_keys():
    assert dataset_key("tno42") == dataset_key("TNO") == dataset_key("TNO (25 pairs)") == "tno"
    assert dataset_key("TNO sequence Nato") != "tno"
    assert method_key("RFN-Nest") == method_key("rfn_nest")


def test_compare_matches_and_best_fit():
    rows = []
    for profile, ag in (("cddfuse", 3.0), ("cddfuse+ag_half=false", 3.7)):
        for img in ("01", "02"):
            rows.append(dict(dataset="tno42", method="DenseFuse", image=img, profile=profile,
                             metric="AG", value=ag))
    rows.append(dict(dataset="tno42", method="NoSuchMethod", image="01", profile="cddfuse",
                     metric="AG", value=1.0))
    cmp = compare(pd.DataFrame(rows))
    assert set(cmp.method) == {"DenseFuse"} and set(cmp.paper) == {"SMFNet"}
    pub = 3.7325  # SMFNet Table 1, TNO, DenseFuse, AG
    assert np.allclose(cmp.published, pub)
    best = cmp[cmp.best_fit].profile.tolist()
    assert best == ["cddfuse+ag_half=false"]
    assert "ag_half=false" in convention("smfnet", "AG")
    md = render_comparison(cmp)
    assert "| SMFNet Table 1 |" in md and "✓" in md and "+" in md


def test_ours_maps_to_network():
    rows = [dict(dataset="MSRS", method="smfnet", image="x", profile="cddfuse", metric="EN",
                 value=6.7)]
    cmp = compare(pd.DataFrame(rows))
    assert set(cmp.paper_method) == {"Ours"} and len(cmp) == 1
    assert abs(cmp["diff"].iloc[0] - (6.7 - 6.7021)) < 1e-12
