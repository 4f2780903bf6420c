"""Datasets: registry, folder layouts, pairing by stem, bundled sample and safe download."""

from fusionbench.datasets.layout import Pair, fused_by_stem, pair_folder
from fusionbench.datasets.registry import DATASETS, SUBSETS, DatasetSpec, get_spec, list_datasets
from fusionbench.datasets.resolve import SAMPLE_ROOT, Dataset, data_root, resolve_dataset

__all__ = [
           "DATASETS",
           "SAMPLE_ROOT",
           "SUBSETS",
           "Dataset",
           "DatasetSpec",
           "Pair",
           "data_root",
           "fused_by_stem",
           "get_spec",
           "list_datasets",
           "pair_folder",
           "resolve_dataset",
]
