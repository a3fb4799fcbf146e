"""Run a preset: the one-shot search or the oracle loop, as its strategy says."""

from __future__ import annotations

from typing import TYPE_CHECKING

from molvae.objectives import ObjectiveLike
from molvae.optimizer.constraints import Constraints
from molvae.optimizer.loop import optimize_with_oracle
from molvae.optimizer.options import Loop, Report, Surrogate
from molvae.optimizer.presets import Preset
from molvae.optimizer.results import OptimizeResult
from molvae.optimizer.search import optimize

if TYPE_CHECKING:
    from molvae.latent_model import LatentModel

__all__ = ["run"]


def run(vae: LatentModel, objective: ObjectiveLike, preset: Preset, *,
        constraints: Constraints | None = None, surrogate: Surrogate | None = None,
        report: Report | None = None, minimize: bool = False, target: float | None = None,
        seed: int = 0) -> OptimizeResult:
    """:func:`~molvae.optimizer.loop.optimize_with_oracle` for a :class:`Loop` preset, else
    :func:`~molvae.optimizer.search.optimize`, with the preset's strategy and ascent."""
    common = dict(ascent=preset.ascent, constraints=constraints, surrogate=surrogate,
                  report=report, minimize=minimize, target=target, seed=seed)
    if isinstance(preset.strategy, Loop):
        return optimize_with_oracle(vae, objective, preset.strategy, **common)
    return optimize(vae, objective, preset.strategy, **common)
