"""Per-molecule scores: the reconstruction term is the training loss's, parts add up, rows stay in
input order with unscorable ones reported, batching and seeds do not change results."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from molvae.model import vae_loss
from molvae.likelihood import SCORE_COLUMNS, score_molecules


def test_reconstruction_term_equals_the_training_loss(tiny_vae, zinc_smiles: list[str]) -> None:
    smiles = zinc_smiles[:40]
    table = score_molecules(tiny_vae, smiles)
    encoded = tiny_vae.tokenizer.encode_batch(table["smiles"].tolist(),
                                              max_length=tiny_vae.config.max_length)
    with torch.no_grad():
        out = tiny_vae.model(encoded.ids.long(), encoded.lengths, sample=False)
        parts = vae_loss(out, encoded.ids.long(), beta=1.0)
    assert table["reconstruction_nll"].mean() == pytest.approx(float(parts.reconstruction), rel=1e-5)
    assert table["kl"].mean() == pytest.approx(float(parts.kl), rel=1e-5)


def test_parts_add_up_and_are_in_range(tiny_vae, zinc_smiles: list[str]) -> None:
    table = tiny_vae.score(zinc_smiles[:30])
    assert list(table.columns) == ["input", "smiles", *SCORE_COLUMNS, "tokens", "error"]
    assert np.allclose(table["neg_elbo"], table["reconstruction_nll"] + table["kl"])
    assert ((table["reconstruction_prob"] > 0) & (table["reconstruction_prob"] <= 1)).all()
    assert (table["kl"] >= 0).all()
    assert np.allclose(table["nll_per_token"] * table["tokens"].astype(float),
                       table["reconstruction_nll"])


def test_unscorable_rows_stay_in_place_with_the_reason(tiny_vae, zinc_smiles: list[str]) -> None:
    inputs = [zinc_smiles[0], "C1CC", "[Xe]", zinc_smiles[1]]
    table = tiny_vae.score(inputs)
    assert table["input"].tolist() == inputs
    assert table["error"].isna().tolist() == [True, False, False, True]
    assert "C1CC" in table["error"][1] or "ring" in table["error"][1].lower()
    assert "Xe" in table["error"][2]
    assert table.loc[[1, 2], "neg_elbo"].isna().all()
    assert table.loc[[0, 3], "neg_elbo"].notna().all()


def test_batching_and_mols_do_not_change_scores(tiny_vae, zinc_smiles: list[str]) -> None:
    from rdkit import Chem

    smiles = zinc_smiles[:25]
    whole = score_molecules(tiny_vae, smiles, batch_size=500)
    pieces = score_molecules(tiny_vae, [Chem.MolFromSmiles(s) for s in smiles], batch_size=7)
    assert np.allclose(whole["neg_elbo"], pieces["neg_elbo"], rtol=1e-5)


def test_sampled_scores_are_seeded_and_average_draws(tiny_vae, zinc_smiles: list[str]) -> None:
    smiles = zinc_smiles[:10]
    a = tiny_vae.score(smiles, samples=4, seed=3)
    b = tiny_vae.score(smiles, samples=4, seed=3)
    assert a["neg_elbo"].tolist() == b["neg_elbo"].tolist()
    assert not np.allclose(a["reconstruction_nll"], tiny_vae.score(smiles)["reconstruction_nll"])
    with pytest.raises(ValueError, match="samples"):
        tiny_vae.score(smiles, samples=-1)
