"""The ``molvae`` command line: each command a few lines over the library functions.

Errors that molvae raises on purpose (:class:`molvae.errors.MolvaeError`) are printed as one line
on stderr with exit code 1, never as a traceback.
"""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path
from typing import Callable, List, Optional, TypeVar

import typer

from molvae.errors import MolvaeError

__all__ = ["app", "main"]

F = TypeVar("F", bound=Callable[..., object])

app = typer.Typer(
    name="molvae",
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


# ----------------------------------------------------------------------------- data


@data_app.command("info")
@cli_errors
def data_info(
    source: str = typer.Argument(..., help="A dataset name (zinc, moses, moses:test, "
                                 "moses:test_scaffolds) or a CSV/.smi/.sdf path."),
    properties: str = typer.Option("logp,qed,sa", "--properties", "-p",
                                   help="Comma-separated properties to summarize (see `molvae props --list`)."),
    smiles_column: Optional[str] = typer.Option(None, "--smiles-column",
                                                help="CSV column holding the SMILES (default: SMILES or smiles)."),
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
    smiles_column: Optional[str] = typer.Option(None, "--smiles-column",
                                                help="CSV column holding the SMILES (default: SMILES or smiles)."),
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


# ----------------------------------------------------------------------------- train / sample


def _parse_assignments(items: Optional[List[str]], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise MolvaeError(f"{what} {item!r} is not KEY=VALUE; write e.g. {what} logp=4.0")
        out[key.strip()] = value.strip()
    return out


@app.command("train")
@cli_errors
def train_command(
    source: str = typer.Argument(..., help="zinc, moses, or a CSV/.smi/.sdf path."),
    config: Optional[str] = typer.Option(None, "--config", "-c", help="A YAML config file or the "
                                         "name of a shipped one (zinc, moses, tiny, moses_vae_size); "
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


def _load_model(model: str, device: str):
    from molvae.vae import MolVAE

    return MolVAE.load(model, device=device)


_MODEL_HELP = "A checkpoint folder or .safetensors file, or 'zinc' for the shipped model."


@app.command("sample")
@cli_errors
def sample_command(
    model: str = typer.Option("zinc", "--model", "-m", help=_MODEL_HELP),
    n: int = typer.Option(1000, "-n", "--n", min=1, help="How many molecules."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="CSV to write (default: print)."),
    temperature: float = typer.Option(1.0, "--temperature", min=0.0),
    seed: Optional[int] = typer.Option(None, "--seed"),
    condition: Optional[List[str]] = typer.Option(None, "--condition", help="For a conditional "
                                                  "model: target values, e.g. --condition logp=4.0."),
    properties: Optional[str] = typer.Option(None, "--properties", "-p",
                                             help="Comma-separated properties to add as columns."),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Sample molecules from the prior; invalid decodes are kept with valid=False."""
    vae = _load_model(model, device)
    conditions = {k: float(v) for k, v in _parse_assignments(condition, "--condition").items()}
    frame = vae.sample(n, temperature=temperature, seed=seed, conditions=conditions or None,
                       properties=_split_names(properties) or ())
    valid = int(frame["valid"].sum())
    summary = (f"{n} sampled: {valid} valid ({valid / n:.1%}), "
               f"{frame.loc[frame['valid'], 'smiles'].nunique()} unique valid")
    _write_or_print(frame, output, summary)


def _write_or_print(frame, output: Optional[Path], summary: str) -> None:
    if output is None:
        typer.echo(frame.to_csv(index=False, float_format="%.6g"), nl=False)
        typer.echo(summary, err=True)
        return
    from molvae.files import atomic_write

    atomic_write(output, lambda tmp: frame.to_csv(tmp, index=False))
    typer.echo(f"{summary}; wrote {output}")


@app.command("encode")
@cli_errors
def encode_command(
    smiles: Optional[List[str]] = typer.Argument(None, help="SMILES strings."),
    input: Optional[Path] = typer.Option(None, "--input", "-i", help="A CSV/.smi/.sdf file instead."),
    smiles_column: Optional[str] = typer.Option(None, "--smiles-column"),
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="CSV (smiles, z0, z1, ...) or .npy (the array only)."),
    model: str = typer.Option("zinc", "--model", "-m", help=_MODEL_HELP),
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


@app.command("decode")
@cli_errors
def decode_command(
    latents: Path = typer.Argument(..., help="A .npy array (n, latent_dim) or a CSV with columns "
                                   "z0, z1, ... as `molvae encode` writes."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="CSV to write (default: print)."),
    model: str = typer.Option("zinc", "--model", "-m", help=_MODEL_HELP),
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


# ----------------------------------------------------------------------------- optimize


@app.command("optimize")
@cli_errors
def optimize_command(
    property: Optional[str] = typer.Option(None, "--property", "-p", help="A property to improve "
                                           "(logp, plogp, qed, sa, mw, ...; see `molvae props --list`)."),
    objective: Optional[str] = typer.Option(None, "--objective", help="A weighted sum instead, "
                                            "e.g. \"qed + 0.3*plogp - 0.5*sa\"."),
    model: str = typer.Option("zinc", "--model", "-m", help=_MODEL_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="CSV of the ranked molecules."),
    grid: Optional[Path] = typer.Option(None, "--grid", help="Draw the top molecules to a .png or .svg."),
    minimize: bool = typer.Option(False, "--minimize", help="Lower is better."),
    target: Optional[float] = typer.Option(None, "--target", help="Get close to this value instead."),
    n_starts: int = typer.Option(512, "--n-starts", min=1, help="Starting points (prior samples)."),
    steps: int = typer.Option(100, "--steps", min=1, help="Gradient-ascent steps per start."),
    start: Optional[List[str]] = typer.Option(None, "--start", help="Start from this molecule "
                                              "(repeatable) instead of prior samples."),
    starts: Optional[Path] = typer.Option(None, "--starts", help="Start from the molecules of a file."),
    min_similarity: Optional[float] = typer.Option(None, "--min-similarity", min=0.0, max=1.0,
                                                   help="Keep Tanimoto >= this to each start."),
    max_heavy_atoms: int = typer.Option(38, "--max-heavy-atoms", min=1,
                                        help="Reject larger molecules (38: the ZINC250k maximum)."),
    substructure: Optional[str] = typer.Option(None, "--substructure", help="SMARTS every result keeps."),
    budget: Optional[int] = typer.Option(None, "--budget", min=1, help="At most this many true-score "
                                         "evaluations (oracle calls), the predictor's training included."),
    seed: int = typer.Option(0, "--seed"),
    novelty: bool = typer.Option(True, "--novelty/--no-novelty", help="Flag molecules absent from "
                                 "the model's training set (the first run canonicalizes that set)."),
    top: int = typer.Option(10, "--top", min=0, help="How many molecules to print."),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Steer molecules toward a property by gradient ascent in latent space; RDKit scores them."""
    from molvae.optimize import optimize

    if (property is None) == (objective is None):
        raise MolvaeError("give exactly one of --property NAME or --objective \"EXPRESSION\"")
    if start and starts is not None:
        raise MolvaeError("give --start SMILES or --starts FILE, not both")
    vae = _load_model(model, device)
    result = optimize(vae, property or objective, n_starts=n_starts, steps=steps,
                      starts=list(start) if start else (str(starts) if starts else None),
                      min_similarity=min_similarity, max_heavy_atoms=max_heavy_atoms,
                      substructure=substructure, minimize=minimize, target=target, budget=budget,
                      seed=seed, **({} if novelty else {"novelty_reference": None}))
    frame = result.frame
    columns = [c for c in ("smiles", "score", "predicted", "similarity", "qed", "sa", "heavy_atoms")
               if c in frame.columns]
    if top and len(frame):
        typer.echo(frame[columns].head(top).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    typer.echo(f"{result!r}")
    if output is not None:
        result.to_csv(output)
        typer.echo(f"wrote {len(frame)} molecules to {output}")
    if grid is not None and len(frame):
        result.save_grid(grid)
        typer.echo(f"drew the top molecules to {grid}")
    elif grid is not None:
        typer.secho(f"warning: no molecule met the constraints; {grid} not drawn", err=True,
                    fg=typer.colors.YELLOW)


# ----------------------------------------------------------------------------- evaluate


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
    smiles_column: Optional[str] = typer.Option(None, "--smiles-column"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="JSON file for the results."),
    device: str = typer.Option("auto", "--device"),
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
    results = evaluate(smiles, reference=reference, train=train, device=device)
    typer.echo(format_metrics(results))
    if output is not None:
        atomic_write_text(output, json.dumps(results, indent=2))
        typer.echo(f"wrote {output}")


# ----------------------------------------------------------------------------- predictors

predictor_app = typer.Typer(help="Property predictors on a model's latent space.", no_args_is_help=True)
app.add_typer(predictor_app, name="predictor")


@predictor_app.command("train")
@cli_errors
def predictor_train(
    data: Path = typer.Argument(..., help="CSV with a SMILES column and a label column."),
    target: str = typer.Option(..., "--target", "-t", help="The label column (or a built-in property)."),
    model: str = typer.Option(..., "--model", "-m", help="The VAE checkpoint whose latent space to use."),
    smiles_column: Optional[str] = typer.Option(None, "--smiles-column"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to save (default: beside the model)."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Fit an ensemble of MLPs on z to a label column; report held-out R² and Spearman."""
    from molvae.predictor import train_predictor_from_file

    predictor, report = train_predictor_from_file(model, data, target, smiles_column=smiles_column,
                                                  out=out, seed=seed)
    typer.echo(f"{target}: trained on {report.n_train}, held out {report.n_valid} "
               f"({report.n_dropped} rows dropped); held-out R² {report.r2:.3f}, "
               f"Spearman {report.spearman:.3f}, RMSE {report.rmse:.3g}")


def main(argv: Optional[list[str]] = None) -> None:
    """Entry point of the ``molvae`` console script."""
    app(args=argv, prog_name="molvae")


if __name__ == "__main__":  # pragma: no cover
    main()
