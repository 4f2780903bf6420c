"""Long-format exports (CSV / JSON / Parquet) and per-dataset aggregates (mean, std, n)."""

from __future__ import annotations

import os
from pathlib import Path

from fusionbench.errors import InputError

LONG_COLUMNS = ("dataset", "method", "image", "profile", "metric", "value", "backend", "backend_class",
                "metric_version", "options", "fusionbench_version", "git_hash", "weights", "pixel_digest", "key")
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
