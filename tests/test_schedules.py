"""The KL-weight and learning-rate schedules are pure functions of the step."""

from __future__ import annotations


import pytest

from molvae.config import LRSchedule
from molvae.training.schedules import kl_weight_cyclical, kl_weight_monotonic, lr_at


def test_kl_weight_monotonic_starts_at_zero() -> None:
    assert kl_weight_monotonic(0, warmup_steps=100, beta=1.0) == 0.0


def test_kl_weight_monotonic_reaches_beta_after_warmup() -> None:
    assert kl_weight_monotonic(50, warmup_steps=100, beta=0.5) == pytest.approx(0.25)
    assert kl_weight_monotonic(100, warmup_steps=100, beta=0.5) == 0.5
    assert kl_weight_monotonic(10_000, warmup_steps=100, beta=0.5) == 0.5


def test_kl_weight_without_warmup_is_beta_from_the_start() -> None:
    assert kl_weight_monotonic(0, warmup_steps=0, beta=0.3) == 0.3


def test_kl_weight_cyclical_restarts_every_cycle() -> None:
    weights = [kl_weight_cyclical(s, cycle_steps=10, ratio=0.5, beta=2.0) for s in range(25)]
    assert weights[0] == weights[10] == weights[20] == 0.0
    assert weights[5] == weights[9] == weights[15] == 2.0
    assert weights[2] == pytest.approx(0.8)
    assert max(weights) == 2.0 and all(w >= 0 for w in weights)


def test_lr_warms_up_linearly_then_decays_to_the_floor() -> None:
    kwargs = dict(base_lr=1.0, warmup_steps=10, total_steps=110, min_lr_ratio=0.1)
    assert lr_at(0, **kwargs) == pytest.approx(0.1)
    assert lr_at(9, **kwargs) == pytest.approx(1.0)
    assert lr_at(60, **kwargs) == pytest.approx(0.55)
    assert lr_at(110, **kwargs) == pytest.approx(0.1)
    assert lr_at(500, **kwargs) == pytest.approx(0.1)
    values = [lr_at(s, **kwargs) for s in range(10, 111)]
    assert all(a >= b for a, b in zip(values, values[1:]))


def test_constant_lr_stays_at_base_after_warmup() -> None:
    assert lr_at(1000, base_lr=0.5, warmup_steps=10, total_steps=100,
                 schedule=LRSchedule.CONSTANT) == 0.5
