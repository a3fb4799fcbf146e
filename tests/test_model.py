from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

import molvae.model as model_module
from molvae.config import ModelConfig
from molvae.errors import ConfigError, InvalidMoleculeError, TokenizationError, UnknownPropertyError
from molvae.model import (
    END_ID,
    PAD_ID,
    START_ID,
    UNK_ID,
    VAE,
    GRURecurrence,
    VAEOutput,
    resolve_device,
    resolve_precision,
    vae_loss,
)
from molvae.sampling import DecodeStats, decode_latents

SMALL = ModelConfig(embedding_dim=8, encoder_hidden=12, encoder_layers=2, latent_dim=6,
                    decoder_hidden=10, decoder_layers=2, word_dropout=0.0, property_hidden=8,
                    conditions=("logp",))


def _batch(vocab: int = 15, lengths=(9, 7, 3, 9, 5), seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor(lengths)
    ids = torch.randint(4, vocab, (len(lengths), int(lengths.max())), generator=g)
    for i, n in enumerate(lengths.tolist()):
        ids[i, 0], ids[i, n - 1], ids[i, n:] = START_ID, END_ID, PAD_ID
    return ids, lengths


def _pair(monkeypatch, dtype=torch.float64):
    torch.manual_seed(0)
    vae = VAE(SMALL, 15).to(dtype)
    ids, lengths = _batch()
    cond = torch.randn(len(lengths), 1, dtype=dtype)

    def run(reference: bool):
        monkeypatch.setattr(model_module, "_use_cudnn", lambda x: reference)
        vae.zero_grad()
        out = vae(ids, lengths, cond, sample=False, mm_dtype=dtype)
        loss = vae_loss(out, ids, beta=1.0).total
        loss.backward()
        return out, {n: p.grad.clone() for n, p in vae.named_parameters() if p.grad is not None}

    return run


# ----------------------------------------------------------------------------- GRU kernel


def test_gru_recurrence_gradients_pass_gradcheck() -> None:
    g = torch.Generator().manual_seed(1)
    steps, batch, hidden = 5, 3, 4
    args = (torch.randn(steps, batch, 3 * hidden, dtype=torch.float64, generator=g),
            torch.randn(batch, hidden, dtype=torch.float64, generator=g),
            torch.randn(3 * hidden, hidden, dtype=torch.float64, generator=g),
            torch.randn(hidden, dtype=torch.float64, generator=g))
    args = tuple(a.requires_grad_() for a in args)
    assert torch.autograd.gradcheck(lambda *a: GRURecurrence.apply(*a, torch.float64), args)


def test_cpu_gru_path_matches_nn_gru_forward_and_backward(monkeypatch) -> None:
    run = _pair(monkeypatch)
    ours, grads = run(reference=False)
    ref, ref_grads = run(reference=True)  # the GPU path: nn.GRU's own function (cuDNN there)
    assert torch.allclose(ours.mu, ref.mu, atol=1e-12)
    assert torch.allclose(ours.logits, ref.logits, atol=1e-12)
    assert set(grads) == set(ref_grads)
    for name in grads:
        assert torch.allclose(grads[name], ref_grads[name], atol=1e-10), name


@pytest.mark.parametrize("gpu_path", [False, True])
def test_padded_encoder_gives_the_final_states_of_a_packed_bidirectional_gru(monkeypatch,
                                                                             gpu_path) -> None:
    torch.manual_seed(0)
    vae = VAE(SMALL, 15).double().eval()
    ids, lengths = _batch()
    emb = vae.embedding(ids.t())
    monkeypatch.setattr(model_module, "_use_cudnn", lambda x: gpu_path)
    ours = vae.encoder._forward_padded(emb, lengths, torch.float64, None)
    packed = torch.nn.utils.rnn.pack_padded_sequence(emb, lengths, enforce_sorted=False)
    _, h_n = vae.encoder.rnn(packed)
    assert torch.allclose(ours, torch.cat([h_n[-2], h_n[-1]], dim=1), atol=1e-12)


def test_bf16_matmuls_stay_close_to_fp32(monkeypatch) -> None:
    torch.manual_seed(0)
    vae = VAE(SMALL, 15)
    ids, lengths = _batch()
    cond = torch.zeros(len(lengths), 1)
    full = vae(ids, lengths, cond, sample=False)
    half = vae(ids, lengths, cond, sample=False, mm_dtype=torch.bfloat16)
    assert (full.logits - half.logits).abs().max() < 0.05
    assert (full.mu - half.mu).abs().max() < 0.05


# ----------------------------------------------------------------------------- modules


def test_forward_returns_logits_for_every_next_token() -> None:
    config = ModelConfig(embedding_dim=8, encoder_hidden=8, latent_dim=4, decoder_hidden=8,
                         decoder_layers=1, property_hidden=4)
    vae = VAE(config, 12)
    ids, lengths = _batch(12)
    out = vae(ids, lengths)
    assert isinstance(out, VAEOutput)
    assert out.logits.shape == (5, ids.shape[1] - 1, 12)
    assert out.mu.shape == out.logvar.shape == out.z.shape == (5, 4)
    assert out.property_pred.shape == (5, 3)


def test_property_head_is_off_when_no_properties_are_named() -> None:
    vae = VAE(ModelConfig(latent_dim=4, encoder_hidden=8, decoder_hidden=8, property_head=()), 12)
    ids, lengths = _batch(12)
    assert vae.property_head is None and vae(ids, lengths).property_pred is None


def test_conditional_model_requires_its_conditions() -> None:
    vae = VAE(SMALL, 15)
    ids, lengths = _batch()
    with pytest.raises(ValueError, match=r"conditioned on \['logp'\]"):
        vae(ids, lengths)


def test_sampling_of_z_draws_from_the_generator() -> None:
    vae = VAE(SMALL, 15)
    ids, lengths = _batch()
    cond = torch.zeros(5, 1)
    a = vae(ids, lengths, cond, generator=torch.Generator().manual_seed(3)).z
    b = vae(ids, lengths, cond, generator=torch.Generator().manual_seed(3)).z
    c = vae(ids, lengths, cond, sample=False).z
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(c, vae(ids, lengths, cond, sample=False).mu)


def test_word_dropout_replaces_inputs_by_unk_but_never_the_start_token() -> None:
    config = ModelConfig(embedding_dim=8, encoder_hidden=8, latent_dim=4, decoder_hidden=8,
                         word_dropout=0.9)
    vae = VAE(config, 15).train()
    seen = []
    vae.embedding.register_forward_hook(lambda module, args, out: seen.append(args[0].clone()))
    ids, lengths = _batch()
    vae(ids, lengths, generator=torch.Generator().manual_seed(0))
    decoder_inputs = seen[1]  # (T-1, B), time-major; seen[0] is the encoder's input
    assert (decoder_inputs[0] == START_ID).all()
    assert (decoder_inputs == UNK_ID).float().mean() > 0.5
    vae.eval()
    seen.clear()
    vae(ids, lengths)
    assert not (seen[1] == UNK_ID).any()


# ----------------------------------------------------------------------------- loss


def _output(logits, mu=None, logvar=None, pred=None):
    batch = logits.shape[0]
    mu = torch.zeros(batch, 2) if mu is None else mu
    logvar = torch.zeros(batch, 2) if logvar is None else logvar
    return VAEOutput(logits=logits, mu=mu, logvar=logvar, z=mu, property_pred=pred)


def test_reconstruction_is_summed_over_tokens_and_ignores_padding() -> None:
    targets = torch.tensor([[START_ID, 5, END_ID, PAD_ID], [START_ID, 6, 7, END_ID]])
    logits = torch.zeros(2, 3, 10)  # uniform: every real token costs log(10)
    parts = vae_loss(_output(logits), targets, beta=1.0)
    assert parts.reconstruction.item() == pytest.approx((2 + 3) / 2 * math.log(10), rel=1e-6)
    assert parts.kl.item() == pytest.approx(0.0)


def test_kl_matches_the_closed_form() -> None:
    mu, logvar = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, math.log(4.0)]])
    parts = vae_loss(_output(torch.zeros(1, 1, 4), mu, logvar), torch.tensor([[1, 2]]), beta=0.5)
    expected = 0.5 * 1.0 + 0.5 * (4.0 - 1.0 - math.log(4.0))
    assert parts.kl.item() == pytest.approx(expected, rel=1e-6)
    assert parts.total.item() == pytest.approx(parts.reconstruction.item() + 0.5 * expected, rel=1e-6)


