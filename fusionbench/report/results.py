"""Per-image results in long format: loading, validation and per-method summaries.

The long format has one row per (dataset, method, image, profile, metric) with a ``value``
column; it is what the evaluation runner and the result store produce and what every report
function consumes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fusionbench.errors import InputError, did_you_mean

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


_KINDS = {"dataset": "dataset", "method": "method", "metric": "metric", "profile": "profile"}


def check_selection(df: pd.DataFrame, name="results", **wanted) -> None:
    """Raise :class:`InputError` naming ``name`` when a selected value (``method=["gff", "foo"]``)
    is not in column ``method`` of ``df``, with a "did you mean" hint and the values present."""
    problems = []
    for col, want in wanted.items():
        if want is None:
            continue
        want = [want] if isinstance(want, str) else list(want)
        have = list(dict.fromkeys(df[col].astype(str))) if col in df.columns else []
        for w in want:
            if str(w) not in have:
                shown = ", ".join(have[:20]) + (", ..." if len(have) > 20 else "")
                problems.append(f"no {_KINDS.get(col, col)} {w!r} in these results{did_you_mean(w, have)}; "
                                f"present: {shown or '(none)'}")
    if problems:
        raise InputError(name, "; ".join(problems))


def _relabel(df, column, label) -> None:
    """Within each profile label whose rows hold more than one value of ``column``, make the profile
    label ``label(profile, value)`` so that different values are different groups."""
    values = df[column].astype(object).where(df[column].notna(), "")
    for prof in list(dict.fromkeys(df["profile"])):
        rows = df["profile"] == prof
        if values[rows].nunique() > 1:
            df.loc[rows, "profile"] = [label(prof, v) for v in values[rows]]


def _options_label(profile, text) -> str:
    """``cddfuse+overrides`` + options JSON -> ``cddfuse+ssim_data_range=1`` (options that differ from
    the base profile's); a short hash when the base profile is unknown."""
    import hashlib
    import json
    base = profile.split("+")[0]
    try:
        from fusionbench.metrics.profiles import get_profile
        from fusionbench.store.sqlite import options_json
        ref = json.loads(options_json(get_profile(base).options))
        opts = json.loads(text)
    except Exception:  # noqa: BLE001 - unknown profile or options that are not JSON
        return f"{profile}#{hashlib.sha256(str(text).encode()).hexdigest()[:8]}"
    diff = [f"{k}={opts[k]}" for k in sorted(opts) if ref.get(k) != opts[k]]
    return base + ("+" + ",".join(diff) if diff else "")


def distinct_results(df: pd.DataFrame, *, latest: bool = False, name="results") -> pd.DataFrame:
    """Make sure no mean mixes values that are not the same thing; returns a relabelled copy.

    Rows of one profile label with different options (two ``cddfuse+overrides`` runs) get their
    options in the profile label (``cddfuse+ssim_data_range=1``); different backend classes
    (``fp64``/``fp32``, see :func:`fusionbench.store.backend_class`) or metric versions get
    ``[fp32]`` / ``[v2]`` appended, so they become separate column groups.

    Parameters
    ----------
    latest : bool
        When one (dataset, method, image, profile, metric) still has several values after that, they
        come from different pixels: a ``--fused`` folder whose images changed, or two folders with
        one name. Keep only the most recently stored value (a store's ``stored`` order, else the
        ``created`` time) instead of raising.

    Raises
    ------
    InputError
        Several values for one image and metric, without ``latest``.
    """
    df = as_long(df, name=name)
    if "options" in df.columns:
        _relabel(df, "options", _options_label)
    if "backend_class" not in df.columns and "backend" in df.columns:
        from fusionbench.store.sqlite import backend_class
        df["backend_class"] = df["backend"].map(lambda b: backend_class(b) if isinstance(b, str) and b else None)
    if "backend_class" in df.columns:
        _relabel(df, "backend_class", lambda p, v: f"{p} [{v or 'unknown backend'}]")
    if "metric_version" in df.columns:
        _relabel(df, "metric_version", lambda p, v: f"{p} [v{v}]")
    keys = ["dataset", "method", "image", "profile", "metric"]
    df = df.drop_duplicates(keys + ["value"])
    dup = df.duplicated(keys, keep=False)
    if not dup.any():
        return df
    order = "stored" if "stored" in df.columns else "created"  # a store's insertion order, else the time
    if latest and order in df.columns:
        when = df[order] if order == "stored" else df[order].astype(str)
        newest = when == when.groupby([df[k] for k in keys]).transform("max")
        kept = df[newest]
        if not kept.duplicated(keys).any():
            return kept
        dup = kept.duplicated(keys, keep=False)
        df = kept
    d = df[dup].sort_values(keys)
    first = d.iloc[0]
    vals = d[(d[keys] == first[keys]).all(axis=1)]["value"].tolist()
    n = len(d.drop_duplicates(keys))
    raise InputError(name, f"{n} image/metric cell(s) hold different values that would be averaged, e.g. "
                           f"{first['dataset']} / {first['method']} / {first['image']} / {first['profile']} / "
                           f"{first['metric']}: {', '.join(f'{v:.6g}' for v in vals)}. They come from different "
                           f"fused images (a --fused folder changed after it was scored, or two folders share "
                           f"the name {first['method']!r}). Evaluate them under distinct --name values or "
                           f"into a fresh --store, or pass --latest to keep the most recently stored value"
                           + ("" if order in df.columns else " (needs a 'created' column)"))


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


def higher_is_better(metric: str, directions=None) -> bool:
    """Direction of ``metric``: ``directions[metric]`` if given, else its card (unknown: higher)."""
    if directions and metric in directions:
        return bool(directions[metric])
    from fusionbench.metrics.cards import CARDS
    card = CARDS.get(metric)
    return True if card is None else card.higher_is_better
