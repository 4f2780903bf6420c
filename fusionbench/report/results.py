"""Per-image results in long format: loading, validation and per-method summaries.

The long format has one row per (dataset, method, image, profile, metric) with a ``value``
column; it is what the evaluation runner and the result store produce and what every report
function consumes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fusionbench.errors import InputError

LONG_COLUMNS = ("dataset", "method", "image", "profile", "metric", "value")
_DEFAULTS = {"dataset": "dataset", "image": "", "profile": ""}


def as_long(data, *, name="results") -> pd.DataFrame:
    """Return ``data`` as a validated long-format DataFrame (a copy).

    Parameters
    ----------
    data : DataFrame, str or Path
        A DataFrame, or a CSV / JSON / Parquet file, or a SQLite result store.
        Missing ``dataset``, ``image`` or ``profile`` columns are filled with placeholders;
        ``method``, ``metric`` and ``value`` are required.
    name : str
        Name used in error messages.
    """
    if not isinstance(data, pd.DataFrame):
        return load_results(data)
    missing = [c for c in ("method", "metric", "value") if c not in data.columns]
    if missing:
        raise InputError(name, f"missing column(s) {', '.join(missing)}; expected long format "
                               f"with columns {', '.join(LONG_COLUMNS)}")
    df = data.copy()
    for col, default in _DEFAULTS.items():
        if col not in df.columns:
            df[col] = default
    for col in ("dataset", "method", "image", "profile", "metric"):
        df[col] = df[col].fillna("").astype(str)
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype(float)
    return df


def load_results(path, **filters) -> pd.DataFrame:
    """Read a results file (``.csv``, ``.json``/``.jsonl``, ``.parquet``) or a SQLite store.

    ``filters`` (e.g. ``dataset="tno42"``) keep only rows whose column equals the value (or is
    in the list given).
    """
    p = Path(path)
    if not p.exists():
        raise InputError(str(path), "no such results file")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        df = pd.read_csv(p, keep_default_na=False, na_values=["", "nan", "NaN"])
    elif suffix in (".json", ".jsonl"):
        try:
            df = pd.read_json(p, lines=suffix == ".jsonl")
        except ValueError:
            df = pd.read_json(p, lines=True)
    elif suffix in (".parquet", ".pq"):
        df = pd.read_parquet(p)
    elif suffix in (".sqlite", ".sqlite3", ".db"):
        df = _read_store(p)
    else:
        raise InputError(str(path), f"unknown results format {suffix!r}; use .csv, .json, "
                                    ".jsonl, .parquet or a .sqlite store")
    df = as_long(df, name=str(path))
    return select(df, **filters)


def _read_store(path) -> pd.DataFrame:
    try:
        from fusionbench import store
    except ImportError:  # store not available: read the table directly
        store = None
    if store is not None and hasattr(store, "open_store"):
        with store.open_store(path) as st:  # pragma: no cover - depends on the store API
            return st.to_frame()
    import sqlite3
    with sqlite3.connect(path) as con:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        for t in tables:
            cols = [r[1] for r in con.execute(f"pragma table_info({t})")]
            if {"method", "metric", "value"} <= set(cols):
                return pd.read_sql_query(f"select * from {t}", con)
    raise InputError(str(path), "no table with method, metric and value columns in this store")


def select(df: pd.DataFrame, **filters) -> pd.DataFrame:
    """Rows of ``df`` matching every ``column=value`` (or ``column=[values]``) filter."""
    mask = np.ones(len(df), dtype=bool)
    for col, want in filters.items():
        if want is None:
            continue
        if col not in df.columns:
            raise InputError("filter", f"no column {col!r}")
        want = [want] if isinstance(want, str) or not hasattr(want, "__iter__") else list(want)
        mask &= df[col].isin([str(w) for w in want]).to_numpy()
    return df[mask]


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation (ddof=1) and n per dataset, profile, method and metric.

    NaN values are ignored (as VIFB's ``nanmean``); ``n`` counts the finite values.
    The method order of first appearance is kept.
    """
    df = as_long(df)
    keys = ["dataset", "profile", "method", "metric"]
    g = df.groupby(keys, sort=False)["value"]
    out = g.agg(mean="mean", std="std", n="count").reset_index()
    return out


def load_any(path=None, **filters) -> pd.DataFrame:
    """A results file, a SQLite store, or (``path`` None) the default result store."""
    if path is None:
        from fusionbench.store import default_path
        path = default_path()
        if not Path(path).exists():
            raise InputError("result store", f"{path} does not exist; run `fusionbench evaluate` "
                                             "first or pass a results file")
    return load_results(path, **filters)
