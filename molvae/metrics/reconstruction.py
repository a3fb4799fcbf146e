"""Reconstruction accuracy: how often a model gives back the molecule it was given.

>>> result = reconstruction_accuracy(lambda batch: list(batch), ["CCO", "OCC", "C1CC"])
>>> result.accuracy, result.n_molecules, result.n_invalid_inputs
(1.0, 2, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from molvae.chemistry import canonicalize_many
from molvae.errors import MolvaeError

__all__ = ["Reconstruction", "reconstruction_accuracy"]

Reconstruct = Callable[[list[str]], Sequence["str | None"]]


@dataclass(frozen=True)
class Reconstruction:
    """Share of (molecule, trial) pairs reconstructed exactly, and of valid reconstructions."""

    accuracy: float  # reconstruction has the input's canonical SMILES (stereo, charges included)
    valid: float  # reconstruction is a valid molecule
    n_molecules: int  # valid inputs used
    n_trials: int
    n_invalid_inputs: int  # inputs RDKit rejects: not passed to the model


def reconstruction_accuracy(reconstruct: Reconstruct, smiles: Sequence[str], *,
                            n_trials: int = 1, n_jobs: int | None = None) -> Reconstruction:
    """Call ``reconstruct`` (e.g. ``vae.reconstruct``: a list of SMILES in, one SMILES or ``None``
    out per input) ``n_trials`` times on the valid inputs and compare canonical SMILES.

    A stochastic model (sampled latent, sampled decoding) gives a different answer per trial; the
    accuracy is the mean over molecules and trials, as in the JT-VAE and CVAE papers.
    """
    if isinstance(smiles, str):
        raise TypeError("pass a list of SMILES, not a single string")
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    inputs = list(smiles)
    canonical = canonicalize_many(inputs, n_jobs=n_jobs)
    kept = [(s, c) for s, c in zip(inputs, canonical) if c is not None]
    if not kept:
        raise MolvaeError(f"none of the {len(inputs)} input SMILES is a valid molecule; "
                          "reconstruction accuracy needs valid inputs")
    batch = [s for s, _ in kept]
    exact = valid = 0
    for _ in range(n_trials):
        outputs = list(reconstruct(list(batch)))
        if len(outputs) != len(batch):
            raise MolvaeError(f"reconstruct returned {len(outputs)} molecules for {len(batch)} "
                              "inputs; it must return one (or None) per input")
        decoded = canonicalize_many([o if isinstance(o, str) else "" for o in outputs],
                                    n_jobs=n_jobs)
        valid += sum(d is not None for d in decoded)
        exact += sum(d is not None and d == c for d, (_, c) in zip(decoded, kept))
    total = len(kept) * n_trials
    return Reconstruction(accuracy=exact / total, valid=valid / total, n_molecules=len(kept),
                          n_trials=n_trials, n_invalid_inputs=len(inputs) - len(kept))
