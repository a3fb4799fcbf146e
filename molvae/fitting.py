"""What the learned property models share: Adam over a few tensors, the held-out split, regression
metrics and their report, reading labelled files and the safetensors files the models are saved in.

Used by the MLP ensembles on z (:mod:`molvae.predictor`), the graph network on molecules
(:mod:`molvae.graph_model`) and training's validation (:mod:`molvae.training.validation`).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor
from torch.optim.adamw import adamw

from molvae.errors import CheckpointError, DatasetError

__all__ = ["FORMAT_VERSION", "META_KEY", "PredictorReport", "regression_metrics", "r_squared",
           "Adam", "split", "read_labels", "read_safetensors"]

#: the version of the files the learned models are saved in
FORMAT_VERSION = 1
#: the safetensors metadata key holding their JSON description
META_KEY = "molvae"


@dataclass(frozen=True)
class PredictorReport:
    """How a predictor was fitted and how well it does on held-out molecules.

    ``r2`` and ``spearman`` are on the held-out split (NaN when there was none).
    """

    target: str
    n_train: int
    n_valid: int
    r2: float
    spearman: float
    rmse: float
    seconds: float
    n_dropped: int = 0  # rows left out: invalid SMILES, missing labels, not encodable

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PredictorReport:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: (math.nan if v is None else v) for k, v in data.items() if k in names})


def r_squared(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The coefficient of determination, 1 − SS_res / SS_tot, in the arrays' own precision; NaN
    when the targets do not vary (or there are none).

    >>> r_squared(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))
    0.5
    """
    ss_tot = float(((y_true - y_true.mean()) ** 2).sum()) if len(y_true) else 0.0
    return 1.0 - float(((y_true - y_pred) ** 2).sum()) / ss_tot if ss_tot > 0 else math.nan


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """R², Spearman's rank correlation and RMSE (NaN where undefined).

    >>> {k: round(v, 3) for k, v in regression_metrics(np.arange(4.0), np.arange(4.0) ** 2).items()}
    {'r2': -7.0, 'spearman': 1.0, 'rmse': 3.162}
    """
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    if len(y_true) < 2:
        return {"r2": math.nan, "spearman": math.nan, "rmse": math.nan}
    r2 = r_squared(y_true, y_pred)
    ss_res = float(((y_true - y_pred) ** 2).sum())
    # Spearman = Pearson of average ranks (pandas' own .corr("spearman") imports SciPy: slow)
    ranks_true = pd.Series(y_true).rank().to_numpy()
    ranks_pred = pd.Series(y_pred).rank().to_numpy()
    spearman = math.nan
    if ranks_true.std() > 0 and ranks_pred.std() > 0:
        spearman = float(np.corrcoef(ranks_true, ranks_pred)[0, 1])
    return {"r2": r2, "spearman": spearman, "rmse": math.sqrt(ss_res / len(y_true))}


class Adam:
    """Adam (decoupled weight decay when ``weight_decay``) over a few tensors, stepped with
    gradients passed in: state for ``torch.optim``'s functional ``adamw``.

    Constructing the first ``torch.optim.Adam`` of a process imports about 800 modules (the
    compiler stack: 1–2 s); the functional form, the same arithmetic, imports none.
    """

    def __init__(self, params: Sequence[Tensor], *, lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        self.params = list(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.steps = [torch.zeros((), dtype=torch.float32) for _ in self.params]

    @torch.no_grad()
    def step(self, grads: Sequence[Tensor], lr: float | None = None) -> None:
        adamw(self.params, list(grads), self.m, self.v, [], self.steps, foreach=False,
              amsgrad=False, beta1=self.betas[0], beta2=self.betas[1],
              lr=self.lr if lr is None else lr, weight_decay=self.weight_decay, eps=self.eps,
              maximize=False)


def split(n: int, valid_fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(n)
    n_valid = int(round(n * valid_fraction)) if n >= 10 else 0
    return order[n_valid:], order[:n_valid]


# --- the latent MLP ensemble -----------------------------------------------------------------


def read_safetensors(path: Path, expected_format: str) -> tuple[dict[str, Any], dict[str, Tensor]]:
    from safetensors import SafetensorError, safe_open

    if not path.is_file():
        raise CheckpointError(f"no predictor at {str(path)!r}; fit one first (molvae predictor train)")
    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = json.loads((handle.metadata() or {}).get(META_KEY, "{}"))
            tensors = {k: handle.get_tensor(k) for k in handle.keys()}
    except (SafetensorError, OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"cannot read {str(path)!r}: {exc}") from exc
    if meta.get("format") != expected_format:
        raise CheckpointError(f"{str(path)!r} is not a {expected_format} file "
                              f"(format {meta.get('format')!r})")
    return meta, tensors


def read_labels(data_path: Path, target: str, smiles_column: str | None) -> tuple[list[str], np.ndarray, int]:
    """SMILES and labels from a CSV/TSV (or .smi: ``SMILES value`` per line)."""
    from molvae.chemistry import compute_properties, list_properties

    if not data_path.is_file():
        raise DatasetError(f"no such file: {str(data_path)!r}; give a CSV with a SMILES column and "
                           f"a '{target}' column")
    suffix = "".join(data_path.suffixes[-2:]).lower()
    if ".smi" in suffix or ".txt" in suffix:
        frame = pd.read_csv(data_path, sep=r"\s+", header=None, comment=None, engine="python")
        frame.columns = ["smiles", *[f"column{i}" for i in range(1, frame.shape[1])]]
        if target not in frame and frame.shape[1] >= 2:
            frame = frame.rename(columns={"column1": target})
        smiles_column = "smiles"
    else:
        frame = pd.read_csv(data_path, sep="\t" if ".tsv" in suffix else ",")
    if smiles_column is None:
        matches = [c for c in frame.columns if str(c).lower() in ("smiles", "canonical_smiles", "smi")]
        if not matches:
            raise DatasetError(f"{data_path.name!r} has no SMILES column (columns: "
                               f"{', '.join(map(str, frame.columns))}); name it with --smiles-column")
        smiles_column = matches[0]
    if smiles_column not in frame:
        raise DatasetError(f"{data_path.name!r} has no column {smiles_column!r} (columns: "
                           f"{', '.join(map(str, frame.columns))})")
    smiles = frame[smiles_column].astype("string").fillna("").astype(str).tolist()
    if target in frame:
        values = pd.to_numeric(frame[target], errors="coerce").to_numpy(dtype=np.float64)
    elif target in list_properties():  # a built-in property: computed by RDKit
        values = compute_properties(smiles, [target])[target].to_numpy()
    else:
        raise DatasetError(f"{data_path.name!r} has no column {target!r} (columns: "
                           f"{', '.join(map(str, frame.columns))}) and it is not a built-in "
                           f"property ({', '.join(list_properties())})")
    return smiles, values, int((~np.isfinite(values)).sum())
