"""The one-shot search: start points climb the predictor, their decodings are scored once.

``n_starts`` prior draws (or the encodings of given molecules) climb ``score(predictor(z)) +
prior_weight·log p(z)``; every ``decode_every`` steps all trajectories are decoded in one batch;
the constraints filter the molecules; the true objective scores each unique molecule once (an
:class:`~molvae.oracle.Oracle`: cached, counted, within the budget); the results are ranked
by the true score. Later rounds restart from each start's best finds, and graph edits of each
start's family can join the latent proposals.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from molvae.errors import MolvaeError
from molvae.graph_edits import make_children
from molvae.objectives import ObjectiveLike, make_objective
from molvae.optimizer.constraints import Constraints
from molvae.optimizer.inputs import (
    StartsLike,
    default_dataset,
    read_starts,
    reference_set,
    sample_dataset,
)
from molvae.optimizer.options import Ascent, Report, Search, Surrogate
from molvae.optimizer.results import OptimizeResult
from molvae.optimizer.session import Session
from molvae.oracle import Oracle
from molvae.predictor import LatentPredictor

if TYPE_CHECKING:
    from molvae.latent_model import LatentModel

__all__ = ["optimize"]

logger = logging.getLogger(__name__)


def _given_starts(session: Session, starts: StartsLike) -> tuple[np.ndarray, list[str]]:
    from molvae.chemistry import canonicalize_many

    raw = read_starts(starts)
    canonical = canonicalize_many(raw)
    bad = [r for r, c in zip(raw, canonical) if c is None]
    kept = [c for c in canonical if c is not None]
    z = session.encode(kept)
    ok = ~np.isnan(z).any(axis=1)
    if bad or not ok.all():
        logger.warning("%d of %d start molecules skipped (invalid SMILES or not encodable by this "
                       "model), e.g. %r", len(bad) + int((~ok).sum()), len(raw),
                       (bad or [k for k, good in zip(kept, ok) if not good])[0])
    if not ok.any():
        raise MolvaeError(f"none of the {len(raw)} start molecules can be encoded by this model")
    return z[ok], [k for k, good in zip(kept, ok) if good]


def _copies(z: np.ndarray, starts: list[str], start_indices: np.ndarray, copies: int,
            noise: float, rng: np.random.Generator) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Each point ``copies`` times, every copy after the first jittered by ``noise``."""
    z0 = np.repeat(np.asarray(z, dtype=np.float32), copies, axis=0)
    jitter = np.tile(np.arange(copies) > 0, len(z))
    z0[jitter] += noise * rng.standard_normal((int(jitter.sum()), z0.shape[1])).astype(np.float32)
    return z0, [s for s in starts for _ in range(copies)], np.repeat(start_indices, copies)


