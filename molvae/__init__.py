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

# The notebook API (GUIDE §3), imported on first use so that `import molvae` stays light.
_LAZY = {
    "MolVAE": "molvae.vae",
    "train": "molvae.training",
    "load_config": "molvae.config",
    "with_overrides": "molvae.config",
    "run_config_for": "molvae.config",
    "load_dataset": "molvae.data",
    "optimize": "molvae.optimize",
    "optimize_with_oracle": "molvae.optimize",
    "fit_predictor": "molvae.predictor",
    "evaluate": "molvae.metrics",
    "compute_properties": "molvae.chemistry",
    "list_properties": "molvae.chemistry",
}


#: submodules reachable as attributes (``mv.plots.latent_map``), also imported on first use
_SUBMODULES = ("plots", "latent", "scoring", "metrics", "chemistry", "data", "predictor")


def __getattr__(name: str):  # PEP 562: lazy attributes
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"molvae.{name}")
    raise AttributeError(f"module 'molvae' has no attribute {name!r}")


__all__ = [
    "__version__",
    *_LAZY,
    "MolvaeError",
    "InvalidMoleculeError",
    "TokenizationError",
    "DatasetError",
    "UnknownPropertyError",
    "ConfigError",
    "CheckpointError",
    *_SUBMODULES,
]
