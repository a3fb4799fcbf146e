"""The model contract: what the optimizer and the latent-space predictors need of a model.

:class:`~molvae.vae.MolVAE` satisfies it; so can any object with these members (the tests' exact
lookup model does), which is how the optimizer is tested against a latent space whose geometry is
known. Optional members are read with ``getattr``: ``prior`` (a learned prior over z, None for
N(0, I)) and ``training_set`` (what the model remembers of its training data).

>>> from molvae.latent_model import LatentModel
>>> isinstance(object(), LatentModel)
False
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

__all__ = ["LatentModel"]


@runtime_checkable
class LatentModel(Protocol):
    """A model with a latent space: molecules to points (``encode``) and back (``decode_raw``).

    ``latent_dim``: the dimension of z. ``model``: the network whose weights fingerprint the
    latent space (a predictor fitted on one model's z refuses another's). ``metadata``: what the
    checkpoint says of its training (the dataset, for novelty and predictor fitting).
    ``encode(molecules, on_invalid="nan")`` gives NaN rows for molecules it cannot encode;
    ``decode_raw(z, greedy=..., temperature=..., seed=..., batch_size=...)`` gives the decoder's
    strings (None where it wrote none), sampled at ``temperature`` unless ``greedy``.
    """

    latent_dim: int
    model: torch.nn.Module
    metadata: Mapping[str, Any]

    def encode(self, molecules: Sequence[Any], *, on_invalid: str = "raise") -> np.ndarray:
        ...

    def decode_raw(self, z: Any, *, greedy: bool = True, temperature: float = 1.0,
                   seed: int | None = None, batch_size: int = 1000) -> list[str | None]:
        ...
