"""``molvae optimize`` and ``molvae predictor train``: steering toward properties."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional, Union

import typer

from molvae.cli.app import (
    MODEL_HELP,
    _load_model,
    app,
    cli_errors,
)
from molvae.errors import MolvaeError


@app.command("optimize")
@cli_errors
def optimize_command(
    property: Optional[str] = typer.Option(None, "--property", "-p", help="A property to improve "
                                           "(logp, plogp, qed, sa, mw, ...; see `molvae props --list`)."),
    objective: Optional[str] = typer.Option(None, "--objective", help="A weighted sum instead, "
                                            "e.g. \"qed + 0.3*plogp - 0.5*sa\"."),
    oracle: Optional[Path] = typer.Option(None, "--oracle", help="Score with a graph model "
                                          "instead (from `molvae predictor train --graph`)."),
    model: str = typer.Option("zinc", "--model", "-m", help=MODEL_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="CSV of the ranked molecules."),
    grid: Optional[Path] = typer.Option(None, "--grid", help="Draw the top molecules to a .png or .svg."),
    minimize: bool = typer.Option(False, "--minimize", help="Lower is better."),
    target: Optional[float] = typer.Option(None, "--target", help="Get close to this value instead."),
    n_starts: Optional[int] = typer.Option(None, "--n-starts", min=1, help="Starting points: "
                                           "prior samples, or with --loop the climbs per round "
                                           "from the best scored so far (default: 512; with "
                                           "--loop, 256)."),
    steps: Optional[int] = typer.Option(None, "--steps", min=1, help="Gradient-ascent steps per "
                                        "start (default: 100; with --loop, 50)."),
    lr: Optional[float] = typer.Option(None, "--lr", min=0.0, help="Adam step size on z "
                                       "(default: 0.005 with --min-similarity without "
                                       "--loop, else 0.05)."),
    restarts: Optional[int] = typer.Option(None, "--restarts", min=1, help="Climbs per start "
                                           "molecule with --start/--starts, the copies after the "
                                           "first jittered (default: 40; not with --loop)."),
    temperature: Optional[float] = typer.Option(None, "--temperature", min=0.0, help="Decode by "
                                                "sampling at this temperature; 0: greedy "
                                                "(default: 1.0 with --min-similarity, else 0)."),
    rounds: Optional[int] = typer.Option(None, "--rounds", min=1, help="Later rounds restart from "
                                         "each start's best molecules so far "
                                         "(default: 3 with --min-similarity, else 1; with "
                                         "--loop, rounds until --budget is spent)."),
    graph_edits: Optional[int] = typer.Option(None, "--graph-edits", min=0, help="Graph-edit "
                                              "children (mol-ga's crossover and mutation) per start "
                                              "and round, bred from each start and its best finds; "
                                              "0: latent ascent only (default: 50 with "
                                              "--start/--starts, else 0). With --loop, 0 turns "
                                              "edits off; otherwise each round's calls go to "
                                              "edits first."),
    start: Optional[List[str]] = typer.Option(None, "--start", help="Start from this molecule "
                                              "(repeatable) instead of prior samples."),
    starts: Optional[Path] = typer.Option(None, "--starts", help="Start from the molecules of a file."),
    min_similarity: Optional[float] = typer.Option(None, "--min-similarity", min=0.0, max=1.0,
                                                   help="Keep Tanimoto >= this to each start."),
    max_heavy_atoms: int = typer.Option(38, "--max-heavy-atoms", min=1,
                                        help="Reject larger molecules (38: the ZINC250k maximum)."),
    substructure: Optional[str] = typer.Option(None, "--substructure", help="SMARTS every result keeps."),
    allow_radicals: bool = typer.Option(False, "--allow-radicals", help="Keep molecules with "
                                        "unpaired electrons (rejected by default)."),
    medchem: Optional[bool] = typer.Option(None, "--medchem/--no-medchem", help="The "
                                           "medicinal-chemistry guard: report only molecules "
                                           "without PAINS, Brenk or MCF alerts, with rings of at "
                                           "most 7 atoms, SA at most 4.5, usual valences and "
                                           "at most one non-aromatic C=C (default: on)."),
    budget: Optional[int] = typer.Option(None, "--budget", min=1, help="At most this many true-score "
                                         "evaluations (oracle calls), the predictor's training included."),
    loop: bool = typer.Option(False, "--loop", help="Oracle in the loop: rounds of propose, "
                              "score, refit the predictor on everything scored, until --budget "
                              "calls are spent (from --starts, else 1,000 random molecules of the "
                              "model's dataset, counted)."),
    per_round: Optional[int] = typer.Option(None, "--per-round", min=1, help="With --loop: "
                                            "molecules scored per round, e.g. one assay plate "
                                            "(default: a twentieth of the budget left, 100 to "
                                            "250)."),
    edit_explore: Optional[float] = typer.Option(None, "--edit-explore", min=0.0, max=1.0,
                                                 help="With --loop: the share of each round's "
                                                 "edit calls given to children drawn at random "
                                                 "instead of the ones the predictor rates "
                                                 "highest (default: by the budget, 0 up to "
                                                 "5,000 calls, rising to 0.5 at 20,000)."),
    history: Optional[Path] = typer.Option(None, "--history", help="CSV of the best score so far "
                                           "against oracle calls used."),
    seed: int = typer.Option(0, "--seed"),
    novelty: bool = typer.Option(True, "--novelty/--no-novelty", help="Flag molecules absent from "
                                 "the model's training set (the first run canonicalizes that set)."),
    top: int = typer.Option(10, "--top", min=0, help="How many molecules to print."),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Steer molecules toward a property by gradient ascent in latent space (and graph edits of
    start molecules); RDKit scores them. With --loop, rounds against an oracle budget."""
    from molvae.optimize import optimize

    if sum(x is not None for x in (property, objective, oracle)) != 1:
        raise MolvaeError("give exactly one of --property NAME, --objective \"EXPRESSION\" or "
                          "--oracle GRAPH_MODEL.safetensors")
    if start and starts is not None:
        raise MolvaeError("give --start SMILES or --starts FILE, not both")
    score = property or objective
    if oracle is not None:
        from molvae.graph_model import GraphModel

        score = GraphModel.load(oracle)
        typer.echo(f"scoring with {score!r}")
    local = min_similarity is not None  # search near each start: small steps, sampled decodes
    if temperature is None:
        temperature = 1.0 if local else 0.0
    if loop and budget is None:
        raise MolvaeError("--loop spends an oracle budget: add --budget N (e.g. --budget 5000)")
    if loop and restarts is not None:
        raise MolvaeError("--restarts sets the climbs per start molecule without --loop; with "
                          "--loop, set the climbs per round with --n-starts")
    if per_round is not None and not loop:
        raise MolvaeError("--per-round sets the round size of --loop: add --loop --budget N, or "
                          "drop --per-round")
    if edit_explore is not None and not loop:
        raise MolvaeError("--edit-explore sets how --loop explores: add --loop --budget N, or "
                          "drop --edit-explore")
    start_molecules = list(start) if start else (str(starts) if starts is not None else None)
    guard = {} if medchem is None or medchem else {"guard": None}
    vae = _load_model(model, device)
    if loop:
        result = _oracle_loop(vae, score, budget=budget, lr=lr, temperature=temperature,
                              rounds=rounds, starts=start_molecules, n_starts=n_starts,
                              steps=steps, per_round=per_round, edit_explore=edit_explore,
                              graph_edits=graph_edits, min_similarity=min_similarity,
                              max_heavy_atoms=max_heavy_atoms, substructure=substructure,
                              allow_radicals=allow_radicals, minimize=minimize, target=target,
                              seed=seed, novelty=novelty, **guard)
        _report(result, output=output, grid=grid, top=top, history=history)
        return
    result = optimize(vae, score, **_given(n_starts=n_starts, steps=steps),
                      lr=lr if lr is not None else (0.005 if local else 0.05),
                      restarts=restarts if restarts is not None else 40,
                      temperature=temperature or None,
                      rounds=rounds if rounds is not None else (3 if local else 1),
                      starts=start_molecules,
                      min_similarity=min_similarity, max_heavy_atoms=max_heavy_atoms,
                      substructure=substructure, allow_radicals=allow_radicals, **guard,
                      minimize=minimize, target=target, budget=budget, seed=seed,
                      graph_edits=graph_edits if graph_edits is not None else
                      (50 if start_molecules is not None else 0),
                      **({} if novelty else {"novelty_reference": None}))
    _report(result, output=output, grid=grid, top=top, history=history)


