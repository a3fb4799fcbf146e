from __future__ import annotations

import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import molvae.training.step as train_step
import molvae.training.trainer as training
from molvae.checkpoint import load_checkpoint, load_trainer_state
from molvae.config import with_overrides
from molvae.errors import ConfigError, MolvaeError
from molvae.training import train

# ----------------------------------------------------------------------------- train


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(path).state_dict


def _config(tiny_config, tmp_path: Path, name: str, **overrides):
    base = dict(out=str(tmp_path / name), eval_samples=20, eval_reconstruct=10, log_every=1)
    return with_overrides(tiny_config, **{**base, **overrides})


def test_tiny_training_writes_metrics_and_checkpoints(tiny_run) -> None:
    out = tiny_run.out_dir
    assert (out / "best" / "model.safetensors").exists()
    assert (out / "last" / "trainer_state.pt").exists()
    metrics = pd.read_csv(out / "metrics.csv")
    assert set(metrics["kind"]) == {"train", "valid"}
    valid = metrics[metrics["kind"] == "valid"]
    assert len(valid) == 1
    for column in ("val_loss", "val_kl", "active_units", "recon_accuracy", "validity",
                   "uniqueness", "r2_logp"):
        assert np.isfinite(valid[column]).all(), column
    assert metrics.loc[metrics["kind"] == "train", "mol_per_s"].gt(0).all()
    assert tiny_run.metrics["test_recon_accuracy"] >= 0.0
    assert tiny_run.steps == metrics["step"].max()


@pytest.mark.parametrize(("best_metric", "best_epoch"), [("auto", 2), ("val_loss", 3)])
def test_best_is_picked_by_best_metric(tiny_config, zinc_frame, tmp_path, monkeypatch,
                                       best_metric: str, best_epoch: int) -> None:
    # scripted validation: reconstruction peaks at epoch 2 while the loss keeps falling
    script = iter([{"val_loss": 3.0, "recon_accuracy": 0.1},
                   {"val_loss": 2.0, "recon_accuracy": 0.5},
                   {"val_loss": 1.0, "recon_accuracy": 0.3}])
    monkeypatch.setattr(training, "validate",
                        lambda *a, prior_samples=True, **k: next(script) if prior_samples else {})
    config = _config(tiny_config, tmp_path, best_metric, epochs=3, best_metric=best_metric)
    result = train(config, dataset=zinc_frame, progress=False)
    best = load_checkpoint(result.best_path).metadata
    assert best["epoch"] == best_epoch
    assert result.metrics == best["metrics"]


def test_improves_follows_each_metrics_direction() -> None:
    assert training.improves({"recon_accuracy": 0.5}, {"recon_accuracy": 0.4}, "recon_accuracy")
    assert not training.improves({"recon_accuracy": 0.4}, {"recon_accuracy": 0.4}, "recon_accuracy")
    assert training.improves({"val_loss": 9.0}, {"val_loss": 10.0}, "val_loss")
    assert not training.improves({"val_loss": 11.0}, {"val_loss": 10.0}, "val_loss")
    assert training.improves({"val_loss": 11.0}, {}, "val_loss")  # the first epoch
    assert not training.improves({"val_loss": math.nan}, {}, "val_loss")
    assert not training.improves({}, {}, "recon_accuracy")


def test_best_metric_auto_is_reconstruction_when_measured(tiny_config, monkeypatch) -> None:
    assert training.resolve_best_metric(tiny_config.train) == "recon_accuracy"
    no_recon = with_overrides(tiny_config, eval_reconstruct=0).train
    assert training.resolve_best_metric(no_recon) == "val_loss"
    monkeypatch.setitem(sys.modules, "rdkit", None)
    assert training.resolve_best_metric(tiny_config.train) == "val_loss"
    explicit = with_overrides(tiny_config, best_metric="validity").train
    with pytest.raises(MolvaeError, match="needs RDKit"):
        training.resolve_best_metric(explicit)


def test_training_reduces_the_loss(tiny_config, zinc_frame, tmp_path) -> None:
    config = _config(tiny_config, tmp_path, "longer", epochs=3, eval_samples=0, eval_reconstruct=0)
    train(config, dataset=zinc_frame, progress=False)
    rows = pd.read_csv(Path(config.train.out) / "metrics.csv")
    loss = rows.loc[rows["kind"] == "train", "reconstruction"].to_numpy()
    assert loss[-5:].mean() < 0.8 * loss[:5].mean()


