"""The optimizer's options, one type per concern, each checked once when it is made.

- :class:`Ascent`: how each trajectory climbs in z and how its snapshots are decoded;
- :class:`Search`: a one-shot search (:func:`~molvae.optimizer.search.optimize`): where the
  trajectories start, how many rounds, how many graph-edit children per start;
- :class:`Loop`: rounds against an oracle budget
  (:func:`~molvae.optimizer.loop.optimize_with_oracle`);
- :class:`Surrogate`: how the predictor on z is fitted;
- :class:`Report`: what the result table describes beyond the score;
- :class:`~molvae.optimizer.constraints.Constraints`: what every reported molecule must satisfy.

The defaults of each type are those of the plain search from prior draws; the named recipes
for other uses (start molecules, a similarity bound, the oracle loop) are in
:mod:`molvae.optimizer.presets`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from molvae.errors import MolvaeError
from molvae.optimizer.inputs import StartsLike
from molvae.sampling import decoding_temperature

__all__ = ["Ascent", "Search", "Loop", "Surrogate", "Report"]


@dataclass(frozen=True)
class Ascent:
    """How each trajectory climbs and is decoded.

    Adam with step size ``lr`` for ``steps`` steps on ``score(mean + exploration·std) +
    prior_weight·log p(z)`` (:func:`~molvae.optimizer.ascent.ascend`); every ``decode_every``
    steps all trajectories are decoded in batches of ``decode_batch_size``. ``temperature``: 0
    decodes each snapshot greedily (its most likely molecule); above 0, tokens are sampled at
    that temperature, so restarts from one point propose different molecules (the setting for
    similarity-constrained optimization). ``latent_prior``: ``"auto"``, the model's learned prior
    (:mod:`molvae.prior`) when it has one, else N(0, I), both for the starting draws and for the
    pull toward the data; ``"normal"``: N(0, I) always.

    >>> Ascent(temperature=-1)
    Traceback (most recent call last):
    molvae.errors.ConfigError: temperature must be 0 (greedy decoding) or positive, got -1
    """

    steps: int = 100
    lr: float = 0.05
    prior_weight: float = 0.1
    decode_every: int = 10
    temperature: float = 0.0
    exploration: float = 0.0
    latent_prior: Literal["auto", "normal"] = "auto"
    decode_batch_size: int = 2000

    def __post_init__(self) -> None:
        decoding_temperature(self.temperature)
        if self.steps < 0 or self.decode_every < 1:
            raise MolvaeError(f"steps must be >= 0 and decode_every >= 1; got {self.steps}, "
                              f"{self.decode_every}")
        if not self.lr > 0 or self.decode_batch_size < 1:
            raise MolvaeError(f"lr must be positive and decode_batch_size at least 1; got "
                              f"{self.lr}, {self.decode_batch_size}")
        if self.latent_prior not in ("auto", "normal"):
            raise MolvaeError(f"latent_prior must be 'auto' (the model's learned prior when it has "
                              f"one) or 'normal' (N(0, I)), got {self.latent_prior!r}")

    @property
    def sampling_temperature(self) -> float | None:
        """The decoder's temperature, None for greedy decoding."""
        return self.temperature or None


