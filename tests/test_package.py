"""Rules of the top-level package: the notebook API is importable from `molvae`, lazily."""

from __future__ import annotations


def test_package_exposes_the_notebook_api_lazily():
    import subprocess
    import sys

    code = ("import sys, molvae; assert 'torch' not in sys.modules; "
            "from molvae import MolVAE, optimize, evaluate, load_dataset; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr
