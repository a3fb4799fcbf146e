"""``molvae prior fit``: the learned prior over z that sampling draws from."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from molvae.cli.app import _load_model, app, cli_errors
from molvae.cli.options import Device, Model, SmilesColumn

prior_app = typer.Typer(help="The learned prior over z that `molvae sample` draws from.",
                        no_args_is_help=True)
app.add_typer(prior_app, name="prior")


@prior_app.command("fit")
@cli_errors
def prior_fit(
    model: Model,
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to save the model with "
                                       "its prior (default: over the model's own checkpoint)."),
    input: Optional[Path] = typer.Option(None, "--input", "-i", help="Fit to the codes of these "
                                         "molecules (CSV/.smi/.sdf) instead of the model's "
                                         "training split."),
    smiles_column: SmilesColumn = None,
    epochs: Optional[int] = typer.Option(None, "--epochs", min=1, help="Passes over the codes "
                                         "(default: molvae.prior.PriorConfig's)."),
    seed: Optional[int] = typer.Option(None, "--seed"),
    device: Device = "auto",
) -> None:
    """Fit a latent diffusion prior to the encoder means of the model's training molecules and
    save it inside the checkpoint, so that sampling draws where the data's codes lie."""
    from dataclasses import replace

    from molvae.prior import PriorConfig, fit_model_prior

    vae = _load_model(model, device)
    molecules = None
    if input is not None:
        from molvae.data import read_smiles

        molecules = read_smiles(input, smiles_column=smiles_column)
    options = {k: v for k, v in (("epochs", epochs), ("seed", seed)) if v is not None}
    config = replace(PriorConfig(), **options)
    vae.prior = fit_model_prior(vae, molecules, config, progress=True)
    if out is None and not Path(model).exists():
        from molvae.errors import MolvaeError

        raise MolvaeError(f"{model!r} is not a checkpoint path; give --out PATH to save the model "
                          "with its prior")
    from molvae.pretrained import checkpoint_source

    target = out if out is not None else checkpoint_source(model)  # a run folder: its best
    saved = vae.save(target)
    typer.echo(f"fitted the prior ({config.epochs} epochs) and saved the model with it to {saved}")
