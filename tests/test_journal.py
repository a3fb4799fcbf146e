"""molvae.journal and the oracle loop's resume: every scored molecule is on disk as soon as it is
scored; an interrupted run resumes without scoring any molecule twice and within its budget."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from lookup_vae import LookupVAE
from molvae.errors import MolvaeError
from molvae.journal import COLUMNS, ScoredRow, ScoreJournal
from molvae.objectives import make_objective
from molvae.oracle import OracleFailing
from molvae.optimizer import Constraints, Loop, Report, optimize_with_oracle
from molvae.optimizer.presets import LOOP_ASCENT

NO_GUARD = Constraints(guard=None)
NO_NOVELTY = Report(novelty_reference=None)
ASCENT = replace(LOOP_ASCENT, steps=20)


def _row(call: int, smiles: str, score: float = 1.0) -> ScoredRow:
    return ScoredRow(call, smiles, score, score, None, 1, "graph", "CCO")


def test_journal_rows_read_back_as_written_failures_included(tmp_path: Path) -> None:
    journal = ScoreJournal(tmp_path / "scored.csv", objective="logp")
    rows = [_row(1, "CCO", 0.25), ScoredRow(2, "CC(=O)O", math.nan, math.nan,
                                             "RuntimeError: docking, crashed", 1, "latent", "CCO")]
    journal.append(rows[:1])
    journal.append(rows[1:])
    back = journal.read()
    assert [r.smiles for r in back] == ["CCO", "CC(=O)O"]
    assert back[0] == rows[0]
    assert math.isnan(back[1].score) and back[1].error == "RuntimeError: docking, crashed"
    assert pd.read_csv(journal.path).columns.tolist() == list(COLUMNS)  # a plain CSV for users


def test_a_partial_last_line_from_a_killed_process_is_skipped(tmp_path: Path) -> None:
    journal = ScoreJournal(tmp_path / "scored.csv", objective="logp")
    journal.append([_row(1, "CCO")])
    with journal.path.open("a") as handle:
        handle.write('2,CCN,0.3,0.3,"ValueError: a, b')  # killed mid-write, inside a quote
    assert [r.smiles for r in journal.read()] == ["CCO"]
    journal.append([_row(3, "CCC"), ScoredRow(4, "CCCl", math.nan, math.nan,
                                              "ValueError: a,\nb", 1, "graph", "CCO")])
    assert [r.smiles for r in journal.read()] == ["CCO", "CCC", "CCCl"]  # the partial line cut
    assert journal.read()[-1].error == "ValueError: a, b"  # one line per molecule
    with journal.path.open("a") as handle:
        handle.write("5,CC" + "\x00" * 20)  # a zero-filled tail
    assert len(journal.read()) == 3


def test_a_journal_of_another_objective_or_not_a_journal_is_a_one_line_error(tmp_path):
    ScoreJournal(tmp_path / "a.csv", objective="logp").append([_row(1, "CCO")])
    with pytest.raises(MolvaeError, match="scored for 'logp', not 'qed'"):
        ScoreJournal(tmp_path / "a.csv", objective="qed").read()
    (tmp_path / "b.csv").write_text("smiles,score\nCCO,1\n")
    with pytest.raises(MolvaeError, match="not a molvae journal"):
        ScoreJournal(tmp_path / "b.csv", objective="qed").read()


def _loop(library: list[str], journal: Path | None, **changes) -> Loop:
    options = {"initial": library[:40], "oracle_batch": 5, **changes}
    return Loop(150, per_round=30, n_starts=16, rounds=4, journal=journal, **options)


def test_an_interrupted_loop_resumes_without_scoring_any_molecule_twice(
        lookup_vae: LookupVAE, library: list[str], tmp_path: Path) -> None:
    journal = tmp_path / "scored.csv"
    logp = make_objective("logp")
    whole = optimize_with_oracle(lookup_vae, logp, _loop(library, None), ascent=ASCENT,
                                 constraints=NO_GUARD, report=NO_NOVELTY, seed=0)
    # interrupted about half-way through the rounds, at a batch of 5
    stop = 40 + 5 * max(1, (whole.oracle_calls - 40) // 10)
    assert whole.oracle_calls > stop
    first: list[str] = []

    def interrupted(smiles: list[str]) -> list[float]:
        if len(first) >= stop:
            raise KeyboardInterrupt  # Ctrl-C while the oracle works
        first.extend(smiles)
        return logp(smiles)

    with pytest.raises(KeyboardInterrupt):
        optimize_with_oracle(lookup_vae, make_objective(interrupted, name="logp"),
                             _loop(library, journal), ascent=ASCENT, constraints=NO_GUARD,
                             report=NO_NOVELTY, seed=0)
    written = pd.read_csv(journal)
    assert written["smiles"].tolist() == first and len(first) == stop  # all, in call order
    assert written["call"].tolist() == list(range(1, stop + 1))

    second: list[str] = []

    def counting(smiles: list[str]) -> list[float]:
        second.extend(smiles)
        return logp(smiles)

    result = optimize_with_oracle(lookup_vae, make_objective(counting, name="logp"),
                                  _loop(library, journal, resume=True), ascent=ASCENT,
                                  constraints=NO_GUARD, report=NO_NOVELTY, seed=0)
    assert second and not set(second) & set(first)  # nothing scored twice
    assert len(first) + len(second) <= 150
    assert result.oracle_calls == len(first) + len(second)
    assert set(first) | set(second) == set(result.scored["smiles"])
    assert set(first) - set(library[:40]) <= set(result.frame["smiles"])  # found, still reported
    resumed = result.frame.set_index("smiles").loc[written["smiles"][40:]]
    assert (resumed["source"].isin(["graph", "latent"])).all() and (resumed["round"] >= 1).all()
    assert pd.read_csv(journal)["call"].tolist() == list(range(1, result.oracle_calls + 1))


def test_an_oracle_that_keeps_failing_stops_the_run_and_resume_goes_on(
        lookup_vae: LookupVAE, library: list[str], tmp_path: Path) -> None:
    journal = tmp_path / "scored.csv"
    logp = make_objective("logp")
    asked: list[str] = []

    def server_down(smiles: list[str]) -> list[float]:
        asked.extend(smiles)
        if len(asked) > 45:
            raise ConnectionError("the docking server does not answer")
        return logp(smiles)

    with pytest.raises(OracleFailing, match="failed on 5 molecules in a row.*ConnectionError"):
        optimize_with_oracle(lookup_vae, make_objective(server_down, name="logp"),
                             _loop(library, journal, stop_after_failures=5, oracle_batch=None),
                             ascent=ASCENT, constraints=NO_GUARD, report=NO_NOVELTY, seed=0)
    written = pd.read_csv(journal)
    # a round's batch failed, then its molecules one at a time: stopped after 5 of them, the
    # rest of the batch neither scored nor counted
    assert written["error"].notna().sum() == 5 and len(written) == 40 + 5
    result = optimize_with_oracle(lookup_vae, "logp", _loop(library, journal, resume=True),
                                  ascent=ASCENT, constraints=NO_GUARD, report=NO_NOVELTY, seed=0)
    assert result.oracle_calls > 45 and pd.read_csv(journal)["smiles"].is_unique


def test_a_journal_is_never_overwritten_and_resume_needs_one(
        lookup_vae: LookupVAE, library: list[str], tmp_path: Path) -> None:
    journal = tmp_path / "scored.csv"
    ScoreJournal(journal, objective="logp").append(
        [ScoredRow(1, library[0], 1.0, 1.0, None, 0, "initial", library[0])])
    before = journal.read_text()
    with pytest.raises(MolvaeError, match="holds molecules an earlier run scored.*--resume"):
        optimize_with_oracle(lookup_vae, "logp", _loop(library, journal), ascent=ASCENT,
                             constraints=NO_GUARD, report=NO_NOVELTY)
    assert journal.read_text() == before
    with pytest.raises(MolvaeError, match="nothing to resume"):
        optimize_with_oracle(lookup_vae, "logp", _loop(library, tmp_path / "none.csv",
                                                       resume=True),
                             ascent=ASCENT, constraints=NO_GUARD, report=NO_NOVELTY)
    with pytest.raises(MolvaeError, match="give the journal file"):
        Loop(100, resume=True)
    with pytest.raises(MolvaeError, match="other starting molecules"):
        optimize_with_oracle(lookup_vae, "logp", _loop(library, journal, resume=True,
                                                       initial=library[100:140]),
                             ascent=ASCENT, constraints=NO_GUARD, report=NO_NOVELTY)
    with pytest.raises(MolvaeError, match="stop_after_failures must be at least 1"):
        Loop(100, stop_after_failures=0)


def test_cli_loop_stopped_by_ctrl_c_resumes_with_resume(tiny_checkpoint, zinc_frame, tmp_path):
    """A real interruption: SIGINT to `molvae optimize --loop` while it scores, then --resume."""
    import signal
    import subprocess
    import sys
    import time

    from test_cli import assert_one_line_error, run

    initial = tmp_path / "initial.smi"
    initial.write_text("\n".join(zinc_frame["smiles"].head(60)) + "\n")
    out, journal = tmp_path / "loop.csv", tmp_path / "loop.scored.csv"
    command = ["optimize", "--property", "qed", "--loop", "--budget", "160", "--starts",
               str(initial), "--per-round", "20", "--oracle-batch", "1", "--model",
               str(tiny_checkpoint), "--device", "cpu", "--no-novelty", "-o", str(out)]
    # the oracle takes 20 ms a molecule, as an assay takes time: the run cannot end between
    # the journal reaching 80 rows and the signal (with a fast oracle it raced, and won once)
    slow = tmp_path / "slow_oracle_molvae.py"
    slow.write_text("import time\n"
                    "from molvae import oracle\n"
                    "from molvae.cli import main\n"
                    "evaluate = oracle.Oracle._evaluate\n"
                    "def slow(self, batch):\n"
                    "    time.sleep(0.02 * len(batch))\n"
                    "    return evaluate(self, batch)\n"
                    "oracle.Oracle._evaluate = slow\n"
                    "main()\n")
    child = subprocess.Popen([sys.executable, str(slow), *command], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        if journal.exists() and len(journal.read_text().splitlines()) > 80:  # in the rounds
            child.send_signal(signal.SIGINT)
            break
        time.sleep(0.05)
    output, _ = child.communicate(timeout=60)
    assert child.returncode == 130, output
    assert "continue with the same command and --resume" in output
    first = pd.read_csv(journal)
    assert 80 <= len(first) < 160 and first["smiles"].is_unique

    assert_one_line_error(run(*command), "--resume")  # never starts over the journal
    result = run(*command, "--resume")
    assert result.exit_code == 0, result.output
    both = pd.read_csv(journal)
    assert both["smiles"].is_unique and both["call"].tolist() == list(range(1, len(both) + 1))
    assert both.head(len(first)).equals(first)  # the first run's rows kept as they were
    assert len(both) <= 160 and f"{len(both)} oracle calls of 160" in result.output
    assert set(first["smiles"]) - set(zinc_frame["smiles"].head(60)) <= set(pd.read_csv(out)["smiles"])
