"""#13 one evaluation engine: leaderboard update and check score through the runner's per-pair worker
(fusionbench.runner.tasks.score_pair), with the same numbers as fusionbench.compute, and keep what made
each value."""

import os
from pathlib import Path

import pytest

from fusionbench import compute
from fusionbench.report import leaderboard as lb

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FUSIONBENCH_SHARED", REPO.parent / "shared"))
SAMPLE_TNO = lb.sample_root() / "tno"


def _pair(stem="08"):
    return next(p for p in lb._pairs(SAMPLE_TNO) if p.name == stem)


@pytest.mark.parametrize("profile", ["cddfuse", "tang2022"])
@pytest.mark.parametrize("method", ["average", "gff"])
def test_baselines_equal_compute(profile, method):
    from fusionbench.imageio import read_image
    from fusionbench.methods import get_method
    pair = _pair()
    metrics = ["EN", "SD", "MI", "VIF", "Qabf", "SSIM"]
    scorer = lb._Scorer(profile, {}, metrics, "numpy")
    got = scorer({"method": method, "kind": "baseline"}, pair, SAMPLE_TNO)
    fused = get_method(method).fuse_images(read_image(pair.ir), read_image(pair.vi))
    want = dict(compute(fused, pair.ir, pair.vi, metrics=metrics, profile=profile, backend="numpy"))
    assert got == want  # bit for bit
    prov = scorer.provenance[(method, pair.name)]
    assert prov["backend"] == "numpy" and prov["backend_class"] == "fp64"
    assert len(prov["pixel_digest"]) == 64 and prov["weights"]


@pytest.mark.skipif(not (SHARED / "data/vifb/fused").is_dir(), reason="shared VIFB fused images not present")
def test_fused_pattern_equals_compute():
    root = SHARED
    pair = lb._pairs(root / "data/vifb")[0]
    entry = {"method": "ADF", "kind": "fused_pattern", "fused": "data/vifb/fused/{image}_ADF"}
    path = lb._fused_file(entry, pair.name, root)
    metrics = ["EN", "Qabf", "SSIM", "Qcb"]
    got = lb._Scorer("vifb", {}, metrics, "numpy")(entry, pair, root)
    assert got == dict(compute(path, pair.ir, pair.vi, metrics=metrics, profile="vifb", backend="numpy"))


def test_a_bad_fused_file_is_one_clear_error(tmp_path):
    folder = tmp_path / "fused" / "Broken"
    folder.mkdir(parents=True)
    (folder / "08.png").write_bytes(b"not a png")
    entry = {"method": "Broken", "kind": "fused_folder", "fused": "fused/Broken"}
    with pytest.raises(lb.InputError, match="Broken 08: .*08.png"):
        lb._Scorer("cddfuse", {}, ["EN"])(entry, _pair(), tmp_path)


def _shared(tmp_path, stems=("08", "12")):
    """A shared folder with a tno42 set of sample pairs and a fake method VisCopy (the visible image)."""
    import shutil
    shared = tmp_path / "shared"
    for side in ("ir", "vi"):
        (shared / "data/tno42" / side).mkdir(parents=True)
        for stem in stems:
            shutil.copy(SAMPLE_TNO / side / f"{stem}.png", shared / "data/tno42" / side)
    fake = shared / "data/tno42/fused/VisCopy"
    fake.mkdir(parents=True)
    for stem in stems:
        shutil.copy(SAMPLE_TNO / "vi" / f"{stem}.png", fake)
    return shared


def _update(out, shared, store, **kw):
    kw = dict(dict(metrics=["EN", "SD"], include_networks=False), **kw)
    return lb.update(out, boards=["tno42/cddfuse"], shared=shared, write_pages=False, store=store, jobs=1, **kw)


@pytest.fixture
def board(tmp_path):
    shared = _shared(tmp_path)
    out = tmp_path / "leaderboards"
    _update(out, shared, tmp_path / "store.sqlite")
    return out, shared


@pytest.fixture
def count_scoring(monkeypatch):
    """Number of metric values the metric kernels computed (every scoring path ends in score_planes)."""
    import fusionbench.metrics.compute as mc
    calls = []
    real = mc.score_planes

    def counted(planes, metrics, *a, **k):
        calls.extend(metrics)
        return real(planes, metrics, *a, **k)
    monkeypatch.setattr(mc, "score_planes", counted)
    return calls


def test_update_records_provenance_and_check_verifies_the_pixels(board, tmp_path):
    import numpy as np
    from PIL import Image
    out, shared = board
    d = out / "tno42" / "cddfuse"
    prov = lb._read_provenance(d)
    import json
    methods = [e["method"] for e in json.loads((d / "leaderboard.json").read_text())["entries"]]
    assert "average" in methods and "VisCopy" in methods
    assert sorted(zip(prov["method"], prov["image"])) == sorted((m, i) for m in methods for i in ("08", "12"))
    assert prov["pixel_digest"].str.fullmatch("[0-9a-f]{64}").all() and (prov["backend_class"] == "fp64").all()
    assert prov.loc[prov["method"] == "average", "weights"].str.startswith("code:").all()
    # a partial update keeps the other method's provenance
    _update(out, shared, tmp_path / "store.sqlite", methods=["average"])
    assert lb._read_provenance(d).equals(prov)
    assert lb.check(out, scope="full", shared=shared).ok
    # one fused pixel changed (EN, SD move by less than their tolerance, or not at all): caught
    f = shared / "data/tno42/fused/VisCopy/08.png"
    img = np.array(Image.open(f))
    img[0, 0] ^= 1
    Image.fromarray(img).save(f)
    report = lb.check(out, scope="full", shared=shared)
    assert not report.ok
    assert any("VisCopy 08: the fused or source pixels differ" in p for p in report.problems), report.format()


