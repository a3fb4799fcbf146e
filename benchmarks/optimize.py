"""Latent optimization benchmarks: unconstrained plogP / QED, similarity-constrained plogP on the
800-molecule set, oracle-in-the-loop against mol-ga's GA at fixed budgets, and throughput.

    python benchmarks/optimize.py --model runs/zinc/best --out bench-out/optimize.json
    python benchmarks/optimize.py --model runs/toy/best --parts timing --timing-starts 10000

Parts (``--parts``, comma-separated; default all):

``unconstrained``  ``optimize(vae, "plogp")`` and ``optimize(vae, "qed")`` from ``--n-starts``
    prior samples, once per seed (``--unconstrained-objectives``, ``--unconstrained-temperature``
    for sampled decodes, ``--unconstrained-rounds``): top-3 molecules with their true scores, and
    the top-1 mean ± sd over the seeds. plogP is the unnormalized
    ``logp − sa − cycle`` (molvae's ``plogp``), ≤ 38 heavy atoms; QED and SA are reported beside
    every plogP molecule. The predictor is fitted on ``--n-train`` ZINC molecules scored by the
    true property; those calls are counted and reported.
``constrained``  the 800 molecules of ``zinc_plogp_800.txt`` (``--constrained-limit`` for fewer)
    at δ = ``--deltas``: each start is encoded, climbs ``--restarts`` times (jittered) with step
    size ``--constrained-lr``, its snapshots decoded by sampling at ``--temperature`` (0:
    greedy), for ``--rounds`` rounds (each later one restarting from the start and its
    ``--centers`` − 1 best molecules so far; with more than one round each δ is its own run);
    its best molecule with Tanimoto ≥ δ (Morgan r2, 2048 bits) and a higher plogP than the start
    is its result. Reports mean ± sd plogP improvement over the successful starts (and over all starts,
    a failure counting 0), mean similarity of those results and the success rate. The score is
    unnormalized plogP for both start and result (the file's own second column is logP − SA).
``oracle``  ``optimize_with_oracle`` against mol-ga's ``default_ga`` at ``--budgets`` oracle
    calls, seeds ``--seeds``, from the same random ZINC250k molecules (1,000, or a quarter of a
    smaller budget; counted in both budgets), on QED, similarity to celecoxib, the mean
    similarity to camphor and menthol (GuacaMol's median-1 molecules), to tadalafil and
    sildenafil (its median-2 molecules; ``median_tadalafil_sildenafil``, not in the default list)
    and ``qed + 0.3*plogp - 0.5*sa`` (``--oracle-temperature``, ``--oracle-lr`` set molvae's
    decoding and step size; ``--graph-edits``, ``--edit-pool`` its share of graph-edit
    proposals, 0 for latent proposals only; ``--per-round`` its calls per round). Each unique
    canonical SMILES scored counts once; molecules over the heavy-atom cap are rejected before
    scoring (uncounted) for both methods. Reports best and top-10 mean.
``timing``  ``--timing-starts`` prior samples × ``--timing-steps`` Adam steps, decoded every
    ``--decode-every`` steps, every unique valid molecule scored by RDKit (plogP), with a
    predictor fitted beforehand (its fit timed separately); wall-clock and a breakdown. Each
    ``--timing-decode-every`` value runs in a fresh process.

None of these protocols (nor mol-ga's GA) filters by medicinal-chemistry alerts, so every part
runs with molvae's guard off (``guard=None``; the optimizer's default for users is
``molvae.medchem.DRUG_LIKE``), and the report says so (``"medchem_guard": "off"``).

mol_ga is imported only inside the oracle part: importing it silences RDKit's error log for the
whole process. Writes a JSON report (``--out``).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import resource
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from common import data_dir  # noqa: E402  (molvae from this checkout)

from molvae.chemistry import (  # noqa: E402
    canonicalize_many,
    compute_properties,
    morgan_fingerprints,
)
from molvae.data import read_smiles, zinc250k_path  # noqa: E402
from molvae.objectives import Objective, make_objective  # noqa: E402
from molvae.oracle import Oracle  # noqa: E402
from molvae.optimizer import (  # noqa: E402
    Ascent,
    Constraints,
    Loop,
    Report,
    Search,
    Surrogate,
    optimize,
    optimize_with_oracle,
)
from molvae.optimizer.presets import LOOP_ASCENT  # noqa: E402
from molvae.predictor import fit_predictor  # noqa: E402
from molvae.vae import MolVAE  # noqa: E402

logger = logging.getLogger("benchmarks.optimize")

CONSTRAINED_FILE = data_dir() / "zinc_plogp_800.txt"
CELECOXIB = "Cc1ccc(-c2cc(C(F)(F)F)nn2-c2ccc(S(N)(=O)=O)cc2)cc1"
CAMPHOR = "CC1(C)C2CCC1(C)C(=O)C2"
MENTHOL = "CC(C)C1CCC(C)CC1O"
TADALAFIL = "CN1CC(=O)N2C(Cc3c([nH]c4ccccc34)C2c2ccc3c(c2)OCO3)C1=O"
SILDENAFIL = "CCCc1nn(C)c2c(=O)[nH]c(-c3cc(S(=O)(=O)N4CCN(C)CC4)ccc3OCC)nc12"


# --- objectives of the oracle part ----------------------------------------------------------


def _similarity_to(*references: str):
    """Mean Tanimoto (Morgan r2, 2048 bits) to ``references``; NaN for an invalid molecule."""
    from rdkit import DataStructs

    ref_fps = morgan_fingerprints(list(references))

    def score(smiles: list[str]) -> list[float]:
        out = []
        for fp in morgan_fingerprints(smiles):
            out.append(math.nan if fp is None else
                       float(np.mean(DataStructs.BulkTanimotoSimilarity(fp, ref_fps))))
        return out

    return score


def oracle_objectives(names: list[str]) -> dict[str, Objective]:
    available = {
        "qed": make_objective("qed"),
        "plogp": make_objective("plogp"),
        "celecoxib_similarity": make_objective(_similarity_to(CELECOXIB), name="celecoxib_similarity"),
        "median_camphor_menthol": make_objective(_similarity_to(CAMPHOR, MENTHOL),
                                                 name="median_camphor_menthol"),
        "median_tadalafil_sildenafil": make_objective(_similarity_to(TADALAFIL, SILDENAFIL),
                                                      name="median_tadalafil_sildenafil"),
        "qed+0.3plogp-0.5sa": make_objective("qed + 0.3*plogp - 0.5*sa"),
    }
    unknown = [n for n in names if n not in available]
    if unknown:
        raise SystemExit(f"unknown objective(s) {unknown}; choose from {list(available)}")
    return {n: available[n] for n in names}


# --- helpers ---------------------------------------------------------------------------------


def zinc_sample(n: int, seed: int) -> list[str]:
    smiles = read_smiles(zinc250k_path())
    rng = np.random.default_rng(seed)
    picked = [smiles[i] for i in rng.choice(len(smiles), n, replace=False)]
    return [s for s in canonicalize_many(picked) if s]


def top_rows(frame, n: int, columns: list[str]) -> list[dict[str, Any]]:
    rows = frame.head(n)[[c for c in columns if c in frame]].to_dict("records")
    return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
            for r in rows]


def summary(values: np.ndarray) -> dict[str, float]:
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return {"mean": math.nan, "sd": math.nan, "n": 0}
    return {"mean": float(values.mean()), "sd": float(values.std(ddof=0)), "n": int(len(values))}


# --- parts -----------------------------------------------------------------------------------


def run_unconstrained(vae: MolVAE, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in args.unconstrained_objectives:
        runs = []
        for seed in args.seeds:
            t0 = time.perf_counter()
            result = optimize(
                vae, name, Search(n_starts=args.n_starts, rounds=args.unconstrained_rounds,
                                  restarts=1),
                ascent=Ascent(steps=args.steps, lr=args.lr, prior_weight=args.prior_weight,
                              decode_every=args.decode_every, latent_prior=args.latent_prior,
                              temperature=args.unconstrained_temperature),
                constraints=Constraints(max_heavy_atoms=args.max_heavy_atoms, guard=None),
                surrogate=Surrogate(n_train=args.n_train, dataset=str(zinc250k_path())),
                report=Report(novelty_reference=None), seed=seed)
            frame = result.frame
            extra = compute_properties(frame["smiles"].head(3).tolist(), ["plogp", "logp", "cycle"])
            top = top_rows(frame, 3, ["smiles", "score", "qed", "sa", "heavy_atoms", "step"])
            for row, (_, props) in zip(top, extra.iterrows()):
                row.update({k: float(v) for k, v in props.items()})
            runs.append({"seed": seed, "top3": top, "oracle_calls": result.oracle_calls,
                         "predictor_r2": result.predictor.report.r2 if result.predictor else None,
                         "unique_valid_molecules": len(frame),
                         "seconds": time.perf_counter() - t0})
            logger.info("%s seed %d: top-3 %s (%.0f s)", name, seed,
                        [round(r["score"], 3) for r in top], runs[-1]["seconds"])
        out[name] = {"runs": runs, "top1": summary([r["top3"][0]["score"] for r in runs]),
                     "n_starts": args.n_starts, "decode_every": args.decode_every,
                     "temperature": args.unconstrained_temperature,
                     "rounds": args.unconstrained_rounds,
                     "definition": "plogp = logp - sa - cycle (unnormalized), <= "
                                   f"{args.max_heavy_atoms} heavy atoms" if name == "plogp"
                     else "RDKit QED"}
    return out


def run_constrained(vae: MolVAE, args: argparse.Namespace) -> dict[str, Any]:
    lines = [line.split() for line in args.constrained_file.read_text().splitlines() if line.strip()]
    starts = [fields[0] for fields in lines][: args.constrained_limit]
    t0 = time.perf_counter()
    # one plogP predictor for all δ, fitted on ZINC molecules scored by RDKit
    sample = zinc_sample(args.n_train, args.seeds[0])
    values = compute_properties(sample, ["plogp"])["plogp"].to_numpy()
    predictor = fit_predictor(vae, sample, values, target="plogp", seed=args.seeds[0])
    out: dict[str, Any] = {"n_starts": len(starts), "restarts": args.restarts,
                           "score": "plogp = logp - sa - cycle (unnormalized), start and result",
                           "predictor_oracle_calls": len(sample),
                           "predictor_r2": predictor.report.r2, "deltas": {}}
    search = Search(starts, restarts=args.restarts, start_noise=args.start_noise,
                    rounds=args.rounds, centers=args.centers,
                    edits_per_start=args.constrained_graph_edits)
    ascent = Ascent(steps=args.steps, lr=args.constrained_lr, prior_weight=args.prior_weight,
                    decode_every=args.decode_every, temperature=args.temperature,
                    latent_prior=args.latent_prior)
    out["settings"] = {**{k: v for k, v in asdict(search).items() if k != "molecules"},
                       **asdict(ascent), "seed": args.seeds[0],
                       "max_heavy_atoms": args.max_heavy_atoms}
    out["optimize_seconds"], out["oracle_calls"] = 0.0, len(sample)
    # With one round the ascent does not depend on δ (the bound only filters what is decoded),
    # so one run with every candidate's similarity computed (δ = 0) serves all δ: for each, the
    # same trajectories filtered at that bound, exactly what a separate run at δ would report.
    # Later rounds restart from molecules meeting the bound, so there each δ is its own run.
    # Graph edits breed from the molecules found so far, so with them each δ is its own run too.
    shared = args.rounds == 1 and not args.constrained_graph_edits
    runs = {None: 0.0} if shared else {delta: delta for delta in args.deltas}
    results = {}
    for key, bound in runs.items():
        t1 = time.perf_counter()
        result = optimize(vae, "plogp", search, ascent=ascent, predictor=predictor,
                          constraints=Constraints(max_heavy_atoms=args.max_heavy_atoms,
                                                  min_similarity=bound, guard=None),
                          report=Report(novelty_reference=None), seed=args.seeds[0])
        out["optimize_seconds"] += time.perf_counter() - t1
        out["oracle_calls"] += result.oracle_calls
        results[key] = result
        logger.info("constrained run at δ=%s: %.0f s, %d oracle calls", bound,
                    time.perf_counter() - t1, result.oracle_calls)
    for delta in args.deltas:
        result = results[None if shared else delta]
        candidates = result.candidates.dropna(subset=["score"])
        kept = candidates[candidates["similarity"] >= delta]
        best = kept.sort_values(["score", "similarity"], ascending=False, kind="stable")
        best = best.drop_duplicates("start_index")
        improved = best[best["improvement"] > 0]
        all_improvements = np.zeros(len(starts))
        all_improvements[: len(improved)] = improved["improvement"].to_numpy()
        out["deltas"][str(delta)] = {
            "improvement_success": summary(improved["improvement"].to_numpy()),
            "improvement_all": summary(all_improvements),
            "similarity_success": summary(improved["similarity"].to_numpy()),
            "success_rate": len(improved) / len(starts),
            "starts_with_a_result": int(len(best)),
            "oracle_calls": result.oracle_calls,
        }
        logger.info("delta %.1f: improvement %.2f ± %.2f, success %.1f%%", delta,
                    out["deltas"][str(delta)]["improvement_success"]["mean"],
                    out["deltas"][str(delta)]["improvement_success"]["sd"],
                    100 * len(improved) / len(starts))
    out["seconds"] = time.perf_counter() - t0
    return out


class BudgetSpent(Exception):
    """Raised by :class:`BudgetedGAOracle` to stop the GA at the budget."""


_REJECTED = -1e6  # the GA's quantile sampling needs finite scores


class BudgetedGAOracle:
    """Score SMILES for the GA with molvae's :class:`~molvae.oracle.Oracle` (each unique
    canonical SMILES counted once, within the budget); molecules over the heavy-atom cap are
    rejected (a very low score, uncounted, like the VAE's filter); oracle failures score that low
    too; raises BudgetSpent once the budget is used up."""

    def __init__(self, objective: Objective, budget: int, max_heavy_atoms: int | None) -> None:
        self.oracle, self.cap = Oracle(objective, budget=budget), max_heavy_atoms

    @property
    def scores(self) -> dict[str, float]:
        """Canonical SMILES -> score (NaN: the oracle failed), in scoring order."""
        return {smiles: record.score for smiles, record in self.oracle.records.items()}

    def __call__(self, smiles: list[str]) -> list[float]:
        canonical = canonicalize_many(smiles)
        keys = list(canonical)
        if self.cap is not None:  # no cap (PMO): no heavy-atom count needed
            atoms = compute_properties([c or "" for c in canonical],
                                       ["heavy_atoms"])["heavy_atoms"]
            keys = [c if c is not None and n <= self.cap else None
                    for c, n in zip(canonical, atoms)]
        new = [k for k in dict.fromkeys(k for k in keys if k) if not self.oracle.known(k)]
        spent = len(new) > self.oracle.remaining
        scores = self.oracle.score([k or "" for k in keys], canonical=True)
        if spent:
            raise BudgetSpent
        return [_REJECTED if not math.isfinite(v) else float(v) for v in scores]


def _top_stats(scores: dict[str, float]) -> dict[str, Any]:
    """Best and top-10 mean of ``scores`` (SMILES -> score), and the best molecule's SMILES."""
    ranked = sorted(((v, k) for k, v in scores.items() if math.isfinite(v)), reverse=True)
    values = np.array([v for v, _ in ranked])
    return {"best": float(values[0]) if len(values) else math.nan,
            "top10_mean": float(values[:10].mean()) if len(values) else math.nan,
            "best_smiles": ranked[0][1] if ranked else None}


def _breakdown(result: Any) -> dict[str, float]:
    """Seconds per step of an optimization run (``result.timings`` less the decode count)."""
    return {key: round(v, 2) for key, v in result.timings.items() if key != "decoded"}


def initial_population(initial: int, budget: int) -> int:
    """The starting population for ``budget``: ``initial``, but at most a quarter of the budget.

    It is counted in the budget, so 1,000 starting molecules would spend a 1,000-call budget
    before either method proposed anything (both would report the same random molecules).
    """
    return max(1, min(initial, budget // 4))


def run_oracle(vae: MolVAE, args: argparse.Namespace) -> dict[str, Any]:
    import random

    from mol_ga import default_ga  # silences RDKit's error log for the process: imported here

    objectives = oracle_objectives(args.objectives)
    out: dict[str, Any] = {"budgets": args.budgets, "seeds": args.seeds,
                           "initial_population": {str(b): initial_population(args.initial, b)
                                                  for b in args.budgets},
                           "results": {}}
    for name, objective in objectives.items():
        out["results"][name] = {}
        for budget in args.budgets:
            rows: dict[str, list[dict[str, float]]] = {"vae": [], "ga": []}
            for seed in args.seeds:
                population = zinc_sample(initial_population(args.initial, budget), seed)
                t0 = time.perf_counter()
                result = optimize_with_oracle(
                    vae, objective,
                    Loop(budget, initial=population, per_round=args.per_round,
                         n_starts=args.oracle_starts, edit_share=args.graph_edits,
                         edit_pool=args.edit_pool, edit_explore=args.edit_explore),
                    ascent=replace(LOOP_ASCENT, steps=args.oracle_steps, lr=args.oracle_lr,
                                   temperature=args.oracle_temperature),
                    constraints=Constraints(max_heavy_atoms=args.max_heavy_atoms, guard=None),
                    report=Report(novelty_reference=None), seed=seed)
                scores = dict(zip(result.scored["smiles"], result.scored["score"]))
                vae_row = {"seed": seed, **_top_stats(scores), "calls": result.oracle_calls,
                           "seconds": time.perf_counter() - t0, "breakdown": _breakdown(result)}
                rows["vae"].append(vae_row)
                if not args.no_ga:
                    t0 = time.perf_counter()
                    ga_oracle = BudgetedGAOracle(objective, budget, args.max_heavy_atoms)
                    try:
                        default_ga(starting_population_smiles=population,
                                   scoring_function=ga_oracle, max_generations=10**6,
                                   offspring_size=args.ga_offspring,
                                   population_size=args.ga_population, rng=random.Random(seed))
                    except BudgetSpent:
                        pass
                    rows["ga"].append({"seed": seed, **_top_stats(ga_oracle.scores),
                                       "calls": len(ga_oracle.scores),
                                       "seconds": time.perf_counter() - t0})
                logger.info("%s budget %d seed %d: vae %s | ga %s", name, budget, seed, vae_row,
                            rows["ga"][-1] if rows["ga"] else None)
            out["results"][name][str(budget)] = {
                method: {"best": summary([r["best"] for r in runs]),
                         "top10_mean": summary([r["top10_mean"] for r in runs]),
                         "calls": [r["calls"] for r in runs],
                         "seconds": summary([r["seconds"] for r in runs]),
                         "per_seed": runs}
                for method, runs in rows.items() if runs}
    return out


def _timing_in_fresh_processes(args: argparse.Namespace) -> dict[str, Any]:
    """One child process per ``--timing-decode-every`` value: timed after another setting in the
    same process, decoding every 25 steps took 90.9 s instead of 71.9 s (2026-11-22; a larger
    parent makes every worker fork costlier, which is the likely cause)."""
    import subprocess
    import tempfile

    out: dict[str, Any] = {"runs": [], "fresh_process_per_setting": True}
    for k in args.timing_decode_every:
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "timing.json"
            command = [sys.executable, __file__, "--model", str(args.model), "--parts", "timing",
                       "--timing-decode-every", str(k), "--timing-starts", str(args.timing_starts),
                       "--timing-steps", str(args.timing_steps), "--n-train", str(args.n_train),
                       "--max-heavy-atoms", str(args.max_heavy_atoms), "--device", args.device,
                       "--out", str(report)]
            if args.threads:
                command += ["--threads", str(args.threads)]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            child = json.loads(report.read_text())["timing"]
        out.update({key: child[key] for key in ("starts", "steps")})
        out.setdefault("predictor_fit_seconds", []).append(child["predictor_fit_seconds"])
        out["runs"] += child["runs"]
    return out


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (worker pools), user + system."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_timing(vae: MolVAE, args: argparse.Namespace) -> dict[str, Any]:
    if len(args.timing_decode_every) > 1:
        return _timing_in_fresh_processes(args)
    sample = zinc_sample(args.n_train, 0)
    values = compute_properties(sample, ["plogp"])["plogp"].to_numpy()
    t0 = time.perf_counter()
    predictor = fit_predictor(vae, sample, values, target="plogp", seed=0)
    fit_seconds = time.perf_counter() - t0  # (the first fit also pays one-time torch warm-up)
    out: dict[str, Any] = {"starts": args.timing_starts, "steps": args.timing_steps,
                           "predictor_fit_seconds": fit_seconds, "runs": []}
    for k in args.timing_decode_every:
        cpu0 = _cpu_seconds()
        t0 = time.perf_counter()
        result = optimize(vae, "plogp", Search(n_starts=args.timing_starts),
                          ascent=Ascent(steps=args.timing_steps, decode_every=k),
                          predictor=predictor,
                          constraints=Constraints(max_heavy_atoms=args.max_heavy_atoms, guard=None),
                          report=Report(novelty_reference=None), seed=0)
        seconds = time.perf_counter() - t0
        run = {"decode_every": k, "seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu0,
               "load_average_1min": os.getloadavg()[0], "decoded": result.timings["decoded"],
               "unique_valid_scored": result.oracle_calls,
               "breakdown": _breakdown(result),
               "best_plogp": float(result.frame["score"].iloc[0]) if len(result.frame) else None}
        out["runs"].append(run)
        logger.info("timing: %s", run)
    return out


# --- main ------------------------------------------------------------------------------------


def _items(text: str) -> list[str]:
    """The comma-separated items of a command-line value, stripped, empty ones dropped."""
    return [x.strip() for x in text.split(",") if x.strip()]


def _floats(text: str) -> list[float]:
    return [float(x) for x in _items(text)]


def _ints(text: str) -> list[int]:
    return [int(x) for x in _items(text)]


def _unconstrained_names(text: str) -> list[str]:
    """plogp and/or qed: the two objectives whose definition the report states."""
    names = _items(text)
    unknown = [x for x in names if x not in ("plogp", "qed")]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"expected plogp and/or qed, got {text!r}")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="checkpoint folder or .safetensors file")
    parser.add_argument("--parts", default="unconstrained,constrained,oracle,timing")
    parser.add_argument("--out", type=Path, default=None, help="JSON report path")
    parser.add_argument("--seeds", type=_ints, default=[0, 1, 2])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--max-heavy-atoms", type=int, default=38)
    # ascent
    parser.add_argument("--n-starts", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--prior-weight", type=float, default=0.1)
    parser.add_argument("--latent-prior", default="auto", choices=["auto", "normal"],
                        help="the ascent's prior (unconstrained and constrained parts): the "
                             "model's learned prior when it has one (auto), or N(0, I)")
    parser.add_argument("--decode-every", type=int, default=10)
    parser.add_argument("--unconstrained-objectives", type=_unconstrained_names,
                        default=["plogp", "qed"], help="plogp and/or qed")
    parser.add_argument("--unconstrained-temperature", type=float, default=0.0,
                        help="decode the unconstrained trajectories by sampling (0: greedy)")
    parser.add_argument("--unconstrained-rounds", type=int, default=1,
                        help="rounds of optimize(); later ones restart from each start's best")
    parser.add_argument("--n-train", type=int, default=5000,
                        help="ZINC molecules scored to fit the predictor (counted)")
    # constrained
    parser.add_argument("--constrained-file", type=Path, default=CONSTRAINED_FILE)
    parser.add_argument("--constrained-limit", type=int, default=None)
    parser.add_argument("--deltas", type=_floats, default=[0.0, 0.2, 0.4, 0.6])
    parser.add_argument("--restarts", type=int, default=40)
    parser.add_argument("--start-noise", type=float, default=0.1)
    parser.add_argument("--constrained-lr", type=float, default=0.005,
                        help="Adam step size of the constrained part (small: stay near the start)")
    parser.add_argument("--temperature", type=float, default=1.0,
                        help="decode by sampling at this temperature; 0 for greedy decoding")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--centers", type=int, default=4)
    parser.add_argument("--constrained-graph-edits", type=int, default=0,
                        help="graph-edit children per start and round (optimize's graph_edits)")
    # oracle in the loop
    parser.add_argument("--budgets", type=_ints, default=[1000, 5000, 20000])
    parser.add_argument("--objectives", type=_items,
                        default=["qed", "celecoxib_similarity", "median_camphor_menthol",
                                 "qed+0.3plogp-0.5sa"])
    parser.add_argument("--initial", type=int, default=1000,
                        help="starting population (at most a quarter of each budget)")
    parser.add_argument("--per-round", type=int, default=None,
                        help="molecules scored per round (default: the library's, a twentieth of "
                             "the budget left after the initial population, 100 to 250)")
    parser.add_argument("--oracle-starts", type=int, default=256)
    parser.add_argument("--oracle-steps", type=int, default=50)
    parser.add_argument("--oracle-lr", type=float, default=0.05)
    parser.add_argument("--oracle-temperature", type=float, default=0.0,
                        help="decode proposals by sampling at this temperature; 0: greedy")
    parser.add_argument("--graph-edits", type=float, default=1.0,
                        help="share of each round's calls spent on graph edits (0: latent only)")
    parser.add_argument("--edit-pool", type=int, default=None,
                        help="children made per call spent on graph edits (default: molvae's, "
                             "by the budget: 10, 3 from 10,000 calls on)")
    parser.add_argument("--edit-explore", type=float, default=None,
                        help="share of the graph-edit calls given to unranked children "
                             "(default: molvae's, by the budget: 0 up to 5,000 calls, 0.5 from "
                             "20,000)")
    parser.add_argument("--ga-offspring", type=int, default=200)
    parser.add_argument("--ga-population", type=int, default=10_000)
    parser.add_argument("--no-ga", action="store_true")
    # timing
    parser.add_argument("--timing-starts", type=int, default=10_000)
    parser.add_argument("--timing-steps", type=int, default=100)
    parser.add_argument("--timing-decode-every", type=_ints, default=[10, 25])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)

    vae = MolVAE.load(args.model, device=args.device)
    report: dict[str, Any] = {
        "model": str(args.model), "model_repr": repr(vae),
        "model_metrics": vae.metadata.get("metrics", {}),
        "machine": {"python": platform.python_version(), "torch": torch.__version__,
                    "threads": torch.get_num_threads(), "processor": platform.processor()},
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "medchem_guard": "off (guard=None): the published protocols have no such filter",
    }
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    runners = {"unconstrained": run_unconstrained, "constrained": run_constrained,
               "oracle": run_oracle, "timing": run_timing}
    for part in parts:
        if part not in runners:
            raise SystemExit(f"unknown part {part!r}; choose from {list(runners)}")
        t0 = time.perf_counter()
        report[part] = runners[part](vae, args)
        report[part]["part_seconds"] = time.perf_counter() - t0
        if args.out:  # write as we go: a long run keeps what it has finished
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(report, indent=1, default=str))
    print(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
