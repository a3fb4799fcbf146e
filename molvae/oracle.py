"""The oracle: a counted, cached way to ask an objective (:mod:`molvae.objectives`).

An :class:`Oracle` wraps an objective for an optimizer: it canonicalizes, scores each unique
molecule at most once (cached), counts those calls against an optional budget that is never
exceeded, records oracle failures (an exception or NaN gives a NaN score and an error message,
not a crash) and keeps the best-so-far curve against calls used.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from molvae.chemistry import canonicalize_many
from molvae.errors import MolvaeError
from molvae.objectives import Objective

__all__ = ["Oracle", "BudgetExhausted", "OracleFailing"]

logger = logging.getLogger(__name__)


class BudgetExhausted(MolvaeError):
    """Raised by :meth:`Oracle.score` with ``strict=True`` when a molecule would exceed the budget."""


class OracleFailing(MolvaeError):
    """Raised by :meth:`Oracle.score` when the objective failed on ``stop_after_failures``
    molecules in a row (a docking server down, an assay file missing): the run stops instead of
    spending its budget on failures. The failed molecules are recorded (and counted) first."""


@dataclass
class _Record:
    score: float
    value: float
    error: str | None
    call: int  # 1-based index of the oracle call that scored it


@dataclass
class Oracle:
    """Scores molecules with an objective: each unique canonical SMILES once, within a budget.

    ``score(smiles)`` returns one score per input: a cached score, a new one (counted), or NaN
    for an invalid molecule (not counted: nothing was computed) or one the budget no longer
    covers (not counted; ``remaining`` is then 0). An objective that raises or returns NaN for a
    molecule gives a NaN score and an ``error`` message; it counts as a call.

    >>> from molvae.objectives import make_objective
    >>> oracle = Oracle(make_objective("heavy_atoms"), budget=2)
    >>> oracle.score(["CCO", "OCC", "CCCC", "c1ccccc1"]).tolist()
    [3.0, 3.0, 4.0, nan]
    >>> oracle.calls, oracle.remaining
    (2, 0)
    """

    objective: Objective
    budget: int | None = None
    batch_size: int = 10_000  # large batches let registry properties use every core
    records: dict[str, _Record] = field(default_factory=dict)
    calls: int = 0
    best_curve: list[tuple[int, float]] = field(default_factory=list)  # (calls, best so far)
    stop_after_failures: int | None = None  # raise OracleFailing after this many in a row
    failures_in_a_row: int = 0

    def __post_init__(self) -> None:
        if self.budget is not None and self.budget < 0:
            raise ValueError(f"budget must be >= 0 or None, got {self.budget}")

    @property
    def remaining(self) -> int | float:
        return math.inf if self.budget is None else self.budget - self.calls

    @property
    def best(self) -> float:
        return self.best_curve[-1][1] if self.best_curve else math.nan

    def known(self, canonical: str) -> bool:
        return canonical in self.records

    def score(self, smiles: Sequence[str | None], *, canonical: bool = False,
              on_batch: Callable[[list[str]], None] | None = None) -> np.ndarray:
        """Scores of ``smiles`` (canonicalized here unless ``canonical``); NaN where none.

        ``on_batch``: called with the canonical SMILES of each batch as soon as the objective has
        scored it (their records are then in ``records``), e.g. to write them to disk."""
        keys = list(smiles) if canonical else canonicalize_many(
            [s if isinstance(s, str) else "" for s in smiles])
        new = [k for k in dict.fromkeys(k for k in keys if k) if k not in self.records]
        room = max(0, self.remaining)  # a resumed run may hold more calls than a new budget
        if len(new) > room:
            logger.info("oracle budget: %d of %d new molecules scored, budget %s spent",
                        int(room), len(new), self.budget)
            new = new[: int(room)]
        for start in range(0, len(new), self.batch_size):
            batch = self._score_new(new[start:start + self.batch_size])
            if on_batch is not None:
                on_batch(batch)
            limit = self.stop_after_failures
            if limit is not None and self.failures_in_a_row >= limit:
                last = self.records[batch[-1]].error
                raise OracleFailing(f"the oracle failed on {self.failures_in_a_row} molecules in "
                                    f"a row (the last: {last}); stopped so as not to spend the "
                                    f"budget on failures (they stay counted): fix the oracle, "
                                    f"then resume the run (CLI: the same command with --resume)")
        return np.array([self.records[k].score if k and k in self.records else np.nan
                         for k in keys], dtype=np.float64)

    def restore(self, rows: Sequence[tuple[str, float, float, str | None, int]]) -> None:
        """Take back molecules an earlier run scored (``smiles, score, value, error, call``, in
        call order), counted as the calls they were: resuming never scores them again."""
        for smiles, score, value, error, call in rows:
            if smiles in self.records:
                continue
            self.calls = max(self.calls, int(call))
            self.records[smiles] = _Record(float(score), float(value), error, int(call))
            if error is None and math.isfinite(score) and (not self.best_curve
                                                           or score > self.best_curve[-1][1]):
                self.best_curve.append((int(call), float(score)))

    def value_of(self, canonical: str) -> float:
        rec = self.records.get(canonical)
        return rec.value if rec else math.nan

    def error_of(self, canonical: str) -> str | None:
        rec = self.records.get(canonical)
        return rec.error if rec else None

    def table(self) -> pd.DataFrame:
        """Every scored molecule: smiles, score, value, error, call (in scoring order)."""
        return pd.DataFrame({"smiles": list(self.records),
                             "score": [r.score for r in self.records.values()],
                             "value": [r.value for r in self.records.values()],
                             "error": [r.error for r in self.records.values()],
                             "call": [r.call for r in self.records.values()]})

    def history(self) -> pd.DataFrame:
        """Best score so far against oracle calls used (one row per improvement, and the end)."""
        rows = list(self.best_curve)
        if rows and rows[-1][0] != self.calls:
            rows.append((self.calls, rows[-1][1]))
        return pd.DataFrame(rows, columns=["oracle_calls", "best"])

    def _score_new(self, batch: list[str]) -> list[str]:
        """Score and record ``batch``; returns the molecules recorded (fewer when the oracle failed
        ``stop_after_failures`` times in a row: the rest is left unscored and uncounted)."""
        values, errors = self._evaluate(batch)
        batch = batch[:len(values)]
        scores = self.objective.score(values)
        for smiles, value, score, error in zip(batch, values, scores, errors):
            self.calls += 1
            if error is None and not math.isfinite(score):
                error = f"oracle returned {value!r}"
            self.records[smiles] = _Record(float(score) if error is None else math.nan,
                                           float(value), error, self.calls)
            self.failures_in_a_row = 0 if error is None else self.failures_in_a_row + 1
            if error is None and (not self.best_curve or score > self.best_curve[-1][1]):
                self.best_curve.append((self.calls, float(score)))
        return batch

    def _evaluate(self, batch: list[str]) -> tuple[np.ndarray, list[str | None]]:
        """Raw values and error messages; a failing batch is retried one molecule at a time,
        until ``stop_after_failures`` failures in a row (only the molecules tried come back)."""
        try:
            values = self._call(batch)
            return values, [None] * len(batch)
        except Exception as batch_err:  # noqa: BLE001 - a user's oracle may raise anything
            if len(batch) == 1:
                return np.array([np.nan]), [f"{type(batch_err).__name__}: {batch_err}"[:300]]
        values = np.full(len(batch), np.nan)
        errors: list[str | None] = [None] * len(batch)
        streak, limit = self.failures_in_a_row, self.stop_after_failures
        for i, smiles in enumerate(batch):
            try:
                values[i] = self._call([smiles])[0]
                streak = 0
            except Exception as err:  # noqa: BLE001 - recorded per molecule, never fatal
                errors[i] = f"{type(err).__name__}: {err}"[:300]
                streak += 1
                if limit is not None and streak >= limit:
                    return values[:i + 1], errors[:i + 1]
        return values, errors

    def _call(self, batch: list[str]) -> np.ndarray:
        out = self.objective.fn(list(batch))
        values = np.asarray(list(out), dtype=np.float64).reshape(-1)
        if values.shape[0] != len(batch):
            raise MolvaeError(f"the oracle returned {values.shape[0]} values for "
                              f"{len(batch)} molecules")
        return values
