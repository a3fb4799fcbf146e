"""Training a model, one module per concept:

- :mod:`~molvae.training.trainer`: ``train(run_config)``, reading straight down: data, split,
  tokenizer, model, epochs, checkpoints (:class:`TrainResult`);
- :mod:`~molvae.training.encoded`: the dataset split, tokenized and encoded, in length-bucketed
  batches;
- :mod:`~molvae.training.step`: one optimizer step (a CUDA graph on a GPU);
- :mod:`~molvae.training.schedules`: the KL weight and learning-rate schedules;
- :mod:`~molvae.training.validation`: the held-out metrics after each epoch;
- :mod:`~molvae.training.selection`: which epoch is ``best``;
- :mod:`~molvae.training.resume`: resuming ``last`` exactly, fine-tuning from a checkpoint;
- :mod:`~molvae.training.log`: ``metrics.csv``, TensorBoard, the progress bar;
- :mod:`~molvae.training.distributed`: several GPUs under ``torchrun``.

``train`` and ``TrainResult`` are imported on first use, so that importing a light module of this
package (the schedules, the log's file name) does not load the whole trainer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["train", "TrainResult", "METRICS_FILE"]

from molvae.training.log import METRICS_FILE

if TYPE_CHECKING:
    from molvae.training.trainer import TrainResult, train


def __getattr__(name: str):  # PEP 562: the trainer loads torch, RDKit and the data code
    if name in ("train", "TrainResult"):
        from molvae.training import trainer

        return getattr(trainer, name)
    raise AttributeError(f"module 'molvae.training' has no attribute {name!r}")