def test_free_bits_set_a_floor_under_each_dimension() -> None:
    mu = torch.tensor([[0.1, 3.0]])  # KL 0.005 and 4.5 nats
    parts = vae_loss(_output(torch.zeros(1, 1, 4), mu), torch.tensor([[1, 2]]), beta=1.0,
                     free_bits=0.5)
    assert parts.kl.item() == pytest.approx(0.005 + 4.5, rel=1e-5)
    assert parts.kl_penalized.item() == pytest.approx(0.5 + 4.5, rel=1e-5)


def test_property_loss_masks_unknown_targets() -> None:
    pred = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    targets = torch.tensor([[0.0, float("nan")], [float("nan"), 2.0]])
    parts = vae_loss(_output(torch.zeros(2, 1, 4), pred=pred), torch.tensor([[1, 2], [1, 2]]),
                     beta=1.0, property_targets=targets, property_weight=2.0)
    assert parts.property.item() == pytest.approx((1.0 + 4.0) / 2)
    assert torch.isfinite(parts.total)


# ----------------------------------------------------------------------------- decoding


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


def test_sampling_needs_a_positive_temperature() -> None:
    with pytest.raises(ValueError, match="temperature"):
        decode_latents(_decoder_model(), torch.zeros(2, 4), max_length=5, greedy=False,
                       temperature=0.0)


