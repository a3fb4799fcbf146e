"""Many molecules at once: canonical SMILES and property values of a list, each row parsed once,
in worker processes for large batches; a bad row gives ``None`` / NaN, never an exception."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
from rdkit import Chem

from molvae.chemistry.parsing import _as_mol, rdkit_quiet
from molvae.chemistry.properties import DEFAULT_PROPERTIES, _Scope, get_property
from molvae.parallel import map_chunks
from molvae.progress import shown

__all__ = ["canonicalize_many", "canonicalize_and_compute", "compute_properties",
           "property_array"]

logger = logging.getLogger("molvae.chemistry")

_PARALLEL_MIN_ROWS = 4000  # below this, starting worker processes costs more than it saves
_PROGRESS_MIN = 5000  # rows: below this, a batch takes a few seconds
_CHUNK_SIZE = 1000


def canonicalize_many(smiles: Sequence[str], *, n_jobs: int | None = None) -> list[str | None]:
    """Canonical SMILES of each input, ``None`` where it does not parse; never raises on a row.

    >>> canonicalize_many(["OCC", "C1CC"])
    ['CCO', None]
    """
    return canonicalize_and_compute(smiles, (), n_jobs=n_jobs)[0]


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
    parts = map_chunks(_process_chunk, chunks, names, canonical, n_jobs=n_jobs,
                       description="RDKit", show=shown(len(items), _PROGRESS_MIN))
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
