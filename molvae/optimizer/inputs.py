"""Where an optimization's molecules come from and what "novel" is measured against: start
molecules read from a list or a file, samples of the model's dataset, the training set."""

from __future__ import annotations

import logging
import os
from collections.abc import Container, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import pandas as pd

from molvae.training_set import TrainingSet

if TYPE_CHECKING:
    from molvae.latent_model import LatentModel

__all__ = ["StartsLike", "read_starts", "canonical_starts", "training_smiles", "reference_set", "sample_dataset",
           "default_dataset", "dataset_smiles"]

logger = logging.getLogger(__name__)

StartsLike = Union[Sequence[str], str, os.PathLike, None]


def read_starts(starts: StartsLike) -> list[str]:
    """Start molecules: a list of SMILES, one SMILES, or a file (.smi/.txt: first field of each
    line; CSV: its SMILES column; SDF)."""
    if starts is None:
        return []
    if isinstance(starts, os.PathLike) or (isinstance(starts, str) and Path(starts).expanduser()
                                           .is_file()):
        from molvae.data import read_smiles

        return read_smiles(starts)
    if isinstance(starts, str):
        return [starts]
    return list(starts)


def canonical_starts(starts: StartsLike) -> list[str]:
    """The canonical SMILES of :func:`read_starts`'s molecules, those RDKit cannot parse dropped."""
    from molvae.chemistry import canonicalize_many

    return [s for s in canonicalize_many(read_starts(starts)) if s]


def training_smiles(vae: LatentModel) -> Container[str] | None:
    """The molecules the model was trained from (the training split and the held-out ones), as
    something that answers ``smiles in it`` for canonical SMILES: the checkpoint's own
    training-set summary when it has one (:mod:`molvae.training_set`), else the dataset its
    checkpoint names (a dataset name or file whose content fingerprint still matches, summarized
    the same way), else None (a model trained on an in-memory DataFrame)."""
    if getattr(vae, "training_set", None) is not None:
        return vae.training_set
    meta = getattr(vae, "metadata", {}) or {}
    data = meta.get("data") or {}
    run = (meta.get("run_config") or {}).get("data") or {}
    source = data.get("source")
    if not source or source == "DataFrame":
        return None
    from molvae.data import load_dataset
    from molvae.errors import DatasetError

    try:
        dataset = load_dataset(run.get("source", source), properties=(),
                               smiles_column=run.get("smiles_column"), limit=run.get("limit"),
                               download=False)
    except (DatasetError, OSError) as exc:
        logger.info("novelty not checked: the training data %r cannot be loaded (%s)", source, exc)
        return None
    if data.get("fingerprint") and dataset.fingerprint != data["fingerprint"]:
        logger.info("novelty not checked: %r has changed since the model was trained", source)
        return None
    return TrainingSet.from_smiles(dataset.smiles)  # what a newer checkpoint would carry


def dataset_smiles(dataset: Any) -> list[str]:
    """The SMILES of a dataset name or file (rows as written), a DataFrame's ``smiles`` column,
    a loaded dataset, or a list."""
    if isinstance(dataset, (str, os.PathLike)):
        # the rows as written: callers sample from them and canonicalize only their sample
        from molvae.data import dataset_path, read_smiles

        return [s for s in read_smiles(dataset_path(dataset)) if s]
    if isinstance(dataset, pd.DataFrame):
        return dataset["smiles"].dropna().astype(str).tolist()
    if hasattr(dataset, "smiles"):
        return list(dataset.smiles)
    return [s for s in dataset if isinstance(s, str)]


def reference_set(reference: Any, vae: LatentModel, *, dataset: Any = None
                  ) -> Container[str] | None:
    """What ``novel`` is measured against: None (not measured), ``"auto"`` (``dataset`` when
    the search named one, else the model's training set, :func:`training_smiles`), a set of canonical SMILES as given, or molecules (a list, a
    dataset, a file) canonicalized into a :class:`~molvae.training_set.TrainingSet`, the one
    form a model's novelty set takes. (The MOSES metrics keep exact sorted SMILES,
    :mod:`molvae.metrics.novelty`, to agree with MOSES's own code string for string.)"""
    if reference is None:
        return None
    if isinstance(reference, str) and reference == "auto":
        if dataset is None:
            return training_smiles(vae)
        reference = dataset
    if isinstance(reference, (set, frozenset, TrainingSet)):
        return reference
    from molvae.chemistry import canonicalize_many

    return TrainingSet.from_smiles([s for s in canonicalize_many(dataset_smiles(reference)) if s])


# --- gradient ascent -------------------------------------------------------------------------


def sample_dataset(dataset: Any, n: int, rng: np.random.Generator) -> list[str]:
    from molvae.chemistry import canonicalize_many

    smiles = dataset_smiles(dataset if dataset is not None else "zinc")
    if len(smiles) > n:
        smiles = [smiles[i] for i in rng.choice(len(smiles), n, replace=False)]
    return [s for s in canonicalize_many(smiles) if s]


def default_dataset(vae: LatentModel, dataset: Any, *, whole: bool = False) -> Any:
    """``dataset``, else the model's training data: the sample of it the checkpoint keeps (unless
    ``whole``), the dataset file its run config names, that sample, or ZINC250k."""
    if dataset is not None:
        return dataset
    kept = getattr(vae, "training_set", None)
    sample = list(kept.sample) if kept is not None and kept.sample else None
    if sample and not whole:
        return sample
    run = (getattr(vae, "metadata", {}) or {}).get("run_config", {}).get("data", {})
    source = (getattr(vae, "metadata", {}) or {}).get("data", {}).get("source")
    if source and source != "DataFrame" and run.get("source"):
        from molvae.data import load_dataset

        return load_dataset(run["source"], properties=(), limit=run.get("limit"), download=False)
    return sample or "zinc"
