"""``molvae evaluate``: MOSES metrics of samples or of a model."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from molvae.cli.app import (
    _load_model,
    app,
    cli_errors,
)
from molvae.cli.options import Device, SmilesColumn
from molvae.errors import MolvaeError


@app.command("evaluate")
@cli_errors
def evaluate_command(
    samples: Optional[Path] = typer.Argument(None, help="Generated molecules (CSV/.smi); or use --model."),
    reference: str = typer.Option("moses", "--reference", "-r", help="moses, zinc, or a file."),
    train: Optional[str] = typer.Option(None, "--train", help="Training set for novelty "
                                        "(default: the reference's own training split)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Sample from this model instead."),
    n: int = typer.Option(30000, "-n", "--n", min=1, help="Molecules to sample with --model."),
    seed: int = typer.Option(0, "--seed"),
    smiles_column: SmilesColumn = None,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="JSON file for the results."),
    device: Device = "auto",
    recompute_reference: bool = typer.Option(
        False, "--recompute-reference", help="Compute the reference statistics again instead of "
        "reading the cache or the ones shipped with molvae."),
) -> None:
    """MOSES metrics (validity, uniqueness, novelty, FCD, SNN, Frag, Scaf, IntDiv, Filters, ...)."""
    import json

    from molvae.data import read_smiles
    from molvae.files import atomic_write_text
    from molvae.metrics import evaluate, format_metrics

    if (samples is None) == (model is None):
        raise MolvaeError("give a samples file or --model PATH (to sample -n molecules), not both")
    if model is not None:
        frame = _load_model(model, device).sample(n, seed=seed)
        smiles = [s if isinstance(s, str) else "" for s in frame["smiles"]]
    else:
        smiles = read_smiles(samples, smiles_column=smiles_column)
    results = evaluate(smiles, reference=reference, train=train, device=device,
                       recompute_reference=recompute_reference)
    typer.echo(format_metrics(results))
    if output is not None:
        atomic_write_text(output, json.dumps(results, indent=2))
        typer.echo(f"wrote {output}")
