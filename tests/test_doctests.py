"""Every example in molvae's docstrings runs and prints what it says (those marked +SKIP need a
trained model or files, and are shown only)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import molvae

MODULES = sorted(m.name for m in pkgutil.walk_packages(molvae.__path__, "molvae.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_new_modules_have_examples() -> None:
    # the option types, presets and the one temperature rule are documented by example
    for name in ("molvae.optimizer.options", "molvae.optimizer.presets", "molvae.sampling",
                 "molvae.fitting", "molvae.chemistry.parsing"):
        tests = doctest.DocTestFinder().find(importlib.import_module(name))
        assert sum(len(t.examples) for t in tests) > 0, name
