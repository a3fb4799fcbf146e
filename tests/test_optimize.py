"""The latent optimizer: constraints hold for every reported molecule, the budget is never exceeded,
oracle failures are recorded, results are truly scored, ranked and unique.

Most tests run on :class:`lookup_vae.LookupVAE` (a stand-in whose decodes are real molecules);
one runs the whole pipeline on the tiny trained model.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from rdkit import Chem

from molvae.chemistry import canonicalize, compute_properties, tanimoto
from molvae.errors import MolvaeError
from molvae.objectives import make_objective
from molvae.optimizer import (
    Ascent,
    Constraints,
    Loop,
    Report,
    Search,
    Surrogate,
    edit_explore_for,
    edit_pool_for,
    optimize,
    optimize_with_oracle,
    save_grid,
)
from molvae.optimizer.inputs import default_dataset
from molvae.optimizer.presets import LOOP_ASCENT

from lookup_vae import LookupVAE

#: no medicinal-chemistry guard (the library's molecules have alerts; most rules are about others)
NO_GUARD = Constraints(guard=None)
#: no novelty column
NO_NOVELTY = Report(novelty_reference=None)


def loop_ascent(**changes) -> Ascent:
    """The oracle loop's ascent (50 steps, decoded every 5, exploration 0.5) with ``changes``."""
    return replace(LOOP_ASCENT, **changes)


def _counting(objective: str = "logp"):
    """A true objective that records every molecule it is asked about."""
    base = make_objective(objective)
    asked: list[str] = []

    def oracle(smiles: list[str]) -> list[float]:
        asked.extend(smiles)
        return base(smiles)

    return oracle, asked


def test_budget_is_never_exceeded(lookup_vae: LookupVAE, library: list[str]) -> None:
    for budget in (60, 150):
        oracle, asked = _counting()
        result = optimize_with_oracle(lookup_vae, oracle,
                                      Loop(budget, initial=library[:40], per_round=30,
                                           n_starts=16, rounds=3),  # few: the library is small
                                      ascent=loop_ascent(steps=20), constraints=NO_GUARD, seed=0,
                                      report=NO_NOVELTY)
        assert len(asked) <= budget and len(set(asked)) == len(asked)  # each molecule once
        assert result.oracle_calls == len(asked)
        assert result.history["oracle_calls"].max() <= budget
        assert len(asked) >= min(budget, 40)  # the initial population counts
    oracle, asked = _counting()
    result = optimize(lookup_vae, oracle, Search(library[:10], restarts=3, budget=50),
                      ascent=Ascent(steps=20), constraints=NO_GUARD,
                      surrogate=Surrogate(n_train=100, dataset=library), report=NO_NOVELTY)
    assert len(asked) <= 50 and result.oracle_calls == len(asked)


def test_oracle_nan_or_exception_is_recorded_not_fatal(lookup_vae: LookupVAE,
                                                       library: list[str]) -> None:
    logp = make_objective("logp")

    def flaky(smiles: list[str]) -> list[float]:
        if any("Cl" in s for s in smiles):
            raise RuntimeError("the docking program crashed")
        return [math.nan if "F" in s else v for s, v in zip(smiles, logp(smiles))]

    result = optimize_with_oracle(lookup_vae, flaky,
                                  Loop(120, initial=library[:60], per_round=30, n_starts=16),
                                  ascent=loop_ascent(steps=20), seed=1,
                                  constraints=Constraints(max_heavy_atoms=None, guard=None),
                                  report=NO_NOVELTY)
    frame = result.frame
    crashed = frame[frame["smiles"].str.contains("Cl")]
    nan = frame[frame["smiles"].str.contains("F") & ~frame["smiles"].str.contains("Cl")]
    assert len(crashed) and len(nan)
    assert crashed["score"].isna().all() and crashed["error"].str.contains("crashed").all()
    assert nan["score"].isna().all() and nan["error"].str.contains("nan").all()
    assert frame["score"].notna().sum() > 0
    assert frame["score"].isna().to_numpy()[-len(crashed) - len(nan):].all()  # failures rank last


