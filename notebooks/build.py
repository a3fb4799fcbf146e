"""Build the notebooks from the cell sources below and execute them in place, so they are
committed with their outputs:

    python notebooks/build.py            # both
    python notebooks/build.py 02         # those whose name contains "02"

The test suite (tests/test_notebooks.py) executes a copy of each committed notebook; this script
is only for regenerating them after an API change. Cells are separated by lines "# %%" (code)
or "# %% [markdown]" (text) in notebooks/src/*.py.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def cells_of(source: str) -> list:
    cells, kind, lines = [], None, []

    def flush() -> None:
        text = "\n".join(lines).strip("\n")
        if kind == "markdown":
            text = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#")
                             for line in text.splitlines())
            cells.append(nbformat.v4.new_markdown_cell(text))
        elif kind == "code" and text:
            cells.append(nbformat.v4.new_code_cell(text))

    for line in source.splitlines():
        if line.startswith("# %%"):
            flush()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        elif kind is not None:
            lines.append(line)
    flush()
    return cells


def build(src: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells_of(src.read_text())
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:  # files a notebook writes stay out of the repo
        NotebookClient(notebook, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": workdir}}).execute()
    target = HERE / f"{src.stem}.ipynb"
    nbformat.write(notebook, target)
    print(f"{target.name}: executed in {time.perf_counter() - start:.0f} s")
    return target


if __name__ == "__main__":
    wanted = sys.argv[1:]
    for path in sorted((HERE / "src").glob("*.py")):
        if not wanted or any(w in path.name for w in wanted):
            build(path)
