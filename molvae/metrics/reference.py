"""Reference statistics: what the metrics need from a reference set, computed once and cached.

The equivalent of MOSES's shipped ``test_stats.npz``: ChemNet mean and covariance (FCD), Morgan
fingerprints (SNN), BRICS fragment and scaffold counts (Frag, Scaf) and the logP / SA / QED /
weight values (Wasserstein distances), (the canonical SMILES of a training set, for novelty: :mod:`molvae.metrics.novelty`).
Each part is computed on first use only and stored under ``<cache>/metrics/``, keyed by the
sha256 of the source's bytes, the RDKit version (and the ``fcd`` version for FCD), so a changed
file or toolkit recomputes instead of reusing stale numbers.

The parts that are small to store and slow to compute (FCD's mean and covariance, fragment and
scaffold counts, property values) ship with the package for ZINC250k and MOSES's test and
scaffold-test sets (``molvae/metrics/shipped/``, made by ``python -m molvae.metrics.shipped``):
they are used when the source file's bytes are the ones they were computed from, so only the
canonical SMILES and the fingerprints are computed on first use. ``recompute=True`` ignores them.

>>> stats = reference_statistics("moses:test", components=["scaffolds"])   # doctest: +SKIP
>>> stats.scaffolds.most_common(1)                                         # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np
import rdkit

from molvae.chemistry import canonicalize_many
from molvae.data import default_cache_dir, moses_path, read_smiles, zinc250k_path
from molvae.errors import DatasetError
from molvae.files import atomic_write, atomic_write_text
from molvae.metrics.fcd import Gaussian, chemnet_activations, fcd_version, fit_gaussian
from molvae.metrics.features import FINGERPRINT_BITS, PROPERTY_NAMES, compute_features
from molvae.metrics.similarity import ReferenceFingerprints

__all__ = [
    "COMPONENTS",
    "ReferenceStats",
    "read_shipped",
    "reference_statistics",
    "unique_counts",
]

logger = logging.getLogger(__name__)

Source = Union[str, Path, Sequence[str]]
COMPONENTS = ("fcd", "fingerprints", "fragments", "scaffolds", "properties")
_CACHE_VERSION = "1"  # bump when a cached file's layout or a definition changes
_NAMED = {"moses:test", "moses:test_scaffolds", "moses:train", "moses", "zinc", "zinc250k"}
SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"
SHIPPED_PARTS = ("fcd", "fragments", "scaffolds", "properties")
SHIPPED_SOURCES = {"zinc": "zinc250k.npz", "moses:test": "moses_test.npz",
                   "moses:test_scaffolds": "moses_test_scaffolds.npz",
                   "moses:train": "moses_train.npz"}
_CANONICAL_ONLY = {"moses:train"}  # shipped for novelty: canonical SMILES only, no statistics


@dataclass(frozen=True)
class ReferenceStats:
    """Statistics of one reference set; a part is ``None`` when it was not asked for."""

    source: str
    n_molecules: int  # valid molecules, duplicates included
    fcd: Gaussian | None = None
    fingerprints: ReferenceFingerprints | None = None
    fragments: Counter | None = None
    scaffolds: Counter | None = None
    properties: dict[str, np.ndarray] | None = None  # MOSES name -> values of unique molecules
    property_weights: np.ndarray | None = None  # copies of each unique molecule


def unique_counts(smiles: Sequence[str | None]) -> tuple[list[str], np.ndarray]:
    """Distinct non-None strings in order of first appearance, and how often each occurs."""
    counts = Counter(s for s in smiles if s is not None)
    return list(counts), np.fromiter(counts.values(), np.int64, len(counts))


# --- sources ---------------------------------------------------------------------------------


def _source_path(source: str | Path, cache_dir: Path) -> Path:
    text = str(source)
    if text in ("zinc", "zinc250k"):
        return zinc250k_path()
    if text == "moses" or text.startswith("moses:"):
        split = text.split(":", 1)[1] if ":" in text else "train"
        return moses_path(split, cache_dir=cache_dir)
    path = Path(text).expanduser()
    if not path.is_file():
        raise DatasetError(f"reference {text!r} is neither a dataset name (moses, moses:test, "
                           "moses:test_scaffolds, zinc) nor a file; give a CSV, .smi or .sdf path "
                           "or a list of SMILES")
    return path


@dataclass(frozen=True)
class _Source:
    label: str
    key: str  # sha256 of the cache version, the RDKit version and the content
    content_sha256: str  # of the file's bytes (or the joined SMILES): what shipped parts match
    raw: Path | list[str]


def _describe_and_key(source: Source, cache_dir: Path) -> _Source:
    """Description, cache key, content sha256 and the file path or the SMILES list of a source."""
    keyed = hashlib.sha256(f"molvae-metrics-{_CACHE_VERSION}|rdkit-{rdkit.__version__}|".encode())
    content = hashlib.sha256()
    if isinstance(source, (str, Path)):
        path = _source_path(source, cache_dir)
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                keyed.update(block)
                content.update(block)
        label, raw = str(source), path
    else:
        smiles = list(source)
        if not smiles or not all(isinstance(s, str) for s in smiles):
            raise DatasetError("a reference list must hold SMILES strings, and at least one")
        joined = "\n".join(smiles).encode()
        keyed.update(joined)
        content.update(joined)
        label, raw = f"{len(smiles)} SMILES", smiles
    return _Source(label, keyed.hexdigest(), content.hexdigest(), raw)


def _canonical_unique(raw: list[str], label: str,
                      n_jobs: int | None) -> tuple[list[str], np.ndarray]:
    canonical = canonicalize_many(raw, n_jobs=n_jobs)
    n_bad = sum(s is None for s in canonical)
    if n_bad == len(canonical):
        raise DatasetError(f"none of the {len(raw)} molecules of {label} is valid for RDKit")
    if n_bad:
        logger.warning("%s: %d of %d molecules are not valid and are left out", label, n_bad,
                       len(raw))
    return unique_counts(canonical)


# --- the cache -------------------------------------------------------------------------------


class _Store:
    """One folder per reference content: molecules.txt, counts.npy and one file per part."""

    def __init__(self, root: Path, key: str) -> None:
        self.dir = root / "metrics" / f"reference-{key[:24]}"

    def path(self, name: str) -> Path:
        return self.dir / name

    def save_arrays(self, name: str, **arrays: np.ndarray) -> None:
        def write(tmp: str) -> None:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
        atomic_write(self.path(name), write)

    def load_arrays(self, name: str) -> dict[str, np.ndarray] | None:
        path = self.path(name)
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}

    def save_counter(self, name: str, counter: Counter) -> None:
        atomic_write_text(self.path(name), json.dumps(dict(counter)))

    def load_counter(self, name: str) -> Counter | None:
        path = self.path(name)
        return Counter(json.loads(path.read_text())) if path.exists() else None


def _molecules(store: _Store, label: str, raw: Path | list[str], n_jobs: int | None, *,
               recompute: bool = False,
               content_sha256: str | None = None) -> tuple[list[str], np.ndarray]:
    smiles_path, counts = store.path("molecules.txt"), store.load_arrays("counts.npz")
    if smiles_path.exists() and counts is not None and not recompute:
        return smiles_path.read_text().split("\n")[:-1], counts["counts"]
    smiles = read_smiles(raw) if isinstance(raw, Path) else raw
    shipped = None if recompute or content_sha256 is None else read_shipped_canonical(
        content_sha256, len(smiles))
    if shipped is not None:
        logger.info("reference %s: canonical SMILES from the corrections shipped with molvae "
                    "(%d of %d rows differ from the file)", label, len(shipped), len(smiles))
        canonical: list[str | None] = list(smiles)
        for row, value in shipped.items():
            canonical[row] = value or None
        unique, counts_array = unique_counts(canonical)
    else:
        logger.info("reference %s: canonicalizing %d molecules (once; cached in %s)", label,
                    len(smiles), store.dir)
        unique, counts_array = _canonical_unique(smiles, label, n_jobs)
    store.save_arrays("counts.npz", counts=counts_array)
    atomic_write_text(smiles_path, "".join(s + "\n" for s in unique))
    return unique, counts_array


def _load_part(store: _Store, name: str, fcd_name: str) -> object | None:
    if name == "fcd":
        arrays = store.load_arrays(fcd_name)
        return Gaussian(arrays["mu"], arrays["sigma"], arrays["sigma_sqrt"]) if arrays else None
    if name == "fingerprints":
        arrays = store.load_arrays("fingerprints.npz")
        if arrays is None:
            return None
        bits = np.unpackbits(arrays["packed"], axis=1, count=FINGERPRINT_BITS)
        return ReferenceFingerprints(bits, arrays["popcounts"], arrays["bounds"])
    if name in ("fragments", "scaffolds"):
        return store.load_counter(f"{name}.json")
    return store.load_arrays("properties.npz")


def reference_statistics(
    source: Source,
    *,
    components: Sequence[str] = COMPONENTS,
    cache_dir: str | Path | None = None,
    n_jobs: int | None = None,
    device: str = "auto",
    shipped: bool = True,
    recompute: bool = False,
) -> ReferenceStats:
    """Statistics of a reference set: ``'moses:test'``, ``'moses:test_scaffolds'``, ``'zinc'``,
    a CSV / .smi / .sdf path, or a list of SMILES. Computed once per content, then read from
    ``<cache_dir>/metrics/`` (``cache_dir`` defaults to :func:`molvae.data.default_cache_dir`).

    ``shipped``: take the parts the package ships for this exact source file instead of computing
    them. ``recompute``: compute every asked part again (neither the cache nor the shipped parts
    are read) and overwrite the cache.
    """
    unknown = set(components) - set(COMPONENTS)
    if unknown:
        raise ValueError(f"unknown components {sorted(unknown)}; choose from {COMPONENTS}")
    root = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    src = _describe_and_key(source, root)
    label = src.label
    store = _Store(root, src.key)
    smiles, counts = _molecules(store, label, src.raw, n_jobs, recompute=recompute,
                                content_sha256=src.content_sha256 if shipped else None)
    fcd_name = f"fcd-{fcd_version()}.npz" if "fcd" in components else ""
    parts: dict[str, object | None] = {
        name: None if recompute else _load_part(store, name, fcd_name) for name in components}
    missing = [name for name in components if parts[name] is None]
    if shipped and not recompute and any(name in SHIPPED_PARTS for name in missing):
        found = read_shipped(src.content_sha256, [n for n in missing if n in SHIPPED_PARTS])
        if found:
            logger.info("reference %s: %s from the statistics shipped with molvae", label,
                        ", ".join(found))
        for name, value in found.items():  # read from the package each time, not cached
            parts[name] = value
            missing.remove(name)
    rdkit_parts = [name for name in missing if name != "fcd"]
    if rdkit_parts:
        logger.info("reference %s: computing %s for %d molecules (once)", label,
                    ", ".join(rdkit_parts), len(smiles))
        features = compute_features(smiles, counts, wanted=rdkit_parts, n_jobs=n_jobs)
        computed: dict[str, object] = {}
        if "fingerprints" in rdkit_parts:
            computed["fingerprints"] = ReferenceFingerprints.build(features.fingerprints)
        for name in ("fragments", "scaffolds"):
            if name in rdkit_parts:
                computed[name] = getattr(features, name)
        if "properties" in rdkit_parts:
            computed["properties"] = {**features.properties, "weights": features.counts}
        for name, value in computed.items():
            _save_part(store, name, value, fcd_name)
            parts[name] = value
    if "fcd" in missing:
        logger.info("reference %s: ChemNet activations of %d molecules (once)", label, len(smiles))
        gaussian = fit_gaussian(chemnet_activations(smiles, device=device), counts).with_sqrt()
        _save_part(store, "fcd", gaussian, fcd_name)
        parts["fcd"] = gaussian
    properties = parts.get("properties")
    return ReferenceStats(
        source=label,
        n_molecules=int(counts.sum()),
        fcd=parts.get("fcd"),  # type: ignore[arg-type]
        fingerprints=parts.get("fingerprints"),  # type: ignore[arg-type]
        fragments=parts.get("fragments"),  # type: ignore[arg-type]
        scaffolds=parts.get("scaffolds"),  # type: ignore[arg-type]
        properties=({k: v for k, v in properties.items() if k != "weights"}  # type: ignore[union-attr]
                    if properties is not None else None),
        property_weights=properties["weights"] if properties is not None else None,  # type: ignore[index]
    )


def _save_part(store: _Store, name: str, value: object, fcd_name: str) -> None:
    if name == "fcd":
        store.save_arrays(fcd_name, **value.with_sqrt().to_arrays())  # type: ignore[attr-defined]
    elif name == "fingerprints":
        fps: ReferenceFingerprints = value  # type: ignore[assignment]
        store.save_arrays("fingerprints.npz", packed=np.packbits(fps.bits, axis=1),
                          popcounts=fps.popcounts, bounds=fps.bounds)
    elif name in ("fragments", "scaffolds"):
        store.save_counter(f"{name}.json", value)  # type: ignore[arg-type]
    else:
        store.save_arrays("properties.npz", **value)  # type: ignore[arg-type]


# --- statistics shipped with the package -----------------------------------------------------


def _shipped_file(content_sha256: str, directory: Path | None) -> Path | None:
    for path in sorted((directory or SHIPPED_DIR).glob("*.npz")):
        with np.load(path, allow_pickle=False) as data:
            if str(data["source_sha256"]) == content_sha256:
                return path
    return None


def read_shipped(content_sha256: str, parts: Sequence[str] = SHIPPED_PARTS,
                 directory: Path | None = None) -> dict[str, object]:
    """The shipped parts (of ``parts``) computed from a source whose bytes have this sha256;
    empty when none was shipped for it. Parts made with another RDKit release (year.month), or
    FCD made with another ``fcd`` version, are left out (and logged) so that they are recomputed
    with the installed toolkit instead of reused stale."""
    path = _shipped_file(content_sha256, directory)
    if path is None:
        return {}
    with np.load(path, allow_pickle=False) as data:
        if "fcd_mu" not in data.files:  # canonical SMILES only (a training set)
            return {}
        meta = json.loads(str(data["meta"]))
        stale = _stale_parts(meta, parts)
        if stale:
            logger.warning("shipped statistics in %s were made with RDKit %s and fcd %s "
                           "(installed: %s, %s): computing %s instead", path.name,
                           meta.get("rdkit"), meta.get("fcd"), rdkit.__version__,
                           fcd_version(), ", ".join(stale))
        out: dict[str, object] = {}
        for name in (n for n in parts if n not in stale):
            if name == "fcd":
                out[name] = Gaussian(data["fcd_mu"].astype(np.float64),
                                     data["fcd_sigma"].astype(np.float64)).with_sqrt()
            elif name in ("fragments", "scaffolds"):
                keys = data[f"{name}_keys"].tobytes().decode().split("\n")
                out[name] = Counter(dict(zip(keys, data[f"{name}_counts"].tolist())))
            elif name == "properties":
                out[name] = {**{k: data[f"properties_{k}"].astype(np.float64)
                                for k in PROPERTY_NAMES},
                             "weights": data["properties_weights"].astype(np.int64)}
        return out


def read_shipped_canonical(content_sha256: str, n_rows: int,
                           directory: Path | None = None) -> dict[int, str] | None:
    """Where a shipped source's rows differ from their canonical SMILES under the installed
    RDKit release: row -> canonical SMILES ("" for a molecule RDKit cannot read). ``None`` when
    nothing was shipped for this source, it was made with another RDKit release, or it has
    another number of rows."""
    path = _shipped_file(content_sha256, directory)
    if path is None:
        return None
    with np.load(path, allow_pickle=False) as data:
        if "canonical_rows" not in data.files:
            return None
        meta = json.loads(str(data["meta"]))
        if not _same_rdkit_release(meta):
            logger.warning("shipped canonical SMILES in %s were made with RDKit %s (installed: "
                           "%s): canonicalizing instead", path.name, meta.get("rdkit"),
                           rdkit.__version__)
            return None
        if int(meta.get("rows", -1)) != n_rows:
            return None
        rows = data["canonical_rows"].tolist()
        values = data["canonical_smiles"].tobytes().decode().split("\n") if rows else []
    return dict(zip(rows, values))


def _same_rdkit_release(meta: dict) -> bool:
    """Whether a shipped file was made with the installed RDKit release (year.month)."""
    def release(version: object) -> str:
        return ".".join(str(version).split(".")[:2])
    return release(meta.get("rdkit")) == release(rdkit.__version__)


def _stale_parts(meta: dict, parts: Sequence[str]) -> list[str]:
    """The parts a shipped file's toolkit versions do not cover for the installed ones."""
    if not _same_rdkit_release(meta):
        return list(parts)
    return ["fcd"] if "fcd" in parts and meta.get("fcd") != fcd_version() else []
