"""Training schedules as pure functions of the step: the KL weight (monotonic or cyclical
annealing toward β) and the learning rate (warm-up, then constant or cosine decay)."""

from __future__ import annotations

import math

from molvae.config import (
    KLSchedule,
    LRSchedule,
    TrainConfig,
)


def kl_weight_monotonic(step: int, *, warmup_steps: int, beta: float) -> float:
    """KL weight rising linearly from 0 at step 0 to ``beta`` at ``warmup_steps``, then flat.

    >>> [kl_weight_monotonic(s, warmup_steps=4, beta=0.5) for s in (0, 2, 4, 9)]
    [0.0, 0.25, 0.5, 0.5]
    """
    if warmup_steps <= 0:
        return beta
    return beta * min(1.0, step / warmup_steps)


def kl_weight_cyclical(step: int, *, cycle_steps: int, ratio: float, beta: float) -> float:
    """Cyclical annealing (Fu et al., 2019): in each cycle of ``cycle_steps`` the weight rises
    linearly from 0 to ``beta`` over the first ``ratio`` of the cycle, then stays at ``beta``.

    >>> [kl_weight_cyclical(s, cycle_steps=4, ratio=0.5, beta=1.0) for s in range(6)]
    [0.0, 0.5, 1.0, 1.0, 0.0, 0.5]
    """
    position = (step % cycle_steps) / cycle_steps
    return beta * min(1.0, position / ratio)


def kl_weight(step: int, config: TrainConfig) -> float:
    """The KL weight at ``step`` under ``config``'s schedule."""
    if config.kl_schedule is KLSchedule.CYCLICAL:
        return kl_weight_cyclical(step, cycle_steps=config.kl_cycle_steps,
                                  ratio=config.kl_cycle_ratio, beta=config.beta)
    return kl_weight_monotonic(step, warmup_steps=config.kl_warmup_steps, beta=config.beta)


def lr_at(step: int, *, base_lr: float, warmup_steps: int, total_steps: int,
          schedule: LRSchedule | str = LRSchedule.COSINE, min_lr_ratio: float = 0.0) -> float:
    """Learning rate at ``step``: linear warm-up over ``warmup_steps``, then constant or a cosine
    decay reaching ``min_lr_ratio * base_lr`` at ``total_steps``.

    >>> lr_at(0, base_lr=1.0, warmup_steps=10, total_steps=100)
    0.1
    >>> lr_at(100, base_lr=1.0, warmup_steps=10, total_steps=100, min_lr_ratio=0.1)
    0.1
    """
    if warmup_steps > 0 and step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if LRSchedule(schedule) is LRSchedule.CONSTANT or total_steps <= warmup_steps:
        return base_lr
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return base_lr * (min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress)))
