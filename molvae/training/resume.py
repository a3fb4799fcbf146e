"""Where a run starts: resuming ``last`` exactly (weights, optimizer, random streams, position) or
fine-tuning from a checkpoint's weights (``train.init_from``), and the trainer state saved in
every resumable checkpoint."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from molvae.checkpoint import load_checkpoint, load_trainer_state
from molvae.config import ModelConfig
from molvae.errors import CheckpointError, ConfigError
from molvae.training.distributed import Dist
from molvae.training.step import load_optimizer_state, optimizer_state

__all__ = ["read_resume_point", "read_init_point", "trainer_state", "restore_trainer"]

logger = logging.getLogger("molvae.training")


def read_resume_point(resume: bool | str | os.PathLike[str], last_dir: Path,
                       model_cfg: ModelConfig) -> dict[str, Any] | None:
    if resume is False or resume is None:
        return None
    path = last_dir if resume is True else Path(resume)
    if not path.exists():
        raise CheckpointError(f"cannot resume: no checkpoint at {str(path)!r}; start without "
                              "--resume, or point --out at the run to continue")
    ckpt = _matching_checkpoint(path, model_cfg, f"cannot resume from {str(path)!r}",
                                "resume with the run's own config")
    return {"checkpoint": ckpt, "state": load_trainer_state(path)}


def read_init_point(source: str, model_cfg: ModelConfig) -> dict[str, Any]:
    from molvae.pretrained import checkpoint_source

    path = checkpoint_source(source)
    if not path.exists():
        raise CheckpointError(f"train.init_from: no checkpoint at {str(path)!r}; give a run's "
                              "checkpoint folder (runs/x/best) or a pretrained name such as zinc")
    ckpt = _matching_checkpoint(path, model_cfg, f"cannot fine-tune {str(path)!r}",
                                "use the checkpoint's model section")
    logger.info("fine-tuning from %s (weights, tokenizer and property statistics)", path)
    return {"checkpoint": ckpt, "state": None}


def _matching_checkpoint(path: Path, model_cfg: ModelConfig, what: str, fix: str) -> Any:
    """The checkpoint at ``path``; a one-line error naming each model field that differs."""
    ckpt = load_checkpoint(path)
    if ckpt.config != model_cfg:
        diffs = [f"{f.name}: checkpoint {getattr(ckpt.config, f.name)!r} vs config "
                 f"{getattr(model_cfg, f.name)!r}" for f in dataclasses.fields(ModelConfig)
                 if getattr(ckpt.config, f.name) != getattr(model_cfg, f.name)]
        raise ConfigError(f"{what}: the model config differs ({'; '.join(diffs)}); {fix}")
    return ckpt


def trainer_state(optimizer: torch.optim.Optimizer, noise: torch.Generator,
                   position: dict[str, Any], dist: Dist, device: torch.device) -> dict[str, Any]:
    noise_states = [noise.get_state()]
    if dist.enabled:
        gathered: list[Any] = [None] * dist.world_size
        torch.distributed.all_gather_object(gathered, noise.get_state())
        noise_states = gathered
    np_state = np.random.get_state()
    state = {
        "format": "molvae.trainer_state",
        "optimizer": optimizer_state(optimizer),
        "epoch": int(position["epoch"]),
        "batch": int(position["batch"]),
        "step": int(position["step"]),
        "validated": bool(position["validated"]),
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


def restore_trainer(state: dict[str, Any], optimizer: torch.optim.Optimizer,
                     noise: torch.Generator, position: dict[str, Any], dist: Dist,
                     device: torch.device) -> None:
    try:
        load_optimizer_state(optimizer, state["optimizer"])
        position.update(epoch=int(state["epoch"]), batch=int(state["batch"]),
                        step=int(state["step"]), validated=bool(state["validated"]),
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
