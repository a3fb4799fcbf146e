"""The medicinal-chemistry guard: structural alerts and sanity rules a generated molecule must
pass before the optimizer reports it.

A chemist triages generated molecules by the same few questions: does it carry a known
assay-interference or reactive group (RDKit's PAINS and Brenk catalogs, MOSES's MCF set), a ring
no drug has (eight atoms or more), is it hard to make (Ertl's SA score), and are its atoms in
valences a chemist would draw (no hypervalent ring sulfur or phosphorus, no charged carbon),
and is it free of the polyenes that no drug-like library holds?
:class:`MedChemGuard` answers them; :data:`DRUG_LIKE` is the preset the optimizer uses by
default, and ``None`` (or :data:`NO_GUARD`) turns the guard off, as benchmark protocols that have
no such filter do.

>>> from rdkit import Chem
>>> DRUG_LIKE.alerts(Chem.MolFromSmiles("CC(C)Cc1ccc(C(C)C(=O)O)cc1"))    # ibuprofen
[]
>>> DRUG_LIKE.alerts(Chem.MolFromSmiles("CC1=CC=C[SH]1C"))     # a ring S with four bonds
['2 non-aromatic C=C bonds (at most 1)', 'unusual valence: hypervalent S', 'Brenk: thiol_2',
 'MCF: MCF13', 'SA 5.96 (at most 4.5)']
>>> DRUG_LIKE.passes(Chem.MolFromSmiles("C1CCCCCCC1"))         # an eight-membered ring
False
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from rdkit import Chem
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

from molvae.errors import MolvaeError

__all__ = ["MedChemGuard", "DRUG_LIKE", "NO_GUARD", "CATALOGS", "UNUSUAL_VALENCE_SMARTS"]

#: Alert catalogs the guard can apply: RDKit's PAINS (A, B and C) and Brenk sets, and the 22
#: MCF SMARTS of MOSES's filters (Walters' medicinal-chemistry filters).
CATALOGS = ("PAINS", "BRENK", "MCF")

#: Atom environments a chemist would not draw in a drug-like molecule, name → SMARTS.
UNUSUAL_VALENCE_SMARTS: dict[str, str] = {
    # aromatic sulfur or phosphorus with more than two ring bonds' worth of valence ([SH] in a
    # ring, thiopyrylium-like S(IV)); thiophene's s has valence 2
    "hypervalent aromatic S": "[s;!v2]",
    "aromatic P": "[p]",
    # sulfur above valence 2 without the double bonds to O or N that sulfoxides, sulfones,
    # sulfonamides and sulfoximines have (e.g. [SH2] in a chain, sulfonium)
    "hypervalent S": "[#16;!a;v3,v4,v5,v6;!$([#16]=[#8,#7])]",
    # phosphorus(V) without P=O or P=S (phosphoranes)
    "hypervalent P": "[#15;!a;v5;!$([#15]=[#8,#16])]",
    "charged carbon": "[#6;+,-]",
    "hypervalent halogen": "[F,Cl,Br,I;!v1]",
}


@dataclass(frozen=True)
class MedChemGuard:
    """Which checks a molecule must pass (each one off with None, False or an empty tuple).

    ``catalogs``: alert sets from :data:`CATALOGS` (a match anywhere fails); ``max_ring_size``:
    the largest ring allowed (SSSR rings, in atoms); ``max_sa``: the highest synthetic
    accessibility score (Ertl; 1 easy … 10 hard; ZINC250k's 99th percentile is about 4.9);
    ``unusual_valence``: fail the environments of :data:`UNUSUAL_VALENCE_SMARTS`;
    ``max_alkenes``: the most carbon–carbon double bonds that are not aromatic bonds, exocyclic
    ones on an aromatic ring included (99.1% of ZINC250k has at most one; a decoder lost between
    the data's codes writes polyenes and thioenol-ether rings, which the catalogs above mostly
    miss).
    """

    catalogs: tuple[str, ...] = CATALOGS
    max_ring_size: int | None = 7
    max_sa: float | None = 4.5
    unusual_valence: bool = True
    max_alkenes: int | None = 1

    def __post_init__(self) -> None:
        unknown = [c for c in self.catalogs if c not in CATALOGS]
        if unknown:
            raise MolvaeError(f"unknown alert catalog {unknown[0]!r}; choose from "
                              f"{', '.join(CATALOGS)}")
        if self.max_ring_size is not None and self.max_ring_size < 3:
            raise MolvaeError(f"max_ring_size must be at least 3 (or None), got {self.max_ring_size}")
        if self.max_sa is not None and not 1.0 <= self.max_sa <= 10.0:
            raise MolvaeError(f"max_sa must be between 1 and 10 (or None), got {self.max_sa}")
        if self.max_alkenes is not None and self.max_alkenes < 0:
            raise MolvaeError(f"max_alkenes must be 0 or more (or None), got {self.max_alkenes}")

    @property
    def active(self) -> bool:
        """Whether any check is on."""
        return bool(self.catalogs or self.max_ring_size is not None or self.max_sa is not None
                    or self.unusual_valence or self.max_alkenes is not None)

    def passes(self, mol: Chem.Mol) -> bool:
        """Whether a sanitized molecule passes every check (stops at the first failure)."""
        return not self._failures(mol, first=True)

    def alerts(self, mol: Chem.Mol) -> list[str]:
        """Every check the molecule fails, in words (empty when it passes)."""
        return self._failures(mol, first=False)

    def describe(self) -> str:
        """One line saying what the guard checks."""
        if not self.active:
            return "no medicinal-chemistry guard"
        parts = []
        if self.catalogs:
            parts.append("no " + "/".join(self.catalogs) + " alert")
        if self.max_ring_size is not None:
            parts.append(f"rings of at most {self.max_ring_size} atoms")
        if self.max_sa is not None:
            parts.append(f"SA at most {self.max_sa:g}")
        if self.unusual_valence:
            parts.append("no unusual valence")
        if self.max_alkenes is not None:
            parts.append(f"at most {self.max_alkenes} non-aromatic C=C")
        return ", ".join(parts)

    def _failures(self, mol: Chem.Mol, *, first: bool) -> list[str]:
        out: list[str] = []
        if self.max_ring_size is not None:
            largest = max((len(r) for r in mol.GetRingInfo().AtomRings()), default=0)
            if largest > self.max_ring_size:
                out.append(f"ring of {largest} atoms (at most {self.max_ring_size})")
                if first:
                    return out
        if self.max_alkenes is not None:
            alkenes = len(mol.GetSubstructMatches(_alkene()))
            if alkenes > self.max_alkenes:
                out.append(f"{alkenes} non-aromatic C=C bonds (at most {self.max_alkenes})")
                if first:
                    return out
        if self.unusual_valence:
            for name, pattern in _valence_patterns():
                if mol.HasSubstructMatch(pattern):
                    out.append(f"unusual valence: {name}")
                    if first:
                        return out
        for catalog in self.catalogs:
            if first:
                if _catalog(catalog).HasMatch(mol):
                    return [f"{catalog} alert"]
                continue
            for entry in _catalog(catalog).GetMatches(mol):
                out.append(f"{_LABEL[catalog]}: {entry.GetDescription()}")
        if self.max_sa is not None:
            from molvae.chemistry import compute_property

            sa = compute_property("sa", mol)
            if sa > self.max_sa:
                out.append(f"SA {sa:.2f} (at most {self.max_sa:g})")
        return out


_LABEL = {"PAINS": "PAINS", "BRENK": "Brenk", "MCF": "MCF"}

#: The optimizer's default: every check on.
DRUG_LIKE = MedChemGuard()
#: Every check off (what ``guard=None`` means).
NO_GUARD = MedChemGuard(catalogs=(), max_ring_size=None, max_sa=None, unusual_valence=False,
                        max_alkenes=None)


@functools.lru_cache(maxsize=1)
def _alkene() -> Chem.Mol:
    return Chem.MolFromSmarts("[#6]=[#6]")  # "=" is a double bond, never an aromatic one


@functools.lru_cache(maxsize=1)
def _valence_patterns() -> tuple[tuple[str, Chem.Mol], ...]:
    return tuple((name, Chem.MolFromSmarts(smarts))
                 for name, smarts in UNUSUAL_VALENCE_SMARTS.items())


@functools.lru_cache(maxsize=None)
def _catalog(name: str) -> FilterCatalog:
    """One catalog, built once per process."""
    if name == "MCF":
        from rdkit.Chem.FilterCatalog import SmartsMatcher, FilterCatalogEntry

        from molvae.metrics.filters import filter_smarts

        catalog = FilterCatalog()
        for label, smarts in filter_smarts().items():
            if label.startswith("MCF"):
                catalog.AddEntry(FilterCatalogEntry(label, SmartsMatcher(label, smarts, 1)))
        return catalog
    params = FilterCatalogParams()
    if name == "PAINS":
        params.AddCatalog(FilterCatalogParams.FilterCatalogs.PAINS)
    else:
        params.AddCatalog(FilterCatalogParams.FilterCatalogs.BRENK)
    return FilterCatalog(params)
