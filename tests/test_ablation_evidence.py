"""Seed-addressed weights and the paper-vs-ours ablation evidence grid."""

import numpy as np
import pandas as pd
import pytest

from fusionbench.errors import InputError, UnknownNameError
from fusionbench.methods.base import seed_suffix, split_seed
from fusionbench.methods.registry import canonical_name
from fusionbench.report.ablation import ablation_evidence, render_evidence, variant_id
from fusionbench.train.weights import weights_stem


@pytest.mark.parametrize("text, expected", [
    ("no_sfe@seed1", ("no_sfe", 1)), ("@seed12", (None, 12)), ("no_sfe", ("no_sfe", 0)),
    (None, (None, 0)), ("sspfusion:no_sfe@seed2", ("sspfusion:no_sfe", 2))])
def test_split_seed(text, expected):
    assert split_seed(text) == expected


def test_seed_names_round_trip():
    assert seed_suffix(0) == "" and seed_suffix(3) == "@seed3"
    assert canonical_name("SSPFusion:no_sfe@seed1") == "sspfusion:no_sfe@seed1"
    assert canonical_name("s2fnet@seed2") == "s2fnet@seed2"
    assert weights_stem("sspfusion", "no_sfe@seed1") == "sspfusion__no_sfe@seed1"
    assert weights_stem("sspfusion", "@seed1") == "sspfusion@seed1"
    assert weights_stem("sspfusion", None) == "sspfusion"
    with pytest.raises(UnknownNameError):
        canonical_name("average@seed1")
    with pytest.raises(UnknownNameError):
        canonical_name("sspfusion:no_such@seed1")


def test_variant_id():
    assert variant_id("sspfusion", "sspfusion:no_sfe@seed1") == ("ssp_no_sfe", 1)
    assert variant_id("sspfusion", "sspfusion@seed2") == ("ssp_full", 2)
    assert variant_id("sspfusion", "sspfusion") == ("ssp_full", 0)
    assert variant_id("sspfusion", "gff")[0] is None


def test_every_trainable_ablation_has_a_switch_row():
    """Every ablation a recipe can train resolves to a row of the grids' switch table (MSFE's
    ``no_gan`` too, which its paper shows only qualitatively), so `plot ablation` accepts all the
    bundled weights."""
    import importlib

    from fusionbench.methods.networks import NETWORKS
    from fusionbench.report.ablation import switch_frame
    for net in NETWORKS:
        names = [f"{net}:{a}" for a in importlib.import_module(f"fusionbench.methods.networks.{net}").ABLATIONS]
        assert all(variant_id(net, n)[0] for n in names), net
        full = switch_frame(net, [net]).iloc[0]
        assert (switch_frame(net, names) != full).any(axis=1).all(), net  # each row changes a switch


def _results(means: dict, n_images=4):
    rows = []
    for method, level in means.items():
        for i in range(n_images):
            for metric in ("MI", "VIF", "Qabf", "SSIM"):
                rows.append(dict(dataset="roadscene50", method=method, image=f"{i}.png", profile="cddfuse",
                                 metric=metric, value=level + 0.01 * (i - 1.5)))  # image mean = level
    return pd.DataFrame(rows)


def test_evidence_verdicts_and_noise_width():
    # full-model seed means 1.00, 1.01, 0.99: s = 0.01, k = 3, one ablation seed
    df = _results({"sspfusion": 1.00, "sspfusion@seed1": 1.01, "sspfusion@seed2": 0.99,
                   "sspfusion:no_sfe": 0.90, "sspfusion:no_spf": 1.02})
    ev = ablation_evidence(df, network="sspfusion", paper_dataset="RoadScene").set_index(
        ["ablation_id", "metric"])
    from scipy import stats
    width = stats.t.ppf(0.975, 2) * 0.01 * np.sqrt(1 / 3 + 1)
    assert ev["noise"].to_numpy() == pytest.approx(width, rel=1e-9)
    # the paper's rows all lose to its full model on RoadScene: no_sfe falls too (beyond noise)
    assert (ev.loc["ssp_no_sfe", "verdict"] == "agrees").all()
    assert ev.loc[("ssp_no_sfe", "MI"), "ours_delta"] == pytest.approx(-0.10)
    assert ev.loc[("ssp_no_sfe", "MI"), "paper_delta"] == pytest.approx(4.706 - 4.789)
    # +0.02 is inside 4.97 * 0.01: within seed noise, whatever its sign
    assert (ev.loc["ssp_no_spf", "verdict"] == "within noise").all()


def test_evidence_contradicts_and_missing_rows():
    df = _results({"sspfusion": 1.00, "sspfusion@seed1": 1.001, "sspfusion@seed2": 0.999,
                   "sspfusion:no_sfe": 1.10})
    ev = ablation_evidence(df, network="sspfusion", paper_dataset="RoadScene")
    verdicts = ev.groupby("ablation_id")["verdict"].agg(set)
    assert verdicts["ssp_no_sfe"] == {"contradicts"}
    assert verdicts["ssp_no_spf"] == {"not trained"}
    text = render_evidence(ev)
    assert "✗ contradicts 4" in text and "not trained" in text


def test_evidence_without_seeds_says_so():
    df = _results({"sspfusion": 1.00, "sspfusion:no_sfe": 0.5})
    ev = ablation_evidence(df, network="sspfusion", paper_dataset="RoadScene")
    assert set(ev.loc[ev["ablation_id"] == "ssp_no_sfe", "verdict"]) == {"no seed noise"}


def test_evidence_errors():
    df = _results({"sspfusion:no_sfe": 0.5})
    with pytest.raises(InputError, match="full model"):
        ablation_evidence(df, network="sspfusion", paper_dataset="RoadScene")
    with pytest.raises(InputError, match="no rows for dataset"):
        ablation_evidence(_results({"sspfusion": 1.0}), network="sspfusion", paper_dataset="LLVIP")
