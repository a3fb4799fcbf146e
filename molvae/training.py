"""Training: ``train(run_config)`` reads straight down — data, split, tokenizer, model, epochs.

>>> from molvae.config import load_config, with_overrides
>>> result = train(with_overrides(load_config("tiny"), out="runs/tiny"))   # doctest: +SKIP
>>> result.metrics["recon_accuracy"], result.best_path                      # doctest: +SKIP

Every epoch is validated (teacher-forced loss and KL, active latent units, property R², greedy
reconstruction accuracy on held-out molecules, validity and uniqueness of prior samples); rows go
to ``metrics.csv`` (and TensorBoard when installed); checkpoints ``last`` (resumable) and ``best``
(lowest validation loss) are written atomically. ``resume=True`` continues exactly where ``last``
stopped; Ctrl-C writes ``last`` first; a NaN or infinite loss stops with a
:class:`~molvae.errors.MolvaeError` and leaves the checkpoints untouched.

Launched by ``torchrun`` (``WORLD_SIZE`` > 1) it trains with DistributedDataParallel: each
process takes every ``WORLD_SIZE``-th length-bucketed batch, only rank 0 writes.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import logging
import math
import os
import random
import signal
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from molvae.checkpoint import load_checkpoint, load_trainer_state, save_checkpoint
from molvae.config import (
    KLSchedule,
    LRSchedule,
    ModelConfig,
    RunConfig,
    TrainConfig,
    config_to_dict,
)
from molvae.errors import CheckpointError, ConfigError, DatasetError, MolvaeError
from molvae.model import VAE, autocast, resolve_device, resolve_precision, vae_loss
from molvae.tokenizers import Tokenizer, load_tokenizer, make_tokenizer
from molvae.training_set import TRAINING_SET_FILE, TrainingSet

__all__ = [
    "TrainResult",
    "train",
    "kl_weight",
    "kl_weight_monotonic",
    "kl_weight_cyclical",
    "lr_at",
    "length_bucketed_batches",
]

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.csv"


# ----------------------------------------------------------------------------- schedules


def kl_weight_monotonic(step: int, *, warmup_steps: int, beta: float) -> float:
    """KL weight rising linearly from 0 at step 0 to ``beta`` at ``warmup_steps``, then flat.

    >>> [kl_weight_monotonic(s, warmup_steps=4, beta=0.5) for s in (0, 2, 4, 9)]
    [0.0, 0.25, 0.5, 0.5]
    """
    if warmup_steps <= 0:
        return beta
    return beta * min(1.0, step / warmup_steps)


def kl_weight_cyclical(step: int, *, cycle_steps: int, ratio: float, beta: float) -> float:
    """Cyclical annealing (Fu et al., 2019): in each cycle of ``cycle_steps`` the weight rises
    linearly from 0 to ``beta`` over the first ``ratio`` of the cycle, then stays at ``beta``.

    >>> [kl_weight_cyclical(s, cycle_steps=4, ratio=0.5, beta=1.0) for s in range(6)]
    [0.0, 0.5, 1.0, 1.0, 0.0, 0.5]
    """
    position = (step % cycle_steps) / cycle_steps
    return beta * min(1.0, position / ratio)


def kl_weight(step: int, config: TrainConfig) -> float:
    """The KL weight at ``step`` under ``config``'s schedule."""
    if config.kl_schedule is KLSchedule.CYCLICAL:
        return kl_weight_cyclical(step, cycle_steps=config.kl_cycle_steps,
                                  ratio=config.kl_cycle_ratio, beta=config.beta)
    return kl_weight_monotonic(step, warmup_steps=config.kl_warmup_steps, beta=config.beta)


def lr_at(step: int, *, base_lr: float, warmup_steps: int, total_steps: int,
          schedule: LRSchedule | str = LRSchedule.COSINE, min_lr_ratio: float = 0.0) -> float:
    """Learning rate at ``step``: linear warm-up over ``warmup_steps``, then constant or a cosine
    decay reaching ``min_lr_ratio * base_lr`` at ``total_steps``.

    >>> lr_at(0, base_lr=1.0, warmup_steps=10, total_steps=100)
    0.1
    >>> lr_at(100, base_lr=1.0, warmup_steps=10, total_steps=100, min_lr_ratio=0.1)
    0.1
    """
    if warmup_steps > 0 and step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if LRSchedule(schedule) is LRSchedule.CONSTANT or total_steps <= warmup_steps:
        return base_lr
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return base_lr * (min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress)))


# ----------------------------------------------------------------------------- batching


