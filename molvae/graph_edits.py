"""Graph-edit proposals: children of scored molecules by mol-ga's graph crossover and mutation.

The oracle loop (:func:`molvae.optimizer.optimize_with_oracle`) uses them beside its latent
proposals: many children are made cheaply, the latent predictor ranks them through their
encodings, and only the most promising reach the oracle. The edits themselves are mol-ga's
(Jensen's Graph GA operators); this module only chooses parents the way mol-ga's default GA
does, keeps track of each child's parent, and leaves RDKit's log as it found it (mol-ga turns
RDKit's error and warning messages off for the whole process).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from rdkit import RDLogger, rdBase

from molvae.errors import MolvaeError


@dataclass(frozen=True)
class Child:
    """A molecule made by a graph edit (SMILES as mol-ga writes it) and the parent it came from
    (for crossover, the first of its two parents)."""

    smiles: str
    parent: str


@contextmanager
def _rdkit_log_kept() -> Iterator[None]:
    """Mute RDKit inside the block; afterwards, its log channels as they were before it."""
    before = {line.split(":")[0]: line.split(":")[1] == "enabled"
              for line in rdBase.LogStatus().splitlines() if ":" in line}
    try:
        with rdBase.BlockLogs():  # and quiet inside it: failed edits are routine
            yield
    finally:
        for channel, enabled in before.items():
            (RDLogger.EnableLog if enabled else RDLogger.DisableLog)(channel)


def make_children(population: Sequence[tuple[float, str]], n: int, rng: random.Random, *,
                  mutate_fraction: float = 0.1, crossover_mutation_rate: float = 0.01,
                  workers: int | None = None) -> list[Child]:
    """Up to ``n`` distinct children of ``population`` (``(score, smiles)`` pairs, higher better).

    Parents are drawn as mol-ga's default GA draws them (uniformly within log-spaced top
    quantiles, so the best molecules are picked most often); ``mutate_fraction`` of the children
    come from mutating one parent, the rest from crossing two (each crossover child mutated with
    probability ``crossover_mutation_rate``), as in mol-ga's ``graph_ga_blended_generation``.
    Edits that fail give no child, so fewer than ``n`` may come back.

    ``workers``: None, every edit draws from ``rng`` in turn, in this process (the one-shot
    search's children); a number, each child gets its own seed drawn from ``rng`` and the edits
    run on that many processes (from :data:`PARALLEL_FROM` children on), so the children are the
    same whatever the number of workers.
    """
    if n <= 0:
        return []
    pool = [(float(s), m) for s, m in population if math.isfinite(s)]
    if not pool:
        raise MolvaeError("graph edits need at least one scored molecule with a finite score")
    with _rdkit_log_kept():
        from mol_ga.sample_population import uniform_quantile_sampling

        parents = uniform_quantile_sampling(pool, 2 * n, rng)
        n_mutate = sum(rng.random() < mutate_fraction for _ in range(n))
        partners = list(parents[n:])
        rng.shuffle(partners)
        edits = [(parents[i], None if i < n_mutate else partners[i]) for i in range(n)]
        if workers is None:
            made = _edit(edits, crossover_mutation_rate, rng)
    if workers is not None:
        jobs = [(parent, partner, rng.getrandbits(64)) for parent, partner in edits]
        made = _seeded_edits(jobs, crossover_mutation_rate, workers)
    children: dict[str, str] = {}  # child -> parent, first kept
    for (parent, _), child in zip(edits, made):
        if child and child not in children and child != parent:
            children[child] = parent
    return [Child(c, p) for c, p in children.items()]


#: the fewest children worth starting worker processes for
PARALLEL_FROM = 400


def _edit(edits: Sequence[tuple[str, str | None]], crossover_mutation_rate: float,
          rng: random.Random) -> list[str | None]:
    """Each (parent, partner) edit: a mutation of the parent (no partner) or a crossover."""
    from mol_ga.graph_ga.gen_candidates import mutate, reproduce

    return [mutate(parent, rng) if partner is None else
            reproduce(parent, partner, crossover_mutation_rate, rng)
            for parent, partner in edits]


def _seeded_chunk(jobs: Sequence[tuple[str, str | None, int]],
                  crossover_mutation_rate: float) -> list[str | None]:
    with _rdkit_log_kept():
        return [_edit([(parent, partner)], crossover_mutation_rate, random.Random(seed))[0]
                for parent, partner, seed in jobs]


def _seeded_edits(jobs: list[tuple[str, str | None, int]], crossover_mutation_rate: float,
                  workers: int) -> list[str | None]:
    """The edits of ``jobs`` (each with its own seed), in order, on ``workers`` processes."""
    if workers <= 1 or len(jobs) < PARALLEL_FROM:
        return _seeded_chunk(jobs, crossover_mutation_rate)
    from molvae.parallel import map_chunks

    size = -(-len(jobs) // (4 * workers))  # a few chunks a worker, so none waits long
    chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
    return [child for part in map_chunks(_seeded_chunk, chunks, crossover_mutation_rate,
                                         n_jobs=workers) for child in part]
