"""Which epoch is the best: the metric that picks the ``best`` checkpoint, and the comparison."""

from __future__ import annotations

import math

from molvae.config import BEST_METRICS, TrainConfig
from molvae.errors import MolvaeError

__all__ = ["resolve_best_metric", "improves"]


def resolve_best_metric(cfg: TrainConfig) -> str:
    """The metric that picks ``best``: ``cfg.best_metric``, with ``auto`` resolved to
    ``recon_accuracy`` when it is measured (``eval_reconstruct`` > 0 and RDKit installed), else
    ``val_loss``. A chemistry metric named explicitly without RDKit is an error."""
    try:
        import rdkit  # noqa: F401
        has_rdkit = True
    except ImportError:
        has_rdkit = False
    if cfg.best_metric == "auto":
        return "recon_accuracy" if cfg.eval_reconstruct and has_rdkit else "val_loss"
    if not has_rdkit and BEST_METRICS[cfg.best_metric][1] is not None:
        raise MolvaeError(f"train.best_metric {cfg.best_metric} needs RDKit, which is not "
                          "installed: pip install rdkit, or set best_metric: val_loss")
    return cfg.best_metric


def improves(metrics: dict[str, float], best: dict[str, float], name: str) -> bool:
    """Whether an epoch's validation ``metrics`` beat the ``best`` epoch's on metric ``name``
    (:data:`~molvae.config.BEST_METRICS` says which way is better). A missing or NaN value never
    improves; the first finite one always does."""
    value = metrics.get(name, math.nan)
    if not math.isfinite(value):
        return False
    previous = best.get(name, math.nan)
    if not math.isfinite(previous):
        return True
    return value > previous if BEST_METRICS[name][0] == "max" else value < previous
