"""The training-set summary: membership is exact for the molecules it was built from, the sample
is a seeded subset, it survives a file round trip and travels with saved models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from molvae.errors import CheckpointError
from molvae.training_set import TRAINING_SET_FILE, TrainingSet, smiles_hash


def test_membership_is_exact(zinc_smiles: list[str]) -> None:
    known, unknown = zinc_smiles[:300], zinc_smiles[300:400]
    summary = TrainingSet.from_smiles(known, sample_size=50, seed=1)
    assert summary.contains(known).all()
    assert not summary.contains(unknown).any()
    assert known[0] in summary and "not a molecule" not in summary and None not in summary
    assert len(summary) == len(set(known))


def test_sample_is_a_seeded_subset(zinc_smiles: list[str]) -> None:
    a = TrainingSet.from_smiles(zinc_smiles, sample_size=20, seed=3)
    b = TrainingSet.from_smiles(zinc_smiles, sample_size=20, seed=3)
    c = TrainingSet.from_smiles(zinc_smiles, sample_size=20, seed=4)
    assert a.sample == b.sample != c.sample
    assert len(set(a.sample)) == 20 and set(a.sample) <= set(zinc_smiles)
    assert len(TrainingSet.from_smiles(zinc_smiles[:5], sample_size=20).sample) == 5


def test_file_round_trip_and_damage(zinc_smiles: list[str], tmp_path: Path) -> None:
    summary = TrainingSet.from_smiles(zinc_smiles, sample_size=10)
    path = tmp_path / TRAINING_SET_FILE
    path.write_bytes(summary.to_bytes())
    again = TrainingSet.find(tmp_path)
    assert np.array_equal(again.hashes, summary.hashes) and again.sample == summary.sample
    path.write_bytes(b"not an npz")
    with pytest.raises(CheckpointError, match="training_set.npz"):
        TrainingSet.find(tmp_path)
    assert TrainingSet.find(tmp_path / "elsewhere") is None


def test_hashes_are_stable() -> None:
    # a changed hash would silently break novelty for every saved checkpoint
    assert smiles_hash(["CCO"])[0] == np.uint64(int.from_bytes(
        __import__("hashlib").blake2b(b"CCO", digest_size=8).digest(), "little"))


def test_training_writes_it_and_models_carry_it(tiny_vae, tiny_checkpoint: Path,
                                                zinc_frame, tmp_path: Path) -> None:
    assert (tiny_checkpoint / TRAINING_SET_FILE).is_file()
    summary = tiny_vae.training_set
    assert summary is not None and zinc_frame["smiles"].iloc[0] in summary
    folder = tiny_vae.save(tmp_path / "copy")
    assert (folder / TRAINING_SET_FILE).is_file()
    tiny_vae.save(tmp_path / "single.safetensors")
    from molvae.vae import MolVAE

    loaded = MolVAE.load(tmp_path / "single.safetensors", device="cpu")
    assert np.array_equal(loaded.training_set.hashes, summary.hashes)
