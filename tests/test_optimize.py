"""The latent optimizer: constraints hold for every reported molecule, the budget is never exceeded,
oracle failures are recorded, results are truly scored, ranked and unique.

Most tests run on :class:`lookup_vae.LookupVAE` (a stand-in whose decodes are real molecules);
one runs the whole pipeline on the tiny trained model.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from rdkit import Chem

from molvae.chemistry import canonicalize, compute_properties, tanimoto
from molvae.errors import MolvaeError
from molvae.objectives import make_objective
from molvae.optimize import (
    Constraints,
    edit_explore_for,
    optimize,
    optimize_with_oracle,
    save_grid,
)

from lookup_vae import LookupVAE


@pytest.fixture(scope="module")
def library(zinc_frame: pd.DataFrame) -> list[str]:
    return zinc_frame["smiles"].tolist()[:400]


@pytest.fixture(scope="module")
def lookup_vae(library: list[str]) -> LookupVAE:
    return LookupVAE(library)


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
        result = optimize_with_oracle(lookup_vae, oracle, guard=None, budget=budget,
                                      initial=library[:40],
                                      per_round=30, n_starts=16, steps=20, seed=0,
                                      novelty_reference=None)
        assert len(asked) <= budget and len(set(asked)) == len(asked)  # each molecule once
        assert result.oracle_calls == len(asked)
        assert result.history["oracle_calls"].max() <= budget
        assert len(asked) >= min(budget, 40)  # the initial population counts
    oracle, asked = _counting()
    result = optimize(lookup_vae, oracle, guard=None, starts=library[:10], restarts=3, budget=50,
                      steps=20,
                      dataset=library, n_train=100, novelty_reference=None)
    assert len(asked) <= 50 and result.oracle_calls == len(asked)


def test_oracle_nan_or_exception_is_recorded_not_fatal(lookup_vae: LookupVAE,
                                                       library: list[str]) -> None:
    logp = make_objective("logp")

    def flaky(smiles: list[str]) -> list[float]:
        if any("Cl" in s for s in smiles):
            raise RuntimeError("the docking program crashed")
        return [math.nan if "F" in s else v for s, v in zip(smiles, logp(smiles))]

    result = optimize_with_oracle(lookup_vae, flaky, guard=None, budget=120, initial=library[:60],
                                  per_round=30, n_starts=16, steps=20, seed=1,
                                  max_heavy_atoms=None, novelty_reference=None)
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
    result = optimize(lookup_vae, "logp", guard=None, starts=starts, restarts=4, start_noise=0.5,
                      steps=40,
                      lr=0.1, min_similarity=0.4, dataset=library, n_train=200, seed=0,
                      novelty_reference=None)
    frame = result.frame
    assert len(frame) >= len(starts) - 1  # each start's reconstruction (one decodes invalid)
    for row in frame.itertuples():
        assert row.similarity >= 0.4
        assert tanimoto(row.smiles, row.start) == pytest.approx(row.similarity)
        assert row.start in starts
    best = result.best_per_start()
    assert (best["similarity"] >= 0.4).all() and best["start_index"].is_unique
    with pytest.raises(MolvaeError, match="needs start molecules"):
        optimize(lookup_vae, "logp", guard=None, min_similarity=0.4, dataset=library)
    looped = optimize_with_oracle(lookup_vae, "logp", guard=None, budget=120, initial=starts,
                                  per_round=40,
                                  n_starts=12, steps=30, lr=0.1, start_noise=0.5,
                                  min_similarity=0.4, seed=0, novelty_reference=None)
    proposed = looped.candidates[looped.candidates["round"] > 0]
    assert len(proposed)
    for row in [*looped.frame.itertuples(), *proposed.itertuples()]:
        # to the initial molecule each lineage began from
        assert row.start in starts and tanimoto(row.smiles, row.start) >= 0.4


def test_sampled_decoding_proposes_more_molecules_and_is_seeded(lookup_vae: LookupVAE,
                                                                library: list[str]) -> None:
    kwargs = dict(starts=library[:6], restarts=8, start_noise=0.0, steps=10, lr=0.02,
                  dataset=library, n_train=100, novelty_reference=None)
    greedy = optimize(lookup_vae, "logp", guard=None, seed=0, **kwargs)
    sampled = optimize(lookup_vae, "logp", guard=None, temperature=1.0, seed=0, **kwargs)
    again = optimize(lookup_vae, "logp", guard=None, temperature=1.0, seed=0, **kwargs)
    # without jitter the 8 restarts of a start climb the same path: greedy decoding gives them
    # the same molecules, sampling different ones
    assert sampled.candidates["smiles"].nunique() > 2 * greedy.candidates["smiles"].nunique()
    pd.testing.assert_frame_equal(sampled.frame, again.frame)
    assert set(sampled.frame["start"]) <= set(library[:6])  # starts stay the given molecules
    oracle, asked = _counting()
    looped = optimize_with_oracle(lookup_vae, oracle, guard=None, budget=80, initial=library[:30],
                                  per_round=20, n_starts=8, steps=10, temperature=1.0, seed=0,
                                  novelty_reference=None)
    assert looped.oracle_calls == len(asked) <= 80 and len(set(asked)) == len(asked)


def test_later_rounds_keep_the_bound_and_never_lose_a_starts_best(lookup_vae: LookupVAE,
                                                                  library: list[str]) -> None:
    starts = library[:10]
    kwargs = dict(starts=starts, restarts=8, start_noise=0.6, steps=20, lr=0.05,
                  min_similarity=0.2, temperature=1.0, dataset=library, n_train=150, seed=3,
                  novelty_reference=None)
    one = optimize(lookup_vae, "logp", guard=None, rounds=1, **kwargs)
    three = optimize(lookup_vae, "logp", guard=None, rounds=3, centers=3, **kwargs)
    assert set(three.candidates["round"]) == {1, 2, 3}
    for row in three.candidates.itertuples():  # similarity always to the original start
        assert row.start == starts[row.start_index]
        assert tanimoto(row.smiles, row.start) >= 0.2
    best_one = one.best_per_start().set_index("start_index")["score"]
    best_three = three.best_per_start().set_index("start_index")["score"]
    assert (best_three.reindex(best_one.index) >= best_one).all()  # round 1 is the same run
    assert (best_three.reindex(best_one.index) > best_one).any()  # and later rounds add to it
    for bad, message in ((dict(rounds=0), "rounds"), (dict(temperature=0.0), "temperature")):
        with pytest.raises(MolvaeError, match=message) as info:
            optimize(lookup_vae, "logp", guard=None, starts=starts, dataset=library, **bad)
        assert "\n" not in str(info.value)


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

    kwargs = dict(n_starts=64, steps=20, dataset=library[100:300], n_train=100, seed=0,
                  novelty_reference=None)
    strict = optimize(vae, "logp", guard=None, **kwargs)
    assert len(strict.frame) and not any(map(has_radical, strict.frame["smiles"]))
    loose = optimize(vae, "logp", guard=None, allow_radicals=True, **kwargs)
    assert any(map(has_radical, loose.frame["smiles"]))  # they were there to be rejected


def test_max_heavy_atoms_is_enforced(lookup_vae: LookupVAE, library: list[str]) -> None:
    result = optimize(lookup_vae, "heavy_atoms", guard=None, n_starts=64, steps=30, lr=0.2,
                      dataset=library,
                      n_train=150, max_heavy_atoms=22, seed=0, novelty_reference=None)
    assert len(result.frame)
    atoms = [Chem.MolFromSmiles(s).GetNumHeavyAtoms() for s in result.frame["smiles"]]
    assert max(atoms) <= 22
    assert (result.frame["heavy_atoms"] <= 22).all()
    assert max(compute_properties(library, ["heavy_atoms"])["heavy_atoms"]) > 22  # it had to cut


def test_substructure_is_kept(lookup_vae: LookupVAE, library: list[str]) -> None:
    pattern = Chem.MolFromSmarts("c1ccccc1")
    result = optimize(lookup_vae, "qed", guard=None, n_starts=64, steps=20, dataset=library,
                      n_train=150,
                      substructure="c1ccccc1", seed=0, novelty_reference=None)
    assert len(result.frame)
    assert all(Chem.MolFromSmiles(s).HasSubstructMatch(pattern) for s in result.frame["smiles"])
    with pytest.raises(MolvaeError, match=r"invalid SMARTS substructure 'c1cc\(\('") as info:
        optimize(lookup_vae, "qed", guard=None, substructure="c1cc((", dataset=library)
    assert "\n" not in str(info.value)


def test_results_are_ranked_by_true_score_and_deduplicated(lookup_vae: LookupVAE,
                                                          library: list[str]) -> None:
    result = optimize(lookup_vae, "qed + 0.3*logp - 0.5*sa", guard=None, n_starts=128, steps=30,
                      dataset=library, n_train=150, seed=0, novelty_reference=library)
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
    low = optimize(lookup_vae, "logp", guard=None, minimize=True, n_starts=64, steps=20,
                   dataset=library,
                   n_train=150, novelty_reference=None).frame
    assert np.allclose(low["score"], -low["value"]) and low["value"].is_monotonic_increasing
    near = optimize(lookup_vae, "logp", guard=None, target=2.0, n_starts=64, steps=20,
                    dataset=library,
                    n_train=150, novelty_reference=None).frame
    assert np.allclose(near["score"], -np.abs(near["value"] - 2.0))


def test_oracle_loop_improves_on_its_initial_population(lookup_vae: LookupVAE,
                                                       library: list[str]) -> None:
    logp = make_objective("logp")(library)
    initial = [library[i] for i in np.argsort(logp)[:50]]  # the 50 lowest
    result = optimize_with_oracle(lookup_vae, "logp", guard=None, budget=200, initial=initial,
                                  per_round=50, n_starts=32, steps=30, seed=0,
                                  max_heavy_atoms=None, novelty_reference=None)
    initial_best = max(make_objective("logp")(initial))
    assert result.frame["score"].iloc[0] > initial_best
    assert set(result.frame["round"]) >= {0, 1}


def test_graph_edits_share_the_budget_and_keep_every_constraint(tiny_vae,
                                                               zinc_frame: pd.DataFrame) -> None:
    # the tiny model encodes any molecule its vocabulary covers, so edits get predictions
    initial = zinc_frame["smiles"].tolist()[:60]
    oracle, asked = _counting("qed")
    result = optimize_with_oracle(tiny_vae, oracle, guard=None, budget=150, initial=initial,
                                  per_round=30,
                                  n_starts=8, steps=5, seed=0, graph_edits=1.0, edit_pool=5,
                                  min_similarity=0.3, max_heavy_atoms=30,
                                  substructure="[#6]~[#7,#8]", novelty_reference=None)
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
    latent_only = optimize_with_oracle(tiny_vae, "qed", guard=None, budget=100, initial=initial,
                                       per_round=20, n_starts=8, steps=5, seed=0,
                                       graph_edits=0.0, novelty_reference=None)
    assert "graph" not in set(latent_only.frame["source"])
    for bad, name in ((1.5, "graph_edits"), (-0.1, "graph_edits")):
        with pytest.raises(MolvaeError, match=name) as info:
            optimize_with_oracle(tiny_vae, "qed", guard=None, budget=100, initial=initial,
                                 graph_edits=bad)
        assert "\n" not in str(info.value)
    with pytest.raises(MolvaeError, match="edit_pool"):
        optimize_with_oracle(tiny_vae, "qed", guard=None, budget=100, initial=initial, edit_pool=0)


def test_edit_explore_scores_children_the_predictor_would_not_have_chosen(
        tiny_vae, zinc_frame: pd.DataFrame) -> None:
    initial = zinc_frame["smiles"].tolist()[:60]

    def round_one(explore: float | None) -> pd.DataFrame:
        result = optimize_with_oracle(tiny_vae, "qed", guard=None, budget=90, initial=initial,
                                      per_round=30,
                                      n_starts=8, steps=5, seed=0, edit_pool=5,
                                      edit_explore=explore, novelty_reference=None)
        frame = result.frame
        return frame[(frame["source"] == "graph") & (frame["round"] == 1)]

    ranked, drawn = round_one(None), round_one(1.0)  # None at 90 calls: all ranked
    assert len(ranked) == len(drawn) == 30  # the same calls, other children
    assert set(ranked["smiles"]) != set(drawn["smiles"])
    assert drawn["predicted"].mean() < ranked["predicted"].mean()
    assert round_one(0.0)["smiles"].tolist() == ranked["smiles"].tolist()
    with pytest.raises(MolvaeError, match="edit_explore") as info:
        optimize_with_oracle(tiny_vae, "qed", guard=None, budget=100, initial=initial,
                             edit_explore=1.5)
    assert "\n" not in str(info.value)


def test_each_molecule_of_the_loop_reports_the_round_that_scored_it(
        tiny_vae, zinc_frame: pd.DataFrame) -> None:
    initial = zinc_frame["smiles"].tolist()[:60]
    result = optimize_with_oracle(tiny_vae, "qed", guard=None, budget=150, initial=initial,
                                  per_round=30,
                                  n_starts=8, steps=5, seed=0, edit_pool=5, edit_explore=0.5,
                                  novelty_reference=None)
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


def test_optimize_graph_edits_add_to_each_starts_results_within_its_bound(
        lookup_vae: LookupVAE, library: list[str]) -> None:
    starts = library[:12]
    kwargs = dict(starts=starts, restarts=6, start_noise=0.5, steps=20, lr=0.1, temperature=1.0,
                  min_similarity=0.4, max_heavy_atoms=30, dataset=library, n_train=150, seed=0,
                  novelty_reference=None)
    plain = optimize(lookup_vae, "logp", guard=None, **kwargs)
    edited = optimize(lookup_vae, "logp", guard=None, graph_edits=30, **kwargs)
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
    two = optimize(lookup_vae, "logp", guard=None, graph_edits=30, rounds=2, **kwargs)
    assert {1, 2} <= set(two.candidates.loc[two.candidates["source"] == "graph", "round"])
    oracle, asked = _counting()
    budgeted = optimize(lookup_vae, oracle, guard=None, graph_edits=30, rounds=2, budget=250,
                        **kwargs)
    assert budgeted.oracle_calls == len(asked) == 250 and len(set(asked)) == len(asked)
    with pytest.raises(MolvaeError, match="graph_edits") as info:
        optimize(lookup_vae, "logp", guard=None, graph_edits=-1, **kwargs)
    assert "\n" not in str(info.value)


def test_invalid_constraints_fail_with_one_line_errors() -> None:
    with pytest.raises(MolvaeError, match="min_similarity"):
        Constraints(min_similarity=1.5)
    with pytest.raises(MolvaeError, match="max_heavy_atoms"):
        Constraints(max_heavy_atoms=0)


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
    result = optimize(tiny_vae, "qed", guard=None, n_starts=32, steps=10, decode_every=5,
                      dataset=smiles,
                      n_train=60, budget=200, seed=0)
    assert result.oracle_calls <= 200
    assert result.timings["decoded"] == 32 * 3  # steps 0, 5, 10 of each trajectory
    assert list(result.frame.columns[:3]) == ["smiles", "score", "predicted"]
    assert result.to_csv(tmp_path / "out.csv").exists()
    looped = optimize_with_oracle(tiny_vae, "qed", guard=None, budget=80, initial=smiles[:40],
                                  per_round=20,
                                  n_starts=8, steps=5, seed=0)
    assert looped.oracle_calls <= 80 and (looped.frame["round"] == 0).sum() >= 1


def test_docstring_examples_run() -> None:
    import doctest

    import molvae.optimize

    assert doctest.testmod(molvae.optimize, optionflags=doctest.ELLIPSIS).failed == 0


def test_the_medchem_guard_is_on_by_default_and_every_reported_molecule_passes_it(
        lookup_vae: LookupVAE, library: list[str]) -> None:
    from rdkit import Chem

    from molvae.medchem import DRUG_LIKE

    settings = dict(starts=library[:20], restarts=3, steps=20, lr=0.2, dataset=library,
                    n_train=200, seed=0, novelty_reference=None)
    guarded = optimize(lookup_vae, "logp", **settings).frame
    unguarded = optimize(lookup_vae, "logp", guard=None, **settings).frame
    passes = lambda frame: [DRUG_LIKE.passes(Chem.MolFromSmiles(s))  # noqa: E731
                            for s in frame["smiles"]]
    assert len(guarded) and all(passes(guarded))
    assert not all(passes(unguarded))  # the library has alerts: the guard removed them
    assert set(guarded["smiles"]) <= set(unguarded["smiles"])
    looped = optimize_with_oracle(lookup_vae, "logp", budget=150, initial=library[:60],
                                  per_round=30, n_starts=16, steps=20, seed=0,
                                  novelty_reference=None).frame
    assert len(looped) and all(passes(looped))


def test_ascent_uses_the_models_learned_prior_as_its_pull_toward_the_data(
        lookup_vae: LookupVAE) -> None:
    from molvae.optimize import ascend
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
    from molvae.optimize import ascend
    from molvae.predictor import fit_latent_predictor

    z = torch.as_tensor(lookup_vae.points)
    predictor = fit_latent_predictor(z.numpy(), z[:, 0].numpy(), n_models=2, seed=0)
    common = dict(objective=make_objective("logp"), steps=20, lr=0.05, decode_every=20)
    stderr = terminal()
    ascend(predictor, np.zeros((8, lookup_vae.latent_dim), dtype=np.float32), **common)
    assert "ascending" not in stderr.getvalue()  # 160 trajectory-steps: a blink
    ascend(predictor, np.zeros((1000, lookup_vae.latent_dim), dtype=np.float32), **common)
    assert "ascending" in stderr.getvalue()  # 20,000 trajectory-steps
