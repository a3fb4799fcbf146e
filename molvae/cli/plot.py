"""``molvae plot ...``: the figures of :mod:`molvae.plots`, written to PNG or SVG."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from molvae.cli.app import _load_model, _split_names, app, cli_errors
from molvae.cli.options import Device, Model, SmilesColumn
from molvae.errors import MolvaeError

plot_app = typer.Typer(help="Draw figures to .png or .svg files.", no_args_is_help=True)
app.add_typer(plot_app, name="plot")

_OUTPUT = typer.Option(..., "--output", "-o", help="A .png or .svg file.")


def _smiles_of(source: str | Path, smiles_column: Optional[str], limit: Optional[int]) -> list[str]:
    """Molecules of a file, or of a dataset by name (zinc, moses, ...), the first ``limit``."""
    from molvae.data import dataset_path, read_smiles

    rows = read_smiles(dataset_path(source), smiles_column=smiles_column)
    return rows[:limit] if limit else rows


@plot_app.command("latent-map")
@cli_errors
def latent_map_command(
    input: str = typer.Argument(..., help="Molecules to encode: a CSV/.smi/.sdf file, or a "
                                "dataset name (zinc, moses)."),
    output: Path = _OUTPUT,
    color: str = typer.Option("logp", "--color", help="A property to colour by, or 'none'."),
    method: str = typer.Option("pca", "--method", help="pca, or umap (needs umap-learn)."),
    limit: Optional[int] = typer.Option(5000, "--limit", min=2, help="Use the first N molecules."),
    smiles_column: SmilesColumn = None,
    model: Model = "zinc",
    device: Device = "auto",
) -> None:
    """2-D map of the molecules' latent codes, coloured by a property."""
    from molvae.plots import latent_map

    smiles = _smiles_of(input, smiles_column, limit)
    latent_map(_load_model(model, device), smiles, color=None if color == "none" else color,
               method=method, path=output)
    typer.echo(f"drew {len(smiles)} molecules to {output}")


@plot_app.command("grid")
@cli_errors
def grid_command(
    input: Path = typer.Argument(..., help="A CSV with a SMILES column (e.g. from optimize or sample)."),
    output: Path = _OUTPUT,
    legend: Optional[str] = typer.Option(None, "--legend", help="Column to write under each molecule."),
    n: int = typer.Option(12, "-n", "--n", min=1, help="How many molecules (from the top)."),
    per_row: int = typer.Option(4, "--per-row", min=1),
    smiles_column: SmilesColumn = None,
) -> None:
    """A grid of molecule drawings with legends."""
    import pandas as pd

    from molvae.plots import molecule_grid

    if input.suffix.lower() in (".csv", ".gz"):
        frame = pd.read_csv(input)
        column = smiles_column or next((c for c in frame.columns if c.lower() == "smiles"), None)
        if column is None:
            raise MolvaeError(f"{input.name!r} has no SMILES column; name it with --smiles-column")
        frame = frame.rename(columns={column: "smiles"})
    else:
        frame = pd.DataFrame({"smiles": _smiles_of(input, smiles_column, None)})
    frame = frame.dropna(subset=["smiles"]).head(n)
    molecule_grid(frame, legend=legend, mols_per_row=per_row, path=output)
    typer.echo(f"drew {len(frame)} molecules to {output}")


@plot_app.command("interpolation")
@cli_errors
def interpolation_command(
    start: str = typer.Argument(..., help="SMILES of the first molecule."),
    end: str = typer.Argument(..., help="SMILES of the last molecule."),
    output: Path = _OUTPUT,
    steps: int = typer.Option(8, "--steps", min=2),
    method: str = typer.Option("slerp", "--method", help="slerp or linear."),
    model: Model = "zinc",
    device: Device = "auto",
) -> None:
    """The molecules along a latent interpolation, in one strip."""
    from molvae.plots import interpolation_strip

    interpolation_strip(_load_model(model, device), start, end, steps, method=method, path=output)
    typer.echo(f"drew the interpolation to {output}")


@plot_app.command("training")
@cli_errors
def training_command(
    run: Path = typer.Argument(..., help="A run folder (or its metrics.csv)."),
    output: Path = _OUTPUT,
) -> None:
    """Loss, KL and validation curves of a training run."""
    from molvae.plots import training_curves

    training_curves(run, path=output)
    typer.echo(f"drew the training curves to {output}")


@plot_app.command("properties")
@cli_errors
def properties_command(
    samples: Path = typer.Argument(..., help="Generated molecules (CSV/.smi)."),
    output: Path = _OUTPUT,
    reference: Optional[str] = typer.Option("zinc", "--reference", "-r", help="A dataset name "
                                            "(zinc, moses) or file to compare with; 'none' for none."),
    properties: str = typer.Option("logp,qed,sa,mw", "--properties", "-p"),
    limit: Optional[int] = typer.Option(20000, "--limit", min=1,
                                        help="Use at most N reference molecules (a seeded sample)."),
    smiles_column: SmilesColumn = None,
) -> None:
    """Property histograms of generated molecules beside a reference set."""
    from molvae.plots import property_distributions

    names = _split_names(properties) or []
    generated = _smiles_of(samples, smiles_column, None)
    ref = None
    if reference and reference != "none":
        from molvae.data import load_dataset

        frame = load_dataset(reference, properties=names).frame
        ref = frame.sample(n=min(limit or len(frame), len(frame)), random_state=0)
    property_distributions(generated, ref, properties=names, path=output)
    typer.echo(f"drew {len(names)} property distributions to {output}")
