"""The optimizer's named recipes: which preset each use gets (:func:`preset_for`, as ``molvae
optimize`` picks it), and :func:`molvae.optimizer.run` sending each preset to the one-shot search
or to the oracle loop."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

import molvae.optimizer.runner
from molvae.optimizer import Ascent, Constraints, Loop, Report, Search, Surrogate, presets, run
from molvae.optimizer.presets import LOOP_ASCENT, SIMILARITY_ASCENT, preset_for

MOLECULES = ["CCOc1ccccc1C(=O)N", "CC(C)Cc1ccc(C(C)C(=O)O)cc1"]


def test_a_loop_budget_picks_the_oracle_loop() -> None:
    preset = preset_for(loop_budget=500)
    assert preset.name == "oracle_loop"
    assert isinstance(preset.strategy, Loop) and preset.strategy == Loop(500)
    assert preset.strategy.initial == 1000  # random molecules of the model's dataset
    assert preset.ascent == LOOP_ASCENT and preset.ascent.temperature == 0.0
    # start molecules are the initial population; a budget wins over molecules and a bound
    with_starts = preset_for(molecules=MOLECULES, loop_budget=500)
    assert with_starts.name == "oracle_loop" and with_starts.strategy.initial == MOLECULES
    assert with_starts.ascent == LOOP_ASCENT
    bounded = preset_for(molecules=MOLECULES, min_similarity=0.4, loop_budget=500)
    assert bounded.name == "oracle_loop" and bounded.strategy == Loop(500, initial=MOLECULES)
    # under a similarity bound the loop's decodes are sampled, the rest of its climb unchanged
    assert bounded.ascent.temperature == 1.0
    assert bounded.ascent == replace(LOOP_ASCENT, temperature=1.0)
    assert bounded.ascent.sampling_temperature == 1.0


def test_a_similarity_bound_picks_the_local_search() -> None:
    preset = preset_for(molecules=MOLECULES, min_similarity=0.4)
    assert preset.name == "similar_to"
    assert isinstance(preset.strategy, Search) and preset.strategy.molecules == MOLECULES
    assert (preset.strategy.rounds, preset.strategy.edits_per_start) == (3, 50)
    assert preset.ascent == SIMILARITY_ASCENT
    assert (preset.ascent.lr, preset.ascent.temperature) == (0.005, 1.0)
    assert preset_for(min_similarity=0.4).name == "similar_to"  # the search then asks for starts


def test_molecules_pick_from_molecules_and_nothing_picks_from_prior() -> None:
    given = preset_for(molecules=MOLECULES)
    assert given.name == "from_molecules"
    assert given.strategy == Search(MOLECULES, edits_per_start=50)
    assert given.strategy.restarts == 40 and given.strategy.rounds == 1
    assert given.ascent == Ascent() and given.ascent.temperature == 0.0
    prior = preset_for()
    assert prior.name == "from_prior"
    assert prior.strategy == Search() and prior.strategy.molecules is None
    assert (prior.strategy.n_starts, prior.strategy.edits_per_start) == (512, 0)
    assert prior.ascent == Ascent()
    # the named recipes are what preset_for returns
    assert presets.from_prior() == prior and presets.from_molecules(MOLECULES) == given
    assert presets.similar_to(MOLECULES) == preset_for(molecules=MOLECULES, min_similarity=0.3)
    assert presets.oracle_loop(500) == preset_for(loop_budget=500)


def _record_entry_points(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the entry points run() calls, in order (they still run)."""
    calls: list[str] = []
    for name in ("optimize", "optimize_with_oracle"):
        real = getattr(molvae.optimizer.runner, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(molvae.optimizer.runner, name, spy)
    return calls


def test_run_sends_a_loop_preset_to_the_oracle_loop(tiny_vae, zinc_frame: pd.DataFrame,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _record_entry_points(monkeypatch)
    initial = zinc_frame["smiles"].tolist()[:30]
    preset = presets.oracle_loop(50, initial)
    preset = replace(preset, strategy=replace(preset.strategy, per_round=10, n_starts=4),
                     ascent=replace(preset.ascent, steps=4, decode_every=2))
    result = run(tiny_vae, "qed", preset, constraints=Constraints(guard=None),
                 surrogate=Surrogate(n_models=2), report=Report(novelty_reference=None), seed=0)
    assert calls == ["optimize_with_oracle"]
    assert result.budget == 50 and len(initial) < result.oracle_calls <= 50  # rounds ran
    frame = result.frame
    assert {"round", "source"} <= set(frame.columns)
    assert "initial" in set(frame["source"])
    assert set(frame.loc[frame["source"] == "initial", "round"]) == {0}
    assert set(frame.loc[frame["source"] == "initial", "smiles"]) <= set(initial)
    assert (frame.loc[frame["source"] != "initial", "round"] >= 1).all()


def test_run_sends_a_search_preset_to_the_one_shot_search_with_its_ascent(
        tiny_vae, zinc_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _record_entry_points(monkeypatch)
    preset = replace(presets.from_prior(16), ascent=Ascent(steps=6, decode_every=3))
    result = run(tiny_vae, "qed", preset, constraints=Constraints(guard=None),
                 surrogate=Surrogate(n_models=2, n_train=40,
                                     dataset=zinc_frame["smiles"].tolist()),
                 report=Report(novelty_reference=None), seed=0)
    assert calls == ["optimize"]
    assert result.budget is None
    assert result.timings["decoded"] == 16 * 3  # the preset's ascent: steps 0, 3, 6 of 16 starts
    assert "initial" not in set(result.frame["source"])
