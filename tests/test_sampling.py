"""molvae.sampling: the decoding loop from z to token ids."""

from __future__ import annotations

import pytest
import torch

from molvae.config import ModelConfig
from molvae.model import (
    END_ID,
    START_ID,
    VAE,
)
from molvae.sampling import DecodeStats, decode_latents


def _decoder_model(**overrides) -> VAE:
    config = ModelConfig(embedding_dim=8, encoder_hidden=8, latent_dim=4, decoder_hidden=16,
                         decoder_layers=2, property_head=(), **overrides)
    torch.manual_seed(0)
    return VAE(config, 12).eval()


def test_decoding_stops_when_all_sequences_end() -> None:
    vae = _decoder_model()
    with torch.no_grad():
        vae.decoder.out.bias.fill_(-100.0)
        vae.decoder.out.bias[END_ID] = 100.0  # every sequence ends at its first step
    stats = DecodeStats()
    ids = decode_latents(vae, torch.randn(50, 4), max_length=100, greedy=True, stats=stats)
    assert stats.steps == 1 and stats.row_steps == 50
    assert ids.shape == (50, 2)
    assert (ids[:, 0] == START_ID).all() and (ids[:, 1] == END_ID).all()


def test_decoding_runs_the_gru_only_on_unfinished_rows() -> None:
    vae = _decoder_model()
    with torch.no_grad():
        vae.decoder.out.bias[END_ID] = 2.0  # sequences end at different steps
    stats = DecodeStats()
    ids = decode_latents(vae, torch.randn(64, 4), max_length=40, greedy=False,
                         generator=torch.Generator().manual_seed(0), stats=stats)
    ended = (ids == END_ID).any(1)
    produced = torch.where(ended, (ids == END_ID).int().argmax(1), torch.full_like(ended, 39, dtype=torch.long))
    assert stats.row_steps == int(produced.sum())  # one GRU row-step per token produced
    assert stats.row_steps < 64 * stats.steps


def test_greedy_decoding_agrees_with_teacher_forcing() -> None:
    vae = _decoder_model()
    z = torch.randn(20, 4)
    ids = decode_latents(vae, z, max_length=25, greedy=True)
    with torch.no_grad():
        logits = vae.decoder(vae.embedding(ids[:, :-1].t()), z).transpose(0, 1)
    predicted = logits.argmax(-1)
    for row, pred in zip(ids, predicted):
        ends = (row == END_ID).nonzero()
        stop = int(ends[0]) if len(ends) else len(row) - 1
        assert torch.equal(pred[:stop], row[1:stop + 1])


def test_bf16_decoding_mostly_agrees_with_fp32() -> None:
    vae = _decoder_model()
    z = torch.randn(200, 4)
    full = decode_latents(vae, z, max_length=30, greedy=True)
    half = decode_latents(vae, z, max_length=30, greedy=True, mm_dtype=torch.bfloat16)
    width = min(full.shape[1], half.shape[1])
    same = (full[:, :width] == half[:, :width]).all(1).float().mean()
    assert same > 0.9


def test_temperature_zero_decodes_greedily_and_a_negative_one_is_an_error() -> None:
    model, z = _decoder_model(), torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    greedy = decode_latents(model, z, max_length=5, greedy=True)
    at_zero = decode_latents(model, z, max_length=5, greedy=False, temperature=0.0,
                             generator=torch.Generator().manual_seed(1))
    assert torch.equal(greedy, at_zero)
    with pytest.raises(ValueError, match="temperature must be 0 \\(greedy decoding\\) or positive"):
        decode_latents(model, z, max_length=5, greedy=False, temperature=-0.5)
