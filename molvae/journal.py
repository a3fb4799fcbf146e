"""A run's journal of scored molecules: each one on disk as soon as the oracle call that scored it
returns, so an interrupted oracle loop loses nothing it paid for and resumes without paying twice.

The journal is a CSV file that only grows: a header, then one line per scored molecule (``call,
smiles, score, value, error, round, source, start, objective``; line breaks in an error message
become spaces), each oracle call's molecules flushed and synced to disk before the run goes on.
A process killed mid-write can leave a partial last line: reading ignores a last line without
its line break (and any line it cannot read), writing first cuts it away, and its molecules are
scored again on resume.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "scored.csv"
>>> journal = ScoreJournal(path, objective="qed")
>>> journal.append([ScoredRow(1, "CCO", 0.41, 0.41, None, 0, "initial", "CCO")])
>>> [row.smiles for row in journal.read()]
['CCO']
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from molvae.errors import MolvaeError

__all__ = ["ScoreJournal", "ScoredRow", "COLUMNS", "check_start"]

logger = logging.getLogger(__name__)

COLUMNS = ("call", "smiles", "score", "value", "error", "round", "source", "start", "objective")


@dataclass(frozen=True)
class ScoredRow:
    """One scored molecule: the oracle call that scored it (1-based), its canonical SMILES,
    score and raw value (NaN with an ``error``), and the round, source and start of the proposal
    that had it scored."""

    call: int
    smiles: str
    score: float
    value: float
    error: str | None
    round: int
    source: str
    start: str


def _holds_rows(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def check_start(path: str | os.PathLike[str], *, resume: bool) -> None:
    """A one-line error unless a run may start on the journal at ``path``: a new run only where
    none holds molecules (a journal is never overwritten), a resumed one only where one does."""
    path = Path(path)
    if resume and not _holds_rows(path):
        raise MolvaeError(f"nothing to resume: no journal at {path}; start the run without "
                          f"resume (CLI: drop --resume, or pass the run's --journal)")
    if not resume and _holds_rows(path):
        raise MolvaeError(f"{path} holds molecules an earlier run scored: resume=True (CLI "
                          f"--resume) continues that run; to start afresh, move it away or "
                          f"write the journal elsewhere (CLI --journal NEW.csv)")


def _number(text: str) -> float:
    return float(text) if text not in ("", "nan") else math.nan


@dataclass(frozen=True)
class ScoreJournal:
    """The journal at ``path`` of a run on ``objective`` (its description, checked on resume)."""

    path: Path
    objective: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    def exists(self) -> bool:
        return _holds_rows(self.path)

    def append(self, rows: Sequence[ScoredRow]) -> None:
        """Write ``rows`` at the end (the header first on a new file), flushed and synced."""
        if not rows:
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        new = not self.exists()
        if new:
            writer.writerow(COLUMNS)
        for r in rows:
            error = " ".join((r.error or "").split())  # one line per molecule
            writer.writerow([r.call, r.smiles, repr(float(r.score)), repr(float(r.value)),
                             error, r.round, r.source, r.start, self.objective])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not new:
            self._cut_partial_line()
        with self.path.open("a", encoding="utf-8", newline="") as handle:
            handle.write(buffer.getvalue())
            handle.flush()
            os.fsync(handle.fileno())

    def _cut_partial_line(self) -> None:
        """Cut a last line without its line break (a process killed while writing it)."""
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.path.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)

    def read(self) -> list[ScoredRow]:
        """The rows written so far, in call order; a one-line error if the file is not a journal
        or belongs to another objective. A partial or unreadable line is skipped and reported."""
        text = self.path.read_bytes().decode("utf-8", errors="replace")
        lines = text.split("\n")[:-1]  # a last line without its line break is partial
        if not lines:
            return []
        header = next(csv.reader(lines[:1]), [])
        if tuple(header) != COLUMNS:
            raise MolvaeError(f"{self.path} is not a molvae journal of scored molecules "
                              f"(its header is {','.join(header)[:80]!r}); pass the file an "
                              f"earlier --loop run wrote")
        rows, skipped = [], 0
        for line in lines[1:]:
            try:
                call, smiles, score, value, error, rnd, source, start, objective = \
                    next(csv.reader([line]))
                row = ScoredRow(int(call), smiles, _number(score), _number(value),
                                error or None, int(rnd), source, start)
            except (ValueError, StopIteration, csv.Error):
                skipped += 1
                continue
            if objective != self.objective:
                raise MolvaeError(f"{self.path} holds molecules scored for {objective!r}, "
                                  f"not {self.objective!r}: resume with the same objective, "
                                  f"or start afresh with another journal file")
            rows.append(row)
        skipped += len(text) > 0 and not text.endswith("\n")
        if skipped:
            logger.warning("%s: skipped %d partial or unreadable line(s) (a run killed while "
                           "writing); those molecules are scored again", self.path, skipped)
        return sorted(rows, key=lambda r: r.call)