def optimize(vae: LatentModel, objective: ObjectiveLike, search: Search | None = None, *,
             ascent: Ascent | None = None, constraints: Constraints | None = None,
             surrogate: Surrogate | None = None, predictor: LatentPredictor | None = None,
             report: Report | None = None, minimize: bool = False, target: float | None = None,
             seed: int = 0) -> OptimizeResult:
    """Gradient ascent in latent space; true-scored, ranked results.

    Args:
        objective: a property name (``"plogp"``), an expression (``"qed + 0.3*plogp - 0.5*sa"``),
            a callable ``list[str] -> list[float]`` or an :class:`~molvae.objectives.Objective`.
            ``minimize`` or a ``target`` value (score ``-|x - target|``) change what is maximized.
        search: where the trajectories start and how they are refined (:class:`Search`; None:
            512 prior draws, one round); :mod:`molvae.optimizer.presets` names the recipes for
            start molecules and similarity bounds.
        ascent: the climb and the decoding (:class:`Ascent`; None: its defaults).
        constraints: what every reported molecule must satisfy (:class:`Constraints`; None: at
            most 38 heavy atoms, no radicals, the medicinal-chemistry guard on).
        surrogate, predictor: a fitted :class:`LatentPredictor` of the objective's raw value, or
            None to fit one as ``surrogate`` says (its training molecules are oracle calls).
        report: what the table describes (:class:`Report`).

    Returns an :class:`OptimizeResult`; ``result.frame`` is the ranked DataFrame.
    """
    t_start = time.perf_counter()
    search = search if search is not None else Search()
    ascent = ascent if ascent is not None else Ascent()
    constraints = constraints if constraints is not None else Constraints()
    surrogate = surrogate if surrogate is not None else Surrogate()
    report = report if report is not None else Report()
    objective_ = make_objective(objective, minimize=minimize, target=target)
    oracle = Oracle(objective_, budget=search.budget)
    session = Session(vae, objective_, oracle, constraints, ascent, seed=seed)
    rng = np.random.default_rng(seed)
    edit_rng = random.Random(seed)

    # 1. starting points
    start_list: list[str] | None
    if search.molecules is not None:
        z_given, start_smiles = _given_starts(session, search.molecules)
        session.score(start_smiles)  # counted: improvements are measured against them
        z0, start_list, start_idx = _copies(z_given, start_smiles, np.arange(len(start_smiles)),
                                            search.restarts, search.start_noise, rng)
    else:
        if constraints.min_similarity is not None:
            raise MolvaeError("min_similarity needs start molecules (Search(molecules=...)): the "
                              "similarity bound is to each trajectory's own start")
        generator = torch.Generator().manual_seed(seed)
        if session.prior is not None:  # draws where the data's codes lie
            z0 = session.prior.sample(search.n_starts, generator=generator).cpu().numpy()
        else:
            z0 = torch.randn(search.n_starts, vae.latent_dim, generator=generator).numpy()
        start_list = None  # each trajectory's start: what its prior draw decodes to
        start_idx = np.arange(search.n_starts)

    # 2. the predictor (fitted on a dataset sample scored by the true objective)
    if predictor is None:
        n_fit = surrogate.n_train
        if search.budget is not None:
            n_fit = min(surrogate.n_train, max(0, oracle.remaining) // 2)
        if n_fit < 20:
            raise MolvaeError(f"the budget ({search.budget}) leaves {n_fit} oracle calls to fit a "
                              "predictor; raise the budget or pass a fitted predictor")
        sample = sample_dataset(default_dataset(vae, surrogate.dataset), n_fit, rng)
        session.score(sample[: int(min(len(sample), oracle.remaining))])
        predictor = session.fit(n_models=surrogate.n_models, seed=seed)
    elif predictor.latent_dim != vae.latent_dim:
        raise MolvaeError(f"the predictor takes z of dimension {predictor.latent_dim}, this model "
                          f"has {vae.latent_dim}; fit a predictor for this model")

    # 3. ascend, decode, filter; 4. score (most promising first when the budget is short);
    # later rounds restart from each start's best molecules so far
    for round_index in range(1, search.rounds + 1):
        if round_index > 1:
            best = _centers(session, search.centers)
            z_best = session.encode(best["smiles"].tolist()) if len(best) else np.zeros((0, 1))
            ok = ~np.isnan(z_best).any(axis=1)
            if not ok.any() or oracle.remaining <= 0:
                break
            best = best[ok]
            z0, start_list, start_idx = _copies(
                z_best[ok], best["start"].tolist(), best["start_index"].to_numpy(),
                math.ceil(search.restarts / search.centers), search.start_noise, rng)
        frame = session.propose(predictor, z0, start_list, start_idx, round_index=round_index)
        session.rows.append(frame)
        session.score_candidates(frame, oracle.remaining)
        if search.edits_per_start and oracle.remaining > 0:
            edits = session.edit_proposals(
                predictor, _family_children(
                    session, search.edits_per_start, edit_rng,
                    start_smiles if search.molecules is not None else None),
                round_index=round_index, skip_known=False)
            session.rows.append(edits.drop(columns="rank"))
            session.score_candidates(edits, oracle.remaining, by="rank")
    reference = reference_set(report.novelty_reference, vae, dataset=surrogate.dataset)
    return session.result(reference=reference, predictor=predictor, t_start=t_start,
                          describe_top=report.describe_top)


def _family_children(session: Session, per_start: int, rng: random.Random,
                     starts: Sequence[str] | None) -> list[tuple[str, str, int]]:
    """``per_start`` graph-edit children for each start, bred from its family: the start
    and every molecule found for it so far with a true score (all within the constraints).
    ``starts`` None: the starts named in the proposals so far (prior samples).
    """
    t0 = time.perf_counter()
    frame = pd.concat(session.rows, ignore_index=True)
    if starts is None:
        named = frame.drop_duplicates("start_index")
        pairs = list(zip(named["start"], named["start_index"]))
    else:
        pairs = [(start, i) for i, start in enumerate(starts)]
    found = session.scored(frame).drop_duplicates(["start_index", "smiles"])
    families = {i: list(zip(g["score"], g["smiles"]))
                for i, g in found.groupby("start_index", sort=False)}
    children: list[tuple[str, str, int]] = []
    for start, index in pairs:
        family = list(families.get(index, []))
        if isinstance(start, str) and session.oracle.known(start):
            family.append((session.oracle.records[start].score, start))
        family = [(s, m) for s, m in family if math.isfinite(s)]
        if not family or not isinstance(start, str):
            continue
        children.extend((c.smiles, start, int(index))
                        for c in make_children(family, per_start, rng))
    session.timings["edits"] += time.perf_counter() - t0
    return children


def _centers(session: Session, per_start: int) -> pd.DataFrame:
    """Where the next round restarts, for each start: the start itself (when it was scored)
    and its ``per_start − 1`` best-scoring distinct molecules found so far (all met the
    constraints when proposed); columns ``smiles, start, start_index``."""
    frame = pd.concat(session.rows, ignore_index=True)
    own = frame.drop_duplicates("start_index")[["start", "start_index"]]
    own = own[[isinstance(s, str) and session.oracle.known(s) for s in own["start"]]]
    own = own.assign(smiles=own["start"])
    found = session.scored(frame)
    found = found[found["smiles"] != found["start"]]
    found = found.sort_values("score", ascending=False, kind="stable")
    found = found.drop_duplicates(["start_index", "smiles"])
    found = found.groupby("start_index", sort=False).head(per_start - 1 if len(own) else
                                                          per_start)
    columns = ["smiles", "start", "start_index"]
    both = pd.concat([own[columns], found[columns]], ignore_index=True)
    return both.sort_values("start_index", kind="stable").reset_index(drop=True)
