"""``molvae train``, ``sample``, ``encode`` and ``decode``: training and using a model."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from molvae.cli.app import (
    MODEL_HELP,
    _load_model,
    _molecules_from,
    _parse_assignments,
    _read_latents,
    _split_names,
    _write_or_print,
    app,
    cli_errors,
)
from molvae.errors import MolvaeError


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
    smiles_column: Optional[str] = typer.Option(None, "--smiles-column"),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Use only the first N rows."),
    seed: Optional[int] = typer.Option(None, "--seed"),
    device: Optional[str] = typer.Option(None, "--device", help="auto, cpu, cuda, cuda:1 ..."),
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


@app.command("sample")
@cli_errors
def sample_command(
    model: str = typer.Option("zinc", "--model", "-m", help=MODEL_HELP),
    n: int = typer.Option(1000, "-n", "--n", min=1, help="How many molecules."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="CSV to write (default: print)."),
    temperature: float = typer.Option(1.0, "--temperature", min=0.0),
    seed: Optional[int] = typer.Option(None, "--seed"),
    condition: Optional[List[str]] = typer.Option(None, "--condition", help="For a conditional "
                                                  "model: target values, e.g. --condition logp=4.0."),
    properties: Optional[str] = typer.Option(None, "--properties", "-p",
                                             help="Comma-separated properties to add as columns."),
    prior: Optional[str] = typer.Option(None, "--prior", help="Where z is drawn from: 'learned' "
                                        "(the model's latent diffusion prior), 'normal' (N(0, I)) "
                                        "or 'auto' (default: learned when the model has one)."),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Sample molecules from the prior; invalid decodes are kept with valid=False."""
    vae = _load_model(model, device)
    conditions = {k: float(v) for k, v in _parse_assignments(condition, "--condition").items()}
    frame = vae.sample(n, temperature=temperature, seed=seed, conditions=conditions or None,
                       properties=_split_names(properties) or (),
                       **({} if prior is None else {"prior": prior}))
    valid = int(frame["valid"].sum())
    summary = (f"{n} sampled: {valid} valid ({valid / n:.1%}), "
               f"{frame.loc[frame['valid'], 'smiles'].nunique()} unique valid")
    _write_or_print(frame, output, summary)


@app.command("encode")
@cli_errors
def encode_command(
    smiles: Optional[List[str]] = typer.Argument(None, help="SMILES strings."),
    input: Optional[Path] = typer.Option(None, "--input", "-i", help="A CSV/.smi/.sdf file instead."),
    smiles_column: Optional[str] = typer.Option(None, "--smiles-column"),
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="CSV (smiles, z0, z1, ...) or .npy (the array only)."),
    model: str = typer.Option("zinc", "--model", "-m", help=MODEL_HELP),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Encode molecules to latent vectors (the encoder mean); bad rows become NaN and are reported."""
    import numpy as np
    import pandas as pd

    rows = _molecules_from(smiles, input, smiles_column)
    vae = _load_model(model, device)
    z = vae.encode(rows, on_invalid="nan")
    bad = int(np.isnan(z).any(axis=1).sum())
    summary = f"encoded {len(rows) - bad} of {len(rows)} molecules to {z.shape[1]} dimensions"
    if bad:
        summary += f" ({bad} invalid or outside the vocabulary: NaN rows)"
    if output is not None and output.suffix == ".npy":
        from molvae.files import atomic_write

        atomic_write(output, lambda tmp: np.save(open(tmp, "wb"), z))
        typer.echo(f"{summary}; wrote {output}")
        return
    frame = pd.concat([pd.DataFrame({"smiles": rows}),
                       pd.DataFrame(z, columns=[f"z{i}" for i in range(z.shape[1])])], axis=1)
    _write_or_print(frame, output, summary)


@app.command("decode")
@cli_errors
def decode_command(
    latents: Path = typer.Argument(..., help="A .npy array (n, latent_dim) or a CSV with columns "
                                   "z0, z1, ... as `molvae encode` writes."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="CSV to write (default: print)."),
    model: str = typer.Option("zinc", "--model", "-m", help=MODEL_HELP),
    greedy: bool = typer.Option(True, "--greedy/--sample", help="Most likely token, or sample."),
    temperature: float = typer.Option(1.0, "--temperature", min=0.0),
    seed: Optional[int] = typer.Option(None, "--seed"),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Decode latent vectors to molecules (empty smiles where the decode is not valid)."""
    import numpy as np
    import pandas as pd

    z = _read_latents(latents)
    vae = _load_model(model, device)
    if z.shape[1] != vae.latent_dim:
        raise MolvaeError(f"{latents.name!r} has {z.shape[1]} dimensions but the model's latent "
                          f"space has {vae.latent_dim}; encode with the same model")
    keep = ~np.isnan(z).any(axis=1)
    smiles: list = [None] * len(z)
    if keep.any():
        decoded = vae.decode(z[keep], greedy=greedy, temperature=temperature, seed=seed)
        for i, s in zip(np.flatnonzero(keep), decoded):
            smiles[i] = s
    frame = pd.DataFrame({"smiles": smiles, "valid": [s is not None for s in smiles]})
    _write_or_print(frame, output, f"decoded {len(z)} vectors: {int(frame['valid'].sum())} valid")


