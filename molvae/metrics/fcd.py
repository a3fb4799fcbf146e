"""Fréchet ChemNet Distance (Preuer et al. 2018) with ChemNet from the ``fcd`` package.

As MOSES does, ChemNet reads RDKit canonical SMILES (padded to 350 characters); a set is
summarized by the mean and the covariance (``np.cov``, N − 1) of its 512 penultimate-layer
activations; FCD = ‖μ₁ − μ₂‖² + tr(Σ₁) + tr(Σ₂) − 2 tr((Σ₁Σ₂)^½).

The trace term is computed as Σᵢ √λᵢ of the symmetric matrix Σ₁^½ Σ₂ Σ₁^½ (it has the eigenvalues
of Σ₁Σ₂); with Σ₁^½ of a reference cached, each distance is two products and one symmetric
eigensolve, in float64, instead of a general matrix square root.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from molvae.errors import MolvaeError
from molvae.metrics.features import progress
from molvae.devices import resolve_device
from molvae.metrics.similarity import one_torch_thread, thread_map

__all__ = ["Gaussian", "chemnet_activations", "fit_gaussian", "frechet_distance"]

logger = logging.getLogger(__name__)
_BATCH = 1024
_GROUP = 8  # batches per progress step


@functools.lru_cache(maxsize=2)
def _chemnet(device: str) -> torch.nn.Module:
    try:
        import fcd
    except ImportError as err:
        raise MolvaeError("FCD needs the 'fcd' package (it ships ChemNet's weights): "
                          "pip install 'fcd>=1.2,<2'") from err
    return fcd.load_ref_model().to(device).eval()


def fcd_version() -> str:
    from importlib.metadata import version

    return version("fcd")


def chemnet_activations(smiles: Sequence[str], *, device: str | torch.device = "auto",
                        batch_size: int = _BATCH) -> np.ndarray:
    """ChemNet's 512 penultimate activations (float32) of each SMILES, as ``fcd.get_predictions``.

    Pass canonical SMILES: ChemNet was trained on them, and MOSES canonicalizes before FCD.
    """
    if not len(smiles):
        return np.zeros((0, 512), np.float32)
    device = resolve_device(device)
    model = _chemnet(str(device))
    from fcd.utils import SmilesDataset  # ChemNet's input encoding, as fcd.get_predictions
    smiles = list(smiles)
    size = min(batch_size, -(-len(smiles) // torch.get_num_threads()))  # work for every thread
    batches = [smiles[i:i + size] for i in range(0, len(smiles), size)]

    def run(batch: list[str]) -> np.ndarray:
        # fcd.get_predictions' steps without its last, np.row_stack, which numpy 2.5 removed
        rows = SmilesDataset(batch)
        x = torch.stack([torch.as_tensor(rows[i]) for i in range(len(rows))])
        with torch.inference_mode():
            out = model(x.transpose(1, 2).float().to(device))
        return out.cpu().numpy().astype(np.float32)

    parts = []
    for i in progress(range(0, len(batches), _GROUP), total=-(-len(batches) // _GROUP),
                      description="ChemNet", n_molecules=len(smiles)):
        parts += thread_map(run, batches[i:i + _GROUP], device=device)
    return np.concatenate(parts)


@dataclass(frozen=True)
class Gaussian:
    """Mean and covariance of a set's ChemNet activations (and, for a reference, the square root
    of the covariance, so that each distance to it is cheap)."""

    mu: np.ndarray  # (512,) float64
    sigma: np.ndarray  # (512, 512) float64
    sigma_sqrt: np.ndarray | None = None  # symmetric PSD square root of sigma

    def with_sqrt(self) -> Gaussian:
        if self.sigma_sqrt is not None:
            return self
        with one_torch_thread():
            root = _psd_sqrt(torch.from_numpy(self.sigma)).numpy()
        return Gaussian(self.mu, self.sigma, root)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"mu": self.mu, "sigma": self.sigma, "sigma_sqrt": self.with_sqrt().sigma_sqrt}


def _psd_sqrt(sigma: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(sigma)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def fit_gaussian(activations: np.ndarray, weights: np.ndarray | None = None) -> Gaussian:
    """Mean and covariance (N − 1 normalization, as ``np.cov``) of activation rows.

    ``weights[i]`` counts copies of row ``i`` (``np.cov``'s ``fweights``), so duplicates need not
    be run through ChemNet twice.
    """
    x = torch.from_numpy(np.asarray(activations, dtype=np.float64))
    w = (torch.ones(len(x), dtype=torch.float64) if weights is None
         else torch.from_numpy(np.asarray(weights, dtype=np.float64)))
    n = w.sum()
    if n < 2:
        raise ValueError(f"a covariance needs at least 2 molecules, got {int(n)}")
    with one_torch_thread():
        mu = (w @ x) / n
        centred = x - mu
        sigma = (centred.T * w) @ centred / (n - 1)
        sigma = (sigma + sigma.T) / 2  # exactly symmetric for eigh
    return Gaussian(mu.numpy(), sigma.numpy())


def frechet_distance(ref: Gaussian, gen: Gaussian) -> float:
    """FCD between two fitted sets (uses the cached square root of ``ref``'s covariance)."""
    r = torch.from_numpy(ref.with_sqrt().sigma_sqrt)
    s_ref, s_gen = torch.from_numpy(ref.sigma), torch.from_numpy(gen.sigma)
    with one_torch_thread():
        middle = r @ s_gen @ r
        eigenvalues = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0)
    diff = torch.from_numpy(ref.mu - gen.mu)
    value = diff @ diff + s_ref.trace() + s_gen.trace() - 2 * eigenvalues.sqrt().sum()
    return float(value)
