"""Chemistry: parse and canonicalize SMILES, fingerprints, similarity and the property registry.

One module per concept, every name importable from here:

- :mod:`~molvae.chemistry.parsing`: molecules from strings, canonical SMILES, radicals;
- :mod:`~molvae.chemistry.fingerprints`: Morgan fingerprints and Tanimoto similarity;
- :mod:`~molvae.chemistry.properties`: the property registry (logp, qed, sa, plogp, ...);
- :mod:`~molvae.chemistry.records`: canonical SMILES, heavy atoms and fingerprint from one parse;
- :mod:`~molvae.chemistry.batches`: canonical SMILES and properties of many molecules at once.

Every number has one definition, stated in its property's description (``molvae props --list``).
Single-molecule functions raise :class:`~molvae.errors.InvalidMoleculeError`; batch functions
never raise on a bad row and return ``None`` / NaN in its place.

>>> canonicalize("OCC")
'CCO'
>>> round(compute_property("logp", "c1ccccc1"), 4)
1.6866
>>> compute_properties(["CCO", "not a molecule"], ["heavy_atoms"])["heavy_atoms"].tolist()
[3.0, nan]
"""

from molvae.chemistry.batches import (
    canonicalize_and_compute,
    canonicalize_many,
    compute_properties,
    property_array,
)
from molvae.chemistry.fingerprints import (
    fingerprint_array,
    morgan_fingerprint,
    morgan_fingerprints,
    morgan_generator,
    tanimoto,
    tanimoto_matrix,
    tanimoto_to_many,
)
from molvae.chemistry.parsing import (
    MolLike,
    canonical_or_input,
    canonicalize,
    has_radical,
    is_valid,
    rdkit_quiet,
    saturate_radicals,
    to_mol,
)
from molvae.chemistry.properties import (
    DEFAULT_PROPERTIES,
    PROPERTIES,
    Property,
    compute_property,
    get_property,
    list_properties,
)
from molvae.chemistry.records import MoleculeRecord, parse_record, record_of

__all__ = [
    "rdkit_quiet", "to_mol", "is_valid", "canonicalize", "canonical_or_input", "canonicalize_many",
    "has_radical", "saturate_radicals",
    "morgan_generator", "morgan_fingerprint", "morgan_fingerprints", "fingerprint_array",
    "tanimoto", "tanimoto_to_many", "tanimoto_matrix",
    "Property", "PROPERTIES", "DEFAULT_PROPERTIES", "list_properties", "get_property",
    "compute_property", "compute_properties", "property_array", "canonicalize_and_compute",
    "MolLike", "MoleculeRecord", "parse_record", "record_of",
]
