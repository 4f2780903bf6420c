"""Long-format exports (CSV / JSON / Parquet) and per-dataset aggregates (mean, std, n)."""

from __future__ import annotations

import os
from pathlib import Path

from fusionbench.errors import InputError

LONG_COLUMNS = ("dataset", "method", "image", "profile", "metric", "value", "backend", "backend_class",
                "metric_version", "options", "fusionbench_version", "git_hash", "weights", "source_digest", "pixel_digest",
                "key")
FORMATS = (".csv", ".json", ".parquet")


def long_frame(records):
    """Records (dicts) -> DataFrame with :data:`LONG_COLUMNS`, in the order given."""
    import pandas as pd
    df = pd.DataFrame(list(records))
    for col in LONG_COLUMNS:
        if col not in df:
            df[col] = None
    return df[list(LONG_COLUMNS)].reset_index(drop=True)


def aggregate(df):
    """Per (dataset, method, profile, metric): mean, std (ddof=1; NaN for n=1) and n, in first-seen order.

    NaN values (e.g. VIF on a flat image under vif_nan='nan') are excluded from mean and std and
    counted in ``n_nan``.
    """
    keys = ["dataset", "method", "profile", "metric"]
    g = df.groupby(keys, sort=False)["value"]
    out = g.agg(mean="mean", std="std", n="count").reset_index()
    out["n_nan"] = g.apply(lambda s: int(s.isna().sum())).to_numpy()
    return out


def json_safe(value):
    """``value`` with every NaN or infinite float (PSNR of identical images) replaced by None, so that
    ``json.dumps`` writes ``null`` where it would write ``NaN`` or ``Infinity`` (not JSON)."""
    import math
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def check_output(path, formats=FORMATS) -> Path:
    """Check before any work that ``path`` has a known extension and that its folder is writable
    (created if missing); :class:`InputError` naming the path otherwise."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in formats:
        raise InputError(str(path), f"unknown output format {ext or '(none)'}; use {', '.join(formats)}")
    if path.is_dir():
        raise InputError(str(path), "is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".check"):
            pass
    except OSError as exc:
        raise InputError(str(path), f"cannot write there ({exc.strerror or exc})") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(str(path), "exists and is not writable")
    return path


def write_atomic(path, write) -> Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it to ``path``: a full
    disk or a kill leaves the old file (or none), never a cut one."""
    import tempfile
    path, tmp = Path(path), None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
        os.close(fd)
        write(Path(tmp))
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)  # mkstemp makes it 0600
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(str(path), f"could not write it ({exc.strerror or exc})") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_frame(df, path) -> Path:
    """Write by extension: .csv, .json (records; NaN and infinities as null) or .parquet, atomically."""
    path = check_output(path)
    ext = path.suffix.lower()

    def write(tmp):
        if ext == ".csv":
            df.to_csv(tmp, index=False, float_format="%.17g")
        elif ext == ".json":
            import json
            rows = json_safe(df.astype(object).to_dict(orient="records"))
            tmp.write_text(json.dumps(rows, indent=1, default=str, allow_nan=False))  # float repr round-trips
        else:
            try:
                df.to_parquet(tmp, index=False)
            except ImportError as exc:
                raise InputError(str(path), f"Parquet needs pyarrow ({exc}); "
                                            "pip install 'fusionbench[parquet]'") from exc
    return write_atomic(path, write)


# --- researcher exports: VIFB-style wide CSV, Tang-style Excel workbook, MATLAB .mat ---------------

EXPORT_FORMATS = (".csv", ".xlsx", ".mat")


