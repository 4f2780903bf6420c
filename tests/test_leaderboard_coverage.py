"""#13: the ci scope of `fusionbench check` recomputes every image x metric cell of a board in one run
(the entries share a rotation sized to the board), and the run itself reports and enforces it."""

import shutil

import pytest

from fusionbench.report import leaderboard as lb

SAMPLE_TNO = lb.sample_root() / "tno"
METRICS = ["EN", "SD", "CC", "SCD"]  # EN, SD: the ci scope's every-image metrics; CC, SCD rotate


@pytest.mark.parametrize("n_images", [1, 2, 5, 13, 42, 43])
@pytest.mark.parametrize("n_entries", [1, 2, 3, 13, 19, 60])
def test_rotation_covers_every_image(n_images, n_entries):
    images = [f"i{j}" for j in range(n_images)]
    meta = {"metrics": ["EN", "VIF"], "ci": {"all_images_metrics": ["EN"], "images_per_entry": 1}}
    plans = [lb._plan(images, meta, "ci", k, rotating=n_entries) for k in range(n_entries)]
    full = {i for plan in plans for i, ms in plan if "VIF" in ms}
    assert full == set(images)
    per_entry = max(sum("VIF" in ms for _, ms in plan) for plan in plans)
    assert per_entry == max(1, -(-n_images // n_entries))  # no more than needed


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """A tno42/cddfuse board of four sample pairs and two entries (more images than entries)."""
    root = tmp_path_factory.mktemp("lbcov")
    shared = root / "shared"
    stems = sorted(p.stem for p in (SAMPLE_TNO / "ir").glob("*.png"))[:4]
    assert len(stems) == 4
    for side in ("ir", "vi"):
        (shared / "data/tno42" / side).mkdir(parents=True)
        for stem in stems:
            shutil.copy(SAMPLE_TNO / side / f"{stem}.png", shared / "data/tno42" / side)
    fake = shared / "data/tno42/fused/VisCopy"
    fake.mkdir(parents=True)
    for stem in stems:
        shutil.copy(SAMPLE_TNO / "vi" / f"{stem}.png", fake)
    out = root / "leaderboards"
    lb.update(out, boards=["tno42/cddfuse"], shared=shared, metrics=METRICS, methods=["average", "VisCopy"],
              include_networks=False, write_pages=False, store=root / "store.sqlite", jobs=1)
    return out, shared, stems


def test_ci_check_recomputes_every_cell(board):
    out, shared, stems = board
    report = lb.check(out, scope="ci", shared=shared)
    assert report.ok, report.format()
    assert report.coverage == [("tno42/cddfuse", 4 * len(METRICS), 4 * len(METRICS))]
    assert "coverage tno42/cddfuse: 16 of 16" in report.format()
    # two entries x 4 images of EN, SD + each entry's 2 rotating images x CC, SCD
    assert report.checked == 2 * 4 * 2 + 2 * 2 * 2


def test_uncovered_cells_are_a_problem(board, monkeypatch):
    out, shared, _ = board
    real = lb._plan
    monkeypatch.setattr(lb, "_plan", lambda *a, **k: real(*a, **dict(k, rotating=None)))  # the old rotation
    report = lb.check(out, scope="ci", shared=shared)
    assert not report.ok and any("recomputed by no entry" in p for p in report.problems), report.format()
    # a run restricted to some methods cannot cover everything and does not claim to
    assert lb.check(out, scope="ci", shared=shared, methods=["average"]).ok
