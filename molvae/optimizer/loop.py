"""The oracle loop: rounds of propose → score → refit against an expensive oracle's budget.

The initial population is scored first and counted. Each round fits the predictor on everything
scored so far, makes graph-edit children of the scored molecules (:mod:`molvae.graph_edits`) and
scores those the predictor rates highest, ascends from the best molecules for the calls the edits
leave, and so on until the budget is spent. Every molecule whose true score is computed counts
once.
"""

from __future__ import annotations

import logging
import math
import os
import random
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rdkit import Chem

from molvae.chemistry import rdkit_quiet
from molvae.errors import MolvaeError
from molvae.graph_edits import make_children
from molvae.journal import ScoredRow, ScoreJournal, check_start
from molvae.objectives import ObjectiveLike, make_objective
from molvae.optimizer.constraints import Constraints
from molvae.optimizer.inputs import (canonical_starts, default_dataset, read_starts,
                                     reference_set, sample_dataset)
from molvae.optimizer.options import Ascent, Loop, Report, Surrogate
from molvae.optimizer.presets import LOOP_ASCENT
from molvae.optimizer.results import OptimizeResult
from molvae.optimizer.session import Session
from molvae.oracle import Oracle
from molvae.predictor import LatentPredictor

if TYPE_CHECKING:
    from molvae.latent_model import LatentModel

__all__ = ["optimize_with_oracle", "edit_explore_for", "edit_pool_for"]

logger = logging.getLogger(__name__)


