from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from molvae.config import (
    KLSchedule,
    ModelConfig,
    Precision,
    RunConfig,
    TrainConfig,
    config_from_dict,
    config_to_dict,
    load_config,
    shipped_configs,
    with_overrides,
)
from molvae.errors import ConfigError
from molvae.tokenizers import TokenizerKind

REPO = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    return path


def test_unknown_config_key_raises_with_the_key_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "model:\n  latent_dimm: 64\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert "'latent_dimm'" in message and "'model'" in message
    assert "did you mean 'latent_dim'" in message and "valid keys:" in message


def test_unknown_section_raises_with_the_section_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown section 'trian'.*'train'"):
        load_config(_write(tmp_path, "trian:\n  epochs: 3\n"))


def test_missing_keys_take_their_defaults(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "train:\n  epochs: 3\n"))
    assert config.train.epochs == 3
    assert config.model == ModelConfig() and config.data == RunConfig().data


def test_modes_are_string_enums_in_yaml(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "model:\n  tokenizer: selfies\ntrain:\n  "
                                          "kl_schedule: cyclical\n  precision: bf16\n"))
    assert config.model.tokenizer is TokenizerKind.SELFIES
    assert config.train.kl_schedule is KLSchedule.CYCLICAL
    assert config.train.precision is Precision.BF16


def test_bad_enum_value_lists_the_valid_values(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="model.tokenizer must be one of smiles, selfies"):
        load_config(_write(tmp_path, "model:\n  tokenizer: inchi\n"))


def test_wrongly_typed_value_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="train.epochs must be an integer"):
        load_config(_write(tmp_path, "train:\n  epochs: many\n"))


def test_out_of_range_value_raises() -> None:
    with pytest.raises(ConfigError, match="train.epochs must be at least 1"):
        TrainConfig(epochs=0)
    with pytest.raises(ConfigError, match="word_dropout"):
        ModelConfig(word_dropout=1.5)


def test_best_metric_must_be_a_measured_validation_metric() -> None:
    with pytest.raises(ConfigError, match="best_metric 'loss' is not a validation metric"):
        with_overrides(RunConfig(), best_metric="loss")
    with pytest.raises(ConfigError, match="eval_reconstruct > 0"):
        with_overrides(RunConfig(), best_metric="recon_accuracy", eval_reconstruct=0)
    assert with_overrides(RunConfig(), best_metric="val_loss", eval_reconstruct=0)


def test_overrides_coerce_cli_strings() -> None:
    config = with_overrides(RunConfig(), epochs="3", batch_size="512", tokenizer="SELFIES",
                            latent_dim=64, out="runs/x", conditions="logp, qed", max_steps="none",
                            lr="3e-4")
    assert config.train.epochs == 3 and config.train.batch_size == 512
    assert config.model.tokenizer is TokenizerKind.SELFIES and config.model.latent_dim == 64
    assert config.model.conditions == ("logp", "qed") and config.train.max_steps is None
    assert config.train.out == "runs/x" and config.train.lr == pytest.approx(3e-4)


def test_overrides_ignore_none_and_accept_dotted_names() -> None:
    base = RunConfig()
    assert with_overrides(base, epochs=None) == base
    assert with_overrides(base, **{"train.seed": 5}).train.seed == 5


def test_override_of_an_unknown_field_suggests_the_closest() -> None:
    with pytest.raises(ConfigError, match="unknown config field 'epoch'.*did you mean 'epochs'"):
        with_overrides(RunConfig(), epoch=3)


def test_overrides_do_not_mutate_the_input() -> None:
    base = RunConfig()
    with_overrides(base, epochs=99)
    assert base.train.epochs == TrainConfig().epochs


def test_config_round_trips_through_a_plain_dict() -> None:
    config = with_overrides(load_config("zinc"), conditions="logp,qed", tokenizer="selfies")
    assert config_from_dict(config_to_dict(config)) == config


@pytest.mark.parametrize("name", ["zinc", "zinc_gpu", "zinc_cpu", "moses", "tiny", "moses_vae_size"])
def test_shipped_configs_load_by_name(name: str) -> None:
    config = load_config(name)
    assert isinstance(config, RunConfig)
    assert shipped_configs()[name].name == f"{name}.yaml"


def test_unknown_config_name_lists_the_shipped_ones() -> None:
    with pytest.raises(ConfigError, match="shipped configs: .*tiny"):
        load_config("tinyy")


def test_moses_vae_size_matches_the_moses_defaults() -> None:
    model = load_config("moses_vae_size").model
    assert (model.encoder_hidden, model.encoder_layers, model.decoder_hidden,
            model.decoder_layers, model.latent_dim) == (256, 1, 512, 3, 128)
    assert load_config("moses_vae_size").train.batch_size == 512


def test_configs_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RunConfig().train.epochs = 3  # type: ignore[misc]


def test_packaged_config_copies_match_the_canonical_ones() -> None:
    packaged = REPO / "molvae" / "configs"
    if not packaged.is_dir():
        pytest.skip("configs/ is the only copy in this checkout")
    for path in (REPO / "configs").glob("*.yaml"):
        assert (packaged / path.name).read_text() == path.read_text(), path.name


def test_run_config_for_a_dataset_name_uses_its_shipped_config() -> None:
    from molvae.config import run_config_for

    moses = run_config_for("moses", epochs="2")
    assert moses == with_overrides(load_config("moses"), epochs=2)
    custom = run_config_for("my.csv", smiles_column="smi", out="runs/x")
    assert custom.data.source == "my.csv" and custom.data.smiles_column == "smi"
    assert custom.model == load_config("zinc").model
    tiny = run_config_for("zinc", config="tiny")
    assert tiny.model == load_config("tiny").model and tiny.data.source == "zinc"