@dataclass(frozen=True)
class Search:
    """A one-shot search: where the trajectories start and how they are refined.

    ``molecules``: SMILES or a file of them, each encoded and climbing ``restarts`` times (the
    copies after the first jittered by ``start_noise``); None: ``n_starts`` draws from the prior.
    Each round after the first restarts ``ceil(restarts / centers)`` times from each of
    ``centers`` points per start: the start itself and its best molecules found so far.
    ``edits_per_start``: after each round's latent proposals, this many children per start made
    by mol-ga's graph crossover and mutation (:mod:`molvae.graph_edits`) of the start's family
    (the start and the molecules found for it so far); 0: latent proposals only. ``budget``: the
    most true-objective evaluations (start molecules and the predictor's training set included);
    None: no limit; when the budget cannot cover every proposal, the most promising go first.
    """

    molecules: StartsLike = None
    n_starts: int = 512
    restarts: int = 40
    start_noise: float = 0.1
    rounds: int = 1
    centers: int = 4
    edits_per_start: int = 0
    budget: int | None = None

    def __post_init__(self) -> None:
        if self.rounds < 1 or self.centers < 1 or self.restarts < 1 or self.n_starts < 1:
            raise MolvaeError(f"rounds, centers, restarts and n_starts must be at least 1; got "
                              f"{self.rounds}, {self.centers}, {self.restarts}, {self.n_starts}")
        if self.edits_per_start < 0:
            raise MolvaeError(f"edits_per_start is the number of graph-edit children per start and "
                              f"round, 0 or more; got {self.edits_per_start}")
        if self.budget is not None and self.budget < 1:
            raise MolvaeError(f"budget must be at least 1 oracle call (or None), got {self.budget}")


