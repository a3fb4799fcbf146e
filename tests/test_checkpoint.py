from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
import torch

import molvae.checkpoint as checkpoint_module
from molvae.checkpoint import (
    META_FILE,
    TRAINER_FILE,
    WEIGHTS_FILE,
    is_checkpoint,
    load_checkpoint,
    load_trainer_state,
    save_checkpoint,
)
from molvae.config import ModelConfig
from molvae.errors import CheckpointError
from molvae.model import VAE
from molvae.tokenizers import make_tokenizer
from molvae.vae import MolVAE

CONFIG = ModelConfig(embedding_dim=4, encoder_hidden=4, latent_dim=2, decoder_hidden=4,
                     decoder_layers=1, property_head=("logp",), property_hidden=4)


def _save(path: Path, **extra) -> Path:
    tokenizer = make_tokenizer("smiles", ["CCO", "c1ccccc1"])
    torch.manual_seed(0)
    model = VAE(CONFIG, len(tokenizer.vocabulary))
    return save_checkpoint(path, state_dict=model.state_dict(), config=CONFIG,
                           tokenizer=tokenizer.to_dict(), property_stats={"logp": (1.5, 2.0)},
                           metadata={"metrics": {"validity": 0.5}, "epoch": 3, "step": 40,
                                     "data": {"fingerprint": "abc"}}, **extra)


def test_checkpoint_directory_round_trips(tmp_path: Path) -> None:
    path = _save(tmp_path / "ckpt")
    assert {p.name for p in path.iterdir()} == {WEIGHTS_FILE, META_FILE}
    ckpt = load_checkpoint(path)
    assert ckpt.config == CONFIG and ckpt.property_stats == {"logp": (1.5, 2.0)}
    assert ckpt.metadata["epoch"] == 3 and ckpt.metadata["data"]["fingerprint"] == "abc"
    assert ckpt.tokenizer["kind"] == "smiles" and not ckpt.resumable
    meta = json.loads((path / META_FILE).read_text())
    for key in ("molvae_version", "torch_version", "model_config", "tokenizer", "created"):
        assert key in meta


def test_single_file_checkpoint_round_trips(tmp_path: Path) -> None:
    path = _save(tmp_path / "model.safetensors")
    assert path.is_file() and is_checkpoint(path)
    assert load_checkpoint(path).config == CONFIG


def test_single_file_cannot_hold_a_trainer_state(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="directory"):
        _save(tmp_path / "model.safetensors", trainer_state={"step": 1})


def test_checkpoint_loads_without_pickle(tmp_path: Path, monkeypatch) -> None:
    path = _save(tmp_path / "ckpt")

    def forbidden(*args, **kwargs):
        raise AssertionError("loading a checkpoint must not unpickle anything")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    model = MolVAE.load(path, device="cpu")
    assert model.latent_dim == 2


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned-by-checkpoint",))


def test_trainer_state_with_code_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = _save(tmp_path / "ckpt", trainer_state={"step": 1})
    torch.save({"step": 1, "evil": _Exploit()}, path / TRAINER_FILE)
    with pytest.raises(CheckpointError, match="trainer_state.pt"):
        load_trainer_state(path)
    assert not (tmp_path / "pwned-by-checkpoint").exists()


def test_trainer_state_round_trips_with_plain_types(tmp_path: Path) -> None:
    state = {"step": 7, "rng": torch.get_rng_state(), "nested": [(1, "a", None, 2.5)]}
    path = _save(tmp_path / "ckpt", trainer_state=state)
    loaded = load_trainer_state(path)
    assert loaded["step"] == 7 and torch.equal(loaded["rng"], state["rng"])
    assert load_checkpoint(path).resumable


def test_missing_weights_raise_naming_the_file(tmp_path: Path) -> None:
    path = _save(tmp_path / "ckpt")
    (path / WEIGHTS_FILE).unlink()
    with pytest.raises(CheckpointError, match="model.safetensors is missing"):
        load_checkpoint(path)


def test_corrupt_metadata_raises_naming_the_file(tmp_path: Path) -> None:
    path = _save(tmp_path / "ckpt")
    (path / META_FILE).write_text("{not json")
    with pytest.raises(CheckpointError, match="checkpoint.json is not valid JSON"):
        load_checkpoint(path)


