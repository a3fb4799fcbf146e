"""Predictors: the latent MLP ensemble (fit, held-out report, save/load beside the model)."""

from __future__ import annotations

import doctest
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from molvae.errors import CheckpointError, DatasetError
from molvae.predictor import (
    LatentPredictor,
    fit_latent_predictor,
    fit_predictor,
    load_predictor,
    predictor_path,
    train_predictor_from_file,
)


@pytest.fixture()
def model_copy(tiny_checkpoint: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny checkpoint (predictors are written into it)."""
    return Path(shutil.copytree(tiny_checkpoint, tmp_path / "model"))


def test_predictor_round_trips_through_save_and_load(tiny_vae, zinc_frame: pd.DataFrame,
                                                     model_copy: Path) -> None:
    smiles = zinc_frame["smiles"].tolist()[:300]
    predictor = fit_predictor(tiny_vae, smiles, zinc_frame["logp"][:300], n_models=3, seed=0,
                              target="logp", steps=100)
    path = predictor.save(predictor_path(model_copy, "logp"))
    assert path == model_copy / "predictors" / "logp.safetensors"
    assert json.loads(path.with_suffix(".json").read_text())["report"]["n_valid"] == 30
    loaded = load_predictor(model_copy, "logp", vae=tiny_vae)
    z = tiny_vae.encode(smiles[:50])
    for a, b in zip(predictor.predict(z), loaded.predict(z)):
        np.testing.assert_array_equal(a, b)
    assert loaded.report == predictor.report and loaded.target == "logp"
    assert loaded.n_models == 3 and loaded.latent_dim == tiny_vae.latent_dim
    oracle = loaded.as_oracle(tiny_vae)  # for labels no program computes
    assert oracle(smiles[:2]) == pytest.approx(loaded.predict(z[:2])[0].tolist(), rel=1e-5)
    assert not list(model_copy.glob("predictors/*.tmp"))  # atomic: no temporary files left


def test_predictor_reports_held_out_r2_and_spearman() -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal((1500, 8)).astype(np.float32)
    y = np.sin(z[:, 0]) + 0.5 * z[:, 1] ** 2 - z[:, 2]
    predictor = fit_latent_predictor(z, y, n_models=5, seed=0)
    report = predictor.report
    assert report.n_train == 1350 and report.n_valid == 150
    assert report.r2 > 0.8 and report.spearman > 0.9
    mean, std = predictor.predict(z[:10])
    assert mean.shape == std.shape == (10,) and (std > 0).all()


def test_nan_labels_are_dropped_and_counted() -> None:
    rng = np.random.default_rng(1)
    z = rng.standard_normal((100, 4)).astype(np.float32)
    y = z[:, 0].astype(float)
    y[:7] = np.nan
    assert fit_latent_predictor(z, y, steps=20).report.n_dropped == 7


def test_loading_a_predictor_fitted_for_another_model_fails(tiny_vae, model_copy: Path,
                                                            tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal((50, tiny_vae.latent_dim)).astype(np.float32)
    path = fit_latent_predictor(z, z[:, 0], steps=10, model_fingerprint="0123456789abcdef") \
        .save(tmp_path / "other.safetensors")
    with pytest.raises(CheckpointError, match="another model"):
        LatentPredictor.load(path, vae=tiny_vae)
    with pytest.raises(CheckpointError, match="no predictor"):
        load_predictor(model_copy, "pIC50")


def test_train_predictor_from_file_saves_beside_the_model(zinc_frame: pd.DataFrame,
                                                          model_copy: Path, tmp_path: Path) -> None:
    data = pd.DataFrame({"SMILES": zinc_frame["smiles"][:200],
                         "pIC50": 5 + zinc_frame["logp"][:200]})
    data.loc[3, "SMILES"] = "not a molecule"
    data.loc[4, "pIC50"] = None
    csv = tmp_path / "labels.csv"
    data.to_csv(csv, index=False)
    predictor, report = train_predictor_from_file(model_copy, csv, "pIC50", seed=0)
    assert report.n_dropped == 2 and report.n_train + report.n_valid == 198
    assert math.isfinite(report.r2) and math.isfinite(report.spearman)
    assert (model_copy / "predictors" / "pIC50.safetensors").is_file()
    assert load_predictor(model_copy, "pIC50").report == report
    with pytest.raises(DatasetError, match="no column 'pKi'.*SMILES, pIC50"):
        train_predictor_from_file(model_copy, csv, "pKi")


def test_docstring_examples_run() -> None:
    import molvae.predictor

    assert doctest.testmod(molvae.predictor, optionflags=doctest.ELLIPSIS).failed == 0