@dataclass(frozen=True)
class Loop:
    """Rounds of propose → score → refit against an oracle, never exceeding ``budget`` calls.

    ``initial``: the first population, SMILES (a list or a file) or that many random molecules of
    the model's dataset, scored first and counted. ``per_round``: molecules scored per round (None:
    a twentieth of the budget left after the initial population, 100 to 250); ``rounds``: None,
    until the budget is spent or ``patience`` rounds in a row find nothing new; a number, at most
    that many rounds with the budget spread evenly. Each round ascends from ``n_starts`` scored
    molecules (half the best, half drawn from the rest, jittered by ``start_noise``).
    ``edit_share``: the share of each round's calls spent on graph-edit children (``edit_pool``
    times that many are made, the ones the predictor rates highest are scored; unused calls go to
    latent proposals); 0: latent proposals only. ``edit_pool`` None:
    :func:`~molvae.optimizer.loop.edit_pool_for` the budget (10, or 3 from 10,000 calls on). ``edit_explore``: the share of the edit calls
    given to children drawn at random instead; None: :func:`~molvae.optimizer.loop.edit_explore_for`
    the budget.

    ``journal``: a CSV file to which every scored molecule is written as soon as the oracle call
    that scored it returns (:mod:`molvae.journal`); an existing one is never overwritten.
    ``resume``: continue the run whose journal that is: its molecules count as the calls they
    were and are never scored again, so the two runs together stay within ``budget``.
    ``oracle_batch``: molecules per oracle call (None: all of a round's at once); an expensive
    oracle scored one molecule a call (1) loses at most the one in progress when interrupted.
    ``latent_proposals``: False, no ascents in z: every call goes to graph edits (an ablation:
    what the decoder's proposals add). ``latent_ranked``: True, each round's latent proposals
    are made first, rated on their own encodings by the same predictor as the graph-edit
    children and ranked beside them for the edit calls (False: they get only the calls the
    edits leave).
    ``screen_share``: the share of each round's calls spent on existing molecules instead, the
    ones of the screening set the predictor rates highest (0: none); ``screen``: that set, SMILES
    (a list or a file) or that many random molecules of the model's dataset, encoded once.
    ``workers``: processes making the graph-edit children (None: every core); each child has its
    own seed drawn from the run's stream, so results do not depend on it.
    ``stop_after_failures``: stop the run (:class:`~molvae.oracle.OracleFailing`) when the
    oracle fails on this many molecules in a row, rather than spend the budget on failures
    (None: never; single failures are always recorded and the run goes on).
    """

    budget: int
    initial: Sequence[str] | str | int = 1000
    rounds: int | None = None
    per_round: int | None = None
    patience: int = 5
    n_starts: int = 256
    start_noise: float = 0.1
    edit_share: float = 1.0
    edit_pool: int | None = None
    edit_explore: float | None = None
    journal: str | os.PathLike[str] | None = None
    resume: bool = False
    oracle_batch: int | None = None
    stop_after_failures: int | None = 20
    workers: int | None = None
    latent_proposals: bool = True
    latent_ranked: bool = False
    screen_share: float = 0.0
    screen: Sequence[str] | str | int = 10_000

    def __post_init__(self) -> None:
        if self.resume and self.journal is None:
            raise MolvaeError("resume continues the run written to a journal: give the journal "
                              "file too (journal=PATH; CLI --journal PATH --resume)")
        if self.stop_after_failures is not None and self.stop_after_failures < 1:
            raise MolvaeError(f"stop_after_failures must be at least 1 (or None: never stop), "
                              f"got {self.stop_after_failures}")
        if self.workers is not None and self.workers < 1:
            raise MolvaeError(f"workers must be at least 1 process (None: every core), got "
                              f"{self.workers}")
        if self.oracle_batch is not None and self.oracle_batch < 1:
            raise MolvaeError(f"oracle_batch must be at least 1 molecule per call, got "
                              f"{self.oracle_batch}")
        if self.budget < 2:
            raise MolvaeError(f"budget must be at least 2 oracle calls, got {self.budget}")
        if not 0.0 <= self.edit_share <= 1.0:
            raise MolvaeError(f"edit_share is the share of each round's oracle calls spent on "
                              f"graph edits, between 0 and 1; got {self.edit_share}")
        if self.edit_pool is not None and self.edit_pool < 1:
            raise MolvaeError(f"edit_pool must be at least 1 (children made per call spent on "
                              f"them); got {self.edit_pool}")
        if not 0.0 <= self.screen_share <= 1.0:
            raise MolvaeError(f"screen_share is the share of each round's oracle calls spent on "
                              f"the screening set, between 0 and 1; got {self.screen_share}")
        if isinstance(self.screen, int) and self.screen < 1:
            raise MolvaeError(f"screen must be at least 1 molecule (or SMILES, or a file); got "
                              f"{self.screen}")
        if self.edit_explore is not None and not 0.0 <= self.edit_explore <= 1.0:
            raise MolvaeError(f"edit_explore is the share of the graph-edit calls given to "
                              f"unranked children, between 0 and 1; got {self.edit_explore}")
        for name in ("rounds", "per_round"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise MolvaeError(f"{name} must be at least 1 (or None), got {value}")
        if self.patience < 1 or self.n_starts < 1:
            raise MolvaeError(f"patience and n_starts must be at least 1; got {self.patience}, "
                              f"{self.n_starts}")


@dataclass(frozen=True)
class Surrogate:
    """How the predictor on z is fitted: an ensemble of ``n_models`` MLPs, in a one-shot search
    on ``n_train`` molecules of ``dataset`` (None: the model's training data when its checkpoint
    names it, else ZINC250k) scored by the true objective and counted as oracle calls.
    ``features``: what the predictor reads, the encoder's ``"latent"`` codes, or Morgan
    ``"fingerprint"`` bits (radius 2, 2,048) for the oracle loop's graph edits only: latent
    proposals climb the predictor's gradient in z, so they need ``"latent"``."""

    n_models: int = 5
    n_train: int = 2000
    dataset: Any = None
    features: Literal["latent", "fingerprint"] = "latent"

    def __post_init__(self) -> None:
        if self.features not in ("latent", "fingerprint"):
            raise MolvaeError(f"features must be 'latent' (the encoder's z) or 'fingerprint' "
                              f"(Morgan bits), got {self.features!r}")
        if self.n_models < 1 or self.n_train < 1:
            raise MolvaeError(f"n_models and n_train must be at least 1; got {self.n_models}, "
                              f"{self.n_train}")


@dataclass(frozen=True)
class Report:
    """What the result describes. ``novelty_reference``: SMILES (or a dataset) to flag ``novel``
    against; ``"auto"``: the model's training data when its checkpoint names it (or the
    surrogate's dataset); None: the ``novel`` column is left empty. ``describe_top``: QED and SA
    (reporting columns, not oracle calls) for the top this many molecules, NaN below; None: all."""

    novelty_reference: Any = "auto"
    describe_top: int | None = 1000
