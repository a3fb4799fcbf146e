"""Rules of the molvae command line, run in-process with typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

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


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOLVAE_CACHE_DIR", str(tmp_path / "cache"))


def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("props", "data"):
        assert command in result.output


@pytest.mark.parametrize("command", [("props",), ("data", "info")])
def test_each_command_has_its_own_help(command):
    result = run(*command, "--help")
    assert result.exit_code == 0 and "Usage" in result.output


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