def length_bucketed_batches(lengths: np.ndarray, *, batch_size: int, chunk_batches: int,
                            seed: int, epoch: int) -> list[np.ndarray]:
    """An epoch's batches of row indices: shuffle, sort by length within chunks of
    ``chunk_batches`` batches (little padding), cut into batches, shuffle the batch order.

    The same ``(seed, epoch)`` always gives the same batches, so a resumed run replays them.
    """
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    chunk = batch_size * chunk_batches
    batches: list[np.ndarray] = []
    for start in range(0, len(order), chunk):
        part = order[start:start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i:i + batch_size] for i in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


@dataclass(frozen=True)
class _Encoded:
    """A split as tensors: padded ids, lengths, standardized property targets and conditions."""

    smiles: list[str]
    ids: Tensor  # (N, L) int16, <pad> padded
    lengths: Tensor  # (N,) int64, counting start and end
    properties: Tensor | None  # (N, P) float32, NaN where unknown
    conditions: Tensor | None  # (N, C) float32, NaN filled with 0 (the mean)

    def __len__(self) -> int:
        return len(self.smiles)

    def batch(self, index: np.ndarray, device: torch.device) -> tuple[Tensor, ...]:
        idx = torch.as_tensor(index)
        lengths = self.lengths[idx]
        width = int(lengths.max())
        ids = self.ids[idx, :width].long()
        props = self.properties[idx] if self.properties is not None else None
        conds = self.conditions[idx] if self.conditions is not None else None
        if device.type == "cuda":  # page-locked copies let the transfer overlap the GPU's work
            move = lambda t: t.pin_memory().to(device, non_blocking=True)  # noqa: E731
        elif device.type != "cpu":
            move = lambda t: t.to(device)  # noqa: E731
        else:
            move = lambda t: t  # noqa: E731
        return (move(ids), lengths, None if props is None else move(props),
                None if conds is None else move(conds))


def _encode_split(name: str, frame: pd.DataFrame, tokenizer: Tokenizer, config: ModelConfig,
                  property_stats: dict[str, tuple[float, float]],
                  condition_stats: dict[str, tuple[float, float]]) -> tuple[_Encoded, pd.DataFrame]:
    smiles = frame["smiles"].tolist()
    encoded = tokenizer.encode_batch(smiles, max_length=config.max_length)
    rejects = pd.DataFrame({"split": name, "index": [r.index for r in encoded.rejects],
                            "smiles": [r.smiles for r in encoded.rejects],
                            "reason": [r.reason for r in encoded.rejects]})
    kept = frame.iloc[encoded.indices]

    def standardized(names: Sequence[str], stats: dict[str, tuple[float, float]]) -> Tensor | None:
        if not names:
            return None
        cols = [(kept[n].to_numpy(dtype=np.float64) - stats[n][0]) / stats[n][1] for n in names]
        return torch.as_tensor(np.stack(cols, axis=1), dtype=torch.float32)

    conditions = standardized(config.conditions, condition_stats)
    return _Encoded(
        smiles=kept["smiles"].tolist(),
        ids=encoded.ids.to(torch.int16),
        lengths=encoded.lengths,
        properties=standardized(config.property_head, property_stats),
        conditions=None if conditions is None else torch.nan_to_num(conditions, nan=0.0),
    ), rejects


def _stats(frame: pd.DataFrame, names: Sequence[str]) -> dict[str, tuple[float, float]]:
    out = {}
    for name in names:
        values = frame[name].to_numpy(dtype=np.float64)
        mean, std = float(np.nanmean(values)), float(np.nanstd(values))
        out[name] = (mean, std if std > 1e-8 else 1.0)
    return out


# ----------------------------------------------------------------------------- distributed


@dataclass(frozen=True)
class _Dist:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> _Dist:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        return cls(rank=int(os.environ.get("RANK", "0")), world_size=world,
                   local_rank=int(os.environ.get("LOCAL_RANK", "0")))

    def barrier(self) -> None:
        if self.enabled:
            torch.distributed.barrier()

    def any(self, flag: bool, device: torch.device) -> bool:
        """Whether ``flag`` is set on any process."""
        if not self.enabled:
            return flag
        value = torch.tensor([1.0 if flag else 0.0], device=device)
        torch.distributed.all_reduce(value, op=torch.distributed.ReduceOp.MAX)
        return bool(value.item() > 0)