def _oracle_loop(vae: Any, score: Any, *, budget: int, lr: Optional[float],
                 temperature: Optional[float], rounds: Optional[int],
                 starts: Union[List[str], str, None], n_starts: Optional[int],
                 steps: Optional[int], per_round: Optional[int], graph_edits: Optional[int],
                 edit_explore: Optional[float], novelty: bool, **constraints: Any) -> Any:
    """``optimize --loop``: :func:`molvae.optimize.optimize_with_oracle` with the options that
    mean something there (the loop's own defaults for the rest)."""
    from molvae.optimize import optimize_with_oracle

    options = _given(initial=starts, lr=lr, rounds=rounds, n_starts=n_starts, steps=steps,
                     per_round=per_round, edit_explore=edit_explore)
    if temperature:
        options["temperature"] = temperature
    if graph_edits is not None:  # the loop takes a share: 0 turns edits off, any other keeps them
        options["graph_edits"] = 0.0 if graph_edits == 0 else 1.0
    if not novelty:
        options["novelty_reference"] = None
    return optimize_with_oracle(vae, score, budget=budget, **options, **constraints)


def _given(**options: Any) -> dict:
    """The options the user gave (not None): the rest keep the library function's defaults."""
    return {name: value for name, value in options.items() if value is not None}


def _report(result: Any, *, output: Optional[Path], grid: Optional[Path], top: int,
            history: Optional[Path]) -> None:
    frame = result.frame
    columns = [c for c in ("smiles", "score", "predicted", "similarity", "source", "qed", "sa",
                           "heavy_atoms")
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
    if history is not None:
        from molvae.files import atomic_write

        atomic_write(history, lambda tmp: result.history.to_csv(tmp, index=False))
        typer.echo(f"wrote the best score against oracle calls to {history}")


predictor_app = typer.Typer(help="Property predictors on a model's latent space.", no_args_is_help=True)
app.add_typer(predictor_app, name="predictor")


@predictor_app.command("train")
@cli_errors
def predictor_train(
    data: Path = typer.Argument(..., help="CSV with a SMILES column and a label column."),
    target: str = typer.Option(..., "--target", "-t", help="The label column (or a built-in property)."),
    model: str = typer.Option("zinc", "--model", "-m", help=MODEL_HELP),
    smiles_column: Optional[str] = typer.Option(None, "--smiles-column"),
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
