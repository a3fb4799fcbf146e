"""``molvae train``: training a model from a dataset and a config."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from molvae.cli.app import _parse_assignments, app, cli_errors
from molvae.cli.options import Device, SmilesColumn


@app.command("train")
@cli_errors
def train_command(
    source: str = typer.Argument(..., help="zinc, moses, or a CSV/.smi/.sdf path."),
    config: Optional[str] = typer.Option(None, "--config", "-c", help="A YAML config file or the "
                                         "name of a shipped one (zinc, zinc_gpu, moses, tiny, ...); "
                                         "default: the one named like SOURCE, else zinc."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run folder (checkpoints, metrics.csv)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", min=1),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1),
    lr: Optional[float] = typer.Option(None, "--lr", min=0.0),
    tokenizer: Optional[str] = typer.Option(None, "--tokenizer", help="smiles or selfies."),
    latent_dim: Optional[int] = typer.Option(None, "--latent-dim", min=1),
    smiles_column: SmilesColumn = None,
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Use only the first N rows."),
    seed: Optional[int] = typer.Option(None, "--seed"),
    device: Device = None,
    set_: Optional[List[str]] = typer.Option(None, "--set", help="Any other config field, "
                                             "e.g. --set beta=0.5 --set train.free_bits=0.1."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out where it stopped."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Train a VAE (defaults from configs/zinc.yaml); Ctrl-C saves a resumable checkpoint."""
    from molvae.config import run_config_for
    from molvae.training import train

    overrides = dict(out=out, epochs=epochs, batch_size=batch_size, lr=lr, tokenizer=tokenizer,
                     latent_dim=latent_dim, smiles_column=smiles_column, limit=limit, seed=seed)
    overrides.update(_parse_assignments(set_, "--set"))
    run_config = run_config_for(source, config=config, **overrides)
    try:
        result = train(run_config, resume=resume, progress=progress, device=device)
    except KeyboardInterrupt:
        typer.secho(f"interrupted: a resumable checkpoint is in {Path(run_config.train.out) / 'last'}; "
                    "continue with the same command and --resume", err=True, fg=typer.colors.YELLOW)
        raise typer.Exit(code=130) from None
    shown = ", ".join(f"{k} {v:.3f}" for k, v in result.metrics.items()
                      if isinstance(v, float) and not k.startswith("test_"))
    typer.echo(f"trained {result.epochs_completed} epochs ({result.steps} steps); best: {shown}")
    typer.echo(f"checkpoints: {result.best_path} (best), {result.last_path} (last)")
    typer.echo(f"next: `molvae prior fit --model {result.best_path}` fits the learned prior that "
               "sampling draws from (until then, z ~ N(0, I))")
