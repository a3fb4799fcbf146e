"""The ``molvae`` command line: each command a few lines over the library functions.

One module per group of commands; importing this package registers them all on :data:`app`.
"""

from __future__ import annotations

from typing import Optional

from molvae.cli import (  # noqa: F401  (register the commands, in help order)
    train,
    model,
    optimize,
    predictor,
    prior,
    evaluate,
    data,
    plot,
)
from molvae.cli.app import app

__all__ = ["app", "main"]


def main(argv: Optional[list[str]] = None) -> None:
    """Entry point of the ``molvae`` console script."""
    app(args=argv, prog_name="molvae")
