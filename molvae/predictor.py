"""Property predictors on the latent code z: an MLP ensemble, its training, saving and loading.

:class:`LatentPredictor` is a small ensemble of MLPs on z (the encoder mean): the ensemble mean is
the prediction and the ensemble standard deviation its uncertainty. It is differentiable in z,
which is what the latent optimizer ascends. It is tied to the exact model it was fitted for (it
records a fingerprint of the weights) and is saved beside it: ``<checkpoint>/predictors/<target>
.safetensors`` (tensors, with the JSON description in the header; no pickle) plus a readable
``<target>.json`` report, each written atomically.

A model learned straight from labelled molecules, for properties RDKit cannot compute, is in
:mod:`molvae.graph_model`.

>>> import molvae as mv                                                    # doctest: +SKIP
>>> vae = mv.MolVAE.load("runs/zinc/best")                                 # doctest: +SKIP
>>> predictor = fit_predictor(vae, smiles, pic50, target="pIC50")          # doctest: +SKIP
>>> predictor.report.r2, predictor.report.spearman                         # doctest: +SKIP
(0.61, 0.78)
>>> mean, std = predictor.predict(vae.encode(["CCO"]))                      # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from molvae.errors import CheckpointError, MolvaeError
from molvae.files import atomic_write, atomic_write_text
from molvae.fitting import (
    FORMAT_VERSION,
    META_KEY,
    Adam,
    PredictorReport,
    read_labels,
    read_safetensors,
    regression_metrics,
    split,
)
from molvae.training.schedules import lr_at

if TYPE_CHECKING:
    from molvae.latent_model import LatentModel

__all__ = [
    "PredictorReport",
    "LatentPredictor",
    "fit_predictor",
    "fit_latent_predictor",
    "fit_property_predictor",
    "train_predictor_from_file",
    "predictor_path",
    "load_predictor",
    "model_fingerprint",
]

logger = logging.getLogger(__name__)

_FORMAT = "molvae.predictor"


class _EnsembleMLP(nn.Module):
    """``n_models`` MLPs (in → hidden → hidden → 1, SiLU) evaluated together with batched matmuls."""

    def __init__(self, n_models: int, in_dim: int, hidden: int, generator: torch.Generator) -> None:
        super().__init__()

        def layer(fan_in: int, fan_out: int) -> tuple[nn.Parameter, nn.Parameter]:
            bound = 1.0 / math.sqrt(fan_in)
            w = (torch.rand(n_models, fan_in, fan_out, generator=generator) * 2 - 1) * bound
            b = (torch.rand(n_models, 1, fan_out, generator=generator) * 2 - 1) * bound
            return nn.Parameter(w), nn.Parameter(b)

        self.w1, self.b1 = layer(in_dim, hidden)
        self.w2, self.b2 = layer(hidden, hidden)
        self.w3, self.b3 = layer(hidden, 1)

    def forward(self, x: Tensor) -> Tensor:
        """``x`` (n, in) shared by all members, or (K, n, in) one batch per member → (K, n)."""
        if x.dim() == 2:
            h = torch.nn.functional.silu(torch.matmul(x, self.w1) + self.b1)
        else:
            h = torch.nn.functional.silu(torch.baddbmm(self.b1, x, self.w1))
        h = torch.nn.functional.silu(torch.baddbmm(self.b2, h, self.w2))
        return torch.baddbmm(self.b3, h, self.w3).squeeze(-1)


class LatentPredictor:
    """An MLP ensemble on z: ``predict(z) -> (mean, std)`` in the target's own units.

    Inputs are standardized with the training latents' mean and std, targets with their own;
    ``forward(z)`` gives every member's prediction (K, n) as a differentiable tensor.
    """

    def __init__(self, net: _EnsembleMLP, *, target: str, z_mean: Tensor, z_std: Tensor,
                 y_mean: float, y_std: float, model_fingerprint: str = "",
                 report: PredictorReport | None = None, hidden: int = 64) -> None:
        self.net = net.eval()
        self.target = target
        self.saved_to: Path | None = None  # where save() last wrote it
        self.z_mean, self.z_std = z_mean.float(), z_std.float()
        self.y_mean, self.y_std = float(y_mean), float(y_std)
        self.model_fingerprint = model_fingerprint
        self.report = report
        self.hidden = hidden

    @property
    def n_models(self) -> int:
        return int(self.net.w1.shape[0])

    @property
    def latent_dim(self) -> int:
        return int(self.net.w1.shape[1])

    def __repr__(self) -> str:
        score = f", held-out R2 {self.report.r2:.3f}" if self.report is not None else ""
        return (f"LatentPredictor({self.target!r}, {self.n_models} MLPs on z of "
                f"{self.latent_dim}{score})")

    def forward(self, z: Tensor) -> Tensor:
        """Each member's prediction at ``z`` (n, latent_dim), shape (K, n), target units."""
        return self.net((z - self.z_mean) / self.z_std) * self.y_std + self.y_mean

    def predict(self, z: np.ndarray | Tensor, *, batch_size: int = 65536) -> tuple[np.ndarray, np.ndarray]:
        """Ensemble mean and standard deviation at ``z`` (n, latent_dim); NaN rows give NaN."""
        z_t = torch.as_tensor(np.asarray(z, dtype=np.float32) if not isinstance(z, Tensor) else z,
                              dtype=torch.float32)
        if z_t.dim() == 1:
            z_t = z_t.unsqueeze(0)
        if z_t.shape[1] != self.latent_dim:
            raise ValueError(f"this predictor takes z of dimension {self.latent_dim}, got "
                             f"{z_t.shape[1]}; was it fitted for another model?")
        means, stds = [], []
        with torch.inference_mode():
            for start in range(0, z_t.shape[0], batch_size):
                out = self.forward(z_t[start:start + batch_size])
                means.append(out.mean(0))
                stds.append(out.std(0, correction=0))
        if not means:
            return np.zeros(0), np.zeros(0)
        return torch.cat(means).numpy().astype(np.float64), torch.cat(stds).numpy().astype(np.float64)

    def predict_smiles(self, vae: LatentModel, smiles: Sequence[str]) -> pd.DataFrame:
        """Encode ``smiles`` with ``vae`` and predict: columns smiles, predicted, uncertainty."""
        z = vae.encode(list(smiles), on_invalid="nan")
        mean, std = self.predict(np.nan_to_num(z))
        bad = np.isnan(z).any(axis=1)
        mean[bad], std[bad] = np.nan, np.nan
        return pd.DataFrame({"smiles": list(smiles), "predicted": mean, "uncertainty": std})

    def as_oracle(self, vae: LatentModel) -> Callable[[list[str]], list[float]]:
        """An objective for ``optimize``: each molecule re-encoded by ``vae`` and predicted.

        For labels no program can compute (an assay value learned with ``molvae predictor
        train``): the scores are then predictions of the re-encoded molecule, not measurements;
        a :class:`GraphModel` fitted on the same labels is an independent check.
        """
        def oracle(smiles: list[str]) -> list[float]:
            return self.predict_smiles(vae, smiles)["predicted"].tolist()

        oracle.__name__ = f"predicted_{self.target}"
        return oracle

    # -- persistence

    def _meta(self) -> dict[str, Any]:
        return {"format": _FORMAT, "format_version": FORMAT_VERSION, "target": self.target,
                "n_models": self.n_models, "latent_dim": self.latent_dim, "hidden": self.hidden,
                "y_mean": self.y_mean, "y_std": self.y_std,
                "model_fingerprint": self.model_fingerprint,
                "report": self.report.to_dict() if self.report is not None else None}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``path`` (``.safetensors``: tensors + JSON header) and ``path``'s ``.json``
        report beside it, each atomically. Returns the ``.safetensors`` path."""
        from safetensors.torch import save_file

        path = Path(path)
        if path.suffix != ".safetensors":
            path = path.with_suffix(".safetensors")
        meta = self._meta()
        tensors = {name: p.detach().cpu().contiguous().clone() for name, p in self.net.named_parameters()}
        tensors.update(z_mean=self.z_mean.contiguous().clone(), z_std=self.z_std.contiguous().clone())
        atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata={META_KEY: json.dumps(meta)}))
        atomic_write_text(path.with_suffix(".json"), json.dumps(meta, indent=1) + "\n")
        self.saved_to = path
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, vae: LatentModel | None = None) -> LatentPredictor:
        """Read a predictor (nothing in the file is executed). With ``vae``, check that it was
        fitted for that model's weights."""
        meta, tensors = read_safetensors(Path(path), _FORMAT)
        try:
            generator = torch.Generator().manual_seed(0)
            net = _EnsembleMLP(int(meta["n_models"]), int(meta["latent_dim"]), int(meta["hidden"]),
                               generator)
            net.load_state_dict({k: tensors[k] for k in ("w1", "b1", "w2", "b2", "w3", "b3")})
            predictor = cls(net, target=str(meta["target"]), z_mean=tensors["z_mean"],
                            z_std=tensors["z_std"], y_mean=float(meta["y_mean"]),
                            y_std=float(meta["y_std"]),
                            model_fingerprint=str(meta.get("model_fingerprint", "")),
                            report=PredictorReport.from_dict(meta["report"]) if meta.get("report")
                            else None, hidden=int(meta["hidden"]))
        except (KeyError, RuntimeError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{str(path)!r} is not a complete molvae predictor ({exc}); "
                                  "refit it with `molvae predictor train`") from exc
        if vae is not None:
            fingerprint = model_fingerprint(vae)
            if predictor.model_fingerprint and predictor.model_fingerprint != fingerprint:
                raise CheckpointError(f"the predictor {str(path)!r} was fitted for another model's "
                                      "latent space (weights fingerprint differs); refit it for "
                                      "this model")
        return predictor


