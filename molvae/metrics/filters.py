"""MOSES's structural filters, the ``Filters`` metric: MCF and PAINS SMARTS plus atom, charge and
ring rules, exactly as ``moses.metrics.utils.mol_passes_filters`` (molsets 0.3.1) applies them.

A molecule passes when it has no ring of 8 or more atoms, no formal charge, only the atoms
C, N, S, O, F, Cl, Br and H, matches none of the 502 SMARTS in ``moses_filters.tsv`` (22 MCF +
480 PAINS, MOSES's own lists; matched with explicit hydrogens), and its non-isomeric SMILES
parses again.

>>> from rdkit import Chem
>>> [passes_filters(Chem.MolFromSmiles(s)) for s in ("CC(=O)Nc1ccc(O)cc1", "C[N+](C)(C)C")]
[True, False]
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from rdkit import Chem, DataStructs

__all__ = ["passes_filters", "filter_smarts"]

_ALLOWED_ATOMS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})
_MAX_RING_SIZE = 7  # a ring of 8 or more atoms fails
_DATA = Path(__file__).with_name("moses_filters.tsv")


def filter_smarts() -> dict[str, str]:
    """Name → SMARTS of the 502 MOSES filters (MCF1–MCF22, then the PAINS patterns)."""
    rows = [line.split("\t") for line in _DATA.read_text().splitlines() if not line.startswith("#")]
    return {name: smarts for name, smarts in rows}


def _pattern_words(mol: Chem.Mol) -> np.ndarray:
    """RDKit's pattern fingerprint (2048 bits) as 32 uint64 words."""
    bits = np.zeros(2048, dtype=np.uint8)
    DataStructs.ConvertToNumpyArray(Chem.PatternFingerprint(mol), bits)
    return np.packbits(bits).view(np.uint64)


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[Chem.Mol, ...], np.ndarray]:
    """The filter queries and their pattern fingerprints, built once per process."""
    queries = tuple(Chem.MolFromSmarts(s) for s in filter_smarts().values())
    return queries, np.stack([_pattern_words(q) for q in queries])


def _matches_any(h_mol: Chem.Mol, *, screen: bool) -> bool:
    """Whether any filter SMARTS matches ``h_mol`` (a molecule with explicit hydrogens).

    With ``screen``, a query is tried only if its pattern-fingerprint bits are all set in the
    molecule's: RDKit builds pattern fingerprints so that a substructure match implies that
    inclusion (the screen of its SubstructLibrary and database cartridge), so skipping the other
    queries changes no answer; tests check this against the full scan. It saves ~90% of the matches.
    """
    queries, query_words = _patterns()
    if screen:
        missing = query_words & ~_pattern_words(h_mol)
        candidates = np.flatnonzero(~missing.any(axis=1))
    else:
        candidates = range(len(queries))
    return any(h_mol.HasSubstructMatch(queries[i]) for i in candidates)


def passes_filters(mol: Chem.Mol, *, _screen: bool = True) -> bool:
    """Whether a sanitized molecule passes MOSES's filters (see the module docstring)."""
    if any(len(ring) > _MAX_RING_SIZE for ring in mol.GetRingInfo().AtomRings()):
        return False
    atoms = mol.GetAtoms()
    if any(atom.GetFormalCharge() != 0 for atom in atoms):
        return False
    if any(atom.GetSymbol() not in _ALLOWED_ATOMS for atom in atoms):
        return False
    if _matches_any(Chem.AddHs(mol), screen=_screen):
        return False
    smiles = Chem.MolToSmiles(mol, isomericSmiles=False)
    return bool(smiles) and Chem.MolFromSmiles(smiles) is not None
