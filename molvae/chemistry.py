"""Chemistry: parse and canonicalize SMILES, fingerprints, similarity and the property registry.

Every number has one definition, stated in its property's description (GUIDE §6). Single-molecule
functions raise :class:`~molvae.errors.InvalidMoleculeError`; batch functions never raise on a bad
row and return ``None`` / NaN in its place.

>>> canonicalize("OCC")
'CCO'
>>> round(compute_property("logp", "c1ccccc1"), 4)
1.6866
>>> compute_properties(["CCO", "not a molecule"], ["heavy_atoms"])["heavy_atoms"].tolist()
[3.0, nan]
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from types import MappingProxyType
from typing import Union

import numpy as np
import pandas as pd
from rdkit import Chem, DataStructs, RDConfig, rdBase
from rdkit.Chem import QED, Crippen, rdFingerprintGenerator, rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogEntry, SmartsMatcher

from molvae.errors import InvalidMoleculeError, UnknownPropertyError
from molvae.progress import shown, track

__all__ = [
    "rdkit_quiet", "to_mol", "is_valid", "canonicalize", "canonicalize_many", "has_radical",
    "saturate_radicals",
    "morgan_fingerprint", "morgan_fingerprints", "fingerprint_array",
    "tanimoto", "tanimoto_to_many", "tanimoto_matrix",
    "Property", "PROPERTIES", "DEFAULT_PROPERTIES", "list_properties", "get_property",
    "compute_property", "compute_properties", "property_array", "canonicalize_and_compute",
]

logger = logging.getLogger(__name__)

MolLike = Union[str, Chem.Mol]
FingerprintList = list[Union[DataStructs.ExplicitBitVect, None]]
DEFAULT_PROPERTIES: tuple[str, ...] = ("logp", "qed", "sa")
_PARALLEL_MIN_ROWS = 4000  # below this, starting worker processes costs more than it saves
_PROGRESS_MIN = 5000  # rows: below this, a batch takes a few seconds
_CHUNK_SIZE = 1000


# --- parsing ---------------------------------------------------------------------------------


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


def canonicalize_many(smiles: Sequence[str], *, n_jobs: int | None = None) -> list[str | None]:
    """Canonical SMILES of each input, ``None`` where it does not parse; never raises on a row.

    >>> canonicalize_many(["OCC", "C1CC"])
    ['CCO', None]
    """
    return canonicalize_and_compute(smiles, (), n_jobs=n_jobs)[0]


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


# --- fingerprints and similarity -------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _morgan_generator(radius: int, n_bits: int) -> rdFingerprintGenerator.FingerprintGenerator64:
    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)


def morgan_fingerprint(mol_or_smiles: MolLike, radius: int = 2,
                       n_bits: int = 2048) -> DataStructs.ExplicitBitVect:
    """Morgan (ECFP-like) bit fingerprint, radius 2 and 2048 bits by default.

    >>> morgan_fingerprint("CCO").GetNumOnBits()
    6
    """
    return _morgan_generator(radius, n_bits).GetFingerprint(to_mol(mol_or_smiles))


def morgan_fingerprints(smiles: Sequence[MolLike], radius: int = 2,
                        n_bits: int = 2048) -> FingerprintList:
    """Morgan fingerprint of each input, ``None`` where it does not parse."""
    generator = _morgan_generator(radius, n_bits)
    return [None if mol is None else generator.GetFingerprint(mol) for mol in map(_as_mol, smiles)]


def fingerprint_array(smiles: Sequence[MolLike], radius: int = 2,
                      n_bits: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Morgan fingerprints as a ``uint8`` 0/1 array of shape ``(n, n_bits)``, and validity.

    Returns ``(bits, valid)``: rows of ``bits`` are all zeros where ``valid`` (bool, shape
    ``(n,)``) is False, so mask with ``valid`` before treating a row as a molecule.

    >>> bits, valid = fingerprint_array(["CCO", "C1CC"], n_bits=64)
    >>> bits.shape, valid.tolist(), int(bits[1].sum())
    ((2, 64), [True, False], 0)
    """
    generator = _morgan_generator(radius, n_bits)
    bits = np.zeros((len(smiles), n_bits), dtype=np.uint8)
    valid = np.zeros(len(smiles), dtype=bool)
    for i, mol in enumerate(map(_as_mol, smiles)):
        if mol is not None:
            bits[i], valid[i] = generator.GetFingerprintAsNumPy(mol), True
    return bits, valid