def test_min_similarity_holds_for_every_reported_molecule(lookup_vae: LookupVAE,
                                                          library: list[str]) -> None:
    starts = library[:12]
    bound = Constraints(min_similarity=0.4, guard=None)
    result = optimize(lookup_vae, "logp", Search(starts, restarts=4, start_noise=0.5),
                      ascent=Ascent(steps=40, lr=0.1), constraints=bound,
                      surrogate=Surrogate(n_train=200, dataset=library), seed=0,
                      report=NO_NOVELTY)
    frame = result.frame
    assert len(frame) >= len(starts) - 1  # each start's reconstruction (one decodes invalid)
    for row in frame.itertuples():
        assert row.similarity >= 0.4
        assert tanimoto(row.smiles, row.start) == pytest.approx(row.similarity)
        assert row.start in starts
    best = result.best_per_start()
    assert (best["similarity"] >= 0.4).all() and best["start_index"].is_unique
    with pytest.raises(MolvaeError, match="needs start molecules"):
        optimize(lookup_vae, "logp", constraints=bound, surrogate=Surrogate(dataset=library))
    looped = optimize_with_oracle(lookup_vae, "logp",
                                  Loop(120, initial=starts, per_round=40, n_starts=12,
                                       start_noise=0.5),
                                  ascent=loop_ascent(steps=30, lr=0.1), constraints=bound,
                                  seed=0, report=NO_NOVELTY)
    proposed = looped.candidates[looped.candidates["round"] > 0]
    assert len(proposed)
    for row in [*looped.frame.itertuples(), *proposed.itertuples()]:
        # to the initial molecule each lineage began from
        assert row.start in starts and tanimoto(row.smiles, row.start) >= 0.4


def test_sampled_decoding_proposes_more_molecules_and_is_seeded(lookup_vae: LookupVAE,
                                                                library: list[str]) -> None:
    kwargs = dict(constraints=NO_GUARD, surrogate=Surrogate(n_train=100, dataset=library),
                  report=NO_NOVELTY)
    search = Search(library[:6], restarts=8, start_noise=0.0)
    greedy = optimize(lookup_vae, "logp", search, ascent=Ascent(steps=10, lr=0.02), seed=0,
                      **kwargs)
    sampled = optimize(lookup_vae, "logp", search,
                       ascent=Ascent(steps=10, lr=0.02, temperature=1.0), seed=0, **kwargs)
    again = optimize(lookup_vae, "logp", search,
                     ascent=Ascent(steps=10, lr=0.02, temperature=1.0), seed=0, **kwargs)
    # without jitter the 8 restarts of a start climb the same path: greedy decoding gives them
    # the same molecules, sampling different ones
    assert sampled.candidates["smiles"].nunique() > 2 * greedy.candidates["smiles"].nunique()
    pd.testing.assert_frame_equal(sampled.frame, again.frame)
    assert set(sampled.frame["start"]) <= set(library[:6])  # starts stay the given molecules
    oracle, asked = _counting()
    looped = optimize_with_oracle(lookup_vae, oracle,
                                  Loop(80, initial=library[:30], per_round=20, n_starts=8),
                                  ascent=loop_ascent(steps=10, temperature=1.0),
                                  constraints=NO_GUARD, seed=0, report=NO_NOVELTY)
    assert looped.oracle_calls == len(asked) <= 80 and len(set(asked)) == len(asked)


def test_later_rounds_keep_the_bound_and_never_lose_a_starts_best(lookup_vae: LookupVAE,
                                                                  library: list[str]) -> None:
    starts = library[:10]
    search = Search(starts, restarts=8, start_noise=0.6)
    kwargs = dict(ascent=Ascent(steps=20, lr=0.05, temperature=1.0),
                  constraints=Constraints(min_similarity=0.2, guard=None),
                  surrogate=Surrogate(n_train=150, dataset=library), seed=3, report=NO_NOVELTY)
    one = optimize(lookup_vae, "logp", replace(search, rounds=1), **kwargs)
    three = optimize(lookup_vae, "logp", replace(search, rounds=3, centers=3), **kwargs)
    assert set(three.candidates["round"]) == {1, 2, 3}
    for row in three.candidates.itertuples():  # similarity always to the original start
        assert row.start == starts[row.start_index]
        assert tanimoto(row.smiles, row.start) >= 0.2
    best_one = one.best_per_start().set_index("start_index")["score"]
    best_three = three.best_per_start().set_index("start_index")["score"]
    assert (best_three.reindex(best_one.index) >= best_one).all()  # round 1 is the same run
    assert (best_three.reindex(best_one.index) > best_one).any()  # and later rounds add to it
    for make, message in ((lambda: Search(starts, rounds=0), "rounds"),
                          (lambda: Ascent(temperature=-1.0), "temperature")):
        with pytest.raises(MolvaeError, match=message) as info:
            make()
        assert "\n" not in str(info.value)
    # 0 is greedy decoding (what None was), not an error
    assert Ascent(temperature=0.0).sampling_temperature is None
    assert Ascent(temperature=0.5).sampling_temperature == 0.5


def _radical(smiles: str) -> str:
    """The molecule with one hydrogen of its first CH carbon removed (a carbon radical)."""
    mol = Chem.RWMol(Chem.MolFromSmiles(smiles))
    atom = next(a for a in mol.GetAtoms() if a.GetSymbol() == "C" and a.GetTotalNumHs() > 0)
    atom.SetNumExplicitHs(atom.GetTotalNumHs() - 1)
    atom.SetNoImplicit(True)
    atom.SetNumRadicalElectrons(1)
    Chem.SanitizeMol(mol)
    return Chem.MolToSmiles(mol)