def _latent_round(session: Session, predictor: LatentPredictor, counted: Oracle,
                  rng: np.random.Generator, lineage: dict[str, str],
                  population_index: dict[str, int], *, n_starts: int, noise: float,
                  round_index: int) -> pd.DataFrame:
    """One round's latent proposals of the oracle loop: ascend from ``n_starts`` scored molecules
    (half the best, half drawn from the rest, jittered by ``noise``), decoded and filtered."""
    table = counted.table()
    table = table[np.isfinite(table["score"])].sort_values("score", ascending=False)
    pool = table["smiles"].tolist()
    n_top = min(len(pool), max(1, n_starts // 2))
    rest = pool[n_top:]
    picked = pool[:n_top] + [rest[i] for i in rng.choice(len(rest), min(len(rest),
                                                          n_starts - n_top), replace=False)]
    z_start = session.encode(picked)
    ok = ~np.isnan(z_start).any(axis=1)
    picked, z_start = [p for p, good in zip(picked, ok) if good], z_start[ok]
    if not picked:
        raise MolvaeError("no scored molecule can be encoded by this model to start from")
    z0 = z_start + noise * rng.standard_normal(z_start.shape).astype(np.float32)
    roots = [lineage.get(p, p) for p in picked]
    root_indices = np.array([population_index.get(r, -1) for r in roots])
    frame = session.propose(predictor, z0, roots, root_indices, round_index=round_index)
    session.rows.append(frame)
    for smiles, root in zip(frame["smiles"], frame["start"]):
        lineage.setdefault(smiles, root)
    return frame


def _screening_set(loop: Loop, vae: LatentModel, session: Session, dataset: object,
                   seed: int) -> list[str]:
    """The canonical molecules of ``loop.screen`` that meet the session's constraints (none when
    ``loop.screen_share`` is 0)."""
    if loop.screen_share == 0:
        return []
    if session.constraints.min_similarity is not None:
        raise MolvaeError("screen_share scores molecules of the screening set, which descend from "
                          "no starting molecule, so a similarity bound cannot hold for them: "
                          "set screen_share to 0 with min_similarity")
    if isinstance(loop.screen, int):  # a stream of its own: the rest of the run draws the same
        try:
            source = default_dataset(vae, dataset, whole=True)
        except (MolvaeError, OSError) as error:  # the data moved or was never here: the sample
            source = default_dataset(vae, dataset)
            logger.warning("screening the model's sample of its training data instead of the "
                           "whole dataset (%s)", error)
        pool = sample_dataset(source, loop.screen, np.random.default_rng([seed, 1]))
        given = len(pool)
    else:
        given_molecules = read_starts(loop.screen)
        given, pool = len(given_molecules), canonical_starts(given_molecules)
    session.inspect(pool)
    kept = [s for s in dict.fromkeys(pool) if session.parsed[s] is not None
            and session.parsed[s].allowed]
    if not kept:
        raise MolvaeError(f"no molecule of the screening set ({given} given) parses and meets "
                          f"the constraints: screen other molecules, or set screen_share to 0")
    logger.info("screening set: %d of %d molecules (the rest unparsable, repeated or outside the "
                "constraints)", len(kept), given)
    return kept


def _screen_round(session: Session, predictor: LatentPredictor, pool: list[str], calls: int,
                  round_index: int) -> None:
    """Score the ``calls`` molecules of the screening set ``pool`` not scored yet that the
    predictor rates highest; each is its own start."""
    fresh = [s for s in pool if not session.oracle.known(s)]
    if calls <= 0 or not fresh:
        return
    frame = session.rate(predictor, pd.DataFrame({"smiles": fresh, "start": fresh,
                                                  "start_index": -1, "similarity": math.nan}))
    frame = frame[np.isfinite(frame["rank"])].sort_values("rank", ascending=False,
                                                          kind="stable").head(calls)
    frame = frame.assign(step=0, round=round_index, source="screen")
    session.score_candidates(frame, calls, by="rank")
    session.rows.append(frame.drop(columns="rank"))


def _previous_run(journal: ScoreJournal | None, *, resume: bool) -> list[ScoredRow]:
    """The molecules an earlier run wrote to ``journal`` (resume), or none (a new run, which
    never overwrites a journal)."""
    if journal is None:
        return []
    check_start(journal.path, resume=resume)
    return journal.read() if resume else []


def _round_ends(previous: list[ScoredRow], calls: int) -> list[int]:
    """The calls used by the end of each round so far: a resumed run's rounds, the last of them
    reaching ``calls`` (the initial population's end on a new run)."""
    last = max((r.round for r in previous), default=0)
    ends = [max((r.call for r in previous if r.round <= k), default=0) for k in range(last + 1)]
    ends[-1] = max(ends[-1], calls)
    return ends


def _resumed_rows(previous: list[ScoredRow], population_index: dict[str, int],
                  session: Session) -> pd.DataFrame:
    """Result rows for the proposals a resumed run had scored (the initial population's come
    from the population itself); each keeps its round, source and start."""
    found = [r for r in previous if r.source != "initial"]
    session.scored_by.update((r.smiles, (r.round, r.source)) for r in found)
    return pd.DataFrame({"smiles": [r.smiles for r in found], "predicted": math.nan,
                         "uncertainty": math.nan, "step": math.nan, "similarity": math.nan,
                         "start_index": [population_index.get(r.start, -1) for r in found],
                         "start": [r.start for r in found], "round": [r.round for r in found],
                         "source": [r.source for r in found]})


def edit_explore_for(budget: int) -> float:
    """The oracle loop's default share of unranked graph-edit children for ``budget`` calls:
    0 up to 5,000 calls, then rising linearly to 0.5 at 20,000 and staying there.

    How much to explore depends on how many calls are left to profit from it. Measured in
    BENCHMARKS.md ("A share of unranked children"): with 1,000 and 5,000 calls, scoring only the
    children the predictor ranks highest finds better molecules than giving half the calls to
    random children; with 20,000, ranking alone settles near its first good molecules, and half
    the calls unranked from the first round climbs further by the end (shares between 5,000 and
    20,000 calls are interpolated, not measured).
    """
    return 0.5 * min(1.0, max(0.0, (budget - 5000) / 15000))


def edit_pool_for(budget: int) -> int:
    """The oracle loop's default number of graph-edit children made per call spent on edits for
    ``budget`` calls: 10 below 10,000 calls, 3 from 10,000 on.

    Making and encoding the children is most of a round's time with a fast oracle. Measured in
    BENCHMARKS.md (the PMO benchmark, issue 26): at 10,000 calls, ranking three children a call
    finds molecules as good as ranking ten (AUC top-10 summed over 9 tasks, 7.335 against
    7.325) in about half the wall time; the 1,000- and 5,000-call tables were measured with ten,
    and fewer than 10,000 calls keep it (the share of calls the predictor's choice decides is
    larger there; three is not measured below 10,000).
    """
    return 3 if budget >= 10_000 else 10


def optimize_with_oracle(vae: LatentModel, objective: ObjectiveLike, loop: Loop, *,
                         ascent: Ascent | None = None, constraints: Constraints | None = None,
                         surrogate: Surrogate | None = None, report: Report | None = None,
                         minimize: bool = False, target: float | None = None,
                         seed: int = 0) -> OptimizeResult:
    """Rounds of propose → score → refit against an oracle, within ``loop.budget`` calls.

    The initial population (``loop.initial``) is scored first and counts against the budget. Each
    round fits the predictor (``surrogate.n_models`` MLPs) on everything scored so far, spends
    ``loop.screen_share`` of its calls on the molecules of the screening set (``loop.screen``) it
    rates highest, then ``loop.edit_share`` of the rest on the graph-edit children it rates
    highest (by the optimistic ``mean + exploration·std`` of ``ascent``), and the rest on latent
    proposals: ascents from ``loop.n_starts`` scored molecules (half the top ones, half drawn at
    random from the rest). Calls left unused by one kind go to the other. Each result's
    ``source`` column says which kind found it (``initial``, ``screen``, ``latent`` or
    ``graph``). See :class:`Loop` for the round sizes, patience and exploration of edits;
    ``ascent`` None: the loop's preset (:data:`~molvae.optimizer.presets.LOOP_ASCENT`: 50 steps,
    decoded every 5, exploration 0.5).

    ``constraints``: molecules that fail them are neither scored nor reported (the initial
    population is scored as given, and reported where it meets them). An oracle that raises or
    returns NaN for a molecule is recorded (NaN score, ``error``), never fatal.

    Each result's ``start`` is the initial-population molecule its lineage began from (a
    proposal from a molecule found in an earlier round inherits that molecule's start; a screened
    molecule is its own start), so a similarity bound keeps every reported molecule close to one
    of the initial molecules (screening is refused under one).
    Its ``round`` is the round whose calls scored it (0: the initial population).
    """
    t_start = time.perf_counter()
    ascent = ascent if ascent is not None else LOOP_ASCENT
    constraints = constraints if constraints is not None else Constraints()
    surrogate = surrogate if surrogate is not None else Surrogate()
    report = report if report is not None else Report()
    budget = loop.budget
    edit_explore = loop.edit_explore if loop.edit_explore is not None else edit_explore_for(budget)
    edit_pool = loop.edit_pool if loop.edit_pool is not None else edit_pool_for(budget)
    objective_ = make_objective(objective, minimize=minimize, target=target)
    counted = Oracle(objective_, budget=budget, stop_after_failures=loop.stop_after_failures,
                     **({} if loop.oracle_batch is None else {"batch_size": loop.oracle_batch}))
    journal = None if loop.journal is None else ScoreJournal(Path(loop.journal),
                                                             objective_.description)
    previous = _previous_run(journal, resume=loop.resume)
    counted.restore([(r.smiles, r.score, r.value, r.error, r.call) for r in previous])
    latent = loop.latent_proposals and surrogate.features == "latent"
    if not latent and loop.edit_share == 0:
        raise MolvaeError("with edit_share 0 every call goes to latent proposals, which need "
                          "latent_proposals=True and the predictor on z (features='latent')")
    if loop.latent_ranked and not latent:
        raise MolvaeError("latent_ranked ranks latent proposals beside the graph edits, which "
                          "needs latent_proposals=True and the predictor on z "
                          "(features='latent')")
    session = Session(vae, objective_, counted, constraints, ascent, seed=seed, journal=journal,
                      features=surrogate.features)
    rng = np.random.default_rng(seed)
    edit_rng = random.Random(seed)
    workers = loop.workers or os.cpu_count() or 1

    # 1. the initial population, scored and counted
    if isinstance(loop.initial, int):
        population = sample_dataset(default_dataset(vae, surrogate.dataset),
                                    min(loop.initial, budget // 2), rng)
    else:
        population = canonical_starts(loop.initial)
    started = {r.smiles for r in previous if r.source == "initial"}
    if not started <= set(population):
        raise MolvaeError(f"the journal {loop.journal} began from other starting molecules than "
                          f"this run (another seed, budget or starting set?): resume with the "
                          f"settings of the run that wrote it")
    session.score(population)
    screen = _screening_set(loop, vae, session, surrogate.dataset, seed)
    # the oracle calls used by the end of each round, 0 first (a resumed run's rounds included)
    round_ends = _round_ends(previous, counted.calls)
    per_round = loop.per_round
    if per_round is None:
        per_round = max(100, min(250, (budget - round_ends[0]) // 20))
    lineage = {s: s for s in population}  # molecule -> the initial molecule it descends from
    population_index = {s: i for i, s in enumerate(population)}  # its start_index
    if previous:
        session.rows.append(_resumed_rows(previous, population_index, session))
        for row in previous:
            lineage.setdefault(row.smiles, row.start)
        logger.info("resumed from %s: %d molecules scored in %d rounds, %d calls left",
                    loop.journal, len(previous), len(round_ends) - 1, counted.remaining)

    # 2. rounds
    predictor = None
    noise = loop.start_noise
    stalled = 0
    round_index = len(round_ends) - 1
    rounds = loop.rounds
    while counted.remaining > 0 and stalled < loop.patience and (rounds is None
                                                                  or round_index < rounds):
        round_index += 1
        predictor = session.fit(n_models=surrogate.n_models, seed=seed + round_index)
        limit = min(counted.remaining, per_round if rounds is None else
                    math.ceil(counted.remaining / (rounds - round_index + 1)))
        before = counted.calls
        edits, unranked, proposals = None, 0, None
        if screen:
            _screen_round(session, predictor, screen, round(limit * loop.screen_share),
                          round_index)
        before_edits = counted.calls
        if latent and loop.latent_ranked:  # made first, to compete with the edits for calls
            proposals = _latent_round(session, predictor, counted, rng, lineage, population_index,
                                      n_starts=loop.n_starts, noise=noise,
                                      round_index=round_index)
        if loop.edit_share > 0:
            share = round((limit - (before_edits - before)) * loop.edit_share)
            table = counted.table()
            table = table[np.isfinite(table["score"])]
            t0 = time.perf_counter()
            children = make_children(list(zip(table["score"], table["smiles"])),
                                     share * edit_pool, edit_rng, workers=workers)
            session.timings["edits"] += time.perf_counter() - t0
            roots = [lineage.get(c.parent, c.parent) for c in children]
            edits = session.edit_proposals(
                predictor, [(c.smiles, r, population_index.get(r, -1))
                            for c, r in zip(children, roots)],
                round_index=round_index, skip_known=True)
            edits = edits[np.isfinite(edits["rank"])]  # the loop refits on encodable molecules
            session.rows.append(edits.drop(columns="rank"))
            for smiles, root in zip(edits["smiles"], edits["start"]):
                lineage.setdefault(smiles, root)
            drawn = round(share * edit_explore)
            if drawn:  # children drawn at random, as mol-ga's GA scores all it makes
                session.score_candidates(edits.assign(draw=rng.random(len(edits))), drawn,
                                         by="draw")
                unranked = counted.calls - before_edits  # fewer than drawn when the edits ran short
            ranked = edits
            if proposals is not None and len(proposals):  # rated on their own encodings
                rated = session.rate(predictor, proposals)
                ranked = pd.concat([edits, rated[np.isfinite(rated["rank"])]], ignore_index=True)
            session.score_candidates(ranked, share - (counted.calls - before_edits), by="rank")
        if latent and proposals is None and counted.calls - before < limit:  # calls left
            proposals = _latent_round(session, predictor, counted, rng, lineage, population_index,
                                      n_starts=loop.n_starts, noise=noise,
                                      round_index=round_index)
        n_latent = 0 if proposals is None else proposals["smiles"].nunique()
        if proposals is not None and counted.calls - before < limit:
            session.score_candidates(proposals, limit - (counted.calls - before))
        if edits is not None:  # too few latent proposals: the rest of the round's calls to edits
            session.score_candidates(edits, limit - (counted.calls - before), by="rank")
        new = counted.calls - before
        logger.info("round %d: %d edits%s and %d latent proposals, %d new scored, best %.4g, "
                    "%d/%d calls", round_index, 0 if edits is None else len(edits),
                    f" ({unranked} scored unranked)" if unranked else "",
                    n_latent, new, counted.best, counted.calls, budget)
        stalled = 0 if new else stalled + 1
        noise = loop.start_noise if new else min(1.0, noise * 2)  # stuck: explore further out
        round_ends.append(counted.calls)

    # the initial population is part of the result too (round 0: each molecule its own start),
    # where it meets the constraints
    with rdkit_quiet():
        kept = [s for s in population if constraints.allows(Chem.MolFromSmiles(s))]
    initial_rows = pd.DataFrame({"smiles": kept, "predicted": math.nan, "uncertainty": math.nan,
                                 "step": math.nan, "similarity": 1.0,
                                 "start_index": [population_index[s] for s in kept],
                                 "start": kept, "round": 0, "source": "initial"})
    session.rows.insert(0, initial_rows)
    reference = reference_set(report.novelty_reference, vae, dataset=surrogate.dataset)
    result = session.result(reference=reference, predictor=predictor, t_start=t_start,
                            describe_top=report.describe_top, by_scoring_row=True)
    # a molecule proposed in one round may be scored in a later one: report the round that
    # scored it (one plate of an assay), not the first that proposed it (the row reported is
    # that round's proposal)
    calls = [counted.records[s].call for s in result.frame["smiles"]]
    result.frame["round"] = np.searchsorted(round_ends, calls, side="left")
    return result
