"""Rules of the molvae command line, run in-process with typer's CliRunner."""

from __future__ import annotations


import pandas as pd
import pytest
from typer.testing import CliRunner

from molvae.cli import app

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("args, fragments", [
    (("optimize", "--property", "qed", "--loop", "--budget", "10", "--edit-explore", "1.5"),
     ("'--edit-explore'", "less than or equal to 1", "'molvae optimize --help'")),
    (("optimize", "--min-similarity", "high"), ("'--min-similarity'", "valid number")),
    (("data", "info", "--nope"), ("--nope", "'molvae data info --help'")),
    (("optimize", "--property", "qed", "--loop", "--budget", "10", "--screen-share", "0.1",
      "--screen", "no-such-library.smi"), ("'--screen'", "does not exist")),
    (("optimize", "--property", "qed", "--starts", "no-such-starts.smi"),
     ("'--starts'", "does not exist")),
    (("sampel",), ("sampel", "'molvae --help'")),
])
def test_a_bad_option_or_command_is_one_line_naming_it_and_the_help(args, fragments):
    result = run(*args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_no_command_still_shows_the_help():
    result = run()
    assert "Usage" in result.output and "optimize" in result.output
    assert not any(line.startswith("error: ") for line in result.output.splitlines())


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOLVAE_CACHE_DIR", str(tmp_path / "cache"))


def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("props", "data"):
        assert command in result.output


def _commands(group=None, path=()):
    """Every leaf command of the app, as its path of names."""
    import typer.main

    group = group if group is not None else typer.main.get_command(app)
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = [path for path, _ in _commands()]


def test_the_app_has_every_command_group() -> None:
    assert {("train",), ("sample",), ("optimize",), ("predictor", "train"), ("prior", "fit"),
            ("evaluate",), ("data", "info"), ("plot", "grid")} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_each_command_has_its_own_help(command):
    callback = dict(_commands())[command].callback
    result = run(*command, "--help")
    assert result.exit_code == 0, result.output
    usage = " ".join(result.output.split())  # rich wraps and pads the help
    assert f"molvae {' '.join(command)}" in usage  # its own usage line, not the group's
    first_words = " ".join(callback.__doc__.split()[:4])
    assert first_words in usage, f"the help of {' '.join(command)} lacks its summary"


def test_props_prints_every_property_of_each_molecule():
    result = run("props", "CCO", "c1ccccc1O")
    assert result.exit_code == 0, result.output
    for name in ("logp", "qed", "sa", "plogp", "heavy_atoms"):
        assert name in result.output


def test_props_list_names_and_describes_the_properties():
    result = run("props", "--list")
    assert result.exit_code == 0
    assert any(line.startswith("plogp_normalized") for line in result.output.splitlines())


def test_props_reads_a_csv_and_writes_a_csv_keeping_invalid_rows(tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"smiles": ["CCO", "garbage", "c1ccccc1"]}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    result = run("props", "--input", str(src), "--output", str(out), "--properties", "logp,qed")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert frame["input"].tolist() == ["CCO", "garbage", "c1ccccc1"]
    assert frame["valid"].tolist() == [True, False, True]
    assert frame["logp"].isna().tolist() == [False, True, False]
    assert "1 of 3 molecules are not valid" in result.output


def test_props_unknown_property_is_a_one_line_error_with_a_suggestion():
    assert_one_line_error(run("props", "CCO", "--properties", "logpp"), "logpp", "logp")


def test_props_only_invalid_input_is_an_error():
    result = run("props", "not_a_molecule")
    assert result.exit_code == 1 and "none of the molecules is a valid SMILES" in result.output


def test_props_missing_input_file_is_a_one_line_error(tmp_path):
    assert_one_line_error(run("props", "--input", str(tmp_path / "nope.csv")), "no such file")


def test_data_info_prints_size_rejects_token_lengths_and_properties(tmp_path):
    src = tmp_path / "mols.csv"
    pd.DataFrame({"SMILES": ["CCO", "c1ccccc1O", "oops", "CC(=O)O"]}).to_csv(src, index=False)
    result = run("data", "info", str(src), "--properties", "logp,qed")
    assert result.exit_code == 0, result.output
    assert "molecules 3" in result.output and "rejected 1" in result.output
    assert "smiles tokens: vocabulary" in result.output and "logp" in result.output


def test_data_info_zinc_works_offline_on_a_slice():
    result = run("data", "info", "zinc", "--limit", "300", "--properties", "logp")
    assert result.exit_code == 0, result.output
    assert "molecules 300" in result.output


@pytest.mark.parametrize("args, fragment", [
    (("data", "info", "nowhere.csv"), "no such file"),
    (("data", "info", "zinc300k"), "unknown dataset"),
])
def test_data_info_bad_source_is_a_one_line_error(args, fragment):
    assert_one_line_error(run(*args), fragment)


def test_data_info_missing_column_names_the_option(tmp_path):
    src = tmp_path / "mols.csv"
    pd.DataFrame({"structure": ["CCO"]}).to_csv(src, index=False)
    assert_one_line_error(run("data", "info", str(src)), "--smiles-column")


# ----------------------------------------------------------------------------- model commands


def test_train_with_the_tiny_config_writes_checkpoints_and_a_metrics_log(tmp_path):
    out = tmp_path / "run"
    result = run("train", "zinc", "--config", "tiny", "--limit", "300", "--out", str(out),
                 "--no-progress", "--set", "eval_samples=50")
    assert result.exit_code == 0, result.output
    assert (out / "best").is_dir() and (out / "last").is_dir() and (out / "metrics.csv").exists()
    assert "trained 1 epochs" in result.output


def test_train_unknown_override_is_a_one_line_error_naming_the_key(tmp_path):
    assert_one_line_error(run("train", "zinc", "--config", "tiny", "--set", "epochz=2",
                              "--out", str(tmp_path)), "epochz", "epochs")


def test_train_bad_tokenizer_is_a_one_line_error(tmp_path):
    assert_one_line_error(run("train", "zinc", "--config", "tiny", "--tokenizer", "inchi",
                              "--out", str(tmp_path)), "inchi")


def test_sample_writes_a_csv_with_validity(tiny_checkpoint, tmp_path):
    out = tmp_path / "samples.csv"
    result = run("sample", "--model", str(tiny_checkpoint), "-n", "40", "--seed", "1",
                 "-o", str(out), "--device", "cpu")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert len(frame) == 40 and {"smiles", "valid", "raw"} <= set(frame.columns)
    assert "40 sampled" in result.output


def test_sample_with_a_missing_model_is_a_one_line_error(tmp_path):
    assert_one_line_error(run("sample", "--model", str(tmp_path / "nope"), "-n", "5"))


def test_encode_then_decode_round_trips_through_files(tiny_checkpoint, tmp_path):
    z_path = tmp_path / "z.npy"
    result = run("encode", "CCO", "c1ccccc1O", "not_a_molecule", "--model", str(tiny_checkpoint),
                 "-o", str(z_path), "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert "encoded 2 of 3 molecules" in result.output
    out = tmp_path / "decoded.csv"
    result = run("decode", str(z_path), "--model", str(tiny_checkpoint), "-o", str(out),
                 "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 3


def test_decode_with_the_wrong_dimension_says_to_use_the_same_model(tiny_checkpoint, tmp_path):
    import numpy as np

    path = tmp_path / "z.npy"
    np.save(path, np.zeros((2, 999), dtype=np.float32))
    assert_one_line_error(run("decode", str(path), "--model", str(tiny_checkpoint)),
                          "999 dimensions")


def test_optimize_writes_ranked_rdkit_scored_molecules_and_a_grid(tmp_path):
    out, grid = tmp_path / "opt.csv", tmp_path / "top.png"
    # the shipped model: the tiny one's decodes are almost never valid, so its table is empty
    result = run("optimize", "--property", "logp", "--n-starts", "16", "--steps", "10", "-o",
                 str(out), "--grid", str(grid), "--device", "cpu", "--no-novelty")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert len(frame) >= 3
    assert frame["score"].is_monotonic_decreasing
    from molvae.chemistry import compute_properties

    assert compute_properties(frame["smiles"].tolist(), ["logp"])["logp"].tolist() == \
        pytest.approx(frame["score"].tolist())
    assert grid.stat().st_size > 0


def test_optimize_needs_exactly_one_objective(tiny_checkpoint):
    assert_one_line_error(run("optimize", "--model", str(tiny_checkpoint)), "--property")
    assert_one_line_error(run("optimize", "--model", str(tiny_checkpoint), "--objective",
                              "qed + 2*nonsense"), "nonsense")


def test_optimize_loop_spends_the_budget_in_rounds_and_writes_the_history(tiny_checkpoint,
                                                                          zinc_frame, tmp_path):
    initial = tmp_path / "initial.smi"
    initial.write_text("\n".join(zinc_frame["smiles"].head(60)) + "\n")
    out, history = tmp_path / "loop.csv", tmp_path / "history.csv"
    result = run("optimize", "--property", "qed", "--loop", "--budget", "120", "--starts",
                 str(initial), "--model", str(tiny_checkpoint), "--device", "cpu",
                 "--no-novelty", "-o", str(out), "--history", str(history))
    assert result.exit_code == 0, result.output
    frame, curve = pd.read_csv(out), pd.read_csv(history)
    assert "120 oracle calls of 120" in result.output
    assert curve["oracle_calls"].iloc[-1] <= 120 and curve["best"].is_monotonic_increasing
    assert curve["best"].iloc[-1] == pytest.approx(frame["score"].max())
    assert {"initial", "graph"} <= set(frame["source"])  # the population, then edits in rounds
    assert (frame.loc[frame["source"] != "initial", "round"] >= 1).all()
    assert_one_line_error(run("optimize", "--property", "qed", "--loop", "--model",
                              str(tiny_checkpoint)), "--budget")


def test_optimize_help_shows_the_mode_dependent_defaults():
    result = run("optimize", "--help")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.replace("\u2502", " ").split())  # unwrap the help's box
    for default in ("(default: 512; with --loop, 256)", "(default: 100; with --loop, 50)",
                    "(default: 0.005 with --min-similarity without --loop, else 0.05)",
                    "with --loop, rounds until --budget is spent)",
                    "(default: 40; not with --loop)", "(default: 50 with --start/--starts"):
        assert default in text, default


def test_optimize_loop_takes_its_round_size_climbs_and_steps_from_the_options(
        tiny_checkpoint, zinc_frame, tmp_path, monkeypatch):
    from dataclasses import replace

    import molvae.optimizer.runner
    from molvae.optimizer import Loop
    from molvae.optimizer.presets import LOOP_ASCENT

    seen: dict = {}
    real = molvae.optimizer.runner.optimize_with_oracle

    def spy(vae, objective, loop, **kwargs):
        seen.update(kwargs, loop=loop)
        return real(vae, objective, loop, **kwargs)

    monkeypatch.setattr(molvae.optimizer.runner, "optimize_with_oracle", spy)
    initial = tmp_path / "initial.smi"
    initial.write_text("\n".join(zinc_frame["smiles"].head(60)) + "\n")
    screen = tmp_path / "library.smi"
    screen.write_text("\n".join(zinc_frame["smiles"].iloc[100:400]) + "\n")
    out = tmp_path / "loop.csv"
    result = run("optimize", "--property", "qed", "--loop", "--budget", "120", "--starts",
                 str(initial), "--per-round", "30", "--n-starts", "16", "--steps", "5",
                 "--edit-explore", "0.3", "--edit-pool", "4", "--screen-share", "0.2",
                 "--screen", str(screen), "--model", str(tiny_checkpoint),
                 "--device", "cpu", "--no-novelty", "-o", str(out))
    assert result.exit_code == 0, result.output
    loop, ascent = seen["loop"], seen["ascent"]
    assert isinstance(loop, Loop) and loop.budget == 120 and loop.initial == str(initial)
    assert (loop.per_round, loop.n_starts, ascent.steps) == (30, 16, 5)
    assert (loop.edit_explore, loop.edit_pool) == (0.3, 4)
    assert (loop.screen_share, loop.screen) == (0.2, str(screen))
    assert ascent == replace(LOOP_ASCENT, steps=5)  # the loop's other ascent values kept
    table = pd.read_csv(out)
    rounds = table.query("source != 'initial'").groupby("round").size()
    assert len(rounds) >= 2 and rounds.max() <= 30  # the default would score all 60 in one round
    screened = table.query("source == 'screen'")
    assert len(screened) >= 12 and screened["round"].value_counts().max() == 6  # 0.2 of 30
    assert_one_line_error(run("optimize", "--property", "qed", "--loop", "--budget", "120",
                              "--screen", str(screen), "--model", str(tiny_checkpoint)),
                          "--screen-share")
    assert_one_line_error(run("optimize", "--property", "qed", "--loop", "--budget", "120",
                              "--restarts", "4", "--model", str(tiny_checkpoint)), "--n-starts")
    assert_one_line_error(run("optimize", "--property", "qed", "--per-round", "30",
                              "--model", str(tiny_checkpoint)), "--loop")
    assert_one_line_error(run("optimize", "--property", "qed", "--edit-explore", "0.3",
                              "--model", str(tiny_checkpoint)), "--loop")
    assert_one_line_error(run("optimize", "--property", "qed", "--edit-pool", "4",
                              "--model", str(tiny_checkpoint)), "--loop")
    assert_one_line_error(run("optimize", "--property", "qed", "--loop", "--budget", "120",
                              "--edit-share", "0", "--edit-pool", "4",
                              "--model", str(tiny_checkpoint)), "--edit-share 0")
    # graph edits: a count per start without --loop, a share of each round's calls with it
    assert_one_line_error(run("optimize", "--property", "qed", "--loop", "--budget", "120",
                              "--graph-edits", "0", "--model", str(tiny_checkpoint)),
                          "--graph-edits", "--edit-share")
    assert_one_line_error(run("optimize", "--property", "qed", "--edit-share", "0.5",
                              "--model", str(tiny_checkpoint)), "--edit-share", "--loop")


def test_evaluate_prints_the_metric_table_and_writes_json(tmp_path):
    samples, reference = tmp_path / "samples.csv", tmp_path / "reference.csv"
    pd.DataFrame({"smiles": ["CCO", "CCN", "c1ccccc1", "bad", "CCO"]}).to_csv(samples, index=False)
    pd.DataFrame({"smiles": ["CCO", "CCC", "c1ccccc1O", "CC(=O)O"]}).to_csv(reference, index=False)
    out = tmp_path / "metrics.json"
    result = run("evaluate", str(samples), "--reference", str(reference), "--train", str(reference),
                 "-o", str(out), "--device", "cpu")
    assert result.exit_code == 0, result.output
    import json
    assert json.loads(out.read_text())["valid"] == pytest.approx(0.8)


def test_predictor_train_reports_held_out_r2_and_spearman(tiny_checkpoint, zinc_frame, tmp_path):
    data = tmp_path / "labels.csv"
    zinc_frame[["smiles", "logp"]].head(200).rename(columns={"logp": "pIC50"}).to_csv(data, index=False)
    result = run("predictor", "train", str(data), "--target", "pIC50", "--model",
                 str(tiny_checkpoint), "--out", str(tmp_path / "pred.safetensors"))
    assert result.exit_code == 0, result.output
    assert "held-out R²" in result.output and "Spearman" in result.output


def test_a_graph_model_trained_from_a_csv_is_the_oracle_of_optimize(tiny_checkpoint, zinc_frame,
                                                                    tmp_path, monkeypatch):
    data = tmp_path / "assay.csv"
    zinc_frame[["smiles", "logp"]].head(150).rename(columns={"logp": "pIC50"}).to_csv(data,
                                                                                    index=False)
    monkeypatch.chdir(tmp_path)
    result = run("predictor", "train", str(data), "--target", "pIC50", "--graph", "--epochs", "3")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pIC50.gin.safetensors").is_file() and "held-out R²" in result.output
    assert "saved to pIC50.gin.safetensors" in result.output
    assert_one_line_error(run("predictor", "train", str(data), "--target", "pIC50", "--epochs",
                              "3", "--model", str(tiny_checkpoint)), "--graph")
    out = tmp_path / "opt.csv"
    result = run("optimize", "--oracle", "pIC50.gin.safetensors", "--model", str(tiny_checkpoint),
                 "--n-starts", "8", "--steps", "5", "--budget", "60", "-o", str(out),
                 "--device", "cpu", "--no-novelty")
    assert result.exit_code == 0, result.output
    assert "GraphModel('pIC50'" in result.output
    from molvae.graph_model import GraphModel

    frame = pd.read_csv(out)
    oracle = GraphModel.load(tmp_path / "pIC50.gin.safetensors")
    assert frame["score"].tolist() == pytest.approx(oracle(frame["smiles"].tolist()), rel=1e-5)
    assert_one_line_error(run("optimize", "--oracle", "missing.safetensors", "--model",
                              str(tiny_checkpoint)), "missing.safetensors")
    assert_one_line_error(run("optimize", "--oracle", "pIC50.gin.safetensors", "--property",
                              "logp", "--model", str(tiny_checkpoint)), "exactly one")



def test_score_writes_per_molecule_scores_and_reports_bad_rows(tiny_checkpoint, zinc_smiles,
                                                               tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"smiles": [zinc_smiles[0], "C1CC", zinc_smiles[1]]}).to_csv(src, index=False)
    out = tmp_path / "scored.csv"
    result = run("score", str(src), "--model", str(tiny_checkpoint), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "scored 2 of 3" in result.output and "row 2" in result.output
    table = pd.read_csv(out)
    assert len(table) == 3 and table["neg_elbo"].isna().tolist() == [False, True, False]


def test_interpolate_and_neighbors_print_tables(tiny_checkpoint):
    result = run("interpolate", "CCO", "c1ccccc1O", "--steps", "4", "--model", str(tiny_checkpoint))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("t,smiles,valid,similarity_to_start")
    result = run("neighbors", "CCO", "-n", "3", "--model", str(tiny_checkpoint))
    assert result.exit_code == 0, result.output
    assert "neighbours found" in result.output


def test_interpolate_with_an_invalid_molecule_is_a_one_line_error(tiny_checkpoint):
    assert_one_line_error(run("interpolate", "C1CC", "CCO", "--model", str(tiny_checkpoint)),
                          "C1CC")


def test_plot_commands_write_png_and_svg(tiny_checkpoint, tiny_run, zinc_smiles, tmp_path):
    from PIL import Image

    src = tmp_path / "mols.csv"
    pd.DataFrame({"smiles": zinc_smiles[:60], "score": range(60)}).to_csv(src, index=False)
    model = ("--model", str(tiny_checkpoint))
    commands = {
        "map.png": ("plot", "latent-map", str(src), *model, "--color", "qed"),
        "grid.svg": ("plot", "grid", str(src), "--legend", "score", "-n", "6"),
        "strip.png": ("plot", "interpolation", "CCO", "c1ccccc1O", *model, "--steps", "4"),
        "curves.svg": ("plot", "training", str(tiny_run.out_dir)),
        "props.png": ("plot", "properties", str(src), "--reference", "none", "-p", "logp,qed"),
    }
    for name, args in commands.items():
        result = run(*args, "-o", str(tmp_path / name))
        assert result.exit_code == 0, (name, result.output)
        if name.endswith(".png"):
            assert Image.open(tmp_path / name).format == "PNG"
        else:
            assert "</svg>" in (tmp_path / name).read_text()


def test_plot_to_an_unknown_format_is_a_one_line_error(tmp_path):
    src = tmp_path / "mols.csv"
    pd.DataFrame({"smiles": ["CCO"]}).to_csv(src, index=False)
    assert_one_line_error(run("plot", "grid", str(src), "-o", str(tmp_path / "g.jpg")), ".png or .svg")


def test_optimize_and_sample_use_the_shipped_model_by_default(tmp_path):
    out = tmp_path / "out.csv"
    result = run("optimize", "--property", "logp", "--n-starts", "32", "--steps", "20",
                 "-o", str(out), "--top", "3")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert len(frame) > 0 and frame["score"].notna().all()
    assert frame["score"].is_monotonic_decreasing
    from molvae.chemistry import compute_properties

    assert compute_properties(frame["smiles"].tolist(), ["logp"])["logp"].tolist() == \
        pytest.approx(frame["score"].tolist())
    result = run("sample", "-n", "20", "--seed", "0")
    assert result.exit_code == 0 and "20 sampled: 20 valid" in result.output


def test_optimize_near_a_start_keeps_the_bound_in_sampled_rounds(tmp_path, monkeypatch):
    """With --min-similarity the command searches locally: small steps, sampled decodes, three
    rounds, graph edits of each start's family; every molecule it writes keeps the bound."""
    import molvae.optimizer.runner
    from molvae.optimizer import Search

    real, calls = molvae.optimizer.runner.optimize, []

    def spy(vae, objective, search, **kwargs):
        result = real(vae, objective, search, **kwargs)
        calls.append((search, kwargs, result))
        return result

    monkeypatch.setattr(molvae.optimizer.runner, "optimize", spy)
    out = tmp_path / "near.csv"
    start = "CC(C)Cc1ccc(C(C)C(=O)O)cc1"  # ibuprofen
    result = run("optimize", "--property", "plogp", "--start", start, "--min-similarity", "0.4",
                 "--restarts", "8", "--steps", "20", "-o", str(out), "--no-novelty")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    from molvae.chemistry import canonicalize, tanimoto

    assert len(frame) > 1 and set(frame["start"]) == {canonicalize(start)}
    assert all(tanimoto(s, start) >= 0.4 for s in frame["smiles"])
    [(search, kwargs, found)] = calls
    ascent = kwargs["ascent"]
    assert isinstance(search, Search) and search.molecules == [start] and search.restarts == 8
    assert (search.rounds, ascent.temperature, ascent.lr, ascent.steps) == (3, 1.0, 0.005, 20)
    assert search.edits_per_start == 50
    assert kwargs["constraints"].min_similarity == 0.4
    assert set(found.candidates["round"]) == {1, 2, 3}  # each round decoded molecules in bound
    assert "graph" in set(frame["source"])
    result = run("optimize", "--property", "plogp", "--start", start, "--min-similarity", "0.4",
                 "--restarts", "8", "--steps", "20", "--rounds", "1", "--graph-edits", "0",
                 "--no-novelty")
    assert result.exit_code == 0, result.output
    assert calls[-1][0].edits_per_start == 0 and calls[-1][0].rounds == 1
    assert set(calls[-1][2].candidates["source"]) == {"latent"}


@pytest.mark.parametrize("args, fragment", [
    (("interpolate", "CCO", "CCN", "--method", "cubic"), "'slerp' or 'linear'"),
    (("neighbors", "CCO", "--radius", "0"), "radius must be positive"),
])
def test_bad_latent_arguments_are_one_line_errors(tiny_checkpoint, args, fragment):
    assert_one_line_error(run(*args, "--model", str(tiny_checkpoint)), fragment)


def test_optimize_keeps_the_libraries_medchem_guard_unless_no_medchem_is_given(
        tiny_checkpoint, monkeypatch):
    import molvae.optimizer.runner
    from molvae.errors import MolvaeError
    from molvae.medchem import DRUG_LIKE

    seen = []

    def spy(*args, **kwargs):
        seen.append(kwargs)
        raise MolvaeError("stop here")

    monkeypatch.setattr(molvae.optimizer.runner, "optimize", spy)
    base = ("optimize", "--property", "logp", "--model", str(tiny_checkpoint), "--device", "cpu")
    run(*base)
    run(*base, "--no-medchem")
    run(*base, "--medchem")
    # the library's default: on
    assert seen[0]["constraints"].guard is DRUG_LIKE and seen[2]["constraints"].guard is DRUG_LIKE
    assert seen[1]["constraints"].guard is None


def test_optimize_flags_not_given_keep_the_librarys_defaults(tiny_checkpoint, monkeypatch):
    """--max-heavy-atoms and --seed not given: the library's values (38 heavy atoms, seed 0);
    --edit-share reaches the loop's share of graph edits."""
    import molvae.optimizer.runner
    from molvae.errors import MolvaeError
    from molvae.optimizer import Ascent, Constraints, Search

    seen = []

    def spy(*args, **kwargs):
        seen.append((args, kwargs))
        raise MolvaeError("stop here")

    monkeypatch.setattr(molvae.optimizer.runner, "optimize", spy)
    monkeypatch.setattr(molvae.optimizer.runner, "optimize_with_oracle", spy)
    base = ("optimize", "--property", "logp", "--model", str(tiny_checkpoint), "--device", "cpu")
    assert_one_line_error(run(*base), "stop here")
    (_, _, search), kwargs = seen[-1]
    assert search == Search() and kwargs["ascent"] == Ascent()  # from prior draws
    assert kwargs["constraints"] == Constraints() and kwargs["constraints"].max_heavy_atoms == 38
    assert kwargs["seed"] == 0
    run(*base, "--max-heavy-atoms", "25", "--seed", "7", "--graph-edits", "3", "--budget", "90")
    (_, _, search), kwargs = seen[-1]
    assert kwargs["constraints"].max_heavy_atoms == 25 and kwargs["seed"] == 7
    assert (search.edits_per_start, search.budget) == (3, 90)
    run(*base, "--loop", "--budget", "100", "--edit-share", "0.25")
    (_, _, loop), kwargs = seen[-1]
    assert (loop.budget, loop.edit_share) == (100, 0.25)
    run(*base, "--loop", "--budget", "100", "--edit-share", "0")  # 0: latent proposals only
    assert seen[-1][0][2].edit_share == 0.0
    run(*base, "--allow-radicals")
    assert seen[-1][1]["constraints"].allow_radicals is True
