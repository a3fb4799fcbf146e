"""The notebooks run top to bottom on a CPU with the shipped model, are committed with their
outputs, and match their sources in notebooks/src (regenerate with notebooks/build.py)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_quickstart", "02_optimize"]

sys.path.insert(0, str(NOTEBOOKS))
from build import cells_of  # noqa: E402


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_matches_its_source_and_has_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    expected = cells_of((NOTEBOOKS / "src" / f"{name}.py").read_text())
    assert [(c.cell_type, c.source) for c in notebook.cells] == \
        [(c.cell_type, c.source) for c in expected], "run: python notebooks/build.py " + name
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "committed without running"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name: str, tmp_path: Path, monkeypatch) -> None:
    shutil.copy(NOTEBOOKS / f"{name}.ipynb", tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