def test_truncated_weights_raise_a_checkpoint_error(tmp_path: Path) -> None:
    path = _save(tmp_path / "ckpt")
    data = (path / WEIGHTS_FILE).read_bytes()
    (path / WEIGHTS_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="model.safetensors"):
        load_checkpoint(path)


def test_weights_that_do_not_fit_the_config_raise(tmp_path: Path) -> None:
    path = _save(tmp_path / "ckpt")
    meta = json.loads((path / META_FILE).read_text())
    meta["model_config"]["latent_dim"] = 3
    (path / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="do not fit"):
        MolVAE.load(path)


def test_newer_format_version_asks_to_upgrade(tmp_path: Path) -> None:
    path = _save(tmp_path / "ckpt")
    meta = json.loads((path / META_FILE).read_text())
    meta["format_version"] = 99
    (path / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="upgrade molvae"):
        load_checkpoint(path)


def test_missing_checkpoint_raises(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "nothing")
    with pytest.raises(CheckpointError, match="not resumable"):
        load_trainer_state(_save(tmp_path / "ckpt"))


def test_overwriting_swaps_the_directory_in_whole(tmp_path: Path) -> None:
    path = _save(tmp_path / "ckpt", trainer_state={"step": 1})
    _save(path)  # the new one has no trainer state: nothing of the old one may remain
    assert not (path / TRAINER_FILE).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]  # no temporary leftovers


def test_a_failed_write_leaves_the_previous_checkpoint_intact(tmp_path: Path, monkeypatch) -> None:
    path = _save(tmp_path / "ckpt")
    before = {p.name: p.read_bytes() for p in path.iterdir()}

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        _save(path, trainer_state={"step": 2})
    assert {p.name: p.read_bytes() for p in path.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_swap_without_renameat2_still_replaces(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(checkpoint_module, "_rename_exchange", lambda a, b: False)
    path = _save(tmp_path / "ckpt", trainer_state={"step": 1})
    _save(path)
    assert not (path / TRAINER_FILE).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_molvae_save_and_load_keep_predictions(tiny_vae, tmp_path: Path) -> None:
    for target in (tmp_path / "copy", tmp_path / "copy.safetensors"):
        tiny_vae.save(target)
        again = MolVAE.load(target, device="cpu", precision="fp32")
        assert again.sample(20, seed=3)["raw"].equals(tiny_vae.sample(20, seed=3)["raw"])
        assert again.tokenizer == tiny_vae.tokenizer
        assert again.property_stats == tiny_vae.property_stats


def test_pretrained_name_without_a_shipped_model_says_what_to_do(monkeypatch, tmp_path) -> None:
    import molvae.pretrained as pretrained

    monkeypatch.setattr(pretrained, "PRETRAINED_DIR", tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CheckpointError, match="molvae train zinc"):
        MolVAE.load("zinc")


def test_training_checkpoints_record_data_and_metrics(tiny_run) -> None:
    ckpt = load_checkpoint(tiny_run.best_path)
    assert ckpt.metadata["data"]["fingerprint"]
    assert "val_loss" in ckpt.metadata["metrics"]
    assert set(ckpt.property_stats) == {"logp", "qed", "sa"}
    assert load_checkpoint(tiny_run.last_path).resumable


def test_a_training_run_folder_loads_its_best_checkpoint(tiny_run, caplog) -> None:
    import logging

    with caplog.at_level(logging.INFO, logger="molvae.pretrained"):  # it resolves what is named
        vae = MolVAE.load(tiny_run.out_dir, device="cpu", precision="fp32")
    best = MolVAE.load(tiny_run.best_path, device="cpu", precision="fp32")
    assert vae.sample(10, seed=1)["raw"].equals(best.sample(10, seed=1)["raw"])
    assert "loading its best checkpoint" in caplog.text


def test_a_run_folder_without_best_loads_last(tiny_run, tmp_path) -> None:
    import shutil

    run = tmp_path / "run"
    shutil.copytree(tiny_run.last_path, run / "last")
    assert MolVAE.load(run, device="cpu").metadata["step"] == load_checkpoint(run / "last").metadata["step"]


def test_a_folder_with_no_checkpoint_still_says_what_is_missing(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="point to the run's `last` or `best`"):
        MolVAE.load(tmp_path / "empty")
