"""Molecules in and out of a model: the canonical SMILES a model reads (as it was trained on) and
the canonical SMILES of what it decoded, each working without RDKit where it can."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from molvae.errors import InvalidMoleculeError

__all__ = ["prepare_inputs", "canonical_decodes", "canonical_or_self", "show", "as_latent"]


def prepare_inputs(items: list[Any], on_invalid: str) -> tuple[list[str], dict[int, str]]:
    """Canonical SMILES per input (as the model was trained on; ``""`` for a bad one), and the
    bad ones by position with why; ``on_invalid="raise"`` raises at the first instead."""
    smiles: list[str] = []
    bad: dict[int, str] = {}
    try:
        from molvae.chemistry import canonicalize
    except ImportError:  # no RDKit: trust the strings
        canonicalize = None
    for index, item in enumerate(items):
        try:
            if canonicalize is not None:
                smiles.append(canonicalize(item))
            elif isinstance(item, str):
                smiles.append(item)
            else:
                raise InvalidMoleculeError(f"cannot read {show(item)} without RDKit")
        except InvalidMoleculeError as exc:
            if on_invalid == "raise":
                raise InvalidMoleculeError(f"cannot encode molecule {index}: {exc}") from exc
            bad[index] = str(exc)
            smiles.append("")
    return smiles, bad


def canonical_decodes(raw: Sequence[str | None]) -> tuple[list[str | None], list[bool]]:
    """Canonical SMILES of decoded strings (None where RDKit cannot read one) and whether each
    is valid; without RDKit, the strings as decoded, unchecked."""
    try:
        from molvae.chemistry import canonicalize_many
    except ImportError:
        warnings.warn("RDKit is not installed: SMILES are returned as decoded, unchecked",
                      stacklevel=3)
        return list(raw), [s is not None for s in raw]
    present = [i for i, s in enumerate(raw) if s]
    canonical: list[str | None] = [None] * len(raw)
    for i, value in zip(present, canonicalize_many([raw[i] for i in present])):
        canonical[i] = value
    return canonical, [c is not None for c in canonical]


def canonical_or_self(item: Any) -> str:
    """:func:`molvae.chemistry.canonical_or_input`, or the string itself without RDKit."""
    try:
        from molvae.chemistry import canonical_or_input
    except ImportError:
        return item if isinstance(item, str) else ""
    return canonical_or_input(item)


def show(item: Any) -> str:
    """An input as an error message quotes it: a SMILES (cut at 80 characters) or its type."""
    if isinstance(item, str):
        return repr(item if len(item) <= 80 else item[:77] + "...")
    return f"<{type(item).__name__}>"


def as_latent(z: np.ndarray | Tensor, latent_dim: int, device: torch.device) -> Tensor:
    """``z`` as an (n, latent_dim) float32 tensor on ``device``; a one-line error for the wrong
    shape or for NaN rows (what ``encode(..., on_invalid="nan")`` gives for a bad molecule)."""
    z_t = torch.as_tensor(np.asarray(z) if not isinstance(z, Tensor) else z, dtype=torch.float32)
    if z_t.dim() == 1:
        z_t = z_t.unsqueeze(0)
    if z_t.dim() != 2 or z_t.shape[1] != latent_dim:
        raise ValueError(f"z must have shape (n, {latent_dim}), got {tuple(z_t.shape)}")
    bad = (~torch.isfinite(z_t).all(dim=1)).nonzero().flatten().tolist()
    if bad:
        raise ValueError(f"z has NaN or infinite values in {len(bad)} row(s) (first: {bad[:5]}); "
                         "encode(..., on_invalid='nan') marks molecules it could not encode "
                         "that way: drop those rows before decoding")
    return z_t.to(device)
