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
                  ) -> list[Child]:
    """Up to ``n`` distinct children of ``population`` (``(score, smiles)`` pairs, higher better).

    Parents are drawn as mol-ga's default GA draws them (uniformly within log-spaced top
    quantiles, so the best molecules are picked most often); ``mutate_fraction`` of the children
    come from mutating one parent, the rest from crossing two (each crossover child mutated with
    probability ``crossover_mutation_rate``), as in mol-ga's ``graph_ga_blended_generation``.
    Edits that fail give no child, so fewer than ``n`` may come back.
    """
    if n <= 0:
        return []
    pool = [(float(s), m) for s, m in population if math.isfinite(s)]
    if not pool:
        raise MolvaeError("graph edits need at least one scored molecule with a finite score")
    with _rdkit_log_kept():
        from mol_ga.graph_ga.gen_candidates import mutate, reproduce
        from mol_ga.sample_population import uniform_quantile_sampling

        parents = uniform_quantile_sampling(pool, 2 * n, rng)
        n_mutate = sum(rng.random() < mutate_fraction for _ in range(n))
        partners = list(parents[n:])
        rng.shuffle(partners)
        children: dict[str, str] = {}  # child -> parent, first kept
        for i in range(n):
            parent = parents[i]
            child = (mutate(parent, rng) if i < n_mutate else
                     reproduce(parent, partners[i], crossover_mutation_rate, rng))
            if child and child not in children and child != parent:
                children[child] = parent
    return [Child(c, p) for c, p in children.items()]
