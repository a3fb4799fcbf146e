"""molvae.training.validation: the held-out metrics of the model being trained, through one MolVAE."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from molvae.chemistry import compute_properties
from molvae.fitting import r_squared
from molvae.training.encoded import encode_split
from molvae.training.validation import validate


def _held_out(vae, zinc_frame, n: int = 40):
    frame = zinc_frame.head(n).copy()
    names = list(vae.config.property_head)
    frame[names] = compute_properties(frame["smiles"].tolist(), names)[names].to_numpy()
    encoded, _ = encode_split("valid", frame, vae.tokenizer, vae.config, vae.property_stats,
                              vae.condition_stats)
    return encoded


def test_validation_reports_loss_reconstruction_samples_and_property_r2(tiny_vae, tiny_config,
                                                                         zinc_frame) -> None:
    data = _held_out(tiny_vae, zinc_frame)
    metrics = validate(tiny_vae, data, tiny_config.train, seed=0)
    for key in ("val_loss", "val_reconstruction", "val_kl", "active_units", "recon_accuracy",
                "validity", "uniqueness"):
        assert key in metrics and math.isfinite(metrics[key]), key
    assert 0.0 <= metrics["recon_accuracy"] <= 1.0 and 0.0 <= metrics["validity"] <= 1.0
    for name in tiny_vae.config.property_head:
        assert metrics[f"r2_{name}"] <= 1.0


def test_validation_r2_is_the_property_heads_r_squared(tiny_vae, tiny_config, zinc_frame) -> None:
    data = _held_out(tiny_vae, zinc_frame)
    metrics = validate(tiny_vae, data, tiny_config.train, seed=0, prior_samples=False)
    with torch.inference_mode():
        ids, lengths, props, conds = data.batch(np.arange(len(data)), torch.device("cpu"))
        pred = tiny_vae.model(ids, lengths, conds, generator=torch.Generator().manual_seed(0)
                              ).property_pred.numpy()
    y = props.numpy()
    name = tiny_vae.config.property_head[0]
    assert metrics[f"r2_{name}"] == pytest.approx(r_squared(y[:, 0], pred[:, 0]), rel=1e-5)


def test_validation_without_prior_samples_skips_validity(tiny_vae, tiny_config, zinc_frame) -> None:
    data = _held_out(tiny_vae, zinc_frame, n=20)
    metrics = validate(tiny_vae, data, tiny_config.train, seed=0, prior_samples=False)
    assert "validity" not in metrics and "recon_accuracy" in metrics
