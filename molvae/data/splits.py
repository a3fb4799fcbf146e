"""Splitting a dataset into train/valid/test, the splits a checkpoint was trained on, and a
summary of a dataset."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from molvae.data.loading import Dataset, load_dataset
from molvae.errors import DatasetError

__all__ = ["Splits", "split_dataset", "checkpoint_splits", "summarize_dataset"]


@dataclass(frozen=True)
class Splits:
    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame


def checkpoint_splits(metadata: Mapping[str, Any], *, download: bool = False) -> Splits:
    """The train / valid / test split a model was trained on, re-derived from its checkpoint's
    recorded data source, fractions and seed (``MolVAE.metadata``)."""
    run = metadata.get("run_config") or {}
    data, train = run.get("data") or {}, run.get("train") or {}
    if not data.get("source"):
        raise DatasetError("the checkpoint does not record its data source, so its training "
                           "split cannot be found; pass the molecules explicitly")
    dataset = load_dataset(data["source"], properties=(), smiles_column=data.get("smiles_column"),
                           limit=data.get("limit"), download=download)
    return split_dataset(dataset.frame, valid_fraction=train.get("valid_fraction", 0.05),
                         test_fraction=train.get("test_fraction", 0.05), seed=train.get("seed", 0))


def split_dataset(frame: pd.DataFrame, *, valid_fraction: float = 0.05,
                  test_fraction: float = 0.05, seed: int = 0) -> Splits:
    """Shuffle with ``seed`` and cut into train / valid / test; the same seed gives the same split."""
    if not (0 <= valid_fraction < 1 and 0 <= test_fraction < 1 and valid_fraction + test_fraction < 1):
        raise DatasetError(f"valid_fraction ({valid_fraction}) and test_fraction ({test_fraction}) "
                           "must each be in [0, 1) and sum to less than 1")
    n = len(frame)
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    n_valid = int(round(n * valid_fraction))
    test_idx, valid_idx, train_idx = (order[:n_test], order[n_test:n_test + n_valid],
                                      order[n_test + n_valid:])
    pick = lambda idx: frame.iloc[np.sort(idx)].reset_index(drop=True)  # noqa: E731
    return Splits(train=pick(train_idx), valid=pick(valid_idx), test=pick(test_idx))


def summarize_dataset(dataset: Dataset, *, tokenizer_kind: str = "smiles") -> dict[str, object]:
    """Size, rejects, token-length and property summaries, as printed by ``molvae data info``."""
    from molvae.tokenizers import make_tokenizer

    smiles = dataset.smiles
    tokenizer = make_tokenizer(tokenizer_kind, smiles)
    encoded = tokenizer.encode_batch(smiles)
    lengths = encoded.lengths.numpy() - 2  # without the start and end tokens
    props = dataset.frame.drop(columns=["smiles"])
    return {
        "name": dataset.name,
        "source": str(dataset.source_path) if dataset.source_path else None,
        "rows_read": dataset.n_input,
        "molecules": len(dataset),
        "unique": int(dataset.frame["smiles"].nunique()),
        "rejected": dataset.n_rejected,
        "rejects_file": str(dataset.rejects_path) if dataset.rejects_path else None,
        "reject_examples": [f"row {r}: {s!r}" for r, s, _ in dataset.reject_examples],
        "tokenizer": tokenizer_kind,
        "vocabulary_size": len(tokenizer.vocabulary),
        "token_length": {
            "min": int(lengths.min()), "mean": float(lengths.mean()),
            "p99": float(np.percentile(lengths, 99)), "max": int(lengths.max()),
        },
        "properties": props.describe().T[["mean", "std", "min", "50%", "max"]]
        if len(props.columns) else pd.DataFrame(),
        "fingerprint": dataset.fingerprint,
    }
