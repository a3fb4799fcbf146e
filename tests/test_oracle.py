"""The oracle: each unique molecule scored once, within the budget, failures recorded."""

from __future__ import annotations

import math

import pandas as pd

from molvae.objectives import make_objective
from molvae.oracle import Oracle


def test_oracle_scores_each_unique_canonical_smiles_once() -> None:
    seen: list[str] = []

    def count(smiles: list[str]) -> list[float]:
        seen.extend(smiles)
        return [float(len(s)) for s in smiles]

    oracle = Oracle(make_objective(count))
    scores = oracle.score(["OCC", "CCO", "C(O)C", "c1ccccc1", "not a molecule"])
    assert scores[:4].tolist() == [3.0, 3.0, 3.0, 8.0] and math.isnan(scores[4])
    oracle.score(["CCO", "c1ccccc1"])
    assert sorted(seen) == ["CCO", "c1ccccc1"] and oracle.calls == 2


def test_oracle_never_exceeds_its_budget() -> None:
    calls: list[str] = []
    oracle = Oracle(make_objective(lambda s: (calls.extend(s), [1.0] * len(s))[1]), budget=3)
    oracle.score(["C", "CC", "CCC", "CCCC", "CCCCC"])
    oracle.score(["CCCCCC"])
    assert len(calls) == 3 and oracle.calls == 3 and oracle.remaining == 0


def test_oracle_nan_or_exception_is_recorded_not_fatal() -> None:
    def flaky(smiles: list[str]) -> list[float]:
        if any("N" in s for s in smiles):
            raise RuntimeError("docking failed")
        return [math.nan if "O" in s else 1.0 for s in smiles]

    oracle = Oracle(make_objective(flaky))
    scores = oracle.score(["CCN", "CCO", "CCC"])
    assert math.isnan(scores[0]) and math.isnan(scores[1]) and scores[2] == 1.0
    table = oracle.table().set_index("smiles")
    assert "RuntimeError: docking failed" in table.loc["CCN", "error"]
    assert "nan" in table.loc["CCO", "error"]
    assert pd.isna(table.loc["CCC", "error"])
    assert oracle.calls == 3  # failures are calls too


def test_oracle_history_is_best_so_far() -> None:
    oracle = Oracle(make_objective("heavy_atoms"))
    oracle.score(["CCCC", "C", "CCCCCC", "CC"])
    history = oracle.history()
    assert history["best"].is_monotonic_increasing
    assert history.iloc[-1].tolist() == [4, 6.0]