def tanimoto(a: MolLike, b: MolLike, *, radius: int = 2, n_bits: int = 2048) -> float:
    """Tanimoto similarity of two molecules' Morgan fingerprints (radius 2, 2048 bits).

    >>> tanimoto("CCO", "OCC")
    1.0
    """
    return DataStructs.TanimotoSimilarity(morgan_fingerprint(a, radius, n_bits),
                                          morgan_fingerprint(b, radius, n_bits))


def _bulk_tanimoto(queries: FingerprintList, targets: FingerprintList) -> np.ndarray:
    """Tanimoto of every query against every target; NaN in rows and columns of ``None``."""
    out = np.full((len(queries), len(targets)), np.nan)
    columns = [j for j, fp in enumerate(targets) if fp is not None]
    valid_targets = [targets[j] for j in columns]
    for i, fp in enumerate(queries):
        if fp is not None and valid_targets:
            out[i, columns] = DataStructs.BulkTanimotoSimilarity(fp, valid_targets)
    return out


def tanimoto_to_many(query: MolLike, targets: Sequence[MolLike], *, radius: int = 2,
                     n_bits: int = 2048) -> np.ndarray:
    """Similarity of ``query`` to each target, NaN where a target is invalid; a bad query raises.

    >>> tanimoto_to_many("CCO", ["OCC", "C1CC"]).tolist()
    [1.0, nan]
    """
    query_fp = morgan_fingerprint(query, radius, n_bits)
    return _bulk_tanimoto([query_fp], morgan_fingerprints(targets, radius, n_bits))[0]


def tanimoto_matrix(smiles_a: Sequence[MolLike], smiles_b: Sequence[MolLike] | None = None, *,
                    radius: int = 2, n_bits: int = 2048) -> np.ndarray:
    """Similarities, shape ``(len(a), len(b))``, ``b`` defaulting to ``a``; NaN for invalid ones.

    >>> tanimoto_matrix(["CCO", "C1CC"], ["OCC"]).tolist()
    [[1.0], [nan]]
    """
    fps_a = morgan_fingerprints(smiles_a, radius, n_bits)
    fps_b = fps_a if smiles_b is None else morgan_fingerprints(smiles_b, radius, n_bits)
    return _bulk_tanimoto(fps_a, fps_b)


# --- the property registry -------------------------------------------------------------------


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


# --- batches ---------------------------------------------------------------------------------


def _process_chunk(items: Sequence[object], names: tuple[str, ...],
                   canonical: bool) -> tuple[list[str | None], np.ndarray]:
    """Parse each row once: canonical SMILES (if asked; else ``[]``) and values, NaN if invalid."""
    smiles_out: list[str | None] = [None] * len(items) if canonical else []
    values = np.full((len(items), len(names)), np.nan)
    with rdkit_quiet():
        for i, item in enumerate(items):
            mol = _as_mol(item)
            if mol is None:
                continue
            if canonical:  # first: SA's stereo perception annotates the Mol
                smiles_out[i] = Chem.MolToSmiles(mol)
            scope = _Scope(mol, parsed_here=isinstance(item, str))
            try:
                values[i] = [scope[name] for name in names]
            except (RuntimeError, ValueError) as err:  # RDKit failing on an exotic molecule
                logger.warning("row %d (%.60r): a property failed, NaN: %s", i, item, err)
    return smiles_out, values


