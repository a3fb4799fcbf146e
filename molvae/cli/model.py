"""``molvae sample``, ``encode``, ``decode`` and ``score``: using a trained model."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from molvae.cli.app import (
    _load_model,
    _molecules_from,
    _parse_assignments,
    _read_latents,
    _split_names,
    _write_or_print,
    app,
    cli_errors,
)
from molvae.cli.options import Device, Model, SmilesColumn
from molvae.errors import MolvaeError


@app.command("sample")
@cli_errors
def sample_command(
    model: Model = "zinc",
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
    device: Device = "auto",
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
    smiles_column: SmilesColumn = None,
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="CSV (smiles, z0, z1, ...) or .npy (the array only)."),
    model: Model = "zinc",
    device: Device = "auto",
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
    model: Model = "zinc",
    greedy: bool = typer.Option(True, "--greedy/--sample", help="Most likely token, or sample."),
    temperature: float = typer.Option(1.0, "--temperature", min=0.0),
    seed: Optional[int] = typer.Option(None, "--seed"),
    device: Device = "auto",
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
    smiles_column: SmilesColumn = None,
    samples: int = typer.Option(0, "--samples", min=0, help="0: decode from the mean code; k: "
                                "average the reconstruction term over k draws of z."),
    seed: int = typer.Option(0, "--seed"),
    model: Model = "zinc",
    device: Device = "auto",
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
    model: Model = "zinc",
    device: Device = "auto",
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
    model: Model = "zinc",
    device: Device = "auto",
) -> None:
    """Distinct molecules decoded near a molecule's code, most similar first."""
    frame = _load_model(model, device).neighbors(smiles, n, radius=radius, seed=seed)
    _write_or_print(frame, output, f"{len(frame)} neighbours found")
