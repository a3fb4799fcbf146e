"""molvae.latent_model: the model contract that MolVAE and the tests' lookup model both satisfy."""

from __future__ import annotations

from lookup_vae import LookupVAE
from molvae.latent_model import LatentModel


def test_molvae_satisfies_the_model_contract(tiny_vae) -> None:
    assert isinstance(tiny_vae, LatentModel)


def test_the_lookup_model_of_the_optimizer_tests_satisfies_it_too() -> None:
    assert isinstance(LookupVAE(["CCO", "CCN", "c1ccccc1O", "CCCCC"]), LatentModel)


def test_an_object_without_a_decoder_does_not() -> None:
    class EncoderOnly:
        latent_dim = 4
        model = None
        metadata: dict = {}

        def encode(self, molecules, *, on_invalid="raise"):
            return None

    assert not isinstance(EncoderOnly(), LatentModel)
