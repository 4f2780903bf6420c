"""Download a dataset archive with a progress bar, verify its sha256 and extract it safely."""

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
from pathlib import Path, PurePosixPath

from fusionbench.errors import FusionBenchError, InputError


class FetchError(FusionBenchError):
    """A download that failed, did not match its checksum, or an archive that is unsafe."""


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


def _extract_zip(archive, target: Path) -> list:
    names = []
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            rel = _safe_name(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise FetchError(f"archive member {info.filename!r} is a symbolic link")
            _inside(target, rel)
        for info in zf.infolist():
            out = _inside(target, _safe_name(info.filename))
            if info.is_dir():
                out.mkdir(parents=True, exist_ok=True)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)
            names.append(info.filename)
    return names


def _extract_tar(archive, target: Path) -> list:
    names = []
    with tarfile.open(archive) as tf:
        members = tf.getmembers()
        for m in members:
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
                with tf.extractfile(m) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                names.append(m.name)
            # links inside the target are skipped: dataset archives need none
    return names


def safe_extract(archive, target) -> list:
    """Extract a zip or tar archive into ``target``; every member is checked before anything is written.

    Rejected: absolute names, '..' components, links leaving the target, device files.
    Returns the names of the files written.
    """
    target = Path(target).resolve()
    target.mkdir(parents=True, exist_ok=True)
    archive = os.fspath(archive)
    if zipfile.is_zipfile(archive):
        return _extract_zip(archive, target)
    if tarfile.is_tarfile(archive):
        return _extract_tar(archive, target)
    raise FetchError(f"{archive}: not a zip or tar archive")


def fetch_archive(url: str, target, *, sha256: str | None = None, progress: bool = True,
                  keep_archive: bool = False) -> dict:
    """Download ``url``, check ``sha256`` (if given) and extract it into ``target``.

    Returns ``{"target", "sha256", "verified", "files"}``. A checksum mismatch raises
    :class:`FetchError` and extracts nothing.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target) as tmp:
        name = PurePosixPath(url.split("?")[0]).name or "archive"
        path = download(url, Path(tmp) / name, progress=progress)
        digest = sha256_file(path)
        if sha256 and digest.lower() != sha256.lower():
            raise FetchError(f"checksum mismatch for {url}: expected sha256 {sha256}, got {digest}")
        files = safe_extract(path, target)
        if keep_archive:
            shutil.copy2(path, target / name)
    return {"target": os.fspath(target), "sha256": digest, "verified": bool(sha256), "files": files}


def fetch_dataset(name: str, data_root_dir, *, url=None, sha256=None, subdir=None, progress=True) -> dict:
    """Fetch a registered dataset into ``<data_root>/<name>`` from its recorded address.

    The archive is extracted into a staging folder; the dataset folder inside it
    (``spec.archive_subdir`` or ``subdir``, a glob; default: the whole archive) is then moved to
    ``<data_root>/<name>``, which must not exist yet (nothing is overwritten).
    """
    from fusionbench.datasets.registry import get_spec

    spec = get_spec(name)
    url = url or spec.url
    if not url:
        raise InputError(spec.name, f"has no public download address ({spec.source}); download it "
                                    "by hand (or pass --url) and use --data-root")
    sha = sha256 or (spec.sha256 if url == spec.url else None)
    subdir = subdir if subdir is not None else (spec.archive_subdir if url == spec.url else None)
    root = Path(data_root_dir)
    final = root / spec.name
    if final.exists():
        raise FetchError(f"{final} already exists; remove it to fetch again")
    staging = root / f".{spec.name}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    try:
        info = fetch_archive(url, staging, sha256=sha, progress=progress)
        src = staging
        if subdir:
            hits = sorted(p for p in staging.glob(subdir) if p.is_dir())
            if len(hits) != 1:
                raise FetchError(f"archive from {url} has {len(hits)} folders matching {subdir!r}")
            src = hits[0]
        src.rename(final)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    info["target"] = os.fspath(final)
    return info
