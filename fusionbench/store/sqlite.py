"""An embedded SQLite result store keyed by content hashes (WAL mode, one transaction per pair)."""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
import subprocess
import time
from functools import lru_cache
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
    key TEXT PRIMARY KEY,            -- sha256(pixel digest, profile, options, metric version, metric, backend class)
    metric TEXT NOT NULL,
    value REAL,                      -- NULL stands for NaN
    profile TEXT NOT NULL,
    options TEXT NOT NULL,
    metric_version TEXT NOT NULL,
    pixel_digest TEXT NOT NULL,
    backend TEXT,
    fusionbench_version TEXT,
    git_hash TEXT,
    created TEXT,
    backend_class TEXT               -- numbers of one class are the same numbers (see backend_class())
);
CREATE TABLE IF NOT EXISTS labels (  -- which (dataset, method, image) a score was computed for
    dataset TEXT NOT NULL,
    method TEXT NOT NULL,
    image TEXT NOT NULL,
    key TEXT NOT NULL REFERENCES scores(key),
    locator TEXT NOT NULL,
    created TEXT,
    weights TEXT,                    -- the method's weights digest (see Method.weights_digest)
    PRIMARY KEY (dataset, method, image, key)
);
CREATE INDEX IF NOT EXISTS labels_locator ON labels(locator);
CREATE TABLE IF NOT EXISTS fused (   -- fused images of registered methods, reused instead of fusing again
    key TEXT PRIMARY KEY,            -- fusionbench.store.fused.fused_key: method, weights, code, options, sources
    method TEXT NOT NULL,
    weights TEXT NOT NULL,
    source_digest TEXT NOT NULL,     -- pixels of the IR and visible image
    pixel_digest TEXT NOT NULL,      -- of (fused, IR, visible): the pixel digest of its scores
    image BLOB NOT NULL,             -- PNG
    created TEXT
);
"""


def default_path() -> Path:
    """``<user cache dir>/fusionbench/results.sqlite`` (platformdirs)."""
    from platformdirs import user_cache_dir
    return Path(user_cache_dir("fusionbench")) / "results.sqlite"


@lru_cache(maxsize=1)
def git_hash():
    """The commit of the fusionbench checkout, or None when not run from a git work tree."""
    here = Path(__file__).resolve().parents[2]
    if not (here / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=False,
                             timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def options_json(options) -> str:
    return json.dumps({k: options[k] for k in sorted(options)}, default=str, separators=(",", ":"))


def backend_class(backend_name: str) -> str:
    """The numeric class of a backend: values of one class are reused for any backend of that class.

    ``numpy`` (the float64 reference), ``numba`` and ``torch`` (float64) agree within 1e-9 relative
    (``tests/test_backends_parity.py``) and form class ``fp64``; ``torch-fp32`` is class ``fp32``.
    A backend this function does not know is a class of its own (its name).
    """
    if backend_name in ("numpy", "numba", "torch"):
        return "fp64"
    if backend_name == "torch-fp32":
        return "fp32"
    return str(backend_name)


def score_key(pixel_digest: str, profile: str, options_text: str, metric_version: str, metric: str,
              backend_class: str) -> str:
    """sha256 of everything that makes a value: pixels, profile, options, metric version, metric and
    the backend's numeric class (:func:`backend_class`)."""
    text = "\x1f".join((pixel_digest, profile, options_text, metric_version, metric, backend_class))
    return hashlib.sha256(text.encode()).hexdigest()


def locator(dataset, method, image, profile, options_text, metric_version) -> str:
    text = "\x1f".join((dataset, method, image, profile, options_text, metric_version))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def retry_locked(fn, timeout: float, *, first_delay: float = 0.01):
    """Call ``fn`` until it does not raise SQLite's "database is locked/busy", for up to
    ``timeout`` seconds (exponential back-off to 0.5 s); other errors propagate at once."""
    deadline = time.monotonic() + timeout
    delay = first_delay
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            msg = str(exc).lower()
            if ("locked" not in msg and "busy" not in msg) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(2 * delay, 0.5)


