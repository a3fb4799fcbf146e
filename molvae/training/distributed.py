"""DistributedDataParallel plumbing: who this process is (from torchrun's environment), the
process group, the model wrapper, and each process's share of the batches."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np
import torch

from molvae.model import VAE

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dist:
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
    def from_env(cls) -> Dist:
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


def init_distributed(dist: Dist, device: torch.device) -> None:
    if dist.enabled and not torch.distributed.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        torch.distributed.init_process_group(backend=backend)
        logger.info("DDP: rank %d of %d (%s)", dist.rank, dist.world_size, backend)




def shard(batches: list[np.ndarray], dist: Dist) -> list[np.ndarray]:
    """This process's batches: every world_size-th, the same count on every process."""
    if not dist.enabled:
        return batches
    per_rank = len(batches) // dist.world_size
    return batches[dist.rank::dist.world_size][:per_rank]


def wrap_ddp(model: VAE, dist: Dist, device: torch.device) -> torch.nn.Module:
    if not dist.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)