def _run(items: Sequence[object], names: tuple[str, ...], *, canonical: bool,
         n_jobs: int | None, chunk_size: int) -> tuple[list[str | None], np.ndarray]:
    """``_process_chunk`` over all rows: in-process, or in chunks over a pool of processes."""
    if isinstance(items, str):
        raise TypeError("pass a list of SMILES, not a single string")
    if (n_jobs is not None and n_jobs < 1) or chunk_size < 1:
        raise ValueError(f"n_jobs must be >= 1 or None (all cores) and chunk_size >= 1; "
                         f"got n_jobs={n_jobs}, chunk_size={chunk_size}")
    items = list(items)
    if n_jobs is None:
        n_jobs = (os.cpu_count() or 1) if len(items) >= _PARALLEL_MIN_ROWS else 1
    chunks = [items[i:i + chunk_size] for i in range(0, len(items), chunk_size)]
    if n_jobs == 1 or len(chunks) < 2:
        return _process_chunk(items, names, canonical)
    _process_chunk(["CC"], names, canonical)  # load SA's table etc. before the fork shares them
    start = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(min(n_jobs, len(chunks)),
                             mp_context=multiprocessing.get_context(start)) as pool:
        parts = list(track(pool.map(_process_chunk, chunks, repeat(names), repeat(canonical)),
                           total=len(chunks), description="RDKit", unit="chunk",
                           show=shown(len(items), _PROGRESS_MIN)))
    return [s for part, _ in parts for s in part], np.concatenate([v for _, v in parts])


def _checked_names(names: Sequence[str]) -> tuple[str, ...]:
    names = [names] if isinstance(names, str) else names
    return tuple(get_property(name).name for name in dict.fromkeys(names))


def canonicalize_and_compute(smiles: Sequence[str], names: Sequence[str] = DEFAULT_PROPERTIES, *,
                             n_jobs: int | None = None, chunk_size: int = _CHUNK_SIZE,
                             ) -> tuple[list[str | None], pd.DataFrame]:
    """Parse each SMILES once: its canonical SMILES (``None`` if invalid) and its properties.

    The table has one float column per name, NaN for invalid rows, index ``0..n-1``. Inputs of
    a few thousand rows or more are split into chunks over ``n_jobs`` processes (default: all
    cores). Properties are computed on the molecule as written, before canonicalization.

    >>> canonical, table = canonicalize_and_compute(["OCC", "C1CC"], ["heavy_atoms"])
    >>> canonical, table["heavy_atoms"].tolist()
    (['CCO', None], [3.0, nan])
    """
    names = _checked_names(names)
    canonical, values = _run(smiles, names, canonical=True, n_jobs=n_jobs, chunk_size=chunk_size)
    return canonical, pd.DataFrame(values, columns=list(names))


def compute_properties(smiles: Sequence[str], names: Sequence[str] = DEFAULT_PROPERTIES, *,
                       n_jobs: int | None = None, chunk_size: int = _CHUNK_SIZE) -> pd.DataFrame:
    """Properties of many molecules: one float column per name, NaN for invalid rows.

    >>> compute_properties(["CCO", "C1CC"], ["heavy_atoms", "rings"]).to_dict("list")
    {'heavy_atoms': [3.0, nan], 'rings': [0.0, nan]}
    """
    names = _checked_names(names)
    _, values = _run(smiles, names, canonical=False, n_jobs=n_jobs, chunk_size=chunk_size)
    return pd.DataFrame(values, columns=list(names))


def property_array(name: str, smiles: Sequence[str], n_jobs: int | None = None) -> np.ndarray:
    """One property of many molecules as a float array, NaN for invalid rows.

    >>> property_array("heavy_atoms", ["CCO", "C1CC"]).tolist()
    [3.0, nan]
    """
    return compute_properties(smiles, [name], n_jobs=n_jobs)[name].to_numpy()
