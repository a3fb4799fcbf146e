"""One optimizer step of VAE training, and the running sums of its losses.

A step sets the learning rate and KL weight from their schedules, runs the forward pass, the
loss, the backward pass, gradient clipping and AdamW. Nothing in it reads a value back to the
host: the losses and the gradient norm are added to :class:`StepStats` on the device and read
every ``log_every`` steps, so the host can queue the next steps while the GPU works.

On a GPU the whole step is captured once per padded batch shape as a CUDA graph and replayed
(``train.cuda_graphs``): a step of the default model launches about a thousand small cuDNN
kernels, and launching them from Python took longer than running them (BENCHMARKS.md, issue 3).
Batch widths are padded up to a multiple of :data:`GRAPH_WIDTH_MULTIPLE`, which keeps the number
of shapes small; padding changes no loss, since padded positions are ignored everywhere.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import torch
from torch import Tensor

from molvae.config import TrainConfig
from molvae.devices import autocast
from molvae.model import VAE, vae_loss
from molvae.training.schedules import kl_weight, lr_at

__all__ = ["GRAPH_WIDTH_MULTIPLE", "MAX_GRAPHS", "StepStats", "TrainStep", "make_optimizer",
           "graphs_supported", "optimizer_state", "load_optimizer_state"]

logger = logging.getLogger(__name__)

GRAPH_WIDTH_MULTIPLE = 8  # batch widths are padded up to a multiple of this for CUDA graphs
MAX_GRAPHS = 48  # shapes beyond this many run eagerly (each graph holds its own workspace)
STAT_NAMES = ("loss", "reconstruction", "kl", "property", "grad_norm")


def make_optimizer(model: VAE, cfg: TrainConfig, *, capturable: bool = False) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only. ``capturable``: state and learning rate live on
    the device, so the step can be captured in a CUDA graph (the rate is then a tensor)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    if not capturable:
        return torch.optim.AdamW(groups, lr=cfg.lr)
    device = next(model.parameters()).device
    lr = torch.tensor(cfg.lr, dtype=torch.float32, device=device)
    return torch.optim.AdamW(groups, lr=lr, capturable=True, foreach=True)


_IMPLEMENTATION_KEYS = ("capturable", "foreach", "fused", "differentiable")


def optimizer_state(optimizer: torch.optim.Optimizer) -> dict:
    """``optimizer.state_dict()`` in a form any molvae AdamW loads, capturable or not, on a CPU
    or a GPU: the learning rate as a number, step counts on the CPU, no implementation flags."""
    saved = optimizer.state_dict()
    groups = [{k: (float(v) if k == "lr" else v) for k, v in group.items()
               if k not in _IMPLEMENTATION_KEYS} for group in saved["param_groups"]]
    state = {i: {k: (v.detach().to("cpu", torch.float32) if k == "step" else v)
                 for k, v in entry.items()} for i, entry in saved["state"].items()}
    return {"state": state, "param_groups": groups}


def load_optimizer_state(optimizer: torch.optim.Optimizer, saved: dict) -> None:
    """Load ``saved`` (from :func:`optimizer_state`, or an older plain state dict) keeping this
    optimizer's own implementation: its flags, its learning-rate object, its step placement."""
    own = [{k: group[k] for k in ("lr", *_IMPLEMENTATION_KEYS) if k in group}
           for group in optimizer.param_groups]
    optimizer.load_state_dict(saved)
    for group, keys in zip(optimizer.param_groups, own):
        group.update(keys)
    capturable = any(keys.get("capturable") for keys in own)
    for param, entry in optimizer.state.items():
        if "step" in entry:
            entry["step"] = entry["step"].to(dtype=torch.float32,
                                             device=param.device if capturable else "cpu")


def graphs_supported(model: VAE, device: torch.device, *, distributed: bool) -> bool:
    """Whether the training step can be captured as CUDA graphs: on a GPU, one process, and no
    dropout inside cuDNN's multi-layer GRU (its dropout state cannot be captured)."""
    config = model.config
    cudnn_dropout = config.dropout > 0 and config.decoder_layers > 1
    return device.type == "cuda" and not distributed and not cudnn_dropout


