"""Writing the reference statistics that ship with molvae (``python -m molvae.metrics.shipped``)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

import numpy as np
import rdkit

from molvae.chemistry import canonicalize_many
from molvae.data import default_cache_dir, read_smiles
from molvae.errors import DatasetError
from molvae.files import atomic_write
from molvae.metrics.fcd import fcd_version
from molvae.metrics.reference import (
    SHIPPED_DIR,
    SHIPPED_PARTS,
    SHIPPED_SOURCES,
    _CANONICAL_ONLY,
    Source,
    _describe_and_key,
    reference_statistics,
)

__all__ = ["write_shipped"]

logger = logging.getLogger("molvae.metrics.reference")


def write_shipped(source: Source, dest: str | Path | None = None, *,
                  cache_dir: str | Path | None = None, n_jobs: int | None = None,
                  device: str = "auto", statistics: bool | None = None) -> Path:
    """Compute (or take from the cache, never from the shipped files) what ships with molvae for
    a named reference and write it where :func:`read_shipped` finds it: the rows whose canonical
    SMILES differ from the file's (when they are at most 5% of the rows: MOSES writes canonical
    SMILES, ZINC250k does not) and, unless ``statistics`` is False (the default for a training
    set, which only novelty reads), the shippable parts. The covariance and the property values
    are stored in float32 (about 1e-7 relative), the rest exactly."""
    import datetime

    from molvae import __version__

    if dest is None and source not in SHIPPED_SOURCES:
        raise DatasetError(f"only {', '.join(SHIPPED_SOURCES)} ship with molvae, not {source!r}; "
                           "give dest to write another reference's statistics")
    if statistics is None:
        statistics = str(source) not in _CANONICAL_ONLY
    root = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    src = _describe_and_key(source, root)
    raw = read_smiles(src.raw) if isinstance(src.raw, Path) else src.raw
    logger.info("%s: canonicalizing %d rows to find those that differ", src.label, len(raw))
    canonical = canonicalize_many(raw, n_jobs=n_jobs)
    rows = [i for i, (r, c) in enumerate(zip(raw, canonical)) if r != c]
    corrections = len(rows) <= 0.05 * len(raw)
    meta = {"source": src.label, "rows": len(raw), "rdkit": rdkit.__version__,
            "molvae": __version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    arrays: dict[str, np.ndarray] = {"source_sha256": np.array(src.content_sha256)}
    if corrections:
        arrays["canonical_rows"] = np.array(rows, np.int64)
        arrays["canonical_smiles"] = np.frombuffer(
            "\n".join(canonical[i] or "" for i in rows).encode(), np.uint8)
    if statistics:
        stats = reference_statistics(source, components=SHIPPED_PARTS, cache_dir=cache_dir,
                                     n_jobs=n_jobs, device=device, shipped=False)
        assert stats.fcd is not None and stats.fragments is not None
        assert stats.scaffolds is not None and stats.properties is not None
        assert stats.property_weights is not None
        meta.update(n_molecules=stats.n_molecules, fcd=fcd_version())
        arrays.update({
            "fcd_mu": stats.fcd.mu.astype(np.float64),
            "fcd_sigma": stats.fcd.sigma.astype(np.float32),
            "properties_weights": stats.property_weights.astype(np.int64)})
        for name in ("fragments", "scaffolds"):
            counter: Counter = getattr(stats, name)
            arrays[f"{name}_keys"] = np.frombuffer("\n".join(counter).encode(), np.uint8)
            arrays[f"{name}_counts"] = np.fromiter(counter.values(), np.int64, len(counter))
        for key, values in stats.properties.items():
            arrays[f"properties_{key}"] = values.astype(np.float32)
    arrays["meta"] = np.array(json.dumps(meta))
    target = Path(dest) if dest is not None else SHIPPED_DIR / SHIPPED_SOURCES[str(source)]

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    atomic_write(target, write)
    target.chmod(0o644)  # package data: readable by everyone
    return target
