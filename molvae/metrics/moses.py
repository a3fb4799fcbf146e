"""The MOSES metrics (Polykovskiy et al. 2020) as molsets 0.3.1 computes them, on precomputed parts.

Each function takes what :mod:`molvae.metrics.features` and :mod:`molvae.metrics.reference`
computed once (canonical SMILES, fingerprints, counts) and returns one number. Duplicates are
carried as counts: every function gives what MOSES gives on the list with its copies written out.
Use :func:`molvae.metrics.evaluate` for the whole table.

>>> fraction_unique(["CCO", "CCO", "CCN"], k=2)
0.5
>>> round(cosine_similarity({"a": 1, "b": 1}, {"a": 1}), 4)
0.7071
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping, Sequence

import numpy as np
from scipy.stats import wasserstein_distance

from molvae.metrics.features import Features
from molvae.metrics.similarity import ReferenceFingerprints, max_tanimoto, mean_tanimoto_powers

__all__ = [
    "fraction_valid",
    "fraction_unique",
    "novelty",
    "internal_diversity",
    "nearest_neighbour_similarity",
    "cosine_similarity",
    "fraction_passes_filters",
    "property_distance",
]

logger = logging.getLogger(__name__)


def fraction_valid(canonical: Sequence[str | None]) -> float:
    """Fraction of inputs that are molecules (``None`` marks an input RDKit rejected).

    >>> fraction_valid(["CCO", None, "CCN", None])
    0.5
    """
    if not canonical:
        raise ValueError("validity of an empty list is undefined; pass at least one SMILES")
    return sum(s is not None for s in canonical) / len(canonical)


def fraction_unique(valid_canonical: Sequence[str], k: int | None = None) -> float:
    """unique@k: distinct canonical SMILES among the first ``k`` valid molecules, over their number.

    As MOSES, with fewer than ``k`` valid molecules all of them are used (and a warning logged).
    """
    if k is not None:
        if len(valid_canonical) < k:
            logger.warning("unique@%d computed on only %d valid molecules", k, len(valid_canonical))
        valid_canonical = valid_canonical[:k]
    if not valid_canonical:
        return math.nan
    return len(set(valid_canonical)) / len(valid_canonical)


def novelty(unique_canonical: Collection[str], train: Collection[str]) -> float:
    """Fraction of the distinct valid generated molecules that are not in the training set.

    >>> novelty(["CCO", "CCN"], {"CCO"})
    0.5
    """
    if not unique_canonical:
        return math.nan
    return sum(s not in train for s in set(unique_canonical)) / len(set(unique_canonical))


def internal_diversity(features: Features, *, powers: Sequence[int] = (1, 2),
                       device: str = "cpu") -> dict[int, float]:
    """IntDiv_p for each p: ``1 − mean_i (mean_j T(i, j)^p)^(1/p)`` over all valid generated pairs.

    As MOSES computes it: the full matrix (self-pairs included), the p-th root taken per row
    before averaging the rows (the MOSES paper writes the root outside the double mean; for p=1
    both agree). Morgan radius 2, 1024 bits.
    """
    rows = mean_tanimoto_powers(features.fingerprints, features.counts, powers=tuple(powers),
                                device=device)
    weights = features.counts / features.counts.sum()
    return {p: float(1 - weights @ rows[k] ** (1 / p)) for k, p in enumerate(powers)}


def nearest_neighbour_similarity(features: Features, reference: ReferenceFingerprints, *,
                                 device: str = "cpu") -> float:
    """SNN: mean over valid generated molecules of the highest Tanimoto to a reference molecule."""
    best = max_tanimoto(features.fingerprints, reference, device=device)
    return float(best @ features.counts / features.counts.sum())


def cosine_similarity(reference: Mapping[str, float], generated: Mapping[str, float]) -> float:
    """Cosine similarity of two count vectors given as {key: count}; NaN if either is empty."""
    if not reference or not generated:
        return math.nan
    dot = sum(count * reference.get(key, 0) for key, count in generated.items())
    norm_ref = math.sqrt(sum(float(c) ** 2 for c in reference.values()))
    norm_gen = math.sqrt(sum(float(c) ** 2 for c in generated.values()))
    return dot / (norm_ref * norm_gen)


def fraction_passes_filters(features: Features) -> float:
    """Fraction of valid generated molecules that pass MOSES's filters (duplicates counted)."""
    return float(features.passes_filters @ features.counts / features.counts.sum())


def property_distance(generated: np.ndarray, generated_weights: np.ndarray,
                      reference: np.ndarray, reference_weights: np.ndarray | None) -> float:
    """Wasserstein-1 distance between two weighted samples of a property (NaN values ignored)."""
    keep_gen = ~np.isnan(generated)
    keep_ref = ~np.isnan(reference)
    if not keep_gen.any() or not keep_ref.any():
        return math.nan
    ref_weights = None if reference_weights is None else reference_weights[keep_ref]
    return float(wasserstein_distance(reference[keep_ref], generated[keep_gen],
                                      ref_weights, generated_weights[keep_gen]))
