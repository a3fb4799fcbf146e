"""The property registry: every number molvae computes for a molecule, each with one definition
stated in its description (``molvae props --list``)."""

from __future__ import annotations

import difflib
import functools
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from rdkit import Chem, RDConfig
from rdkit.Chem import QED, Crippen, rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogEntry, SmartsMatcher

from molvae.errors import UnknownPropertyError
from molvae.chemistry.parsing import MolLike, to_mol

__all__ = ["Property", "PROPERTIES", "DEFAULT_PROPERTIES", "list_properties", "get_property",
           "compute_property"]

DEFAULT_PROPERTIES: tuple[str, ...] = ("logp", "qed", "sa")


@functools.lru_cache(maxsize=None)
def _sascorer():  # noqa: ANN202 - a module
    """RDKit Contrib's ``sascorer`` with its fragment table loaded (once per process)."""
    try:
        from rdkit.Contrib.SA_Score import sascorer
    except ImportError:  # RDKit builds where Contrib is not an importable package
        sys.path.append(os.path.join(RDConfig.RDContribDir, "SA_Score"))
        import sascorer  # type: ignore[no-redef]
    sascorer.readFragmentScores()
    return sascorer


@functools.lru_cache(maxsize=None)
def _qed_alert_catalog() -> FilterCatalog:
    """QED's 116 structural alerts as one FilterCatalog (one SubstructMatch per alert)."""
    catalog = FilterCatalog()
    for i, alert in enumerate(QED.StructuralAlerts):
        catalog.AddEntry(FilterCatalogEntry(str(i), SmartsMatcher(str(i), alert, 1)))
    return catalog


class _Scope:
    """One molecule and the property values computed from it so far, each at most once.

    ``parsed_here`` marks a Mol that molvae parsed from SMILES, hence sanitized and with
    current ring info; only those take the fast paths of ``qed`` and ``cycle``.
    """

    __slots__ = ("mol", "parsed_here", "values")

    def __init__(self, mol: Chem.Mol, *, parsed_here: bool) -> None:
        self.mol, self.parsed_here, self.values = mol, parsed_here, {}

    def __getitem__(self, name: str) -> float:
        value = self.values.get(name)
        if value is None:
            value = self.values[name] = float(_RULES[name](self))
        return value


def _qed(s: _Scope) -> float:
    """RDKit's ``QED.qed``; bit-identical and faster for a sanitized molecule without H atoms.

    There QED's ``RemoveHs`` copy has the same atoms in the same order, so its eight inputs can
    be computed on the molecule itself: logP, weight, TPSA, donors and strict rotatable bonds
    are shared with those properties (Crippen logP alone is a quarter of QED's time), each
    acceptor pattern is matched once instead of twice, and the 116 alerts are matched in one
    C++ call: ``SmartsMatcher`` runs the same ``SubstructMatch`` with the same defaults as
    ``Mol.HasSubstructMatch``.
    """
    mol = s.mol
    if not s.parsed_here or mol.GetNumAtoms() != mol.GetNumHeavyAtoms():
        return QED.qed(mol)
    return QED.qed(mol, qedProperties=QED.QEDproperties(
        MW=s["mw"],
        ALOGP=s["logp"],
        HBA=sum(len(mol.GetSubstructMatches(pattern)) for pattern in QED.Acceptors),
        HBD=s["hbd"],
        PSA=s["tpsa"],
        ROTB=s["rotatable_bonds"],
        AROM=len(Chem.GetSSSR(Chem.DeleteSubstructs(mol, QED.AliphaticRings))),  # returns a copy
        ALERTS=len(_qed_alert_catalog().GetMatches(mol)),
    ))


def _cycle(s: _Scope) -> float:
    """max(0, longest cycle of ``networkx.cycle_basis`` of the atom graph − 6), as JT-VAE/GCPN.

    Where no bond lies in two rings the rings are the only cycle basis, so RDKit's ring info
    answers; fused systems go through networkx exactly as the reference code does, since there
    the basis (and its longest cycle) depends on the atom order.
    """
    if s.parsed_here:
        bond_rings = s.mol.GetRingInfo().BondRings()
        ring_bonds = [bond for ring in bond_rings for bond in ring]
        if len(ring_bonds) == len(set(ring_bonds)):  # no fused rings (or no rings at all)
            return float(max(0, max(map(len, bond_rings), default=0) - 6))
    import networkx as nx  # imported here: only fused ring systems need it

    basis = nx.cycle_basis(nx.Graph(Chem.GetAdjacencyMatrix(s.mol)))
    return float(max(0, max(map(len, basis), default=0) - 6))


def _plogp_normalized(s: _Scope) -> float:
    return ((s["logp"] - 2.4570953396190123) / 1.434324401111988
            + (-s["sa"] + 3.0525811293166134) / 0.8335207024513095
            + (-s["cycle"] + 0.0485696876403053) / 0.2860212110245455)


