"""Datasets: the registry (``zinc``, ``moses``, any CSV/.smi/.sdf path), reading, rejects, caching
and splits, one module per concept: :mod:`~molvae.data.locations`, :mod:`~molvae.data.reading`,
:mod:`~molvae.data.loading` (with the cache and the rejects) and :mod:`~molvae.data.splits`.

>>> from molvae.data import load_dataset, split_dataset
>>> ds = load_dataset("zinc", properties=["logp", "qed", "sa"])     # doctest: +SKIP
>>> ds.frame.columns.tolist()                                       # doctest: +SKIP
['smiles', 'logp', 'qed', 'sa']
>>> splits = split_dataset(ds.frame, valid_fraction=0.05, test_fraction=0.05, seed=0)  # doctest: +SKIP

Every input row either ends up in ``Dataset.frame`` (as a canonical SMILES with its properties) or
in the rejects file, with its row number and the reason; nothing is dropped silently. Canonical
SMILES and property columns are cached on disk, keyed by the sha256 of the input's bytes, so a
second load of the same file reads the cache instead of recomputing.
"""

from molvae.data.loading import DEFAULT_PROPERTIES, Dataset, dataset_path, load_dataset
from molvae.data.locations import DATASET_NAMES, default_cache_dir, moses_path, zinc250k_path
from molvae.data.reading import read_smiles
from molvae.data.splits import Splits, checkpoint_splits, split_dataset, summarize_dataset

__all__ = [
    "Dataset",
    "Splits",
    "DATASET_NAMES",
    "DEFAULT_PROPERTIES",
    "dataset_path",
    "load_dataset",
    "read_smiles",
    "split_dataset",
    "checkpoint_splits",
    "summarize_dataset",
    "default_cache_dir",
    "moses_path",
    "zinc250k_path",
]
