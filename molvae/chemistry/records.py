"""One parse per molecule: its canonical SMILES, heavy atoms and, when asked, its Morgan
fingerprint, read from the same RDKit molecule instead of parsing the SMILES again for each.

>>> record = parse_record("OCC", fingerprint=True)
>>> record.canonical, record.heavy_atoms, record.fingerprint.GetNumOnBits() > 0
('CCO', 3, True)
>>> parse_record("C1CC") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

from rdkit import Chem, DataStructs

from molvae.chemistry.fingerprints import morgan_generator
from molvae.chemistry.parsing import rdkit_quiet

__all__ = ["MoleculeRecord", "record_of", "parse_record"]


@dataclass(frozen=True)
class MoleculeRecord:
    """What one parse of a molecule gives: its canonical SMILES, its heavy atoms, and its Morgan
    fingerprint (radius 2, 2048 bits, the one every similarity in molvae uses) when asked."""

    canonical: str
    heavy_atoms: int
    fingerprint: DataStructs.ExplicitBitVect | None = None


def record_of(mol: Chem.Mol, *, fingerprint: bool = False) -> MoleculeRecord:
    """The record of an RDKit molecule already parsed."""
    return MoleculeRecord(Chem.MolToSmiles(mol), mol.GetNumHeavyAtoms(),
                          morgan_generator(2, 2048).GetFingerprint(mol) if fingerprint else None)


def parse_record(smiles: str, *, fingerprint: bool = False) -> MoleculeRecord | None:
    """The record of a SMILES string; None when RDKit cannot parse it or it has no atoms."""
    with rdkit_quiet():
        mol = Chem.MolFromSmiles(smiles)
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    return record_of(mol, fingerprint=fingerprint)
