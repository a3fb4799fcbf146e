"""molvae: molecule generation with a SMILES/SELFIES GRU VAE and latent-space optimization."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from molvae.errors import (
    CheckpointError,
    ConfigError,
    DatasetError,
    InvalidMoleculeError,
    MolvaeError,
    TokenizationError,
    UnknownPropertyError,
)

try:
    __version__ = version("molvae")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__",
    "MolvaeError",
    "InvalidMoleculeError",
    "TokenizationError",
    "DatasetError",
    "UnknownPropertyError",
    "ConfigError",
    "CheckpointError",
]
