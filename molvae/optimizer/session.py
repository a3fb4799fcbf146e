"""One optimization's shared state: the model, the objective behind its counted oracle, the
constraints, and the caches that make every molecule parsed, fingerprinted and encoded once.

:class:`Session` turns points in z into scored molecules: :meth:`~Session.propose` ascends,
decodes and filters; :meth:`~Session.edit_proposals` ranks graph-edit children by the
predictor; :meth:`~Session.score_candidates` spends oracle calls on the most promising;
:meth:`~Session.result` builds the ranked table.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Container, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from rdkit import DataStructs

from molvae.chemistry import compute_properties, fingerprint_array, parse_record
from molvae.journal import ScoreJournal, ScoredRow
from molvae.objectives import Objective
from molvae.optimizer.ascent import ascend
from molvae.optimizer.constraints import Constraints, Molecule, parse_many
from molvae.optimizer.options import Ascent
from molvae.optimizer.results import RESULT_COLUMNS, OptimizeResult
from molvae.oracle import Oracle
from molvae.predictor import LatentPredictor, fit_latent_predictor, model_fingerprint
from molvae.prior import DiffusionPrior

if TYPE_CHECKING:
    from molvae.latent_model import LatentModel

__all__ = ["Session"]

logger = logging.getLogger(__name__)


class Session:
    """State shared by the rounds: the model, objective, oracle, constraints and caches."""

    def __init__(self, vae: LatentModel, objective: Objective, oracle: Oracle, constraints: Constraints,
                 ascent: Ascent, *, seed: int, journal: ScoreJournal | None = None,
                 features: str = "latent") -> None:
        self.vae, self.objective, self.oracle, self.constraints = vae, objective, oracle, constraints
        #: where every scored molecule is written as soon as it is scored (None: nowhere)
        self.journal = journal
        #: what the predictor reads: "latent" (encoder means) or "fingerprint" (Morgan bits)
        self.features = features
        self.fingerprint_rows: dict[str, np.ndarray] = {}
        #: the learned prior that pulls the ascent back toward the data (None: N(0, I))
        self.prior: DiffusionPrior | None = getattr(vae, "prior", None) \
            if ascent.latent_prior == "auto" else None
        self.ascent = ascent
        self.seed = seed
        self.parsed: dict[str, Molecule | None] = {}  # raw decoded string -> molecule (or None)
        self.fingerprints: dict[str, Any] = {}  # canonical -> Morgan r2 2048-bit fingerprint
        self.latents: dict[str, np.ndarray] = {}  # canonical -> encoder mean
        self.rows: list[pd.DataFrame] = []  # candidates of every round
        # molecule -> (round, source) of the proposal row that had it scored
        self.scored_by: dict[str, tuple[int, str]] = {}
        self.timings: dict[str, float] = {"ascent": 0.0, "decode": 0.0, "rdkit": 0.0,
                                          "oracle": 0.0, "predictor": 0.0, "encode": 0.0,
                                          "describe": 0.0, "edits": 0.0}
        self.n_decoded = 0

    # -- molecules

    def inspect(self, raws: Sequence[str | None]) -> None:
        """Parse each new decoded string once: canonical SMILES, heavy atoms, constraints."""
        t0 = time.perf_counter()
        new = [r for r in dict.fromkeys(r for r in raws if r) if r not in self.parsed]
        molecules = parse_many(new, self.constraints)
        self.parsed.update(zip(new, molecules))
        for mol in molecules:  # parsed with their fingerprints when a similarity bound needs them
            if mol is not None and mol.record.fingerprint is not None:
                self.fingerprints.setdefault(mol.canonical, mol.record.fingerprint)
        self.timings["rdkit"] += time.perf_counter() - t0

    def fingerprint(self, canonical: str | None) -> Any:
        """Morgan fingerprint of a canonical SMILES (cached); None if it is None or invalid."""
        if canonical is None:
            return None
        if canonical not in self.fingerprints:  # a start or found molecule not decoded here
            record = parse_record(canonical, fingerprint=True)
            self.fingerprints[canonical] = record.fingerprint if record is not None else None
        return self.fingerprints[canonical]

    def similarity(self, smiles: str, start: str | None) -> float:
        a, b = self.fingerprint(smiles), self.fingerprint(start)
        return math.nan if a is None or b is None else DataStructs.TanimotoSimilarity(a, b)

    def encode(self, smiles: Sequence[str]) -> np.ndarray:
        """Encoder means of canonical SMILES (cached); NaN rows for those the model cannot encode."""
        t0 = time.perf_counter()
        new = [s for s in dict.fromkeys(smiles) if s not in self.latents]
        if new:
            z = self.vae.encode(new, on_invalid="nan")
            self.latents.update(zip(new, z))
        self.timings["encode"] += time.perf_counter() - t0
        return np.stack([self.latents[s] for s in smiles]) if smiles else \
            np.zeros((0, self.vae.latent_dim), np.float32)

    def featurize(self, smiles: Sequence[str]) -> np.ndarray:
        """What the predictor reads of canonical SMILES: encoder means (:meth:`encode`) or Morgan
        fingerprints (radius 2, 2,048 bits; cached); NaN rows where there is none."""
        if self.features == "latent":
            return self.encode(smiles)
        t0 = time.perf_counter()
        new = [s for s in dict.fromkeys(smiles) if s not in self.fingerprint_rows]
        if new:
            bits, valid = fingerprint_array(new, 2, 2048)
            rows = bits.astype(np.float32)
            rows[~valid] = np.nan
            self.fingerprint_rows.update(zip(new, rows))
        self.timings["encode"] += time.perf_counter() - t0
        return np.stack([self.fingerprint_rows[s] for s in smiles]) if smiles else \
            np.zeros((0, 2048), np.float32)

    def score(self, smiles: Sequence[str],
              origins: dict[str, tuple[int, str, str]] | None = None) -> np.ndarray:
        """Scores of canonical SMILES (new ones counted), each batch written to the journal as
        soon as it is scored with its ``origins`` (molecule -> round, source, start)."""
        t0 = time.perf_counter()
        origins = origins or {}

        def write(batch: list[str]) -> None:
            if self.journal is not None:
                records = self.oracle.records
                self.journal.append([
                    ScoredRow(records[s].call, s, records[s].score, records[s].value,
                              records[s].error, *origins.get(s, (0, "initial", s)))
                    for s in batch])

        out = self.oracle.score(list(smiles), canonical=True, on_batch=write)
        self.timings["oracle"] += time.perf_counter() - t0
        return out

    def fit(self, *, n_models: int, seed: int) -> LatentPredictor:
        """Fit the predictor on every molecule scored so far (raw objective values)."""
        table = self.oracle.table()
        table = table[np.isfinite(table["value"])]
        z = self.featurize(table["smiles"].tolist())
        t0 = time.perf_counter()
        predictor = fit_latent_predictor(z, table["value"].to_numpy(), target=self.objective.name,
                                         n_models=n_models, seed=seed, valid_fraction=0.1,
                                         model_fingerprint=model_fingerprint(self.vae)
                                         if self.features == "latent" else "")
        self.timings["predictor"] += time.perf_counter() - t0
        rep = predictor.report
        logger.info("predictor on %d scored molecules: held-out R2 %.3f, Spearman %.3f",
                    rep.n_train + rep.n_valid, rep.r2, rep.spearman)
        return predictor

    # -- proposals

    def propose(self, predictor: LatentPredictor, z0: np.ndarray,
                starts: Sequence[str | None] | None, start_indices: np.ndarray, *,
                round_index: int) -> pd.DataFrame:
        """Ascend from ``z0``, decode the snapshots, keep the molecules meeting the constraints.

        One row per (trajectory, molecule): the first snapshot that decoded to it. ``starts``
        None: each trajectory's start is what its step-0 point decodes to greedily (prior
        samples). The session's :class:`Ascent` sets the climb and the decoding: greedy, or
        tokens sampled at its temperature (seeded by the session's seed and the round).
        """
        t0 = time.perf_counter()
        options = self.ascent
        snap_steps, zs, preds, stds = ascend(
            predictor, z0, objective=self.objective, steps=options.steps, lr=options.lr,
            prior_weight=options.prior_weight, decode_every=options.decode_every,
            exploration=options.exploration, prior=self.prior)
        temperature = options.sampling_temperature
        batch_size = options.decode_batch_size
        self.timings["ascent"] += time.perf_counter() - t0
        n_snap, n_traj, dim = zs.shape
        t0 = time.perf_counter()
        if temperature is None:
            raws = self.vae.decode_raw(zs.reshape(-1, dim), greedy=True,
                                       batch_size=batch_size)
            start_raws = raws[:n_traj]  # snapshot 0 is z0 itself: each start comes for free
        else:
            raws = self.vae.decode_raw(zs.reshape(-1, dim), greedy=False, temperature=temperature,
                                       seed=self.seed * 1009 + round_index,
                                       batch_size=batch_size)
            start_raws = (self.vae.decode_raw(zs[0], greedy=True, batch_size=batch_size)
                          if starts is None else [])
        self.timings["decode"] += time.perf_counter() - t0
        self.n_decoded += len(raws) + (len(start_raws) if temperature is not None else 0)
        self.inspect([*raws, *start_raws])
        if starts is None:
            start_mols = [self.parsed.get(raw) if raw else None for raw in start_raws]
            starts = [m.canonical if m is not None else None for m in start_mols]
        bound = self.constraints.min_similarity
        t0 = time.perf_counter()
        # trajectory-major order, so the first occurrence per trajectory is its earliest step
        flat = np.arange(n_snap * n_traj).reshape(n_snap, n_traj).T.reshape(-1)
        seen: set[tuple[int, str]] = set()
        rows: dict[str, list[Any]] = {k: [] for k in ("smiles", "predicted", "uncertainty", "step",
                                                      "trajectory", "similarity")}
        for index in flat:
            mol = self.parsed.get(raws[index]) if raws[index] else None
            if mol is None or not mol.allowed:
                continue
            traj = int(index % n_traj)
            key = (traj, mol.canonical)
            if key in seen:
                continue
            seen.add(key)
            sim = math.nan  # without a bound, computed later for the reported rows only
            if bound is not None:
                sim = self.similarity(mol.canonical, starts[traj])
                if not sim >= bound:
                    continue
            snap = int(index // n_traj)
            rows["smiles"].append(mol.canonical)
            rows["predicted"].append(float(preds[snap, traj]))
            rows["uncertainty"].append(float(stds[snap, traj]))
            rows["step"].append(snap_steps[snap])
            rows["trajectory"].append(traj)
            rows["similarity"].append(sim)
        self.timings["rdkit"] += time.perf_counter() - t0
        frame = pd.DataFrame(rows)
        traj = frame["trajectory"].to_numpy(dtype=int)
        frame["start_index"] = np.asarray(start_indices, dtype=int)[traj] if len(frame) else []
        frame["start"] = [starts[t] for t in traj]
        frame["round"] = round_index
        frame["source"] = "latent"
        return frame.drop(columns="trajectory")

    def edit_proposals(self, predictor: LatentPredictor, children: Sequence[tuple[str, str, int]],
                       *, round_index: int, skip_known: bool
                       ) -> pd.DataFrame:
        """Graph-edit children (``(smiles, start, start_index)`` triples, :mod:`molvae.graph_edits`)
        meeting the constraints, with the predictor's view of their encodings.

        One row per (start, molecule); the similarity bound is to that start. ``skip_known``:
        drop molecules the oracle has already scored. Column ``rank`` is the optimistic score the
        latent proposals ascend (``mean + exploration·std``, the session's :class:`Ascent`); NaN
        (with ``predicted``) for a child the model cannot encode (a token outside its vocabulary).
        """
        self.inspect([smiles for smiles, _, _ in children])
        bound = self.constraints.min_similarity
        t0 = time.perf_counter()
        rows: dict[str, list[Any]] = {k: [] for k in ("smiles", "start", "start_index",
                                                      "similarity")}
        taken: set[tuple[int, str]] = set()
        for smiles, start, start_index in children:
            mol = self.parsed.get(smiles)
            if mol is None or not mol.allowed or (start_index, mol.canonical) in taken \
                    or (skip_known and self.oracle.known(mol.canonical)):
                continue
            taken.add((start_index, mol.canonical))
            sim = math.nan
            if bound is not None:
                sim = self.similarity(mol.canonical, start)
                if not sim >= bound:
                    continue
            rows["smiles"].append(mol.canonical)
            rows["start"].append(start)
            rows["start_index"].append(start_index)
            rows["similarity"].append(sim)
        self.timings["rdkit"] += time.perf_counter() - t0
        frame = self.rate(predictor, pd.DataFrame(rows))
        frame["step"] = 0
        frame["round"] = round_index
        frame["source"] = "graph"
        return frame

    def rate(self, predictor: LatentPredictor, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (column ``smiles``, canonical) with the predictor's view of each molecule's
        own features: ``predicted``, ``uncertainty`` and ``rank``, the optimistic score the
        latent proposals ascend (``mean + exploration·std``); NaN for a molecule without
        features (a token outside the model's vocabulary)."""
        frame = frame.copy()
        z = self.featurize(frame["smiles"].tolist())
        ok = ~np.isnan(z).any(axis=1)
        t0 = time.perf_counter()
        mean, std = (torch.from_numpy(a).float() for a in predictor.predict(z[ok]))
        self.timings["predictor"] += time.perf_counter() - t0
        for column, values in (("predicted", self.objective.score_torch(mean)),
                               ("uncertainty", std),
                               ("rank", self.objective.score_torch(
                                   mean + self.ascent.exploration * std))):
            frame[column] = math.nan
            frame.loc[ok, column] = values.numpy()
        return frame

    def scored(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``frame`` (proposals) whose molecule has a finite true score, in a new
        ``score`` column."""
        scores = {s: self.oracle.records[s].score for s in frame["smiles"].unique()
                  if self.oracle.known(s)}
        return frame.assign(score=frame["smiles"].map(scores)).dropna(subset=["score"])

    def score_candidates(self, frame: pd.DataFrame, limit: float, *, by: str = "predicted"
                         ) -> None:
        """Score up to ``limit`` new unique molecules of ``frame``, highest ``by`` first."""
        if frame.empty:
            return
        ranked = frame.sort_values(by, ascending=False, kind="stable")
        new = [s for s in dict.fromkeys(ranked["smiles"]) if not self.oracle.known(s)]
        if math.isfinite(limit):
            new = new[: max(0, int(limit))]
        if new:
            first = ranked.drop_duplicates("smiles").set_index("smiles")
            origins = {}
            if "round" in ranked and "source" in ranked:
                rows = first.loc[new]
                origins = {s: (int(r), str(src), str(start)) for s, r, src, start in zip(
                    rows.index, rows["round"], rows["source"], rows["start"])}
            self.score(new, origins)
            self.scored_by.update((s, origins[s][:2]) for s in new
                                  if s in origins and self.oracle.known(s))

    # -- the result

    def result(self, *, reference: Container[str] | None, predictor: LatentPredictor | None,
               t_start: float, describe_top: int | None, by_scoring_row: bool = False
               ) -> OptimizeResult:
        """The result table. ``by_scoring_row``: each molecule's row (its predicted value, step,
        source, start) is the proposal that had it scored (the oracle loop, where a molecule
        proposed in one round may be scored in a later one); otherwise the one closest to its
        start."""
        candidates = pd.concat(self.rows, ignore_index=True) if self.rows else pd.DataFrame(
            columns=["smiles", "predicted", "uncertainty", "step", "similarity", "start_index",
                     "start", "round", "source"])
        oracle = self.oracle
        scored_mask = np.array([oracle.known(s) for s in candidates["smiles"]], dtype=bool)
        candidates = candidates.loc[scored_mask].reset_index(drop=True)
        candidates["score"] = [oracle.records[s].score for s in candidates["smiles"]]
        candidates["start_score"] = [oracle.records[s].score if isinstance(s, str)
                                     and oracle.known(s) else math.nan
                                     for s in candidates["start"]]
        candidates["improvement"] = candidates["score"] - candidates["start_score"]
        # one row per molecule (all its rows share the score): the one closest to its start
        # (when similarities were needed for a bound), then the first round and step found
        ordered = candidates.assign(_sim=candidates["similarity"].astype(float).fillna(-1.0))
        ordered["_by"] = [by_scoring_row and self.scored_by.get(s) == (r, src) for s, r, src
                          in zip(ordered["smiles"], ordered["round"], ordered["source"])]
        ordered = ordered.sort_values(["_by", "_sim", "round", "step"],
                                      ascending=[False, False, True, True], kind="stable")
        frame = ordered.drop_duplicates("smiles").drop(columns=["_sim", "_by"])
        frame = frame.sort_values(["score", "predicted"], ascending=False, na_position="last",
                                  kind="stable").reset_index(drop=True)
        frame["value"] = [oracle.value_of(s) for s in frame["smiles"]]
        frame["error"] = [oracle.error_of(s) for s in frame["smiles"]]
        missing = frame["similarity"].isna().to_numpy()
        frame.loc[missing, "similarity"] = [
            self.similarity(s, start if isinstance(start, str) else None)
            for s, start in zip(frame["smiles"][missing], frame["start"][missing])]
        frame["novel"] = [s not in reference for s in frame["smiles"]] if reference is not None \
            else None
        t0 = time.perf_counter()
        heavy = {m.canonical: m.heavy_atoms for m in self.parsed.values() if m is not None}
        frame["heavy_atoms"] = [float(heavy.get(s, math.nan)) for s in frame["smiles"]]
        n_describe = len(frame) if describe_top is None else min(len(frame), describe_top)
        props = compute_properties(frame["smiles"][:n_describe].tolist(), ["qed", "sa"])
        for name in ("qed", "sa"):
            frame[name] = np.concatenate([props[name].to_numpy(),
                                          np.full(len(frame) - n_describe, np.nan)])
        if frame["heavy_atoms"].isna().any():  # molecules not decoded here (initial population)
            gaps = frame["heavy_atoms"].isna().to_numpy()
            frame.loc[gaps, "heavy_atoms"] = compute_properties(
                frame["smiles"][gaps].tolist(), ["heavy_atoms"])["heavy_atoms"].to_numpy()
        self.timings["describe"] += time.perf_counter() - t0
        columns = [c for c in RESULT_COLUMNS if c in frame] + ["start_index"]
        self.timings["total"] = time.perf_counter() - t_start
        return OptimizeResult(frame=frame[columns], history=oracle.history(),
                              oracle_calls=oracle.calls, budget=oracle.budget,
                              objective=self.objective.description, candidates=candidates,
                              scored=oracle.table(), predictor=predictor,
                              timings={**self.timings, "decoded": float(self.n_decoded)})