def test_radicals_are_rejected_unless_allowed(library: list[str]) -> None:
    radicals = [_radical(s) for s in library[:100]]
    vae = LookupVAE(library[100:200] + radicals)

    def has_radical(smiles: str) -> bool:
        return any(a.GetNumRadicalElectrons() for a in Chem.MolFromSmiles(smiles).GetAtoms())

    kwargs = dict(ascent=Ascent(steps=20), surrogate=Surrogate(n_train=100,
                                                               dataset=library[100:300]),
                  seed=0, report=NO_NOVELTY)
    strict = optimize(vae, "logp", Search(n_starts=64), constraints=NO_GUARD, **kwargs)
    assert len(strict.frame) and not any(map(has_radical, strict.frame["smiles"]))
    loose = optimize(vae, "logp", Search(n_starts=64),
                     constraints=Constraints(guard=None, allow_radicals=True), **kwargs)
    assert any(map(has_radical, loose.frame["smiles"]))  # they were there to be rejected


def test_max_heavy_atoms_is_enforced(lookup_vae: LookupVAE, library: list[str]) -> None:
    result = optimize(lookup_vae, "heavy_atoms", Search(n_starts=64),
                      ascent=Ascent(steps=30, lr=0.2),
                      constraints=Constraints(max_heavy_atoms=22, guard=None),
                      surrogate=Surrogate(n_train=150, dataset=library), seed=0,
                      report=NO_NOVELTY)
    assert len(result.frame)
    atoms = [Chem.MolFromSmiles(s).GetNumHeavyAtoms() for s in result.frame["smiles"]]
    assert max(atoms) <= 22
    assert (result.frame["heavy_atoms"] <= 22).all()
    assert max(compute_properties(library, ["heavy_atoms"])["heavy_atoms"]) > 22  # it had to cut


def test_substructure_is_kept(lookup_vae: LookupVAE, library: list[str]) -> None:
    pattern = Chem.MolFromSmarts("c1ccccc1")
    result = optimize(lookup_vae, "qed", Search(n_starts=64), ascent=Ascent(steps=20),
                      constraints=Constraints(substructure="c1ccccc1", guard=None),
                      surrogate=Surrogate(n_train=150, dataset=library), seed=0,
                      report=NO_NOVELTY)
    assert len(result.frame)
    assert all(Chem.MolFromSmiles(s).HasSubstructMatch(pattern) for s in result.frame["smiles"])
    with pytest.raises(MolvaeError, match=r"invalid SMARTS substructure 'c1cc\(\('") as info:
        Constraints(substructure="c1cc((", guard=None)
    assert "\n" not in str(info.value)


def test_results_are_ranked_by_true_score_and_deduplicated(lookup_vae: LookupVAE,
                                                          library: list[str]) -> None:
    result = optimize(lookup_vae, "qed + 0.3*logp - 0.5*sa", Search(n_starts=128),
                      ascent=Ascent(steps=30), constraints=NO_GUARD,
                      surrogate=Surrogate(n_train=150, dataset=library), seed=0,
                      report=Report(novelty_reference=library))
    frame = result.frame
    assert len(frame) > 10
    assert frame["smiles"].is_unique
    assert frame["smiles"].tolist() == [canonicalize(s) for s in frame["smiles"]]
    truth = make_objective("qed + 0.3*logp - 0.5*sa")(frame["smiles"].tolist())
    assert np.allclose(frame["score"], truth)
    assert frame["score"].is_monotonic_decreasing
    assert not frame["novel"].any()  # every decode is a library molecule
    assert set(frame.columns) >= {"smiles", "score", "predicted", "start", "similarity", "step",
                                  "novel", "qed", "sa", "heavy_atoms"}
    assert result.history["best"].is_monotonic_increasing
    assert result.history["best"].iloc[-1] == pytest.approx(frame["score"].iloc[0])


def test_minimize_and_target_rank_by_the_transformed_score(lookup_vae: LookupVAE,
                                                          library: list[str]) -> None:
    kwargs = dict(ascent=Ascent(steps=20), constraints=NO_GUARD,
                  surrogate=Surrogate(n_train=150, dataset=library), report=NO_NOVELTY)
    low = optimize(lookup_vae, "logp", Search(n_starts=64), minimize=True, **kwargs).frame
    assert np.allclose(low["score"], -low["value"]) and low["value"].is_monotonic_increasing
    near = optimize(lookup_vae, "logp", Search(n_starts=64), target=2.0, **kwargs).frame
    assert np.allclose(near["score"], -np.abs(near["value"] - 2.0))


