"""Tests of molvae.chemistry. Expected values come from direct RDKit/networkx calls or by hand."""

from __future__ import annotations

import math
import os
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import QED, Crippen, Descriptors, rdFingerprintGenerator, rdMolDescriptors
from rdkit.Contrib.SA_Score import sascorer

from molvae import chemistry as ch
from molvae.errors import InvalidMoleculeError, MolvaeError, UnknownPropertyError

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
ADAMANTANE_AMIDE = "COc1ccc(CN2CCN(C(=O)C34CC5CC(CC(C5)C3)C4)CCC2=O)cc1"  # basis has an 8-cycle
SHARED = Path(os.environ.get("MOLVAE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
PLOGP_800 = SHARED / "data" / "zinc_plogp_800.txt"
# Mixed bag: stereo, charges, isotopes, explicit H atoms (QED's reference path), alerts, macrocycle.
SAMPLE = [
    ASPIRIN, ADAMANTANE_AMIDE, "C[C@H](N)C(=O)[O-]", "[2H]C([2H])([2H])Oc1ccccc1",
    "[H]OC([H])([H])C", "O=[N+]([O-])c1ccc(I)cc1", "C1CCCCCCCCCCC1", "c1ccc2c(c1)ccc1ccccc12",
    "CC#CC(=O)c1ccccc1", "CCN(CC)CC", "O=C1NC(=O)C(=O)N1", "C[Si](C)(C)Cl",
    "CC(C)(C)c1ccc2occ(CC(=O)Nc3ccccc3F)c2c1", "N[C@@H](Cc1c[nH]c2ccccc12)C(=O)O", "C=CC=CC=O",
    "[NH3+]CCC(=O)[O-]",
]


def reference_cycle(smiles: str) -> int:
    """The JT-VAE / GCPN ring penalty, written as their code writes it."""
    cycles = nx.cycle_basis(nx.Graph(Chem.rdmolops.GetAdjacencyMatrix(Chem.MolFromSmiles(smiles))))
    longest = max([len(c) for c in cycles]) if cycles else 0
    return 0 if longest <= 6 else longest - 6


# --- parsing ---


@pytest.mark.parametrize("bad", ["C1CC", "c1cccc1", "CC(C)(C)(C)(C)C", "C(C", "not a smiles"])
def test_invalid_smiles_raises_with_the_input_in_the_message(bad: str) -> None:
    with pytest.raises(InvalidMoleculeError, match="check") as info:
        ch.to_mol(bad)
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("bad", ["", "   ", None, 42, Chem.Mol()])
def test_empty_and_non_string_inputs_raise_invalid_molecule_error(bad: object) -> None:
    with pytest.raises(InvalidMoleculeError):
        ch.to_mol(bad)  # type: ignore[arg-type]
    assert not ch.is_valid(bad)


def test_invalid_smiles_message_gives_rdkits_reason() -> None:
    with pytest.raises(InvalidMoleculeError, match=r"valence for atom # 1 C, 6"):
        ch.to_mol("CC(C)(C)(C)(C)C")
    with pytest.raises(InvalidMoleculeError, match="kekulize"):
        ch.to_mol("c1cccc1")


def test_to_mol_returns_a_mol_unchanged() -> None:
    mol = Chem.MolFromSmiles("CCO")
    assert ch.to_mol(mol) is mol


def test_rdkit_logging_is_muted_only_inside_rdkit_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    assert not ch.is_valid("C1CC")
    with pytest.raises(InvalidMoleculeError):
        ch.to_mol("C1CC")
    assert ch.canonicalize_many(["C1CC"]) == [None]
    assert "unclosed ring" not in capfd.readouterr().err
    Chem.MolFromSmiles("C1CC")  # importing molvae did not silence RDKit for everyone else
    assert "unclosed ring" in capfd.readouterr().err


def test_canonicalize_keeps_stereo_charge_and_isotope() -> None:
    smiles = "OC(=O)[C@@H]([13CH3])[NH3+]"
    expected = Chem.MolToSmiles(Chem.MolFromSmiles(smiles))
    assert ch.canonicalize(smiles) == expected
    assert "@" in expected and "[13CH3]" in expected and "+" in expected
    assert ch.canonicalize("[13CH3][C@@H]([NH3+])C(O)=O") == expected  # another spelling
    assert ch.canonicalize("[13CH3][C@H]([NH3+])C(O)=O") != expected  # the enantiomer


def test_canonicalize_many_returns_none_for_bad_rows_and_never_raises() -> None:
    rows: list = ["OCC", "C1CC", "", None, "c1ccccc1"]
    assert ch.canonicalize_many(rows) == ["CCO", None, None, None, "c1ccccc1"]


def test_is_valid_rejects_the_empty_string() -> None:
    assert ch.is_valid("CCO") and not ch.is_valid("")


def _radical_electrons(smiles: str) -> int:
    return sum(a.GetNumRadicalElectrons() for a in Chem.MolFromSmiles(smiles).GetAtoms())


@pytest.mark.parametrize(("radical", "saturated"), [
    ("[CH]C", "CC"),  # a CH with one bond: 2 unpaired electrons
    ("C[NH+]C", "C[NH2+]C"),  # what SELFIES [NH1+1] with two bonds gives
    ("[CH]c1ncsc1C", "Cc1scnc1C"),
    ("C[C@H]C(N)=O", "CCC(N)=O"),  # a stereocentre that lost a bond is no centre
    ("[O]c1ccccc1", "Oc1ccccc1"),
    ("[C]", "C"),
])
def test_saturate_radicals_gives_each_unpaired_electron_a_hydrogen(radical: str,
                                                                   saturated: str) -> None:
    assert _radical_electrons(radical) > 0
    out = ch.saturate_radicals(radical)
    assert out == Chem.MolToSmiles(Chem.MolFromSmiles(saturated))
    assert _radical_electrons(out) == 0


def test_saturate_radicals_returns_molecules_without_radicals_as_written() -> None:
    for smiles in SAMPLE + ["OCC", "[NH4+]", "C[C@@H](O)N", "C1CC", ""]:  # also unparsable ones
        assert ch.saturate_radicals(smiles) == smiles


# --- fingerprints and similarity ---


def test_morgan_fingerprint_is_radius_2_and_2048_bits_by_default() -> None:
    direct = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048).GetFingerprint(
        Chem.MolFromSmiles(ASPIRIN)
    )
    assert ch.morgan_fingerprint(ASPIRIN) == direct
    assert ch.morgan_fingerprint(ASPIRIN, 3, 1024).GetNumBits() == 1024


def test_tanimoto_matches_rdkit_on_morgan_fingerprints() -> None:
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    a, b = (gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in (ASPIRIN, "OC(=O)c1ccccc1O"))
    assert ch.tanimoto(ASPIRIN, "OC(=O)c1ccccc1O") == DataStructs.TanimotoSimilarity(a, b)
    assert ch.tanimoto("CCO", "OCC") == 1.0


def test_tanimoto_to_many_is_nan_where_a_target_is_invalid() -> None:
    sims = ch.tanimoto_to_many(ASPIRIN, [ASPIRIN, "C1CC", "CCO"])
    assert sims[0] == 1.0 and math.isnan(sims[1]) and 0.0 <= sims[2] < 1.0
    assert sims[2] == ch.tanimoto(ASPIRIN, "CCO")
    with pytest.raises(InvalidMoleculeError):
        ch.tanimoto_to_many("C1CC", ["CCO"])


def test_tanimoto_matrix_has_nan_rows_and_columns_for_invalid_molecules() -> None:
    smiles = ["CCO", "C1CC", ASPIRIN]
    matrix = ch.tanimoto_matrix(smiles)
    assert matrix.shape == (3, 3)
    assert np.isnan(matrix[1]).all() and np.isnan(matrix[:, 1]).all()
    similarity = ch.tanimoto("CCO", ASPIRIN)
    assert matrix[0, 0] == matrix[2, 2] == 1.0 and matrix[0, 2] == matrix[2, 0] == similarity
    assert ch.tanimoto_matrix(["CCO"], smiles).shape == (1, 3)


def test_fingerprint_array_rows_equal_the_bit_vectors_and_invalid_rows_are_zero() -> None:
    bits, valid = ch.fingerprint_array(["CCO", "C1CC", ASPIRIN], n_bits=512)
    assert bits.shape == (3, 512) and bits.dtype == np.uint8
    assert valid.tolist() == [True, False, True]
    assert not bits[1].any()
    on = list(ch.morgan_fingerprint(ASPIRIN, 2, 512).GetOnBits())
    assert np.flatnonzero(bits[2]).tolist() == on


# --- the property registry ---


def test_logp_and_qed_of_aspirin_match_rdkit() -> None:
    assert ch.compute_property("logp", ASPIRIN) == Crippen.MolLogP(Chem.MolFromSmiles(ASPIRIN))
    assert ch.compute_property("logp", ASPIRIN) == pytest.approx(1.3101, abs=1e-4)
    assert ch.compute_property("qed", ASPIRIN) == QED.qed(Chem.MolFromSmiles(ASPIRIN))
    assert ch.compute_property("qed", ASPIRIN) == pytest.approx(0.5501, abs=1e-4)


def test_descriptors_of_aspirin_match_their_rdkit_definitions() -> None:
    mol = Chem.MolFromSmiles(ASPIRIN)
    expected = {
        "mw": Descriptors.MolWt(mol), "tpsa": rdMolDescriptors.CalcTPSA(mol),
        "hbd": 1, "hba": 3, "rotatable_bonds": 2, "rings": 1, "aromatic_rings": 1,
        "heavy_atoms": 13,
    }
    assert expected["mw"] == pytest.approx(180.159, abs=1e-3)
    assert expected["tpsa"] == pytest.approx(63.6, abs=1e-2)
    assert {name: ch.compute_property(name, ASPIRIN) for name in expected} == expected


@pytest.mark.parametrize(
    ("smiles", "cycle"),
    [("CCCCCC", 0), ("c1ccccc1", 0), ("C1CCCCCC1", 1), ("C1CCCCCCCCCCC1", 6),
     ("C1CCCCCCC12CCCCCCCC2", 3), (ADAMANTANE_AMIDE, 2)],
)
def test_cycle_is_the_longest_networkx_basis_cycle_minus_six(smiles: str, cycle: int) -> None:
    assert ch.compute_property("cycle", smiles) == cycle == reference_cycle(smiles)


def test_cycle_follows_networkx_not_rdkit_rings_on_fused_systems() -> None:
    mol = Chem.MolFromSmiles(ADAMANTANE_AMIDE)  # kept alive: RingInfo does not own the molecule
    largest_ring = max(len(r) for r in mol.GetRingInfo().AtomRings())
    assert largest_ring - 6 == 1  # the diazepanone; RDKit's rings would say 1
    assert ch.compute_property("cycle", ADAMANTANE_AMIDE) == 2  # adamantane's basis has an 8-cycle
    adamantane = "C1CC2CC3CC1CC(C2)C3"
    assert ch.compute_property("cycle", adamantane) == reference_cycle(adamantane) == 3


def test_cycle_is_computed_on_the_smiles_as_written() -> None:
    # On fused systems the basis depends on the atom order, so two spellings of one molecule
    # (here a ZINC250k row and its canonical SMILES) can differ, as in the reference code.
    as_written = "O=C([O-])CCCn1c(=O)c2ccc3c(=O)[nH]c(=O)c4ccc(c1=O)c2c34"
    canonical = "O=C([O-])CCCN1C(=O)c2ccc3c4c(ccc(c24)C1=O)C(=O)NC3=O"
    assert ch.canonicalize(as_written) == canonical
    assert ch.compute_property("cycle", as_written) == reference_cycle(as_written) == 0
    assert ch.compute_property("cycle", canonical) == reference_cycle(canonical) == 8
    _, table = ch.canonicalize_and_compute([as_written], ["cycle"])
    assert table["cycle"][0] == 0


@pytest.mark.parametrize("smiles", SAMPLE)
def test_plogp_family_follows_the_guide_formulas(smiles: str) -> None:
    mol = Chem.MolFromSmiles(smiles)
    logp, sa, cycle = Crippen.MolLogP(mol), sascorer.calculateScore(mol), reference_cycle(smiles)
    assert ch.compute_property("sa", smiles) == sa
    assert ch.compute_property("plogp", smiles) == pytest.approx(logp - sa - cycle, abs=1e-12)
    assert ch.compute_property("logp_minus_sa", smiles) == pytest.approx(logp - sa, abs=1e-12)
    normalized = (
        (logp - 2.4570953396190123) / 1.434324401111988
        + (-sa + 3.0525811293166134) / 0.8335207024513095
        + (-cycle + 0.0485696876403053) / 0.2860212110245455
    )
    assert ch.compute_property("plogp_normalized", smiles) == pytest.approx(normalized, abs=1e-12)


@pytest.mark.skipif(not PLOGP_800.exists(), reason=f"{PLOGP_800} is absent (set MOLVAE_SHARED)")
def test_logp_minus_sa_reproduces_the_800_molecule_benchmark_file() -> None:
    rows = [line.split() for line in PLOGP_800.read_text().splitlines() if line.strip()]
    smiles, published = [r[0] for r in rows], np.array([float(r[1]) for r in rows])
    diff = ch.property_array("logp_minus_sa", smiles) - published
    assert len(rows) == 800
    off = np.flatnonzero(np.abs(diff) > 1e-6)
    # One exception: today's RDKit also flags the aziridine N as a possible stereocentre, so SA's
    # stereo penalty counts 3 centres where the 2018 file counted 2: log10(4/3) on the raw scale.
    assert [smiles[i] for i in off] == ["COC(=O)[C@@H]1[C@H](CBr)N1N1C(=O)c2ccccc2C1=O"]
    assert diff[off[0]] == pytest.approx(-9 / 6.5 * math.log10(4 / 3), abs=1e-9)


def test_fast_qed_path_is_identical_to_rdkit_qed() -> None:
    table = ch.compute_properties(SAMPLE, ["qed", "logp", "sa"])
    for i, smiles in enumerate(SAMPLE):
        assert table["qed"][i] == QED.qed(Chem.MolFromSmiles(smiles)), smiles
        assert table["logp"][i] == Crippen.MolLogP(Chem.MolFromSmiles(smiles)), smiles
        assert table["sa"][i] == sascorer.calculateScore(Chem.MolFromSmiles(smiles)), smiles


def test_property_fn_on_a_mol_equals_compute_property_on_its_smiles() -> None:
    for name, prop in ch.PROPERTIES.items():
        assert prop.name == name and prop.description
        for smiles in (ASPIRIN, ADAMANTANE_AMIDE, "[H]OC([H])([H])C"):
            assert prop.fn(Chem.MolFromSmiles(smiles)) == ch.compute_property(name, smiles)


def test_registry_is_read_only_and_lists_every_definition() -> None:
    with pytest.raises(TypeError):
        ch.PROPERTIES["new"] = ch.PROPERTIES["qed"]  # type: ignore[index]
    listed = ch.list_properties()
    assert list(listed) == list(ch.PROPERTIES)
    guide = {"logp", "qed", "sa", "cycle", "plogp", "plogp_normalized", "logp_minus_sa"}
    assert guide <= set(listed)
    assert "logp - sa - cycle" in listed["plogp"]
    assert ch.PROPERTIES["sa"].higher_is_better is False and ch.PROPERTIES["qed"].higher_is_better


@pytest.mark.parametrize(
    ("typo", "closest"), [("plgop", "plogp"), ("QED", "qed"), ("logP", "logp")]
)
def test_unknown_property_suggests_the_closest_name(typo: str, closest: str) -> None:
    with pytest.raises(UnknownPropertyError, match=f"did you mean '{closest}'") as info:
        ch.get_property(typo)
    assert "plogp_normalized" in str(info.value) and isinstance(info.value, MolvaeError)


def test_compute_property_raises_on_an_invalid_molecule() -> None:
    with pytest.raises(InvalidMoleculeError, match="C1CC"):
        ch.compute_property("qed", "C1CC")


# --- batches ---


def test_batch_properties_are_nan_for_invalid_rows() -> None:
    table = ch.compute_properties(["CCO", "C1CC", "", ASPIRIN], ["logp", "qed", "heavy_atoms"])
    assert list(table.columns) == ["logp", "qed", "heavy_atoms"]
    assert table.index.equals(pd.RangeIndex(4)) and (table.dtypes == float).all()
    assert table.iloc[[1, 2]].isna().all().all() and table.iloc[[0, 3]].notna().all().all()
    assert table["heavy_atoms"].tolist()[3] == 13.0


def test_batch_accepts_mols_and_treats_other_objects_as_invalid_rows() -> None:
    rows: list = [Chem.MolFromSmiles(ASPIRIN), 5, Chem.Mol(), ASPIRIN]
    table = ch.compute_properties(rows, ["qed", "cycle"])
    assert table["qed"][0] == table["qed"][3] == QED.qed(Chem.MolFromSmiles(ASPIRIN))
    assert table.iloc[[1, 2]].isna().all().all()
    assert ch.is_valid(Chem.MolFromSmiles("CC")) and not ch.is_valid(Chem.Mol())


def test_batch_rejects_unknown_names_and_a_bare_string() -> None:
    with pytest.raises(UnknownPropertyError):
        ch.compute_properties(["CCO"], ["plgop"])
    with pytest.raises(TypeError, match="list of SMILES"):
        ch.compute_properties("CCO", ["logp"])


def test_canonicalize_and_compute_returns_canonical_smiles_and_the_table() -> None:
    canonical, table = ch.canonicalize_and_compute(["OCC", "C1CC", ASPIRIN], ["logp"])
    assert canonical == ["CCO", None, Chem.MolToSmiles(Chem.MolFromSmiles(ASPIRIN))]
    assert table["logp"][0] == Crippen.MolLogP(Chem.MolFromSmiles("OCC"))
    assert math.isnan(table["logp"][1])
    canonical, _ = ch.canonicalize_and_compute(SAMPLE, ["sa", "qed"])  # SA annotates stereo
    assert canonical == [Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in SAMPLE]


def test_parallel_path_gives_the_same_results_as_the_serial_path() -> None:
    smiles = SAMPLE + ["C1CC", ""] + SAMPLE[::-1]
    names = list(ch.PROPERTIES)
    serial = ch.canonicalize_and_compute(smiles, names, n_jobs=1)
    parallel = ch.canonicalize_and_compute(smiles, names, n_jobs=2, chunk_size=3)
    assert parallel[0] == serial[0]
    pd.testing.assert_frame_equal(parallel[1], serial[1], check_exact=True)
    assert np.array_equal(ch.property_array("qed", smiles, n_jobs=2), serial[1]["qed"].to_numpy(),
                          equal_nan=True)


def test_n_jobs_must_be_positive() -> None:
    with pytest.raises(ValueError, match="n_jobs"):
        ch.compute_properties(["CCO"], ["logp"], n_jobs=0)


def test_one_parse_gives_the_canonical_smiles_heavy_atoms_and_fingerprint() -> None:
    from molvae.chemistry import compute_property, morgan_fingerprint, parse_record

    for smiles in ("OCC", "C1=CC=CC=C1O", "[13CH3][C@H](N)O", "CC(=O)Oc1ccccc1C(=O)O"):
        record = parse_record(smiles, fingerprint=True)
        assert record.canonical == ch.canonicalize(smiles)
        assert record.heavy_atoms == compute_property("heavy_atoms", smiles)
        expected = morgan_fingerprint(record.canonical)  # from the canonical SMILES, parsed again
        assert DataStructs.TanimotoSimilarity(record.fingerprint, expected) == 1.0
        assert record.fingerprint.ToBitString() == expected.ToBitString()
    assert parse_record("OCC").fingerprint is None  # only when asked
    assert parse_record("C1CC") is None and parse_record("") is None


def test_the_optimizer_parses_fingerprints_only_under_a_similarity_bound() -> None:
    from molvae.optimizer.constraints import Constraints, parse_many

    bounded = parse_many(["OCC", "C1CC", "c1ccccc1O"], Constraints(min_similarity=0.4, guard=None))
    free = parse_many(["OCC", "c1ccccc1O"], Constraints(guard=None))
    assert bounded[1] is None
    assert [m.canonical for m in bounded if m] == ["CCO", "Oc1ccccc1"]
    assert all(m.record.fingerprint is not None for m in bounded if m)
    assert all(m.record.fingerprint is None for m in free)
