"""Objectives: the safe expression parser and the score transforms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from molvae.chemistry import compute_properties
from molvae.errors import MolvaeError, UnknownPropertyError
from molvae.objectives import Term, make_objective, parse_objective

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
