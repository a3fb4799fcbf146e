"""Models shipped inside the package, and the step that turns a training run into one.

``MolVAE.load("zinc")`` reads ``molvae/pretrained/zinc/``. To replace it with a better run::

    python -m molvae.pretrained runs/zinc/best --name zinc

The export keeps the checkpoint's config, tokenizer, stats and metadata (metrics, run config,
data fingerprint), stores the weights in float16 (half the size; they are cast back to float32
on load), drops the optimizer state, adds the training-set summary
(:mod:`molvae.training_set`, so novelty and predictor fitting need no dataset), carries the
learned prior (:mod:`molvae.prior`, fitted with ``molvae prior fit``) with float16 weights too,
and copies the run's ``metrics.csv`` (the training curves).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
from pathlib import Path

import torch

from molvae.checkpoint import is_checkpoint, load_checkpoint, save_checkpoint
from molvae.errors import CheckpointError
from molvae.prior import PRIOR_FILE, DiffusionPrior
from molvae.training_set import TRAINING_SET_FILE, TrainingSet

__all__ = ["PRETRAINED", "PRETRAINED_DIR", "checkpoint_source", "export_pretrained"]

logger = logging.getLogger(__name__)

PRETRAINED_DIR = Path(__file__).resolve().parent

#: Names that :meth:`MolVAE.load` resolves to a model shipped with molvae.
PRETRAINED: dict[str, str] = {"zinc": "ZINC250k, SELFIES, configs/zinc.yaml; see BENCHMARKS.md"}


def checkpoint_source(source: str | os.PathLike[str]) -> Path:
    """The checkpoint a user names: a path, a training run's folder (its ``best`` checkpoint,
    else its ``last``), or a shipped name (``"zinc"``) when no such path exists."""
    path = Path(source).expanduser()
    if path.is_dir() and not is_checkpoint(path):
        for name in ("best", "last"):
            if is_checkpoint(path / name):
                logger.info("%s is a training run: loading its %s checkpoint (%s)", path, name,
                            path / name)
                return path / name
    if not path.exists() and str(source) in PRETRAINED:
        path = PRETRAINED_DIR / str(source)
        if not is_checkpoint(path):
            raise CheckpointError(
                f"the pretrained {str(source)!r} model ({PRETRAINED[str(source)]}) is not "
                "included in this installation yet; train one with `molvae train zinc` and load "
                "its folder, e.g. MolVAE.load('runs/zinc/best')")
    return path


def export_pretrained(checkpoint: str | os.PathLike[str], *, name: str = "zinc",
                      dest: str | os.PathLike[str] | None = None,
                      dtype: torch.dtype = torch.float16) -> Path:
    """Write ``checkpoint`` as the shipped model ``name`` (or into ``dest``); returns the folder."""
    source = Path(checkpoint)
    ckpt = load_checkpoint(source)
    state = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in ckpt.state_dict.items()}
    for key, value in state.items():
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise CheckpointError(f"{key} does not fit in {dtype}: export in float32 instead")
    summary = TrainingSet.find(source) if source.is_dir() else None
    if summary is None:
        summary = _summary_from_dataset(ckpt.metadata)
    target = Path(dest) if dest is not None else PRETRAINED_DIR / name
    meta = {k: v for k, v in ckpt.metadata.items()
            if k not in ("format", "format_version", "molvae_version", "torch_version", "created")}
    meta["exported_from"] = {"path": str(source), "created": ckpt.metadata.get("created"),
                             "weights_dtype": str(dtype).replace("torch.", "")}
    extra = {TRAINING_SET_FILE: summary.to_bytes()}
    prior = DiffusionPrior.find(source)
    if prior is not None:
        extra[PRIOR_FILE] = prior.to_bytes(dtype)
    save_checkpoint(target, state_dict=state, config=ckpt.config, tokenizer=ckpt.tokenizer,
                    property_stats=ckpt.property_stats, condition_stats=ckpt.condition_stats,
                    metadata=meta, extra_files=extra)
    log = source.parent / "metrics.csv"
    if log.is_file():
        shutil.copyfile(log, target / "metrics.csv")
    size = sum(f.stat().st_size for f in target.iterdir() if f.is_file())
    logger.info("exported %s to %s (%.1f MB)", source, target, size / 1e6)
    return target


def _summary_from_dataset(metadata: dict) -> TrainingSet:
    from molvae.data import load_dataset

    run = (metadata.get("run_config") or {}).get("data") or {}
    if not run.get("source"):
        raise CheckpointError("the checkpoint does not name its training data; cannot build the "
                              "training-set summary")
    dataset = load_dataset(run["source"], properties=(), smiles_column=run.get("smiles_column"),
                           limit=run.get("limit"), download=False)
    fingerprint = (metadata.get("data") or {}).get("fingerprint")
    if fingerprint and dataset.fingerprint != fingerprint:
        raise CheckpointError(f"{run['source']!r} has changed since the model was trained")
    return TrainingSet.from_smiles(list(dataset.smiles))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--name", default="zinc")
    parser.add_argument("--dest", type=Path, default=None)
    parser.add_argument("--float32", action="store_true", help="keep float32 weights")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folder = export_pretrained(args.checkpoint, name=args.name, dest=args.dest,
                               dtype=torch.float32 if args.float32 else torch.float16)
    print(folder)