def _blocks(df, name="results"):
    """[(dataset, images, methods, metrics, cube)] with cube[image, method, metric] (NaN where absent),
    in first-seen order. Refuses several profiles or several values for one cell."""
    import numpy as np
    import pandas as pd
    df = pd.DataFrame(df)
    profiles = list(dict.fromkeys(df["profile"].astype(str))) if "profile" in df else []
    if len(profiles) > 1:
        raise InputError(name, f"holds several metric profiles ({', '.join(profiles)}); export one at a time "
                               "(--profile)")
    keys = ["dataset", "image", "method", "metric"]
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        r = df[dup].iloc[0]
        raise InputError(name, f"several values for {r.dataset}/{r.image} [{r.method}] {r.metric}; "
                               "select one result per image (table --latest)")
    out = []
    for ds, grp in df.groupby("dataset", sort=False):
        images = list(dict.fromkeys(grp["image"].astype(str)))
        methods = list(dict.fromkeys(grp["method"].astype(str)))
        metrics = list(dict.fromkeys(grp["metric"].astype(str)))
        cube = np.full((len(images), len(methods), len(metrics)), np.nan)
        ii = grp["image"].astype(str).map({k: i for i, k in enumerate(images)}).to_numpy()
        mm = grp["method"].astype(str).map({k: i for i, k in enumerate(methods)}).to_numpy()
        kk = grp["metric"].astype(str).map({k: i for i, k in enumerate(metrics)}).to_numpy()
        cube[ii, mm, kk] = pd.to_numeric(grp["value"], errors="coerce").to_numpy(dtype=float)
        out.append((str(ds), images, methods, metrics, cube))
    if not out:
        raise InputError(name, "no results to export")
    return out


def wide_frame(df, *, name="results"):
    """Per-image wide table: one row per (dataset, image), one column ``<method>/<metric>`` per pair,
    grouped by metric (VIFB's ``resultsMetrics`` images x methods x metrics, flattened).

    Example
    -------
    >>> import pandas as pd
    >>> long = pd.DataFrame(dict(dataset="d", image=["01", "01", "02"], method=["A", "B", "A"],
    ...                          profile="p", metric="EN", value=[7.0, 6.5, 7.2]))
    >>> wide_frame(long).to_dict("records")[0]
    {'dataset': 'd', 'image': '01', 'A/EN': 7.0, 'B/EN': 6.5}
    """
    import pandas as pd
    parts = []
    for ds, images, methods, metrics, cube in _blocks(df, name):
        cols = {"dataset": [ds] * len(images), "image": images}
        for k, metric in enumerate(metrics):
            for j, method in enumerate(methods):
                cols[f"{method}/{metric}"] = cube[:, j, k]
        parts.append(pd.DataFrame(cols))
    return pd.concat(parts, ignore_index=True)


def metric_sheets(df, *, name="results") -> dict:
    """``{(dataset, metric): DataFrame}``: rows images (index), columns methods -- one table per metric,
    as Tang's toolbox writes one Excel sheet per metric."""
    import pandas as pd
    out = {}
    for ds, images, methods, metrics, cube in _blocks(df, name):
        for k, metric in enumerate(metrics):
            out[(ds, metric)] = pd.DataFrame(cube[:, :, k], index=pd.Index(images, name="image"), columns=methods)
    return out


def _safe(text: str) -> str:
    import re
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", str(text)).strip("-") or "x"


def _per_dataset(path: Path, datasets, tag=None) -> dict:
    """One file per dataset when there are several (``<stem>_<dataset><ext>``), else ``path``."""
    if len(datasets) == 1 and tag is None:
        return {datasets[0]: path}
    return {d: path.with_name(f"{path.stem}_{_safe(d)}{'' if tag is None else '_' + _safe(tag)}{path.suffix}")
            for d in datasets}


def require_export(path) -> Path:
    """Check an export path before any work: known extension (.csv wide, .xlsx, .mat), writable folder,
    and the optional package the format needs (:class:`InputError` naming the path otherwise)."""
    path = check_output(path, EXPORT_FORMATS)
    ext = path.suffix.lower()
    try:
        if ext == ".xlsx":
            import openpyxl  # noqa: F401
        elif ext == ".mat":
            import scipy.io  # noqa: F401
    except ImportError as exc:
        how = "pip install 'fusionbench[excel]'" if ext == ".xlsx" else "pip install scipy"
        raise InputError(str(path), f"{ext} export needs {'openpyxl' if ext == '.xlsx' else 'scipy'} ({exc}); "
                                    f"{how}") from exc
    return path


