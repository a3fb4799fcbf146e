"""molvae.vae: MolVAE, the notebook API (sample, encode, decode, reconstruct)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from molvae.errors import InvalidMoleculeError, TokenizationError, UnknownPropertyError


def test_sample_is_reproducible_with_a_seed(tiny_vae) -> None:
    a = tiny_vae.sample(50, seed=1)
    b = tiny_vae.sample(50, seed=1)
    c = tiny_vae.sample(50, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a["raw"].equals(c["raw"])


def test_sample_returns_canonical_smiles_validity_and_raw(tiny_vae) -> None:
    frame = tiny_vae.sample(30, seed=0)
    assert list(frame.columns) == ["smiles", "valid", "raw"]
    assert len(frame) == 30
    assert (frame["valid"] == frame["smiles"].notna()).all()
    plain = tiny_vae.sample(4, seed=0, return_frame=False)
    assert isinstance(plain, list) and len(plain) == 4


def test_sample_can_add_properties(tiny_vae) -> None:
    frame = tiny_vae.sample(10, seed=0, properties=["qed"])
    assert "qed" in frame and frame.loc[~frame["valid"], "qed"].isna().all()


def test_encode_gives_one_row_per_molecule_and_accepts_mols(tiny_vae) -> None:
    from rdkit import Chem

    z = tiny_vae.encode(["CCO", "c1ccccc1O"])
    assert z.shape == (2, tiny_vae.latent_dim) and z.dtype == np.float32
    np.testing.assert_allclose(tiny_vae.encode([Chem.MolFromSmiles("OCC")])[0], z[0], atol=1e-6)
    assert tiny_vae.encode("CCO").shape == (1, tiny_vae.latent_dim)


def test_encode_is_deterministic_unless_sampling(tiny_vae) -> None:
    mu = tiny_vae.encode(["CCO"] * 2)
    np.testing.assert_array_equal(mu[0], mu[1])
    drawn = tiny_vae.encode(["CCO"], sample=True, seed=0)
    np.testing.assert_array_equal(drawn, tiny_vae.encode(["CCO"], sample=True, seed=0))
    assert not np.array_equal(drawn, mu[:1])


def test_encoding_an_invalid_smiles_raises_with_it_quoted(tiny_vae) -> None:
    with pytest.raises(InvalidMoleculeError, match="'C1CC'"):
        tiny_vae.encode(["CCO", "C1CC"])


def test_encoding_an_unknown_token_raises_with_the_molecule_quoted(tiny_vae) -> None:
    with pytest.raises(TokenizationError, match=r"\[Pt\]"):
        tiny_vae.encode(["[Pt]"])


def test_encode_nan_mode_puts_nan_rows_for_bad_molecules(tiny_vae) -> None:
    z = tiny_vae.encode(["C1CC", "CCO", "[Pt]"], on_invalid="nan")
    assert np.isnan(z[0]).all() and np.isfinite(z[1]).all() and np.isnan(z[2]).all()


def test_decode_returns_canonical_smiles_or_none(tiny_vae) -> None:
    out = tiny_vae.decode(np.zeros((3, tiny_vae.latent_dim)))
    assert len(out) == 3 and all(s is None or isinstance(s, str) for s in out)
    assert out[0] == out[1] == out[2]  # greedy decoding is deterministic


def test_reconstruct_reports_exact_matches(tiny_vae) -> None:
    frame = tiny_vae.reconstruct(["CCO", "C1CC"])
    assert list(frame.columns) == ["input", "output", "exact"]
    assert frame.loc[1, "output"] is None and not frame.loc[1, "exact"]


def test_predict_properties_are_in_the_property_units(tiny_vae) -> None:
    frame = tiny_vae.predict_properties(np.zeros((2, tiny_vae.latent_dim)))
    assert list(frame.columns) == ["logp", "qed", "sa"]
    assert frame["sa"].between(0, 10).all()


def test_unconditional_model_rejects_conditions(tiny_vae) -> None:
    with pytest.raises(UnknownPropertyError, match="not conditional"):
        tiny_vae.sample(3, conditions={"logp": 2.0})


def test_latent_of_the_wrong_size_raises(tiny_vae) -> None:
    with pytest.raises(ValueError, match="z must have shape"):
        tiny_vae.decode(np.zeros((2, tiny_vae.latent_dim + 1)))


def test_temperature_zero_decodes_greedily_and_negative_is_refused(tiny_vae) -> None:
    from molvae.errors import ConfigError

    zero = tiny_vae.sample(20, seed=4, temperature=0.0)
    greedy = tiny_vae.sample(20, seed=4, greedy=True)
    assert zero["raw"].equals(greedy["raw"])
    with pytest.raises(ConfigError, match="temperature"):
        tiny_vae.sample(2, temperature=-1.0)


@pytest.mark.parametrize("greedy", [True, False])
def test_decoding_non_finite_z_names_the_rows(tiny_vae, greedy: bool) -> None:
    z = np.zeros((3, tiny_vae.latent_dim), dtype=np.float32)
    z[1] = np.nan  # what encode(..., on_invalid="nan") gives for a molecule it cannot encode
    with pytest.raises(ValueError, match=r"1 row\(s\) \(first: \[1\]\).*drop those rows"):
        tiny_vae.decode(z, greedy=greedy, seed=0)
