"""The decoding loop: latent codes → token ids, batched, stopping as soon as every sequence ended.

Rows that have produced ``<eos>`` leave the batch (the GRU then runs on unfinished rows only), and
the loop stops when none is left, so the cost follows the molecules' real lengths rather than a
fixed maximum. The first layer's input projection is split into a per-token table (embedding ×
weights, computed once) and a per-row term from z, so a step costs one table lookup there instead
of a matrix multiply. Matrix multiplies run in ``mm_dtype`` (bf16 is ~4× faster on CPUs with
AVX-512 BF16); the hidden state and the gates stay in fp32.

>>> from molvae.config import ModelConfig
>>> from molvae.model import VAE
>>> vae = VAE(ModelConfig(latent_dim=4, decoder_hidden=8, encoder_hidden=8), vocab_size=10).eval()
>>> ids = decode_latents(vae, torch.zeros(3, 4), max_length=6, greedy=True)
>>> ids.shape[0], bool((ids[:, 0] == 1).all())
(3, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from molvae.errors import ConfigError
from molvae.gru import iter_gru_layers, tanh_
from molvae.model import END_ID, PAD_ID, START_ID, VAE
from molvae.progress import shown, track

_PROGRESS_MIN = 2000  # latents: below this, decoding takes a few seconds

__all__ = ["decode_latents", "DecodeStats"]


@dataclass
class DecodeStats:
    """Work done by :func:`decode_latents` (for tests and benchmarks)."""

    steps: int = 0  # decoder steps run (the longest sequence, at most max_length - 1)
    row_steps: int = 0  # sum over steps of the rows still decoding


def decoding_temperature(temperature: float) -> float:
    """The one temperature rule of every decoder option: 0 decodes greedily (the most likely token
    each step), above 0 samples tokens from the softmax at that temperature; anything else (a
    negative number, NaN) is a :class:`~molvae.errors.ConfigError` (a ``MolvaeError`` and a
    ``ValueError``).

    >>> decoding_temperature(0)
    0.0
    >>> decoding_temperature(-1)
    Traceback (most recent call last):
    molvae.errors.ConfigError: temperature must be 0 (greedy decoding) or positive, got -1
    """
    if not temperature >= 0:
        raise ConfigError(f"temperature must be 0 (greedy decoding) or positive, got {temperature}")
    return float(temperature)


@torch.inference_mode()
def decode_latents(
    model: VAE,
    z: Tensor,
    conditions: Tensor | None = None,
    *,
    max_length: int,
    greedy: bool = True,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
    mm_dtype: torch.dtype = torch.float32,
    batch_size: int = 1000,
    stats: DecodeStats | None = None,
) -> Tensor:
    """Token ids (N, ≤ max_length) decoded from ``z`` (N, Z): ``<bos>`` first, then tokens up to
    and including ``<eos>``, then ``<pad>``. A row without ``<eos>`` hit ``max_length``.

    ``greedy`` (or ``temperature`` 0, :func:`decoding_temperature`) takes the most likely token;
    otherwise tokens are drawn from the softmax at ``temperature`` with ``generator``.
    ``conditions`` (N, C) are standardized condition values.
    """
    greedy = greedy or decoding_temperature(temperature) == 0
    device = next(model.parameters()).device
    z = z.to(device=device, dtype=torch.float32)
    if conditions is not None:
        conditions = conditions.to(device=device, dtype=torch.float32)
    weights = _DecoderWeights(model, mm_dtype)
    chunks = []
    starts = range(0, z.shape[0], batch_size)
    for start in track(starts, total=len(starts), description="decoding", unit="batch",
                       show=shown(z.shape[0], _PROGRESS_MIN)):
        stop = start + batch_size
        cond = conditions[start:stop] if conditions is not None else None
        chunks.append(_decode_batch(model, weights, z[start:stop], cond, max_length=max_length,
                                    greedy=greedy, temperature=temperature, generator=generator,
                                    stats=stats))
    width = max((c.shape[1] for c in chunks), default=1)
    out = torch.full((z.shape[0], width), PAD_ID, dtype=torch.long)
    row = 0
    for chunk in chunks:
        out[row:row + chunk.shape[0], : chunk.shape[1]] = chunk
        row += chunk.shape[0]
    return out


class _DecoderWeights:
    """The decoder's weights laid out for stepping, cast once per call."""

    def __init__(self, model: VAE, mm_dtype: torch.dtype) -> None:
        decoder = model.decoder
        self.mm_dtype = mm_dtype
        self.embedding_dim = decoder.embedding_dim
        self.layers = []  # (W_ihᵀ or None for layer 0, W_hhᵀ, gi bias, b_hn)
        for index, (w_ih, w_hh, gi_bias, b_hn) in enumerate(iter_gru_layers(decoder.rnn)):
            w_ih_t = None if index == 0 else w_ih.t().to(mm_dtype)
            self.layers.append((w_ih_t, w_hh.t().to(mm_dtype), gi_bias.float(), b_hn.float()))
        w_ih0, _, gi_bias0, _ = next(iter_gru_layers(decoder.rnn))
        # layer 0: [emb(token), code] W_ihᵀ + b = table[token] + code W_codeᵀ
        self.token_table = (model.embedding.weight.float() @ w_ih0[:, : self.embedding_dim].t().float()
                            + gi_bias0.float())  # (V, 3H)
        self.w_code = w_ih0[:, self.embedding_dim:].float()  # (3H, Z + C)
        self.out_w = decoder.out.weight.t().to(mm_dtype)
        self.out_b = decoder.out.bias.float()