def test_resume_continues_with_identical_losses(tiny_config, zinc_frame, tmp_path) -> None:
    straight = _config(tiny_config, tmp_path, "straight", epochs=2)
    train(straight, dataset=zinc_frame, progress=False)
    split = _config(tiny_config, tmp_path, "split", epochs=1)
    train(split, dataset=zinc_frame, progress=False)
    resumed = with_overrides(split, epochs=2)
    result = train(resumed, dataset=zinc_frame, progress=False, resume=True)
    a, b = _weights(Path(straight.train.out) / "last"), _weights(result.last_path)
    for name in a:
        assert torch.allclose(a[name], b[name], atol=1e-6, rtol=0), name
    rows_a = pd.read_csv(Path(straight.train.out) / "metrics.csv")
    rows_b = pd.read_csv(result.out_dir / "metrics.csv")
    np.testing.assert_allclose(rows_a["loss"], rows_b["loss"], rtol=1e-6)


def test_interrupt_writes_a_resumable_checkpoint_mid_epoch(tiny_config, zinc_frame, tmp_path,
                                                           monkeypatch) -> None:
    straight = _config(tiny_config, tmp_path, "straight", epochs=1, eval_samples=0)
    train(straight, dataset=zinc_frame, progress=False)

    config = _config(tiny_config, tmp_path, "interrupted", epochs=1, eval_samples=0)
    real_step, calls = training._train_step, []

    def interrupted_step(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    monkeypatch.setattr(training, "_train_step", interrupted_step)
    with pytest.raises(KeyboardInterrupt):
        train(config, dataset=zinc_frame, progress=False)
    state = load_trainer_state(Path(config.train.out) / "last")
    assert (state["epoch"], state["batch"], state["step"]) == (0, 3, 3)

    monkeypatch.setattr(training, "_train_step", real_step)
    result = train(config, dataset=zinc_frame, progress=False, resume=True)
    a, b = _weights(Path(straight.train.out) / "last"), _weights(result.last_path)
    assert all(torch.equal(a[name], b[name]) for name in a)


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tiny_config, zinc_frame, tmp_path,
                                                       monkeypatch) -> None:
    config = _config(tiny_config, tmp_path, "nan", epochs=1, eval_samples=0)
    train(config, dataset=zinc_frame, progress=False)
    last = Path(config.train.out) / "last"
    before = {p.name: p.read_bytes() for p in last.iterdir()}

    real_loss = train_step.vae_loss

    def poisoned(*args, **kwargs):
        parts = real_loss(*args, **kwargs)
        return type(parts)(**{**parts.__dict__, "total": parts.total * float("nan")})

    monkeypatch.setattr(train_step, "vae_loss", poisoned)
    with pytest.raises(MolvaeError, match=r"loss is nan.*last good checkpoint"):
        train(with_overrides(config, epochs=2), dataset=zinc_frame, progress=False, resume=True)
    assert {p.name: p.read_bytes() for p in last.iterdir()} == before


def test_resume_with_a_different_model_config_is_refused(tiny_run, zinc_frame, tmp_path) -> None:
    out = tmp_path / "copy"
    shutil.copytree(tiny_run.out_dir, out)
    config = with_overrides(load_tiny(tiny_run), out=str(out), latent_dim=4)
    with pytest.raises(ConfigError, match="latent_dim"):
        train(config, dataset=zinc_frame, progress=False, resume=True)


def test_init_from_starts_from_the_checkpoints_weights_with_a_fresh_schedule(
        tiny_run, zinc_frame, tmp_path) -> None:
    start = load_checkpoint(tiny_run.out_dir / "last")
    config = _config(load_tiny(tiny_run), tmp_path, "tuned",
                     epochs=1, max_steps=1, lr=1e-9, lr_warmup_steps=0, eval_samples=0,
                     eval_reconstruct=0, init_from=str(tiny_run.out_dir / "last"))
    result = train(config, dataset=zinc_frame, progress=False)
    tuned = load_checkpoint(result.last_path)
    # one step at a negligible learning rate: the weights are the checkpoint's, not a fresh init
    for name, tensor in start.state_dict.items():
        assert torch.allclose(tuned.state_dict[name], tensor, atol=1e-5), name
    assert tuned.tokenizer == start.tokenizer
    assert tuned.property_stats == start.property_stats
    assert load_trainer_state(result.last_path)["step"] == 1  # the schedule starts again
    rows = pd.read_csv(result.out_dir / "metrics.csv")
    assert rows["step"].min() == 1


