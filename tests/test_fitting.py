"""molvae.fitting: one R² for validation, the predictors and the graph model; the held-out split."""

import math

import numpy as np
import pytest

from molvae.fitting import r_squared, regression_metrics, split


def test_regression_metrics_are_nan_when_undefined() -> None:
    assert all(math.isnan(v) for v in regression_metrics(np.ones(1), np.ones(1)).values())
    assert math.isnan(regression_metrics(np.ones(5), np.arange(5.0))["r2"])


def test_r_squared_is_one_for_a_perfect_fit_and_nan_without_spread() -> None:
    y = np.array([1.0, 2.0, 4.0])
    assert r_squared(y, y) == 1.0
    assert r_squared(y, np.full(3, y.mean())) == pytest.approx(0.0)
    assert math.isnan(r_squared(np.ones(3), np.arange(3.0)))
    assert math.isnan(r_squared(np.zeros(0), np.zeros(0)))


def test_regression_metrics_r2_is_r_squared() -> None:
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=50), rng.normal(size=50)
    assert regression_metrics(y, p)["r2"] == r_squared(y, p)


def test_validation_uses_the_same_r_squared() -> None:
    from molvae.training import validation

    assert validation.r_squared is r_squared


def test_split_is_disjoint_complete_and_seeded() -> None:
    train, valid = split(100, 0.2, np.random.default_rng(0))
    assert sorted(np.concatenate([train, valid]).tolist()) == list(range(100))
    assert len(valid) == 20
    again, _ = split(100, 0.2, np.random.default_rng(0))
    assert np.array_equal(train, again)