def _init_distributed(dist: _Dist, device: torch.device) -> None:
    if dist.enabled and not torch.distributed.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        torch.distributed.init_process_group(backend=backend)
        logger.info("DDP: rank %d of %d (%s)", dist.rank, dist.world_size, backend)


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` leaves behind."""

    out_dir: Path
    last_path: Path
    best_path: Path
    epochs_completed: int
    steps: int
    metrics: dict[str, float]  # validation metrics of the best epoch (+ test_* at the end)
    history: pd.DataFrame  # the epoch rows of metrics.csv

    def load_best(self, **kwargs: Any):  # noqa: ANN201 - MolVAE, imported lazily
        """The best checkpoint as a :class:`~molvae.vae.MolVAE`."""
        from molvae.vae import MolVAE

        return MolVAE.load(self.best_path, **kwargs)


class _NonFiniteLoss(MolvaeError):
    pass


class _StopFlag:
    """First Ctrl-C asks the loop to stop after the current step; a second one interrupts now."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> _StopFlag:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        logger.warning("interrupt: finishing this step, writing a resumable checkpoint "
                       "(press Ctrl-C again to stop at once)")

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


# ----------------------------------------------------------------------------- logging


class _MetricsLog:
    """``metrics.csv`` (fixed columns, appended) and TensorBoard when it is installed."""

    def __init__(self, out_dir: Path, property_names: Sequence[str], *, enabled: bool,
                 resume_step: int | None) -> None:
        self.enabled = enabled
        self.path = out_dir / METRICS_FILE
        self.columns = ["kind", "epoch", "step", "elapsed_s", "lr", "kl_weight", "loss",
                        "reconstruction", "kl", "property", "grad_norm", "mol_per_s", "val_loss",
                        "val_reconstruction", "val_kl", "active_units", "recon_accuracy",
                        "validity", "uniqueness", *[f"r2_{p}" for p in property_names]]
        self.writer = None
        if not enabled:
            return
        if resume_step is not None and self.path.exists():
            kept = pd.read_csv(self.path)
            kept = kept[kept["step"] <= resume_step]
            kept.to_csv(self.path, index=False)
        elif self.path.exists():
            self.path.unlink()
        if not self.path.exists():
            with self.path.open("w", newline="") as handle:
                csv.writer(handle).writerow(self.columns)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from torch.utils.tensorboard import SummaryWriter
            self.writer = SummaryWriter(log_dir=str(out_dir / "tensorboard"))
        except ImportError:
            logger.debug("tensorboard is not installed; metrics go to %s only", self.path)

    def write(self, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        with self.path.open("a", newline="") as handle:
            csv.writer(handle).writerow([_fmt(row.get(c)) for c in self.columns])
        if self.writer is not None:
            for key, value in row.items():
                if key not in ("kind", "epoch", "step") and isinstance(value, (int, float)) \
                        and value == value:
                    self.writer.add_scalar(f"{row['kind']}/{key}", value, row["step"])

    def history(self) -> pd.DataFrame:
        if not self.path.exists():
            return pd.DataFrame(columns=self.columns)
        frame = pd.read_csv(self.path)
        return frame[frame["kind"] == "valid"].reset_index(drop=True)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _fmt(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


class _Progress:
    """A tqdm bar on a terminal (rank 0, ``progress=True``); otherwise nothing."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None

    def start(self, total: int, initial: int, desc: str) -> None:
        if self.enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=initial, desc=desc, unit="batch", leave=False,
                            dynamic_ncols=True, file=sys.stderr)

    def update(self, **postfix: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix({k: f"{v:.3g}" for k, v in postfix.items()}, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


# ----------------------------------------------------------------------------- train


def train(run_config: RunConfig, *, dataset: Any = None, resume: bool | str | os.PathLike[str] = False,
          progress: bool = True, device: str | torch.device | None = None) -> TrainResult:
    """Train a VAE as ``run_config`` says; return where the checkpoints and metrics went.

    ``dataset``: a :class:`molvae.data.Dataset` or a DataFrame with a ``smiles`` column and the
    property columns (default: ``molvae.data.load_dataset(run_config.data.source, ...)``).
    ``resume``: ``True`` continues from ``<out>/last``; a path continues from that checkpoint.
    ``device`` overrides ``train.device``.
    """
    cfg, model_cfg = run_config.train, run_config.model
    dist = _Dist.from_env()
    device = resolve_device(device if device is not None else cfg.device)
    if dist.enabled and device.type == "cuda":
        device = torch.device("cuda", dist.local_rank)
        torch.cuda.set_device(device)
    _init_distributed(dist, device)
    mm_dtype = resolve_precision(cfg.precision, device)
    out_dir = Path(cfg.out).expanduser()
    last_dir, best_dir = out_dir / "last", out_dir / "best"

    # 1. resume state (the tokenizer and normalization stats come from the checkpoint)
    resumed = _read_resume_point(resume, last_dir, model_cfg)

    # 2. data, split, tokenizer (fitted on the training split), normalization stats
    data = _prepare_data(run_config, dataset, resumed, out_dir, main=dist.main)
    tokenizer, train_set, valid_set = data.tokenizer, data.splits["train"], data.splits["valid"]
    property_stats, condition_stats = data.property_stats, data.condition_stats

    # 3. model and optimizer
    seed = cfg.seed
    torch_gen_seed = seed * 1_000_003 + dist.rank
    with torch.random.fork_rng(devices=range(torch.cuda.device_count())):
        torch.manual_seed(seed)  # local to this block: initial weights depend on the seed only
        model = VAE(model_cfg, vocab_size=len(tokenizer.vocabulary))
    if resumed is not None:
        model.load_state_dict(resumed["checkpoint"].state_dict)
    model.to(device)
    optimizer = _make_optimizer(model, cfg)
    noise = torch.Generator(device=device)
    noise.manual_seed(torch_gen_seed)
    position = {"epoch": 0, "batch": 0, "step": 0, "validated": True,
                "best_val_loss": math.inf, "best_epoch": -1, "best_metrics": {}}
    if resumed is not None:
        _restore_trainer(resumed["state"], optimizer, noise, position, dist, device)
    net = _wrap_ddp(model, dist, device)

    steps_per_epoch = max(1, len(_shard(_epoch_batches(train_set, cfg, 0), dist)))
    total_steps = cfg.epochs * steps_per_epoch
    if cfg.max_steps is not None:
        total_steps = min(total_steps, cfg.max_steps)

    if dist.main:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "config.json").write_text(json.dumps(config_to_dict(run_config), indent=1))
        logger.info("training %s parameters on %d molecules (%d valid, %d test) on %s, %s matmuls, "
                    "%d steps/epoch", f"{model.parameter_count():,}", len(train_set), len(valid_set),
                    len(data.splits["test"]), device, "bf16" if mm_dtype == torch.bfloat16 else "fp32",
                    steps_per_epoch)
    log = _MetricsLog(out_dir, model_cfg.property_head, enabled=dist.main,
                      resume_step=position["step"] if resumed is not None else None)
    bar = _Progress(progress and dist.main)
    meta_base = {"data": data.info, "run_config": config_to_dict(run_config),
                 "n_train": len(train_set), "n_valid": len(valid_set), "n_test": len(data.splits["test"])}
    extra_files = {}
    if dist.main:  # novelty and predictor fitting later need no dataset load
        summary = TrainingSet.from_smiles(
            [s for split in data.splits.values() for s in split.smiles], seed=seed)
        extra_files[TRAINING_SET_FILE] = summary.to_bytes()

    def checkpoint(path: Path, metrics: dict[str, float], *, resumable: bool) -> None:
        # gathering the trainer state is collective under DDP: every process calls this for `last`
        state = _trainer_state(optimizer, noise, position, dist, device) if resumable else None
        if not dist.main:
            return
        save_checkpoint(path, state_dict=model.state_dict(), config=model_cfg,
                        tokenizer=tokenizer.to_dict(), property_stats=property_stats,
                        condition_stats=condition_stats, trainer_state=state,
                        extra_files=extra_files,
                        metadata={**meta_base, "metrics": metrics, "epoch": position["epoch"],
                                  "step": position["step"]})

    def validate_epoch() -> dict[str, float]:
        metrics = _validate(model, tokenizer, valid_set, cfg, model_cfg, property_stats,
                            condition_stats, device=device, mm_dtype=mm_dtype,
                            seed=seed + 7919 * (position["epoch"] + 1)) if dist.main else {}
        model.train()
        return metrics

    # 4. epochs
    start_time = time.perf_counter()
    window = _Window()
    try:
        with _StopFlag() as stop:
            while position["epoch"] < cfg.epochs and position["step"] < total_steps:
                epoch = position["epoch"]
                batches = _shard(_epoch_batches(train_set, cfg, epoch), dist)
                bar.start(len(batches), position["batch"], f"epoch {epoch + 1}/{cfg.epochs}")
                model.train()
                while position["batch"] < len(batches) and position["step"] < total_steps:
                    ids, lengths, props, conds = train_set.batch(batches[position["batch"]], device)
                    step = position["step"]
                    t0 = time.perf_counter()
                    parts, lr, beta, grad_norm = _train_step(net, optimizer, ids, lengths, props,
                                                             conds, step=step, cfg=cfg,
                                                             total_steps=total_steps,
                                                             device=device, mm_dtype=mm_dtype,
                                                             generator=noise)
                    position["batch"] += 1
                    position["step"] += 1
                    position["validated"] = False
                    window.add(parts, grad_norm, ids.shape[0] * dist.world_size,
                               time.perf_counter() - t0)
                    bar.update(loss=window.last["loss"], rec=window.last["reconstruction"],
                               kl=window.last["kl"], mol_s=window.rate())
                    if position["step"] % cfg.log_every == 0:
                        log.write({"kind": "train", "epoch": epoch, "step": position["step"],
                                   "elapsed_s": time.perf_counter() - start_time, "lr": lr,
                                   "kl_weight": beta, **window.flush()})
                    if cfg.checkpoint_every and position["step"] % cfg.checkpoint_every == 0:
                        checkpoint(last_dir, position["best_metrics"], resumable=True)
                    if dist.any(stop.requested, device):
                        raise KeyboardInterrupt
                bar.close()
                # end of the epoch (or of max_steps): validate, log, checkpoint
                metrics = validate_epoch()
                if dist.main:
                    log.write({"kind": "valid", "epoch": epoch, "step": position["step"],
                               "elapsed_s": time.perf_counter() - start_time, **metrics})
                    _log_epoch(epoch, cfg.epochs, metrics)
                position["validated"] = True
                if position["batch"] >= len(batches):
                    position["epoch"] += 1
                    position["batch"] = 0
                improved = dist.main and metrics.get("val_loss", math.inf) < position["best_val_loss"]
                if improved:
                    position["best_val_loss"] = metrics["val_loss"]
                    position["best_epoch"] = epoch
                    position["best_metrics"] = metrics
                    checkpoint(best_dir, metrics, resumable=False)
                checkpoint(last_dir, metrics, resumable=True)
                dist.barrier()
    except KeyboardInterrupt:
        bar.close()
        checkpoint(last_dir, position["best_metrics"], resumable=True)
        if dist.main:
            logger.warning("interrupted at epoch %d, step %d: resumable checkpoint in %s "
                           "(continue with resume=True / --resume)", position["epoch"] + 1,
                           position["step"], last_dir)
        raise
    except _NonFiniteLoss as exc:
        bar.close()
        where = f"; the last good checkpoint {last_dir} is kept" if last_dir.exists() else \
            "; no checkpoint had been written yet"
        raise MolvaeError(f"{exc}{where}. Lower train.lr, tighten train.grad_clip, or check the "
                          "data; resume from `last` once fixed") from None
    finally:
        log.close()

    # 5. final: test-set metrics of the best model
    final = dict(position["best_metrics"])
    if dist.main and len(data.splits["test"]) and best_dir.exists():
        best = load_checkpoint(best_dir)
        model.load_state_dict(best.state_dict)
        test = _validate(model, tokenizer, data.splits["test"], cfg, model_cfg, property_stats,
                         condition_stats, device=device, mm_dtype=mm_dtype, seed=seed + 1,
                         prior_samples=False)
        final.update({f"test_{k.removeprefix('val_')}": v for k, v in test.items()})
        (out_dir / "final_metrics.json").write_text(json.dumps(final, indent=1))
    dist.barrier()
    history = log.history() if dist.main else pd.DataFrame()
    if dist.enabled and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
    return TrainResult(out_dir=out_dir, last_path=last_dir, best_path=best_dir,
                       epochs_completed=position["epoch"], steps=position["step"], metrics=final,
                       history=history)


# ----------------------------------------------------------------------------- steps


def _train_step(net: torch.nn.Module, optimizer: torch.optim.Optimizer, ids: Tensor, lengths: Tensor,
                props: Tensor | None, conds: Tensor | None, *, step: int, cfg: TrainConfig,
                total_steps: int, device: torch.device, mm_dtype: torch.dtype,
                generator: torch.Generator):
    lr = lr_at(step, base_lr=cfg.lr, warmup_steps=cfg.lr_warmup_steps, total_steps=total_steps,
               schedule=cfg.lr_schedule, min_lr_ratio=cfg.min_lr_ratio)
    for group in optimizer.param_groups:
        group["lr"] = lr
    beta = kl_weight(step, cfg)
    with autocast(device, mm_dtype):
        output = net(ids, lengths, conds, mm_dtype=mm_dtype, generator=generator)
    parts = vae_loss(output, ids, beta=beta, free_bits=cfg.free_bits, property_targets=props,
                     property_weight=cfg.property_weight)
    optimizer.zero_grad(set_to_none=True)
    parts.total.backward()
    params = [p for group in optimizer.param_groups for p in group["params"]]
    max_norm = cfg.grad_clip if cfg.grad_clip > 0 else math.inf
    grad_norm = float(torch.nn.utils.clip_grad_norm_(params, max_norm))
    loss = float(parts.total.detach())
    if not (math.isfinite(loss) and math.isfinite(grad_norm)):
        raise _NonFiniteLoss(
            f"training stopped at step {step}: the loss is {loss} (reconstruction "
            f"{float(parts.reconstruction.detach()):.4g}, KL {float(parts.kl.detach()):.4g}) and the "
            f"gradient norm "
            f"{grad_norm}")
    optimizer.step()
    return parts, lr, beta, grad_norm


class _Window:
    """Running means of the train losses since the last logged row, and throughput."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0
        self.molecules = 0
        self.seconds = 0.0
        self.last: dict[str, float] = {}
        self.recent: list[tuple[int, float]] = []

    def add(self, parts: Any, grad_norm: float, molecules: int, seconds: float) -> None:
        values = {"loss": float(parts.total.detach()),
                  "reconstruction": float(parts.reconstruction.detach()),
                  "kl": float(parts.kl.detach()), "grad_norm": grad_norm}
        if parts.property is not None:
            values["property"] = float(parts.property.detach())
        for key, value in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + value
        self.last = values
        self.count += 1
        self.molecules += molecules
        self.seconds += seconds
        self.recent = (self.recent + [(molecules, seconds)])[-20:]

    def rate(self) -> float:
        seconds = sum(s for _, s in self.recent)
        return sum(m for m, _ in self.recent) / seconds if seconds > 0 else 0.0

    def flush(self) -> dict[str, float]:
        row = {k: v / max(1, self.count) for k, v in self.sums.items()}
        row["mol_per_s"] = self.molecules / self.seconds if self.seconds > 0 else float("nan")
        self.sums, self.count, self.molecules, self.seconds = {}, 0, 0, 0.0
        return row


def _epoch_batches(data: _Encoded, cfg: TrainConfig, epoch: int) -> list[np.ndarray]:
    return length_bucketed_batches(data.lengths.numpy(), batch_size=cfg.batch_size,
                                   chunk_batches=cfg.bucket_chunk, seed=cfg.seed, epoch=epoch)


def _shard(batches: list[np.ndarray], dist: _Dist) -> list[np.ndarray]:
    """This process's batches: every world_size-th, the same count on every process."""
    if not dist.enabled:
        return batches
    per_rank = len(batches) // dist.world_size
    return batches[dist.rank::dist.world_size][:per_rank]


def _make_optimizer(model: VAE, cfg: TrainConfig) -> torch.optim.Optimizer:
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr)


def _wrap_ddp(model: VAE, dist: _Dist, device: torch.device) -> torch.nn.Module:
    if not dist.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class _Prepared:
    tokenizer: Tokenizer
    property_stats: dict[str, tuple[float, float]]
    condition_stats: dict[str, tuple[float, float]]
    splits: dict[str, _Encoded]  # train, valid, test
    info: dict[str, Any]  # source, fingerprint, sizes (recorded in checkpoints)


def _prepare_data(run_config: RunConfig, dataset: Any, resumed: dict[str, Any] | None,
                  out_dir: Path, *, main: bool) -> _Prepared:
    """Load, split, fit the tokenizer on the training split (or take the resumed run's), encode;
    molecules the tokenizer cannot write within ``max_length`` go to ``<out>/rejects.csv``."""
    from molvae.data import split_dataset

    cfg, model_cfg = run_config.train, run_config.model
    frame, info = _load_frame(run_config, dataset)
    splits = split_dataset(frame, valid_fraction=cfg.valid_fraction,
                           test_fraction=cfg.test_fraction, seed=cfg.seed)
    if len(splits.train) == 0:
        raise DatasetError("the training split is empty; use more molecules or smaller "
                           "valid/test fractions")
    if resumed is not None:
        ckpt = resumed["checkpoint"]
        before = ckpt.metadata.get("data", {}).get("fingerprint")
        if before and before != info["fingerprint"]:
            logger.warning("resuming on different data than the run started with (fingerprint "
                           "%s… vs %s…): the continuation will not match an uninterrupted run",
                           before[:12], info["fingerprint"][:12])
        tokenizer = load_tokenizer(ckpt.tokenizer)
        property_stats, condition_stats = ckpt.property_stats, ckpt.condition_stats
    else:
        logger.info("fitting the %s tokenizer on %d training molecules", model_cfg.tokenizer.value,
                    len(splits.train))
        tokenizer = make_tokenizer(model_cfg.tokenizer, splits.train["smiles"].tolist())
        property_stats = _stats(splits.train, model_cfg.property_head)
        condition_stats = _stats(splits.train, model_cfg.conditions)
    encoded, rejects = {}, []
    logger.info("encoding %d molecules (%s)", len(frame), model_cfg.tokenizer.value)
    for name in ("train", "valid", "test"):
        encoded[name], split_rejects = _encode_split(name, getattr(splits, name), tokenizer,
                                                     model_cfg, property_stats, condition_stats)
        rejects.append(split_rejects)
    _report_rejects(pd.concat(rejects, ignore_index=True), out_dir, main=main)
    if len(encoded["train"]) == 0:
        raise DatasetError("no training molecule could be tokenized within model.max_length "
                           f"{model_cfg.max_length}; see {out_dir / 'rejects.csv'}")
    return _Prepared(tokenizer=tokenizer, property_stats=property_stats,
                     condition_stats=condition_stats, splits=encoded, info=info)


def _load_frame(run_config: RunConfig, dataset: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    model_cfg = run_config.model
    needed = list(dict.fromkeys([*model_cfg.property_head, *model_cfg.conditions]))
    if dataset is None:
        from molvae.data import load_dataset

        dataset = load_dataset(run_config.data.source, properties=needed,
                               smiles_column=run_config.data.smiles_column,
                               limit=run_config.data.limit)
    if isinstance(dataset, pd.DataFrame):
        frame = dataset
        digest = hashlib.sha256("\n".join(map(str, frame["smiles"])).encode()).hexdigest() \
            if "smiles" in frame else ""
        info = {"source": "DataFrame", "fingerprint": digest, "n_molecules": len(frame)}
    else:
        frame = dataset.frame
        info = {"source": str(getattr(dataset, "name", run_config.data.source)),
                "fingerprint": str(getattr(dataset, "fingerprint", "")),
                "n_molecules": len(frame), "n_rejected": int(getattr(dataset, "n_rejected", 0))}
    if "smiles" not in frame:
        raise DatasetError(f"the training data needs a 'smiles' column; it has {list(frame.columns)}")
    missing = [n for n in needed if n not in frame]
    if missing:
        raise DatasetError(f"the training data lacks the property columns {missing} that "
                           "model.property_head / model.conditions need")
    return frame, info


def _report_rejects(rejects: pd.DataFrame, out_dir: Path, *, main: bool) -> None:
    if rejects.empty or not main:
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "rejects.csv"
    rejects.to_csv(path, index=False)
    shown = "; ".join(f"{r.smiles[:40]!r} ({r.reason[:60]})" for r in rejects.head(3).itertuples())
    logger.warning("%d molecules are left out: tokens outside the vocabulary fitted on the "
                   "training split, or longer than model.max_length (%s); all listed in %s",
                   len(rejects), shown, path)


# ----------------------------------------------------------------------------- checkpoint state


def _read_resume_point(resume: bool | str | os.PathLike[str], last_dir: Path,
                       model_cfg: ModelConfig) -> dict[str, Any] | None:
    if resume is False or resume is None:
        return None
    path = last_dir if resume is True else Path(resume)
    if not path.exists():
        raise CheckpointError(f"cannot resume: no checkpoint at {str(path)!r}; start without "
                              "--resume, or point --out at the run to continue")
    ckpt = load_checkpoint(path)
    if ckpt.config != model_cfg:
        diffs = [f"{f.name}: checkpoint {getattr(ckpt.config, f.name)!r} vs config "
                 f"{getattr(model_cfg, f.name)!r}" for f in dataclasses.fields(ModelConfig)
                 if getattr(ckpt.config, f.name) != getattr(model_cfg, f.name)]
        raise ConfigError(f"cannot resume from {str(path)!r}: the model config differs "
                          f"({'; '.join(diffs)}); resume with the run's own config")
    return {"checkpoint": ckpt, "state": load_trainer_state(path)}


def _trainer_state(optimizer: torch.optim.Optimizer, noise: torch.Generator,
                   position: dict[str, Any], dist: _Dist, device: torch.device) -> dict[str, Any]:
    noise_states = [noise.get_state()]
    if dist.enabled:
        gathered: list[Any] = [None] * dist.world_size
        torch.distributed.all_gather_object(gathered, noise.get_state())
        noise_states = gathered
    np_state = np.random.get_state()
    state = {
        "format": "molvae.trainer_state",
        "optimizer": optimizer.state_dict(),
        "epoch": int(position["epoch"]),
        "batch": int(position["batch"]),
        "step": int(position["step"]),
        "validated": bool(position["validated"]),
        "best_val_loss": float(position["best_val_loss"]),
        "best_epoch": int(position["best_epoch"]),
        "best_metrics": json.dumps(position["best_metrics"]),
        "world_size": dist.world_size,
        "noise_rng": [s.cpu() for s in noise_states],
        "torch_rng": torch.get_rng_state(),
        "numpy_rng": (str(np_state[0]), torch.from_numpy(np_state[1].astype(np.int64)),
                      int(np_state[2]), int(np_state[3]), float(np_state[4])),
        "python_rng": random.getstate(),
    }
    if device.type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state(device)
    return state


def _restore_trainer(state: dict[str, Any], optimizer: torch.optim.Optimizer,
                     noise: torch.Generator, position: dict[str, Any], dist: _Dist,
                     device: torch.device) -> None:
    try:
        optimizer.load_state_dict(state["optimizer"])
        position.update(epoch=int(state["epoch"]), batch=int(state["batch"]),
                        step=int(state["step"]), validated=bool(state["validated"]),
                        best_val_loss=float(state["best_val_loss"]),
                        best_epoch=int(state["best_epoch"]),
                        best_metrics=json.loads(state["best_metrics"]))
        noise_states = state["noise_rng"]
        if int(state["world_size"]) == dist.world_size:
            noise.set_state(noise_states[dist.rank].to("cpu"))
        else:
            logger.warning("resuming with %d processes instead of %d: batches are re-sharded and "
                           "the noise generators reseeded", dist.world_size, state["world_size"])
            if int(state["world_size"]) != dist.world_size:
                position["batch"] = (position["batch"] * int(state["world_size"])) // dist.world_size
        torch.set_rng_state(state["torch_rng"])
        name, keys, pos, has_gauss, cached = state["numpy_rng"]
        np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
        random.setstate(_as_tuple(state["python_rng"]))
        if device.type == "cuda" and "cuda_rng" in state:
            torch.cuda.set_rng_state(state["cuda_rng"], device)
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise CheckpointError(f"the trainer state is incomplete or from another setup ({exc}); "
                              "start a new run (without --resume)") from exc


def _as_tuple(value: Any) -> Any:
    return tuple(_as_tuple(v) for v in value) if isinstance(value, (list, tuple)) else value


# ----------------------------------------------------------------------------- validation


@torch.inference_mode()
def _validate(model: VAE, tokenizer: Tokenizer, data: _Encoded, cfg: TrainConfig,
              model_cfg: ModelConfig, property_stats: dict[str, tuple[float, float]],
              condition_stats: dict[str, tuple[float, float]], *, device: torch.device,
              mm_dtype: torch.dtype, seed: int, prior_samples: bool = True) -> dict[str, float]:
    """Teacher-forced loss (β = target), KL, active units, property R², reconstruction accuracy,
    prior validity and uniqueness."""
    from molvae.vae import MolVAE

    model.eval()
    metrics: dict[str, float] = {}
    if len(data) == 0:
        return metrics
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    sums = {"loss": 0.0, "reconstruction": 0.0, "kl": 0.0}
    mus, preds = [], []
    order = np.argsort(data.lengths.numpy(), kind="stable")
    for start in range(0, len(order), cfg.batch_size):
        ids, lengths, props, conds = data.batch(order[start:start + cfg.batch_size], device)
        with autocast(device, mm_dtype):
            output = model(ids, lengths, conds, mm_dtype=mm_dtype, generator=generator)
        parts = vae_loss(output, ids, beta=cfg.beta, property_targets=props,
                         property_weight=cfg.property_weight)
        n = ids.shape[0]
        sums["loss"] += float(parts.total) * n
        sums["reconstruction"] += float(parts.reconstruction) * n
        sums["kl"] += float(parts.kl) * n
        mus.append(output.mu.float().cpu())
        if output.property_pred is not None:
            preds.append(output.property_pred.float().cpu())
    metrics.update({f"val_{k}": v / len(data) for k, v in sums.items()})
    mu = torch.cat(mus)
    metrics["active_units"] = float((mu.var(0, unbiased=False) > 0.01).sum()) if len(mu) > 1 else 0.0
    if preds:
        pred = torch.cat(preds).numpy()
        target = data.properties[torch.as_tensor(order)].numpy()
        for j, name in enumerate(model_cfg.property_head):
            known = ~np.isnan(target[:, j])
            y, p = target[known, j], pred[known, j]
            ss_tot = float(((y - y.mean()) ** 2).sum()) if len(y) else 0.0
            metrics[f"r2_{name}"] = 1.0 - float(((y - p) ** 2).sum()) / ss_tot if ss_tot > 0 else float("nan")

    try:
        import rdkit  # noqa: F401
    except ImportError:
        warnings.warn("RDKit is not installed: reconstruction accuracy, validity and uniqueness "
                      "are not measured", stacklevel=2)
        return metrics
    vae = MolVAE(model, tokenizer, property_stats=property_stats, condition_stats=condition_stats,
                 device=device, precision="bf16" if mm_dtype == torch.bfloat16 else "fp32")
    if cfg.eval_reconstruct:
        chosen = np.random.default_rng(seed).permutation(len(data))[: cfg.eval_reconstruct]
        recon = vae.reconstruct([data.smiles[i] for i in sorted(chosen)])
        metrics["recon_accuracy"] = float(recon["exact"].mean())
    if prior_samples and cfg.eval_samples:
        samples = vae.sample(cfg.eval_samples, seed=seed)
        valid = samples["smiles"].dropna()
        metrics["validity"] = len(valid) / len(samples)
        metrics["uniqueness"] = valid.nunique() / len(valid) if len(valid) else 0.0
    return metrics


def _log_epoch(epoch: int, epochs: int, metrics: dict[str, float]) -> None:
    shown = ", ".join(f"{k} {v:.4g}" for k, v in metrics.items())
    logger.info("epoch %d/%d: %s", epoch + 1, epochs, shown)
