"""Latent-space optimization: gradient ascent on z under a predictor, decoded and truly scored.

:func:`optimize` runs one pass: ``n_starts`` starting points (prior samples, or the encodings of
given molecules) climb ``score(predictor(z)) − λ‖z‖²/2`` with Adam for ``steps`` steps; every
``decode_every`` steps all trajectories are decoded in one batch; the decoded strings are
deduplicated before RDKit parses them; the constraints (heavy-atom cap, kept substructure,
similarity to the start) filter the molecules; the true objective scores each unique molecule
once (an :class:`~molvae.objectives.Oracle`: cached, counted, within the budget); the results are
deduplicated and ranked by the true score.

:func:`optimize_with_oracle` repeats this in rounds against an expensive oracle: fit the predictor
on everything scored so far, make graph edits of the best molecules (:mod:`molvae.graph_edits`)
and score those the predictor rates highest (ascending from the best molecules too, for the calls
the edits leave), refit, and so on until the budget is spent. Every molecule whose true score
is computed counts once, the initial population and the predictor's training molecules included.

>>> import molvae as mv                                                         # doctest: +SKIP
>>> result = mv.optimize(vae, "qed + 0.3*plogp - 0.5*sa", n_starts=512, seed=0)  # doctest: +SKIP
>>> result.frame.head()  # smiles, score, predicted, start, similarity, ...  # doctest: +SKIP
>>> result.history  # best true score so far against oracle calls used      # doctest: +SKIP
>>> save_grid(result.frame, "top.png", n=12)                                    # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import os
import random
import time
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import pandas as pd
import torch
from rdkit import Chem, DataStructs

from molvae.chemistry import compute_properties, has_radical, rdkit_quiet
from molvae.errors import MolvaeError
from molvae.files import atomic_write
from molvae.graph_edits import make_children
from molvae.medchem import DRUG_LIKE, MedChemGuard
from molvae.objectives import Objective, ObjectiveLike, Oracle, make_objective
from molvae.predictor import Adam, LatentPredictor, fit_latent_predictor, model_fingerprint
from molvae.prior import DiffusionPrior
from molvae.progress import shown, track

if TYPE_CHECKING:
    from molvae.vae import MolVAE

__all__ = [
    "Constraints",
    "OptimizeResult",
    "optimize",
    "optimize_with_oracle",
    "ascend",
    "read_starts",
    "save_grid",
    "training_smiles",
]

logger = logging.getLogger(__name__)

StartsLike = Union[Sequence[str], str, os.PathLike, None]
RESULT_COLUMNS = ("smiles", "score", "predicted", "uncertainty", "value", "start", "start_score",
                  "improvement", "similarity", "step", "round", "source", "novel", "qed", "sa",
                  "heavy_atoms", "error")


# --- constraints -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Constraints:
    """What every reported molecule must satisfy.

    ``max_heavy_atoms`` (None: no cap), ``min_similarity`` (Tanimoto of Morgan radius-2,
    2048-bit fingerprints to the molecule's own start; None: no bound), ``substructure``
    (a SMARTS pattern every molecule must contain; None: none), ``allow_radicals`` (False:
    molecules with unpaired electrons are rejected; RDKit accepts them, but a decoder that
    writes ``[NH+]`` with two bonds means ``[NH2+]``, not a radical; SELFIES models already get
    the hydrogens at decoding, SMILES models can still write radicals) and ``guard`` (the
    medicinal-chemistry checks of :class:`~molvae.medchem.MedChemGuard`: structural alerts, ring
    size, SA, valences; :data:`~molvae.medchem.DRUG_LIKE` by default, None: off). An invalid
    SMARTS raises a one-line :class:`MolvaeError`.

    >>> Constraints(substructure="c1ccccc1[N+](=O)[O-]").allows(Chem.MolFromSmiles("Cc1ccccc1"))
    False
    >>> Constraints().allows(Chem.MolFromSmiles("C1CC[NH+]CC1"))  # a radical cation
    False
    >>> Constraints().allows(Chem.MolFromSmiles("O=C1C=CC(=O)C=C1"))  # quinone: a PAINS/Brenk alert
    False
    >>> Constraints(guard=None).allows(Chem.MolFromSmiles("O=C1C=CC(=O)C=C1"))
    True
    >>> Constraints(substructure="C((")
    Traceback (most recent call last):
    molvae.errors.MolvaeError: invalid SMARTS substructure 'C((': RDKit cannot parse it; ...
    """

    max_heavy_atoms: int | None = 38
    min_similarity: float | None = None
    substructure: str | None = None
    allow_radicals: bool = False
    guard: MedChemGuard | None = DRUG_LIKE
    pattern: Chem.Mol | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_heavy_atoms is not None and self.max_heavy_atoms < 1:
            raise MolvaeError(f"max_heavy_atoms must be at least 1 (or None), got "
                              f"{self.max_heavy_atoms}")
        if self.min_similarity is not None and not 0.0 <= self.min_similarity <= 1.0:
            raise MolvaeError(f"min_similarity must be in [0, 1], got {self.min_similarity}")
        if self.substructure is not None:
            with rdkit_quiet():
                pattern = Chem.MolFromSmarts(self.substructure) if self.substructure.strip() else None
            if pattern is None:
                raise MolvaeError(f"invalid SMARTS substructure {self.substructure!r}: RDKit cannot "
                                  "parse it; check brackets, ring digits and atom symbols "
                                  "(e.g. 'c1ccccc1' or '[NX3][CX3](=O)')")
            object.__setattr__(self, "pattern", pattern)

    def allows(self, mol: Chem.Mol) -> bool:
        """The checks that do not depend on the start: heavy atoms, radicals, substructure, the
        medicinal-chemistry guard."""
        if self.max_heavy_atoms is not None and mol.GetNumHeavyAtoms() > self.max_heavy_atoms:
            return False
        if not self.allow_radicals and has_radical(mol):
            return False
        if self.pattern is not None and not mol.HasSubstructMatch(self.pattern):
            return False
        return self.guard is None or self.guard.passes(mol)


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptimizeResult:
    """What an optimization found.

    ``frame``: one row per unique molecule meeting the constraints that the oracle scored,
    ranked by true ``score`` (NaN last); columns ``smiles, score, predicted, uncertainty, value
    (the objective before minimize/target), start, start_score, improvement, similarity (to the
    start), step, round, novel, qed, sa, heavy_atoms, error``. ``history``: best true score so far
    against oracle calls (``oracle_calls, best``). ``candidates``: every (start, molecule) pair
    that met the constraints, before deduplication (for per-start statistics). ``scored``: every
    molecule the oracle was asked about, in order (``smiles, score, value, error, call``),
    including the predictor's training molecules and the initial population.
    """

    frame: pd.DataFrame
    history: pd.DataFrame
    oracle_calls: int
    budget: int | None
    objective: str
    candidates: pd.DataFrame
    scored: pd.DataFrame
    predictor: LatentPredictor | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        best = self.frame["score"].iloc[0] if len(self.frame) else math.nan
        return (f"OptimizeResult({self.objective!r}: {len(self.frame)} molecules, best {best:.4g}, "
                f"{self.oracle_calls} oracle calls{'' if self.budget is None else f' of {self.budget}'})")

    def top(self, n: int = 10) -> pd.DataFrame:
        return self.frame.head(n)

    def best_per_start(self) -> pd.DataFrame:
        """For each start, its best-scoring molecule meeting the constraints (one row per start)."""
        scored = self.candidates.dropna(subset=["score"])
        if scored.empty:
            return scored
        best = scored.sort_values(["score", "similarity"], ascending=False, kind="stable")
        return best.drop_duplicates("start_index").sort_values("start_index").reset_index(drop=True)

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write ``frame`` as CSV, atomically."""
        return atomic_write(path, lambda tmp: self.frame.to_csv(tmp, index=False))

    def save_grid(self, path: str | os.PathLike[str], *, n: int = 12, mols_per_row: int = 4) -> Path:
        return save_grid(self.frame, path, n=n, mols_per_row=mols_per_row)


def save_grid(frame: pd.DataFrame, path: str | os.PathLike[str], *, n: int = 12,
              mols_per_row: int = 4, sub_img_size: tuple[int, int] = (250, 200),
              legend: str = "score") -> Path:
    """Draw the first ``n`` molecules of ``frame`` with their ``legend`` column (PNG or SVG by
    the file's suffix), written atomically (:func:`molvae.plots.molecule_grid`)."""
    from molvae.plots import molecule_grid

    rows = frame.dropna(subset=["smiles"]).head(n)
    molecule_grid(rows, legend=legend if legend in rows else None, mols_per_row=mols_per_row,
                  sub_img_size=sub_img_size, path=path)
    return Path(path)


# --- inputs ----------------------------------------------------------------------------------


def read_starts(starts: StartsLike) -> list[str]:
    """Start molecules: a list of SMILES, one SMILES, or a file (.smi/.txt: first field of each
    line; CSV: its SMILES column; SDF)."""
    if starts is None:
        return []
    if isinstance(starts, os.PathLike) or (isinstance(starts, str) and Path(starts).expanduser()
                                           .is_file()):
        from molvae.data import read_smiles

        return read_smiles(starts)
    if isinstance(starts, str):
        return [starts]
    return list(starts)


def training_smiles(vae: MolVAE) -> Container[str] | None:
    """The molecules the model was trained from (the training split and the held-out ones), as
    something that answers ``smiles in it`` for canonical SMILES: the checkpoint's own
    training-set summary when it has one (:mod:`molvae.training_set`), else the dataset its
    checkpoint names (a dataset name or file whose content fingerprint still matches), else None
    (a model trained on an in-memory DataFrame)."""
    if getattr(vae, "training_set", None) is not None:
        return vae.training_set
    meta = getattr(vae, "metadata", {}) or {}
    data = meta.get("data") or {}
    run = (meta.get("run_config") or {}).get("data") or {}
    source = data.get("source")
    if not source or source == "DataFrame":
        return None
    from molvae.data import load_dataset
    from molvae.errors import DatasetError

    try:
        dataset = load_dataset(run.get("source", source), properties=(),
                               smiles_column=run.get("smiles_column"), limit=run.get("limit"),
                               download=False)
    except (DatasetError, OSError) as exc:
        logger.info("novelty not checked: the training data %r cannot be loaded (%s)", source, exc)
        return None
    if data.get("fingerprint") and dataset.fingerprint != data["fingerprint"]:
        logger.info("novelty not checked: %r has changed since the model was trained", source)
        return None
    return set(dataset.smiles)


def _reference_set(reference: Any, vae: MolVAE) -> Container[str] | None:
    if reference is None:
        return None
    if isinstance(reference, str) and reference == "auto":
        return training_smiles(vae)
    if isinstance(reference, set):
        return reference
    from molvae.chemistry import canonicalize_many
    from molvae.predictor import _dataset_smiles

    return {s for s in canonicalize_many(_dataset_smiles(reference)) if s}


# --- gradient ascent -------------------------------------------------------------------------


_ASCENT_PROGRESS_MIN = 20_000  # trajectory-steps: below this the ascent takes a second or two


def ascend(predictor: LatentPredictor, z0: np.ndarray | torch.Tensor, *, objective: Objective,
           steps: int = 100, lr: float = 0.05, prior_weight: float = 0.1,
           decode_every: int = 10, exploration: float = 0.0, max_norm: float | None = None,
           prior: DiffusionPrior | None = None,
           ) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
    """Adam on ``z`` maximizing ``score(mean + exploration·std) + prior_weight·log p(z)``.

    ``prior`` None: p is N(0, I), so the pull is ``−prior_weight·z`` (the penalty
    ``prior_weight·‖z‖²/2``). A learned :class:`~molvae.prior.DiffusionPrior`: its
    :meth:`~molvae.prior.DiffusionPrior.score` (∇ log p, read from the denoiser) pulls z back
    toward where the training molecules' codes lie instead.

    ``max_norm``: after each step, points farther than this from the origin are projected back
    onto the ball of that radius (a trust region around the prior's typical set).

    Returns ``(snapshot_steps, z, predicted, uncertainty)``: the steps at which a snapshot was
    taken (0, k, 2k, ..., steps), z at those steps (S, N, d), and the predicted score and
    ensemble std there (S, N).
    """
    if steps < 0 or decode_every < 1:
        raise MolvaeError(f"steps must be >= 0 and decode_every >= 1; got {steps}, {decode_every}")
    snapshot_steps = sorted({*range(0, steps + 1, decode_every), steps})
    z = torch.as_tensor(np.asarray(z0, dtype=np.float32) if not isinstance(z0, torch.Tensor)
                        else z0.detach().float()).clone().requires_grad_(True)
    optimizer = Adam([z], lr=lr)
    saved_z, saved_pred, saved_std = [], [], []
    for p in predictor.net.parameters():
        p.requires_grad_(False)
    try:
        for step in track(range(steps + 1), total=steps + 1, description="ascending", unit="step",
                          show=shown(z.shape[0] * steps, _ASCENT_PROGRESS_MIN)):
            with torch.enable_grad():
                members = predictor.forward(z)  # (K, N)
                mean, std = members.mean(0), members.std(0, correction=0)
                if step in snapshot_steps:
                    saved_z.append(z.detach().clone())
                    saved_pred.append(objective.score_torch(mean.detach()))
                    saved_std.append(std.detach())
                if step == steps:
                    break
                gain = objective.score_torch(mean + exploration * std if exploration else mean)
                if prior is None:
                    loss = -(gain - 0.5 * prior_weight * (z * z).sum(1)).sum()
                    grads = torch.autograd.grad(loss, [z])
                else:
                    (grad,) = torch.autograd.grad(-gain.sum(), [z])
                    grads = (grad - prior_weight * prior.score(z.detach()),)
            optimizer.step(grads)
            if max_norm is not None:
                with torch.no_grad():
                    norms = z.norm(dim=1, keepdim=True)
                    z.mul_(torch.clamp(max_norm / norms.clamp_min(1e-12), max=1.0))
    finally:
        for p in predictor.net.parameters():
            p.requires_grad_(True)
    return (snapshot_steps, torch.stack(saved_z).numpy(), torch.stack(saved_pred).numpy(),
            torch.stack(saved_std).numpy())


# --- one session: encode, propose, filter, score ---------------------------------------------


@dataclass(frozen=True)
class _Molecule:
    canonical: str
    heavy_atoms: int
    allowed: bool  # meets the start-independent constraints (heavy atoms, substructure, guard)


_PARALLEL_PARSE_MIN = 6000  # below this many new strings, worker processes cost more than they save


def _parse_chunk(raws: Sequence[str], max_heavy_atoms: int | None, substructure: str | None,
                 allow_radicals: bool, guard: MedChemGuard | None
                 ) -> list[tuple[str, int, bool] | None]:
    """(canonical SMILES, heavy atoms, meets the constraints) of each string; None if invalid."""
    constraints = Constraints(max_heavy_atoms, None, substructure, allow_radicals, guard)
    out: list[tuple[str, int, bool] | None] = []
    with rdkit_quiet():
        for raw in raws:
            mol = Chem.MolFromSmiles(raw)
            if mol is None or mol.GetNumAtoms() == 0:
                out.append(None)
            else:
                out.append((Chem.MolToSmiles(mol), mol.GetNumHeavyAtoms(), constraints.allows(mol)))
    return out


def _parse_many(raws: list[str], constraints: Constraints) -> list[tuple[str, int, bool] | None]:
    """:func:`_parse_chunk` over all strings, in worker processes when there are many."""
    n_jobs = min(os.cpu_count() or 1, 8)
    if len(raws) < _PARALLEL_PARSE_MIN or n_jobs < 2:
        return _parse_chunk(raws, constraints.max_heavy_atoms, constraints.substructure,
                            constraints.allow_radicals, constraints.guard)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from itertools import repeat

    size = math.ceil(len(raws) / (4 * n_jobs))
    chunks = [raws[i:i + size] for i in range(0, len(raws), size)]
    start = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(n_jobs, mp_context=multiprocessing.get_context(start)) as pool:
        parts = pool.map(_parse_chunk, chunks, repeat(constraints.max_heavy_atoms),
                         repeat(constraints.substructure), repeat(constraints.allow_radicals),
                         repeat(constraints.guard))
        return [item for part in parts for item in part]


class _Session:
    """State shared by the rounds: the model, objective, oracle, constraints and caches."""

    def __init__(self, vae: MolVAE, objective: Objective, oracle: Oracle, constraints: Constraints,
                 *, seed: int, decode_batch_size: int, latent_prior: str = "auto") -> None:
        from molvae.chemistry import _morgan_generator

        if latent_prior not in ("auto", "normal"):
            raise MolvaeError(f"latent_prior must be 'auto' (the model's learned prior when it has "
                              f"one) or 'normal' (N(0, I)), got {latent_prior!r}")
        self.vae, self.objective, self.oracle, self.constraints = vae, objective, oracle, constraints
        #: the learned prior that pulls the ascent back toward the data (None: N(0, I))
        self.prior: DiffusionPrior | None = getattr(vae, "prior", None) \
            if latent_prior == "auto" else None
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.decode_batch_size = decode_batch_size
        self.fp_generator = _morgan_generator(2, 2048)
        self.parsed: dict[str, _Molecule | None] = {}  # raw decoded string -> molecule (or None)
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
        for raw, item in zip(new, _parse_many(new, self.constraints)):
            self.parsed[raw] = None if item is None else _Molecule(*item)
        self.timings["rdkit"] += time.perf_counter() - t0

    def fingerprint(self, canonical: str | None) -> Any:
        """Morgan fingerprint of a canonical SMILES (cached); None if it is None or invalid."""
        if canonical is None:
            return None
        fp = self.fingerprints.get(canonical)
        if fp is None:
            with rdkit_quiet():
                mol = Chem.MolFromSmiles(canonical)
            fp = self.fingerprints[canonical] = (self.fp_generator.GetFingerprint(mol)
                                                 if mol is not None else None)
        return fp

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

    def score(self, smiles: Sequence[str]) -> np.ndarray:
        t0 = time.perf_counter()
        out = self.oracle.score(list(smiles), canonical=True)
        self.timings["oracle"] += time.perf_counter() - t0
        return out

    def fit(self, *, n_models: int, seed: int) -> LatentPredictor:
        """Fit the predictor on every molecule scored so far (raw objective values)."""
        table = self.oracle.table()
        table = table[np.isfinite(table["value"])]
        z = self.encode(table["smiles"].tolist())
        t0 = time.perf_counter()
        predictor = fit_latent_predictor(z, table["value"].to_numpy(), target=self.objective.name,
                                         n_models=n_models, seed=seed, valid_fraction=0.1,
                                         model_fingerprint=model_fingerprint(self.vae))
        self.timings["predictor"] += time.perf_counter() - t0
        rep = predictor.report
        logger.info("predictor on %d scored molecules: held-out R2 %.3f, Spearman %.3f",
                    rep.n_train + rep.n_valid, rep.r2, rep.spearman)
        return predictor

    # -- proposals

    def propose(self, predictor: LatentPredictor, z0: np.ndarray,
                starts: Sequence[str | None] | None, start_indices: np.ndarray, *, steps: int,
                lr: float, prior_weight: float, decode_every: int, exploration: float,
                round_index: int, temperature: float | None = None) -> pd.DataFrame:
        """Ascend from ``z0``, decode the snapshots, keep the molecules meeting the constraints.

        One row per (trajectory, molecule): the first snapshot that decoded to it. ``starts``
        None: each trajectory's start is what its step-0 point decodes to greedily (prior
        samples). ``temperature`` None: greedy decoding; a number: each snapshot is decoded by
        sampling tokens at that temperature (seeded by the session's seed and the round).
        """
        t0 = time.perf_counter()
        snap_steps, zs, preds, stds = ascend(predictor, z0, objective=self.objective, steps=steps,
                                             lr=lr, prior_weight=prior_weight,
                                             decode_every=decode_every, exploration=exploration,
                                             prior=self.prior)
        self.timings["ascent"] += time.perf_counter() - t0
        n_snap, n_traj, dim = zs.shape
        t0 = time.perf_counter()
        if temperature is None:
            raws = self.vae.decode_raw(zs.reshape(-1, dim), greedy=True,
                                       batch_size=self.decode_batch_size)
            start_raws = raws[:n_traj]  # snapshot 0 is z0 itself: each start comes for free
        else:
            raws = self.vae.decode_raw(zs.reshape(-1, dim), greedy=False, temperature=temperature,
                                       seed=self.seed * 1009 + round_index,
                                       batch_size=self.decode_batch_size)
            start_raws = (self.vae.decode_raw(zs[0], greedy=True, batch_size=self.decode_batch_size)
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
                       *, exploration: float, round_index: int, skip_known: bool
                       ) -> pd.DataFrame:
        """Graph-edit children (``(smiles, start, start_index)`` triples, :mod:`molvae.graph_edits`)
        meeting the constraints, with the predictor's view of their encodings.

        One row per (start, molecule); the similarity bound is to that start. ``skip_known``:
        drop molecules the oracle has already scored. Column ``rank`` is the optimistic score the
        latent proposals ascend (``mean + exploration·std``); NaN (with ``predicted``) for a
        child the model cannot encode (a token outside its vocabulary).
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
        frame = pd.DataFrame(rows)
        z = self.encode(frame["smiles"].tolist())
        ok = ~np.isnan(z).any(axis=1)
        t0 = time.perf_counter()
        mean, std = (torch.from_numpy(a).float() for a in predictor.predict(z[ok]))
        self.timings["predictor"] += time.perf_counter() - t0
        for column, values in (("predicted", self.objective.score_torch(mean)),
                               ("uncertainty", std),
                               ("rank", self.objective.score_torch(mean + exploration * std))):
            frame[column] = math.nan
            frame.loc[ok, column] = values.numpy()
        frame["step"] = 0
        frame["round"] = round_index
        frame["source"] = "graph"
        return frame

    def scored(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``frame`` (proposals) whose molecule has a finite true score, in a new
        ``score`` column."""
        scores = {s: self.oracle.records[s].score for s in frame["smiles"].unique()
                  if self.oracle.known(s)}
        return frame.assign(score=frame["smiles"].map(scores)).dropna(subset=["score"])

    def family_children(self, per_start: int, rng: random.Random,
                        starts: Sequence[str] | None) -> list[tuple[str, str, int]]:
        """``per_start`` graph-edit children for each start, bred from its family: the start
        and every molecule found for it so far with a true score (all within the constraints).
        ``starts`` None: the starts named in the proposals so far (prior samples).
        """
        t0 = time.perf_counter()
        frame = pd.concat(self.rows, ignore_index=True)
        if starts is None:
            named = frame.drop_duplicates("start_index")
            pairs = list(zip(named["start"], named["start_index"]))
        else:
            pairs = [(start, i) for i, start in enumerate(starts)]
        found = self.scored(frame).drop_duplicates(["start_index", "smiles"])
        families = {i: list(zip(g["score"], g["smiles"]))
                    for i, g in found.groupby("start_index", sort=False)}
        children: list[tuple[str, str, int]] = []
        for start, index in pairs:
            family = list(families.get(index, []))
            if isinstance(start, str) and self.oracle.known(start):
                family.append((self.oracle.records[start].score, start))
            family = [(s, m) for s, m in family if math.isfinite(s)]
            if not family or not isinstance(start, str):
                continue
            children.extend((c.smiles, start, int(index))
                            for c in make_children(family, per_start, rng))
        self.timings["edits"] += time.perf_counter() - t0
        return children

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
            self.score(new)
            if "round" in ranked and "source" in ranked:
                known = [s for s in new if self.oracle.known(s)]
                rows = ranked.drop_duplicates("smiles").set_index("smiles").loc[known]
                self.scored_by.update(zip(rows.index, zip(rows["round"].astype(int).tolist(),
                                                          rows["source"].astype(str).tolist())))

    def centers(self, per_start: int) -> pd.DataFrame:
        """Where the next round restarts, for each start: the start itself (when it was scored)
        and its ``per_start − 1`` best-scoring distinct molecules found so far (all met the
        constraints when proposed); columns ``smiles, start, start_index``."""
        frame = pd.concat(self.rows, ignore_index=True)
        own = frame.drop_duplicates("start_index")[["start", "start_index"]]
        own = own[[isinstance(s, str) and self.oracle.known(s) for s in own["start"]]]
        own = own.assign(smiles=own["start"])
        found = self.scored(frame)
        found = found[found["smiles"] != found["start"]]
        found = found.sort_values("score", ascending=False, kind="stable")
        found = found.drop_duplicates(["start_index", "smiles"])
        found = found.groupby("start_index", sort=False).head(per_start - 1 if len(own) else
                                                              per_start)
        columns = ["smiles", "start", "start_index"]
        both = pd.concat([own[columns], found[columns]], ignore_index=True)
        return both.sort_values("start_index", kind="stable").reset_index(drop=True)

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
        props = compute_properties(frame["smiles"][:n_describe].tolist(), ["qed", "sa",
                                                                           "heavy_atoms"])
        for name in ("qed", "sa"):
            frame[name] = np.concatenate([props[name].to_numpy(),
                                          np.full(len(frame) - n_describe, np.nan)])
        frame.loc[: n_describe - 1, "heavy_atoms"] = props["heavy_atoms"].to_numpy()
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


def _given_starts(session: _Session, starts: StartsLike) -> tuple[np.ndarray, list[str]]:
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


def _check_temperature(temperature: float | None) -> None:
    if temperature is not None and not temperature > 0:
        raise MolvaeError(f"temperature must be positive (or None for greedy decoding), got "
                          f"{temperature}")


def _copies(z: np.ndarray, starts: list[str], start_indices: np.ndarray, copies: int,
            noise: float, rng: np.random.Generator) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Each point ``copies`` times, every copy after the first jittered by ``noise``."""
    z0 = np.repeat(np.asarray(z, dtype=np.float32), copies, axis=0)
    jitter = np.tile(np.arange(copies) > 0, len(z))
    z0[jitter] += noise * rng.standard_normal((int(jitter.sum()), z0.shape[1])).astype(np.float32)
    return z0, [s for s in starts for _ in range(copies)], np.repeat(start_indices, copies)


def _sample_dataset(dataset: Any, n: int, rng: np.random.Generator) -> list[str]:
    from molvae.chemistry import canonicalize_many
    from molvae.predictor import _dataset_smiles

    smiles = _dataset_smiles(dataset if dataset is not None else "zinc")
    if len(smiles) > n:
        smiles = [smiles[i] for i in rng.choice(len(smiles), n, replace=False)]
    return [s for s in canonicalize_many(smiles) if s]


def _default_dataset(vae: MolVAE, dataset: Any) -> Any:
    if dataset is not None:
        return dataset
    if getattr(vae, "training_set", None) is not None and vae.training_set.sample:
        return list(vae.training_set.sample)
    run = (getattr(vae, "metadata", {}) or {}).get("run_config", {}).get("data", {})
    source = (getattr(vae, "metadata", {}) or {}).get("data", {}).get("source")
    if source and source != "DataFrame" and run.get("source"):
        from molvae.data import load_dataset

        return load_dataset(run["source"], properties=(), limit=run.get("limit"), download=False)
    return "zinc"


# --- the entry points ------------------------------------------------------------------------


def optimize(vae: MolVAE, objective: ObjectiveLike, *, n_starts: int = 512, steps: int = 100,
             lr: float = 0.05, prior_weight: float = 0.1, starts: StartsLike = None,
             restarts: int = 1, start_noise: float = 0.1, temperature: float | None = None,
             rounds: int = 1, centers: int = 4, seed: int = 0,
             predictor: LatentPredictor | None = None, dataset: Any = None, n_train: int = 2000,
             n_models: int = 5, budget: int | None = None, min_similarity: float | None = None,
             max_heavy_atoms: int | None = 38, substructure: str | None = None,
             allow_radicals: bool = False, guard: MedChemGuard | None = DRUG_LIKE,
             minimize: bool = False, target: float | None = None, decode_every: int = 10,
             exploration: float = 0.0, novelty_reference: Any = "auto",
             describe_top: int | None = 1000, decode_batch_size: int = 2000,
             graph_edits: int = 0, latent_prior: str = "auto") -> OptimizeResult:
    """Gradient ascent in latent space from ``n_starts`` points; true-scored, ranked results.

    Args:
        objective: a property name (``"plogp"``), an expression (``"qed + 0.3*plogp - 0.5*sa"``),
            a callable ``list[str] -> list[float]`` or an :class:`Objective`. ``minimize`` or a
            ``target`` value (score ``-|x - target|``) change what is maximized.
        starts: SMILES or a file of them: each is encoded and climbs (``restarts`` times, the
            extra copies jittered by ``start_noise``); None: ``n_starts`` draws from the prior.
        predictor: the :class:`LatentPredictor` of the objective's raw value; None fits one on
            ``n_train`` molecules of ``dataset`` (default: the model's training data when its
            checkpoint names it, else ZINC250k) scored by the true objective — counted as oracle
            calls — plus the start molecules.
        budget: the most true-objective evaluations (unique canonical molecules, each counted
            once, start molecules and predictor training set included); None: no limit. When
            the budget cannot cover every proposal, the most promising (by prediction) go first.
        min_similarity, max_heavy_atoms, substructure, allow_radicals, guard: see
            :class:`Constraints`; ``guard`` (default :data:`~molvae.medchem.DRUG_LIKE`) reports
            only molecules free of PAINS/Brenk/MCF alerts, with rings of at most 7 atoms, SA at
            most 4.5 and usual valences; None turns it off (as benchmark protocols without such a
            filter do).
        decode_every: decode every trajectory at steps 0, k, 2k, ..., ``steps``.
        temperature: None decodes each snapshot greedily (its most likely molecule); a number
            samples tokens at that temperature instead, so restarts from one point propose
            different molecules (many more, and more of them close to the start: the setting
            for similarity-constrained optimization, with ``restarts`` of 20 or more).
        rounds, centers: each round after the first restarts ``ceil(restarts / centers)``
            times from each of ``centers`` points per start: the start itself and its best
            molecules found so far (true score; all meeting the constraints, similarity still
            measured to the original start).
        graph_edits: after each round's latent proposals, this many children per start made by
            mol-ga's graph crossover and mutation (:mod:`molvae.graph_edits`) of the start's
            family (the start and the molecules found for it so far, the best bred most often),
            kept where they meet the constraints (the similarity bound to that start) and scored
            (under a ``budget``, those the predictor rates highest first); they are found
            molecules for the next round like any other (``source`` column ``graph``). 0: latent
            proposals only.
        novelty_reference: SMILES (or a dataset) to flag ``novel`` against; ``"auto"``: the
            model's training data when its checkpoint names it (or ``dataset``); None: the
            ``novel`` column is left empty.
        describe_top: QED and SA (reporting columns, not oracle calls) are computed for the
            top this many molecules, NaN below (QED costs more than most objectives); None: all.
        latent_prior: ``"auto"``: the model's learned prior (:mod:`molvae.prior`) when it has
            one, else N(0, I), both for the starting draws and for the ascent's pull toward the
            data (``prior_weight``); ``"normal"``: N(0, I) always.

    Returns an :class:`OptimizeResult`; ``result.frame`` is the ranked DataFrame.
    """
    t_start = time.perf_counter()
    if rounds < 1 or centers < 1 or restarts < 1:
        raise MolvaeError(f"rounds, centers and restarts must be at least 1; got {rounds}, "
                          f"{centers}, {restarts}")
    if graph_edits < 0:
        raise MolvaeError(f"graph_edits is the number of graph-edit children per start and round, "
                          f"0 or more; got {graph_edits}")
    _check_temperature(temperature)
    objective_ = make_objective(objective, minimize=minimize, target=target)
    constraints = Constraints(max_heavy_atoms, min_similarity, substructure, allow_radicals, guard)
    oracle = Oracle(objective_, budget=budget)
    session = _Session(vae, objective_, oracle, constraints, seed=seed,
                       decode_batch_size=decode_batch_size, latent_prior=latent_prior)
    rng = np.random.default_rng(seed)
    edit_rng = random.Random(seed)

    # 1. starting points
    if starts is not None:
        z_given, start_smiles = _given_starts(session, starts)
        session.score(start_smiles)  # counted: improvements are measured against them
        start_list: list[str] | None
        z0, start_list, start_idx = _copies(z_given, start_smiles, np.arange(len(start_smiles)),
                                            restarts, start_noise, rng)
    else:
        if min_similarity is not None:
            raise MolvaeError("min_similarity needs start molecules (starts=...): the similarity "
                              "bound is to each trajectory's own start")
        generator = torch.Generator().manual_seed(seed)
        if session.prior is not None:  # draws where the data's codes lie
            z0 = session.prior.sample(n_starts, generator=generator).cpu().numpy()
        else:
            z0 = torch.randn(n_starts, vae.latent_dim, generator=generator).numpy()
        start_list = None  # each trajectory's start: what its prior draw decodes to
        start_idx = np.arange(n_starts)

    # 2. the predictor (fitted on a dataset sample scored by the true objective)
    if predictor is None:
        n_fit = n_train
        if budget is not None:
            n_fit = min(n_train, max(0, oracle.remaining) // 2)
        if n_fit < 20:
            raise MolvaeError(f"the budget ({budget}) leaves {n_fit} oracle calls to fit a "
                              "predictor; raise the budget or pass a fitted predictor")
        sample = _sample_dataset(_default_dataset(vae, dataset), n_fit, rng)
        session.score(sample[: int(min(len(sample), oracle.remaining))])
        predictor = session.fit(n_models=n_models, seed=seed)
    elif predictor.latent_dim != vae.latent_dim:
        raise MolvaeError(f"the predictor takes z of dimension {predictor.latent_dim}, this model "
                          f"has {vae.latent_dim}; fit a predictor for this model")

    # 3. ascend, decode, filter; 4. score (most promising first when the budget is short);
    # later rounds restart from each start's best molecules so far
    for round_index in range(1, rounds + 1):
        if round_index > 1:
            best = session.centers(centers)
            z_best = session.encode(best["smiles"].tolist()) if len(best) else np.zeros((0, 1))
            ok = ~np.isnan(z_best).any(axis=1)
            if not ok.any() or oracle.remaining <= 0:
                break
            best = best[ok]
            z0, start_list, start_idx = _copies(
                z_best[ok], best["start"].tolist(), best["start_index"].to_numpy(),
                math.ceil(restarts / centers), start_noise, rng)
        frame = session.propose(predictor, z0, start_list, start_idx, steps=steps, lr=lr,
                                prior_weight=prior_weight, decode_every=decode_every,
                                exploration=exploration, round_index=round_index,
                                temperature=temperature)
        session.rows.append(frame)
        session.score_candidates(frame, oracle.remaining)
        if graph_edits and oracle.remaining > 0:
            edits = session.edit_proposals(
                predictor, session.family_children(
                    graph_edits, edit_rng, start_smiles if starts is not None else None),
                exploration=exploration, round_index=round_index, skip_known=False)
            session.rows.append(edits.drop(columns="rank"))
            session.score_candidates(edits, oracle.remaining, by="rank")
    reference = _reference_set(novelty_reference if novelty_reference != "auto" or dataset is None
                               else dataset, vae)
    return session.result(reference=reference, predictor=predictor, t_start=t_start,
                          describe_top=describe_top)


def _latent_round(session: _Session, predictor: LatentPredictor, counted: Oracle,
                  rng: np.random.Generator, lineage: dict[str, str],
                  population_index: dict[str, int], *, n_starts: int, noise: float, steps: int,
                  lr: float, prior_weight: float, decode_every: int, exploration: float,
                  round_index: int, temperature: float | None) -> pd.DataFrame:
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
    frame = session.propose(predictor, z0, roots, root_indices, steps=steps, lr=lr,
                            prior_weight=prior_weight, decode_every=decode_every,
                            exploration=exploration, round_index=round_index,
                            temperature=temperature)
    session.rows.append(frame)
    for smiles, root in zip(frame["smiles"], frame["start"]):
        lineage.setdefault(smiles, root)
    return frame


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


def optimize_with_oracle(vae: MolVAE, oracle: ObjectiveLike, *, budget: int,
                         rounds: int | None = None, per_round: int | None = None,
                         patience: int = 5,
                         n_starts: int = 256,
                         initial: Sequence[str] | int = 1000, seed: int = 0, steps: int = 50,
                         lr: float = 0.05, prior_weight: float = 0.1, decode_every: int = 5,
                         start_noise: float = 0.1, exploration: float = 0.5,
                         temperature: float | None = None, n_models: int = 5,
                         dataset: Any = None, min_similarity: float | None = None,
                         max_heavy_atoms: int | None = 38, substructure: str | None = None,
                         allow_radicals: bool = False,
                         guard: MedChemGuard | None = DRUG_LIKE, minimize: bool = False,
                         target: float | None = None,
                         novelty_reference: Any = "auto", describe_top: int | None = 1000,
                         decode_batch_size: int = 2000, graph_edits: float = 1.0,
                         edit_pool: int = 10, edit_explore: float | None = None,
                         latent_prior: str = "auto") -> OptimizeResult:
    """Rounds of propose → score → refit against an oracle, never exceeding ``budget`` calls.

    The initial population (``initial`` SMILES, or that many random molecules of ``dataset``) is
    scored first and counts against the budget. Each round fits the predictor on everything
    scored so far, ascends from the best-scoring molecules (``n_starts``: half the top ones, half
    drawn at random from the rest; jittered by ``start_noise``) with an optimistic objective
    (``mean + exploration·std``), and scores up to ``per_round`` of the most promising new
    molecules (None: a twentieth of the budget left after the initial population, at least
    100 and at most 250; more, smaller rounds find better molecules for the same calls).
    ``rounds`` None: rounds continue until the budget is spent, or until
    ``patience`` rounds in a row find nothing new (the start jitter doubles after each such
    round); a number: at most that many rounds, the remaining budget spread evenly over them.
    ``temperature``: as in :func:`optimize` (None: greedy decoding; a number: sampled decodes).

    ``graph_edits``: the share of each round's calls spent on graph edits instead of latent
    proposals: ``edit_pool`` times that many children of the scored molecules are made by
    mol-ga's graph crossover and mutation (:mod:`molvae.graph_edits`), encoded, and the ones the
    predictor rates highest (by the same optimistic objective) are scored; calls left unused by
    one kind go to the other. 1 (the default, the best measured in BENCHMARKS.md): edits first,
    latent proposals only when the edits run out of new molecules; 0: latent proposals only.
    Each result's ``source`` column says which kind found it (``initial``, ``latent`` or
    ``graph``). ``edit_explore``: the share of the edit calls that go to children drawn
    at random instead of ranked by the predictor (mol-ga's GA scores every child it makes);
    0: all are ranked; None (the default): :func:`edit_explore_for` the budget, 0 up to 5,000
    calls and 0.5 from 20,000.

    ``latent_prior``: as in :func:`optimize` (the ascent's pull toward the data).

    ``min_similarity``, ``max_heavy_atoms``, ``substructure``, ``allow_radicals`` and ``guard``
    (the medicinal-chemistry checks, on by default): see :class:`Constraints`. Molecules that fail
    them are neither scored nor reported (the initial population is scored as given, and reported
    where it meets them).

    An oracle that raises or returns NaN for a molecule is recorded (NaN score, ``error``),
    never fatal.

    Each result's ``start`` is the initial-population molecule its lineage began from (a
    proposal from a molecule found in an earlier round inherits that molecule's start), so
    ``min_similarity`` keeps every reported molecule close to one of the initial molecules.
    Its ``round`` is the round whose calls scored it (0: the initial population).
    """
    t_start = time.perf_counter()
    if budget < 2:
        raise MolvaeError(f"budget must be at least 2 oracle calls, got {budget}")
    if not 0.0 <= graph_edits <= 1.0:
        raise MolvaeError(f"graph_edits is the share of each round's oracle calls spent on graph "
                          f"edits, between 0 and 1; got {graph_edits}")
    if edit_pool < 1:
        raise MolvaeError(f"edit_pool must be at least 1 (children made per call spent on them); "
                          f"got {edit_pool}")
    if edit_explore is None:
        edit_explore = edit_explore_for(budget)
    if not 0.0 <= edit_explore <= 1.0:
        raise MolvaeError(f"edit_explore is the share of the graph-edit calls given to unranked "
                          f"children, between 0 and 1; got {edit_explore}")
    _check_temperature(temperature)
    objective_ = make_objective(oracle, minimize=minimize, target=target)
    constraints = Constraints(max_heavy_atoms, min_similarity, substructure, allow_radicals, guard)
    counted = Oracle(objective_, budget=budget)
    session = _Session(vae, objective_, counted, constraints, seed=seed,
                       decode_batch_size=decode_batch_size, latent_prior=latent_prior)
    rng = np.random.default_rng(seed)
    edit_rng = random.Random(seed)

    # 1. the initial population, scored and counted
    if isinstance(initial, int):
        population = _sample_dataset(_default_dataset(vae, dataset), min(initial, budget // 2), rng)
    else:
        from molvae.chemistry import canonicalize_many

        population = [s for s in canonicalize_many(read_starts(initial)) if s]
    session.score(population)
    round_ends = [counted.calls]  # the oracle calls used by the end of each round, 0 first
    if per_round is None:
        per_round = max(100, min(250, counted.remaining // 20))
    lineage = {s: s for s in population}  # molecule -> the initial molecule it descends from
    population_index = {s: i for i, s in enumerate(population)}  # its start_index

    # 2. rounds
    predictor = None
    noise = start_noise
    stalled = 0
    round_index = 0
    while counted.remaining > 0 and stalled < patience and (rounds is None or round_index < rounds):
        round_index += 1
        predictor = session.fit(n_models=n_models, seed=seed + round_index)
        limit = min(counted.remaining, per_round if rounds is None else
                    math.ceil(counted.remaining / (rounds - round_index + 1)))
        before = counted.calls
        edits, unranked = None, 0
        if graph_edits > 0:
            share = round(limit * graph_edits)
            table = counted.table()
            table = table[np.isfinite(table["score"])]
            t0 = time.perf_counter()
            children = make_children(list(zip(table["score"], table["smiles"])),
                                     share * edit_pool, edit_rng)
            session.timings["edits"] += time.perf_counter() - t0
            roots = [lineage.get(c.parent, c.parent) for c in children]
            edits = session.edit_proposals(
                predictor, [(c.smiles, r, population_index.get(r, -1))
                            for c, r in zip(children, roots)],
                exploration=exploration, round_index=round_index, skip_known=True)
            edits = edits[np.isfinite(edits["rank"])]  # the loop refits on encodable molecules
            session.rows.append(edits.drop(columns="rank"))
            for smiles, root in zip(edits["smiles"], edits["start"]):
                lineage.setdefault(smiles, root)
            drawn = round(share * edit_explore)
            if drawn:  # children drawn at random, as mol-ga's GA scores all it makes
                session.score_candidates(edits.assign(draw=rng.random(len(edits))), drawn,
                                         by="draw")
                unranked = counted.calls - before  # fewer than drawn when the edits ran short
            session.score_candidates(edits, share - (counted.calls - before), by="rank")
        n_latent = 0
        if counted.calls - before < limit:  # latent proposals only when calls are left for them
            frame = _latent_round(session, predictor, counted, rng, lineage, population_index,
                                  n_starts=n_starts, noise=noise, steps=steps, lr=lr,
                                  prior_weight=prior_weight, decode_every=decode_every,
                                  exploration=exploration, round_index=round_index,
                                  temperature=temperature)
            n_latent = frame["smiles"].nunique()
            session.score_candidates(frame, limit - (counted.calls - before))
        if edits is not None:  # too few latent proposals: the rest of the round's calls to edits
            session.score_candidates(edits, limit - (counted.calls - before), by="rank")
        new = counted.calls - before
        logger.info("round %d: %d edits%s and %d latent proposals, %d new scored, best %.4g, "
                    "%d/%d calls", round_index, 0 if edits is None else len(edits),
                    f" ({unranked} scored unranked)" if unranked else "",
                    n_latent, new, counted.best, counted.calls, budget)
        stalled = 0 if new else stalled + 1
        noise = start_noise if new else min(1.0, noise * 2)  # stuck: explore further out
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
    reference = _reference_set(novelty_reference if novelty_reference != "auto" or dataset is None
                               else dataset, vae)
    result = session.result(reference=reference, predictor=predictor, t_start=t_start,
                            describe_top=describe_top, by_scoring_row=True)
    # a molecule proposed in one round may be scored in a later one: report the round that
    # scored it (one plate of an assay), not the first that proposed it (the row reported is
    # that round's proposal)
    calls = [counted.records[s].call for s in result.frame["smiles"]]
    result.frame["round"] = np.searchsorted(round_ends, calls, side="left")
    return result