def test_provenance_lists_what_made_each_row(board, tmp_path):
    """provenance.csv: per (method, image) the profile, options, metric version, backend and its class,
    weights digest, source digest and pixel digest, equal to the store's records of those values."""
    import sqlite3

    from fusionbench.imageio import read_image
    from fusionbench.metrics import METRIC_VERSION, get_profile
    from fusionbench.runner.tasks import pixel_digest
    from fusionbench.store.sqlite import options_json
    out, shared = board
    prov = lb._read_provenance(out / "tno42" / "cddfuse")
    assert list(prov.columns) == lb.PROVENANCE_COLUMNS == [
        "method", "image", "profile", "options", "metric_version", "backend", "backend_class", "weights",
        "source_digest", "pixel_digest"]
    assert len(prov) == 5 * 2  # average, max, laplacian, gff, VisCopy x 2 images
    assert (prov["profile"] == "cddfuse").all() and (prov["metric_version"] == METRIC_VERSION).all()
    assert (prov["options"] == options_json(get_profile("cddfuse").options)).all()
    assert (prov["backend"] == "numpy").all() and (prov["backend_class"] == "fp64").all()
    weights = dict(zip(prov["method"], prov["weights"]))
    assert weights["average"] == "code:average@1" and weights["VisCopy"] == ""  # made elsewhere: unknown
    for stem in ("08", "12"):
        ir, vi = read_image(shared / f"data/tno42/ir/{stem}.png"), read_image(shared / f"data/tno42/vi/{stem}.png")
        assert (prov.loc[prov["image"] == stem, "source_digest"] == pixel_digest(ir, vi)).all()
        fused = read_image(shared / f"data/tno42/fused/VisCopy/{stem}.png")
        row = prov[(prov["method"] == "VisCopy") & (prov["image"] == stem)]
        assert row["pixel_digest"].item() == pixel_digest(fused, ir, vi)
    # the board's rows are the store's values, and the store keeps the same provenance per value
    with sqlite3.connect(tmp_path / "store.sqlite") as con:
        stored = {(m, i, k): (v, w, s, p, b) for m, i, k, v, w, s, p, b in con.execute(
            "SELECT l.method, l.image, s.metric, s.value, l.weights, l.source_digest, s.pixel_digest, s.backend_class "
            "FROM labels l JOIN scores s ON s.key = l.key WHERE l.dataset = 'tno42'")}
    per_image = lb._read_per_image(out / "tno42" / "cddfuse")
    assert len(per_image) == len(stored) == 5 * 2 * 2
    p = prov.set_index(["method", "image"])
    for r in per_image.itertuples():
        v, w, src, pix, cls = stored[(r.method, r.image, r.metric)]
        assert v == pytest.approx(r.value, rel=1e-14)
        assert (w or "", src, pix, cls) == tuple(p.loc[(r.method, r.image), ["weights", "source_digest",
                                                                               "pixel_digest", "backend_class"]])


def test_rerun_reuses_the_store(tmp_path, count_scoring):
    """A second update computes nothing (every value and fused image from the store) and writes the same
    board; after one fused image changes, exactly that pair's values are computed again."""
    shared = _shared(tmp_path)
    out, store = tmp_path / "lb", tmp_path / "store.sqlite"
    logs = []
    _update(out, shared, store, progress=logs.append)
    d = out / "tno42" / "cddfuse"
    assert len(count_scoring) == 5 * 2 * 2  # 5 entries x 2 images x EN, SD
    first = {f: (d / f).read_bytes() for f in ("per_image.csv", "means.csv", "provenance.csv")}
    count_scoring.clear()
    _update(out, shared, store, progress=logs.append)
    assert count_scoring == []
    assert any("computed 0 values, reused 20 from the store" in m and "fused 0 images, reused 8" in m
               for m in logs), logs
    assert {f: (d / f).read_bytes() for f in first} == first
    import numpy as np
    from PIL import Image
    f = shared / "data/tno42/fused/VisCopy/12.png"
    img = np.array(Image.open(f))
    img[:8, :8] = 255 - img[:8, :8]
    Image.fromarray(img).save(f)
    _update(out, shared, store)
    assert count_scoring == ["EN", "SD"]  # only VisCopy on 12: the other values are the same numbers
    assert lb._read_per_image(d).query("method == 'VisCopy' and image == '12' and metric == 'SD'")["value"].item() \
        != pytest.approx(float(pd_value(first["per_image.csv"], "VisCopy", "12", "SD")), rel=1e-12)
    assert lb.check(out, scope="full", shared=shared).ok