def model_fingerprint(vae: LatentModel) -> str:
    """sha256 (first 16 hex digits) of the model's weights: predictors on z belong to one model."""
    digest = hashlib.sha256()
    for name, tensor in sorted(vae.model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def fit_latent_predictor(z: np.ndarray, values: Sequence[float], *, target: str = "value",
                         n_models: int = 5, hidden: int = 64, seed: int = 0,
                         valid_fraction: float = 0.1, steps: int | None = None,
                         batch_size: int = 512, lr: float = 3e-3, weight_decay: float = 1e-4,
                         bootstrap: bool = True, model_fingerprint: str = "",
                         n_dropped: int = 0) -> LatentPredictor:
    """Fit the ensemble on latent codes ``z`` (n, d) and labels; rows with NaN are left out.

    Each member sees its own bootstrap resample and initialization; ``steps`` Adam steps of
    ``batch_size`` (default: about 15 epochs, between 200 and 1,500 steps). The report's R² and
    Spearman are on a held-out ``valid_fraction`` (none below 10 rows).
    """
    t0 = time.perf_counter()
    z = np.asarray(z, dtype=np.float32)
    y = np.asarray(values, dtype=np.float64).reshape(-1)
    if z.ndim != 2 or len(z) != len(y):
        raise ValueError(f"z must be (n, d) with one label per row; got {z.shape} and {len(y)} labels")
    ok = np.isfinite(y) & np.isfinite(z).all(axis=1)
    n_dropped += int((~ok).sum())
    z, y = z[ok], y[ok]
    if len(y) < 2:
        raise MolvaeError(f"only {len(y)} molecule(s) with a finite label and latent code: too few "
                          "to fit a predictor")
    rng = np.random.default_rng(seed)
    train_idx, valid_idx = split(len(y), valid_fraction, rng)
    z_tr, y_tr = torch.as_tensor(z[train_idx]), y[train_idx]
    z_mean, z_std = z_tr.mean(0), z_tr.std(0, correction=0).clamp_min(1e-6)
    y_mean, y_std = float(y_tr.mean()), float(y_tr.std()) or 1.0
    x = (z_tr - z_mean) / z_std
    t = torch.as_tensor((y_tr - y_mean) / y_std, dtype=torch.float32)

    generator = torch.Generator().manual_seed(seed)
    net = _EnsembleMLP(n_models, z.shape[1], hidden, generator)
    n = len(train_idx)
    batch = min(batch_size, n)
    if steps is None:
        steps = int(np.clip(15 * n / batch, 200, 1500))
    params = list(net.parameters())
    optimizer = Adam(params, lr=lr, weight_decay=weight_decay)
    net.train()
    with torch.enable_grad():
        for step in range(steps):
            if bootstrap:
                idx = torch.randint(0, n, (n_models, batch), generator=generator)
            else:
                idx = torch.stack([torch.randperm(n, generator=generator)[:batch]
                                   for _ in range(n_models)])
            pred = net(x[idx])
            loss = ((pred - t[idx]) ** 2).mean()
            grads = torch.autograd.grad(loss, params)
            optimizer.step(grads, lr=lr_at(step, base_lr=lr, warmup_steps=0, total_steps=steps))
    predictor = LatentPredictor(net, target=target, z_mean=z_mean, z_std=z_std, y_mean=y_mean,
                                y_std=y_std, model_fingerprint=model_fingerprint, hidden=hidden)
    metrics = {"r2": math.nan, "spearman": math.nan, "rmse": math.nan}
    if len(valid_idx) >= 2:
        metrics = regression_metrics(y[valid_idx], predictor.predict(z[valid_idx])[0])
    predictor.report = PredictorReport(target=target, n_train=len(train_idx),
                                       n_valid=len(valid_idx), seconds=time.perf_counter() - t0,
                                       n_dropped=n_dropped, **metrics)
    return predictor


def fit_predictor(vae: LatentModel, smiles: Sequence[str], values: Sequence[float], *,
                  n_models: int = 5, seed: int = 0, target: str = "value", hidden: int = 64,
                  valid_fraction: float = 0.1, steps: int | None = None) -> LatentPredictor:
    """Fit an MLP ensemble on ``vae``'s encoder means of ``smiles`` to ``values``.

    Molecules that cannot be encoded and NaN labels are dropped (counted in
    ``predictor.report.n_dropped``). ``predictor.report`` holds held-out R² and Spearman.
    """
    smiles = list(smiles)
    values = np.asarray(values, dtype=np.float64)
    if len(smiles) != len(values):
        raise ValueError(f"got {len(smiles)} molecules and {len(values)} values")
    z = vae.encode(smiles, on_invalid="nan")
    predictor = fit_latent_predictor(z, values, target=target, n_models=n_models, hidden=hidden,
                                     seed=seed, valid_fraction=valid_fraction, steps=steps,
                                     model_fingerprint=model_fingerprint(vae))
    report = predictor.report
    logger.info("predictor %r: %d train, %d held out, R2 %.3f, Spearman %.3f (%.1f s)", target,
                report.n_train, report.n_valid, report.r2, report.spearman, report.seconds)
    return predictor


def fit_property_predictor(vae: LatentModel, name: str, *, dataset: Any = "zinc", n: int = 5000,
                           seed: int = 0, n_models: int = 5) -> LatentPredictor:
    """A predictor for a registered property (``"plogp"``, ``"qed"``, ...), fitted on ``n``
    random molecules of ``dataset`` (a name, a path, a :class:`~molvae.data.Dataset`, a
    DataFrame with ``smiles`` or a list of SMILES) with the property computed by RDKit."""
    from molvae.chemistry import compute_properties

    from molvae.optimizer.inputs import dataset_smiles

    smiles = dataset_smiles(dataset)
    rng = np.random.default_rng(seed)
    if len(smiles) > n:
        smiles = [smiles[i] for i in np.sort(rng.choice(len(smiles), n, replace=False))]
    values = compute_properties(smiles, [name])[name].to_numpy()
    return fit_predictor(vae, smiles, values, n_models=n_models, seed=seed, target=name)


# --- files beside the model ------------------------------------------------------------------


def _resolve_checkpoint(model_path: str | os.PathLike[str]) -> Path:
    """A checkpoint folder or file; a run folder (with ``best/``) resolves to its ``best``."""
    path = Path(model_path).expanduser()
    if path.is_dir() and not (path / "checkpoint.json").exists() and (path / "best").is_dir():
        return path / "best"
    return path


def _file_name(target: str) -> str:
    """A target name made safe to use as a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", target).strip("._") or "target"


def predictor_path(model_path: str | os.PathLike[str], target: str) -> Path:
    """Where the predictor of ``target`` for a model lives: ``<checkpoint>/predictors/<target>
    .safetensors`` (a single-file checkpoint ``x.safetensors``: ``x.predictors/...``)."""
    checkpoint = _resolve_checkpoint(model_path)
    safe = _file_name(target)
    folder = checkpoint / "predictors" if checkpoint.suffix != ".safetensors" else \
        checkpoint.with_suffix(".predictors")
    return folder / f"{safe}.safetensors"


def load_predictor(model_path: str | os.PathLike[str], target: str, *,
                   vae: LatentModel | None = None) -> LatentPredictor:
    """The predictor of ``target`` saved beside the model at ``model_path``."""
    return LatentPredictor.load(predictor_path(model_path, target), vae=vae)


def train_predictor_from_file(model_path: str | os.PathLike[str], data_path: str | os.PathLike[str],
                              target: str, *, smiles_column: str | None = None,
                              out: str | os.PathLike[str] | None = None, seed: int = 0,
                              n_models: int = 5) -> tuple[LatentPredictor, PredictorReport]:
    """Fit a predictor of column ``target`` of ``data_path`` on the model at ``model_path`` and save
    it (``out``, default :func:`predictor_path`; for a shipped model, whose folder belongs to the
    installed package, ``predictors/<model>/<target>.safetensors`` in the working directory).
    ``target`` may also be a built-in property name
    that the file lacks. Rows with an invalid SMILES or a missing label are dropped and counted.

    This is what ``molvae predictor train data.csv --target pIC50 --model runs/x`` runs.
    """
    from molvae.vae import MolVAE

    checkpoint = _resolve_checkpoint(model_path)
    vae = MolVAE.load(checkpoint)
    smiles, values, _ = read_labels(Path(data_path).expanduser(), target, smiles_column)
    predictor = fit_predictor(vae, smiles, values, n_models=n_models, seed=seed, target=target)
    if out is None and not checkpoint.exists():  # a shipped model: its folder is the package's
        out = Path("predictors") / str(model_path) / f"{_file_name(target)}.safetensors"
    path = predictor.save(Path(out) if out is not None else predictor_path(checkpoint, target))
    logger.info("saved predictor %r to %s", target, path)
    assert predictor.report is not None
    return predictor, predictor.report