# ----------------------------------------------------------------------------- latent space


@app.command("score")
@cli_errors
def score_command(
    input: Path = typer.Argument(..., help="Molecules to score: a CSV/.smi/.sdf file."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="CSV to write (default: print)."),
    smiles_column: Optional[str] = typer.Option(None, "--smiles-column"),
    samples: int = typer.Option(0, "--samples", min=0, help="0: decode from the mean code; k: "
                                "average the reconstruction term over k draws of z."),
    seed: int = typer.Option(0, "--seed"),
    model: str = typer.Option("zinc", "--model", "-m", help=MODEL_HELP),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Per-molecule negative ELBO and reconstruction probability: high = unlike the training data."""
    from molvae.data import read_smiles

    rows = read_smiles(input, smiles_column=smiles_column)
    table = _load_model(model, device).score(rows, samples=samples, seed=seed)
    bad = int(table["error"].notna().sum())
    summary = f"scored {len(table) - bad} of {len(table)} molecules"
    if bad:
        first = table.index[table["error"].notna()][0]
        summary += f" ({bad} could not be: first, row {first + 1}: {table['error'][first]})"
    scored = table["neg_elbo"].dropna()
    if len(scored):
        summary += (f"; negative ELBO median {scored.median():.1f}, "
                    f"95th percentile {scored.quantile(0.95):.1f} nats")
    _write_or_print(table, output, summary)


@app.command("interpolate")
@cli_errors
def interpolate_command(
    start: str = typer.Argument(..., help="SMILES of the first molecule."),
    end: str = typer.Argument(..., help="SMILES of the last molecule."),
    steps: int = typer.Option(8, "--steps", min=2),
    method: str = typer.Option("slerp", "--method", help="slerp or linear."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="CSV to write (default: print)."),
    model: str = typer.Option("zinc", "--model", "-m", help=MODEL_HELP),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Molecules decoded along the latent path between two molecules."""
    frame = _load_model(model, device).interpolate(start, end, steps, method=method)
    _write_or_print(frame, output, f"{int(frame['valid'].sum())} of {steps} points valid, "
                    f"{int(frame['changed'].sum())} distinct steps")


@app.command("neighbors")
@cli_errors
def neighbors_command(
    smiles: str = typer.Argument(..., help="SMILES of the seed molecule."),
    n: int = typer.Option(20, "-n", "--n", min=1, help="How many distinct neighbours."),
    radius: float = typer.Option(0.5, "--radius", min=0.0, help="Noise scale per latent dimension."),
    seed: int = typer.Option(0, "--seed"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="CSV to write (default: print)."),
    model: str = typer.Option("zinc", "--model", "-m", help=MODEL_HELP),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Distinct molecules decoded near a molecule's code, most similar first."""
    frame = _load_model(model, device).neighbors(smiles, n, radius=radius, seed=seed)
    _write_or_print(frame, output, f"{len(frame)} neighbours found")
