"""Objectives: the safe expression parser, the score transforms and the counted, cached oracle."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from molvae.chemistry import compute_properties
from molvae.errors import MolvaeError, UnknownPropertyError
from molvae.objectives import Oracle, Term, make_objective, parse_objective

MOLECULES = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CCN(CC)CCNC(=O)c1ccc(N)cc1"]


@pytest.mark.parametrize("text", [
    "__import__('os').system('echo hi')",
    "qed; import os",
    "open('/etc/passwd')",
    "qed**2",
    "qed if True else sa",
    "lambda: qed",
    "[qed, sa]",
    "qed.__class__",
    "qed + 0.3 plogp",
    "qed sa",
    "2 * ",
    "qed @ sa",
    "exec('1')",
])
def test_objective_parser_rejects_eval_like_input(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    def forbidden(*args, **kwargs):  # the parser must never reach Python evaluation
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    with pytest.raises(MolvaeError) as info:
        parse_objective(text)
    message = str(info.value)
    assert "\n" not in message
    assert "bad term" in message or "unknown property" in message
    assert "plogp" in message  # the valid properties are listed


def test_weighted_objective_matches_manual_sum() -> None:
    objective = make_objective("qed + 0.3*plogp - 0.5 * sa")
    table = compute_properties(MOLECULES, ["qed", "plogp", "sa"])
    manual = table["qed"] + 0.3 * table["plogp"] - 0.5 * table["sa"]
    assert np.allclose(objective(MOLECULES), manual.to_numpy())
    assert objective.properties == ("qed", "plogp", "sa")


def test_parser_reads_signs_weights_and_exponents() -> None:
    assert parse_objective("-sa").terms == (Term(-1.0, "sa"),)
    assert parse_objective(" + 2.5e-1 * logp - .5*qed").terms == (Term(0.25, "logp"), Term(-0.5, "qed"))


def test_unknown_property_names_the_bad_term_and_lists_valid_names() -> None:
    with pytest.raises(UnknownPropertyError, match=r"bad term '- 0.5\*SA'.*did you mean 'sa'.*plogp"):
        parse_objective("qed - 0.5*SA")


def test_minimize_and_target_turn_values_into_scores_to_maximize() -> None:
    values = compute_properties(MOLECULES, ["logp"])["logp"].to_numpy()
    assert np.allclose(make_objective("logp", minimize=True)(MOLECULES), -values)
    assert np.allclose(make_objective("logp", target=1.0)(MOLECULES), -np.abs(values - 1.0))
    with pytest.raises(MolvaeError, match="not both"):
        make_objective("logp", minimize=True, target=1.0)


def test_invalid_molecules_score_nan() -> None:
    assert math.isnan(make_objective("qed")(["C1CC"])[0])


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