class StepStats:
    """Sums of the step losses on the device since the last :meth:`read`, and a count of the
    steps whose loss or gradient norm was not finite."""

    def __init__(self, device: torch.device, with_property: bool) -> None:
        self.with_property = with_property
        self.sums = torch.zeros(len(STAT_NAMES) + 1, dtype=torch.float32, device=device)

    def add(self, parts, grad_norm: Tensor) -> None:
        """In place, on the device (no host synchronization; safe inside a CUDA graph)."""
        prop = parts.property if parts.property is not None else torch.zeros_like(parts.total)
        values = torch.stack([parts.total.detach(), parts.reconstruction.detach(),
                              parts.kl.detach(), prop.detach(), grad_norm.detach()]).float()
        bad = (~torch.isfinite(values[0]) | ~torch.isfinite(values[4])).float()
        self.sums.add_(torch.cat([values, bad.unsqueeze(0)]))

    def read(self) -> tuple[dict[str, float], int]:
        """(sums by name, count of non-finite steps), and reset. Synchronizes with the device."""
        host = self.sums.tolist()
        self.sums.zero_()
        sums = dict(zip(STAT_NAMES, host[:-1]))
        if not self.with_property:
            del sums["property"]
        return sums, int(host[-1])


@dataclass
class _Graph:
    graph: torch.cuda.CUDAGraph
    ids: Tensor
    lengths: Tensor
    props: Tensor | None
    conds: Tensor | None

    def load(self, ids: Tensor, lengths: Tensor, props: Tensor | None,
             conds: Tensor | None) -> None:
        """Copy a batch into the graph's input tensors (``ids`` padded with zeros)."""
        self.ids[:, :ids.shape[1]].copy_(ids, non_blocking=True)
        self.ids[:, ids.shape[1]:].zero_()
        self.lengths.copy_(lengths, non_blocking=True)
        if props is not None:
            self.props.copy_(props, non_blocking=True)
        if conds is not None:
            self.conds.copy_(conds, non_blocking=True)