def pd_value(csv_bytes, method, image, metric):
    import io

    import pandas as pd
    df = pd.read_csv(io.BytesIO(csv_bytes), dtype={"image": str})
    return df.query("method == @method and image == @image and metric == @metric")["value"].item()


def test_partial_update_keeps_other_rows_and_their_digests(tmp_path, monkeypatch):
    """The weights digest of a row is the one of the weights that made its value (from the store
    record), not the weights on disk now: a partial update leaves other rows, entries and digests alone."""
    import json

    from fusionbench.methods.baselines import BASELINES
    shared = _shared(tmp_path)
    out, store = tmp_path / "lb", tmp_path / "store.sqlite"
    monkeypatch.setattr(lb, "BASELINE_NAMES", ("average",))
    real = lb._method_entries

    def entries(names, kind):  # gff stands in for a network whose weights file now has digest "on-disk"
        if kind == "network":
            return [{"method": "gff", "kind": "network", "weights_sha256": "on-disk"}], {}
        return real(names, kind)
    monkeypatch.setattr(lb, "_method_entries", entries)
    _update(out, shared, store, include_networks=True)
    d = out / "tno42" / "cddfuse"

    def state():
        meta = json.loads((d / "leaderboard.json").read_text())
        return ({e["method"]: e.get("weights_sha256") for e in meta["entries"]}, lb._read_per_image(d),
                lb._read_provenance(d).set_index(["method", "image"]))
    digests, rows, prov = state()
    assert digests["gff"] == "code:gff@1"  # what made the values, not the digest on disk
    assert (prov.loc["gff", "weights"] == "code:gff@1").all()
    # new "weights": gff now gives another digest (and would fuse anew)
    gff = BASELINES["gff"]
    monkeypatch.setattr(gff, "version", "2")
    _update(out, shared, store, include_networks=True, methods=["average"])
    digests2, rows2, prov2 = state()
    assert digests2 == digests and rows2.equals(rows) and prov2.equals(prov)
    _update(out, shared, store, include_networks=True, methods=["gff"])
    digests3, rows3, prov3 = state()
    assert digests3["gff"] == "code:gff@2" and (prov3.loc["gff", "weights"] == "code:gff@2").all()
    assert prov3.loc["average"].equals(prov.loc["average"]) and digests3["average"] is None
    assert rows3[rows3["method"] == "average"].reset_index(drop=True).equals(
        rows[rows["method"] == "average"].reset_index(drop=True))


def test_unknown_method_is_a_clear_error(board, tmp_path):
    out, shared = board
    with pytest.raises(lb.InputError, match="nosuch: not an entry of board tno42/cddfuse"):
        _update(out, shared, tmp_path / "store.sqlite", methods=["nosuch"])


def test_cli_update_uses_the_store(tmp_path, capsys):
    from fusionbench.cli import main as cli_main
    shared = _shared(tmp_path, stems=("08",))
    out, store = tmp_path / "lb", tmp_path / "store.sqlite"
    args = ["leaderboard", "update", "--dir", str(out), "--board", "tno42/tang2022", "--shared", str(shared),
            "--store", str(store), "--jobs", "1", "--no-networks", "--no-progress", "--method", "average"]
    assert cli_main(args) == 0
    assert (out / "tno42/tang2022/provenance.csv").is_file()
    err = capsys.readouterr().err
    assert "computed 10 values, reused 0" in err and str(store) in err
    assert cli_main(args) == 0
    assert "computed 0 values, reused 10" in capsys.readouterr().err


def test_cli_update_without_sources_says_so(tmp_path, capsys):
    from fusionbench.cli import main as cli_main
    args = ["leaderboard", "update", "--dir", str(tmp_path / "lb"), "--shared", str(tmp_path / "none"),
            "--store", str(tmp_path / "store.sqlite"), "--no-progress"]
    assert cli_main(args) == 1
    assert "no board updated (sources not found" in capsys.readouterr().err


def test_missing_fused_image_left_out_and_a_bad_one_is_an_error_after_storing(tmp_path):
    """As before the runner: a pair with no fused file is left out of that entry; an undecodable fused
    file stops the update with one clear error, after every other value is in the store (reused next)."""
    shared = _shared(tmp_path)
    out, store = tmp_path / "lb", tmp_path / "store.sqlite"
    (shared / "data/tno42/fused/VisCopy/12.png").unlink()
    _update(out, shared, store)
    rows = lb._read_per_image(out / "tno42" / "cddfuse")
    assert sorted(set(rows.loc[rows["method"] == "VisCopy", "image"])) == ["08"]
    assert set(rows.loc[rows["method"] == "average", "image"]) == {"08", "12"}
    (shared / "data/tno42/fused/VisCopy/12.png").write_bytes(b"not a png")
    logs = []
    with pytest.raises(lb.InputError, match=r"1 \(method, pair\) could not be scored: tno42/12 \[VisCopy\]"):
        _update(out, shared, store, progress=logs.append)
    assert any("computed 0 values, reused 18" in m for m in logs), logs
