"""Rules of molvae.progress: bars only for long jobs on a terminal, items never changed."""

from __future__ import annotations

import io
import sys

from molvae.progress import shown, track


def test_a_bar_needs_a_terminal_and_a_long_job(monkeypatch, terminal) -> None:
    terminal()
    assert shown(10_000, 5_000)
    assert not shown(4_999, 5_000)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not shown(10_000, 5_000)  # a log file or a notebook's saved output: no bar


def test_track_passes_every_item_through_and_draws_only_when_shown(terminal) -> None:
    stderr = terminal()
    items = [3, 1, 2]
    assert track(items, total=3, description="x", show=False) is items
    assert stderr.getvalue() == ""
    assert list(track(iter(items), total=3, description="work", show=True)) == items
    assert "work" in stderr.getvalue()
