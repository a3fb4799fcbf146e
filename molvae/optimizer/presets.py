"""Named recipes: the options that suit each use, in one place for notebooks and the CLI.

As mol_ga's ``default_ga`` wraps its general GA, each preset fills :class:`Search` or
:class:`Loop` and :class:`Ascent` for one use; :func:`molvae.optimizer.run` runs it, and any field
can be changed first with :func:`dataclasses.replace`. ``molvae optimize`` picks its preset with
:func:`preset_for` and changes only the fields a flag names.

- :func:`from_prior`: draws from the model's prior climb the predictor (512 starts, one round).
- :func:`from_molecules`: given molecules climb, 40 jittered copies each, with 50 graph-edit
  children of each start's family per round.
- :func:`similar_to`: near given molecules under a similarity bound (the constrained-optimization
  protocol): small Adam steps (lr 0.005), decodes sampled at temperature 1 so that the copies of
  one start propose different neighbours, three rounds restarting from the best finds.
- :func:`oracle_loop`: rounds against an oracle budget; shorter climbs (50 steps) decoded more
  often (every 5), optimistic about the predictor's uncertainty (exploration 0.5).

>>> from molvae.optimizer.presets import similar_to
>>> preset = similar_to(["CCOc1ccccc1"])
>>> preset.strategy.rounds, preset.ascent.lr, preset.ascent.temperature
(3, 0.005, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from molvae.optimizer.inputs import StartsLike
from molvae.optimizer.options import Ascent, Loop, Search

__all__ = ["Preset", "LOOP_ASCENT", "SIMILARITY_ASCENT", "from_prior", "from_molecules",
           "similar_to", "oracle_loop", "preset_for"]

#: the oracle loop's climb: short, decoded often, optimistic by half the ensemble's spread
LOOP_ASCENT = Ascent(steps=50, decode_every=5, exploration=0.5)
#: near a start under a similarity bound: small steps, sampled decodes
SIMILARITY_ASCENT = Ascent(lr=0.005, temperature=1.0)


@dataclass(frozen=True)
class Preset:
    """A named recipe: the strategy (one-shot :class:`Search` or oracle :class:`Loop`) and the
    :class:`Ascent` that suit one use."""

    name: str
    strategy: Search | Loop
    ascent: Ascent


def from_prior(n_starts: int = 512) -> Preset:
    """``n_starts`` draws from the model's prior, one round."""
    return Preset("from_prior", Search(n_starts=n_starts), Ascent())


def from_molecules(molecules: StartsLike) -> Preset:
    """Given molecules, 40 climbs each and 50 graph-edit children per start."""
    return Preset("from_molecules", Search(molecules, edits_per_start=50), Ascent())


def similar_to(molecules: StartsLike) -> Preset:
    """Near given molecules (pair it with ``Constraints(min_similarity=...)``): three rounds,
    small steps, sampled decodes, 50 graph-edit children per start and round."""
    return Preset("similar_to", Search(molecules, rounds=3, edits_per_start=50), SIMILARITY_ASCENT)


def oracle_loop(budget: int, initial: StartsLike | int = None) -> Preset:
    """Rounds against an oracle budget, from ``initial`` molecules (None: 1,000 random molecules
    of the model's dataset, counted)."""
    loop = Loop(budget) if initial is None else Loop(budget, initial=initial)
    return Preset("oracle_loop", loop, LOOP_ASCENT)


def preset_for(*, molecules: StartsLike = None, min_similarity: float | None = None,
               loop_budget: int | None = None) -> Preset:
    """The preset for what a user gave: an oracle budget for a loop (:func:`oracle_loop`, its
    decodes sampled under a similarity bound), else a similarity bound (:func:`similar_to`),
    start molecules (:func:`from_molecules`) or nothing (:func:`from_prior`)."""
    if loop_budget is not None:
        preset = oracle_loop(loop_budget, molecules)
        if min_similarity is not None:
            preset = replace(preset, ascent=replace(preset.ascent, temperature=1.0))
        return preset
    if min_similarity is not None:
        return similar_to(molecules)
    if molecules is not None:
        return from_molecules(molecules)
    return from_prior()