@dataclass
class TrainStep:
    """Callable as ``step(ids, lengths, props, conds, step=i, total_steps=n)`` → ``(lr, beta)``.

    ``graphs``: capture and replay CUDA graphs (needs an optimizer from
    ``make_optimizer(..., capturable=True)``; the first step of a fresh run is eager, since
    AdamW creates its state there). Losses accumulate in :attr:`stats`.
    """

    net: torch.nn.Module
    optimizer: torch.optim.Optimizer
    cfg: TrainConfig
    device: torch.device
    mm_dtype: torch.dtype
    generator: torch.Generator
    graphs: bool = False
    stats: StepStats = field(init=False)
    _graphs: dict[tuple[int, ...], _Graph] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        model = getattr(self.net, "module", self.net)
        self.stats = StepStats(self.device, model.property_head is not None)
        self.params = [p for group in self.optimizer.param_groups for p in group["params"]]
        self.max_norm = self.cfg.grad_clip if self.cfg.grad_clip > 0 else math.inf
        self.beta = torch.zeros((), dtype=torch.float32, device=self.device)
        self._pool = torch.cuda.graph_pool_handle() if self.graphs else None
        self._failed = False
        self._captured_at: tuple[int, ...] = ()

    @classmethod
    def create(cls, net: torch.nn.Module, cfg: TrainConfig, device: torch.device,
               mm_dtype: torch.dtype, generator: torch.Generator, *,
               distributed: bool = False) -> TrainStep:
        """The step as training runs it: CUDA graphs where ``cfg.cuda_graphs`` asks for them and
        :func:`graphs_supported` allows them, with the optimizer that this needs."""
        model = getattr(net, "module", net)
        graphs = cfg.cuda_graphs and graphs_supported(model, device, distributed=distributed)
        return cls(net, make_optimizer(model, cfg, capturable=graphs), cfg, device, mm_dtype,
                   generator, graphs=graphs)

    def __call__(self, ids: Tensor, lengths: Tensor, props: Tensor | None, conds: Tensor | None,
                 *, step: int, total_steps: int) -> tuple[float, float]:
        cfg = self.cfg
        lr = lr_at(step, base_lr=cfg.lr, warmup_steps=cfg.lr_warmup_steps, total_steps=total_steps,
                   schedule=cfg.lr_schedule, min_lr_ratio=cfg.min_lr_ratio)
        for group in self.optimizer.param_groups:
            if isinstance(group["lr"], Tensor):
                group["lr"].fill_(lr)
            else:
                group["lr"] = lr
        beta = kl_weight(step, cfg)
        self.beta.fill_(beta)
        if self.graphs and not self._failed and self.optimizer.state:
            self._replay(ids, lengths, props, conds)
        else:
            self._body(ids, lengths, props, conds)
        return lr, beta

    @property
    def graph_count(self) -> int:
        return len(self._graphs)

    def _body(self, ids: Tensor, lengths: Tensor, props: Tensor | None,
              conds: Tensor | None) -> None:
        """The step itself: no host synchronization, so that it can be captured."""
        with autocast(self.device, self.mm_dtype):
            output = self.net(ids, lengths, conds, mm_dtype=self.mm_dtype, generator=self.generator)
        parts = vae_loss(output, ids, beta=self.beta, free_bits=self.cfg.free_bits,
                         property_targets=props, property_weight=self.cfg.property_weight)
        # graphs keep the gradient tensors where they are; eager steps free them between steps
        self.optimizer.zero_grad(set_to_none=not self.graphs)
        parts.total.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.params, self.max_norm)
        self.stats.add(parts, grad_norm)
        self.optimizer.step()

    # ------------------------------------------------------------------------- CUDA graphs

    def _replay(self, ids: Tensor, lengths: Tensor, props: Tensor | None,
                conds: Tensor | None) -> None:
        addresses = self._addresses()
        if addresses != self._captured_at:
            # a graph reads and writes fixed addresses: moving a parameter, a gradient or the
            # optimizer state (module.to() re-flattens GRU weights into new memory; MolVAE, as
            # validation builds it, skips the move for a model already on its device) calls for
            # new graphs, in a new memory pool (the old one goes with the old graphs)
            if self._graphs:
                self._graphs.clear()
                self._pool = torch.cuda.graph_pool_handle()
            self._captured_at = addresses
        width = -(-ids.shape[1] // GRAPH_WIDTH_MULTIPLE) * GRAPH_WIDTH_MULTIPLE
        key = (ids.shape[0], width, props is not None, conds is not None)
        entry = self._graphs.get(key)
        if entry is None:
            if len(self._graphs) >= MAX_GRAPHS:
                self._body(ids, lengths, props, conds)
                return
            self._capture(key, ids, lengths, props, conds)  # runs this step too
            return
        entry.load(ids, lengths, props, conds)
        entry.graph.replay()

    def _capture(self, key: tuple[int, ...], ids: Tensor, lengths: Tensor, props: Tensor | None,
                 conds: Tensor | None) -> None:
        """Capture the step for one batch shape and run it. A warm-up run on a side stream lets
        cuDNN and cuBLAS pick their kernels; the parameters, optimizer state, statistics and
        random generator are restored after it, so capturing changes no result. When the
        capture fails, this step and all later ones run eagerly."""
        batch, width = key[0], key[1]
        entry = _Graph(graph=torch.cuda.CUDAGraph(),
                       ids=torch.zeros(batch, width, dtype=ids.dtype, device=self.device),
                       lengths=torch.zeros(batch, dtype=torch.long, device=self.device),
                       props=None if props is None else torch.empty_like(props, device=self.device),
                       conds=None if conds is None else torch.empty_like(conds, device=self.device))
        entry.load(ids, lengths, props, conds)
        args = (entry.ids, entry.lengths, entry.props, entry.conds)
        saved = self._snapshot()
        try:
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side):
                self._body(*args)
            torch.cuda.current_stream(self.device).wait_stream(side)
            self._restore(saved)
            register = getattr(entry.graph, "register_generator_state", None)
            if register is not None:  # the dropout and z noise come from this generator
                register(self.generator)
            with torch.cuda.graph(entry.graph, pool=self._pool):
                self._body(*args)
        except RuntimeError as exc:
            torch.cuda.synchronize(self.device)
            self._restore(saved, generator=False)
            # the generator may still count itself part of the failed graph: continue with a
            # fresh one in the same state (training checkpoints `self.generator`)
            self.generator = torch.Generator(device=self.device)
            self.generator.set_state(saved[1])
            self._failed = True
            logger.warning("CUDA graph capture failed (%s); training continues without graphs "
                           "(train.cuda_graphs: false avoids the attempt)",
                           str(exc).splitlines()[0])
            self._body(*args)
            return
        self._graphs[key] = entry
        self._captured_at = self._addresses()
        entry.graph.replay()

    def _addresses(self) -> tuple[int, ...]:
        grads = [p.grad for p in self.params if p.grad is not None]
        return tuple(t.data_ptr() for t in self._state_tensors() + grads)

    def _state_tensors(self) -> list[Tensor]:
        tensors = [p.detach() for p in self.params]
        for state in self.optimizer.state.values():
            tensors.extend(v for v in state.values() if isinstance(v, Tensor))
        tensors.append(self.stats.sums)
        return tensors

    def _snapshot(self) -> tuple[list[Tensor], Tensor]:
        return [t.clone() for t in self._state_tensors()], self.generator.get_state()

    def _restore(self, saved: tuple[list[Tensor], Tensor], *, generator: bool = True) -> None:
        copies, rng = saved
        with torch.no_grad():
            for tensor, copy in zip(self._state_tensors(), copies):
                tensor.copy_(copy)
        if generator:
            self.generator.set_state(rng)
