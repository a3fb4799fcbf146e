"""What training reads: the dataset loaded, split and encoded by the tokenizer (rejected
molecules reported), standardized property targets, and length-bucketed batches."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from molvae.config import (
    ModelConfig,
    RunConfig,
    TrainConfig,
)
from molvae.errors import DatasetError
from molvae.tokenizers import (
    Tokenized,
    Tokenizer,
    empty_tokenizer,
    load_tokenizer,
    make_tokenizer,
)

logger = logging.getLogger(__name__)


def length_bucketed_batches(lengths: np.ndarray, *, batch_size: int, chunk_batches: int,
                            seed: int, epoch: int) -> list[np.ndarray]:
    """An epoch's batches of row indices: shuffle, sort by length within chunks of
    ``chunk_batches`` batches (little padding), cut into batches, shuffle the batch order.

    The same ``(seed, epoch)`` always gives the same batches, so a resumed run replays them.
    """
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    chunk = batch_size * chunk_batches
    batches: list[np.ndarray] = []
    for start in range(0, len(order), chunk):
        part = order[start:start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i:i + batch_size] for i in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


@dataclass(frozen=True)
class Encoded:
    """A split as tensors: padded ids, lengths, standardized property targets and conditions."""

    smiles: list[str]
    ids: Tensor  # (N, L) int16, <pad> padded
    lengths: Tensor  # (N,) int64, counting start and end
    properties: Tensor | None  # (N, P) float32, NaN where unknown
    conditions: Tensor | None  # (N, C) float32, NaN filled with 0 (the mean)

    def __len__(self) -> int:
        return len(self.smiles)

    def batch(self, index: np.ndarray, device: torch.device) -> tuple[Tensor, ...]:
        """(ids, lengths, props, conds) of the rows ``index`` on ``device``, ids cut to the
        longest row."""
        idx = torch.as_tensor(index)
        lengths = self.lengths[idx]
        width = int(lengths.max())
        ids = self.ids[idx, :width].long()
        props = self.properties[idx] if self.properties is not None else None
        conds = self.conditions[idx] if self.conditions is not None else None
        if device.type == "cuda":  # page-locked copies let the transfer overlap the GPU's work
            move = lambda t: t.pin_memory().to(device, non_blocking=True)  # noqa: E731
        elif device.type != "cpu":
            move = lambda t: t.to(device)  # noqa: E731
        else:
            move = lambda t: t  # noqa: E731
        return (move(ids), move(lengths), None if props is None else move(props),
                None if conds is None else move(conds))


def encode_split(name: str, frame: pd.DataFrame, tokenizer: Tokenizer, config: ModelConfig,
                  property_stats: dict[str, tuple[float, float]],
                  condition_stats: dict[str, tuple[float, float]],
                  tokens: Tokenized | None = None) -> tuple[Encoded, pd.DataFrame]:
    smiles = frame["smiles"].tolist()
    encoded = tokenizer.encode_batch(smiles, max_length=config.max_length, tokens=tokens)
    rejects = pd.DataFrame({"split": name, "index": [r.index for r in encoded.rejects],
                            "smiles": [r.smiles for r in encoded.rejects],
                            "reason": [r.reason for r in encoded.rejects]})
    kept = frame.iloc[encoded.indices]

    def standardized(names: Sequence[str], stats: dict[str, tuple[float, float]]) -> Tensor | None:
        if not names:
            return None
        cols = [(kept[n].to_numpy(dtype=np.float64) - stats[n][0]) / stats[n][1] for n in names]
        return torch.as_tensor(np.stack(cols, axis=1), dtype=torch.float32)

    conditions = standardized(config.conditions, condition_stats)
    return Encoded(
        smiles=kept["smiles"].tolist(),
        ids=encoded.ids.to(torch.int16),
        lengths=encoded.lengths,
        properties=standardized(config.property_head, property_stats),
        conditions=None if conditions is None else torch.nan_to_num(conditions, nan=0.0),
    ), rejects


def _stats(frame: pd.DataFrame, names: Sequence[str]) -> dict[str, tuple[float, float]]:
    out = {}
    for name in names:
        values = frame[name].to_numpy(dtype=np.float64)
        mean, std = float(np.nanmean(values)), float(np.nanstd(values))
        out[name] = (mean, std if std > 1e-8 else 1.0)
    return out






@dataclass(frozen=True)
class Prepared:
    tokenizer: Tokenizer
    property_stats: dict[str, tuple[float, float]]
    condition_stats: dict[str, tuple[float, float]]
    splits: dict[str, Encoded]  # train, valid, test
    info: dict[str, Any]  # source, fingerprint, sizes (recorded in checkpoints)


def prepare_data(run_config: RunConfig, dataset: Any, resumed: dict[str, Any] | None,
                  out_dir: Path, *, main: bool) -> Prepared:
    """Load, split, fit the tokenizer on the training split (or take the resumed run's), encode;
    molecules the tokenizer cannot write within ``max_length`` go to ``<out>/rejects.csv``."""
    from molvae.data import split_dataset

    cfg, model_cfg = run_config.train, run_config.model
    frame, info = load_frame(run_config, dataset)
    splits = split_dataset(frame, valid_fraction=cfg.valid_fraction,
                           test_fraction=cfg.test_fraction, seed=cfg.seed)
    if len(splits.train) == 0:
        raise DatasetError("the training split is empty; use more molecules or smaller "
                           "valid/test fractions")
    # every molecule is tokenized once (SELFIES: on every core), for fitting and for encoding
    logger.info("tokenizing %d molecules (%s)", len(frame), model_cfg.tokenizer.value)
    probe = empty_tokenizer(model_cfg.tokenizer)
    tokens = {name: probe.tokenize_many(getattr(splits, name)["smiles"].tolist())
              for name in ("train", "valid", "test")}
    if resumed is not None:
        ckpt = resumed["checkpoint"]
        before = ckpt.metadata.get("data", {}).get("fingerprint")
        if before and before != info["fingerprint"] and resumed["state"] is not None:
            logger.warning("resuming on different data than the run started with (fingerprint "
                           "%s… vs %s…): the continuation will not match an uninterrupted run",
                           before[:12], info["fingerprint"][:12])
        tokenizer = load_tokenizer(ckpt.tokenizer)
        property_stats, condition_stats = ckpt.property_stats, ckpt.condition_stats
    else:
        tokenizer = make_tokenizer(model_cfg.tokenizer, splits.train["smiles"].tolist(),
                                   tokens=tokens["train"])
        property_stats = _stats(splits.train, model_cfg.property_head)
        condition_stats = _stats(splits.train, model_cfg.conditions)
    encoded, rejects = {}, []
    for name in ("train", "valid", "test"):
        encoded[name], split_rejects = encode_split(name, getattr(splits, name), tokenizer,
                                                    model_cfg, property_stats, condition_stats,
                                                    tokens=tokens[name])
        rejects.append(split_rejects)
    report_rejects(pd.concat(rejects, ignore_index=True), out_dir, main=main)
    if len(encoded["train"]) == 0:
        raise DatasetError("no training molecule could be tokenized within model.max_length "
                           f"{model_cfg.max_length}; see {out_dir / 'rejects.csv'}")
    return Prepared(tokenizer=tokenizer, property_stats=property_stats,
                     condition_stats=condition_stats, splits=encoded, info=info)


def load_frame(run_config: RunConfig, dataset: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    model_cfg = run_config.model
    needed = list(dict.fromkeys([*model_cfg.property_head, *model_cfg.conditions]))
    if dataset is None:
        from molvae.data import load_dataset

        dataset = load_dataset(run_config.data.source, properties=needed,
                               smiles_column=run_config.data.smiles_column,
                               limit=run_config.data.limit)
    if isinstance(dataset, pd.DataFrame):
        frame = dataset
        digest = hashlib.sha256("\n".join(map(str, frame["smiles"])).encode()).hexdigest() \
            if "smiles" in frame else ""
        info = {"source": "DataFrame", "fingerprint": digest, "n_molecules": len(frame)}
    else:
        frame = dataset.frame
        info = {"source": str(getattr(dataset, "name", run_config.data.source)),
                "fingerprint": str(getattr(dataset, "fingerprint", "")),
                "n_molecules": len(frame), "n_rejected": int(getattr(dataset, "n_rejected", 0))}
    if "smiles" not in frame:
        raise DatasetError(f"the training data needs a 'smiles' column; it has {list(frame.columns)}")
    missing = [n for n in needed if n not in frame]
    if missing:
        raise DatasetError(f"the training data lacks the property columns {missing} that "
                           "model.property_head / model.conditions need")
    return frame, info


def report_rejects(rejects: pd.DataFrame, out_dir: Path, *, main: bool) -> None:
    if rejects.empty or not main:
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "rejects.csv"
    rejects.to_csv(path, index=False)
    shown = "; ".join(f"{r.smiles[:40]!r} ({r.reason[:60]})" for r in rejects.head(3).itertuples())
    logger.warning("%d molecules are left out: tokens outside the vocabulary fitted on the "
                   "training split, or longer than model.max_length (%s); all listed in %s",
                   len(rejects), shown, path)




def epoch_batches(data: Encoded, cfg: TrainConfig, epoch: int) -> list[np.ndarray]:
    return length_bucketed_batches(data.lengths.numpy(), batch_size=cfg.batch_size,
                                   chunk_batches=cfg.bucket_chunk, seed=cfg.seed, epoch=epoch)
