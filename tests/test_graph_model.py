"""The graph model: a GIN learned from labelled molecules, saved, loaded, used as an oracle."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from molvae.chemistry import compute_properties
from molvae.graph_model import GraphModel, fit_graph_model, train_graph_model_from_file


def test_graph_model_learns_a_simple_property(zinc_smiles: list[str], tmp_path: Path) -> None:
    smiles = zinc_smiles[:360]
    atoms = compute_properties(smiles, ["heavy_atoms"])["heavy_atoms"].to_numpy()
    model = fit_graph_model(smiles, atoms, target="heavy_atoms", epochs=30, seed=0)
    assert model.report.r2 > 0.8 and model.report.n_valid == 36
    scores = model(["CCO", "not a molecule", smiles[0]])
    assert math.isnan(scores[1]) and abs(scores[2] - atoms[0]) < 3
    loaded = GraphModel.load(model.save(tmp_path / "gin.safetensors"))
    np.testing.assert_allclose(loaded(smiles[:20]), model(smiles[:20]), rtol=1e-6)


def test_graph_model_from_file_is_an_oracle_for_optimize(zinc_frame: pd.DataFrame,
                                                        tmp_path: Path) -> None:
    from molvae.objectives import make_objective
    from molvae.oracle import Oracle

    csv = tmp_path / "labels.csv"
    pd.DataFrame({"smiles": zinc_frame["smiles"][:120], "y": zinc_frame["logp"][:120]}).to_csv(
        csv, index=False)
    model, report = train_graph_model_from_file(csv, "y", tmp_path / "gin", epochs=3)
    assert (tmp_path / "gin.safetensors").is_file() and report.n_train + report.n_valid == 120
    oracle = Oracle(make_objective(GraphModel.load(tmp_path / "gin.safetensors")))
    scores = oracle.score(["CCO", "not a molecule"])
    assert math.isfinite(scores[0]) and math.isnan(scores[1])
