"""Conditions of a conditional model: the standardized property values the decoder is given.

Asked for by the user (``sample(conditions={"logp": 3.0})``: one value or one per molecule),
drawn from the training marginal when not asked for, or computed from the molecules themselves
when encoding them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from molvae.errors import UnknownPropertyError

__all__ = ["condition_tensor", "own_conditions"]

Stats = Mapping[str, tuple[float, float]]


def condition_tensor(names: Sequence[str], stats: Stats,
                     conditions: Mapping[str, float | Sequence[float]] | None, n: int,
                     generator: torch.Generator, device: torch.device) -> Tensor | None:
    """(n, len(names)) standardized conditions: the values asked for, a standard normal draw
    (the training marginal, standardized) for the others; None for an unconditional model."""
    if not names:
        if conditions:
            raise UnknownPropertyError(
                f"this model is not conditional (model.conditions is empty); train with "
                f"`conditions: [{', '.join(conditions)}]` to sample at property targets")
        return None
    conditions = dict(conditions or {})
    unknown = [k for k in conditions if k not in names]
    if unknown:
        raise UnknownPropertyError(f"this model is conditioned on {list(names)}, not "
                                   f"{unknown[0]!r}")
    columns = []
    for name in names:
        if name in conditions:
            value = torch.as_tensor(np.asarray(conditions[name], dtype=np.float32))
            if value.dim() == 0:
                value = value.expand(n)
            elif value.shape != (n,):
                raise ValueError(f"condition {name!r} needs one value or {n}, got "
                                 f"{tuple(value.shape)}")
            mean, std = stats[name]
            columns.append(((value - mean) / std).to(device))
        else:  # standardized values: a standard normal approximates the training marginal
            columns.append(torch.randn(n, generator=generator, device=device))
    return torch.stack(columns, dim=1)


def own_conditions(smiles: Sequence[str], names: Sequence[str], stats: Stats,
                   device: torch.device) -> Tensor:
    """(len(smiles), len(names)) standardized conditions computed from the molecules themselves
    (0, the mean, where a property cannot be computed)."""
    from molvae.chemistry import compute_properties

    table = compute_properties(list(smiles), list(names))
    columns = []
    for name in names:
        mean, std = stats[name]
        values = (table[name].to_numpy(dtype=np.float32) - mean) / std
        columns.append(np.nan_to_num(values, nan=0.0))
    return torch.as_tensor(np.stack(columns, axis=1), device=device)
