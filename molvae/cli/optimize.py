"""``molvae optimize``: steering molecules toward properties."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, List, Optional

import typer

from molvae.cli.app import (
    _load_model,
    app,
    cli_errors,
)
from molvae.cli.options import Device, Model
from molvae.errors import MolvaeError


@app.command("optimize")
@cli_errors
def optimize_command(
    property: Optional[str] = typer.Option(None, "--property", "-p", help="A property to improve "
                                           "(logp, plogp, qed, sa, mw, ...; see `molvae props --list`)."),
    objective: Optional[str] = typer.Option(None, "--objective", help="A weighted sum instead, "
                                            "e.g. \"qed + 0.3*plogp - 0.5*sa\", or one of the PMO "
                                            "benchmark's 23 oracles, e.g. pmo:osimertinib_mpo "
                                            "(needs molvae[pmo])."),
    pmo_oracles: Optional[Path] = typer.Option(None, "--pmo-oracles", help="The folder with "
                                               "PMO's classifier files, for --objective pmo:drd2, "
                                               "pmo:gsk3b or pmo:jnk3 (never downloaded)."),
    oracle: Optional[Path] = typer.Option(None, "--oracle", help="Score with a graph model "
                                          "instead (from `molvae predictor train --graph`)."),
    model: Model = "zinc",
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
                                              "--start/--starts, else 0; with --loop, see "
                                              "--edit-share)."),
    start: Optional[List[str]] = typer.Option(None, "--start", help="Start from this molecule "
                                              "(repeatable) instead of prior samples."),
    starts: Optional[Path] = typer.Option(None, "--starts", exists=True, dir_okay=False,
                                          help="Start from the molecules of a file."),
    min_similarity: Optional[float] = typer.Option(None, "--min-similarity", min=0.0, max=1.0,
                                                   help="Keep Tanimoto >= this to each start."),
    max_heavy_atoms: Optional[int] = typer.Option(None, "--max-heavy-atoms", min=1,
                                                  help="Reject larger molecules (default: 38, "
                                                  "the ZINC250k maximum)."),
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
    edit_share: Optional[float] = typer.Option(None, "--edit-share", min=0.0, max=1.0,
                                               help="With --loop: the share of each round's "
                                               "calls spent on graph-edit children before latent "
                                               "proposals; 0: latent proposals only (default: 1, "
                                               "edits first)."),
    edit_pool: Optional[int] = typer.Option(None, "--edit-pool", min=1, help="With --loop: "
                                            "graph-edit children made per call spent on them, "
                                            "of which the predictor picks those it rates "
                                            "highest (--edit-explore: a share drawn at random) "
                                            "(default: 10, 3 from 10,000 calls on); fewer is "
                                            "faster, making children being most of a run's "
                                            "time with a fast oracle."),
    edit_explore: Optional[float] = typer.Option(None, "--edit-explore", min=0.0, max=1.0,
                                                 help="With --loop: the share of each round's "
                                                 "edit calls given to children drawn at random "
                                                 "instead of the ones the predictor rates "
                                                 "highest (default: by the budget, 0 up to "
                                                 "5,000 calls, rising to 0.5 at 20,000)."),
    screen_share: Optional[float] = typer.Option(None, "--screen-share", min=0.0, max=1.0,
                                                 help="With --loop: the share of each round's "
                                                 "calls spent on existing molecules, the ones of "
                                                 "--screen the predictor rates highest "
                                                 "(default: 0)."),
    screen: Optional[Path] = typer.Option(None, "--screen", exists=True, dir_okay=False,
                                          help="With --screen-share: the "
                                          "molecules to screen, a file of SMILES (default: "
                                          "10,000 random molecules of the model's dataset)."),
    journal: Optional[Path] = typer.Option(None, "--journal", help="With --loop: the CSV to "
                                           "which every scored molecule is written as soon as "
                                           "it is scored (default: OUTPUT.scored.csv beside "
                                           "-o, else optimize.scored.csv here); never "
                                           "overwritten."),
    resume: bool = typer.Option(False, "--resume", help="With --loop: continue the run whose "
                                "journal that is (after Ctrl-C, a crash or a failing oracle), "
                                "scoring no molecule twice, within the same --budget."),
    oracle_batch: Optional[int] = typer.Option(None, "--oracle-batch", min=1, help="With "
                                               "--loop: molecules per oracle call (default: a "
                                               "round's at once); 1 loses at most the molecule "
                                               "in progress when a run is stopped."),
    history: Optional[Path] = typer.Option(None, "--history", help="CSV of the best score so far "
                                           "against oracle calls used."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (default: 0)."),
    novelty: bool = typer.Option(True, "--novelty/--no-novelty", help="Flag molecules absent from "
                                 "the model's training set (the first run canonicalizes that set)."),
    top: int = typer.Option(10, "--top", min=0, help="How many molecules to print."),
    device: Device = "auto",
) -> None:
    """Steer molecules toward a property by gradient ascent in latent space (and graph edits of
    start molecules); RDKit scores them. With --loop, rounds against an oracle budget.

    The flags pick one of the library's presets (from prior draws, from start molecules, near
    start molecules under --min-similarity, or the --loop) and change only what they name."""
    from molvae.journal import check_start
    from molvae.optimizer import Constraints, Loop, Report, run
    from molvae.optimizer.presets import preset_for

    if sum(x is not None for x in (property, objective, oracle)) != 1:
        raise MolvaeError("give exactly one of --property NAME, --objective \"EXPRESSION\" or "
                          "--oracle GRAPH_MODEL.safetensors")
    if start and starts is not None:
        raise MolvaeError("give --start SMILES or --starts FILE, not both")
    if loop and budget is None:
        raise MolvaeError("--loop spends an oracle budget: add --budget N (e.g. --budget 5000)")
    if loop and restarts is not None:
        raise MolvaeError("--restarts sets the climbs per start molecule without --loop; with "
                          "--loop, set the climbs per round with --n-starts")
    if loop and graph_edits is not None:
        raise MolvaeError("--graph-edits sets children per start without --loop; with --loop, "
                          "set the share of each round's calls spent on edits with --edit-share")
    for flag, value in (("--per-round", per_round), ("--edit-share", edit_share),
                        ("--edit-pool", edit_pool), ("--edit-explore", edit_explore),
                        ("--screen-share", screen_share), ("--screen", screen),
                        ("--journal", journal), ("--resume", resume or None),
                        ("--oracle-batch", oracle_batch)):
        if value is not None and not loop:
            raise MolvaeError(f"{flag} sets how --loop spends its rounds: add --loop --budget N, "
                              f"or drop {flag}")
    if edit_share == 0 and (edit_pool is not None or edit_explore is not None):
        raise MolvaeError("--edit-share 0 spends no calls on graph edits, so --edit-pool and "
                          "--edit-explore have nothing to set: drop them or raise --edit-share")
    if screen is not None and not screen_share:
        raise MolvaeError("--screen is the set --screen-share spends calls on: add "
                          "--screen-share SHARE (e.g. 0.1), or drop --screen")
    score = property or objective
    if pmo_oracles is not None and not (objective or "").startswith("pmo:"):
        raise MolvaeError("--pmo-oracles is the folder of PMO's classifiers: use it with "
                          "--objective pmo:drd2, pmo:gsk3b or pmo:jnk3")
    if objective is not None and objective.startswith("pmo:"):
        from molvae.pmo import pmo_oracle

        score = pmo_oracle(objective, oracle_dir=pmo_oracles)  # named pmo:TASK
    if oracle is not None:
        from molvae.graph_model import GraphModel

        score = GraphModel.load(oracle)
        typer.echo(f"scoring with {score!r}")
    molecules = list(start) if start else (str(starts) if starts is not None else None)
    preset = preset_for(molecules=molecules, min_similarity=min_similarity,
                        loop_budget=budget if loop else None)
    if isinstance(preset.strategy, Loop):
        journal = journal or (output.with_name(f"{output.stem}.scored.csv") if output is not None
                              else Path("optimize.scored.csv"))
        strategy = _changed(preset.strategy, n_starts=n_starts, rounds=rounds, per_round=per_round,
                            edit_share=edit_share, edit_pool=edit_pool,
                            edit_explore=edit_explore, screen_share=screen_share,
                            screen=None if screen is None else str(screen), journal=journal,
                            resume=resume or None, oracle_batch=oracle_batch)
        check_start(journal, resume=resume)  # before the model loads
        typer.echo(f"{'resuming the run in' if resume else 'writing every scored molecule to'} "
                   f"{journal}{'' if resume else ' (--resume continues the run if it stops)'}")
    else:
        strategy = _changed(preset.strategy, n_starts=n_starts, restarts=restarts, rounds=rounds,
                            edits_per_start=graph_edits, budget=budget)
    preset = _changed(preset, strategy=strategy,
                      ascent=_changed(preset.ascent, steps=steps, lr=lr, temperature=temperature))
    constraints = _changed(Constraints(), min_similarity=min_similarity,
                           max_heavy_atoms=max_heavy_atoms, substructure=substructure,
                           allow_radicals=allow_radicals or None)
    if medchem is False:  # --no-medchem: the guard off (None, which _changed would drop)
        constraints = replace(constraints, guard=None)
    report = Report() if novelty else Report(novelty_reference=None)
    vae = _load_model(model, device)
    try:
        result = run(vae, score, preset, constraints=constraints, report=report,
                     minimize=minimize, target=target, **({} if seed is None else {"seed": seed}))
    except KeyboardInterrupt:
        if not isinstance(preset.strategy, Loop):
            raise
        journal = Path(preset.strategy.journal)
        typer.secho(f"interrupted: every molecule scored so far is in {journal}; continue with "
                    f"the same command and --resume" if journal.is_file() else
                    "interrupted before any molecule was scored: nothing to resume", err=True,
                    fg=typer.colors.YELLOW)
        raise typer.Exit(code=130) from None
    _report(result, output=output, grid=grid, top=top, history=history)


def _changed(options: Any, **changes: Any) -> Any:
    """``options`` with the fields the user gave (not None) changed: the rest keep the library's
    values."""
    given = {name: value for name, value in changes.items() if value is not None}
    return replace(options, **given) if given else options


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
