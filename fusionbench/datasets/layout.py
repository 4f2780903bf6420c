"""Folder layouts of IR-visible datasets: find the IR and visible folders and pair files by stem."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from fusionbench.errors import InputError
from fusionbench.imageio import IMAGE_EXTENSIONS

# folder names, compared case-insensitively
# RoadScene's cropped, size-matched folders come first: its repository also holds raw infrared/
IR_NAMES = ("cropinfrared", "ir", "infrared", "inf", "thermal", "lwir", "ir_images")
VI_NAMES = ("crop_lr_visible", "vi", "vis", "visible", "rgb", "vi_images", "vis_images")
SPLIT_NAMES = ("train", "test", "val", "validation")
WRAPPER_NAMES = ("input",)  # VIFB keeps its sources under input/{IR,VI}


@dataclass(frozen=True)
class Pair:
    """One source pair: ``name`` is the shared file stem."""

    name: str
    ir: str
    vi: str


@dataclass
class PairList:
    """Pairs found in a folder, plus the files that could not be paired (``problems``: name -> reason)."""

    root: str
    ir_dir: str
    vi_dir: str
    pairs: list = field(default_factory=list)
    problems: dict = field(default_factory=dict)
    split: str | None = None


def _child(folder: Path, names) -> Path | None:
    """The sub-folder of ``folder`` whose lower-cased name is in ``names`` (first by ``names`` order)."""
    try:
        children = {p.name.lower(): p for p in folder.iterdir() if p.is_dir()}
    except OSError:
        return None
    for n in names:
        if n in children:
            return children[n]
    return None


def _has_images(folder: Path) -> bool:
    return any(p.suffix.lower() in IMAGE_EXTENSIONS for p in folder.iterdir())


def modality_dirs(folder, split: str | None = None):
    """Return (ir_dir, vi_dir) of a dataset folder, or None if the layout is not recognised.

    Recognised (names case-insensitive): ``ir/ vi/``; ``input/IR input/VI`` (VIFB);
    ``<split>/ir <split>/vi`` (MSRS, LLVIP samples); ``ir/<split> vi/<split>`` (LLVIP release).
    """
    folder = Path(folder)
    if split:
        sp = _child(folder, (split.lower(),))
        if sp is not None:
            found = modality_dirs(sp)
            if found:
                return found
        ir, vi = _child(folder, IR_NAMES), _child(folder, VI_NAMES)
        if ir is not None and vi is not None:
            ir_s, vi_s = _child(ir, (split.lower(),)), _child(vi, (split.lower(),))
            if ir_s is not None and vi_s is not None:
                return ir_s, vi_s
        return None
    ir, vi = _child(folder, IR_NAMES), _child(folder, VI_NAMES)
    if ir is not None and vi is not None:
        if not _has_images(ir) and _child(ir, SPLIT_NAMES) is not None:
            return None  # modality/split layout: a split must be chosen
        return ir, vi
    wrap = _child(folder, WRAPPER_NAMES)
    if wrap is not None:
        return modality_dirs(wrap)
    return None


def available_splits(folder) -> list:
    """Split names for which :func:`modality_dirs` finds a layout."""
    return [s for s in SPLIT_NAMES if modality_dirs(folder, s)]


def is_dataset_folder(folder) -> bool:
    return Path(folder).is_dir() and bool(modality_dirs(folder) or available_splits(folder))


def _images_by_stem(folder: Path, problems: dict, role: str) -> dict:
    out = {}
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.suffix.lower() not in IMAGE_EXTENSIONS:
            continue
        if p.stem in out:
            problems[p.stem] = f"two {role} files with stem {p.stem!r}: {out[p.stem].name}, {p.name}"
            continue
        out[p.stem] = p
    return out


def pair_folder(folder, split: str | None = None, *, default_split: str | None = "test") -> PairList:
    """Find the IR/visible folders of ``folder`` and pair their images by file stem.

    A stem present on one side only is recorded in ``problems`` (it is not silently dropped).
    With split sub-folders and no ``split``, ``default_split`` is used if present.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(str(folder), "dataset folder not found")
    dirs = modality_dirs(folder, split)
    if dirs is None and split is None:
        splits = available_splits(folder)
        if splits:
            if default_split in splits:
                split, dirs = default_split, modality_dirs(folder, default_split)
            else:
                raise InputError(str(folder), f"has splits {', '.join(splits)}; choose one with --split")
    if dirs is None:
        extra = f" (split {split!r}; found: {', '.join(available_splits(folder)) or 'none'})" if split else ""
        raise InputError(str(folder), "no infrared/visible folders found; expected sub-folders such as "
                                      f"ir/ and vi/ (or IR/VI, infrared/visible, input/IR...){extra}")
    ir_dir, vi_dir = dirs
    problems = {}
    irs = _images_by_stem(ir_dir, problems, "infrared")
    vis = _images_by_stem(vi_dir, problems, "visible")
    for stem in sorted(set(irs) - set(vis)):
        problems[stem] = f"no visible image for {irs[stem].name} in {vi_dir}"
    for stem in sorted(set(vis) - set(irs)):
        problems[stem] = f"no infrared image for {vis[stem].name} in {ir_dir}"
    stems = sorted((set(irs) & set(vis)) - set(problems))
    pairs = [Pair(s, os.fspath(irs[s]), os.fspath(vis[s])) for s in stems]
    return PairList(os.fspath(folder), os.fspath(ir_dir), os.fspath(vi_dir), pairs, problems, split)


def fused_by_stem(folder) -> dict:
    """stem -> path of the images in a folder of fused results (flat; names matched by stem).

    Two images with one stem (``X.png`` and ``X.bmp``) raise :class:`InputError` naming both: which
    one was meant cannot be guessed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(str(folder), "fused-image folder not found")
    out, twice = {}, []
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS:
            if p.stem in out:
                twice.append(f"{Path(out[p.stem]).name} and {p.name}")
            out.setdefault(p.stem, os.fspath(p))
    if twice:
        raise InputError(str(folder), f"several fused images share a name: {'; '.join(twice)}; "
                                      "keep one file per image")
    return out


def image_size(path) -> tuple:
    """(height, width) from the file header, without decoding the pixels; :class:`InputError` for an
    unreadable file or one over the pixel limit (:func:`fusionbench.imageio.max_pixels`)."""
    from fusionbench.imageio import open_image
    with open_image(path) as im:
        return im.size[1], im.size[0]
