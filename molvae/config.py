"""Run configuration: frozen dataclasses, one per YAML section, and single-field overrides.

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

from __future__ import annotations

import dataclasses
import difflib
import enum
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Union

from molvae.errors import ConfigError
from molvae.tokenizers import TokenizerKind

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


class KLSchedule(str, enum.Enum):
    """How the KL weight rises to ``beta``: once (``monotonic``) or in repeated cycles."""

    MONOTONIC = "monotonic"
    CYCLICAL = "cyclical"


class LRSchedule(str, enum.Enum):
    """Learning rate after warm-up: ``constant`` or ``cosine`` decay to ``min_lr_ratio * lr``."""

    CONSTANT = "constant"
    COSINE = "cosine"


class Precision(str, enum.Enum):
    """Matrix-multiply precision: ``bf16`` (fp32 master weights and GRU state), ``fp32``, or
    ``auto`` (bf16 on a CUDA GPU that supports it and on CPUs with AVX-512 BF16/AMX, else fp32)."""

    AUTO = "auto"
    FP32 = "fp32"
    BF16 = "bf16"


@dataclass(frozen=True)
class DataConfig:
    """Where the molecules come from. The property columns loaded are the model's
    ``property_head`` and ``conditions`` (one source of truth: the model config)."""

    source: str = "zinc"  # "zinc", "moses", or a path to a CSV / .smi / .sdf file
    smiles_column: str | None = None  # CSV column with the SMILES (default: SMILES or smiles)
    limit: int | None = None  # read only the first N rows


@dataclass(frozen=True)
class ModelConfig:
    """Sizes and switches of the GRU VAE (the encoder is always bidirectional)."""

    tokenizer: TokenizerKind = TokenizerKind.SMILES
    max_length: int = 120  # tokens, counting start and end; longer molecules are rejected
    embedding_dim: int = 64
    encoder_hidden: int = 256  # per direction
    encoder_layers: int = 1
    latent_dim: int = 128
    decoder_hidden: int = 512
    decoder_layers: int = 3
    dropout: float = 0.0  # between stacked GRU layers
    word_dropout: float = 0.1  # teacher-forcing inputs replaced by <unk> with this probability
    property_head: tuple[str, ...] = ("logp", "qed", "sa")  # MLP on mu, trained jointly; () = off
    property_hidden: int = 128
    conditions: tuple[str, ...] = ()  # CVAE: standardized properties fed beside z

    def __post_init__(self) -> None:
        positive = ("max_length", "embedding_dim", "encoder_hidden", "encoder_layers", "latent_dim",
                    "decoder_hidden", "decoder_layers", "property_hidden")
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"model.{name} must be at least 1, got {getattr(self, name)}")
        if self.max_length < 3:
            raise ConfigError(f"model.max_length must be at least 3 (start, a token, end), "
                              f"got {self.max_length}")
        for name in ("dropout", "word_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"model.{name} must be in [0, 1), got {getattr(self, name)}")
        for name in ("property_head", "conditions"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ConfigError(f"model.{name} lists a property twice: {list(values)}")


BEST_METRICS: dict[str, tuple[str, str | None]] = {
    "recon_accuracy": ("max", "eval_reconstruct"),  # greedy exact reconstruction, held out
    "val_loss": ("min", None),  # teacher-forced loss with the KL at the target beta
    "val_reconstruction": ("min", None),  # its reconstruction term alone
    "validity": ("max", "eval_samples"),  # of prior samples
    "uniqueness": ("max", "eval_samples"),  # of valid prior samples
}
"""Validation metrics that can choose the ``best`` checkpoint: which way is better, and the
``train`` field that must be positive for it to be measured (None: always measured; the others
are RDKit's, measured only when it is installed)."""


@dataclass(frozen=True)
class TrainConfig:
    """Optimization, schedules, evaluation and output. ``batch_size`` is per process (DDP)."""

    epochs: int = 10
    batch_size: int = 256
    max_steps: int | None = None  # stop after this many optimizer steps (overrides epochs)
    lr: float = 1e-3
    lr_schedule: LRSchedule = LRSchedule.COSINE
    lr_warmup_steps: int = 500
    min_lr_ratio: float = 0.05
    weight_decay: float = 0.01
    grad_clip: float = 10.0  # max global gradient norm; 0 disables clipping
    kl_schedule: KLSchedule = KLSchedule.MONOTONIC
    beta: float = 1.0  # target KL weight
    kl_warmup_steps: int = 5000  # monotonic: steps from 0 to beta
    kl_cycle_steps: int = 5000  # cyclical: length of one cycle
    kl_cycle_ratio: float = 0.5  # cyclical: fraction of a cycle spent rising
    free_bits: float = 0.0  # nats per latent dimension below which KL is not penalized
    property_weight: float = 1.0
    valid_fraction: float = 0.05
    test_fraction: float = 0.05
    seed: int = 0
    device: str = "auto"  # "auto" (cuda when available), "cpu", "cuda", "cuda:1", ...
    precision: Precision = Precision.AUTO
    bucket_chunk: int = 64  # batches per length-sorting chunk (1 = no bucketing)
    cuda_graphs: bool = True  # on a GPU, replay each batch shape's step as a CUDA graph
    eval_samples: int = 1000  # prior samples for validity / uniqueness each epoch
    eval_reconstruct: int = 1000  # held-out molecules greedily reconstructed each epoch
    out: str = "runs/molvae"
    log_every: int = 50  # optimizer steps between train rows of metrics.csv
    checkpoint_every: int | None = None  # also write `last` every N steps (long epochs)
    # the validation metric that picks `best` (BEST_METRICS); "auto": recon_accuracy when it is
    # measured (eval_reconstruct > 0, RDKit installed), else val_loss
    best_metric: str = "auto"
    # fine-tuning: start from this checkpoint's weights, tokenizer and property statistics (a run
    # folder's checkpoint or a pretrained name such as "zinc") with a fresh optimizer and
    # schedules; the model section must match the checkpoint's
    init_from: str | None = None

    def __post_init__(self) -> None:
        if self.init_from is not None and not str(self.init_from).strip():
            raise ConfigError("train.init_from is empty; give a checkpoint folder or a pretrained "
                              "name such as zinc, or leave it out")
        for name in ("epochs", "batch_size", "log_every", "bucket_chunk"):
            if getattr(self, name) < 1:
                raise ConfigError(f"train.{name} must be at least 1, got {getattr(self, name)}")
        for name in ("max_steps", "checkpoint_every"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"train.{name} must be at least 1 (or null), got {value}")
        for name in ("lr", "kl_cycle_steps"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"train.{name} must be positive, got {getattr(self, name)}")
        for name in ("weight_decay", "grad_clip", "beta", "free_bits", "property_weight",
                     "lr_warmup_steps", "kl_warmup_steps", "eval_samples", "eval_reconstruct"):
            if getattr(self, name) < 0:
                raise ConfigError(f"train.{name} must not be negative, got {getattr(self, name)}")
        if not 0 < self.kl_cycle_ratio <= 1:
            raise ConfigError(f"train.kl_cycle_ratio must be in (0, 1], got {self.kl_cycle_ratio}")
        if not 0 <= self.min_lr_ratio <= 1:
            raise ConfigError(f"train.min_lr_ratio must be in [0, 1], got {self.min_lr_ratio}")
        if self.best_metric != "auto" and self.best_metric not in BEST_METRICS:
            raise ConfigError(f"train.best_metric {self.best_metric!r} is not a validation metric "
                              f"that can pick the best checkpoint; use auto or one of "
                              f"{', '.join(BEST_METRICS)}")
        needs = BEST_METRICS[self.best_metric][1] if self.best_metric != "auto" else None
        if needs and not getattr(self, needs):
            raise ConfigError(f"train.best_metric {self.best_metric} is measured only when "
                              f"train.{needs} > 0; raise {needs} or pick best_metric: val_loss")
        fractions = (self.valid_fraction, self.test_fraction)
        if not (all(0 <= f < 1 for f in fractions) and sum(fractions) < 1):
            raise ConfigError(f"train.valid_fraction ({self.valid_fraction}) and test_fraction "
                              f"({self.test_fraction}) must be in [0, 1) and sum to less than 1")


@dataclass(frozen=True)
class RunConfig:
    """Everything a training run needs: ``data``, ``model`` and ``train`` sections."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


_SECTIONS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}


# ----------------------------------------------------------------------------- loading


def shipped_configs() -> dict[str, Path]:
    """The configs shipped with molvae, by name (``zinc``, ``moses``, ``tiny``, ...)."""
    found: dict[str, Path] = {}
    for folder in _config_dirs():
        for path in sorted(folder.glob("*.yaml")):
            found.setdefault(path.stem, path)
    return found


def _config_dirs() -> list[Path]:
    package = Path(__file__).resolve().parent
    # an installed wheel carries them in molvae/configs; a source checkout has them in configs/
    return [d for d in (package / "configs", package.parent / "configs") if d.is_dir()]


def _resolve_path(path: str | os.PathLike[str]) -> Path:
    candidate = Path(path).expanduser()
    if candidate.exists():
        return candidate
    text = str(path)
    if candidate.suffix == "" and os.sep not in text and "/" not in text:
        shipped = shipped_configs()
        if text in shipped:
            return shipped[text]
        hint = _closest(text, shipped)
        raise ConfigError(f"no config file {text!r} and no shipped config of that name{hint}; "
                          f"shipped configs: {', '.join(sorted(shipped)) or 'none found'}")
    raise ConfigError(f"config file {text!r} does not exist")


def load_config(path: str | os.PathLike[str]) -> RunConfig:
    """Read a YAML config (a path, or the name of a shipped config such as ``"zinc"``).

    Missing sections and keys take their defaults; an unknown section or key raises
    :class:`ConfigError` naming it, its section, and the valid keys.
    """
    import yaml

    resolved = _resolve_path(path)
    try:
        data = yaml.safe_load(resolved.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {str(resolved)!r} is not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"config file {str(resolved)!r} must hold a mapping with sections "
                          f"{', '.join(_SECTIONS)}, not a {type(data).__name__}")
    return config_from_dict(data, origin=str(resolved))


def config_from_dict(data: Mapping[str, Any], *, origin: str = "config") -> RunConfig:
    """Build a :class:`RunConfig` from ``{"data": {...}, "model": {...}, "train": {...}}``."""
    unknown = [key for key in data if key not in _SECTIONS]
    if unknown:
        key = unknown[0]
        raise ConfigError(f"unknown section {key!r} in {origin}{_closest(str(key), _SECTIONS)}; "
                          f"valid sections: {', '.join(_SECTIONS)}")
    sections = {}
    for name, cls in _SECTIONS.items():
        values = data.get(name) or {}
        if not isinstance(values, Mapping):
            raise ConfigError(f"section {name!r} of {origin} must be a mapping of keys to values")
        sections[name] = _build_section(name, cls, values, origin=origin)
    return RunConfig(**sections)


def _build_section(section: str, cls: type, values: Mapping[str, Any], *, origin: str) -> Any:
    valid = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in valid:
            raise ConfigError(f"unknown key {key!r} in section {section!r} of {origin}"
                              f"{_closest(str(key), valid)}; valid keys: {', '.join(valid)}")
        kwargs[key] = _coerce(value, _field_types(cls)[key], f"{section}.{key}")
    return cls(**kwargs)


def config_to_dict(config: Any) -> dict[str, Any]:
    """Plain JSON/YAML-able dict of a config dataclass (enums as their values, tuples as lists)."""

    def plain(value: Any) -> Any:
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
        return value

    return plain(config)


def run_config_for(source: str, *, config: str | os.PathLike[str] | None = None,
                   **overrides: Any) -> RunConfig:
    """The run config of ``molvae train SOURCE [--config FILE] [--field value ...]``.

    Without ``config``: the shipped config named like the dataset (``zinc``, ``moses``) if there is
    one, else ``zinc`` (the default sizes). ``data.source`` is set to ``source``; ``overrides``
    are single fields as in :func:`with_overrides`.

    >>> run_config_for("my.csv", smiles_column="smi", epochs=3).data.source
    'my.csv'
    """
    if config is None:
        shipped = shipped_configs()
        name = str(source).split(":", 1)[0]
        config = name if name in shipped and name in ("zinc", "moses") else "zinc"
    return with_overrides(load_config(config), **{"source": str(source), **overrides})


# ----------------------------------------------------------------------------- overrides


def override_fields() -> dict[str, str]:
    """Every field that :func:`with_overrides` accepts, mapped to its section."""
    return {f.name: section for section, cls in _SECTIONS.items() for f in fields(cls)}


def with_overrides(config: RunConfig, **overrides: Any) -> RunConfig:
    """A copy of ``config`` with single fields replaced, e.g. ``epochs=3, tokenizer="selfies"``.

    Field names are unique across sections; ``"train.epochs"``-style keys work too (pass them
    with ``**{...}``). Values are coerced to the field's type (strings such as ``"3"``, ``"true"``,
    ``"logp,qed"`` are accepted, as a CLI gives them); ``None`` values are ignored.
    """
    owner = override_fields()
    changes: dict[str, dict[str, Any]] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        section, _, name = key.rpartition(".")
        if not section:
            if name not in owner:
                raise ConfigError(f"unknown config field {name!r}{_closest(name, owner)}; "
                                  f"valid fields: {', '.join(owner)}")
            section = owner[name]
        elif section not in _SECTIONS:
            raise ConfigError(f"unknown section {section!r} in override {key!r}"
                              f"{_closest(section, _SECTIONS)}; valid sections: {', '.join(_SECTIONS)}")
        cls = _SECTIONS[section]
        types_ = _field_types(cls)
        if name not in types_:
            raise ConfigError(f"unknown key {name!r} in section {section!r}{_closest(name, types_)}; "
                              f"valid keys: {', '.join(types_)}")
        changes.setdefault(section, {})[name] = _coerce(value, types_[name], f"{section}.{name}")
    return RunConfig(**{
        section: dataclasses.replace(getattr(config, section), **changes.get(section, {}))
        for section in _SECTIONS
    })


# ----------------------------------------------------------------------------- coercion


@typing.no_type_check
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """``value`` as ``annotation`` (int, float, bool, str, enum, tuple[str, ...], X | None)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null")):
            return None
        return _coerce(value, inner[0], where)
    if origin is tuple:
        if isinstance(value, str):
            items = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, (list, tuple)):
            items = list(value)
        elif value is None:
            items = []
        else:
            raise ConfigError(f"{where} must be a list, got {value!r}")
        return tuple(_coerce(v, args[0], where) for v in items)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        text = value.value if isinstance(value, enum.Enum) else str(value).strip().lower()
        try:
            return annotation(text)
        except ValueError:
            valid = [m.value for m in annotation]
            raise ConfigError(f"{where} must be one of {', '.join(valid)}, got {value!r}"
                              f"{_closest(str(text), valid)}") from None
    if annotation is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    if annotation is int:
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).strip().replace("_", ""))
        except ValueError:
            raise ConfigError(f"{where} must be an integer, got {value!r}") from None
    if annotation is float:
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a number, got {value!r}") from None
    if annotation is str:
        if isinstance(value, (str, int, float, os.PathLike)) and not isinstance(value, bool):
            return str(value) if not isinstance(value, os.PathLike) else os.fspath(value)
        raise ConfigError(f"{where} must be a string, got {value!r}")
    return value  # pragma: no cover - every field type is handled above


def _closest(word: str, options: Any) -> str:
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
