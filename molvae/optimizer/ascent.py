"""Gradient ascent on z: Adam climbs the predictor's score, pulled back toward the prior."""

from __future__ import annotations

import numpy as np
import torch

from molvae.errors import MolvaeError
from molvae.objectives import Objective
from molvae.predictor import Adam, LatentPredictor
from molvae.prior import DiffusionPrior
from molvae.progress import shown, track

__all__ = ["ascend"]

_ASCENT_PROGRESS_MIN = 20_000  # trajectory-steps: below this the ascent takes a second or two


def ascend(predictor: LatentPredictor, z0: np.ndarray | torch.Tensor, *, objective: Objective,
           steps: int = 100, lr: float = 0.05, prior_weight: float = 0.1,
           decode_every: int = 10, exploration: float = 0.0, max_norm: float | None = None,
           prior: DiffusionPrior | None = None,
           ) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
    """Adam on ``z`` maximizing ``score(mean + exploration·std) + prior_weight·log p(z)``.

    ``prior`` None: p is N(0, I), so the pull is ``−prior_weight·z`` (the penalty
    ``prior_weight·‖z‖²/2``). A learned :class:`~molvae.prior.DiffusionPrior`: its
    :meth:`~molvae.prior.DiffusionPrior.score` (∇ log p, read from the denoiser) pulls z back
    toward where the training molecules' codes lie instead.

    ``max_norm``: after each step, points farther than this from the origin are projected back
    onto the ball of that radius (a trust region around the prior's typical set).

    Returns ``(snapshot_steps, z, predicted, uncertainty)``: the steps at which a snapshot was
    taken (0, k, 2k, ..., steps), z at those steps (S, N, d), and the predicted score and
    ensemble std there (S, N).
    """
    if steps < 0 or decode_every < 1:
        raise MolvaeError(f"steps must be >= 0 and decode_every >= 1; got {steps}, {decode_every}")
    snapshot_steps = sorted({*range(0, steps + 1, decode_every), steps})
    z = torch.as_tensor(np.asarray(z0, dtype=np.float32) if not isinstance(z0, torch.Tensor)
                        else z0.detach().float()).clone().requires_grad_(True)
    optimizer = Adam([z], lr=lr)
    saved_z, saved_pred, saved_std = [], [], []
    for p in predictor.net.parameters():
        p.requires_grad_(False)
    try:
        for step in track(range(steps + 1), total=steps + 1, description="ascending", unit="step",
                          show=shown(z.shape[0] * steps, _ASCENT_PROGRESS_MIN)):
            with torch.enable_grad():
                members = predictor.forward(z)  # (K, N)
                mean, std = members.mean(0), members.std(0, correction=0)
                if step in snapshot_steps:
                    saved_z.append(z.detach().clone())
                    saved_pred.append(objective.score_torch(mean.detach()))
                    saved_std.append(std.detach())
                if step == steps:
                    break
                gain = objective.score_torch(mean + exploration * std if exploration else mean)
                if prior is None:
                    loss = -(gain - 0.5 * prior_weight * (z * z).sum(1)).sum()
                    grads = torch.autograd.grad(loss, [z])
                else:
                    (grad,) = torch.autograd.grad(-gain.sum(), [z])
                    grads = (grad - prior_weight * prior.score(z.detach()),)
            optimizer.step(grads)
            if max_norm is not None:
                with torch.no_grad():
                    norms = z.norm(dim=1, keepdim=True)
                    z.mul_(torch.clamp(max_norm / norms.clamp_min(1e-12), max=1.0))
    finally:
        for p in predictor.net.parameters():
            p.requires_grad_(True)
    return (snapshot_steps, torch.stack(saved_z).numpy(), torch.stack(saved_pred).numpy(),
            torch.stack(saved_std).numpy())


# --- one session: encode, propose, filter, score ---------------------------------------------
