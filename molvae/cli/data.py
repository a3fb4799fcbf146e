"""``molvae data info`` and ``molvae props``: datasets and molecule properties."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from molvae.cli.app import (
    _molecules_from,
    _split_names,
    app,
    cli_errors,
    data_app,
)
from molvae.cli.options import SmilesColumn
from molvae.errors import MolvaeError


@data_app.command("info")
@cli_errors
def data_info(
    source: str = typer.Argument(..., help="A dataset name (zinc, moses, moses:test, "
                                 "moses:test_scaffolds) or a CSV/.smi/.sdf path."),
    properties: str = typer.Option("logp,qed,sa", "--properties", "-p",
                                   help="Comma-separated properties to summarize (see `molvae props --list`)."),
    smiles_column: SmilesColumn = None,
    tokenizer: str = typer.Option("smiles", "--tokenizer", help="Token lengths for: smiles or selfies."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Read only the first N rows."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Folder with MOSES files "
                                            "(default: $MOLVAE_DATA_DIR, then the cache)."),
) -> None:
    """Print size, rejects, token lengths and property summaries of a dataset."""
    from rich.console import Console
    from rich.table import Table

    from molvae.data import load_dataset, summarize_dataset

    dataset = load_dataset(source, properties=_split_names(properties) or [],
                           smiles_column=smiles_column, limit=limit, data_dir=data_dir)
    info = summarize_dataset(dataset, tokenizer_kind=tokenizer)
    console = Console()
    console.print(f"[bold]{info['name']}[/bold]  ({info['source']})")
    console.print(f"rows read {info['rows_read']:,} · molecules {info['molecules']:,} · "
                  f"unique {info['unique']:,} · rejected {info['rejected']:,}")
    if info["rejected"]:
        console.print(f"rejects: {', '.join(info['reject_examples'])} … all in {info['rejects_file']}")
    lengths = info["token_length"]
    console.print(f"{info['tokenizer']} tokens: vocabulary {info['vocabulary_size']}, length "
                  f"min {lengths['min']} · mean {lengths['mean']:.1f} · p99 {lengths['p99']:.0f} · "
                  f"max {lengths['max']}")
    frame = info["properties"]
    if len(frame):
        table = Table("property", *[str(c) for c in frame.columns])
        for name, row in frame.iterrows():
            table.add_row(str(name), *[f"{v:.3f}" for v in row])
        console.print(table)


# ----------------------------------------------------------------------------- props


@app.command("props")
@cli_errors
def props(
    smiles: Optional[List[str]] = typer.Argument(None, help="SMILES strings (quote them in the shell)."),
    input: Optional[Path] = typer.Option(None, "--input", "-i",
                                         help="Read molecules from a CSV/.smi/.sdf file instead."),
    smiles_column: SmilesColumn = None,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write a CSV here instead of printing."),
    properties: Optional[str] = typer.Option(None, "--properties", "-p",
                                             help="Comma-separated subset (default: all)."),
    list_: bool = typer.Option(False, "--list", help="List the property names with their definitions."),
) -> None:
    """Print every property of each molecule (logp, qed, sa, plogp, ... ; see --list)."""
    import pandas as pd

    from molvae.chemistry import canonicalize_and_compute, get_property, list_properties

    if list_:
        for name, description in list_properties().items():
            typer.echo(f"{name:18s} {description}")
        return
    names = _split_names(properties) or list(list_properties())
    for name in names:
        get_property(name)
    rows = _molecules_from(smiles, input, smiles_column)
    canonical, table = canonicalize_and_compute(rows, names)
    frame = pd.concat([pd.DataFrame({"input": rows, "smiles": canonical,
                                     "valid": [c is not None for c in canonical]}), table], axis=1)
    n_bad = int((~frame["valid"]).sum())
    if n_bad:
        first = frame.index[~frame["valid"]][0]
        typer.secho(f"warning: {n_bad} of {len(frame)} molecules are not valid SMILES "
                    f"(first: row {first + 1}, {rows[first][:40]!r}); their properties are empty",
                    err=True, fg=typer.colors.YELLOW)
    if output is not None:
        from molvae.files import atomic_write

        atomic_write(Path(output), lambda tmp: frame.to_csv(tmp, index=False))
        typer.echo(f"wrote {len(frame)} molecules × {len(names)} properties to {output}")
    elif len(frame) <= 4:
        shown = frame.set_index("input").T
        typer.echo(shown.to_string(float_format=lambda v: f"{v:.6g}"))
    else:
        typer.echo(frame.to_csv(index=False, float_format="%.6g"), nl=False)
    if n_bad == len(frame):
        raise MolvaeError("none of the molecules is a valid SMILES; check the input "
                          "(and --smiles-column for a CSV)")
