"""The learned prior over z: a small latent diffusion model fitted to where the data's codes lie.

A VAE whose decoder must spell molecules back exactly keeps its codes far apart (KL ≈ 90 nats for
the shipped model): the encoder means of the training molecules fill a thin, uneven part of the
latent space, and N(0, I) puts most of its mass between them, where the decoder writes molecules
unlike any it was trained on. :class:`DiffusionPrior` learns the distribution of the encoder means
instead (a denoising diffusion model, an MLP predicting the velocity, as in latent diffusion), so
that :meth:`MolVAE.sample <molvae.vae.MolVAE.sample>` draws new codes where the data's codes lie.
It is fitted after training (:func:`fit_prior`), saved inside the checkpoint
(``prior.safetensors``) and loaded with the model.

Its :meth:`~DiffusionPrior.score` (the gradient of the log density, read from the denoiser at a
small noise level) is the optimizer's pull back toward the data, in place of the N(0, I)
penalty's ``-z``.

>>> import torch
>>> codes = torch.randn(256, 4) * torch.tensor([1.0, 2.0, 0.5, 1.0]) + 3.0
>>> prior = fit_prior(codes, PriorConfig(hidden=32, blocks=1, epochs=2, batch_size=64))
>>> prior.sample(5, generator=torch.Generator().manual_seed(0)).shape
torch.Size([5, 4])
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import asdict, dataclass, fields
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor, nn

from molvae.errors import CheckpointError, ConfigError
from molvae.files import atomic_write

if TYPE_CHECKING:
    from molvae.vae import MolVAE

__all__ = ["PriorConfig", "DiffusionPrior", "fit_prior", "fit_model_prior", "PRIOR_FILE"]

logger = logging.getLogger(__name__)

#: The prior's file inside a checkpoint folder.
PRIOR_FILE = "prior.safetensors"
_FORMAT = "molvae.prior"


@dataclass(frozen=True)
class PriorConfig:
    """The denoiser's size, its noise schedule and how it is fitted.

    ``hidden`` × ``blocks``: width and number of residual MLP blocks; ``timesteps``: noise levels
    of the (cosine) schedule; ``sample_steps``: deterministic DDIM steps per draw (more: closer to
    the learned distribution, slower; fewer sharpen the draws toward where codes are dense: with
    the shipped model, 10 steps gave samples closer to ZINC250k than 50 on FCD, Filters, Scaf and
    SA, at five times less cost, see BENCHMARKS.md); ``epochs``, ``batch_size``, ``lr``: AdamW on the codes, with
    a cosine-decayed rate; ``seed``: initialization and batch order.
    """

    hidden: int = 256
    blocks: int = 4
    timesteps: int = 1000
    sample_steps: int = 10
    epochs: int = 40
    batch_size: int = 1024
    lr: float = 1e-3
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("hidden", "blocks", "timesteps", "sample_steps", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"prior {name} must be at least 1, got {getattr(self, name)}")
        if self.sample_steps > self.timesteps:
            raise ConfigError(f"prior sample_steps ({self.sample_steps}) cannot exceed timesteps "
                              f"({self.timesteps})")
        if not self.lr > 0:
            raise ConfigError(f"prior lr must be positive, got {self.lr}")


def _alpha_bar(timesteps: int) -> Tensor:
    """ᾱ_t of the cosine schedule (Nichol & Dhariwal 2021) for t = 1 … timesteps, float64."""
    s = 0.008
    steps = torch.arange(timesteps + 1, dtype=torch.float64) / timesteps
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    alpha_bar = f / f[0]
    betas = (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=0.999)
    return torch.cumprod(1 - betas, dim=0)


class _Block(nn.Module):
    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(hidden)
        self.time = nn.Linear(hidden, hidden)
        self.fc1 = nn.Linear(hidden, 2 * hidden)
        self.fc2 = nn.Linear(2 * hidden, hidden)

    def forward(self, h: Tensor, t_emb: Tensor) -> Tensor:
        x = self.norm(h) + self.time(t_emb)
        return h + self.fc2(nn.functional.silu(self.fc1(x)))


class DiffusionPrior(nn.Module):
    """A denoising diffusion model of latent codes (v-prediction, cosine schedule, DDIM sampling).

    Codes are standardized per dimension with the fitted codes' mean and std (kept as buffers),
    so the model works in a space where the data has unit scale.
    """

    def __init__(self, latent_dim: int, config: PriorConfig = PriorConfig()) -> None:
        super().__init__()
        self.latent_dim, self.config = latent_dim, config
        hidden = config.hidden
        self.register_buffer("mean", torch.zeros(latent_dim))
        self.register_buffer("std", torch.ones(latent_dim))
        self.register_buffer("alpha_bar", _alpha_bar(config.timesteps).float())
        self.inp = nn.Linear(latent_dim, hidden)
        self.time_mlp = nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.blocks = nn.ModuleList(_Block(hidden) for _ in range(config.blocks))
        self.out_norm = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, latent_dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def _time_embedding(self, t: Tensor) -> Tensor:
        half = self.config.hidden // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device) / half)
        angles = t.float()[:, None] * freqs[None, :]
        emb = torch.cat([angles.sin(), angles.cos()], dim=1)
        if emb.shape[1] < self.config.hidden:
            emb = nn.functional.pad(emb, (0, self.config.hidden - emb.shape[1]))
        return self.time_mlp(emb)

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        """The predicted velocity ``v = √ᾱ·ε − √(1−ᾱ)·x0`` of standardized noisy codes ``x`` at
        integer noise levels ``t`` (0-based). Predicting v rather than ε keeps both ends of the
        schedule well posed (Salimans & Ho 2022): x0 and ε are read from it at any noise level."""
        t_emb = self._time_embedding(t)
        h = self.inp(x)
        for block in self.blocks:
            h = block(h, t_emb)
        return self.out(self.out_norm(h))

    def loss(self, z: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Mean squared error of the predicted velocity at random noise levels (codes ``z``
        raw)."""
        x0 = (z - self.mean) / self.std
        t = torch.randint(0, self.config.timesteps, (z.shape[0],), generator=generator,
                          device=z.device)
        noise = torch.randn(x0.shape, generator=generator, device=z.device)
        a = self.alpha_bar[t][:, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        target = a.sqrt() * noise - (1 - a).sqrt() * x0
        return nn.functional.mse_loss(self(xt, t), target)

    @torch.inference_mode()
    def sample(self, n: int, *, generator: torch.Generator | None = None,
               steps: int | None = None, batch_size: int = 4096) -> Tensor:
        """``n`` codes (n, latent_dim), float32, by deterministic DDIM from Gaussian noise drawn
        with ``generator`` (``steps`` defaults to the config's ``sample_steps``)."""
        steps = self.config.sample_steps if steps is None else steps
        if not 1 <= steps <= self.config.timesteps:
            raise ConfigError(f"steps must be between 1 and {self.config.timesteps}, got {steps}")
        device = self.mean.device
        schedule = torch.linspace(self.config.timesteps - 1, 0, steps, device=device).round().long()
        out = []
        for start in range(0, n, batch_size):
            size = min(batch_size, n - start)
            x = torch.randn(size, self.latent_dim, generator=generator, device=device)
            out.append(self._ddim(x, schedule) * self.std + self.mean)
        if not out:
            return torch.zeros(0, self.latent_dim, device=device)
        return torch.cat(out).float()

    @torch.inference_mode()
    def refine(self, z: Tensor, *, noise: float, generator: torch.Generator | None = None,
               steps: int | None = None) -> Tensor:
        """Points near ``z`` moved onto the learned distribution (SDEdit, Meng et al. 2022):
        each code is noised to the level where the noise is ``noise`` times its size (in
        standardized units, so ``noise`` 0.5 is about a radius of 0.5 per dimension for codes of
        unit scale) and denoised back by DDIM. ``noise`` 0 returns ``z`` unchanged."""
        if noise < 0 or noise != noise:
            raise ConfigError(f"noise must be 0 or more, got {noise}")
        if noise == 0 or z.shape[0] == 0:
            return z.float().clone()
        device = self.mean.device
        ratio = (1 - self.alpha_bar) / self.alpha_bar  # (noise / signal)² at each level
        start = int(torch.searchsorted(ratio, torch.tensor(noise ** 2, device=device)).clamp(
            max=self.config.timesteps - 1))
        steps = self.config.sample_steps if steps is None else steps
        count = max(1, round(steps * (start + 1) / self.config.timesteps))
        schedule = torch.linspace(start, 0, count + 1, device=device).round().long().unique_consecutive()
        x0 = (z.to(device).float() - self.mean) / self.std
        a = self.alpha_bar[schedule[0]]
        x = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn(x0.shape, generator=generator, device=device)
        return self._ddim(x, schedule) * self.std + self.mean

    def _ddim(self, x: Tensor, schedule: Tensor) -> Tensor:
        """Deterministic DDIM from standardized noisy codes ``x`` at level ``schedule[0]`` down
        the levels of ``schedule`` (decreasing); returns the standardized clean codes."""
        for i, t in enumerate(schedule):
            a = self.alpha_bar[t]
            v = self(x, t.expand(x.shape[0]))
            x0 = a.sqrt() * x - (1 - a).sqrt() * v
            if i + 1 == len(schedule):
                return x0
            eps = (1 - a).sqrt() * x + a.sqrt() * v
            a_next = self.alpha_bar[schedule[i + 1]]
            x = a_next.sqrt() * x0 + (1 - a_next).sqrt() * eps
        return x

    def score(self, z: Tensor, *, level: int = 20) -> Tensor:
        """∇_z log p(z), read from the denoiser at the small noise level ``level`` (of
        ``timesteps``): ``-ε̂ / (√(1−ᾱ_t) · std)``. Differentiable in the denoiser's weights only; the
        result is a plain tensor to add to a gradient."""
        with torch.no_grad():
            x = (z - self.mean) / self.std
            t = torch.full((z.shape[0],), min(level, self.config.timesteps - 1), device=z.device,
                           dtype=torch.long)
            a = self.alpha_bar[t][:, None]
            eps = (1 - a).sqrt() * x + a.sqrt() * self(x, t)
            return -eps / (1 - a).sqrt() / self.std

    # ------------------------------------------------------------------ persistence

    def to_bytes(self, dtype: torch.dtype = torch.float32) -> bytes:
        """The prior as the bytes of one safetensors file (weights + config in its header);
        ``dtype`` float16 halves the weights (the schedule and the standardization stay float32,
        and everything is float32 again once loaded)."""
        from safetensors.torch import save

        weights = {name for name, _ in self.named_parameters()}
        tensors = {k: (v.to(dtype) if k in weights else v).detach().cpu().contiguous()
                   for k, v in self.state_dict().items()}
        meta = {"format": _FORMAT, "latent_dim": str(self.latent_dim),
                "config": json.dumps(asdict(self.config))}
        return save(tensors, metadata=meta)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_bytes` to ``path`` atomically."""
        content = self.to_bytes()
        return atomic_write(Path(path), lambda tmp: Path(tmp).write_bytes(content))

    @classmethod
    def find(cls, checkpoint: str | os.PathLike[str], *, device: str | torch.device = "cpu"
             ) -> DiffusionPrior | None:
        """The prior stored with a checkpoint (``prior.safetensors`` in its folder, or
        ``NAME.prior.safetensors`` beside a single-file one), or None."""
        path = Path(checkpoint)
        path = path / PRIOR_FILE if path.is_dir() else path.with_suffix(".prior.safetensors")
        return cls.load(path, device=device) if path.is_file() else None

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, device: str | torch.device = "cpu"
             ) -> DiffusionPrior:
        """A prior written by :meth:`save`; nothing in the file is executed."""
        from safetensors import safe_open
        from safetensors.torch import load_file

        path = Path(path)
        try:
            with safe_open(str(path), framework="pt") as handle:
                meta = handle.metadata() or {}
            if meta.get("format") != _FORMAT:
                raise CheckpointError(f"{str(path)!r} is not a molvae prior (format "
                                      f"{meta.get('format')!r})")
            known = {f.name for f in fields(PriorConfig)}
            config = PriorConfig(**{k: v for k, v in json.loads(meta["config"]).items()
                                    if k in known})
            prior = cls(int(meta["latent_dim"]), config)
            prior.load_state_dict(load_file(str(path)), strict=True)
        except (OSError, KeyError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"cannot read the prior {str(path)!r}: {exc}; refit it with "
                                  "`molvae prior fit`") from exc
        return prior.to(device).eval()


def fit_prior(codes: Tensor | np.ndarray, config: PriorConfig = PriorConfig(), *,
              device: str | torch.device = "cpu", progress: bool = False) -> DiffusionPrior:
    """A :class:`DiffusionPrior` fitted to latent codes (n, latent_dim), e.g. the encoder means
    of a model's training molecules. Seeded by ``config.seed``; never touches global RNG state."""
    codes = torch.as_tensor(np.asarray(codes, dtype=np.float32)) if not isinstance(codes, Tensor) \
        else codes.float()
    if codes.dim() != 2 or codes.shape[0] < 2:
        raise ConfigError(f"fit_prior needs at least two codes of shape (n, latent_dim), got "
                          f"{tuple(codes.shape)}")
    if not torch.isfinite(codes).all():
        raise ConfigError("fit_prior got NaN or infinite codes; drop the molecules the model "
                          "could not encode")
    generator = torch.Generator().manual_seed(config.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)  # the initialization, inside a forked RNG state
        prior = DiffusionPrior(codes.shape[1], config)
    prior.mean.copy_(codes.mean(0))
    prior.std.copy_(codes.std(0).clamp_min(1e-4))
    prior = prior.to(device).train()
    codes = codes.to(device)
    n = codes.shape[0]
    per_epoch = math.ceil(n / config.batch_size)
    total = config.epochs * per_epoch
    optimizer = torch.optim.AdamW(prior.parameters(), lr=config.lr, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(step, total) / total)))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="fitting the prior", unit="step")
    device_gen = generator if codes.device.type == "cpu" else \
        torch.Generator(device=codes.device).manual_seed(config.seed)
    for epoch in range(config.epochs):
        order = torch.randperm(n, generator=generator).to(codes.device)
        running = 0.0
        for start in range(0, n, config.batch_size):
            loss = prior.loss(codes[order[start:start + config.batch_size]], generator=device_gen)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            running += float(loss.detach())
            if bar is not None:
                bar.update(1)
        logger.info("prior epoch %d/%d: loss %.4f", epoch + 1, config.epochs, running / per_epoch)
    if bar is not None:
        bar.close()
    return prior.eval()


def fit_model_prior(vae: MolVAE, molecules: Sequence[str] | None = None,
                    config: PriorConfig = PriorConfig(), *, batch_size: int = 2000,
                    progress: bool = False) -> DiffusionPrior:
    """A :class:`DiffusionPrior` of ``vae``'s codes: the encoder means of ``molecules`` (None:
    the model's own training split, re-derived from its checkpoint). Molecules the model cannot
    encode are skipped and counted in the log. Assign it (``vae.prior = ...``) and save the model
    to ship it."""
    if molecules is None:
        from molvae.data import checkpoint_splits

        molecules = checkpoint_splits(vae.metadata).train["smiles"].tolist()
    codes = vae.encode(list(molecules), on_invalid="nan", batch_size=batch_size)
    ok = ~np.isnan(codes).any(axis=1)
    if (~ok).any():
        logger.info("prior: %d of %d molecules could not be encoded and were skipped",
                    int((~ok).sum()), len(codes))
    logger.info("prior: fitting a latent diffusion model to %d codes", int(ok.sum()))
    return fit_prior(codes[ok], config, device=vae.device, progress=progress)
