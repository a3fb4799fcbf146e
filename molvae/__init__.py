"""molvae: molecule generation with a SMILES/SELFIES GRU VAE and latent-space optimization."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

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

# The notebook API: every name a user handles, imported on first use so that `import molvae`
# (and so every `molvae` command) stays light: 0.1 s instead of 3 s with torch and RDKit loaded.
# Type checkers and editors see them through the imports below.
_LAZY = {
    "MolVAE": "molvae.vae",
    "train": "molvae.training",
    "RunConfig": "molvae.config",
    "load_config": "molvae.config",
    "with_overrides": "molvae.config",
    "run_config_for": "molvae.config",
    "load_dataset": "molvae.data",
    "optimize": "molvae.optimizer",
    "optimize_with_oracle": "molvae.optimizer",
    "run": "molvae.optimizer",
    "Search": "molvae.optimizer",
    "Loop": "molvae.optimizer",
    "Ascent": "molvae.optimizer",
    "Surrogate": "molvae.optimizer",
    "Report": "molvae.optimizer",
    "Constraints": "molvae.optimizer",
    "OptimizeResult": "molvae.optimizer",
    "presets": "molvae.optimizer",
    "Objective": "molvae.objectives",
    "Oracle": "molvae.oracle",
    "LatentPredictor": "molvae.predictor",
    "fit_predictor": "molvae.predictor",
    "evaluate": "molvae.metrics",
    "compute_properties": "molvae.chemistry",
    "list_properties": "molvae.chemistry",
}

if TYPE_CHECKING:
    from molvae.chemistry import compute_properties, list_properties
    from molvae.config import RunConfig, load_config, run_config_for, with_overrides
    from molvae.data import load_dataset
    from molvae.metrics import evaluate
    from molvae.objectives import Objective
    from molvae.oracle import Oracle
    from molvae.optimizer import (
        Ascent,
        Constraints,
        Loop,
        OptimizeResult,
        Report,
        Search,
        Surrogate,
        optimize,
        optimize_with_oracle,
        presets,
        run,
    )
    from molvae.predictor import LatentPredictor, fit_predictor
    from molvae.training import train
    from molvae.vae import MolVAE


#: submodules reachable as attributes (``mv.plots.latent_map``), also imported on first use
_SUBMODULES = ("plots", "latent", "likelihood", "metrics", "chemistry", "data", "predictor",
               "optimizer")


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
