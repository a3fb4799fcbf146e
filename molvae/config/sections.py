"""The run configuration's sections: frozen dataclasses, one per YAML section (``data``,
``model``, ``train``), each checking its own values when it is made."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from molvae.errors import ConfigError
from molvae.tokenizers import TokenizerKind

__all__ = ["KLSchedule", "LRSchedule", "Precision", "TokenizerKind", "DataConfig", "ModelConfig",
           "TrainConfig", "BEST_METRICS", "RunConfig"]

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
