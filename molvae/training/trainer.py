"""Training: ``train(run_config)`` reads straight down — data, split, tokenizer, model, epochs.

>>> from molvae.config import load_config, with_overrides
>>> result = train(with_overrides(load_config("tiny"), out="runs/tiny"))   # doctest: +SKIP
>>> result.metrics["recon_accuracy"], result.best_path                      # doctest: +SKIP

Every epoch is validated (teacher-forced loss and KL, active latent units, property R², greedy
reconstruction accuracy on held-out molecules, validity and uniqueness of prior samples); rows go
to ``metrics.csv`` (and TensorBoard when installed); checkpoints ``last`` (resumable) and ``best``
(chosen by ``train.best_metric``: held-out reconstruction accuracy unless set) are written
atomically. ``resume=True`` continues exactly where ``last`` stopped; Ctrl-C writes ``last``
first; a NaN or infinite loss stops with a :class:`~molvae.errors.MolvaeError` and leaves the
checkpoints untouched (the losses are read every ``train.log_every`` steps and before every
checkpoint, so it stops at the next of those). The step itself is
:class:`molvae.training.step.TrainStep`: on a GPU, replayed as a CUDA graph.

Launched by ``torchrun`` (``WORLD_SIZE`` > 1) it trains with DistributedDataParallel: each
process takes every ``WORLD_SIZE``-th length-bucketed batch, only rank 0 writes.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import Tensor

from molvae.checkpoint import load_checkpoint
from molvae.config import RunConfig, config_to_dict
from molvae.devices import resolve_device, resolve_precision
from molvae.errors import MolvaeError
from molvae.model import VAE
from molvae.training.distributed import Dist, init_distributed, shard, wrap_ddp
from molvae.training.encoded import epoch_batches, prepare_data
from molvae.training.log import MetricsLog, Progress
from molvae.training.resume import read_init_point, read_resume_point, restore_trainer, trainer_state
from molvae.training.selection import improves, resolve_best_metric
from molvae.training.step import StepStats, TrainStep
from molvae.training.validation import log_epoch, validate
from molvae.training_set import TrainingSet

__all__ = ["TrainResult", "train"]

logger = logging.getLogger(__name__)



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
    dist = Dist.from_env()
    device = resolve_device(device if device is not None else cfg.device)
    if dist.enabled and device.type == "cuda":
        device = torch.device("cuda", dist.local_rank)
        torch.cuda.set_device(device)
    init_distributed(dist, device)
    mm_dtype = resolve_precision(cfg.precision, device)
    out_dir = Path(cfg.out).expanduser()
    last_dir, best_dir = out_dir / "last", out_dir / "best"
    best_metric = resolve_best_metric(cfg)

    # 1. resume state (the tokenizer and normalization stats come from the checkpoint); a
    # fine-tuning run starts from train.init_from's weights with no trainer state
    resumed = read_resume_point(resume, last_dir, model_cfg)
    if resumed is None and cfg.init_from is not None:
        resumed = read_init_point(cfg.init_from, model_cfg)

    # 2. data, split, tokenizer (fitted on the training split), normalization stats
    data = prepare_data(run_config, dataset, resumed, out_dir, main=dist.main)
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
    noise = torch.Generator(device=device)
    noise.manual_seed(torch_gen_seed)
    net = wrap_ddp(model, dist, device)
    stepper = TrainStep.create(net, cfg, device, mm_dtype, noise, distributed=dist.enabled)
    optimizer = stepper.optimizer
    position = {"epoch": 0, "batch": 0, "step": 0, "validated": True,
                "best_epoch": -1, "best_metrics": {}}
    if resumed is not None and resumed["state"] is not None:
        restore_trainer(resumed["state"], optimizer, noise, position, dist, device)

    steps_per_epoch = max(1, len(shard(epoch_batches(train_set, cfg, 0), dist)))
    total_steps = cfg.epochs * steps_per_epoch
    if cfg.max_steps is not None:
        total_steps = min(total_steps, cfg.max_steps)

    run_config_dict = config_to_dict(run_config)  # config.json and every checkpoint's metadata
    if dist.main:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "config.json").write_text(json.dumps(run_config_dict, indent=1))
        logger.info("training %s parameters on %d molecules (%d valid, %d test) on %s, %s matmuls, "
                    "%d steps/epoch%s; best by %s", f"{model.parameter_count():,}", len(train_set),
                    len(valid_set), len(data.splits["test"]), device,
                    "bf16" if mm_dtype == torch.bfloat16 else "fp32", steps_per_epoch,
                    ", CUDA graphs" if stepper.graphs else "", best_metric)
    log = MetricsLog(out_dir, model_cfg.property_head, enabled=dist.main,
                      resume_step=position["step"] if resumed is not None and resumed["state"] is not None
                      else None)
    bar = Progress(progress and dist.main)
    meta_base = {"data": data.info, "run_config": run_config_dict,
                 "n_train": len(train_set), "n_valid": len(valid_set), "n_test": len(data.splits["test"])}
    # the network being trained, seen as the notebook API sees a model: validated and saved as
    # one, with what it remembers of its training molecules (novelty and predictor fitting later
    # need no dataset load)
    from molvae.vae import MolVAE

    summary = TrainingSet.from_smiles(
        [s for split in data.splits.values() for s in split.smiles], seed=seed) \
        if dist.main else None
    trained = MolVAE(model, tokenizer, property_stats=property_stats,
                     condition_stats=condition_stats, device=device, precision=mm_dtype,
                     training_set=summary)

    def checkpoint(path: Path, metrics: dict[str, float], *, resumable: bool) -> None:
        # gathering the trainer state is collective under DDP: every process calls this for `last`
        state = trainer_state(optimizer, stepper.generator, position, dist, device) \
            if resumable else None
        if dist.main:
            trained.save(path, trainer_state=state,
                         metadata={**meta_base, "metrics": metrics, "epoch": position["epoch"],
                                   "step": position["step"]})

    def non_finite(exc: _NonFiniteLoss) -> MolvaeError:
        where = f"; the last good checkpoint {last_dir} is kept" if last_dir.exists() else \
            "; no checkpoint had been written yet"
        return MolvaeError(f"{exc}{where}. Lower train.lr, tighten train.grad_clip, or check the "
                           "data; resume from `last` once fixed")

    def validate_epoch() -> dict[str, float]:
        metrics = validate(trained, valid_set, cfg, seed=seed + 7919 * (position["epoch"] + 1)) \
            if dist.main else {}
        model.train()
        return metrics

    # 4. epochs
    start_time = time.perf_counter()
    window = _Window(stepper.stats)
    try:
        with _StopFlag() as stop:
            while position["epoch"] < cfg.epochs and position["step"] < total_steps:
                epoch = position["epoch"]
                batches = shard(epoch_batches(train_set, cfg, epoch), dist)
                bar.start(len(batches), position["batch"], f"epoch {epoch + 1}/{cfg.epochs}")
                model.train()
                while position["batch"] < len(batches) and position["step"] < total_steps:
                    t0 = time.perf_counter()
                    batch = train_set.batch(batches[position["batch"]], device)
                    lr, beta = _train_step(stepper, batch, step=position["step"],
                                           total_steps=total_steps)
                    position["batch"] += 1
                    position["step"] += 1
                    position["validated"] = False
                    window.add(batch[0].shape[0] * dist.world_size, time.perf_counter() - t0)
                    bar.update(loss=window.last.get("loss", math.nan),
                               rec=window.last.get("reconstruction", math.nan),
                               kl=window.last.get("kl", math.nan), mol_s=window.rate)
                    if position["step"] % cfg.log_every == 0:
                        log.write({"kind": "train", "epoch": epoch, "step": position["step"],
                                   "elapsed_s": time.perf_counter() - start_time, "lr": lr,
                                   "kl_weight": beta, **window.flush(position["step"])})
                    if cfg.checkpoint_every and position["step"] % cfg.checkpoint_every == 0:
                        window.pull(position["step"])  # never checkpoint non-finite weights
                        checkpoint(last_dir, position["best_metrics"], resumable=True)
                    if dist.any(stop.requested, device):
                        raise KeyboardInterrupt
                bar.close()
                # end of the epoch (or of max_steps): validate, log, checkpoint
                window.pull(position["step"])
                metrics = validate_epoch()
                if dist.main:
                    log.write({"kind": "valid", "epoch": epoch, "step": position["step"],
                               "elapsed_s": time.perf_counter() - start_time, **metrics})
                    log_epoch(epoch, cfg.epochs, metrics)
                position["validated"] = True
                if position["batch"] >= len(batches):
                    position["epoch"] += 1
                    position["batch"] = 0
                improved = dist.main and improves(metrics, position["best_metrics"], best_metric)
                if improved:
                    position["best_epoch"] = epoch
                    position["best_metrics"] = metrics
                    checkpoint(best_dir, metrics, resumable=False)
                checkpoint(last_dir, metrics, resumable=True)
                dist.barrier()
    except KeyboardInterrupt:
        bar.close()
        try:
            window.pull(position["step"])
        except _NonFiniteLoss as exc:
            raise non_finite(exc) from None
        checkpoint(last_dir, position["best_metrics"], resumable=True)
        if dist.main:
            logger.warning("interrupted at epoch %d, step %d: resumable checkpoint in %s "
                           "(continue with resume=True / --resume)", position["epoch"] + 1,
                           position["step"], last_dir)
        raise
    except _NonFiniteLoss as exc:
        bar.close()
        raise non_finite(exc) from None
    finally:
        log.close()

    # 5. final: test-set metrics of the best model
    final = dict(position["best_metrics"])
    if dist.main and len(data.splits["test"]) and best_dir.exists():
        best = load_checkpoint(best_dir)
        model.load_state_dict(best.state_dict)
        test = validate(trained, data.splits["test"], cfg, seed=seed + 1, prior_samples=False)
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


def _train_step(stepper: TrainStep, batch: tuple[Tensor | None, ...], *, step: int,
                total_steps: int) -> tuple[float, float]:
    """One optimizer step → (learning rate, KL weight). A function of its own so that tests can
    interrupt training between two steps."""
    return stepper(*batch, step=step, total_steps=total_steps)


class _Window:
    """Means of the train losses since the last logged row, and throughput.

    The losses are summed on the device (:class:`~molvae.training.step.StepStats`) and read by
    :meth:`pull`, which also stops training on a non-finite loss: at every logged row, before
    every checkpoint and before validation. Reading them every step would make the host wait
    for the GPU once per step."""

    def __init__(self, stats: StepStats) -> None:
        self.stats = stats
        self.sums: dict[str, float] = {}
        self.count = 0  # steps read into sums
        self.pending = 0  # steps run since the last read
        self.molecules = 0
        self.seconds = 0.0
        self.last: dict[str, float] = {}  # the means of the latest read
        self.rate = 0.0  # molecules per second of the latest logged row

    def add(self, molecules: int, seconds: float) -> None:
        self.pending += 1
        self.molecules += molecules
        self.seconds += seconds

    def pull(self, step: int) -> None:
        """Read the pending steps' sums from the device (waiting for it: the wait counts as
        training time); raise :class:`_NonFiniteLoss` if any of them was not finite."""
        if not self.pending:
            return
        t0 = time.perf_counter()
        sums, bad = self.stats.read()
        self.seconds += time.perf_counter() - t0
        means = {k: v / self.pending for k, v in sums.items()}
        if bad:
            raise _NonFiniteLoss(
                f"training stopped at step {step}: the loss is {means['loss']:.4g} "
                f"(reconstruction {means['reconstruction']:.4g}, KL {means['kl']:.4g}) and the "
                f"gradient norm {means['grad_norm']:.4g}, averaged over steps "
                f"{step - self.pending + 1}-{step}, of which {bad} were not finite")
        for key, value in sums.items():
            self.sums[key] = self.sums.get(key, 0.0) + value
        self.last = means
        self.count += self.pending
        self.pending = 0

    def flush(self, step: int) -> dict[str, float]:
        self.pull(step)
        row = {k: v / max(1, self.count) for k, v in self.sums.items()}
        row["mol_per_s"] = self.molecules / self.seconds if self.seconds > 0 else float("nan")
        self.rate = row["mol_per_s"]
        self.sums, self.count, self.molecules, self.seconds = {}, 0, 0, 0.0
        return row
