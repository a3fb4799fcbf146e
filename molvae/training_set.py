"""What a checkpoint remembers of its training molecules, so that using the model never needs
the dataset itself: a hash of every training molecule (for novelty) and a random sample of
them (to fit property predictors and to draw starting points).

Stored as ``training_set.npz`` inside a checkpoint folder (plain arrays, no pickles): about
8 bytes per molecule plus the compressed sample, 2-3 MB for ZINC250k. Training writes it into
every checkpoint; :meth:`molvae.vae.MolVAE.load` reads it when present.

>>> ts = TrainingSet.from_smiles(["CCO", "c1ccccc1"], sample_size=1, seed=0)
>>> "CCO" in ts, "CCN" in ts
(True, False)
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from molvae.errors import CheckpointError

__all__ = ["TrainingSet", "TRAINING_SET_FILE", "smiles_hash"]

TRAINING_SET_FILE = "training_set.npz"


def smiles_hash(smiles: Iterable[str]) -> np.ndarray:
    """64-bit BLAKE2b hashes of SMILES strings (canonical ones, for membership tests)."""
    return np.fromiter((int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(),
                                       "little") for s in smiles), dtype=np.uint64)


@dataclass(frozen=True)
class TrainingSet:
    """Hashes of all training molecules (sorted) and a sample of them (canonical SMILES)."""

    hashes: np.ndarray  # uint64, sorted, unique
    sample: tuple[str, ...]

    @classmethod
    def from_smiles(cls, smiles: Sequence[str], *, sample_size: int = 5000,
                    seed: int = 0) -> TrainingSet:
        """From the canonical SMILES of the training data (all splits)."""
        smiles = [s for s in smiles if isinstance(s, str) and s]
        rng = np.random.default_rng(seed)
        picked = rng.choice(len(smiles), min(sample_size, len(smiles)), replace=False) \
            if smiles else np.array([], dtype=int)
        return cls(hashes=np.unique(smiles_hash(smiles)),
                   sample=tuple(smiles[i] for i in np.sort(picked)))

    def __len__(self) -> int:
        return int(self.hashes.shape[0])

    def __contains__(self, smiles: object) -> bool:
        if not isinstance(smiles, str):
            return False
        return bool(self.contains([smiles])[0])

    def contains(self, smiles: Sequence[str]) -> np.ndarray:
        """Whether each (canonical) SMILES is one of the training molecules."""
        query = smiles_hash(smiles)
        where = np.searchsorted(self.hashes, query)
        where = np.minimum(where, max(len(self.hashes) - 1, 0))
        return (self.hashes[where] == query) if len(self.hashes) else np.zeros(len(query), bool)

    # ------------------------------------------------------------------ files

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, format_version=np.array(1), hashes=self.hashes,
                            sample=np.array(self.sample, dtype=str))
        return buffer.getvalue()

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> TrainingSet:
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                if int(data["format_version"]) != 1:
                    raise CheckpointError(f"{str(path)!r} was written by a newer molvae; upgrade")
                hashes = data["hashes"].astype(np.uint64)
                sample = tuple(str(s) for s in data["sample"])
        except (OSError, KeyError, ValueError) as exc:
            raise CheckpointError(f"cannot read {str(path)!r} ({exc}); delete it to use the model "
                                  "without its training-set summary") from exc
        if len(hashes) > 1 and not (np.diff(hashes.astype(np.uint64)) > 0).all():
            raise CheckpointError(f"{str(path)!r} is damaged (hashes not sorted)")
        return cls(hashes=hashes, sample=sample)

    @classmethod
    def find(cls, checkpoint: str | os.PathLike[str]) -> TrainingSet | None:
        """The training set stored in a checkpoint folder, or None."""
        path = Path(checkpoint)
        path = path / TRAINING_SET_FILE if path.is_dir() else path.with_suffix(".training_set.npz")
        return cls.read(path) if path.is_file() else None
