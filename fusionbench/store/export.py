"""Long-format exports (CSV / JSON / Parquet) and per-dataset aggregates (mean, std, n)."""

from __future__ import annotations

from pathlib import Path

from fusionbench.errors import InputError

LONG_COLUMNS = ("dataset", "method", "image", "profile", "metric", "value", "backend", "metric_version",
                "fusionbench_version", "git_hash", "weights", "key")
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


def write_frame(df, path) -> Path:
    """Write by extension: .csv, .json (records) or .parquet."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise InputError(str(path), f"unknown output format {ext or '(none)'}; use {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if ext == ".csv":
        df.to_csv(path, index=False, float_format="%.17g")
    elif ext == ".json":
        import json
        import math
        rows = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                for r in df.astype(object).to_dict(orient="records")]
        path.write_text(json.dumps(rows, indent=1, default=str))  # float repr round-trips exactly
    else:
        try:
            df.to_parquet(path, index=False)
        except ImportError as exc:
            raise InputError(str(path), f"Parquet needs pyarrow ({exc}); pip install 'fusionbench[parquet]'") from exc
    return path
