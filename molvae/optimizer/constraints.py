"""What every reported molecule must satisfy, and the one parse of each decoded string.

:class:`Constraints` holds the checks (heavy-atom cap, kept substructure, similarity to the start,
radicals, the medicinal-chemistry guard); :func:`parse_many` turns decoded strings into
:class:`Molecule` records (canonical SMILES, heavy atoms, whether the start-independent checks
pass), in worker processes when there are many (:func:`molvae.parallel.map_chunks`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from rdkit import Chem

from molvae.chemistry import MoleculeRecord, has_radical, rdkit_quiet, record_of
from molvae.errors import MolvaeError
from molvae.medchem import DRUG_LIKE, MedChemGuard
from molvae.parallel import map_chunks

__all__ = ["Constraints", "Molecule", "parse_many"]


@dataclass(frozen=True)
class Constraints:
    """What every reported molecule must satisfy.

    ``max_heavy_atoms`` (None: no cap), ``min_similarity`` (Tanimoto of Morgan radius-2,
    2048-bit fingerprints to the molecule's own start; None: no bound), ``substructure``
    (a SMARTS pattern every molecule must contain; None: none), ``allow_radicals`` (False:
    molecules with unpaired electrons are rejected; RDKit accepts them, but a decoder that
    writes ``[NH+]`` with two bonds means ``[NH2+]``, not a radical; SELFIES models already get
    the hydrogens at decoding, SMILES models can still write radicals) and ``guard`` (the
    medicinal-chemistry checks of :class:`~molvae.medchem.MedChemGuard`: structural alerts, ring
    size, SA, valences; :data:`~molvae.medchem.DRUG_LIKE` by default, None: off). An invalid
    SMARTS raises a one-line :class:`MolvaeError`.

    >>> Constraints(substructure="c1ccccc1[N+](=O)[O-]").allows(Chem.MolFromSmiles("Cc1ccccc1"))
    False
    >>> Constraints().allows(Chem.MolFromSmiles("C1CC[NH+]CC1"))  # a radical cation
    False
    >>> Constraints().allows(Chem.MolFromSmiles("O=C1C=CC(=O)C=C1"))  # quinone: a PAINS/Brenk alert
    False
    >>> Constraints(guard=None).allows(Chem.MolFromSmiles("O=C1C=CC(=O)C=C1"))
    True
    >>> Constraints(substructure="C((")
    Traceback (most recent call last):
    molvae.errors.MolvaeError: invalid SMARTS substructure 'C((': RDKit cannot parse it; ...
    """

    max_heavy_atoms: int | None = 38
    min_similarity: float | None = None
    substructure: str | None = None
    allow_radicals: bool = False
    guard: MedChemGuard | None = DRUG_LIKE
    pattern: Chem.Mol | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_heavy_atoms is not None and self.max_heavy_atoms < 1:
            raise MolvaeError(f"max_heavy_atoms must be at least 1 (or None), got "
                              f"{self.max_heavy_atoms}")
        if self.min_similarity is not None and not 0.0 <= self.min_similarity <= 1.0:
            raise MolvaeError(f"min_similarity must be in [0, 1], got {self.min_similarity}")
        if self.substructure is not None:
            with rdkit_quiet():
                pattern = Chem.MolFromSmarts(self.substructure) if self.substructure.strip() else None
            if pattern is None:
                raise MolvaeError(f"invalid SMARTS substructure {self.substructure!r}: RDKit cannot "
                                  "parse it; check brackets, ring digits and atom symbols "
                                  "(e.g. 'c1ccccc1' or '[NX3][CX3](=O)')")
            object.__setattr__(self, "pattern", pattern)

    def allows(self, mol: Chem.Mol) -> bool:
        """The checks that do not depend on the start: heavy atoms, radicals, substructure, the
        medicinal-chemistry guard."""
        if self.max_heavy_atoms is not None and mol.GetNumHeavyAtoms() > self.max_heavy_atoms:
            return False
        if not self.allow_radicals and has_radical(mol):
            return False
        if self.pattern is not None and not mol.HasSubstructMatch(self.pattern):
            return False
        return self.guard is None or self.guard.passes(mol)



@dataclass(frozen=True)
class Molecule:
    """A decoded string, parsed once: its record (canonical SMILES, heavy atoms, and its
    fingerprint when a similarity bound needs it) and whether it meets the constraints that do
    not depend on the start."""

    record: MoleculeRecord
    allowed: bool

    @property
    def canonical(self) -> str:
        return self.record.canonical

    @property
    def heavy_atoms(self) -> int:
        return self.record.heavy_atoms


_PARALLEL_PARSE_MIN = 6000  # below this many new strings, worker processes cost more than they save


def _parse_chunk(raws: Sequence[str], max_heavy_atoms: int | None, substructure: str | None,
                 allow_radicals: bool, guard: MedChemGuard | None, fingerprints: bool
                 ) -> list[Molecule | None]:
    """Each string parsed once: its record and whether it meets the constraints; None if
    invalid."""
    constraints = Constraints(max_heavy_atoms, None, substructure, allow_radicals, guard)
    out: list[Molecule | None] = []
    with rdkit_quiet():
        for raw in raws:
            mol = Chem.MolFromSmiles(raw)
            if mol is None or mol.GetNumAtoms() == 0:
                out.append(None)
            else:
                allowed = constraints.allows(mol)  # only those are compared with their start
                out.append(Molecule(record_of(mol, fingerprint=fingerprints and allowed), allowed))
    return out


def parse_many(raws: list[str], constraints: Constraints) -> list[Molecule | None]:
    """Each string parsed once (None if RDKit cannot read it), with its fingerprint when the
    constraints bound the similarity to the start, in worker processes when there are many."""
    args = (constraints.max_heavy_atoms, constraints.substructure, constraints.allow_radicals,
            constraints.guard, constraints.min_similarity is not None)
    n_jobs = min(os.cpu_count() or 1, 8)
    if len(raws) < _PARALLEL_PARSE_MIN or n_jobs < 2:
        return _parse_chunk(raws, *args)
    size = math.ceil(len(raws) / (4 * n_jobs))
    chunks = [raws[i:i + size] for i in range(0, len(raws), size)]
    return [item for part in map_chunks(_parse_chunk, chunks, *args, n_jobs=n_jobs)
            for item in part]
