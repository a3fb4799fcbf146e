"""Where training reports: ``metrics.csv`` (appended; TensorBoard too when installed) and the
progress bar."""

from __future__ import annotations

import csv
import logging
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)


METRICS_FILE = "metrics.csv"




class MetricsLog:
    """``metrics.csv`` (fixed columns, appended) and TensorBoard when it is installed."""

    def __init__(self, out_dir: Path, property_names: Sequence[str], *, enabled: bool,
                 resume_step: int | None) -> None:
        self.enabled = enabled
        self.path = out_dir / METRICS_FILE
        self.columns = ["kind", "epoch", "step", "elapsed_s", "lr", "kl_weight", "loss",
                        "reconstruction", "kl", "property", "grad_norm", "mol_per_s", "val_loss",
                        "val_reconstruction", "val_kl", "active_units", "recon_accuracy",
                        "validity", "uniqueness", *[f"r2_{p}" for p in property_names]]
        self.writer = None
        if not enabled:
            return
        if resume_step is not None and self.path.exists():
            kept = pd.read_csv(self.path)
            kept = kept[kept["step"] <= resume_step]
            kept.to_csv(self.path, index=False)
        elif self.path.exists():
            self.path.unlink()
        if not self.path.exists():
            with self.path.open("w", newline="") as handle:
                csv.writer(handle).writerow(self.columns)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from torch.utils.tensorboard import SummaryWriter
            # on resume, TensorBoard drops what the interrupted run logged after the checkpoint
            purge = None if resume_step is None else resume_step + 1
            self.writer = SummaryWriter(log_dir=str(out_dir / "tensorboard"), purge_step=purge)
        except ImportError:
            logger.debug("tensorboard is not installed; metrics go to %s only", self.path)

    def write(self, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        with self.path.open("a", newline="") as handle:
            csv.writer(handle).writerow([_fmt(row.get(c)) for c in self.columns])
        if self.writer is not None:
            for key, value in row.items():
                if key not in ("kind", "epoch", "step") and isinstance(value, (int, float)) \
                        and value == value:
                    self.writer.add_scalar(f"{row['kind']}/{key}", value, row["step"])

    def history(self) -> pd.DataFrame:
        if not self.path.exists():
            return pd.DataFrame(columns=self.columns)
        frame = pd.read_csv(self.path)
        return frame[frame["kind"] == "valid"].reset_index(drop=True)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _fmt(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


class Progress:
    """A tqdm bar on a terminal (rank 0, ``progress=True``); otherwise nothing."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None

    def start(self, total: int, initial: int, desc: str) -> None:
        if self.enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=initial, desc=desc, unit="batch", leave=False,
                            dynamic_ncols=True, file=sys.stderr)

    def update(self, **postfix: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix({k: f"{v:.3g}" for k, v in postfix.items()}, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
