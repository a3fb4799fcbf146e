"""What an optimization returns: the ranked table of found molecules, the score history, and a
drawing of the best."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from molvae.files import atomic_write

if TYPE_CHECKING:
    from molvae.predictor import LatentPredictor

__all__ = ["OptimizeResult", "save_grid", "RESULT_COLUMNS"]

RESULT_COLUMNS = ("smiles", "score", "predicted", "uncertainty", "value", "start", "start_score",
                  "improvement", "similarity", "step", "round", "source", "novel", "qed", "sa",
                  "heavy_atoms", "error")



@dataclass(frozen=True)
class OptimizeResult:
    """What an optimization found.

    ``frame``: one row per unique molecule meeting the constraints that the oracle scored,
    ranked by true ``score`` (NaN last); columns ``smiles, score, predicted, uncertainty, value
    (the objective before minimize/target), start, start_score, improvement, similarity (to the
    start), step, round, novel, qed, sa, heavy_atoms, error``. ``history``: best true score so far
    against oracle calls (``oracle_calls, best``). ``candidates``: every (start, molecule) pair
    that met the constraints, before deduplication (for per-start statistics). ``scored``: every
    molecule the oracle was asked about, in order (``smiles, score, value, error, call``),
    including the predictor's training molecules and the initial population.
    """

    frame: pd.DataFrame
    history: pd.DataFrame
    oracle_calls: int
    budget: int | None
    objective: str
    candidates: pd.DataFrame
    scored: pd.DataFrame
    predictor: LatentPredictor | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        best = self.frame["score"].iloc[0] if len(self.frame) else math.nan
        return (f"OptimizeResult({self.objective!r}: {len(self.frame)} molecules, best {best:.4g}, "
                f"{self.oracle_calls} oracle calls{'' if self.budget is None else f' of {self.budget}'})")

    def top(self, n: int = 10) -> pd.DataFrame:
        return self.frame.head(n)

    def best_per_start(self) -> pd.DataFrame:
        """For each start, its best-scoring molecule meeting the constraints (one row per start)."""
        scored = self.candidates.dropna(subset=["score"])
        if scored.empty:
            return scored
        best = scored.sort_values(["score", "similarity"], ascending=False, kind="stable")
        return best.drop_duplicates("start_index").sort_values("start_index").reset_index(drop=True)

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write ``frame`` as CSV, atomically."""
        return atomic_write(path, lambda tmp: self.frame.to_csv(tmp, index=False))

    def save_grid(self, path: str | os.PathLike[str], *, n: int = 12, mols_per_row: int = 4) -> Path:
        return save_grid(self.frame, path, n=n, mols_per_row=mols_per_row)


def save_grid(frame: pd.DataFrame, path: str | os.PathLike[str], *, n: int = 12,
              mols_per_row: int = 4, sub_img_size: tuple[int, int] = (250, 200),
              legend: str = "score") -> Path:
    """Draw the first ``n`` molecules of ``frame`` with their ``legend`` column (PNG or SVG by
    the file's suffix), written atomically (:func:`molvae.plots.molecule_grid`)."""
    from molvae.plots import molecule_grid

    rows = frame.dropna(subset=["smiles"]).head(n)
    molecule_grid(rows, legend=legend if legend in rows else None, mols_per_row=mols_per_row,
                  sub_img_size=sub_img_size, path=path)
    return Path(path)


# --- inputs ----------------------------------------------------------------------------------
