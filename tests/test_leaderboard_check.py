"""Leaderboards: update -> check passes; a nudged stored value makes check fail with a diff."""

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from fusionbench.cli import main as cli_main
from fusionbench.report import leaderboard as lb
from fusionbench.report.results import summarise

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FUSIONBENCH_SHARED", REPO.parent / "shared"))
SAMPLE_TNO = lb.sample_root() / "tno"
METRICS = ["EN", "SD", "AG", "CC"]


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """A small tno42/cddfuse board built from two bundled sample pairs and a fake method."""
    root = tmp_path_factory.mktemp("lb")
    shared = root / "shared"
    for side in ("ir", "vi"):
        (shared / "data/tno42" / side).mkdir(parents=True)
        for stem in ("08", "12"):
            shutil.copy(SAMPLE_TNO / side / f"{stem}.png", shared / "data/tno42" / side)
    fake = shared / "data/tno42/fused/VisCopy"
    fake.mkdir(parents=True)
    for stem in ("08", "12"):
        shutil.copy(SAMPLE_TNO / "vi" / f"{stem}.png", fake)
    out = root / "leaderboards"
    written = lb.update(out, boards=["tno42/cddfuse"], shared=shared, metrics=METRICS,
                        methods=["average", "VisCopy"], include_networks=False,
                        write_pages=False, store=root / "store.sqlite", jobs=1)
    assert written == [out / "tno42" / "cddfuse"]
    return out, shared


def _nudge(csv, method, metric, factor=1.001, column="value"):
    df = pd.read_csv(csv, dtype={"image": str})
    i = df.index[(df["method"] == method) & (df["metric"] == metric)][0]
    df.loc[i, column] *= factor
    df.to_csv(csv, index=False, float_format=lb.FLOAT_FORMAT)
    return df.loc[i, "image"] if "image" in df else None


def test_update_writes_board(board):
    out, _ = board
    d = out / "tno42" / "cddfuse"
    meta = json.loads((d / "leaderboard.json").read_text())
    assert meta["metrics"] == METRICS and meta["images"] == ["08", "12"]
    assert [e["method"] for e in meta["entries"]] == ["average", "VisCopy"]
    assert set(meta["tolerance"]) == set(METRICS)
    df = pd.read_csv(d / "per_image.csv")
    assert len(df) == 2 * 2 * len(METRICS)


def test_check_passes_then_fails_when_nudged(board, tmp_path):
    out, shared = board
    report = lb.check(out, scope="full", shared=shared)
    assert report.ok, report.format()
    assert report.checked == 2 * 2 * len(METRICS)
    copy = tmp_path / "lb"
    shutil.copytree(out, copy)
    image = _nudge(copy / "tno42/cddfuse/per_image.csv", "VisCopy", "SD")
    report = lb.check(copy, scope="full", shared=shared)
    assert not report.ok
    text = report.format()
    assert "drifted beyond tolerance" in text and "FAILED" in text
    # the per-image drift names method, image and metric; the means no longer match either
    assert any(d.method == "VisCopy" and d.image == image and d.metric == "SD"
               for d in report.drifts)
    assert any(d.image == "(mean)" for d in report.drifts)


def test_check_cli_exit_codes(board, tmp_path, capsys):
    out, shared = board
    assert cli_main(["check", str(out), "--shared", str(shared), "--scope", "full"]) == 0
    copy = tmp_path / "lb"
    shutil.copytree(out, copy)
    _nudge(copy / "tno42/cddfuse/means.csv", "average", "EN", factor=1.01, column="mean")
    assert cli_main(["check", str(copy), "--shared", str(shared)]) == 1
    assert "average" in capsys.readouterr().out


def test_ci_plan_covers_every_image_with_cheap_metrics():
    meta = {"metrics": ["EN", "SD", "VIF"], "ci": {"all_images_metrics": ["EN", "SD"],
                                                   "images_per_entry": 1}}
    images = ["a", "b", "c"]
    plans = [lb._plan(images, meta, "ci", k) for k in range(3)]
    for plan in plans:
        assert [i for i, _ in plan] == images
        assert sum(1 for _, ms in plan if "VIF" in ms) == 1
    full = {i for plan in plans for i, ms in plan if "VIF" in ms}
    assert full == set(images)  # rotating: every image fully recomputed by some entry