# ----------------------------------------------------------------------------- devices


def test_auto_device_is_cuda_only_when_available() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_cuda_without_it_raises_a_config_error() -> None:
    with pytest.raises(ConfigError, match="CUDA is not available"):
        resolve_device("cuda")


def test_precision_resolves_to_a_dtype() -> None:
    cpu = torch.device("cpu")
    assert resolve_precision("fp32", cpu) == torch.float32
    assert resolve_precision("bf16", cpu) == torch.bfloat16
    assert resolve_precision("auto", cpu) in (torch.float32, torch.bfloat16)


# ----------------------------------------------------------------------------- MolVAE


def test_sample_is_reproducible_with_a_seed(tiny_vae) -> None:
    a = tiny_vae.sample(50, seed=1)
    b = tiny_vae.sample(50, seed=1)
    c = tiny_vae.sample(50, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a["raw"].equals(c["raw"])


def test_sample_returns_canonical_smiles_validity_and_raw(tiny_vae) -> None:
    frame = tiny_vae.sample(30, seed=0)
    assert list(frame.columns) == ["smiles", "valid", "raw"]
    assert len(frame) == 30
    assert (frame["valid"] == frame["smiles"].notna()).all()
    plain = tiny_vae.sample(4, seed=0, return_frame=False)
    assert isinstance(plain, list) and len(plain) == 4


def test_sample_can_add_properties(tiny_vae) -> None:
    frame = tiny_vae.sample(10, seed=0, properties=["qed"])
    assert "qed" in frame and frame.loc[~frame["valid"], "qed"].isna().all()


def test_encode_gives_one_row_per_molecule_and_accepts_mols(tiny_vae) -> None:
    from rdkit import Chem

    z = tiny_vae.encode(["CCO", "c1ccccc1O"])
    assert z.shape == (2, tiny_vae.latent_dim) and z.dtype == np.float32
    np.testing.assert_allclose(tiny_vae.encode([Chem.MolFromSmiles("OCC")])[0], z[0], atol=1e-6)
    assert tiny_vae.encode("CCO").shape == (1, tiny_vae.latent_dim)


def test_encode_is_deterministic_unless_sampling(tiny_vae) -> None:
    mu = tiny_vae.encode(["CCO"] * 2)
    np.testing.assert_array_equal(mu[0], mu[1])
    drawn = tiny_vae.encode(["CCO"], sample=True, seed=0)
    np.testing.assert_array_equal(drawn, tiny_vae.encode(["CCO"], sample=True, seed=0))
    assert not np.array_equal(drawn, mu[:1])


def test_encoding_an_invalid_smiles_raises_with_it_quoted(tiny_vae) -> None:
    with pytest.raises(InvalidMoleculeError, match="'C1CC'"):
        tiny_vae.encode(["CCO", "C1CC"])


def test_encoding_an_unknown_token_raises_with_the_molecule_quoted(tiny_vae) -> None:
    with pytest.raises(TokenizationError, match=r"\[Pt\]"):
        tiny_vae.encode(["[Pt]"])


def test_encode_nan_mode_puts_nan_rows_for_bad_molecules(tiny_vae) -> None:
    z = tiny_vae.encode(["C1CC", "CCO", "[Pt]"], on_invalid="nan")
    assert np.isnan(z[0]).all() and np.isfinite(z[1]).all() and np.isnan(z[2]).all()


def test_decode_returns_canonical_smiles_or_none(tiny_vae) -> None:
    out = tiny_vae.decode(np.zeros((3, tiny_vae.latent_dim)))
    assert len(out) == 3 and all(s is None or isinstance(s, str) for s in out)
    assert out[0] == out[1] == out[2]  # greedy decoding is deterministic


def test_reconstruct_reports_exact_matches(tiny_vae) -> None:
    frame = tiny_vae.reconstruct(["CCO", "C1CC"])
    assert list(frame.columns) == ["input", "output", "exact"]
    assert frame.loc[1, "output"] is None and not frame.loc[1, "exact"]


def test_predict_properties_are_in_the_property_units(tiny_vae) -> None:
    frame = tiny_vae.predict_properties(np.zeros((2, tiny_vae.latent_dim)))
    assert list(frame.columns) == ["logp", "qed", "sa"]
    assert frame["sa"].between(0, 10).all()


def test_unconditional_model_rejects_conditions(tiny_vae) -> None:
    with pytest.raises(UnknownPropertyError, match="not conditional"):
        tiny_vae.sample(3, conditions={"logp": 2.0})


def test_latent_of_the_wrong_size_raises(tiny_vae) -> None:
    with pytest.raises(ValueError, match="z must have shape"):
        tiny_vae.decode(np.zeros((2, tiny_vae.latent_dim + 1)))


@pytest.mark.gpu
def test_gpu_training_step() -> None:
    from molvae.config import TrainConfig
    from molvae.train_step import TrainStep, make_optimizer

    device = torch.device("cuda")
    vae = VAE(SMALL, 15).to(device).train()
    optimizer = make_optimizer(vae, TrainConfig())
    ids, lengths = _batch()
    cond = torch.zeros(5, 1, device=device)
    before = [p.detach().clone() for p in vae.parameters()]
    step = TrainStep(vae, optimizer, TrainConfig(), device, torch.bfloat16,
                     torch.Generator(device=device))
    step(ids.to(device), lengths.to(device), None, cond, step=0, total_steps=10)
    sums, bad = step.stats.read()
    assert bad == 0 and math.isfinite(sums["loss"])
    assert any(not torch.equal(a, b) for a, b in zip(before, vae.parameters()))


def test_temperature_zero_decodes_greedily_and_negative_is_refused(tiny_vae) -> None:
    from molvae.errors import ConfigError

    zero = tiny_vae.sample(20, seed=4, temperature=0.0)
    greedy = tiny_vae.sample(20, seed=4, greedy=True)
    assert zero["raw"].equals(greedy["raw"])
    with pytest.raises(ConfigError, match="temperature"):
        tiny_vae.sample(2, temperature=-1.0)


@pytest.mark.parametrize("greedy", [True, False])
def test_decoding_non_finite_z_names_the_rows(tiny_vae, greedy: bool) -> None:
    z = np.zeros((3, tiny_vae.latent_dim), dtype=np.float32)
    z[1] = np.nan  # what encode(..., on_invalid="nan") gives for a molecule it cannot encode
    with pytest.raises(ValueError, match=r"1 row\(s\) \(first: \[1\]\).*drop those rows"):
        tiny_vae.decode(z, greedy=greedy, seed=0)
