from __future__ import annotations

import math

import pytest
import torch

import molvae.model as model_module
from molvae.config import ModelConfig
from molvae.model import (
    END_ID,
    PAD_ID,
    START_ID,
    UNK_ID,
    VAE,
    VAEOutput,
    vae_loss,
)


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


# ----------------------------------------------------------------------------- the CPU GRU path


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


def test_encoding_outside_training_on_cpu_runs_the_packed_gru_with_the_training_maths() -> None:
    torch.manual_seed(0)
    vae = VAE(SMALL, 15).double()
    ids, lengths = _batch()
    cond = torch.randn(len(lengths), 1, dtype=torch.float64)
    trained_path = vae.encode(ids, lengths, cond, mm_dtype=torch.float64)  # training mode
    vae.eval()
    calls = []
    original = vae.encoder._forward_packed
    vae.encoder._forward_packed = lambda *a: calls.append(1) or original(*a)
    packed = vae.encode(ids, lengths, cond, mm_dtype=torch.bfloat16)  # fp32/64 kernel all the same
    assert calls, "the eval-mode CPU encoder did not take the packed path"
    for ours, ref in zip(packed, trained_path):  # dropout 0: training mode is the same function
        assert torch.allclose(ours, ref, atol=1e-12)


def test_packed_encoder_stays_fp32_inside_a_bf16_autocast() -> None:
    torch.manual_seed(0)
    vae = VAE(SMALL, 15).eval()
    ids, lengths = _batch()
    emb = vae.embedding(ids.t())
    exact = vae.encoder._forward_padded(emb, lengths, torch.float32, None)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        packed = vae.encoder._forward_packed(emb, lengths)
    assert packed.dtype == torch.float32
    assert torch.allclose(packed, exact, atol=1e-5)  # bf16 would be off by about 1e-3


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


@pytest.mark.gpu
def test_gpu_training_step() -> None:
    from molvae.config import TrainConfig
    from molvae.training.step import TrainStep, make_optimizer

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
