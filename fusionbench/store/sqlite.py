"""An embedded SQLite result store keyed by content hashes (WAL mode, one transaction per pair)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import sqlite3
import subprocess
import time
from functools import lru_cache
from pathlib import Path

from fusionbench.errors import InputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
    key TEXT PRIMARY KEY,            -- value_key(): pixel digest, metric, the options it reads, version, backend class
    metric TEXT NOT NULL,
    value REAL,                      -- NULL stands for NaN
    profile TEXT NOT NULL,           -- of the run that computed it (the labels say which runs use it)
    options TEXT NOT NULL,           -- the options the key holds (older stores: the whole option set)
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
    source_digest TEXT,              -- pixel digest of the IR and visible images the value was made from
    profile TEXT,                    -- profile label and whole option set of the run that uses the value
    options TEXT,                    -- (NULL in older stores: then the scores row's)
    PRIMARY KEY (dataset, method, image, key, locator)
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


_LABELS_TABLE = SCHEMA[SCHEMA.index("CREATE TABLE IF NOT EXISTS labels"):SCHEMA.index(
    ");", SCHEMA.index("CREATE TABLE IF NOT EXISTS labels")) + 1]


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

    ``numpy`` (the float64 reference), ``numba`` and ``torch`` (float64) agree within each metric's
    registered budget (``REGISTRY[name].fast``: at most 1e-7 relative, the issue-#16 rule; 1e-9 for
    EN, MI, SSIM and others, ``tests/test_backends_parity.py``) and form class ``fp64``;
    ``torch-fp32`` is class ``fp32``.
    A backend this function does not know is a class of its own (its name).
    """
    if backend_name in ("numpy", "numba", "torch"):
        return "fp64"
    if backend_name == "torch-fp32":
        return "fp32"
    return str(backend_name)


def score_key(pixel_digest: str, profile: str, options_text: str, metric_version: str, metric: str,
              backend_class: str) -> str:
    """The key of the first scheme (pixels, profile, the whole option set, metric version, metric,
    backend class). No longer written: values stored under it are kept and shown, never reused
    (:func:`value_key` never gives one of these keys)."""
    text = "\x1f".join((pixel_digest, profile, options_text, metric_version, metric, backend_class))
    return hashlib.sha256(text.encode()).hexdigest()


def value_key(pixel_digest: str, metric: str, metric_options_text: str, metric_version: str,
              backend_class: str) -> str:
    """sha256 of everything that makes a value: the pixel digest of (fused, IR, visible), the metric,
    the options *that metric reads* (``metric_options_text``: :func:`options_json` of
    :func:`fusionbench.metrics.registry.metric_options`), the metric version and the backend's
    numeric class (:func:`backend_class`). An option the metric does not read, or the profile's name,
    does not change the key, so such a value is reused under any profile or option set that gives it."""
    text = "\x1f".join(("value-key/2", pixel_digest, metric, metric_options_text, metric_version, backend_class))
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


# columns a store must have (older stores lack labels.weights and scores.backend_class: added on open)
_COLUMNS = {"scores": {"key", "metric", "value", "profile", "options", "metric_version", "pixel_digest", "backend",
                       "fusionbench_version", "git_hash", "created"},
            "labels": {"dataset", "method", "image", "key", "locator", "created"}}


def store_error(path, exc, doing: str) -> InputError:
    """An :class:`InputError` naming the store file and saying in words what went wrong (corrupt file,
    read-only, full disk, locked, ...) for an ``sqlite3`` or ``OSError`` raised while ``doing``."""
    msg = str(exc)
    low = msg.lower()
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or "disk is full" in low:
        what = ("disk full while " + doing + "; values stored before this are kept (each pair is one "
                "transaction): free space and run again to continue where it stopped")
    elif "not a database" in low or "malformed" in low or "file is encrypted" in low:
        what = ("not a fusionbench result store: a corrupt file or not an SQLite database; move it away "
                "or give another --store")
    elif "readonly" in low or "read-only" in low or isinstance(exc, PermissionError) or \
            isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = f"read-only: cannot write results to it while {doing}; give a writable --store"
    elif "locked" in low or "busy" in low:
        what = f"locked by another process for too long while {doing}; try again when it has finished"
    elif "unable to open" in low or isinstance(exc, OSError):
        what = f"cannot open or create the store file ({msg}); check the path and its folder"
    else:
        what = f"store error while {doing}"
    if msg and msg.lower() not in what.lower():
        what += f" [{type(exc).__name__}: {msg}]"
    return InputError(path, what)


