"""Per-file sha256 manifests of the registered datasets, and the archive-to-folder layout rules.

A manifest (``manifests/<name>.sha256``) is in ``sha256sum`` format (``<hex>  <relative path>``), made
from a verified copy of the dataset; its first line ``# complete`` says that the dataset holds exactly
these files. ``fusionbench datasets fetch`` moves each file of the downloaded archive to its place by
the dataset's layout rules and then checks every file against the manifest.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from fusionbench.errors import FusionBenchError

MANIFEST_DIR = Path(__file__).resolve().parent / "manifests"


def sha256_file(path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def manifest_path(name: str) -> Path:
    return MANIFEST_DIR / f"{name}.sha256"


def read_manifest(name_or_path) -> tuple[dict, bool]:
    """``({relative path: sha256}, complete)`` of a registered dataset's manifest (or a manifest file)."""
    path = Path(name_or_path)
    if not path.suffix == ".sha256":
        path = manifest_path(str(name_or_path))
    files, complete = {}, False
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            complete = complete or line[1:].strip() == "complete"
            continue
        digest, sep, rel = line.partition("  ")
        if not sep or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise FusionBenchError(f"{path}:{n}: not a '<sha256>  <path>' line")
        files[rel] = digest
    return files, complete


def has_manifest(name: str) -> bool:
    return manifest_path(name).is_file()


def folder_files(folder) -> dict:
    """{relative posix path: absolute path} of every regular file under ``folder``."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def write_manifest(folder, out, *, note: str = "", complete: bool = True) -> int:
    """Write the manifest of every file under ``folder`` to ``out``; returns the number of files."""
    files = folder_files(folder)
    lines = (["# complete"] if complete else []) + [f"# {line}" for line in note.splitlines() if line]
    lines += [f"{sha256_file(p)}  {rel}" for rel, p in files.items()]
    Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(files)


def verify_folder(folder, manifest: dict, *, complete: bool, what: str = "") -> int:
    """Check every file of ``folder`` against ``manifest``; raise naming each difference.

    Missing or changed files are always errors; files absent from the manifest are errors when the
    manifest is ``complete``. Returns the number of files verified.
    """
    from fusionbench.datasets.fetch import FetchError

    have = folder_files(folder)
    missing = sorted(set(manifest) - set(have))
    extra = sorted(set(have) - set(manifest)) if complete else []
    changed = sorted(rel for rel in set(manifest) & set(have) if sha256_file(have[rel]) != manifest[rel])
    if missing or extra or changed:
        parts = []
        for label, items in (("changed (sha256 differs)", changed), ("missing", missing),
                             ("not in the manifest", extra)):
            if items:
                shown = ", ".join(items[:5]) + (f", … ({len(items)} in all)" if len(items) > 5 else "")
                parts.append(f"{label}: {shown}")
        raise FetchError(f"{what or folder}: files do not match the sha256 manifest; " + "; ".join(parts))
    return len(manifest)


class _Group(str):
    """A regex group that formats as an integer under an integer spec (``{1:02d}``)."""

    def __format__(self, spec):
        return format(int(self), spec) if spec.endswith("d") else format(str(self), spec)


OS_LITTER = frozenset({"thumbs.db", ".ds_store", "desktop.ini"})


def is_os_litter(rel: str) -> bool:
    """File-manager litter that real archives carry (RoadScene's ``crop_LR_visible/Thumbs.db``)."""
    name = rel.rsplit("/", 1)[-1]
    return name.lower() in OS_LITTER or name.startswith("._")


def apply_layout(staging, rules, dest) -> int:
    """Move the files of the extracted archive ``staging`` into ``dest`` by ``rules``.

    ``rules`` are ``(regex, template)`` pairs matched against each file's path in the archive (posix);
    the first that matches gives its place, ``template.format(*groups)``; files no rule matches, and
    file-manager litter (:func:`is_os_litter`), are left behind. Returns the number of files moved.
    """
    from fusionbench.datasets.fetch import FetchError

    compiled = [(re.compile(rx), tpl) for rx, tpl in rules]
    dest = Path(dest)
    moved = {}
    for rel, path in folder_files(staging).items():
        if is_os_litter(rel):
            continue
        for rx, tpl in compiled:
            m = rx.fullmatch(rel)
            if m:
                new = tpl.format(*(_Group(g) for g in m.groups()))
                if new in moved:
                    raise FetchError(f"archive files {moved[new]!r} and {rel!r} both map to {new!r}")
                moved[new] = rel
                out = dest / new
                out.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, out)
                break
    return len(moved)
