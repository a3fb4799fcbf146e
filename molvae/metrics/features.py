"""What the MOSES metrics need from each molecule, computed once per unique molecule, in processes.

MOSES (molsets 0.3.1) first canonicalizes the valid generated SMILES, then parses each canonical
SMILES again and computes every metric on those molecules; so does this module. Each unique
canonical SMILES is parsed once and all its features come from that one parse; duplicates only
count (``counts``), which gives the same sums as MOSES's per-copy work.

Definitions (MOSES's):

- fingerprint: Morgan, radius 2, 1024 bits (``GetMorganFingerprintAsBitVect(mol, 2, 1024)``);
- fragments: the SMILES pieces of ``FragmentOnBRICSBonds`` (canonical SMILES split on ``.``);
- scaffold: canonical SMILES of the Bemis–Murcko scaffold (``MurckoScaffold.GetScaffoldForMol``),
  kept only if it has at least 2 rings (MOSES's ``min_rings=2``);
- filters: :func:`molvae.metrics.filters.passes_filters`;
- properties: logP (Crippen), SA (Ertl), QED and weight (average molecular weight).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TypeVar

import numpy as np
from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold

from molvae.chemistry import compute_properties, rdkit_quiet
from molvae.metrics.filters import _patterns, passes_filters
from molvae.parallel import process_pool
from molvae.progress import shown, track

__all__ = [
    "FINGERPRINT_RADIUS",
    "FINGERPRINT_BITS",
    "PROPERTY_NAMES",
    "FEATURES",
    "Features",
    "compute_features",
]

logger = logging.getLogger(__name__)

FINGERPRINT_RADIUS = 2
FINGERPRINT_BITS = 1024  # MOSES's Morgan size for SNN and IntDiv (molvae's default elsewhere: 2048)
MIN_SCAFFOLD_RINGS = 2
# MOSES metric name -> molvae.chemistry property name (same definitions)
PROPERTY_NAMES: dict[str, str] = {"logP": "logp", "SA": "sa", "QED": "qed", "weight": "mw"}
FEATURES = ("fingerprints", "fragments", "scaffolds", "filters", "properties")
_CHUNK = 500
_PARALLEL_MIN = 2000  # below this, worker start-up costs more than it saves
_PROGRESS_MIN = 5000  # molecules; smaller jobs take a few seconds at most
T = TypeVar("T")


@dataclass(frozen=True)
class Features:
    """Features of unique molecules; ``counts[i]`` is how often molecule ``i`` occurs.

    Rows whose canonical SMILES RDKit cannot parse again (a rare round-trip failure) are dropped
    from every per-molecule array, so all arrays have the same length as ``smiles``.
    """

    smiles: list[str]
    counts: np.ndarray  # int64
    fingerprints: np.ndarray | None = None  # (n, 1024) uint8, 0/1
    fragments: Counter | None = None  # fragment SMILES -> count, duplicates weighted
    scaffolds: Counter | None = None  # scaffold SMILES -> count, duplicates weighted
    passes_filters: np.ndarray | None = None  # bool (n,)
    properties: dict[str, np.ndarray] | None = None  # MOSES name -> float (n,)


def _fragments(mol: Chem.Mol) -> list[str]:
    return Chem.MolToSmiles(Chem.FragmentOnBRICSBonds(mol)).split(".")


def _scaffold(mol: Chem.Mol) -> str | None:
    try:
        scaffold = MurckoScaffold.GetScaffoldForMol(mol)
    except (ValueError, RuntimeError):
        return None
    n_rings = scaffold.GetRingInfo().NumRings()
    smiles = Chem.MolToSmiles(scaffold)
    return smiles if smiles and n_rings >= MIN_SCAFFOLD_RINGS else None


def _featurize(smiles: Sequence[str], counts: Sequence[int], wanted: frozenset[str]) -> dict:
    """Features of one chunk of unique canonical SMILES (runs in a worker process)."""
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(
        radius=FINGERPRINT_RADIUS, fpSize=FINGERPRINT_BITS)
    keep: list[int] = []
    fps, filters = [], []
    fragments, scaffolds = Counter(), Counter()
    with rdkit_quiet():
        for i, (s, count) in enumerate(zip(smiles, counts)):
            mol = Chem.MolFromSmiles(s)
            if mol is None:
                continue
            keep.append(i)
            if "fingerprints" in wanted:
                fps.append(generator.GetFingerprintAsNumPy(mol).astype(np.uint8))
            if "fragments" in wanted:
                for fragment in _fragments(mol):
                    fragments[fragment] += count
            if "scaffolds" in wanted:
                scaffold = _scaffold(mol)
                if scaffold is not None:
                    scaffolds[scaffold] += count
            if "filters" in wanted:
                filters.append(passes_filters(mol))
    out: dict = {"keep": keep, "fragments": fragments, "scaffolds": scaffolds}
    out["fingerprints"] = (np.packbits(np.stack(fps), axis=1) if fps
                           else np.zeros((0, FINGERPRINT_BITS // 8), np.uint8))
    out["filters"] = np.array(filters, dtype=bool)
    if "properties" in wanted:
        kept = [smiles[i] for i in keep]
        table = compute_properties(kept, list(PROPERTY_NAMES.values()), n_jobs=1)
        out["properties"] = table.to_numpy(dtype=np.float64)
    return out


def _warm_up() -> None:
    """Load lazily-built tables in the parent, so forked workers inherit them."""
    _patterns()
    compute_properties(["CC"], list(PROPERTY_NAMES.values()), n_jobs=1)


def worker_count(n_items: int, n_jobs: int | None, *, chunk: int = _CHUNK) -> int:
    if n_jobs is not None and n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1 or None (all cores), got {n_jobs}")
    if n_jobs is None:
        n_jobs = (os.cpu_count() or 1) if n_items >= _PARALLEL_MIN else 1
    return max(1, min(n_jobs, -(-n_items // chunk)))


def progress(items: Iterable[T], *, total: int, description: str, n_molecules: int) -> Iterable[T]:
    """A bar over ``items`` for jobs of at least a few thousand molecules on a terminal."""
    return track(items, total=total, description=description, unit="chunk",
                 show=shown(n_molecules, _PROGRESS_MIN))


def compute_features(
    smiles: Sequence[str],
    counts: Sequence[int] | None = None,
    *,
    wanted: Sequence[str] = FEATURES,
    n_jobs: int | None = None,
) -> Features:
    """Features of unique canonical SMILES (``counts`` defaults to one each).

    >>> f = compute_features(["c1ccccc1CC(=O)O", "CCO"], [2, 1], wanted=["scaffolds", "filters"])
    >>> f.passes_filters.tolist(), dict(f.scaffolds)
    ([True, True], {})
    """
    unknown = set(wanted) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown features {sorted(unknown)}; choose from {FEATURES}")
    smiles = list(smiles)
    if not smiles:
        raise ValueError("compute_features needs at least one molecule")
    counts = np.ones(len(smiles), np.int64) if counts is None else np.asarray(counts, np.int64)
    wanted_set = frozenset(wanted)
    starts = range(0, len(smiles), _CHUNK)
    chunks = [(smiles[i:i + _CHUNK], counts[i:i + _CHUNK].tolist()) for i in starts]
    workers = worker_count(len(smiles), n_jobs)
    _warm_up()
    shown = dict(total=len(chunks), description="molecule features", n_molecules=len(smiles))
    if workers == 1:
        parts = [_featurize(s, c, wanted_set) for s, c in progress(chunks, **shown)]
    else:
        with process_pool(workers) as pool:
            parts = list(progress(pool.map(_featurize, *zip(*chunks), repeat(wanted_set)), **shown))

    keep = np.concatenate([np.asarray(p["keep"], np.int64) + i for p, i in zip(parts, starts)]
                          ) if parts else np.zeros(0, np.int64)
    if len(keep) < len(smiles):
        lost = sorted(set(range(len(smiles))) - set(keep.tolist()))
        logger.warning("%d canonical SMILES did not parse again and are left out of the "
                       "metrics (e.g. %r)", len(lost), smiles[lost[0]])
    fragments, scaffolds = Counter(), Counter()
    for part in parts:
        fragments.update(part["fragments"])
        scaffolds.update(part["scaffolds"])
    concat = lambda key: np.concatenate([p[key] for p in parts]) if parts else None  # noqa: E731
    fps = concat("fingerprints")
    return Features(
        smiles=[smiles[i] for i in keep],
        counts=counts[keep],
        fingerprints=np.unpackbits(fps, axis=1) if "fingerprints" in wanted_set else None,
        fragments=fragments if "fragments" in wanted_set else None,
        scaffolds=scaffolds if "scaffolds" in wanted_set else None,
        passes_filters=concat("filters") if "filters" in wanted_set else None,
        properties=(dict(zip(PROPERTY_NAMES, concat("properties").T))
                    if "properties" in wanted_set else None),
    )