def test_oracle_loop_improves_on_its_initial_population(lookup_vae: LookupVAE,
                                                       library: list[str]) -> None:
    logp = make_objective("logp")(library)
    initial = [library[i] for i in np.argsort(logp)[:50]]  # the 50 lowest
    result = optimize_with_oracle(lookup_vae, "logp",
                                  Loop(200, initial=initial, n_starts=32, rounds=3),
                                  ascent=loop_ascent(steps=30), seed=0,
                                  constraints=Constraints(max_heavy_atoms=None, guard=None),
                                  report=NO_NOVELTY)
    initial_best = max(make_objective("logp")(initial))
    assert result.frame["score"].iloc[0] > initial_best
    assert set(result.frame["round"]) >= {0, 1}


def test_graph_edits_share_the_budget_and_keep_every_constraint(tiny_vae,
                                                               zinc_frame: pd.DataFrame) -> None:
    # the tiny model encodes any molecule its vocabulary covers, so edits get predictions
    initial = zinc_frame["smiles"].tolist()[:60]
    oracle, asked = _counting("qed")
    result = optimize_with_oracle(tiny_vae, oracle,
                                  Loop(150, initial=initial, per_round=30, n_starts=8,
                                       edit_share=1.0, edit_pool=5),
                                  ascent=loop_ascent(steps=5), seed=0,
                                  constraints=Constraints(min_similarity=0.3, max_heavy_atoms=30,
                                                          substructure="[#6]~[#7,#8]",
                                                          guard=None),
                                  report=NO_NOVELTY)
    assert len(asked) <= 150 and len(set(asked)) == len(asked)
    frame = result.frame
    assert set(frame["source"]) <= {"initial", "latent", "graph"}
    edits = frame[frame["source"] == "graph"]
    assert len(edits) >= 30  # every round's calls went to edits
    assert not set(edits["smiles"]) & set(initial)
    pattern = Chem.MolFromSmarts("[#6]~[#7,#8]")
    for row in edits.itertuples():
        assert row.start in initial and tanimoto(row.smiles, row.start) >= 0.3
        mol = Chem.MolFromSmiles(row.smiles)
        assert mol.GetNumHeavyAtoms() <= 30 and mol.HasSubstructMatch(pattern)
        assert math.isfinite(row.predicted)
    # making the children is timed with the rest of the loop's work
    assert result.timings["edits"] > 0
    latent_only = optimize_with_oracle(tiny_vae, "qed",
                                       Loop(100, initial=initial, per_round=20, n_starts=8,
                                            edit_share=0.0),
                                       ascent=loop_ascent(steps=5), constraints=NO_GUARD, seed=0,
                                       report=NO_NOVELTY)
    assert "graph" not in set(latent_only.frame["source"])
    for bad in (1.5, -0.1):
        with pytest.raises(MolvaeError, match="edit_share") as info:
            Loop(100, initial=initial, edit_share=bad)
        assert "\n" not in str(info.value)
    with pytest.raises(MolvaeError, match="edit_pool"):
        Loop(100, initial=initial, edit_pool=0)


def test_edit_explore_scores_children_the_predictor_would_not_have_chosen(
        tiny_vae, zinc_frame: pd.DataFrame) -> None:
    initial = zinc_frame["smiles"].tolist()[:60]

    def round_one(explore: float | None) -> pd.DataFrame:
        result = optimize_with_oracle(tiny_vae, "qed",
                                      Loop(90, initial=initial, per_round=30, n_starts=8,
                                           edit_pool=5, edit_explore=explore),
                                      ascent=loop_ascent(steps=5), constraints=NO_GUARD, seed=0,
                                      report=NO_NOVELTY)
        frame = result.frame
        return frame[(frame["source"] == "graph") & (frame["round"] == 1)]

    ranked, drawn = round_one(None), round_one(1.0)  # None at 90 calls: all ranked
    assert len(ranked) == len(drawn) == 30  # the same calls, other children
    assert set(ranked["smiles"]) != set(drawn["smiles"])
    assert drawn["predicted"].mean() < ranked["predicted"].mean()
    assert round_one(0.0)["smiles"].tolist() == ranked["smiles"].tolist()
    with pytest.raises(MolvaeError, match="edit_explore") as info:
        Loop(100, initial=initial, edit_explore=1.5)
    assert "\n" not in str(info.value)


