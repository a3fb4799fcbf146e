"""Morgan fingerprints and Tanimoto similarity of molecules."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Union

import numpy as np
from rdkit import DataStructs
from rdkit.Chem import rdFingerprintGenerator

from molvae.chemistry.parsing import MolLike, _as_mol, to_mol

__all__ = ["morgan_generator", "morgan_fingerprint", "morgan_fingerprints", "fingerprint_array",
           "tanimoto", "tanimoto_to_many", "tanimoto_matrix"]

FingerprintList = list[Union[DataStructs.ExplicitBitVect, None]]


@functools.lru_cache(maxsize=None)
def morgan_generator(radius: int, n_bits: int) -> rdFingerprintGenerator.FingerprintGenerator64:
    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)


def morgan_fingerprint(mol_or_smiles: MolLike, radius: int = 2,
                       n_bits: int = 2048) -> DataStructs.ExplicitBitVect:
    """Morgan (ECFP-like) bit fingerprint, radius 2 and 2048 bits by default.

    >>> morgan_fingerprint("CCO").GetNumOnBits()
    6
    """
    return morgan_generator(radius, n_bits).GetFingerprint(to_mol(mol_or_smiles))


def morgan_fingerprints(smiles: Sequence[MolLike], radius: int = 2,
                        n_bits: int = 2048) -> FingerprintList:
    """Morgan fingerprint of each input, ``None`` where it does not parse."""
    generator = morgan_generator(radius, n_bits)
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
    generator = morgan_generator(radius, n_bits)
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
