"""Resolve ``--dataset NAME|PATH`` (+ data root, split, subset) to a list of pairs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from fusionbench.datasets.layout import available_splits, is_dataset_folder, pair_folder
from fusionbench.datasets.registry import SUBSETS, get_spec
from fusionbench.errors import InputError, UnknownNameError

ENV_ROOT = "FUSIONBENCH_DATA"
SAMPLE_ROOT = Path(__file__).resolve().parent / "sample"


@dataclass
class Dataset:
    """Resolved pairs of one dataset (``problems``: pair name -> reason it cannot be scored)."""

    name: str
    root: str
    split: str | None
    pairs: list
    problems: dict = field(default_factory=dict)
    is_sample: bool = False
    root_source: str = "path"  # "path" | "--data-root" | "FUSIONBENCH_DATA" | "fetched" | "sample"
    subset: str | None = None
    spec: object = None
    all_names: tuple = ()  # every stem in the folder, before subset selection

    @property
    def label(self) -> str:
        """Dataset name as stored with results, e.g. ``msrs/test`` or ``msrs-sample/test``."""
        base = self.name + ("-sample" if self.is_sample else "")
        return f"{base}/{self.split}" if self.split else base

    def describe(self) -> str:
        where = "the bundled sample" if self.is_sample else self.root
        sub = f", subset {self.subset}" if self.subset else ""
        return f"{self.label}: {len(self.pairs)} pairs from {where}{sub}"


def fetched_root() -> Path:
    """Where ``fusionbench datasets fetch`` puts datasets by default (user data directory)."""
    from platformdirs import user_data_dir
    return Path(user_data_dir("fusionbench")) / "datasets"


def data_root(explicit=None, name=None):
    """(root, source): ``--data-root``, then ``$FUSIONBENCH_DATA``, then the fetched-datasets folder
    if it holds ``name``, else the bundled sample."""
    if explicit:
        return Path(explicit), "--data-root"
    env = os.environ.get(ENV_ROOT)
    if env:
        return Path(env), ENV_ROOT
    if name and (fetched_root() / name).is_dir():
        return fetched_root(), "fetched"
    return SAMPLE_ROOT, "sample"


def _find_folder(spec, root: Path):
    """The dataset folder under ``root``: a child named like the dataset, else ``root`` itself."""
    if not root.is_dir():
        raise InputError(str(root), "data root not found")
    children = {p.name.lower(): p for p in root.iterdir() if p.is_dir()}
    for name in spec.folders:
        cand = children.get(name.lower())
        if cand is not None and is_dataset_folder(cand):
            return cand
    if is_dataset_folder(root):
        return root
    return None


def load_subset(subset) -> tuple:
    """A named subset (``tno25``, ``roadscene50``) or a text file with one stem per line."""
    if subset in SUBSETS:
        return tuple(SUBSETS[subset])
    if subset and Path(subset).is_file():
        lines = Path(subset).read_text().split()
        return tuple(Path(s).stem if Path(s).suffix else s for s in lines)
    raise UnknownNameError("subset", subset, SUBSETS)


def resolve_dataset(dataset, *, data_root_dir=None, split=None, subset=None) -> Dataset:
    """Resolve a registered dataset name or a folder path to its pairs.

    Parameters
    ----------
    dataset : str or path
        A registered name (``fusionbench datasets list``) or any folder holding ir/ and vi/
        (names matched case-insensitively; split sub-folders and VIFB's input/ are recognised).
    data_root_dir : path, optional
        Folder holding the dataset folder (or the dataset folder itself). Default
        ``$FUSIONBENCH_DATA``, else the bundled sample.
    split, subset : str, optional
        Split name (``train``/``test``); subset name or file of stems.
    """
    text = os.fspath(dataset)
    as_path = Path(text).expanduser()
    looks_like_path = isinstance(dataset, os.PathLike) or os.sep in text or text.startswith((".", "~"))
    spec = None
    if not looks_like_path:  # a registered name wins over a same-named folder in the working directory
        try:
            spec = get_spec(text)
        except UnknownNameError:
            if not as_path.is_dir():
                raise
    if spec is None:
        if not as_path.is_dir():
            raise InputError(text, "dataset folder not found")
        folder, source, is_sample, name = as_path, "path", False, as_path.resolve().name
    else:
        root, source = data_root(data_root_dir, spec.name)
        is_sample = source == "sample"
        folder = _find_folder(spec, root)
        if folder is None:
            where = "the bundled sample" if is_sample else f"{root} ({source})"
            hint = " (the sample holds msrs, tno, roadscene, llvip, vifb)" if is_sample else ""
            raise InputError(spec.name, f"not found in {where}{hint}: looked for a folder named "
                                        f"{' / '.join(spec.folders)} holding ir/ and vi/, or for "
                                        f"ir/ and vi/ in the root itself; pass --data-root")
        name = spec.name
        subset = subset or spec.subset
    splits = available_splits(folder)
    if split is None and spec is not None and spec.default_split in splits:
        split = spec.default_split
    if split and not splits and spec is not None and not spec.splits:
        split = None  # --split applies to the datasets that have splits (e.g. msrs with tno in one run)
    pl = pair_folder(folder, split)
    split = pl.split
    pairs, problems = pl.pairs, dict(pl.problems)
    if subset:
        wanted = load_subset(subset)
        have = {p.name: p for p in pairs}
        pairs = [have[s] for s in sorted(set(wanted) & set(have))]
        problems = {k: v for k, v in problems.items() if k in wanted}
        if not is_sample:
            for s in wanted:
                if s not in have and s not in problems:
                    problems[s] = f"subset {subset} lists {s!r} but {folder} has no such pair"
    all_names = tuple(sorted({p.name for p in pl.pairs} | set(pl.problems)))
    return Dataset(name, os.fspath(folder), split, pairs, problems, is_sample, source,
                   subset if subset else None, spec, all_names)
