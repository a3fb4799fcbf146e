"""The ``molvae`` Typer application and what its commands share: one-line errors, model
loading, reading molecules and writing tables.

Errors that molvae raises on purpose (:class:`molvae.errors.MolvaeError`) are printed as one line
on stderr with exit code 1, never as a traceback; a bad option or argument is one line too,
with exit code 2 as click gives it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, TypeVar

import typer
from typer.core import TyperGroup

from molvae.errors import MolvaeError

__all__ = ["app", "cli_errors"]

F = TypeVar("F", bound=Callable[..., object])

# typer raises click's usage errors (its vendored copy in recent releases): found through a class
# typer exports, so that either works
_UsageError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_NoArgsIsHelpError = getattr(sys.modules[_UsageError.__module__], "NoArgsIsHelpError", None)


@contextlib.contextmanager
def _usage_errors_on_one_line() -> Iterator[None]:
    """A bad option or argument (out of range, unknown, missing) as one line naming it and the
    help to read, exit code 2, instead of click's usage block; ``molvae`` alone still shows
    the help."""
    try:
        yield
    except _UsageError as err:
        if _NoArgsIsHelpError is not None and isinstance(err, _NoArgsIsHelpError):
            raise
        where = f" (see '{err.ctx.command_path} --help')" if err.ctx is not None else ""
        typer.secho(f"error: {err.format_message()}{where}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=err.exit_code) from None


class _OneLineErrorGroup(TyperGroup):
    """The root command: usage errors of every command below it come out as one line."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _usage_errors_on_one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        with _usage_errors_on_one_line():
            return super().invoke(ctx)


app = typer.Typer(
    name="molvae",
    cls=_OneLineErrorGroup,
    help="Molecule generation with a SMILES/SELFIES GRU VAE: load data, train, sample, "
    "optimize properties in latent space.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
data_app = typer.Typer(help="Inspect the datasets molvae can train on.", no_args_is_help=True)
app.add_typer(data_app, name="data")


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


def cli_errors(func: F) -> F:
    """Turn a MolvaeError (and a missing file) raised by a command into one line and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except MolvaeError as err:
            raise _fail(str(err)) from None
        except FileNotFoundError as err:
            raise _fail(f"no such file: {err.filename!r}") from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show debug messages."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Show only warnings and errors."),
) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr,
                        force=True)


def _split_names(text: Optional[str]) -> Optional[list[str]]:
    if text is None:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]



def _parse_assignments(items: Optional[List[str]], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise MolvaeError(f"{what} {item!r} is not KEY=VALUE; write e.g. {what} logp=4.0")
        out[key.strip()] = value.strip()
    return out


def _load_model(model: str, device: str):
    from molvae.vae import MolVAE

    return MolVAE.load(model, device=device)



def _write_or_print(frame, output: Optional[Path], summary: str) -> None:
    if output is None:
        typer.echo(frame.to_csv(index=False, float_format="%.6g"), nl=False)
        typer.echo(summary, err=True)
        return
    from molvae.files import atomic_write

    atomic_write(output, lambda tmp: frame.to_csv(tmp, index=False))
    typer.echo(f"{summary}; wrote {output}")


def _molecules_from(smiles: Optional[List[str]], input: Optional[Path],
                    smiles_column: Optional[str]) -> list[str]:
    from molvae.data import read_smiles

    if input is not None and smiles:
        raise MolvaeError("give SMILES arguments or --input FILE, not both")
    if input is not None:
        return read_smiles(input, smiles_column=smiles_column)
    if smiles:
        return list(smiles)
    raise MolvaeError("no molecules given; pass SMILES arguments or --input FILE (see --help)")


def _read_latents(path: Path):
    import numpy as np
    import pandas as pd

    if not path.exists():
        raise MolvaeError(f"no such file: {str(path)!r}; give a .npy or CSV file from `molvae encode`")
    if path.suffix == ".npy":
        z = np.load(path, allow_pickle=False)
    else:
        frame = pd.read_csv(path)
        columns = [c for c in frame.columns if c.startswith("z") and c[1:].isdigit()]
        if not columns:
            raise MolvaeError(f"{path.name!r} has no z0, z1, ... columns; write it with `molvae encode`")
        z = frame[sorted(columns, key=lambda c: int(c[1:]))].to_numpy(dtype=np.float32)
    if z.ndim != 2:
        raise MolvaeError(f"{path.name!r} holds an array of shape {z.shape}; expected (n, latent_dim)")
    return z.astype(np.float32)