def _gru_cell(gi: Tensor, h: Tensor, hb: Tensor, w_hh_t: Tensor, b_hn: Tensor) -> Tensor:
    """One GRU step: ``gi`` (n, 3H) fp32 input projection, ``h`` fp32 state, ``hb`` the state
    in the matmul dtype. Mixed-dtype adds promote to fp32, so no separate casts are needed."""
    hidden = h.shape[1]
    gh = torch.mm(hb, w_hh_t)
    rz = torch.add(gi[:, : 2 * hidden], gh[:, : 2 * hidden]).sigmoid_()
    n = tanh_(torch.addcmul(gi[:, 2 * hidden:], rz[:, :hidden], torch.add(gh[:, 2 * hidden:], b_hn)))
    return torch.lerp(n, h, rz[:, hidden:])


def _decode_batch(model: VAE, weights: _DecoderWeights, z: Tensor, conditions: Tensor | None, *,
                  max_length: int, greedy: bool, temperature: float,
                  generator: torch.Generator | None, stats: DecodeStats | None) -> Tensor:
    n, device, mm_dtype = z.shape[0], z.device, weights.mm_dtype
    code = z if conditions is None else torch.cat([z, conditions], dim=1)
    initial = model.decoder.initial_state(code).float()  # (L, n, H)
    hidden = [initial[i].contiguous() for i in range(initial.shape[0])]  # fp32 state per layer
    hidden_mm = [h.to(mm_dtype) for h in hidden]  # the same, in the matmul dtype
    code_gi = code @ weights.w_code.t()  # (n, 3H): layer 0's input term from z, fixed per row
    out = torch.full((n, max_length), PAD_ID, dtype=torch.long, device=device)
    out[:, 0] = START_ID
    rows = torch.arange(n, device=device)  # output row of each row still decoding
    token = out[:, 0].clone()
    steps = 0
    for t in range(1, max_length):
        below = None  # the layer below's new state, in the matmul dtype
        for index, (w_ih_t, w_hh_t, gi_bias, b_hn) in enumerate(weights.layers):
            if index == 0:
                gi = weights.token_table.index_select(0, token).add_(code_gi)
            else:
                gi = torch.add(torch.mm(below, w_ih_t), gi_bias)
            hidden[index] = _gru_cell(gi, hidden[index], hidden_mm[index], w_hh_t, b_hn)
            hidden_mm[index] = below = hidden[index].to(mm_dtype)
        logits = torch.add(torch.mm(below, weights.out_w), weights.out_b)
        if greedy:
            token = logits.argmax(1)
        else:
            probs = torch.softmax(logits.div_(temperature), dim=1)
            token = torch.multinomial(probs, 1, generator=generator).squeeze(1)
        out[rows, t] = token
        steps += 1
        if stats is not None:
            stats.row_steps += rows.numel()
        alive = token != END_ID
        if not bool(alive.all()):
            if not bool(alive.any()):
                break
            keep = alive.nonzero().squeeze(1)  # compact: later steps run on unfinished rows only
            rows, token, code_gi = rows[keep], token[keep], code_gi[keep]
            hidden = [h.index_select(0, keep) for h in hidden]
            hidden_mm = [h.index_select(0, keep) for h in hidden_mm]
    if stats is not None:
        stats.steps = max(stats.steps, steps)
    return out[:, : steps + 1].cpu()
