"""Per-molecule likelihood scores under a trained VAE, for anomaly and applicability checks.

>>> import molvae as mv
>>> vae = mv.MolVAE.load("zinc")                                        # doctest: +SKIP
>>> vae.score(["CCO", "c1ccccc1O", "C" * 60])                            # doctest: +SKIP

For each molecule (its canonical SMILES, as the model was trained on):

- ``reconstruction_nll``: −log p(x | z), the decoder's negative log-likelihood of the molecule's
  exact token string, teacher-forced, in nats;
- ``kl``: KL(q(z | x) ‖ N(0, I)), how far its code lies from the prior;
- ``neg_elbo``: their sum, an upper bound on −log p(x). High values flag molecules unlike the
  training data: the model's applicability domain ends there;
- ``reconstruction_prob``: exp(−reconstruction_nll), the probability that the decoder writes
  the molecule back exactly from its code;
- ``nll_per_token``: reconstruction_nll over the number of tokens, which does not grow with size.

``samples=0`` (default) decodes from z = μ, deterministic; ``samples=k`` averages the
reconstruction term over k draws z ~ q(z | x) (the ELBO's Monte Carlo estimate), seeded.
Molecules that cannot be scored (unparsable, unknown token, too long) keep their row with NaN
scores and the reason in ``error``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from molvae.errors import ConfigError
from molvae.devices import autocast
from molvae.conditioning import own_conditions
from molvae.model import PAD_ID
from molvae.model_inputs import prepare_inputs

if TYPE_CHECKING:
    from molvae.vae import MolVAE

__all__ = ["score_molecules", "SCORE_COLUMNS"]

SCORE_COLUMNS = ("neg_elbo", "reconstruction_nll", "kl", "reconstruction_prob", "nll_per_token")


def score_molecules(vae: MolVAE, molecules: Sequence[Any], *, samples: int = 0,
                    seed: int | None = 0, batch_size: int = 500) -> pd.DataFrame:
    """Columns ``input``, ``smiles``, the :data:`SCORE_COLUMNS`, ``tokens`` and ``error``, one
    row per input in input order."""
    if samples < 0:
        raise ConfigError(f"samples must be 0 (use the mean code) or positive, got {samples}")
    items = [molecules] if isinstance(molecules, str) else list(molecules)
    smiles, bad = prepare_inputs(items, on_invalid="nan")
    kept = [i for i in range(len(items)) if i not in bad]
    encoded = vae.tokenizer.encode_batch([smiles[i] for i in kept], max_length=vae.config.max_length)
    for reject in encoded.rejects:
        bad[kept[reject.index]] = reject.reason
    kept = [kept[i] for i in encoded.indices]

    n = len(items)
    columns = {name: np.full(n, np.nan) for name in SCORE_COLUMNS}
    tokens = np.full(n, -1, dtype=np.int64)
    if kept:
        recon, kl = _score_encoded(vae, encoded.ids, encoded.lengths,
                                   [smiles[i] for i in kept], samples=samples, seed=seed,
                                   batch_size=batch_size)
        count = (encoded.lengths - 1).numpy()  # predicted tokens: everything after the start
        columns["reconstruction_nll"][kept] = recon
        columns["kl"][kept] = kl
        columns["neg_elbo"][kept] = recon + kl
        columns["reconstruction_prob"][kept] = np.exp(-recon)
        columns["nll_per_token"][kept] = recon / count
        tokens[kept] = count
    return pd.DataFrame({
        "input": [item if isinstance(item, str) else smiles[i] for i, item in enumerate(items)],
        "smiles": [None if i in bad else smiles[i] for i in range(n)],
        **columns,
        "tokens": pd.array([t if t >= 0 else None for t in tokens], dtype="Int64"),
        "error": [bad.get(i) for i in range(n)],
    })


def _score_encoded(vae: MolVAE, ids: torch.Tensor, lengths: torch.Tensor, smiles: list[str], *,
                   samples: int, seed: int | None,
                   batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    model = vae.model
    generator = vae._generator(seed)
    conditions = own_conditions(smiles, vae.condition_names, vae.condition_stats, vae.device) \
        if vae.condition_names else None
    recon_parts, kl_parts = [], []
    model.eval()
    with torch.inference_mode(), autocast(vae.device, vae.mm_dtype):
        for start in range(0, ids.shape[0], batch_size):
            sl = slice(start, start + batch_size)
            batch = ids[sl].to(vae.device).long()
            batch_lengths = lengths[sl]
            cond = conditions[sl] if conditions is not None else None
            draws = []
            for _ in range(max(1, samples)):
                out = model(batch, batch_lengths, cond, sample=samples > 0, mm_dtype=vae.mm_dtype,
                            generator=generator)
                ce = F.cross_entropy(out.logits.float().transpose(1, 2), batch[:, 1:],
                                     ignore_index=PAD_ID, reduction="none")
                draws.append(ce.sum(1))
            mu, logvar = out.mu.float(), out.logvar.float()
            kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)
            recon_parts.append(torch.stack(draws).mean(0).cpu())
            kl_parts.append(kl.cpu())
    return (torch.cat(recon_parts).double().numpy(), torch.cat(kl_parts).double().numpy())