_STRICT = rdMolDescriptors.NumRotatableBondsOptions.Strict
_Rule = Callable[[_Scope], float]
# name: (how it is computed, higher_is_better, the one-line definition list_properties shows)
_REGISTRY: dict[str, tuple[_Rule, bool | None, str]] = {
    "logp": (lambda s: Crippen.MolLogP(s.mol), None,
             "Wildman-Crippen logP (RDKit Crippen.MolLogP)"),
    "qed": (_qed, True, "drug-likeness 0..1 (RDKit QED.qed, mean weights)"),
    "sa": (lambda s: _sascorer().calculateScore(s.mol), False,
           "synthetic accessibility, 1 easy .. 10 hard (Ertl; RDKit Contrib sascorer)"),
    "cycle": (_cycle, False, "max(0, longest cycle in networkx cycle_basis of the atom graph - 6)"),
    "plogp": (lambda s: s["logp"] - s["sa"] - s["cycle"], True,
              "penalized logP, unnormalized: logp - sa - cycle"),
    "plogp_normalized": (_plogp_normalized, True,
                         "penalized logP, GCPN/JT-VAE scale: (logp - 2.4571)/1.4343 "
                         "+ (3.0526 - sa)/0.8335 + (0.0486 - cycle)/0.2860 (full-precision)"),
    "logp_minus_sa": (lambda s: s["logp"] - s["sa"], True,
                      "logp - sa, the score of JT-VAE's 800-molecule constrained set"),
    "mw": (lambda s: rdMolDescriptors._CalcMolWt(s.mol), None,
           "average molecular weight in g/mol (RDKit Descriptors.MolWt)"),
    "tpsa": (lambda s: rdMolDescriptors.CalcTPSA(s.mol), None,
             "topological polar surface area in A^2, N and O only (RDKit CalcTPSA)"),
    "hbd": (lambda s: rdMolDescriptors.CalcNumHBD(s.mol), None,
            "H-bond donors, Lipinski SMARTS (RDKit CalcNumHBD = Descriptors.NumHDonors)"),
    "hba": (lambda s: rdMolDescriptors.CalcNumHBA(s.mol), None,
            "H-bond acceptors, Lipinski SMARTS (RDKit CalcNumHBA = Descriptors.NumHAcceptors)"),
    "rotatable_bonds": (lambda s: rdMolDescriptors.CalcNumRotatableBonds(s.mol, _STRICT), None,
                        "rotatable bonds, strict definition (RDKit CalcNumRotatableBonds)"),
    "rings": (lambda s: rdMolDescriptors.CalcNumRings(s.mol), None,
              "rings in the smallest set of smallest rings (RDKit CalcNumRings)"),
    "aromatic_rings": (lambda s: rdMolDescriptors.CalcNumAromaticRings(s.mol), None,
                       "aromatic rings (RDKit CalcNumAromaticRings)"),
    "heavy_atoms": (lambda s: s.mol.GetNumHeavyAtoms(), None,
                    "atoms other than hydrogen (Mol.GetNumHeavyAtoms)"),
}
_RULES: dict[str, _Rule] = {name: rule for name, (rule, _, _) in _REGISTRY.items()}


@dataclass(frozen=True)
class Property:
    """A named molecular property: ``fn(mol) -> float`` and which direction is better, if any."""

    name: str
    description: str
    fn: Callable[[Chem.Mol], float]
    higher_is_better: bool | None


def _value_of(name: str, mol: Chem.Mol) -> float:
    return _Scope(mol, parsed_here=False)[name]


PROPERTIES: Mapping[str, Property] = MappingProxyType({
    name: Property(name, description, functools.partial(_value_of, name), higher)
    for name, (_, higher, description) in _REGISTRY.items()
})


def list_properties() -> dict[str, str]:
    """Name → one-line definition of every registered property.

    >>> list_properties()["plogp"]
    'penalized logP, unnormalized: logp - sa - cycle'
    """
    return {name: prop.description for name, prop in PROPERTIES.items()}


def get_property(name: str) -> Property:
    """The registered property called ``name``; the error suggests the closest name.

    >>> get_property("QED")
    Traceback (most recent call last):
    molvae.errors.UnknownPropertyError: unknown property 'QED' (did you mean 'qed'?); valid ...
    """
    try:
        return PROPERTIES[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name).lower(), list(PROPERTIES), n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownPropertyError(f"unknown property {name!r}{hint}; valid names: "
                                   f"{', '.join(PROPERTIES)}") from None


def compute_property(name: str, mol_or_smiles: MolLike) -> float:
    """One property of one molecule; raises on an unknown name or an invalid molecule.

    >>> round(compute_property("qed", "CC(=O)Oc1ccccc1C(=O)O"), 4)
    0.5501
    """
    get_property(name)
    mol = to_mol(mol_or_smiles)
    return _Scope(mol, parsed_here=isinstance(mol_or_smiles, str))[name]
