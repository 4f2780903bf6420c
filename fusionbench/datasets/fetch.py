"""Download a dataset archive, extract it safely and verify every file against a sha256 manifest.

Safety limits (each settable): the total number of bytes an archive may write
(``FUSIONBENCH_MAX_EXTRACT_BYTES``, default 8 GiB) and how much larger than the archive its contents may
be (``FUSIONBENCH_MAX_EXTRACT_RATIO``, default 100; images hardly compress, a zip bomb compresses
~1000:1). Corrupt archives (bad CRC, truncated tar or gzip stream) raise :class:`FetchError` naming the
archive and member; nothing extracted from them is kept.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from fusionbench.errors import FusionBenchError, InputError


class FetchError(FusionBenchError):
    """A download that failed, did not match its checksum, or an archive that is unsafe or corrupt."""


MAX_BYTES_ENV = "FUSIONBENCH_MAX_EXTRACT_BYTES"
MAX_RATIO_ENV = "FUSIONBENCH_MAX_EXTRACT_RATIO"
DEFAULT_MAX_BYTES = 8 << 30
DEFAULT_MAX_RATIO = 100.0
RATIO_SLACK = 16 << 20  # archives whose contents stay below this size are never refused for their ratio
CORRUPT = (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError)


def _limit(value, env, default, kind):
    if value is not None:
        return kind(value)
    raw = os.environ.get(env)
    if not raw:
        return default
    try:
        out = kind(raw)
    except ValueError:
        raise FetchError(f"{env}={raw!r} is not a number") from None
    if out <= 0:
        raise FetchError(f"{env}={raw!r} must be positive")
    return out


class _Budget:
    """Counts the bytes actually written (declared sizes can lie) against both limits."""

    def __init__(self, archive, max_bytes, max_ratio):
        self.archive = archive
        size = os.path.getsize(archive)
        self.max_bytes = _limit(max_bytes, MAX_BYTES_ENV, DEFAULT_MAX_BYTES, int)
        ratio = _limit(max_ratio, MAX_RATIO_ENV, DEFAULT_MAX_RATIO, float)
        self.cap = min(self.max_bytes, max(int(ratio * size), RATIO_SLACK))
        self.ratio, self.size, self.used = ratio, size, 0

    def check(self, total, name):
        if total > self.max_bytes:
            raise FetchError(f"{self.archive}: extracting {name!r} would write more than "
                             f"{self.max_bytes:,} bytes (limit {MAX_BYTES_ENV})")
        if total > self.cap:
            raise FetchError(f"{self.archive}: contents would exceed {self.ratio:g} times the archive's "
                             f"size ({self.size:,} bytes) at {name!r}: refused as a possible archive bomb "
                             f"(limit {MAX_RATIO_ENV})")

    def copy(self, src, dst, name):
        for block in iter(lambda: src.read(1 << 20), b""):
            self.used += len(block)
            self.check(self.used, name)
            dst.write(block)


def sha256_file(path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def download(url: str, dest, *, progress: bool = True, timeout: float = 60.0) -> Path:
    """Stream ``url`` to ``dest`` with a tqdm progress bar (written to a ``.part`` file first)."""
    from tqdm import tqdm

    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(part, "wb") as out:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, disable=not progress,
                      file=sys.stderr) as bar:
                for block in iter(lambda: resp.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise FetchError(f"download of {url} failed: {exc}") from None
    part.replace(dest)
    return dest


def _safe_name(name: str) -> PurePosixPath:
    """Reject absolute paths, drive letters and '..' components of an archive member name."""
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or (p.parts and ":" in p.parts[0]) or ".." in p.parts:
        raise FetchError(f"unsafe path in archive: {name!r}")
    return p


def _inside(target: Path, rel) -> Path:
    out = (target / rel).resolve()
    if out != target and target not in out.parents:
        raise FetchError(f"archive member {str(rel)!r} would be written outside {target}")
    return out


def _extract_zip(archive, target: Path, budget: _Budget, written: list) -> list:
    names = []
    with zipfile.ZipFile(archive) as zf:
        declared = 0
        for info in zf.infolist():
            rel = _safe_name(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise FetchError(f"archive member {info.filename!r} is a symbolic link")
            _inside(target, rel)
            declared += info.file_size
            budget.check(declared, info.filename)
        for info in zf.infolist():
            out = _inside(target, _safe_name(info.filename))
            if info.is_dir():
                out.mkdir(parents=True, exist_ok=True)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            written.append(out)
            try:
                with zf.open(info) as src, open(out, "wb") as dst:
                    budget.copy(src, dst, info.filename)
            except CORRUPT as exc:
                raise FetchError(f"{archive}: corrupt archive, member {info.filename!r}: {exc}") from None
            names.append(info.filename)
    return names


def _extract_tar(archive, target: Path, budget: _Budget, written: list) -> list:
    names = []
    with tarfile.open(archive) as tf:
        try:
            members = tf.getmembers()
        except CORRUPT as exc:
            raise FetchError(f"{archive}: corrupt or truncated tar archive: {exc}") from None
        declared = 0
        for m in members:
            declared += m.size if m.isfile() else 0
            budget.check(declared, m.name)
            rel = _safe_name(m.name)
            _inside(target, rel)
            if m.issym() or m.islnk():
                link = PurePosixPath(m.linkname)
                base = rel.parent if m.issym() else PurePosixPath()
                if link.is_absolute():
                    raise FetchError(f"archive link {m.name!r} points to an absolute path")
                _inside(target, base / link)
            elif not (m.isfile() or m.isdir()):
                raise FetchError(f"archive member {m.name!r} is a device, FIFO or other special file")
        for m in members:
            out = _inside(target, _safe_name(m.name))
            if m.isdir():
                out.mkdir(parents=True, exist_ok=True)
            elif m.isfile():
                out.parent.mkdir(parents=True, exist_ok=True)
                written.append(out)
                before = budget.used
                try:
                    with tf.extractfile(m) as src, open(out, "wb") as dst:
                        budget.copy(src, dst, m.name)
                except CORRUPT as exc:
                    raise FetchError(f"{archive}: corrupt or truncated tar archive, member {m.name!r}: "
                                     f"{exc}") from None
                if budget.used - before != m.size:
                    raise FetchError(f"{archive}: truncated tar archive, member {m.name!r} has "
                                     f"{budget.used - before} of {m.size} bytes")
                names.append(m.name)
            # links inside the target are skipped: dataset archives need none
    return names


def safe_extract(archive, target, *, max_bytes: int | None = None, max_ratio: float | None = None) -> list:
    """Extract a zip or tar archive into ``target``; every member is checked before anything is written.

    Rejected: absolute names, '..' components, links leaving the target, device files, contents over
    ``max_bytes`` or over ``max_ratio`` times the archive's size (defaults: module docstring), corrupt
    or truncated archives. On any error the files already written are removed again.
    Returns the names of the files written.
    """
    target = Path(target).resolve()
    target.mkdir(parents=True, exist_ok=True)
    archive = os.fspath(archive)
    budget = _Budget(archive, max_bytes, max_ratio)
    written: list = []
    try:
        if zipfile.is_zipfile(archive):
            return _extract_zip(archive, target, budget, written)
        try:
            is_tar = tarfile.is_tarfile(archive)
        except CORRUPT:
            is_tar = False
        if is_tar:
            return _extract_tar(archive, target, budget, written)
    except FetchError:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    except CORRUPT as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise FetchError(f"{archive}: corrupt archive: {exc}") from None
    raise FetchError(f"{archive}: not a zip or tar archive (or truncated before its first member)")


def fetch_archive(url: str, target, *, sha256: str | None = None, progress: bool = True,
                  keep_archive: bool = False, max_bytes: int | None = None,
                  max_ratio: float | None = None) -> dict:
    """Download ``url``, check ``sha256`` (if given) and extract it into ``target``.

    Returns ``{"target", "sha256", "verified", "files"}``. A checksum mismatch raises
    :class:`FetchError` and extracts nothing; so does an archive over the size or ratio limits
    (:func:`safe_extract`).
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target) as tmp:
        name = PurePosixPath(url.split("?")[0]).name or "archive"
        path = download(url, Path(tmp) / name, progress=progress)
        digest = sha256_file(path)
        if sha256 and digest.lower() != sha256.lower():
            raise FetchError(f"checksum mismatch for {url}: expected sha256 {sha256}, got {digest}")
        files = safe_extract(path, target, max_bytes=max_bytes, max_ratio=max_ratio)
        if keep_archive:
            shutil.copy2(path, target / name)
    return {"target": os.fspath(target), "sha256": digest, "verified": bool(sha256), "files": files}


