"""Run configuration: frozen dataclasses, one per YAML section, and single-field overrides.

One module per concept: :mod:`~molvae.config.sections` (the dataclasses),
:mod:`~molvae.config.files` (reading and writing configs, the shipped ones by name) and
:mod:`~molvae.config.overrides` (changing fields by name). The YAML files themselves are in
``configs/`` at the top of the repository (``molvae/configs`` in an installed package).

A config file has three sections, each mapped onto one dataclass, so a misspelt key fails loudly::

    data:   {source: zinc, smiles_column: null, limit: null}
    model:  {tokenizer: smiles, latent_dim: 128, ...}
    train:  {epochs: 10, batch_size: 256, ...}

>>> cfg = load_config("tiny")                       # configs/tiny.yaml (a bare name is a shipped config)
>>> cfg.model.latent_dim
8
>>> with_overrides(cfg, epochs=3, tokenizer="selfies").model.tokenizer
<TokenizerKind.SELFIES: 'selfies'>
"""

from molvae.config.files import (
    config_from_dict,
    config_to_dict,
    load_config,
    run_config_for,
    shipped_configs,
)
from molvae.config.overrides import override_fields, with_overrides
from molvae.config.sections import (
    BEST_METRICS,
    DataConfig,
    KLSchedule,
    LRSchedule,
    ModelConfig,
    Precision,
    RunConfig,
    TokenizerKind,
    TrainConfig,
)

__all__ = [
    "KLSchedule",
    "LRSchedule",
    "Precision",
    "TokenizerKind",
    "DataConfig",
    "ModelConfig",
    "TrainConfig",
    "BEST_METRICS",
    "RunConfig",
    "load_config",
    "run_config_for",
    "config_from_dict",
    "config_to_dict",
    "with_overrides",
    "shipped_configs",
    "override_fields",
]