COMMITTED = REPO / "leaderboards" / "tno42" / "cddfuse"


@pytest.mark.skipif(not (COMMITTED / "leaderboard.json").is_file(),
                    reason="committed tno42/cddfuse leaderboard not present")
def test_committed_board_checks_and_nudge_fails(tmp_path):
    """The committed board reproduces (baseline 'average', ci scope) and a nudge is caught."""
    shared = SHARED if (SHARED / "data/tno42").is_dir() else tmp_path / "absent"
    report = lb.check(REPO / "leaderboards", boards=["tno42/cddfuse"], methods=["average"],
                      shared=shared)
    assert report.ok, report.format()
    assert report.checked > 0
    copy = tmp_path / "leaderboards"
    shutil.copytree(REPO / "leaderboards" / "tno42", copy / "tno42")
    df = pd.read_csv(copy / "tno42/cddfuse/per_image.csv", dtype={"image": str})
    checked_images = set(pd.read_csv(COMMITTED / "per_image.csv", dtype={"image": str})["image"])
    if not (SHARED / "data/tno42").is_dir():
        checked_images &= {"08", "12", "35", "36"}  # bundled sample
    i = df.index[(df["method"] == "average") & (df["metric"] == "EN")
                 & df["image"].isin(checked_images)][0]
    df.loc[i, "value"] += 1e-3
    df.to_csv(copy / "tno42/cddfuse/per_image.csv", index=False, float_format=lb.FLOAT_FORMAT)
    report = lb.check(copy, boards=["tno42/cddfuse"], methods=["average"], shared=shared)
    assert not report.ok
    assert any(d.image == df.loc[i, "image"] and d.metric == "EN" for d in report.drifts)


def test_ci_plan_networks_only_rotating_images():
    meta = {"metrics": ["EN", "VIF"], "ci": {"all_images_metrics": ["EN"], "images_per_entry": 1}}
    plan = lb._plan(["a", "b", "c"], meta, "ci", 1, expensive=True)
    assert plan == [("b", ["EN", "VIF"])]
    assert lb.weights_digest("no_such_network") is None


@pytest.mark.skipif(not (COMMITTED / "leaderboard.json").is_file() or not (SHARED / "data/tno42").is_dir(),
                    reason="committed tno42/cddfuse board or the shared TNO data not present")
def test_network_entries_get_the_network_tolerance(tmp_path):
    """A re-fused network entry may drift by ~1e-5 across CPUs (passes), not by 1e-3 (fails);
    a fixed-image entry nudged by the same 2e-5 fails at the default 1e-6."""
    meta = json.loads((COMMITTED / "leaderboard.json").read_text())
    nets = [e["method"] for e in meta["entries"] if e["kind"] == "network"
            and e.get("weights_sha256") == lb.weights_digest(e["method"])]
    if not nets:
        pytest.skip("no network entry with current weights on the board")
    assert meta["network_tolerance"]["rel"] == lb.NETWORK_TOL["rel"] == 1e-4
    for factor, method, ok in ((1 + 2e-5, nets[0], True), (1 + 1e-3, nets[0], False),
                               (1 + 2e-5, "average", False)):
        copy = tmp_path / f"lb{factor}{method}"
        shutil.copytree(REPO / "leaderboards" / "tno42", copy / "tno42")
        df = pd.read_csv(copy / "tno42/cddfuse/per_image.csv", dtype={"image": str})
        rows = (df["method"] == method) & (df["metric"] != "EN")  # EN can be exactly 0-sensitive
        df.loc[rows, "value"] *= factor
        df.to_csv(copy / "tno42/cddfuse/per_image.csv", index=False, float_format=lb.FLOAT_FORMAT)
        report = lb.check(copy, boards=["tno42/cddfuse"], methods=[method], shared=SHARED)
        drifts = [d for d in report.drifts if "(means)" not in d.board]
        assert report.checked > 0 and not report.skipped, report.format()
        assert (not drifts) == ok, (factor, method, report.format())