def fetch_dataset(name: str, data_root_dir, *, url=None, sha256=None, subdir=None, progress=True,
                  allow_unverified: bool = False, max_bytes=None, max_ratio=None) -> dict:
    """Fetch a registered dataset into ``<data_root>/<name>`` from its recorded address.

    The archive is extracted into a staging folder; its files are put in place by the dataset's
    layout rules (``spec.layout``), or the folder ``subdir`` / ``spec.archive_subdir`` (a glob) is
    taken whole. If the dataset has a sha256 manifest (``fusionbench/datasets/manifests``) every file
    is checked against it before ``<data_root>/<name>`` (which must not exist yet) appears. A
    download that can be verified neither by the archive's sha256 nor by a manifest is refused unless
    ``allow_unverified``. Returns ``{"target", "sha256", "verified", "files", "manifest_files"}``.
    """
    from fusionbench.datasets.manifest import apply_layout, has_manifest, read_manifest, verify_folder
    from fusionbench.datasets.registry import get_spec

    spec = get_spec(name)
    url = url or spec.url
    if not url:
        raise InputError(spec.name, f"has no public download address ({spec.source}); download it "
                                    "by hand (or pass --url) and use --data-root")
    sha = sha256 or (spec.sha256 if url == spec.url else None)
    manifest = read_manifest(spec.name) if has_manifest(spec.name) else None
    if not sha and manifest is None and not allow_unverified:
        raise FetchError(f"{spec.name}: neither a sha256 of the archive nor a file manifest is recorded, "
                         "so the download cannot be verified; pass --sha256 or --allow-unverified")
    rules = spec.layout if subdir is None else ()
    subdir = subdir if subdir is not None else (spec.archive_subdir if not rules else None)
    root = Path(data_root_dir)
    final = root / spec.name
    if final.exists():
        raise FetchError(f"{final} already exists; remove it to fetch again")
    staging = root / f".{spec.name}.partial"
    placed = root / f".{spec.name}.placed"
    for leftover in (staging, placed):
        if leftover.exists():
            shutil.rmtree(leftover)
    try:
        info = fetch_archive(url, staging, sha256=sha, progress=progress, max_bytes=max_bytes,
                             max_ratio=max_ratio)
        src = staging
        if rules:
            info["placed"] = apply_layout(staging, rules, placed)
            if not info["placed"]:
                raise FetchError(f"archive from {url} holds no file of the {spec.name} layout")
            src = placed
        elif subdir:
            hits = sorted(p for p in staging.glob(subdir) if p.is_dir())
            if len(hits) != 1:
                raise FetchError(f"archive from {url} has {len(hits)} folders matching {subdir!r}")
            src = hits[0]
        info["manifest_files"] = 0
        if manifest is not None:
            files, complete = manifest
            info["manifest_files"] = verify_folder(src, files, complete=complete,
                                                   what=f"{spec.name} from {url}")
            info["verified"] = True
        src.rename(final)
    finally:
        for leftover in (staging, placed):
            if leftover.exists():
                shutil.rmtree(leftover)
    info["target"] = os.fspath(final)
    return info
