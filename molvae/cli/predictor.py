"""``molvae predictor train``: property predictors on a model's latent space, or graph networks
on the molecules themselves (oracles for ``molvae optimize --oracle``)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from molvae.cli.app import app, cli_errors
from molvae.cli.options import Model, SmilesColumn
from molvae.errors import MolvaeError

predictor_app = typer.Typer(help="Property predictors on a model's latent space.", no_args_is_help=True)
app.add_typer(predictor_app, name="predictor")


@predictor_app.command("train")
@cli_errors
def predictor_train(
    data: Path = typer.Argument(..., help="CSV with a SMILES column and a label column."),
    target: str = typer.Option(..., "--target", "-t", help="The label column (or a built-in property)."),
    model: Model = "zinc",
    smiles_column: SmilesColumn = None,
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to save (default: beside "
                                       "the model; with --graph, TARGET.gin.safetensors here)."),
    graph: bool = typer.Option(False, "--graph", help="Fit a graph network (GIN) on the molecules "
                               "themselves instead, for use as `molvae optimize --oracle FILE`."),
    epochs: Optional[int] = typer.Option(None, "--epochs", min=1, help="Training epochs of the "
                                         "graph network (with --graph; default 60)."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Fit an ensemble of MLPs on z to a label column (or, with --graph, a GIN on the molecules);
    report held-out R² and Spearman."""
    if epochs is not None and not graph:
        raise MolvaeError("--epochs sets the graph network's training: use it with --graph")
    if graph:
        from molvae.graph_model import train_graph_model_from_file

        out = out if out is not None else Path(f"{target}.gin.safetensors")
        graph_model, report = train_graph_model_from_file(
            data, target, out, smiles_column=smiles_column, seed=seed,
            **({} if epochs is None else {"epochs": epochs}))
        saved_to = graph_model.saved_to
    else:
        from molvae.predictor import train_predictor_from_file

        predictor, report = train_predictor_from_file(model, data, target,
                                                      smiles_column=smiles_column, out=out,
                                                      seed=seed)
        saved_to = predictor.saved_to
    typer.echo(f"{target}: trained on {report.n_train}, held out {report.n_valid} "
               f"({report.n_dropped} rows dropped); held-out R² {report.r2:.3f}, "
               f"Spearman {report.spearman:.3f}, RMSE {report.rmse:.3g}; saved to {saved_to}")
