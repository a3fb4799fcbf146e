"""Rules of molvae.files: writes are atomic and a failed write leaves the old file intact."""

from __future__ import annotations

from pathlib import Path

import pytest

from molvae.files import atomic_write, atomic_write_text


def test_atomic_write_creates_parent_folders_and_replaces_content(tmp_path: Path):
    target = tmp_path / "a" / "b" / "out.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path):
    target = tmp_path / "out.txt"
    target.write_text("precious")

    def broken(tmp: str) -> None:
        Path(tmp).write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