def test_screen_share_scores_the_screening_molecules_the_predictor_rates_highest(
        lookup_vae: LookupVAE, library: list[str]) -> None:
    initial, screen = library[:40], library[40:]
    oracle, asked = _counting("logp")
    result = optimize_with_oracle(lookup_vae, oracle,
                                  Loop(130, initial=initial, per_round=30, n_starts=16,
                                       screen_share=0.5, screen=screen),
                                  ascent=loop_ascent(steps=20), constraints=NO_GUARD,
                                  report=NO_NOVELTY, seed=0)
    assert len(asked) == len(set(asked)) <= 130
    frame = result.frame
    screened = frame[frame["source"] == "screen"]
    per_round = screened.groupby("round").size()
    # half of each round's 30 calls (the first three rounds have 30 whatever the others use)
    assert (per_round.iloc[:3] == 15).all() and (per_round <= 15).all()
    assert set(screened["smiles"]) <= set(screen)
    assert (screened["start"] == screened["smiles"]).all()  # each its own start
    logp = make_objective("logp")
    # the predictor's picks beat the screening set's average molecule
    assert screened["score"].mean() > float(np.mean(logp(screen)))
    with pytest.raises(MolvaeError, match="similarity bound") as info:
        optimize_with_oracle(lookup_vae, "logp", Loop(100, initial=initial, screen_share=0.2,
                                                      screen=screen),
                             constraints=Constraints(min_similarity=0.4, guard=None),
                             report=NO_NOVELTY)
    assert "\n" not in str(info.value)
    with pytest.raises(MolvaeError, match="no molecule of the screening set") as info:
        optimize_with_oracle(lookup_vae, "logp", Loop(100, initial=initial, screen_share=0.2,
                                                      screen=["not a molecule", "C1CC"]),
                             constraints=NO_GUARD, report=NO_NOVELTY)
    assert "\n" not in str(info.value)
    for bad in ({"screen_share": 1.5}, {"screen": 0}):
        with pytest.raises(MolvaeError, match="screen") as info:
            Loop(100, initial=initial, **bad)
        assert "\n" not in str(info.value)


