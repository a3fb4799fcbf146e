"""The GRU sequence VAE: token embedding → bidirectional GRU encoder → (μ, log σ²) → z → GRU decoder.

The decoder's initial hidden states come from z, and z (with the standardized condition values of
a conditional model) is concatenated to every decoder input. Teacher forcing uses word dropout.
An optional MLP on μ predicts standardized property values, trained jointly.

GRU weights live in ordinary :class:`torch.nn.GRU` modules (standard ``state_dict`` names). On a
GPU they run through cuDNN; on a CPU through :class:`molvae.gru.GRURecurrence`, a fused
recurrence with a hand-written backward pass (:mod:`molvae.gru`).

>>> from molvae.config import ModelConfig
>>> vae = VAE(ModelConfig(latent_dim=8, decoder_hidden=16, encoder_hidden=16), vocab_size=20)
>>> ids = torch.tensor([[1, 5, 6, 2], [1, 7, 2, 0]]); lengths = torch.tensor([4, 3])
>>> out = vae(ids, lengths)
>>> out.logits.shape, out.mu.shape, out.property_pred.shape
(torch.Size([2, 3, 20]), torch.Size([2, 8]), torch.Size([2, 3]))
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from molvae.config import ModelConfig
from molvae.gru import layer_weights, run_layer

__all__ = [
    "VAEOutput",
    "LossParts",
    "Encoder",
    "Decoder",
    "PropertyHead",
    "VAE",
    "vae_loss",
]

PAD_ID, START_ID, END_ID, UNK_ID = 0, 1, 2, 3  # fixed by molvae.tokenizers.Vocabulary


# ----------------------------------------------------------------------------- helpers


def _dropout(x: Tensor, p: float, training: bool, generator: torch.Generator | None) -> Tensor:
    """Inverted dropout drawing its mask from ``generator`` (reproducible, resumable)."""
    if not training or p == 0.0:
        return x
    keep = torch.rand(x.shape, device=x.device, generator=generator) >= p
    return x * keep / (1.0 - p)


def _use_cudnn(x: Tensor) -> bool:
    return x.device.type == "cuda"


# ----------------------------------------------------------------------------- modules


@dataclass(frozen=True)
class VAEOutput:
    """What :meth:`VAE.forward` returns. ``logits`` (B, L-1, V) predict ``ids[:, 1:]``."""

    logits: Tensor
    mu: Tensor
    logvar: Tensor
    z: Tensor
    property_pred: Tensor | None = None


class Encoder(nn.Module):
    """Embedded tokens → bidirectional GRU → final states (+ conditions) → μ and log σ²."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.hidden, self.layers, self.dropout = config.encoder_hidden, config.encoder_layers, config.dropout
        self.rnn = nn.GRU(config.embedding_dim, config.encoder_hidden, config.encoder_layers,
                          dropout=config.dropout if config.encoder_layers > 1 else 0.0,
                          bidirectional=True)
        summary = 2 * config.encoder_hidden + len(config.conditions)
        self.mu = nn.Linear(summary, config.latent_dim)
        self.logvar = nn.Linear(summary, config.latent_dim)

    def forward(self, emb: Tensor, lengths: Tensor, conditions: Tensor | None = None, *,
                mm_dtype: torch.dtype = torch.float32,
                generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """``emb`` (T, B, E) time-major, ``lengths`` (B,) → μ, log σ² (B, Z).

        Outside training on a CPU, PyTorch's own GRU kernel reads the packed sequences in fp32
        (the same maths; twice as fast there as the step-by-step recurrence, in bf16 or not)."""
        if not self.training and emb.device.type == "cpu":
            summary = self._forward_packed(emb, lengths)
        else:
            summary = self._forward_padded(emb, lengths, mm_dtype, generator)
        if summary.dtype in (torch.float16, torch.bfloat16):
            summary = summary.float()
        if conditions is not None:
            summary = torch.cat([summary, conditions.to(summary.dtype)], dim=1)
        with torch.autocast(summary.device.type, enabled=False):  # small heads: keep z in fp32
            return self.mu(summary), self.logvar(summary)

    def _forward_packed(self, emb: Tensor, lengths: Tensor) -> Tensor:
        """The final states of both directions of the last layer, through ``nn.GRU`` on packed
        sequences (inference: no dropout between layers)."""
        with torch.autocast("cpu", enabled=False):
            packed = nn.utils.rnn.pack_padded_sequence(emb, lengths.cpu(),
                                                       enforce_sorted=False)
            _, finals = self.rnn(packed)
        return torch.cat([finals[-2], finals[-1]], dim=1)

    def _forward_padded(self, emb: Tensor, lengths: Tensor, mm_dtype: torch.dtype,
                        generator: torch.Generator | None) -> Tensor:
        """Each direction runs over the padded batch; the reverse one reads each sequence
        back to front (its padding stays at the end), and each final state is read at the last
        real token. The same maths as a packed sequence, with shapes that do not depend on the
        lengths, so a GPU step has no host synchronization and can be captured as a CUDA graph."""
        steps, batch = emb.shape[:2]
        lengths = lengths.to(emb.device, non_blocking=True)
        time = torch.arange(steps, device=emb.device).unsqueeze(1)
        # position t of the reversed sequence reads position len-1-t (padding stays at the end)
        rev = torch.where(time < lengths, lengths - 1 - time, time)  # (T, B)
        last = (lengths - 1).view(1, batch, 1)
        x = emb
        for layer in range(self.layers):
            outs, finals = [], []
            for suffix, index in (("", None), ("_reverse", rev)):
                inp = x if index is None else x.gather(0, index.unsqueeze(2).expand_as(x))
                out = self._direction(inp, layer, suffix, mm_dtype)
                finals.append(out.gather(0, last.expand(1, batch, self.hidden)).squeeze(0))
                if layer + 1 < self.layers:
                    outs.append(out if index is None else out.gather(0, index.unsqueeze(2).expand_as(out)))
            if layer + 1 < self.layers:
                x = _dropout(torch.cat(outs, dim=2), self.dropout, self.training, generator)
        return torch.cat(finals, dim=1)

    def _direction(self, x: Tensor, layer: int, suffix: str, mm_dtype: torch.dtype) -> Tensor:
        """One direction of one layer over (T, B, in) from a zero state → outputs (T, B, H)."""
        if _use_cudnn(x):  # cuDNN, through the function nn.GRU itself calls
            weights = [getattr(self.rnn, f"{kind}_l{layer}{suffix}")
                       for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h0 = x.new_zeros(1, x.shape[1], self.hidden)
            with warnings.catch_warnings():
                # one direction's weights are not the module's single flat buffer, so cuDNN
                # copies them (once per call, about 1 MB) and warns about it
                warnings.filterwarnings("ignore", "RNN module weights are not part", UserWarning)
                out, _ = torch._VF.gru(x, h0, weights, True, 1, 0.0, self.training, False, False)
            return out
        w_ih, w_hh, gi_bias, b_hn = layer_weights(self.rnn, layer, suffix)
        h0 = x.new_zeros(x.shape[1], self.hidden, dtype=torch.float32)
        return run_layer(F.linear(x, w_ih, gi_bias), h0, w_hh, b_hn, mm_dtype)


class Decoder(nn.Module):
    """GRU language model conditioned on z (initial states, and beside every input token)."""

    def __init__(self, config: ModelConfig, vocab_size: int) -> None:
        super().__init__()
        self.hidden, self.layers, self.dropout = config.decoder_hidden, config.decoder_layers, config.dropout
        self.embedding_dim = config.embedding_dim
        code = config.latent_dim + len(config.conditions)
        self.init_hidden = nn.Linear(code, config.decoder_layers * config.decoder_hidden)
        self.rnn = nn.GRU(config.embedding_dim + code, config.decoder_hidden, config.decoder_layers,
                          dropout=config.dropout if config.decoder_layers > 1 else 0.0)
        self.out = nn.Linear(config.decoder_hidden, vocab_size)

    def initial_state(self, code: Tensor) -> Tensor:
        """(L, B, H) initial hidden states from ``code`` = [z, conditions] (B, Z + C)."""
        return self.init_hidden(code).view(code.shape[0], self.layers, self.hidden).transpose(0, 1)

    def forward(self, emb: Tensor, code: Tensor, *, mm_dtype: torch.dtype = torch.float32,
                generator: torch.Generator | None = None) -> Tensor:
        """Teacher forcing: ``emb`` (T, B, E) inputs, ``code`` (B, Z + C) → logits (T, B, V)."""
        h0 = self.initial_state(code)
        if _use_cudnn(emb):
            steps = emb.shape[0]
            inp = torch.cat([emb, code.to(emb.dtype).unsqueeze(0).expand(steps, -1, -1)], dim=2)
            x, _ = self.rnn(inp, h0.contiguous().to(inp.dtype))
        else:
            x = emb
            for layer in range(self.layers):
                w_ih, w_hh, gi_bias, b_hn = layer_weights(self.rnn, layer)
                if layer == 0:  # [emb, code] W_ihᵀ without materializing the concatenation
                    gi = F.linear(x, w_ih[:, : self.embedding_dim], gi_bias)
                    gi = gi + F.linear(code, w_ih[:, self.embedding_dim:]).unsqueeze(0)
                else:
                    x = _dropout(x, self.dropout, self.training, generator)
                    gi = F.linear(x, w_ih, gi_bias)
                x = run_layer(gi, h0[layer], w_hh, b_hn, mm_dtype)
        return self.out(x)


class PropertyHead(nn.Module):
    """MLP from the latent code to standardized property values."""

    def __init__(self, latent_dim: int, hidden: int, n_properties: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden),
                                 nn.SiLU(), nn.Linear(hidden, n_properties))

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class VAE(nn.Module):
    """The whole model. ``forward(ids, lengths, conditions)`` → :class:`VAEOutput`."""

    def __init__(self, config: ModelConfig, vocab_size: int) -> None:
        super().__init__()
        self.config, self.vocab_size = config, vocab_size
        self.embedding = nn.Embedding(vocab_size, config.embedding_dim, padding_idx=PAD_ID)
        self.encoder = Encoder(config)
        self.decoder = Decoder(config, vocab_size)
        self.property_head = (PropertyHead(config.latent_dim, config.property_hidden,
                                           len(config.property_head))
                              if config.property_head else None)

    def encode(self, ids: Tensor, lengths: Tensor, conditions: Tensor | None = None, *,
               mm_dtype: torch.dtype = torch.float32,
               generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """μ and log σ² (B, Z) of padded ``ids`` (B, L) with ``lengths`` (B,) counting start/end."""
        self._check_conditions(conditions, ids.shape[0])
        emb = self.embedding(ids.t())
        return self.encoder(emb, lengths, conditions, mm_dtype=mm_dtype, generator=generator)

    def forward(self, ids: Tensor, lengths: Tensor, conditions: Tensor | None = None, *,
                sample: bool = True, mm_dtype: torch.dtype = torch.float32,
                generator: torch.Generator | None = None) -> VAEOutput:
        """Encode, draw z = μ + σ ε (``sample=False``: z = μ), decode with teacher forcing.

        Word dropout (training mode) replaces decoder inputs other than the start by ``<unk>``.
        All randomness comes from ``generator`` (``None``: PyTorch's global generator).
        """
        mu, logvar = self.encode(ids, lengths, conditions, mm_dtype=mm_dtype, generator=generator)
        if sample:
            eps = torch.randn(mu.shape, device=mu.device, dtype=mu.dtype, generator=generator)
            z = mu + torch.exp(0.5 * logvar) * eps
        else:
            z = mu
        inputs = ids[:, :-1].t()  # (T-1, B)
        p = self.config.word_dropout
        if self.training and p > 0:
            drop = torch.rand(inputs.shape, device=inputs.device, generator=generator) < p
            drop[0] = False
            inputs = inputs.masked_fill(drop & (inputs != PAD_ID), UNK_ID)
        code = z if conditions is None else torch.cat([z, conditions.to(z.dtype)], dim=1)
        logits = self.decoder(self.embedding(inputs), code, mm_dtype=mm_dtype, generator=generator)
        prediction = None
        if self.property_head is not None:
            with torch.autocast(mu.device.type, enabled=False):
                prediction = self.property_head(mu)
        return VAEOutput(logits=logits.transpose(0, 1), mu=mu, logvar=logvar, z=z,
                         property_pred=prediction)

    def _check_conditions(self, conditions: Tensor | None, batch: int) -> None:
        wanted = len(self.config.conditions)
        if wanted and (conditions is None or tuple(conditions.shape) != (batch, wanted)):
            got = None if conditions is None else tuple(conditions.shape)
            raise ValueError(f"this model is conditioned on {list(self.config.conditions)}: pass "
                             f"conditions of shape ({batch}, {wanted}), got {got}")
        if not wanted and conditions is not None:
            raise ValueError("this model has no conditions (model.conditions is empty)")

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())


# ----------------------------------------------------------------------------- loss


@dataclass(frozen=True)
class LossParts:
    """The loss and its parts (per molecule, averaged over the batch)."""

    total: Tensor  # reconstruction + kl_weight * kl_penalized + property_weight * property
    reconstruction: Tensor  # cross-entropy summed over tokens
    kl: Tensor  # KL(q(z|x) || N(0, I)) summed over dimensions
    kl_penalized: Tensor  # with free bits: sum_d max(KL_d, free_bits), KL_d averaged over the batch
    property: Tensor | None  # MSE on standardized values, NaN targets masked out
    kl_per_dim: Tensor  # (Z,) batch-averaged KL of each dimension (detached)


def vae_loss(output: VAEOutput, targets: Tensor, *, beta: float, free_bits: float = 0.0,
             property_targets: Tensor | None = None, property_weight: float = 1.0) -> LossParts:
    """Negative β-ELBO with free bits, plus the property loss.

    ``targets`` are the full padded ids (B, L) (the first column, the start token, is skipped;
    padding is ignored). ``property_targets`` (B, P) are standardized values, NaN where unknown.
    """
    logits = output.logits.float()
    ce = F.cross_entropy(logits.transpose(1, 2), targets[:, 1:], ignore_index=PAD_ID,
                         reduction="none")
    reconstruction = ce.sum(1).mean()
    mu, logvar = output.mu.float(), output.logvar.float()
    kl_elem = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)
    kl_per_dim = kl_elem.mean(0)
    kl = kl_per_dim.sum()
    kl_penalized = kl_per_dim.clamp(min=free_bits).sum() if free_bits > 0 else kl
    total = reconstruction + beta * kl_penalized
    prop = None
    if output.property_pred is not None and property_targets is not None:
        known = ~torch.isnan(property_targets)
        err = (output.property_pred.float() - torch.nan_to_num(property_targets)).pow(2)
        prop = (err * known).sum() / known.sum().clamp(min=1)
        total = total + property_weight * prop
    return LossParts(total=total, reconstruction=reconstruction, kl=kl, kl_penalized=kl_penalized,
                     property=prop, kl_per_dim=kl_per_dim.detach())