def test_init_from_with_a_different_model_config_is_refused(tiny_run, zinc_frame,
                                                           tmp_path) -> None:
    config = with_overrides(load_tiny(tiny_run), out=str(tmp_path / "t"), latent_dim=4,
                            init_from=str(tiny_run.out_dir / "last"))
    with pytest.raises(ConfigError, match="cannot fine-tune.*latent_dim"):
        train(config, dataset=zinc_frame, progress=False)


def test_init_from_a_missing_checkpoint_names_the_setting(tiny_config, zinc_frame,
                                                          tmp_path) -> None:
    config = _config(tiny_config, tmp_path, "t", init_from=str(tmp_path / "nowhere"))
    with pytest.raises(MolvaeError, match="train.init_from: no checkpoint"):
        train(config, dataset=zinc_frame, progress=False)


def load_tiny(tiny_run):
    from molvae.config import config_from_dict

    import json

    return config_from_dict(json.loads((tiny_run.out_dir / "config.json").read_text()))


def test_max_steps_stops_early_and_validates(tiny_config, zinc_frame, tmp_path) -> None:
    config = _config(tiny_config, tmp_path, "short", epochs=5, max_steps=3, eval_samples=0)
    result = train(config, dataset=zinc_frame, progress=False)
    assert result.steps == 3 and len(result.history) == 1


def test_conditional_model_trains_and_samples_at_targets(tiny_config, zinc_frame, tmp_path) -> None:
    config = _config(tiny_config, tmp_path, "cvae", conditions="logp,qed", eval_samples=20)
    result = train(config, dataset=zinc_frame, progress=False)
    vae = result.load_best(device="cpu", precision="fp32")
    assert vae.condition_names == ("logp", "qed")
    frame = vae.sample(20, seed=0, conditions={"logp": 4.0, "qed": 0.8})
    assert len(frame) == 20
    assert vae.encode(["CCO"]).shape == (1, vae.latent_dim)
    with pytest.raises(Exception, match="conditioned on"):
        vae.sample(2, conditions={"tpsa": 1.0})


def test_selfies_model_trains(tiny_config, zinc_frame, tmp_path) -> None:
    config = _config(tiny_config, tmp_path, "selfies", tokenizer="selfies", max_length=150)
    result = train(config, dataset=zinc_frame, progress=False)
    vae = result.load_best(device="cpu")
    assert vae.tokenizer.kind.value == "selfies"
    assert len(vae.sample(10, seed=0)) == 10


def test_missing_rdkit_skips_the_chemistry_metrics(tiny_config, zinc_frame, tmp_path,
                                                   monkeypatch) -> None:
    import molvae.chemistry  # noqa: F401 - imported before RDKit is hidden
    import molvae.vae  # noqa: F401

    monkeypatch.setitem(sys.modules, "rdkit", None)
    config = _config(tiny_config, tmp_path, "nordkit")
    with pytest.warns(UserWarning, match="RDKit is not installed"):
        result = train(config, dataset=zinc_frame, progress=False)
    assert "validity" not in result.metrics and math.isfinite(result.metrics["val_loss"])


def test_ctrl_c_finishes_the_step_then_writes_a_resumable_checkpoint(tiny_config, zinc_frame,
                                                                     tmp_path, monkeypatch) -> None:
    import os
    import signal

    config = _config(tiny_config, tmp_path, "sigint", epochs=1, eval_samples=0)
    real_step, calls = training._train_step, []

    def step_then_ctrl_c(*args, **kwargs):
        calls.append(1)
        result = real_step(*args, **kwargs)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)  # as a terminal's Ctrl-C would, mid-epoch
        return result

    monkeypatch.setattr(training, "_train_step", step_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        train(config, dataset=zinc_frame, progress=False)
    state = load_trainer_state(Path(config.train.out) / "last")
    assert (state["epoch"], state["batch"], state["step"]) == (0, 3, 3)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