def export_results(df, path, *, per_metric=False, name="results") -> list:
    """Write per-image results ``df`` (long format) to ``path`` by extension; returns the files written.

    * ``.csv`` -- VIFB-style per-image wide table (:func:`wide_frame`); with ``per_metric`` one file
      per metric, ``<stem>_<metric>.csv``, rows images, columns methods.
    * ``.xlsx`` -- Tang's ``Metric_<dataset>.xlsx`` layout: one sheet per metric; row 1 ``method_name``,
      row 2 the method names, rows 3.. one image each (a column per method); an ``image`` sheet gives
      the image of each row. Needs openpyxl (``pip install 'fusionbench[excel]'``).
    * ``.mat`` -- VIFB's ``evaluationMetrics.mat`` layout: ``resultsMetrics`` (images x methods x metrics,
      NaN where absent), ``resultsMetricsAverageImg`` (1 x methods x metrics, NaN-mean over images),
      and cell arrays ``images``, ``methods``, ``metrics``.

    Several datasets give one file per dataset (``<stem>_<dataset>.<ext>``).

    Example
    -------
    >>> from fusionbench.report import load_results
    >>> from fusionbench.store.export import export_results
    >>> export_results(load_results("results.csv"), "per_image.xlsx")  # doctest: +SKIP
    """
    import numpy as np
    if not hasattr(df, "columns"):
        raise InputError(name, "export_results takes a long-format DataFrame (read a results file with "
                               "fusionbench.report.load_results)")
    path = require_export(path)
    ext = path.suffix.lower()
    blocks = _blocks(df, name)
    written = []
    if ext == ".csv":
        if not per_metric:
            wide = wide_frame(df, name=name)
            return [write_atomic(path, lambda tmp: wide.to_csv(tmp, index=False, float_format="%.17g"))]
        for ds, images, methods, metrics, cube in blocks:
            for k, metric in enumerate(metrics):
                target = _per_dataset(path, [b[0] for b in blocks], tag=metric)[ds]
                import pandas as pd
                sheet = pd.DataFrame(cube[:, :, k], columns=methods)
                sheet.insert(0, "image", images)
                written.append(write_atomic(target, lambda tmp, s=sheet: s.to_csv(tmp, index=False,
                                                                                  float_format="%.17g")))
        return written
    targets = _per_dataset(path, [b[0] for b in blocks])
    for ds, images, methods, metrics, cube in blocks:
        if ext == ".xlsx":
            def write(tmp, images=images, methods=methods, metrics=metrics, cube=cube, ds=ds):
                from openpyxl import Workbook
                wb = Workbook()
                wb.remove(wb.active)
                for k, metric in enumerate(metrics):
                    ws = wb.create_sheet(_safe(metric)[:31])
                    ws.append(["method_name"] * len(methods))
                    ws.append(methods)
                    for row in cube[:, :, k]:
                        ws.append([None if not np.isfinite(v) else float(v) for v in row])
                ws = wb.create_sheet("image")
                ws.append(["image"])
                ws.append([ds])
                for im in images:
                    ws.append([im])
                wb.save(tmp)
        else:
            def write(tmp, images=images, methods=methods, metrics=metrics, cube=cube, ds=ds):
                import warnings

                from scipy.io import savemat
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column: NaN mean
                    avg = np.nanmean(cube, axis=0, keepdims=True)
                cell = lambda xs: np.array(list(xs), dtype=object).reshape(-1, 1)  # noqa: E731
                savemat(tmp, {"resultsMetrics": cube, "resultsMetricsAverageImg": avg, "images": cell(images),
                              "methods": cell(methods), "metrics": cell(metrics), "dataset": ds},
                        do_compression=True)
        written.append(write_atomic(targets[ds], write))
    return written
