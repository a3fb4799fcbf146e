"""Rules of the medicinal-chemistry guard (molvae.medchem)."""

from __future__ import annotations

import pytest
from rdkit import Chem

from molvae.errors import MolvaeError
from molvae.medchem import DRUG_LIKE, NO_GUARD, MedChemGuard


def mol(smiles: str) -> Chem.Mol:
    return Chem.MolFromSmiles(smiles)


@pytest.mark.parametrize("smiles", [
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",            # ibuprofen
    "Cc1ccc(-c2cc(C(F)(F)F)nn2-c2ccc(S(N)(=O)=O)cc2)cc1",  # celecoxib: a sulfonamide
    "CS(C)=O",                                # a sulfoxide
    "O=C1CCCCCC1",                            # a seven-membered ring is allowed
])
def test_drug_like_molecules_pass(smiles: str) -> None:
    assert DRUG_LIKE.alerts(mol(smiles)) == []
    assert DRUG_LIKE.passes(mol(smiles))


@pytest.mark.parametrize("smiles, word", [
    ("O=C1C=CC(=O)C=C1", "PAINS"),            # quinone
    ("C1CCCCCCC1", "ring of 8 atoms"),        # eight-membered ring
    ("CC1=CC=C[SH]1C", "hypervalent S"),      # ring sulfur with four bonds
    ("C[S+](C)C", "hypervalent S"),           # sulfonium
    ("CC(C)[CH2-]", "charged carbon"),
    ("c1ccpcc1", "aromatic P"),              # phosphinine
])
def test_each_check_names_what_failed(smiles: str, word: str) -> None:
    alerts = DRUG_LIKE.alerts(mol(smiles))
    assert any(word in a for a in alerts), alerts
    assert not DRUG_LIKE.passes(mol(smiles))


def test_sa_cap_rejects_hard_to_make_molecules_and_names_the_score() -> None:
    hard = mol("CC1(C)C2CC3C4CC5CC(C4)C3(C5)C12")  # a caged polycycle, SA ≈ 5.5
    alerts = MedChemGuard(catalogs=(), max_sa=4.5).alerts(hard)
    assert alerts and alerts[0].startswith("SA ")
    assert MedChemGuard(catalogs=(), max_sa=None).passes(hard)


def test_no_guard_passes_everything_and_is_inactive() -> None:
    for smiles in ("O=C1C=CC(=O)C=C1", "C1CCCCCCC1", "C[S+](C)C"):
        assert NO_GUARD.passes(mol(smiles))
    assert not NO_GUARD.active and DRUG_LIKE.active
    assert NO_GUARD.describe() == "no medicinal-chemistry guard"
    assert "PAINS/BRENK/MCF" in DRUG_LIKE.describe()


def test_bad_settings_raise_one_line_errors_naming_the_choices() -> None:
    with pytest.raises(MolvaeError, match="unknown alert catalog 'LILLY'.*PAINS, BRENK, MCF"):
        MedChemGuard(catalogs=("LILLY",))
    with pytest.raises(MolvaeError, match="max_sa"):
        MedChemGuard(max_sa=12)
    with pytest.raises(MolvaeError, match="max_ring_size"):
        MedChemGuard(max_ring_size=2)


def test_catalog_choice_changes_what_is_flagged() -> None:
    nitro = mol("Cc1ccc([N+](=O)[O-])cc1")  # a Brenk alert, not PAINS
    assert not MedChemGuard(catalogs=("BRENK",), max_sa=None).passes(nitro)
    assert MedChemGuard(catalogs=("PAINS",), max_sa=None, unusual_valence=False).passes(nitro)


def test_polyenes_fail_while_one_alkene_passes() -> None:
    one = DRUG_LIKE.alerts(mol("CC(C)=CCc1ccc(O)cc1"))  # a prenyl group: one C=C
    assert not any("non-aromatic C=C" in a for a in one), one
    alerts = DRUG_LIKE.alerts(mol("CC=CC=C1SC=CC=C1c1ccccc1"))  # the decoder's thioenol rings
    assert any("non-aromatic C=C" in a for a in alerts), alerts
    exocyclic = DRUG_LIKE.alerts(mol("CC=CC=c1sc(=O)c2ccccc12"))  # C=C then C=c on a ring
    assert any("2 non-aromatic C=C" in a for a in exocyclic), exocyclic
    assert MedChemGuard(max_alkenes=None, catalogs=(), max_sa=None).passes(
        mol("CC=CC=C1SC=CC=C1c1ccccc1"))
