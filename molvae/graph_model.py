"""A graph network on molecules: a GIN regressor learned straight from labelled SMILES.

:class:`GraphModel` is a GIN (torch-geometric ``GINEConv``) on RDKit molecular graphs.
``model(smiles) -> list[float]`` makes it a scoring oracle for a property RDKit cannot compute
(an assay, a docking score): ``optimize(vae, model, Search(budget=2000))``, or from a shell
``molvae predictor train assay.csv --target pIC50 --graph -o gin.safetensors`` and then
``molvae optimize --oracle gin.safetensors``. Saved as safetensors with the JSON description in
the header (no pickle) and a readable ``.json`` report beside it.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
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

__all__ = ["GraphModel", "fit_graph_model", "train_graph_model_from_file", "ATOM_FEATURES",
           "BOND_FEATURES"]

logger = logging.getLogger(__name__)

_GRAPH_FORMAT = "molvae.graph_model"

# --- featurization ---------------------------------------------------------------------------

_ELEMENTS = ("C", "N", "O", "S", "F", "Cl", "Br", "I", "P", "B", "Si", "Se")
_HYBRIDIZATIONS = ("SP", "SP2", "SP3", "SP3D", "SP3D2")
_BOND_TYPES = ("SINGLE", "DOUBLE", "TRIPLE", "AROMATIC")
ATOM_FEATURES = len(_ELEMENTS) + 1 + 6 + 5 + 5 + len(_HYBRIDIZATIONS) + 1 + 2
BOND_FEATURES = len(_BOND_TYPES) + 2


def _one_hot(value: Any, choices: Sequence[Any]) -> list[float]:
    """One-hot over ``choices`` plus a final 'other' slot."""
    out = [0.0] * (len(choices) + 1)
    out[choices.index(value) if value in choices else len(choices)] = 1.0
    return out


def _atom_features(atom: Any) -> list[float]:
    return (_one_hot(atom.GetSymbol(), _ELEMENTS)
            + _one_hot(min(atom.GetDegree(), 5), range(5))
            + _one_hot(atom.GetFormalCharge(), (-1, 0, 1, 2))
            + _one_hot(min(atom.GetTotalNumHs(), 4), range(4))
            + _one_hot(str(atom.GetHybridization()), _HYBRIDIZATIONS)
            + [float(atom.GetIsAromatic()), float(atom.IsInRing())])


def _bond_features(bond: Any) -> list[float]:
    kind = str(bond.GetBondType())
    return ([1.0 if kind == k else 0.0 for k in _BOND_TYPES]
            + [float(bond.GetIsConjugated()), float(bond.IsInRing())])


@dataclass(frozen=True)
class _Graph:
    x: np.ndarray  # (atoms, ATOM_FEATURES)
    edge_index: np.ndarray  # (2, 2 * bonds)
    edge_attr: np.ndarray  # (2 * bonds, BOND_FEATURES)


def _featurize(smiles: str) -> _Graph | None:
    from molvae.chemistry import to_mol
    from molvae.errors import InvalidMoleculeError

    try:
        mol = to_mol(smiles)
    except InvalidMoleculeError:
        return None
    x = np.array([_atom_features(a) for a in mol.GetAtoms()], dtype=np.float32)
    src, dst, attrs = [], [], []
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        feats = _bond_features(bond)
        src += [i, j]
        dst += [j, i]
        attrs += [feats, feats]
    edge_index = np.array([src, dst], dtype=np.int64).reshape(2, -1)
    edge_attr = np.array(attrs, dtype=np.float32).reshape(-1, BOND_FEATURES)
    return _Graph(x, edge_index, edge_attr)


def _collate(graphs: Sequence[_Graph]) -> tuple[Tensor, Tensor, Tensor, Tensor, int]:
    """Concatenate graphs into one disconnected graph with a ``batch`` vector (PyG's layout)."""
    sizes = [g.x.shape[0] for g in graphs]
    offsets = np.cumsum([0, *sizes[:-1]])
    x = torch.as_tensor(np.concatenate([g.x for g in graphs]))
    edge_index = torch.as_tensor(np.concatenate([g.edge_index + o for g, o in zip(graphs, offsets)],
                                                axis=1))
    edge_attr = torch.as_tensor(np.concatenate([g.edge_attr for g in graphs]))
    batch = torch.as_tensor(np.repeat(np.arange(len(graphs)), sizes))
    return x, edge_index, edge_attr, batch, len(graphs)


class _GIN(nn.Module):
    """GIN layers (``GINEConv`` when bond features are on), sum + mean pooling, MLP readout."""

    def __init__(self, hidden: int, layers: int, bond_features: bool) -> None:
        super().__init__()
        from torch_geometric.nn import GINConv, GINEConv

        self.bond_features = bond_features
        self.embed = nn.Linear(ATOM_FEATURES, hidden)
        self.convs = nn.ModuleList()
        for _ in range(layers):
            mlp = nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
            self.convs.append(GINEConv(mlp, edge_dim=BOND_FEATURES, train_eps=True) if bond_features
                              else GINConv(mlp, train_eps=True))
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(layers))
        self.readout = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.SiLU(), nn.Linear(hidden, 1))

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, batch: Tensor,
                n_graphs: int) -> Tensor:
        from torch_geometric.nn import global_add_pool, global_mean_pool

        h = self.embed(x)
        for conv, norm in zip(self.convs, self.norms):
            update = conv(h, edge_index, edge_attr) if self.bond_features else conv(h, edge_index)
            h = h + torch.nn.functional.silu(norm(update))
        pooled = torch.cat([global_add_pool(h, batch, size=n_graphs),
                            global_mean_pool(h, batch, size=n_graphs)], dim=1)
        return self.readout(pooled).squeeze(-1)


