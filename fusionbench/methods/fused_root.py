"""A results tree (``Results/<Method>/<image>.png``): one :class:`FusedFolder` per subfolder.

Researchers keep every compared method's fused images side by side, one folder per method, often
named ``<Method>_<dataset>`` (Tang's toolbox reads ``Image/Algorithm/DenseFuse_TNO``). This module
turns such a tree into the method list of :func:`fusionbench.runner.evaluate`, and tells which
images each method lacks.

A flat VIFB-style folder (``fused/<image>_<method>.jpg``, every method in one folder) is read as
well when the pairs' image names are given: one method per ``<method>`` suffix.

Example
-------
>>> from fusionbench.methods.fused_root import discover_fused_root, missing_images
>>> from fusionbench.runner import evaluate
>>> folders = discover_fused_root("../shared/data/tno42/fused", exclude=["PMGI"])  # doctest: +SKIP
>>> [f.name for f in folders][:3]  # doctest: +SKIP
['DenseFuse', 'FusionGAN', 'IFCNN']
>>> result = evaluate(["tno42"], folders, data_root="../shared/data")  # doctest: +SKIP
>>> missing_images(result.problems)  # {dataset: {method: [images]}}  # doctest: +SKIP
{}
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from fusionbench.errors import InputError
from fusionbench.imageio import IMAGE_EXTENSIONS
from fusionbench.methods.external import FusedFolder


def _image_dirs(root: Path) -> list:
    out = []
    for p in sorted(root.iterdir(), key=lambda q: q.name.lower()):
        if p.is_dir() and not p.name.startswith("."):
            try:
                if any(q.suffix.lower() in IMAGE_EXTENSIONS for q in p.iterdir() if q.is_file()):
                    out.append(p)
            except OSError:
                continue
    return out


def _suffix_matches(suffix: str, dataset: str) -> bool:
    s, d = suffix.lower(), dataset.lower()
    return bool(s) and (d.startswith(s) or s.startswith(d))


def method_names(folder_names, *, dataset=None) -> dict:
    """Folder name -> method name for the subfolders of a results tree.

    ``<Method>_<dataset>`` names lose their dataset suffix when (a) ``dataset`` is given and the
    suffix names it (case-insensitive prefix either way: ``TNO`` matches ``tno42``), or (b) every
    folder ends with the same ``_<suffix>`` (``DenseFuse_TNO``, ``IFCNN_TNO``). Folders whose suffix
    names another dataset are left out when (a) applies to some folder. Otherwise the folder name
    is the method name (VIFB's ``HMSD_GF`` stays whole).

    Parameters
    ----------
    folder_names : sequence of str
    dataset : str, optional
        Dataset label being scored.
    """
    names = list(folder_names)
    parts = {n: n.rsplit("_", 1) for n in names}
    if dataset is not None:
        hits = {n: p[0] for n, p in parts.items() if len(p) == 2 and p[0] and _suffix_matches(p[1], dataset)}
        if hits:
            return hits
    suffixes = {p[1] for p in parts.values() if len(p) == 2 and p[0]}
    if len(names) > 1 and len(suffixes) == 1 and all(len(p) == 2 and p[0] for p in parts.values()):
        return {n: p[0] for n, p in parts.items()}
    return {n: n for n in names}


def _filtered(names: dict, include, exclude) -> dict:
    def hit(patterns, folder, method):
        return any(fnmatch.fnmatchcase(x.lower(), pat.lower()) for pat in patterns for x in (folder, method))
    out = {}
    for folder, method in names.items():
        if include and not hit(include, folder, method):
            continue
        if exclude and hit(exclude, folder, method):
            continue
        out[folder] = method
    return out


def _flat_methods(root: Path, stems) -> dict:
    """``{method: root}`` of a flat ``<image>_<method>.*`` folder, for the given image stems."""
    stems = sorted(stems, key=len, reverse=True)  # longest first: "walking2" before "walking"
    found = {}
    for p in sorted(root.iterdir()):
        if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS:
            for st in stems:
                if p.stem.startswith(st + "_") and len(p.stem) > len(st) + 1:
                    found.setdefault(p.stem[len(st) + 1:], root)
                    break
    return found


def discover_fused_root(root, *, include=(), exclude=(), dataset=None, stems=None) -> list:
    """One :class:`FusedFolder` per subfolder of ``root`` that holds images, named after the folder.

    Parameters
    ----------
    root : path
        Folder of method folders (``Results/<Method>/<image>.png`` or ``<Method>_<dataset>/``).
    include, exclude : sequence of str
        Shell-style patterns (``"*fus*"``), case-insensitive, matched against the folder name and the method name;
        a folder is kept when it matches some ``include`` pattern (all when none are given) and no
        ``exclude`` pattern.
    dataset : str, optional
        Dataset label, used to read ``<Method>_<dataset>`` names (see :func:`method_names`).
    stems : iterable of str, optional
        The pairs' image names; with them a flat VIFB-style folder of ``<image>_<method>.*`` files
        (no subfolders) gives one method per ``<method>`` suffix.

    Returns
    -------
    list of FusedFolder
        Sorted by folder name (case-insensitive).

    Raises
    ------
    InputError
        ``root`` is missing, holds no image folder, the filters leave none, or two folders give one
        method name.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(str(root), "results folder (--fused-root) not found")
    dirs = _image_dirs(root)
    if not dirs and stems:
        flat = _flat_methods(root, stems)
        names = _filtered({m: m for m in flat}, include, exclude)
        if not names:
            raise InputError(str(root), "no <image>_<method> files (or none left after --include/--exclude) "
                                        "for this dataset's images")
        return [FusedFolder(root, name=m) for m in sorted(names, key=str.lower)]
    if not dirs:
        raise InputError(str(root), "holds no subfolder with images; expected <root>/<Method>/<image>.png "
                                    "(or a flat folder of <image>_<method> files)")
    names = _filtered(method_names([d.name for d in dirs], dataset=dataset), include, exclude)
    if not names:
        raise InputError(str(root), f"no method folder left after --include {list(include)} / --exclude "
                                    f"{list(exclude)} (folders: {', '.join(d.name for d in dirs)})")
    seen = {}
    for folder, method in names.items():
        if method in seen:
            raise InputError(str(root), f"folders {seen[method]} and {folder} both give method {method!r}; "
                                        "exclude one of them")
        seen[method] = folder
    return [FusedFolder(root / folder, name=method) for folder, method in names.items()]


def missing_images(problems) -> dict:
    """``{dataset: {method: [image, ...]}}`` of the pairs a method has no fused image for.

    ``problems`` are the :class:`fusionbench.runner.evaluate.Problem` entries of a run (or any objects
    with ``dataset``, ``method``, ``image`` and ``reason``); only "no fused image" problems count.
    """
    out: dict = {}
    for p in problems:
        if p.method is not None and str(p.reason).startswith("no fused image"):
            out.setdefault(p.dataset, {}).setdefault(p.method, []).append(p.image)
    return out