@contextlib.contextmanager
def _translated(path, doing: str):
    """Turn sqlite3 and OS errors into :func:`store_error` (an :class:`InputError`), never a traceback."""
    try:
        yield
    except InputError:
        raise
    except (sqlite3.Error, OSError) as exc:
        raise store_error(path, exc, doing) from exc


class ResultStore:
    """Scores keyed by content hash; safe for concurrent writers (WAL, ``BEGIN IMMEDIATE``).

    Parameters
    ----------
    path : path, optional
        SQLite file; default :func:`default_path`. ``":memory:"`` for a throw-away store.

    Raises
    ------
    InputError
        Naming the file, for a corrupt file, an SQLite database of another program (it is never
        written to), a store that cannot be created; and, from :meth:`add`, for a full disk or a
        read-only store. A read-only store opens for reading (``readonly`` is then True).
    """

    def __init__(self, path=None, *, timeout: float = 120.0):
        self.path = os.fspath(path) if path is not None else os.fspath(default_path())
        self.readonly = False
        with _translated(self.path, "opening it"):
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        try:
            with _translated(self.path, "opening it"):
                self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
                self._check_schema()
                try:
                    if self.path != ":memory:":
                        # switching to WAL can answer SQLITE_BUSY at once, without the busy handler (e.g.
                        # while another process creates the same new store): retry until the timeout
                        retry_locked(lambda: self.conn.execute("PRAGMA journal_mode = WAL"), timeout)
                    self.conn.execute("PRAGMA synchronous = NORMAL")
                    retry_locked(lambda: self._write(self._create), timeout)
                except sqlite3.OperationalError as exc:
                    if "readonly" not in str(exc).lower() or not self._has_tables():
                        raise
                    self._open_readonly(timeout)
        except BaseException:
            self.conn.close()
            raise

    def _has_tables(self) -> bool:
        names = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return set(_COLUMNS) <= names

    def _open_readonly(self, timeout):
        """Reopen a store that cannot be written (file or folder read-only) for reading only."""
        self.conn.close()
        uri = Path(self.path).resolve().as_uri()
        try:
            self.conn = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=timeout, isolation_level=None)
            self.conn.execute("SELECT 1 FROM scores LIMIT 1")
        except sqlite3.Error:  # WAL store in a read-only folder: no -shm file can be made
            self.conn = sqlite3.connect(uri + "?immutable=1", uri=True, isolation_level=None)
        self.readonly = True

    def _check_schema(self):
        """Refuse an SQLite file of another program (never add our tables to it) or a foreign schema."""
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        ours = tables & set(_COLUMNS)
        if not tables:
            return  # new store
        if not ours:
            raise InputError(self.path, "an SQLite database of another program (tables: "
                                        f"{', '.join(sorted(tables))}), not a fusionbench result store; "
                                        "it was not changed, give another --store")
        for table in sorted(ours):  # a missing one of ours is created
            have = {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")}
            missing = sorted(_COLUMNS[table] - have)
            if missing:
                raise InputError(self.path, f"not a fusionbench result store (table {table} lacks "
                                            f"{', '.join(missing)}); it was not changed, give another --store")

    @staticmethod
    def _create(cur):
        for stmt in SCHEMA.split(";"):
            if stmt.strip():
                cur.execute(stmt)
        # stores made before these columns existed (their keys never match a new key: recomputed once)
        if "weights" not in {row[1] for row in cur.execute("PRAGMA table_info(labels)")}:
            cur.execute("ALTER TABLE labels ADD COLUMN weights TEXT")
        if "source_digest" not in {row[1] for row in cur.execute("PRAGMA table_info(labels)")}:
            cur.execute("ALTER TABLE labels ADD COLUMN source_digest TEXT")
        if "backend_class" not in {row[1] for row in cur.execute("PRAGMA table_info(scores)")}:
            cur.execute("ALTER TABLE scores ADD COLUMN backend_class TEXT")
        info = {row[1]: row[5] for row in cur.execute("PRAGMA table_info(labels)")}  # column -> pk position
        if not info.get("locator"):
            # labels made before per-metric keys: one value may now serve several option sets of one
            # (dataset, method, image), so the locator joins the primary key; rows are kept as they are
            cur.execute("ALTER TABLE labels RENAME TO labels_old")
            cur.execute(_LABELS_TABLE)
            cols = ", ".join(c for c in ("dataset", "method", "image", "key", "locator", "created", "weights",
                                         "source_digest", "profile", "options") if c in info)
            cur.execute(f"INSERT OR IGNORE INTO labels ({cols}) SELECT {cols} FROM labels_old")
            cur.execute("DROP TABLE labels_old")
            cur.execute("CREATE INDEX IF NOT EXISTS labels_locator ON labels(locator)")
        cur.execute("PRAGMA user_version = 1")  # always a write: a read-only store fails here, on open

    def _write(self, fn):
        if self.readonly:
            raise InputError(self.path, "read-only: cannot write results to it; give a writable --store")
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            fn(cur)
        except BaseException:
            with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already (disk full)
                cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def known_cells(self, cells) -> dict:
        """(dataset, method, image) -> {key: row dict} for every value stored for those cells, under
        any profile or option set (a key match is the same number: :func:`value_key`)."""
        with _translated(self.path, "reading it"):
            out = {tuple(c): {} for c in cells}
            groups = {}
            for dataset, method, image in out:
                groups.setdefault((dataset, method), []).append(image)
            for (dataset, method), images in groups.items():
                for i in range(0, len(images), 500):
                    chunk = images[i:i + 500]
                    q = ("SELECT l.image, s.key, s.metric, s.value, s.backend, s.fusionbench_version, s.git_hash, "
                         "s.created FROM labels l JOIN scores s ON s.key = l.key WHERE l.dataset = ? AND "
                         f"l.method = ? AND l.image IN ({','.join('?' * len(chunk))})")
                    for image, key, metric, value, backend, ver, git, created in self.conn.execute(
                            q, [dataset, method, *chunk]):
                        out[(dataset, method, image)][key] = dict(
                            metric=metric, value=math.nan if value is None else value, backend=backend,
                            fusionbench_version=ver, git_hash=git, created=created)
            return out

    def known(self, locators) -> dict:
        """locator -> {key: row dict} for already-scored (dataset, method, image, profile) cells."""
        with _translated(self.path, "reading it"):
            return self._known(locators)

    def _known(self, locators) -> dict:
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
                  r.get("key_options", r["options"]), r["metric_version"], r["pixel_digest"], r["backend"],
                  r["fusionbench_version"], r["git_hash"], r["created"],
                  r.get("backend_class") or backend_class(r["backend"])) for r in records])
            cur.executemany(
                "INSERT OR IGNORE INTO labels (dataset, method, image, key, locator, created, weights, source_digest, "
                "profile, options) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(r["dataset"], r["method"], r["image"], r["key"], r["locator"], r["created"], r.get("weights"),
                  r.get("source_digest"), r.get("profile"), r.get("options")) for r in records])
            cur.executemany(
                "INSERT OR IGNORE INTO fused VALUES (?,?,?,?,?,?,?)",
                [(f["key"], f["method"], f["weights"], f["source_digest"], f["pixel_digest"], f["image"],
                  f["created"]) for f in fused])
        with _translated(self.path, "writing results"):
            self._write(fn)
        return len(records)

    def count(self, *, dataset=None, method=None) -> int:
        """Number of label rows (one per dataset, method, image, metric and option set)."""
        q, args = "SELECT COUNT(*) FROM labels WHERE 1=1", []
        if dataset is not None:
            q, args = q + " AND dataset = ?", args + [dataset]
        if method is not None:
            q, args = q + " AND method = ?", args + [method]
        with _translated(self.path, "reading it"):
            return self.conn.execute(q, args).fetchone()[0]

    def to_frame(self):
        return self.frame()

    def frame(self):
        """Everything in the store as a long-format pandas DataFrame (``stored``: insertion order)."""
        import pandas as pd
        with _translated(self.path, "reading it"):
            have = {row[1] for row in self.conn.execute("PRAGMA table_info(labels)")}
            # a label's own profile and option set (the run's); older labels, or a read-only older
            # store, have none: then the scores row's
            prof, opts = (("COALESCE(l.profile, s.profile)", "COALESCE(l.options, s.options)")
                          if {"profile", "options"} <= have else ("s.profile", "s.options"))
            q = (f"SELECT l.dataset, l.method, l.image, {prof} AS profile, s.metric, s.value, s.backend, "
                 "s.backend_class, s.metric_version, s.fusionbench_version, s.git_hash, s.created, "
                 f"{opts} AS options, l.weights, "
                 f"{'l.source_digest' if 'source_digest' in have else 'NULL AS source_digest'}, "
                 "s.pixel_digest, s.key, l.rowid AS stored "
                 "FROM labels l JOIN scores s ON s.key = l.key ORDER BY l.dataset, l.method, l.image, s.metric")
            df = pd.read_sql_query(q, self.conn)
        old = df["backend_class"].isna()  # rows of a store made before the column existed
        df.loc[old, "backend_class"] = df.loc[old, "backend"].map(lambda b: backend_class(b) if b else None)
        return df


def open_store(path=None) -> ResultStore:
    """Open (creating if needed) the store at ``path`` (default :func:`default_path`)."""
    return ResultStore(path)