class ResultStore:
    """Scores keyed by content hash; safe for concurrent writers (WAL, ``BEGIN IMMEDIATE``).

    Parameters
    ----------
    path : path, optional
        SQLite file; default :func:`default_path`. ``":memory:"`` for a throw-away store.
    """

    def __init__(self, path=None, *, timeout: float = 120.0):
        self.path = os.fspath(path) if path is not None else os.fspath(default_path())
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        if self.path != ":memory:":
            # switching to WAL can answer SQLITE_BUSY at once, without the busy handler (e.g.
            # while another process creates the same new store): retry until the timeout
            retry_locked(lambda: self.conn.execute("PRAGMA journal_mode = WAL"), timeout)
        self.conn.execute("PRAGMA synchronous = NORMAL")
        retry_locked(lambda: self._write(self._create), timeout)

    @staticmethod
    def _create(cur):
        for stmt in SCHEMA.split(";"):
            if stmt.strip():
                cur.execute(stmt)
        # stores made before these columns existed (their keys never match a new key: recomputed once)
        if "weights" not in {row[1] for row in cur.execute("PRAGMA table_info(labels)")}:
            cur.execute("ALTER TABLE labels ADD COLUMN weights TEXT")
        if "backend_class" not in {row[1] for row in cur.execute("PRAGMA table_info(scores)")}:
            cur.execute("ALTER TABLE scores ADD COLUMN backend_class TEXT")

    def _write(self, fn):
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            fn(cur)
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def known(self, locators) -> dict:
        """locator -> {key: row dict} for already-scored (dataset, method, image, profile) cells."""
        out = {loc: {} for loc in locators}
        locs = list(out)
        for i in range(0, len(locs), 500):
            chunk = locs[i:i + 500]
            q = ("SELECT l.locator, s.key, s.metric, s.value, s.backend, s.fusionbench_version, s.git_hash, "
                 "s.created FROM labels l JOIN scores s ON s.key = l.key "
                 f"WHERE l.locator IN ({','.join('?' * len(chunk))})")
            for loc, key, metric, value, backend, ver, git, created in self.conn.execute(q, chunk):
                out[loc][key] = dict(metric=metric, value=math.nan if value is None else value,
                                     backend=backend, fusionbench_version=ver, git_hash=git,
                                     created=created)
        return out

    def add(self, records, fused=()) -> int:
        """Insert score rows + label rows (+ ``fused`` image rows) in one transaction; keys already
        present are kept. Returns the number of score records."""
        records, fused = list(records), list(fused)
        if not records and not fused:
            return 0

        def fn(cur):
            cur.executemany(
                "INSERT OR IGNORE INTO scores (key, metric, value, profile, options, metric_version, pixel_digest, "
                "backend, fusionbench_version, git_hash, created, backend_class) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(r["key"], r["metric"], None if math.isnan(r["value"]) else r["value"], r["profile"],
                  r["options"], r["metric_version"], r["pixel_digest"], r["backend"],
                  r["fusionbench_version"], r["git_hash"], r["created"],
                  r.get("backend_class") or backend_class(r["backend"])) for r in records])
            cur.executemany(
                "INSERT OR IGNORE INTO labels (dataset, method, image, key, locator, created, weights) "
                "VALUES (?,?,?,?,?,?,?)",
                [(r["dataset"], r["method"], r["image"], r["key"], r["locator"], r["created"], r.get("weights"))
                 for r in records])
            cur.executemany(
                "INSERT OR IGNORE INTO fused VALUES (?,?,?,?,?,?,?)",
                [(f["key"], f["method"], f["weights"], f["source_digest"], f["pixel_digest"], f["image"],
                  f["created"]) for f in fused])
        self._write(fn)
        return len(records)

    def count(self, *, dataset=None, method=None) -> int:
        """Number of label rows (one per dataset, method, image, metric and option set)."""
        q, args = "SELECT COUNT(*) FROM labels WHERE 1=1", []
        if dataset is not None:
            q, args = q + " AND dataset = ?", args + [dataset]
        if method is not None:
            q, args = q + " AND method = ?", args + [method]
        return self.conn.execute(q, args).fetchone()[0]

    def to_frame(self):
        return self.frame()

    def frame(self):
        """Everything in the store as a long-format pandas DataFrame (``stored``: insertion order)."""
        import pandas as pd
        q = ("SELECT l.dataset, l.method, l.image, s.profile, s.metric, s.value, s.backend, s.backend_class, "
             "s.metric_version, s.fusionbench_version, s.git_hash, s.created, s.options, l.weights, "
             "s.pixel_digest, s.key, l.rowid AS stored "
             "FROM labels l JOIN scores s ON s.key = l.key ORDER BY l.dataset, l.method, l.image, s.metric")
        df = pd.read_sql_query(q, self.conn)
        old = df["backend_class"].isna()  # rows of a store made before the column existed
        df.loc[old, "backend_class"] = df.loc[old, "backend"].map(lambda b: backend_class(b) if b else None)
        return df


def open_store(path=None) -> ResultStore:
    """Open (creating if needed) the store at ``path`` (default :func:`default_path`)."""
    return ResultStore(path)