def test_partial_update_keeps_the_digest_of_kept_network_rows(board, tmp_path, monkeypatch):
    out, shared = board
    copy = tmp_path / "lb"
    shutil.copytree(out, copy)
    d = copy / "tno42" / "cddfuse"
    meta = json.loads((d / "leaderboard.json").read_text())
    meta["entries"].append({"method": "fakenet", "kind": "network", "weights_sha256": "old"})
    (d / "leaderboard.json").write_text(json.dumps(meta))
    df = pd.read_csv(d / "per_image.csv", dtype={"image": str})
    fake = df[df["method"] == "VisCopy"].assign(method="fakenet")
    pd.concat([df, fake]).to_csv(d / "per_image.csv", index=False, float_format=lb.FLOAT_FORMAT)
    real = lb._method_entries

    def entries(names, kind):  # the weights on disk have changed since the fakenet rows were made
        if kind == "network":
            return [{"method": "fakenet", "kind": "network", "weights_sha256": "new"}], {}
        return real(names, kind)

    monkeypatch.setattr(lb, "_method_entries", entries)
    lb.update(copy, boards=["tno42/cddfuse"], shared=shared, metrics=METRICS, methods=["average"],
              write_pages=False, store=tmp_path / "store.sqlite", jobs=1)
    after = {e["method"]: e for e in json.loads((d / "leaderboard.json").read_text())["entries"]}
    assert after["fakenet"]["weights_sha256"] == "old"
    assert (pd.read_csv(d / "per_image.csv")["method"] == "fakenet").sum() == len(fake)


@pytest.mark.parametrize("scope", ["ci", "full"])
def test_check_fails_when_network_weights_changed(board, tmp_path, monkeypatch, capsys, scope):
    """A network entry recorded with other weights than the file on disk fails check (at every scope)
    with a line naming board, method, both digests and the update command; an absent weights file
    is only skipped."""
    out, shared = board
    copy = tmp_path / "lb"
    shutil.copytree(out, copy)
    d = copy / "tno42" / "cddfuse"
    meta = json.loads((d / "leaderboard.json").read_text())
    meta["entries"] += [{"method": "fakenet", "kind": "network", "weights_sha256": "a" * 64},
                        {"method": "gonenet", "kind": "network", "weights_sha256": "c" * 64}]
    (d / "leaderboard.json").write_text(json.dumps(meta))
    df = pd.read_csv(d / "per_image.csv", dtype={"image": str})
    extra = [df[df["method"] == "VisCopy"].assign(method=m) for m in ("fakenet", "gonenet")]
    df = pd.concat([df, *extra])
    df.to_csv(d / "per_image.csv", index=False, float_format=lb.FLOAT_FORMAT)
    summarise(df)[["method", "metric", "mean", "std", "n"]].to_csv(d / "means.csv", index=False,
                                                                  float_format=lb.FLOAT_FORMAT)
    monkeypatch.setattr(lb, "weights_digest", lambda m: {"fakenet": "b" * 64}.get(m))
    report = lb.check(copy, scope=scope, shared=shared, methods=["average", "fakenet", "gonenet"])
    assert not report.ok
    stale = [p for p in report.problems if "fakenet" in p]
    assert len(stale) == 1, report.format()
    line = stale[0]
    assert "tno42/cddfuse" in line and "a" * 12 in line and "b" * 12 in line
    assert "fusionbench leaderboard update --board tno42/cddfuse --method fakenet" in line
    assert not any("gonenet" in p for p in report.problems)
    assert any(what == "gonenet" and "not found" in why for _, what, why in report.skipped)
    assert cli_main(["check", str(copy), "--shared", str(shared), "--scope", scope]) == 1
    assert "--method fakenet" in capsys.readouterr().out
    # with the recorded digest equal to the file on disk the entry is no longer a problem
    meta["entries"][-2]["weights_sha256"] = "b" * 64
    (d / "leaderboard.json").write_text(json.dumps(meta))
    report = lb.check(copy, scope=scope, shared=shared, methods=["average"])
    assert not any("fakenet" in p for p in report.problems), report.format()
