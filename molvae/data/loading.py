"""Loading a dataset: every row canonicalized once, with its properties, or written to the
rejects file with its row number and why; cached on disk by the sha256 of the input's bytes."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from molvae.data.locations import DATASET_NAMES, default_cache_dir, moses_path, zinc250k_path
from molvae.data.reading import read_smiles
from molvae.errors import DatasetError
from molvae.files import atomic_write

__all__ = ["Dataset", "dataset_path", "load_dataset"]

logger = logging.getLogger("molvae.data")

DEFAULT_PROPERTIES: tuple[str, ...] = ("logp", "qed", "sa")
_CACHE_VERSION = "1"  # bump when the cached layout or canonicalization changes


@dataclass(frozen=True)
class Dataset:
    """A loaded dataset: valid molecules only, everything else counted and written to rejects."""

    name: str
    frame: pd.DataFrame  # column "smiles" (canonical) + one float column per property
    fingerprint: str  # sha256 of the input bytes (the cache key, recorded in checkpoints)
    n_input: int
    n_rejected: int
    rejects_path: Path | None
    source_path: Path | None = None
    reject_examples: tuple[tuple[int, str, str], ...] = field(default=())

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def smiles(self) -> list[str]:
        return self.frame["smiles"].tolist()


def _content_fingerprint(path: Path, *, smiles_column: str | None, limit: int | None) -> str:
    digest = hashlib.sha256()
    digest.update(f"molvae-data-{_CACHE_VERSION}|{smiles_column}|{limit}|".encode())
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Cache:
    """One folder per input content: canonical SMILES (None for rejects) and one .npy per property."""

    def __init__(self, root: Path, key: str) -> None:
        self.dir = root / "datasets" / key[:32]

    @property
    def canonical_path(self) -> Path:
        return self.dir / "canonical.txt"

    @property
    def rejects_path(self) -> Path:
        return self.dir / "rejects.csv"

    def load_canonical(self) -> list[str | None] | None:
        if not self.canonical_path.exists():
            return None
        with open(self.canonical_path) as fh:
            return [line or None for line in fh.read().split("\n")[:-1]]

    def save_canonical(self, canonical: Sequence[str | None]) -> None:
        text = "".join((s or "") + "\n" for s in canonical)
        atomic_write(self.canonical_path, lambda tmp: Path(tmp).write_text(text))

    def load_property(self, name: str) -> np.ndarray | None:
        path = self.dir / f"{name}.npy"
        return np.load(path, allow_pickle=False) if path.exists() else None

    def save_property(self, name: str, values: np.ndarray) -> None:
        def write(tmp: str) -> None:
            with open(tmp, "wb") as fh:
                np.save(fh, np.asarray(values, dtype=np.float64), allow_pickle=False)
        atomic_write(self.dir / f"{name}.npy", write)


def dataset_path(source: str | Path, *, data_dir: str | Path | None = None,
                 cache_dir: str | Path | None = None, download: bool = True) -> Path:
    """The file behind a dataset name (``zinc``, ``moses``, ``moses:test``, ...) or path.

    With :func:`read_smiles` it gives the raw rows without canonicalizing them all, e.g. to
    sample a few thousand molecules of a large set.
    """
    cache_root = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    return _resolve(source, data_dir, cache_root, download)[1]


def _resolve(source: str | Path, data_dir: str | Path | None, cache_dir: Path,
             download: bool) -> tuple[str, Path]:
    text = str(source)
    if text == "zinc" or text == "zinc250k":
        return "zinc", zinc250k_path()
    if text == "moses" or text.startswith("moses:"):
        split = text.split(":", 1)[1] if ":" in text else "train"
        return text, moses_path(split, data_dir=data_dir, cache_dir=cache_dir, download=download)
    path = Path(text).expanduser()
    if not path.exists() and not any(sep in text for sep in ("/", "\\", ".")):
        raise DatasetError(f"unknown dataset {text!r}; use one of {', '.join(DATASET_NAMES)} "
                           "or a path to a CSV, .smi or .sdf file")
    return path.name, path


def load_dataset(source: str | Path, *, properties: Sequence[str] = DEFAULT_PROPERTIES,
                 smiles_column: str | None = None, data_dir: str | Path | None = None,
                 cache_dir: str | Path | None = None, n_jobs: int | None = None,
                 limit: int | None = None, download: bool = True,
                 use_cache: bool = True) -> Dataset:
    """Load a dataset by name (``zinc``, ``moses``, ``moses:test``, ``moses:test_scaffolds``) or path.

    Returns canonical SMILES and the requested property columns (names from
    :func:`molvae.chemistry.list_properties`). Rows RDKit cannot parse are counted, logged with
    examples and written to ``rejects.csv`` in the cache folder (``Dataset.rejects_path``).
    """
    from molvae.chemistry import canonicalize_and_compute, compute_properties, get_property

    properties = list(dict.fromkeys(properties))
    for name in properties:
        get_property(name)  # unknown names fail before any work is done
    cache_root = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    name, path = _resolve(source, data_dir, cache_root, download)
    raw = read_smiles(path, smiles_column=smiles_column, limit=limit)
    key = _content_fingerprint(path, smiles_column=smiles_column, limit=limit)
    cache = _Cache(cache_root, key)

    canonical = cache.load_canonical() if use_cache else None
    if canonical is not None and len(canonical) != len(raw):
        canonical = None  # a stale or foreign cache entry: recompute
    columns: dict[str, np.ndarray] = {}
    if canonical is None:
        logger.info("canonicalizing %d molecules of %s and computing %s", len(raw), name,
                    ", ".join(properties) or "no properties")
        canonical, table = canonicalize_and_compute(raw, properties, n_jobs=n_jobs)
        columns = {p: table[p].to_numpy(dtype=np.float64) for p in properties}
        if use_cache:
            cache.save_canonical(canonical)
            for p, values in columns.items():
                cache.save_property(p, values)
    else:
        for p in properties:
            values = cache.load_property(p) if use_cache else None
            if values is None or len(values) != len(raw):
                missing_idx = [i for i, s in enumerate(canonical) if s is not None]
                values = np.full(len(raw), np.nan)
                if missing_idx:
                    # from the rows as written, like the first load: `cycle` depends on atom order
                    table = compute_properties([raw[i] for i in missing_idx], [p], n_jobs=n_jobs)
                    values[missing_idx] = table[p].to_numpy(dtype=np.float64)
                if use_cache:
                    cache.save_property(p, values)
            columns[p] = values

    valid = np.array([s is not None for s in canonical], dtype=bool)
    rejects = [(i, raw[i]) for i in np.flatnonzero(~valid)]
    if valid.sum() == 0:
        example = raw[0][:60] if raw else ""
        raise DatasetError(f"none of the {len(raw):,} rows of {path.name!r} is a molecule RDKit can "
                           f"read (row 1: {example!r}); is this a SMILES file, and is the SMILES "
                           "column the right one (--smiles-column)?")
    rejects_path = _write_rejects(cache, rejects, raw_path=path) if rejects else None
    if rejects:
        shown = "; ".join(f"row {i + 1}: {s[:40]!r}" for i, s in rejects[:3])
        logger.warning("%s: skipped %d of %d rows that are not valid molecules (%s); all listed in %s",
                       name, len(rejects), len(raw), shown, rejects_path)
    frame = pd.DataFrame({"smiles": [s for s in canonical if s is not None]})
    for p, values in columns.items():
        frame[p] = values[valid]
    return Dataset(
        name=name, frame=frame, fingerprint=key, n_input=len(raw), n_rejected=len(rejects),
        rejects_path=rejects_path, source_path=path,
        reject_examples=tuple((i + 1, s, "not a valid molecule") for i, s in rejects[:5]),
    )


def _write_rejects(cache: _Cache, rejects: list[tuple[int, str]], *, raw_path: Path) -> Path:
    frame = pd.DataFrame({
        "row": [i + 1 for i, _ in rejects],
        "input": [s for _, s in rejects],
        "reason": ["empty" if not s else "RDKit cannot parse this SMILES" for _, s in rejects],
        "file": str(raw_path),
    })
    atomic_write(cache.rejects_path, lambda tmp: frame.to_csv(tmp, index=False))
    return cache.rejects_path
