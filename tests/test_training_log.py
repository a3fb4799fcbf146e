from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from molvae.config import with_overrides
from molvae.training import train


def _scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tensorboard"))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)]
            for tag in events.Tags()["scalars"]}


def test_tensorboard_gets_the_same_scalars_as_the_csv_log(tiny_run) -> None:
    pytest.importorskip("tensorboard")
    scalars = _scalars(tiny_run.out_dir)
    rows = pd.read_csv(tiny_run.out_dir / "metrics.csv")
    train_rows = rows[rows["kind"] == "train"]
    assert [step for step, _ in scalars["train/loss"]] == train_rows["step"].tolist()
    assert [v for _, v in scalars["train/loss"]] == pytest.approx(train_rows["loss"].tolist(),
                                                                 rel=1e-5)
    valid = rows[rows["kind"] == "valid"]
    assert [v for _, v in scalars["valid/val_loss"]] == pytest.approx(valid["val_loss"].tolist(),
                                                                      rel=1e-5)


def test_resumed_run_replaces_tensorboard_points_logged_after_its_checkpoint(
        tiny_config, zinc_frame, tmp_path) -> None:
    """A crash after the last checkpoint leaves logged points the resumed run logs again."""
    pytest.importorskip("tensorboard")
    config = with_overrides(tiny_config, out=str(tmp_path / "run"), epochs=1, log_every=1,
                            eval_samples=0, eval_reconstruct=0)
    first = train(config, dataset=zinc_frame, progress=False)
    shutil.copytree(first.last_path, tmp_path / "checkpoint-epoch-1")
    longer = with_overrides(config, epochs=2)
    train(longer, dataset=zinc_frame, progress=False, resume=True)
    # the crash: the run dies after logging epoch 2, its last checkpoint is epoch 1's
    shutil.rmtree(first.last_path)
    shutil.copytree(tmp_path / "checkpoint-epoch-1", first.last_path)
    again = train(longer, dataset=zinc_frame, progress=False, resume=True)
    steps = [step for step, _ in _scalars(again.out_dir)["train/loss"]]
    assert steps == list(range(1, again.steps + 1))