def test_the_default_screening_set_is_the_whole_training_data_else_the_kept_sample(
        library: list[str], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from types import SimpleNamespace

    vae = LookupVAE(library)
    vae.training_set = SimpleNamespace(sample=tuple(library[300:]))  # what a checkpoint keeps
    data = tmp_path / "train.smi"
    data.write_text("\n".join(library[:300]) + "\n")
    vae.metadata = {"data": {"source": str(data)}, "run_config": {"data": {"source": str(data)}}}
    assert default_dataset(vae, None) == list(library[300:])
    assert sorted(default_dataset(vae, None, whole=True).smiles) == sorted(library[:300])
    assert default_dataset(vae, ["CCO"], whole=True) == ["CCO"]

    def screened() -> set[str]:
        frame = optimize_with_oracle(vae, "logp", Loop(80, initial=library[:20], per_round=20,
                                                       rounds=2, screen_share=0.5, screen=500),
                                     ascent=loop_ascent(steps=5), constraints=NO_GUARD,
                                     report=NO_NOVELTY, seed=0).frame
        return set(frame.loc[frame["source"] == "screen", "smiles"])

    first = screened()
    assert first and first <= set(library[:300])
    data.unlink()  # the training file moved: the loop screens the sample the model keeps
    with caplog.at_level("WARNING", logger="molvae.optimizer.loop"):
        second = screened()
    assert second and second <= set(library[300:])
    assert "sample of its training data" in caplog.text


def test_each_molecule_of_the_loop_reports_the_round_that_scored_it(
        tiny_vae, zinc_frame: pd.DataFrame) -> None:
    initial = zinc_frame["smiles"].tolist()[:60]
    result = optimize_with_oracle(tiny_vae, "qed",
                                  Loop(150, initial=initial, per_round=30, n_starts=8,
                                       edit_pool=5, edit_explore=0.5),
                                  ascent=loop_ascent(steps=5), constraints=NO_GUARD, seed=0,
                                  report=NO_NOVELTY)
    frame = result.frame
    first_proposed = frame["smiles"].map(result.candidates.groupby("smiles")["round"].min())
    assert (frame["round"] > first_proposed).any()  # some were scored rounds after a proposal
    calls = frame["smiles"].map(result.scored.set_index("smiles")["call"])
    for r, group in frame.groupby("round"):
        first, last = (0, 60) if r == 0 else (60 + 30 * (r - 1), 60 + 30 * r)
        assert (calls[group.index] > first).all() and (calls[group.index] <= last).all()
    assert set(frame.loc[frame["round"] == 0, "source"]) == {"initial"}
    assert frame["round"].max() == 3
    # and its predicted value, step and source are those of that round's proposal
    later = frame[frame["round"] > first_proposed]
    proposals = result.candidates.set_index(["smiles", "round", "source"])
    for row in later.itertuples():
        assert (row.smiles, row.round, row.source) in proposals.index
        same = proposals.loc[[(row.smiles, row.round, row.source)]]
        assert np.isclose(same["predicted"], row.predicted).any()


def test_the_default_share_of_unranked_children_grows_with_the_budget_from_5000_calls() -> None:
    assert [edit_explore_for(b) for b in (2, 1000, 5000, 12500, 20000, 10**6)] == \
        [0.0, 0.0, 0.0, 0.25, 0.5, 0.5]


def test_the_default_edit_pool_is_ten_children_a_call_and_three_from_10000_calls() -> None:
    assert [edit_pool_for(b) for b in (2, 1000, 5000, 9999, 10_000, 10**6)] == \
        [10, 10, 10, 10, 3, 3]


@pytest.mark.parametrize("budget, pool", [(1000, None), (10_000, None), (10_000, 7)])
def test_the_loop_makes_edit_pool_children_per_edit_call_the_budgets_by_default(
        tiny_vae, zinc_frame: pd.DataFrame, monkeypatch, budget: int, pool: int | None) -> None:
    from molvae.optimizer import loop as loop_module

    asked: list[int] = []

    class FirstRoundMade(Exception):
        pass

    def record(population, n, rng, **kwargs):
        asked.append(n)
        raise FirstRoundMade

    monkeypatch.setattr(loop_module, "make_children", record)
    with pytest.raises(FirstRoundMade):
        optimize_with_oracle(tiny_vae, "qed", Loop(budget, initial=zinc_frame["smiles"].tolist()[:60],
                                                   per_round=40, edit_pool=pool),
                             ascent=loop_ascent(steps=5), constraints=NO_GUARD, seed=0,
                             report=NO_NOVELTY)
    assert asked == [40 * (pool or edit_pool_for(budget))]


def test_latent_ranked_puts_latent_proposals_rated_on_their_encodings_beside_the_edits(
        lookup_vae: LookupVAE, library: list[str], monkeypatch) -> None:
    from molvae.optimizer.session import Session

    score_candidates = Session.score_candidates

    def ranked_frames(latent_ranked: bool) -> list[pd.DataFrame]:
        ranked: list[pd.DataFrame] = []

        def record(self, frame, limit, *, by="predicted"):
            if by == "rank":
                ranked.append(frame)
            return score_candidates(self, frame, limit, by=by)

        monkeypatch.setattr(Session, "score_candidates", record)
        result = optimize_with_oracle(lookup_vae, "logp",
                                      Loop(120, initial=library[:60], per_round=20, n_starts=8,
                                           edit_pool=5, latent_ranked=latent_ranked),
                                      ascent=loop_ascent(steps=10), constraints=NO_GUARD,
                                      seed=0, report=NO_NOVELTY)
        assert result.oracle_calls <= 120
        return [f[f["source"] == "latent"] for f in ranked]

    # by default latent proposals get only the calls the edits leave, never a rank among them
    assert all(f.empty for f in ranked_frames(False))
    latent = pd.concat(ranked_frames(True))
    assert len(latent) > 0  # ranked with the edits, on the predictor's view of their encodings
    assert np.isfinite(latent["rank"]).all() and (latent["rank"] >= latent["predicted"]).all()
    with pytest.raises(MolvaeError, match="latent_ranked"):
        optimize_with_oracle(lookup_vae, "logp", Loop(100, initial=library[:60],
                                                      latent_ranked=True, latent_proposals=False),
                             constraints=NO_GUARD, report=NO_NOVELTY)


def test_optimize_graph_edits_add_to_each_starts_results_within_its_bound(
        lookup_vae: LookupVAE, library: list[str]) -> None:
    starts = library[:12]
    search = Search(starts, restarts=6, start_noise=0.5)
    kwargs = dict(ascent=Ascent(steps=20, lr=0.1, temperature=1.0),
                  constraints=Constraints(min_similarity=0.4, max_heavy_atoms=30, guard=None),
                  surrogate=Surrogate(n_train=150, dataset=library), seed=0, report=NO_NOVELTY)
    plain = optimize(lookup_vae, "logp", search, **kwargs)
    edited = optimize(lookup_vae, "logp", replace(search, edits_per_start=30), **kwargs)
    edits = edited.candidates[edited.candidates["source"] == "graph"]
    assert len(edits) and set(plain.candidates["source"]) == {"latent"}
    for row in edits.itertuples():  # the bound is to the child's own start
        assert row.start == starts[row.start_index]
        assert tanimoto(row.smiles, row.start) >= 0.4 - 1e-9
        assert Chem.MolFromSmiles(row.smiles).GetNumHeavyAtoms() <= 30
    # the latent proposals are the same run; edits only add molecules, so no start does worse
    best_plain = plain.best_per_start().set_index("start_index")["score"]
    best_edited = edited.best_per_start().set_index("start_index")["score"]
    assert (best_edited.reindex(best_plain.index) >= best_plain).all()
    assert (best_edited.reindex(best_plain.index) > best_plain).any()
    assert len(best_edited) > len(best_plain)  # and reach starts the latent search did not
    # a second round breeds from the first round's finds as well as from the start
    two = optimize(lookup_vae, "logp", replace(search, edits_per_start=30, rounds=2), **kwargs)
    assert {1, 2} <= set(two.candidates.loc[two.candidates["source"] == "graph", "round"])
    oracle, asked = _counting()
    budgeted = optimize(lookup_vae, oracle,
                        replace(search, edits_per_start=30, rounds=2, budget=250), **kwargs)
    assert budgeted.oracle_calls == len(asked) == 250 and len(set(asked)) == len(asked)
    with pytest.raises(MolvaeError, match="edits_per_start") as info:
        replace(search, edits_per_start=-1)
    assert "\n" not in str(info.value)


def test_invalid_options_fail_with_one_line_errors() -> None:
    """Each option type checks its values once, when it is made."""
    for make, name in ((lambda: Constraints(min_similarity=1.5), "min_similarity"),
                       (lambda: Constraints(max_heavy_atoms=0), "max_heavy_atoms"),
                       (lambda: Ascent(steps=-1), "steps"),
                       (lambda: Ascent(decode_every=0), "decode_every"),
                       (lambda: Ascent(lr=0.0), "lr"),
                       (lambda: Ascent(latent_prior="flat"), "latent_prior"),
                       (lambda: Search(n_starts=0), "n_starts"),
                       (lambda: Search(centers=0), "centers"),
                       (lambda: Search(restarts=0), "restarts"),
                       (lambda: Search(budget=0), "budget"),
                       (lambda: Loop(budget=1), "budget must be at least 2"),
                       (lambda: Loop(100, rounds=0), "rounds"),
                       (lambda: Loop(100, per_round=0), "per_round"),
                       (lambda: Loop(100, patience=0), "patience"),
                       (lambda: Surrogate(n_models=0), "n_models")):
        with pytest.raises(MolvaeError, match=name) as info:
            make()
        assert "\n" not in str(info.value)


def test_save_grid_writes_png_and_svg(tmp_path: Path) -> None:
    frame = pd.DataFrame({"smiles": ["CCO", "c1ccccc1O", "CC(=O)O"], "score": [0.4, 0.5, 0.3]})
    png, svg = save_grid(frame, tmp_path / "top.png", n=2), save_grid(frame, tmp_path / "top.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text() and svg.read_text().rstrip().endswith("</svg>")
    with pytest.raises(MolvaeError, match=r"\.png or \.svg"):
        save_grid(frame, tmp_path / "top.jpg")


def test_optimize_runs_end_to_end_on_the_tiny_model(tiny_vae, zinc_frame: pd.DataFrame,
                                                    tmp_path: Path) -> None:
    smiles = zinc_frame["smiles"].tolist()
    result = optimize(tiny_vae, "qed", Search(n_starts=32, budget=200),
                      ascent=Ascent(steps=10, decode_every=5), constraints=NO_GUARD,
                      surrogate=Surrogate(n_train=60, dataset=smiles), seed=0)
    assert result.oracle_calls <= 200
    assert result.timings["decoded"] == 32 * 3  # steps 0, 5, 10 of each trajectory
    assert list(result.frame.columns[:3]) == ["smiles", "score", "predicted"]
    assert result.to_csv(tmp_path / "out.csv").exists()
    looped = optimize_with_oracle(tiny_vae, "qed",
                                  Loop(80, initial=smiles[:40], per_round=20, n_starts=8),
                                  ascent=loop_ascent(steps=5), constraints=NO_GUARD, seed=0)
    assert looped.oracle_calls <= 80 and (looped.frame["round"] == 0).sum() >= 1


@pytest.mark.parametrize("module", ["__init__", "options", "presets", "constraints", "search",
                                    "loop", "runner", "session", "results", "inputs", "ascent"])
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    name = "molvae.optimizer" if module == "__init__" else f"molvae.optimizer.{module}"
    assert doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS).failed == 0


def test_the_medchem_guard_is_on_by_default_and_every_reported_molecule_passes_it(
        lookup_vae: LookupVAE, library: list[str]) -> None:
    from rdkit import Chem

    from molvae.medchem import DRUG_LIKE

    settings = dict(ascent=Ascent(steps=20, lr=0.2),
                    surrogate=Surrogate(n_train=200, dataset=library), seed=0, report=NO_NOVELTY)
    search = Search(library[:20], restarts=3)
    guarded = optimize(lookup_vae, "logp", search, **settings).frame
    unguarded = optimize(lookup_vae, "logp", search, constraints=NO_GUARD, **settings).frame
    passes = lambda frame: [DRUG_LIKE.passes(Chem.MolFromSmiles(s))  # noqa: E731
                            for s in frame["smiles"]]
    assert Constraints().guard is DRUG_LIKE
    assert len(guarded) and all(passes(guarded))
    assert not all(passes(unguarded))  # the library has alerts: the guard removed them
    assert set(guarded["smiles"]) <= set(unguarded["smiles"])
    looped = optimize_with_oracle(lookup_vae, "logp",
                                  Loop(150, initial=library[:60], n_starts=16, rounds=3),
                                  ascent=loop_ascent(steps=20), seed=0,
                                  report=NO_NOVELTY).frame
    assert len(looped) and all(passes(looped))


def test_ascent_uses_the_models_learned_prior_as_its_pull_toward_the_data(
        lookup_vae: LookupVAE) -> None:
    from molvae.optimizer import ascend
    from molvae.predictor import fit_latent_predictor
    from molvae.prior import PriorConfig, fit_prior

    z = torch.as_tensor(lookup_vae.points)
    predictor = fit_latent_predictor(z.numpy(), z[:, 0].numpy(), n_models=2, seed=0)
    center = torch.full((1, lookup_vae.latent_dim), 2.0)
    prior = fit_prior(torch.randn(2000, lookup_vae.latent_dim,
                                  generator=torch.Generator().manual_seed(0)) * 0.5 + center,
                      PriorConfig(hidden=32, blocks=1, epochs=20, batch_size=200, lr=3e-3))
    start = np.zeros((8, lookup_vae.latent_dim), dtype=np.float32)
    common = dict(objective=make_objective("logp"), steps=40, lr=0.05, prior_weight=5.0,
                  decode_every=40)
    _, normal, _, _ = ascend(predictor, start, **common)
    _, learned, _, _ = ascend(predictor, start, prior=prior, **common)
    # dimensions the predictor ignores drift only under the pull: toward 0 (N(0, I)) or 2
    assert float(np.abs(normal[-1][:, 2:]).mean()) < 0.3
    assert float(learned[-1][:, 2:].mean()) > 0.8


def test_a_long_ascent_shows_a_bar_on_a_terminal_and_a_short_one_does_not(
        lookup_vae: LookupVAE, terminal) -> None:
    from molvae.optimizer import ascend
    from molvae.predictor import fit_latent_predictor

    z = torch.as_tensor(lookup_vae.points)
    predictor = fit_latent_predictor(z.numpy(), z[:, 0].numpy(), n_models=2, seed=0)
    common = dict(objective=make_objective("logp"), steps=20, lr=0.05, decode_every=20)
    stderr = terminal()
    ascend(predictor, np.zeros((8, lookup_vae.latent_dim), dtype=np.float32), **common)
    assert "ascending" not in stderr.getvalue()  # 160 trajectory-steps: a blink
    ascend(predictor, np.zeros((1000, lookup_vae.latent_dim), dtype=np.float32), **common)
    assert "ascending" in stderr.getvalue()  # 20,000 trajectory-steps


def test_novelty_is_measured_against_one_kind_of_set(lookup_vae: LookupVAE) -> None:
    from molvae.optimizer.inputs import reference_set
    from molvae.training_set import TrainingSet

    given = reference_set(["OCC", "C1=CC=CC=C1O", "not a molecule"], lookup_vae)
    assert isinstance(given, TrainingSet) and len(given) == 2
    assert "CCO" in given and "Oc1ccccc1" in given and "OCC" not in given  # canonical forms
    exact = {"CCO"}
    assert reference_set(exact, lookup_vae) is exact
    assert reference_set(None, lookup_vae) is None
    assert reference_set("auto", lookup_vae) is None  # the lookup model names no training data


def test_loop_ablations_take_away_what_they_name(lookup_vae: LookupVAE, library: list[str]) -> None:
    def run(loop_changes: dict, surrogate: Surrogate) -> pd.DataFrame:
        return optimize_with_oracle(lookup_vae, "logp",
                                    Loop(150, initial=library[:40], per_round=30, n_starts=16,
                                         rounds=3, **loop_changes),
                                    ascent=loop_ascent(steps=20), constraints=NO_GUARD,
                                    surrogate=surrogate, report=NO_NOVELTY, seed=0).frame
    no_edits = run({"edit_share": 0.0}, Surrogate())
    assert set(no_edits["source"]) == {"initial", "latent"}
    # the lookup model encodes only its library, so edits ranked on z find nothing here
    no_latent = run({"edit_share": 0.5, "latent_proposals": False}, Surrogate())
    assert "latent" not in set(no_latent["source"])  # half the calls would have gone to z
    fingerprints = run({"edit_share": 0.5}, Surrogate(features="fingerprint"))
    assert set(fingerprints["source"]) == {"initial", "graph"}  # no gradient in z to climb
    graph = fingerprints[fingerprints["source"] == "graph"]
    assert graph["predicted"].notna().all()  # every edit ranked on its fingerprint
    with pytest.raises(MolvaeError, match="latent proposals, which need"):
        run({"edit_share": 0.0}, Surrogate(features="fingerprint"))
    with pytest.raises(MolvaeError, match="'latent'.*'fingerprint'"):
        Surrogate(features="graph")
