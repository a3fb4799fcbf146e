"""Validation after each epoch: teacher-forced loss and KL on held-out molecules, active latent
units, property R², greedy reconstruction accuracy, validity and uniqueness of prior samples."""

from __future__ import annotations

import logging
import warnings

from typing import TYPE_CHECKING

import numpy as np
import torch

from molvae.config import TrainConfig
from molvae.devices import autocast
from molvae.fitting import r_squared
from molvae.model import vae_loss
from molvae.training.encoded import Encoded

if TYPE_CHECKING:
    from molvae.vae import MolVAE

logger = logging.getLogger(__name__)


@torch.inference_mode()
def validate(vae: MolVAE, data: Encoded, cfg: TrainConfig, *, seed: int,
             prior_samples: bool = True) -> dict[str, float]:
    """Teacher-forced loss (β = target), KL, active units, property R², reconstruction accuracy,
    prior validity and uniqueness of the model ``vae`` wraps (the one being trained: training
    builds one :class:`~molvae.vae.MolVAE` around its network and passes it every epoch)."""
    model, device, mm_dtype = vae.model, vae.device, vae.mm_dtype
    model_cfg = vae.config
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
            metrics[f"r2_{name}"] = r_squared(y, p)

    try:
        import rdkit  # noqa: F401
    except ImportError:
        warnings.warn("RDKit is not installed: reconstruction accuracy, validity and uniqueness "
                      "are not measured", stacklevel=2)
        return metrics
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


def log_epoch(epoch: int, epochs: int, metrics: dict[str, float]) -> None:
    shown = ", ".join(f"{k} {v:.4g}" for k, v in metrics.items())
    logger.info("epoch %d/%d: %s", epoch + 1, epochs, shown)