class GraphModel:
    """A GIN regressor on molecular graphs: ``model(smiles) -> list[float]`` (NaN if invalid).

    Use it as an oracle: ``optimize(vae, graph_model, Search(budget=2000))``.
    """

    def __init__(self, net: _GIN, *, target: str, y_mean: float, y_std: float, hidden: int,
                 layers: int, report: PredictorReport | None = None) -> None:
        self.net = net.eval()
        self.target, self.y_mean, self.y_std = target, float(y_mean), float(y_std)
        self.hidden, self.layers = hidden, layers
        self.report = report
        self.saved_to: Path | None = None  # where save() last wrote it
        self.__name__ = f"graph_model_{target}"

    def __repr__(self) -> str:
        score = f", held-out R2 {self.report.r2:.3f}" if self.report is not None else ""
        return f"GraphModel({self.target!r}, GIN {self.layers}x{self.hidden}{score})"

    def __call__(self, smiles: Sequence[str], *, batch_size: int = 256) -> list[float]:
        smiles = [smiles] if isinstance(smiles, str) else list(smiles)
        graphs = [_featurize(s) for s in smiles]
        out = np.full(len(smiles), np.nan)
        present = [i for i, g in enumerate(graphs) if g is not None]
        with torch.inference_mode():
            for start in range(0, len(present), batch_size):
                chunk = present[start:start + batch_size]
                pred = self.net(*_collate([graphs[i] for i in chunk]))
                out[chunk] = pred.numpy() * self.y_std + self.y_mean
        return out.tolist()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """``path`` (``.safetensors``, JSON in the header) and a ``.json`` report, atomically."""
        from safetensors.torch import save_file

        path = Path(path)
        if path.suffix != ".safetensors":
            path = path.with_suffix(".safetensors")
        meta = {"format": _GRAPH_FORMAT, "format_version": FORMAT_VERSION, "target": self.target,
                "y_mean": self.y_mean, "y_std": self.y_std, "hidden": self.hidden,
                "layers": self.layers, "bond_features": self.net.bond_features,
                "report": self.report.to_dict() if self.report is not None else None}
        tensors = {k: v.detach().cpu().contiguous().clone() for k, v in self.net.state_dict().items()}
        atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata={META_KEY: json.dumps(meta)}))
        atomic_write_text(path.with_suffix(".json"), json.dumps(meta, indent=1) + "\n")
        self.saved_to = path
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> GraphModel:
        meta, tensors = read_safetensors(Path(path), _GRAPH_FORMAT)
        try:
            net = _GIN(int(meta["hidden"]), int(meta["layers"]), bool(meta["bond_features"]))
            net.load_state_dict(tensors)
            return cls(net, target=str(meta["target"]), y_mean=meta["y_mean"], y_std=meta["y_std"],
                       hidden=int(meta["hidden"]), layers=int(meta["layers"]),
                       report=PredictorReport.from_dict(meta["report"]) if meta.get("report")
                       else None)
        except (KeyError, RuntimeError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{str(path)!r} is not a complete molvae graph model ({exc})") from exc


def fit_graph_model(smiles: Sequence[str], values: Sequence[float], *, target: str = "value",
                    hidden: int = 64, layers: int = 3, bond_features: bool = True,
                    epochs: int = 60, batch_size: int = 64, lr: float = 3e-3,
                    weight_decay: float = 1e-5, valid_fraction: float = 0.1,
                    seed: int = 0) -> GraphModel:
    """Fit a GIN on molecules and labels; invalid SMILES and NaN labels are dropped (counted).

    ``model.report`` has held-out R² and Spearman. A few hundred molecules take seconds on a CPU.
    """
    t0 = time.perf_counter()
    smiles = list(smiles)
    y_all = np.asarray(values, dtype=np.float64)
    if len(smiles) != len(y_all):
        raise ValueError(f"got {len(smiles)} molecules and {len(y_all)} values")
    graphs_all = [_featurize(s) for s in smiles]
    keep = [i for i, g in enumerate(graphs_all) if g is not None and math.isfinite(y_all[i])]
    n_dropped = len(smiles) - len(keep)
    if len(keep) < 2:
        raise MolvaeError(f"only {len(keep)} valid labelled molecule(s): too few to fit a graph model")
    graphs = [graphs_all[i] for i in keep]
    y = y_all[keep]
    rng = np.random.default_rng(seed)
    train_idx, valid_idx = split(len(y), valid_fraction, rng)
    y_mean, y_std = float(y[train_idx].mean()), float(y[train_idx].std()) or 1.0
    target_t = torch.as_tensor((y - y_mean) / y_std, dtype=torch.float32)

    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # PyG layers draw their initial weights from the global RNG
        net = _GIN(hidden, layers, bond_features)
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = Adam(params, lr=lr, weight_decay=weight_decay)
    total = epochs * max(1, math.ceil(len(train_idx) / batch_size))
    warmup = max(1, total // 10)
    step = 0
    net.train()
    with torch.enable_grad():
        for _ in range(epochs):
            order = train_idx[torch.randperm(len(train_idx), generator=generator).numpy()]
            for start in range(0, len(order), batch_size):
                chunk = order[start:start + batch_size]
                pred = net(*_collate([graphs[i] for i in chunk]))
                loss = torch.nn.functional.mse_loss(pred, target_t[chunk])
                grads = torch.autograd.grad(loss, params)
                optimizer.step(grads, lr=lr_at(step, base_lr=lr, warmup_steps=warmup,
                                               total_steps=total, min_lr_ratio=0.01))
                step += 1
    model = GraphModel(net, target=target, y_mean=y_mean, y_std=y_std, hidden=hidden, layers=layers)
    metrics = {"r2": math.nan, "spearman": math.nan, "rmse": math.nan}
    if len(valid_idx) >= 2:
        pred = np.asarray(model([smiles[keep[i]] for i in valid_idx]))
        metrics = regression_metrics(y[valid_idx], pred)
    model.report = PredictorReport(target=target, n_train=len(train_idx), n_valid=len(valid_idx),
                                   seconds=time.perf_counter() - t0, n_dropped=n_dropped, **metrics)
    logger.info("graph model %r: R2 %.3f, Spearman %.3f on %d held out (%.1f s)", target,
                metrics["r2"], metrics["spearman"], len(valid_idx), model.report.seconds)
    return model


def train_graph_model_from_file(data_path: str | os.PathLike[str], target: str,
                                out: str | os.PathLike[str], *, smiles_column: str | None = None,
                                seed: int = 0, epochs: int = 60) -> tuple[GraphModel, PredictorReport]:
    """Fit a :class:`GraphModel` on column ``target`` of a CSV (or a built-in property) and save
    it to ``out`` (``.safetensors`` + ``.json``). Rows with an invalid SMILES or a missing label
    are dropped and counted. Load it with ``GraphModel.load(out)`` and pass it to ``optimize``
    as the objective."""
    smiles, values, _ = read_labels(Path(data_path).expanduser(), target, smiles_column)
    model = fit_graph_model(smiles, values, target=target, seed=seed, epochs=epochs)
    model.save(out)
    assert model.report is not None
    return model, model.report
