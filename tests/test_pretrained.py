"""Exporting a run as a shipped model: float16 weights that load back as float32 and give the same
codes, the training-set summary and the training log travel with it, nothing of the optimizer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from molvae.checkpoint import TRAINER_FILE, WEIGHTS_FILE
from molvae.pretrained import export_pretrained
from molvae.training_set import TRAINING_SET_FILE
from molvae.vae import MolVAE


def test_export_halves_weights_and_keeps_behaviour(tiny_checkpoint: Path, tiny_vae,
                                                   zinc_smiles: list[str], tmp_path: Path) -> None:
    folder = export_pretrained(tiny_checkpoint, dest=tmp_path / "zinc")
    names = {p.name for p in folder.iterdir()}
    assert {WEIGHTS_FILE, TRAINING_SET_FILE, "metrics.csv"} <= names
    assert TRAINER_FILE not in names
    assert (folder / WEIGHTS_FILE).stat().st_size < 0.6 * (tiny_checkpoint / WEIGHTS_FILE).stat().st_size
    shipped = MolVAE.load(folder, device="cpu", precision="fp32")
    assert all(p.dtype == torch.float32 for p in shipped.model.parameters())
    smiles = zinc_smiles[:50]
    assert np.allclose(shipped.encode(smiles), tiny_vae.encode(smiles), atol=2e-2)
    assert shipped.metadata["exported_from"]["weights_dtype"] == "float16"
    assert shipped.metadata["run_config"] == tiny_vae.metadata["run_config"]
    assert smiles[0] in shipped.training_set
