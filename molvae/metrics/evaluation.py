"""``evaluate``: every MOSES metric of a set of generated SMILES against a reference, in one call.

>>> from molvae.metrics import evaluate, format_metrics
>>> results = evaluate(samples, reference="moses")                     # doctest: +SKIP
>>> print(format_metrics(results))                                     # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import logging
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from molvae.chemistry import canonicalize_many
from molvae.errors import MolvaeError
from molvae.metrics import moses
from molvae.metrics.fcd import Gaussian, chemnet_activations, fit_gaussian, frechet_distance
from molvae.metrics.features import PROPERTY_NAMES, Features, compute_features
from molvae.metrics.novelty import training_set
from molvae.metrics.reference import Source, reference_statistics, unique_counts
from molvae.devices import resolve_device

__all__ = ["METRICS", "evaluate", "format_metrics", "describe_metrics"]

logger = logging.getLogger(__name__)

_FP = "Morgan radius 2, 1024 bits"
METRICS: dict[str, str] = {
    "valid": "fraction of inputs RDKit parses into a molecule (empty strings are invalid)",
    "unique@1000": "fraction of distinct canonical SMILES among the first 1,000 valid molecules",
    "unique@10000": "fraction of distinct canonical SMILES among the first 10,000 valid",
    "FCD": "Frechet ChemNet Distance to the reference set (ChemNet of the fcd package, canonical "
           "SMILES); lower is closer",
    "SNN": f"mean over valid molecules of the highest Tanimoto to a reference molecule ({_FP})",
    "Frag": "cosine similarity of BRICS fragment counts, generated vs reference",
    "Scaf": "cosine similarity of Bemis-Murcko scaffold counts (scaffolds of 2+ rings), "
            "generated vs reference",
    "IntDiv": f"1 - mean Tanimoto over all pairs of valid molecules, self-pairs included ({_FP})",
    "IntDiv2": "1 - mean over molecules of the root mean squared Tanimoto to all molecules "
               f"(MOSES's code; {_FP})",
    "Filters": "fraction of valid molecules passing MOSES's MCF and PAINS SMARTS, with only "
               "C N S O F Cl Br H atoms, no charge and no ring of 8+ atoms",
    "logP": "Wasserstein-1 distance of Crippen logP to the reference's",
    "SA": "Wasserstein-1 distance of the synthetic accessibility score (Ertl) to the reference's",
    "QED": "Wasserstein-1 distance of QED to the reference's",
    "weight": "Wasserstein-1 distance of average molecular weight to the reference's",
    "Novelty": "fraction of distinct valid molecules absent from the training set",
}
_PER_REFERENCE = ("FCD", "SNN", "Frag", "Scaf")
_COMPONENT = {"FCD": "fcd", "SNN": "fingerprints", "Frag": "fragments", "Scaf": "scaffolds"}
# reference name -> ([(label, dataset)], default training set)
_NAMED_REFERENCES: dict[str, tuple[list[tuple[str, str]], str]] = {
    "moses": ([("Test", "moses:test"), ("TestSF", "moses:test_scaffolds")], "moses:train"),
    "moses:test": ([("Test", "moses:test")], "moses:train"),
    "moses:test_scaffolds": ([("TestSF", "moses:test_scaffolds")], "moses:train"),
    "zinc": ([("ZINC", "zinc")], "zinc"),
    "zinc250k": ([("ZINC", "zinc")], "zinc"),
}


def describe_metrics() -> dict[str, str]:
    """Metric name → the definition its number uses (per-reference names take a ``/label``)."""
    return dict(METRICS)


def _select(metrics: Iterable[str] | None) -> list[str]:
    if metrics is None:
        return list(METRICS)
    if isinstance(metrics, str):
        metrics = [metrics]
    by_lower = {name.lower(): name for name in METRICS}
    chosen = set()
    for name in metrics:
        key = str(name).split("/")[0].lower()
        if key == "unique":
            chosen |= {"unique@1000", "unique@10000"}
        elif key in ("properties", "wasserstein"):
            chosen |= set(PROPERTY_NAMES)
        elif key in by_lower:
            chosen.add(by_lower[key])
        else:
            close = difflib.get_close_matches(key, list(by_lower), n=1, cutoff=0.5)
            hint = f"; did you mean {by_lower[close[0]]!r}?" if close else ""
            raise MolvaeError(f"unknown metric {name!r}{hint} Choose from: {', '.join(METRICS)}")
    return [name for name in METRICS if name in chosen]


def _references(reference: Source) -> tuple[list[tuple[str, Source]], Source | None]:
    if isinstance(reference, str) and reference in _NAMED_REFERENCES:
        sets, train = _NAMED_REFERENCES[reference]
        return list(sets), train
    return [("Ref", reference)], None


def evaluate(
    smiles: Sequence[str],
    reference: Source = "moses",
    *,
    train: Source | None = None,
    n_jobs: int | None = None,
    device: str = "auto",
    cache_dir: str | Path | None = None,
    metrics: Iterable[str] | None = None,
    recompute_reference: bool = False,
) -> dict[str, float]:
    """MOSES metrics of generated ``smiles`` against ``reference``, keyed as MOSES's table.

    ``reference``: ``'moses'`` (MOSES test and scaffold-test sets: ``FCD/Test`` ... ``Scaf/TestSF``,
    like MOSES's ``get_all_metrics``), ``'moses:test'``, ``'moses:test_scaffolds'``, ``'zinc'``
    (ZINC250k, label ``ZINC``), or a file path / list of SMILES (label ``Ref``). Property distances
    use the first reference set. ``train`` (for ``Novelty``) defaults to the reference's training
    set (MOSES train, ZINC250k); for other references novelty is left out unless ``train`` is given.
    ``metrics`` picks a subset by name (see :data:`METRICS`; ``'unique'`` and ``'properties'``
    select groups). Reference statistics are computed once and cached under ``cache_dir``; the slow
    ones ship with molvae for ZINC250k and MOSES's test sets (and what it takes to read MOSES
    train's canonical SMILES without RDKit, for novelty). ``recompute_reference`` computes every
    reference statistic again instead of reading the cache or the shipped ones.
    """
    wanted = _select(metrics)
    if isinstance(smiles, str):
        raise TypeError("pass a list of SMILES, not a single string")
    smiles = list(smiles)
    if not smiles:
        raise MolvaeError("evaluate needs at least one generated SMILES")
    device = str(resolve_device(device))
    started = time.perf_counter()
    sets, default_train = _references(reference)
    train = default_train if train is None else train

    canonical = canonicalize_many(smiles, n_jobs=n_jobs)
    valid = [s for s in canonical if s is not None]
    out: dict[str, float] = {}
    if "valid" in wanted:
        out["valid"] = moses.fraction_valid(canonical)
    for k in (1000, 10000):
        if f"unique@{k}" in wanted:
            out[f"unique@{k}"] = moses.fraction_unique(valid, k)
    if not valid:
        logger.warning("no valid molecule among %d inputs: the other metrics are NaN", len(smiles))
        return _ordered(out, wanted, sets, missing=math.nan, novelty=train is not None)

    unique, counts = unique_counts(valid)
    features = _features(unique, counts, wanted, n_jobs)
    generated = None
    if "FCD" in wanted and counts.sum() >= 2:
        generated = fit_gaussian(chemnet_activations(unique, device=device), counts)
    for i, (label, source) in enumerate(sets):
        out.update(_against_reference(label, source, features, generated, wanted, first=i == 0,
                                      cache_dir=cache_dir, n_jobs=n_jobs, device=device,
                                      recompute=recompute_reference))
    powers = [p for p, name in ((1, "IntDiv"), (2, "IntDiv2")) if name in wanted]
    if powers:
        diversity = moses.internal_diversity(features, powers=powers, device=device)
        out.update({("IntDiv" if p == 1 else f"IntDiv{p}"): v for p, v in diversity.items()})
    if "Filters" in wanted:
        out["Filters"] = moses.fraction_passes_filters(features)
    if "Novelty" in wanted and train is not None:
        out["Novelty"] = moses.novelty(unique, training_set(
            train, cache_dir=cache_dir, n_jobs=n_jobs, recompute=recompute_reference))
    elif "Novelty" in wanted:
        logger.info("no training set for this reference: Novelty left out (pass train=...)")
    logger.info("evaluated %d molecules in %.1f s", len(smiles), time.perf_counter() - started)
    return _ordered(out, wanted, sets)


_FEATURE_OF = {"SNN": "fingerprints", "IntDiv": "fingerprints", "IntDiv2": "fingerprints",
               "Frag": "fragments", "Scaf": "scaffolds", "Filters": "filters",
               **{name: "properties" for name in PROPERTY_NAMES}}


def _features(unique: list[str], counts: np.ndarray, wanted: list[str],
              n_jobs: int | None) -> Features | None:
    names = sorted({_FEATURE_OF[m] for m in wanted if m in _FEATURE_OF})
    return compute_features(unique, counts, wanted=names, n_jobs=n_jobs) if names else None


def _against_reference(label: str, source: Source, features: Features | None,
                       generated: Gaussian | None, wanted: list[str], *, first: bool,
                       cache_dir: str | Path | None, n_jobs: int | None,
                       device: str, recompute: bool) -> dict[str, float]:
    """FCD, SNN, Frag and Scaf against one reference set (and property distances to the first)."""
    per_ref = [m for m in _PER_REFERENCE if m in wanted]
    props = [m for m in PROPERTY_NAMES if m in wanted] if first else []
    components = [_COMPONENT[m] for m in per_ref] + (["properties"] if props else [])
    if not components:
        return {}
    stats = reference_statistics(source, components=components, cache_dir=cache_dir,
                                 n_jobs=n_jobs, device=device, recompute=recompute)
    out = {}
    if "FCD" in per_ref:
        out[f"FCD/{label}"] = (frechet_distance(stats.fcd, generated) if generated is not None
                               else math.nan)
    if "SNN" in per_ref:
        out[f"SNN/{label}"] = moses.nearest_neighbour_similarity(features, stats.fingerprints,
                                                                 device=device)
    if "Frag" in per_ref:
        out[f"Frag/{label}"] = moses.cosine_similarity(stats.fragments, features.fragments)
    if "Scaf" in per_ref:
        out[f"Scaf/{label}"] = moses.cosine_similarity(stats.scaffolds, features.scaffolds)
    for name in props:
        out[name] = moses.property_distance(features.properties[name], features.counts,
                                            stats.properties[name], stats.property_weights)
    return out


def _ordered(out: dict[str, float], wanted: list[str], sets: list[tuple[str, Source]], *,
             missing: float | None = None, novelty: bool = True) -> dict[str, float]:
    """MOSES's key order: valid, unique@k, per-reference blocks, then the rest; metrics not in
    ``out`` are left out, or set to ``missing`` when one is given."""
    keys = [m for m in ("valid", "unique@1000", "unique@10000") if m in wanted]
    keys += [f"{m}/{label}" for label, _ in sets for m in _PER_REFERENCE if m in wanted]
    keys += [m for m in wanted if m not in keys and m not in _PER_REFERENCE
             and (novelty or m != "Novelty")]
    if missing is not None:
        return {k: float(out.get(k, missing)) for k in keys}
    return {k: float(out[k]) for k in keys if k in out}


def format_metrics(results: Mapping[str, float], *, digits: int = 4,
                   definitions: bool = True) -> str:
    """The results of :func:`evaluate` as an aligned text table (with each metric's definition).

    >>> print(format_metrics({"valid": 0.5, "FCD/Test": 1.23456}, definitions=False))
    metric    value
    valid     0.5000
    FCD/Test  1.2346
    """
    rows = [("metric", "value") + (("definition",) if definitions else ())]
    for name, value in results.items():
        text = "nan" if value is None or (isinstance(value, float) and math.isnan(value)) \
            else f"{value:.{digits}f}"
        rows.append((name, text) + ((METRICS.get(name.split("/")[0], ""),) if definitions else ()))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join([cell.ljust(w) for cell, w in zip(row, widths)] + [row[-1]]).rstrip()
             for row in rows]
    return "\n".join(lines)
