"""``LookupVAE``: a stand-in for a trained model with a known, exact latent geometry.

Each molecule of a small library sits at a fixed point of a low-dimensional latent space whose
first two axes are its standardized logP and heavy-atom count (the rest random), and z decodes
to the nearest library molecule (as a random, non-canonical SMILES; every 17th point decodes to
an invalid string). It has the interface the optimizer and the latent-space helpers use
(``encode``, ``decode``, ``decode_raw``, ``latent_dim``, ``model``, ``metadata``). Unlike the
session's tiny trained model, whose decodes are almost never valid, it yields real molecules,
so rules about results are tested on non-empty results.
"""

from __future__ import annotations

import numpy as np
import torch
from rdkit import Chem

from molvae.chemistry import canonicalize, canonicalize_many, compute_properties


class LookupVAE:
    """z → the nearest library molecule; library molecules → their point (see module docstring)."""

    def __init__(self, smiles: list[str], *, dim: int = 6, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.smiles = [canonicalize(s) for s in smiles]
        table = compute_properties(self.smiles, ["logp", "heavy_atoms"])
        axes = (table - table.mean()) / table.std()
        self.points = np.concatenate([axes.to_numpy(), rng.standard_normal((len(smiles), dim - 2))],
                                     axis=1).astype(np.float32)
        self.raws = []
        for i, s in enumerate(self.smiles):  # what each point decodes to, as the decoder writes it
            mol = Chem.MolFromSmiles(s)
            self.raws.append("C1CC(" if i % 17 == 5 else Chem.MolToSmiles(mol, doRandom=True))
        self.index = {s: i for i, s in enumerate(self.smiles)}
        self.latent_dim = dim
        self.model = torch.nn.Linear(dim, 1)  # predictors fingerprint the model's weights
        self.metadata: dict = {}
        self.decoded = 0

    def encode(self, molecules, *, on_invalid: str = "raise", **_) -> np.ndarray:
        out = np.full((len(molecules), self.latent_dim), np.nan, dtype=np.float32)
        for row, s in enumerate(molecules):
            mol = Chem.MolFromSmiles(s) if isinstance(s, str) else None
            index = self.index.get(Chem.MolToSmiles(mol)) if mol is not None else None
            if index is not None:
                out[row] = self.points[index]
        return out

    def decode_raw(self, z, *, greedy: bool = True, temperature: float = 1.0,
                   seed: int | None = None, batch_size: int = 1000, **_) -> list[str]:
        """The nearest library molecule; sampled (``greedy=False``): one of the 8 nearest, with
        probability ∝ exp(−distance² / temperature), seeded."""
        z = np.asarray(z, dtype=np.float32)
        self.decoded += len(z)
        distances = ((z[:, None, :] - self.points[None, :, :]) ** 2).sum(-1)
        if greedy:
            return [self.raws[j] for j in distances.argmin(1)]
        rng = np.random.default_rng(seed)
        nearest = np.argsort(distances, axis=1)[:, :8]
        logits = -np.take_along_axis(distances, nearest, axis=1) / temperature
        probs = np.exp(logits - logits.max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        picks = [rng.choice(8, p=row) for row in probs]
        return [self.raws[nearest[i, k]] for i, k in enumerate(picks)]

    def decode(self, z, **kwargs) -> list[str | None]:
        return canonicalize_many(self.decode_raw(z, **kwargs))
