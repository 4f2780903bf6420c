"""Researcher exports: VIFB-style wide CSV, Tang-style Excel workbook, MATLAB .mat (evaluate and table)."""

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusionbench.cli import main
from fusionbench.errors import InputError
from fusionbench.store.export import export_results, metric_sheets, wide_frame

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FUSIONBENCH_SHARED", REPO.parent / "shared"))
TANG = SHARED / "data" / "tno42" / "published_metrics" / "tang_tno42_per_image.csv"
needs_tang = pytest.mark.skipif(not TANG.is_file(), reason="shared data not available")


@pytest.fixture
def tang():
    df = pd.read_csv(TANG)
    df.insert(0, "dataset", "tno42")
    df["profile"] = "tang2022"
    return df


def _long():
    rows = []
    for ds in ("d1", "d2"):
        for im in ("01", "02", "03"):
            for me in ("A", "B_x"):
                for k, mt in enumerate(("EN", "SD")):
                    if ds == "d2" and me == "B_x" and im == "02":
                        continue  # a missing value
                    rows.append(dict(dataset=ds, image=im, method=me, profile="p", metric=mt,
                                     value=float(len(rows)) + 0.25 * k))
    return pd.DataFrame(rows)


def test_wide_frame_layout():
    df = _long()
    wide = wide_frame(df)
    assert list(wide.columns) == ["dataset", "image", "A/EN", "B_x/EN", "A/SD", "B_x/SD"]
    assert len(wide) == 6
    row = wide[(wide.dataset == "d1") & (wide.image == "02")].iloc[0]
    ref = df[(df.dataset == "d1") & (df.image == "02") & (df.method == "B_x") & (df.metric == "SD")].value.item()
    assert row["B_x/SD"] == ref
    assert np.isnan(wide[(wide.dataset == "d2") & (wide.image == "02")]["B_x/EN"].item())


def test_export_refuses_mixed_profiles_and_duplicates(tmp_path):
    df = _long()
    two = pd.concat([df, df.assign(profile="q")])
    with pytest.raises(InputError, match="several metric profiles"):
        wide_frame(two)
    with pytest.raises(InputError, match="several values"):
        wide_frame(pd.concat([df, df.head(1)]))
    with pytest.raises(InputError, match="unknown output format"):
        export_results(df, tmp_path / "x.txt")


def test_mat_round_trip_and_one_file_per_dataset(tmp_path):
    from scipy.io import loadmat
    df = _long()
    files = export_results(df, tmp_path / "res.mat")
    assert [f.name for f in files] == ["res_d1.mat", "res_d2.mat"]
    m = loadmat(files[1])
    cube = m["resultsMetrics"]
    assert cube.shape == (3, 2, 2)  # images x methods x metrics, as VIFB's evaluationMetrics.mat
    assert [str(x[0][0]) for x in m["methods"]] == ["A", "B_x"]
    assert [str(x[0][0]) for x in m["metrics"]] == ["EN", "SD"]
    sub = df[df.dataset == "d2"]
    ref = sub[(sub.image == "03") & (sub.method == "A") & (sub.metric == "SD")].value.item()
    assert cube[2, 0, 1] == ref and np.isnan(cube[1, 1, 0])
    avg = m["resultsMetricsAverageImg"]
    assert avg.shape == (1, 2, 2)
    assert avg[0, 1, 0] == pytest.approx(sub[(sub.method == "B_x") & (sub.metric == "EN")].value.mean(), abs=0)


@needs_tang
def test_table_exports_tang_workbook(tmp_path, tang, capsys):
    openpyxl = pytest.importorskip("openpyxl")
    src = tmp_path / "tang.csv"
    tang.to_csv(src, index=False)
    out = tmp_path / "Metric_TNO.xlsx"
    assert main(["table", str(src), "--export", str(out), "--export", str(tmp_path / "w.csv"),
                 "--export-per-metric"]) == 0
    wb = openpyxl.load_workbook(out)
    # Tang's layout: one sheet per metric (his order), row 2 the method, rows 3..44 the images 01..42
    assert wb.sheetnames == ["SD", "PSNR", "MSE", "MI", "VIF", "AG", "CC", "SCD", "EN", "Qabf", "SF", "image"]
    ws = wb["VIF"]
    methods = [c.value for c in ws[2]]
    assert methods[:3] == ["DenseFuse", "RFN-Nest", "FusionGAN"] and len(methods) == 9
    assert ws.max_row == 44
    col = [r[methods.index("SeAFusion")].value for r in ws.iter_rows(min_row=3)]
    ref = tang[(tang.method == "SeAFusion") & (tang.metric == "VIF")].value.to_numpy()
    assert np.allclose(np.array(col), ref, rtol=2e-15, atol=0)  # full double precision kept (to 1 ulp)
    assert [r[0].value for r in wb["image"].iter_rows(min_row=3)][:2] == ["01.png", "02.png"]
    per = pd.read_csv(tmp_path / "w_tno42_EN.csv")
    assert list(per.columns) == ["image"] + methods and len(per) == 42


@needs_tang
def test_metric_sheets_means_equal_tang_means(tang):
    means = pd.read_csv(TANG.with_name("tang_tno42_mean_over_42.csv")).set_index("method")
    sheets = metric_sheets(tang)
    for metric in ("SD", "VIF", "Qabf"):
        got = sheets[("tno42", metric)].mean(axis=0)
        assert np.allclose(got[means.index].to_numpy(), means[metric].to_numpy(), rtol=5e-6)


def test_missing_openpyxl_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(InputError, match=r"needs openpyxl.*fusionbench\[excel\]"):
        export_results(_long(), tmp_path / "x.xlsx")


def test_evaluate_exports(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FUSIONBENCH_NO_PROGRESS", "1")
    monkeypatch.delenv("FUSIONBENCH_DATA", raising=False)
    rc = main(["evaluate", "--method", "average", "--method", "max", "--dataset", "msrs", "--metrics", "EN,SD",
               "--store", ":memory:", "--executor", "inline", "--export", str(tmp_path / "w.csv"),
               "--export", str(tmp_path / "r.mat"), "--out", str(tmp_path / "long.csv")])
    assert rc == 0
    long = pd.read_csv(tmp_path / "long.csv", dtype={"image": str})
    wide = pd.read_csv(tmp_path / "w.csv", dtype={"image": str})
    assert list(wide.columns) == ["dataset", "image", "average/EN", "max/EN", "average/SD", "max/SD"]
    for r in long.itertuples():
        assert wide.loc[wide.image == r.image, f"{r.method}/{r.metric}"].item() == r.value
    assert (tmp_path / "r.mat").is_file()
