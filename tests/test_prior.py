"""Rules of the learned latent prior (molvae.prior) and how models carry and use it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from molvae.errors import ConfigError, MolvaeError
from molvae.prior import PRIOR_FILE, DiffusionPrior, PriorConfig, fit_prior

SMALL = PriorConfig(hidden=64, blocks=2, epochs=40, batch_size=250, lr=3e-3, sample_steps=25)


@pytest.fixture(scope="module")
def shifted_codes() -> torch.Tensor:
    """2,000 codes of a Gaussian far from N(0, I): mean 3, per-dimension scales 0.3 to 2."""
    generator = torch.Generator().manual_seed(1)
    scales = torch.tensor([0.3, 0.5, 1.0, 2.0])
    return torch.randn(2000, 4, generator=generator) * scales + 3.0


@pytest.fixture(scope="module")
def fitted(shifted_codes: torch.Tensor) -> DiffusionPrior:
    return fit_prior(shifted_codes, SMALL)


def test_samples_follow_the_fitted_codes_not_the_standard_normal(
        fitted: DiffusionPrior, shifted_codes: torch.Tensor) -> None:
    z = fitted.sample(4000, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(z.mean(0), shifted_codes.mean(0), atol=0.25)
    ratio = z.std(0) / shifted_codes.std(0)
    assert bool(((ratio > 0.75) & (ratio < 1.3)).all()), ratio


def test_sampling_is_reproducible_with_a_seeded_generator(fitted: DiffusionPrior) -> None:
    a = fitted.sample(16, generator=torch.Generator().manual_seed(7))
    b = fitted.sample(16, generator=torch.Generator().manual_seed(7))
    c = fitted.sample(16, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_fitting_is_reproducible_and_leaves_the_global_rng_alone(
        shifted_codes: torch.Tensor) -> None:
    config = PriorConfig(hidden=16, blocks=1, epochs=1, batch_size=512)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a, b = fit_prior(shifted_codes, config), fit_prior(shifted_codes, config)
    assert torch.equal(torch.rand(1), before)
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name


def test_score_points_back_toward_the_data(fitted: DiffusionPrior,
                                           shifted_codes: torch.Tensor) -> None:
    center, var = shifted_codes.mean(0), shifted_codes.var(0)
    away = center + torch.tensor([[0.4, 0.5, 1.5, 2.0], [-0.5, -0.8, -1.5, 3.0]])  # 1-2 sd out
    exact = (center - away) / var  # ∇ log p of the Gaussian the codes came from
    cosine = torch.nn.functional.cosine_similarity(fitted.score(away), exact, dim=1)
    assert bool((cosine > 0.8).all()), cosine


def test_save_and_load_round_trip_gives_identical_draws(fitted: DiffusionPrior,
                                                         tmp_path: Path) -> None:
    path = fitted.save(tmp_path / "p.safetensors")
    loaded = DiffusionPrior.load(path)
    assert loaded.config == fitted.config
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    assert torch.equal(loaded.sample(8, generator=g()), fitted.sample(8, generator=g()))


def test_a_file_that_is_not_a_prior_is_a_one_line_error(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(2)}, str(tmp_path / "x.safetensors"))
    with pytest.raises(MolvaeError, match="not a molvae prior"):
        DiffusionPrior.load(tmp_path / "x.safetensors")


def test_bad_config_and_codes_are_rejected() -> None:
    with pytest.raises(ConfigError, match="sample_steps"):
        PriorConfig(timesteps=10, sample_steps=20)
    with pytest.raises(ConfigError, match="NaN"):
        fit_prior(torch.tensor([[0.0, float("nan")], [1.0, 1.0]]), SMALL)


# --- carried by the model ---------------------------------------------------------------------


@pytest.fixture()
def vae_with_prior(tiny_vae, tiny_checkpoint: Path, tmp_path: Path):
    from molvae.vae import MolVAE

    folder = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, folder)
    vae = MolVAE.load(folder, device="cpu", precision="fp32")
    codes = torch.randn(512, vae.latent_dim, generator=torch.Generator().manual_seed(0)) * 0.1 + 2
    vae.prior = fit_prior(codes, PriorConfig(hidden=16, blocks=1, epochs=2, batch_size=128))
    return vae, folder


def test_sample_draws_from_the_learned_prior_by_default(vae_with_prior) -> None:
    vae, _ = vae_with_prior
    learned = vae.sample_latent(256, seed=0)
    normal = vae.sample_latent(256, seed=0, prior="normal")
    assert torch.equal(learned, vae.prior.sample(256, generator=vae._generator(0)))
    assert float(learned.mean()) > 1.0 and abs(float(normal.mean())) < 0.2
    assert len(vae.sample(5, seed=0)) == 5


def test_the_prior_is_saved_inside_the_checkpoint_and_loaded_with_it(vae_with_prior,
                                                                     tmp_path: Path) -> None:
    from molvae.vae import MolVAE

    vae, _ = vae_with_prior
    saved = vae.save(tmp_path / "with_prior")
    assert (saved / PRIOR_FILE).is_file()
    again = MolVAE.load(saved, device="cpu", precision="fp32")
    assert again.prior is not None
    assert torch.equal(again.sample_latent(4, seed=1), vae.sample_latent(4, seed=1))
    single = vae.save(tmp_path / "one.safetensors")
    assert MolVAE.load(single, device="cpu").prior is not None


def test_asking_for_a_learned_prior_the_model_lacks_says_how_to_fit_one(tiny_vae) -> None:
    assert tiny_vae.prior is None
    with pytest.raises(MolvaeError, match="molvae prior fit"):
        tiny_vae.sample(3, prior="learned")
    with pytest.raises(ConfigError, match="'auto', 'learned' or 'normal'"):
        tiny_vae.sample(3, prior="gaussian")


def test_cli_prior_fit_saves_a_prior_that_sample_then_uses(vae_with_prior, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from molvae.cli import app

    _, folder = vae_with_prior
    molecules = tmp_path / "m.smi"
    molecules.write_text("\n".join(["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCN(CC)CC"] * 20))
    runner = CliRunner()
    fit = runner.invoke(app, ["prior", "fit", "--model", str(folder), "--input", str(molecules),
                              "--epochs", "1", "--device", "cpu"])
    assert fit.exit_code == 0, fit.output
    assert (folder / PRIOR_FILE).is_file()
    out = tmp_path / "s.csv"
    sample = runner.invoke(app, ["sample", "--model", str(folder), "-n", "4", "-o", str(out),
                                 "--prior", "learned", "--device", "cpu"])
    assert sample.exit_code == 0, sample.output
    missing = runner.invoke(app, ["prior", "fit", "--model", "zinc-nowhere", "--input",
                                  str(molecules)])
    assert missing.exit_code != 0


def test_cli_prior_fit_on_a_run_folder_saves_into_its_best_checkpoint(tiny_run,
                                                                      tmp_path: Path) -> None:
    import shutil

    from typer.testing import CliRunner

    from molvae.checkpoint import is_checkpoint
    from molvae.cli import app

    run = tmp_path / "run"
    shutil.copytree(tiny_run.out_dir, run)
    molecules = tmp_path / "m.smi"
    molecules.write_text("\n".join(["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCN(CC)CC"] * 20))
    fit = CliRunner().invoke(app, ["prior", "fit", "--model", str(run), "--input", str(molecules),
                                   "--epochs", "1", "--device", "cpu"])
    assert fit.exit_code == 0, fit.output
    assert (run / "best" / PRIOR_FILE).is_file()
    assert not is_checkpoint(run)  # the run folder itself is left as it was


def test_the_module_examples_hold() -> None:
    import doctest

    import molvae.prior

    assert doctest.testmod(molvae.prior).failed == 0


def test_refine_keeps_points_near_their_code_and_pulls_outliers_onto_the_data(
        fitted: DiffusionPrior, shifted_codes: torch.Tensor) -> None:
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    z = shifted_codes[:64]
    assert torch.equal(fitted.refine(z, noise=0.0), z)
    near = fitted.refine(z, noise=0.1, generator=g())
    assert float((near - z).norm(dim=1).median()) < 0.5 * float(z.std(0).norm())
    outlier = shifted_codes.mean(0) + 6 * shifted_codes.std(0)  # 12 sd from the data's center
    pulled = fitted.refine(outlier.expand(64, -1), noise=3.0, generator=g())
    sd = (pulled - shifted_codes.mean(0)) / shifted_codes.std(0)
    assert float(sd.norm(dim=1).median()) < 4.0
    with pytest.raises(ConfigError, match="noise"):
        fitted.refine(z, noise=-1.0)
