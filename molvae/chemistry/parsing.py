"""Parsing SMILES: RDKit molecules from strings, canonical SMILES, validity, radicals.

Single-molecule functions raise :class:`~molvae.errors.InvalidMoleculeError` naming what is wrong
with the input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Union

from rdkit import Chem, rdBase

from molvae.errors import InvalidMoleculeError

__all__ = ["MolLike", "rdkit_quiet", "to_mol", "is_valid", "canonicalize", "canonical_or_input",
           "has_radical", "saturate_radicals"]

MolLike = Union[str, Chem.Mol]


@contextlib.contextmanager
def rdkit_quiet() -> Iterator[None]:
    """Mute RDKit's log messages (parse errors, valence warnings) inside the block only.

    >>> with rdkit_quiet():
    ...     is_valid("C1CC")
    False
    """
    with rdBase.BlockLogs():
        yield


def _parse(smiles: object) -> Chem.Mol | None:
    """RDKit's sanitized parse of a SMILES; None if rejected, empty or not a str."""
    if not isinstance(smiles, str):
        return None
    with rdkit_quiet():
        mol = Chem.MolFromSmiles(smiles)
    return mol if mol is not None and mol.GetNumAtoms() > 0 else None


def _as_mol(item: object) -> Chem.Mol | None:
    """A batch row as a Mol: SMILES parsed, a non-empty Mol as it is, anything else None."""
    if isinstance(item, Chem.Mol):
        return item if item.GetNumAtoms() > 0 else None
    return _parse(item)


def _why_unparsable(smiles: str) -> str:
    """RDKit's reason for rejecting ``smiles`` and a hint (error path only)."""
    with rdkit_quiet():
        raw = Chem.MolFromSmiles(smiles, sanitize=False)
        if raw is None:
            return "not valid SMILES syntax; check ring-closure digits, brackets and parentheses"
        try:
            Chem.SanitizeMol(raw)
        except Chem.rdchem.MolSanitizeException as err:
            return f"{err}; check valences, charges and aromatic rings"
    return "RDKit rejected it; check ring closures, valences and brackets"


def to_mol(smiles_or_mol: MolLike) -> Chem.Mol:
    """Parse a SMILES into a sanitized RDKit Mol; a Mol is returned as it is.

    As in RDKit, text after a space is read as CXSMILES extensions or a name, not as atoms.

    >>> to_mol("CCO").GetNumAtoms()
    3
    >>> to_mol("C1CC")
    Traceback (most recent call last):
    molvae.errors.InvalidMoleculeError: cannot parse SMILES 'C1CC': not valid SMILES syntax; ...
    """
    if isinstance(smiles_or_mol, Chem.Mol):
        if smiles_or_mol.GetNumAtoms() == 0:
            raise InvalidMoleculeError("the RDKit Mol has no atoms; pass a molecule with atoms")
        return smiles_or_mol
    if not isinstance(smiles_or_mol, str):
        raise InvalidMoleculeError(f"expected a SMILES string or an RDKit Mol, got "
                                   f"{type(smiles_or_mol).__name__} {smiles_or_mol!r:.80}")
    if not smiles_or_mol.strip():
        raise InvalidMoleculeError(f"empty SMILES {smiles_or_mol!r}; pass a molecule, e.g. 'CCO'")
    mol = _parse(smiles_or_mol)
    if mol is None:
        raise InvalidMoleculeError(
            f"cannot parse SMILES {smiles_or_mol!r}: {_why_unparsable(smiles_or_mol)}")
    return mol


def is_valid(smiles: object) -> bool:
    """Whether ``smiles`` is a SMILES that RDKit parses into a non-empty molecule (or such a Mol).

    >>> is_valid("c1ccccc1"), is_valid("c1cccc1"), is_valid("")
    (True, False, False)
    """
    return _as_mol(smiles) is not None


def canonicalize(smiles: MolLike) -> str:
    """RDKit's canonical isomeric SMILES: stereo, charges and isotopes are kept.

    >>> canonicalize("C1=CC=CC=C1O"), canonicalize("[13CH3][C@H](N)O")
    ('Oc1ccccc1', '[13CH3][C@H](N)O')
    """
    return Chem.MolToSmiles(to_mol(smiles))


def has_radical(mol: Chem.Mol) -> bool:
    """Whether any atom of ``mol`` has an unpaired electron (RDKit parses such molecules).

    >>> has_radical(to_mol("[CH2]C")), has_radical(to_mol("CC"))
    (True, False)
    """
    return any(atom.GetNumRadicalElectrons() for atom in mol.GetAtoms())


def saturate_radicals(smiles: str) -> str:
    """``smiles`` with each unpaired electron replaced by a hydrogen; unchanged when it has none.

    A SELFIES symbol with explicit hydrogens (``[CH1]``, ``[NH1+1]``) that receives fewer bonds
    than its valence leaves a radical (RDKit still parses it); the decoder almost always meant
    the saturated atom. Only bracket atoms can carry radicals in SMILES, so a string without
    ``[`` is returned at once; so is one RDKit cannot parse. A changed molecule comes back as
    canonical SMILES.

    >>> saturate_radicals("[CH]C"), saturate_radicals("C[NH+]C"), saturate_radicals("C[NH2+]C")
    ('CC', 'C[NH2+]C', 'C[NH2+]C')
    """
    if "[" not in smiles:
        return smiles
    mol = _parse(smiles)
    if mol is None:
        return smiles
    radicals = [atom for atom in mol.GetAtoms() if atom.GetNumRadicalElectrons()]
    if not radicals:
        return smiles
    for atom in radicals:
        atom.SetNumExplicitHs(atom.GetNumExplicitHs() + atom.GetNumRadicalElectrons())
        atom.SetNumRadicalElectrons(0)
    try:
        with rdkit_quiet():
            Chem.SanitizeMol(mol)
    except Chem.rdchem.MolSanitizeException:  # pragma: no cover - RDKit's own valence says no
        return smiles
    return Chem.MolToSmiles(mol)


def canonical_or_input(item: object) -> str:
    """Canonical SMILES of a SMILES string or molecule; the string itself when RDKit cannot parse
    it (a molecule that cannot be written gives ``""``). For labelling rows, never raises.

    >>> canonical_or_input("OCC"), canonical_or_input("C1CC")
    ('CCO', 'C1CC')
    """
    try:
        return canonicalize(item)  # type: ignore[arg-type]
    except InvalidMoleculeError:
        return item if isinstance(item, str) else ""
