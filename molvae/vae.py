"""``MolVAE``: a trained model with its tokenizer — sample, encode, decode, reconstruct.

>>> import molvae as mv
>>> vae = mv.MolVAE.load("runs/tiny/best")                        # doctest: +SKIP
>>> vae.sample(5, seed=0).columns.tolist()                        # doctest: +SKIP
['smiles', 'valid', 'raw']
>>> z = vae.encode(["CCO", "c1ccccc1O"])                          # doctest: +SKIP
>>> vae.decode(z)                                                 # doctest: +SKIP
['CCO', 'Oc1ccccc1']

Batch methods are batched and run in inference mode; every random draw comes from a
``torch.Generator`` seeded with the ``seed`` argument (never from global state). Returned SMILES
are RDKit-canonical, ``None`` where the decoded string is not a valid molecule.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from molvae.checkpoint import load_checkpoint, save_checkpoint
from molvae.conditioning import Stats, condition_tensor, own_conditions
from molvae.config import ModelConfig, Precision
from molvae.devices import autocast, on_device, resolve_device, resolve_precision
from molvae.errors import CheckpointError, ConfigError, MolvaeError, TokenizationError
from molvae.files import atomic_write
from molvae.model import VAE
from molvae.model_inputs import (as_latent, canonical_decodes, canonical_or_self, prepare_inputs,
                                 show)
from molvae.pretrained import PRETRAINED, checkpoint_source
from molvae.prior import PRIOR_FILE, DiffusionPrior
from molvae.sampling import decode_latents, decoding_temperature
from molvae.tokenizers import Tokenizer, load_tokenizer
from molvae.training_set import TRAINING_SET_FILE, TrainingSet

if TYPE_CHECKING:
    from rdkit import Chem

__all__ = ["MolVAE", "PRETRAINED"]

logger = logging.getLogger(__name__)

PriorChoice = Literal["auto", "learned", "normal"]


class MolVAE:
    """A trained GRU VAE with its tokenizer, normalization stats, device and precision."""

    def __init__(self, model: VAE, tokenizer: Tokenizer, *, property_stats: Stats | None = None,
                 condition_stats: Stats | None = None, device: str | torch.device = "auto",
                 precision: Precision | str | torch.dtype = Precision.AUTO,
                 metadata: Mapping[str, Any] | None = None,
                 training_set: TrainingSet | None = None,
                 prior: DiffusionPrior | None = None) -> None:
        config = model.config
        if len(tokenizer.vocabulary) != model.vocab_size:
            raise CheckpointError(f"tokenizer has {len(tokenizer.vocabulary)} tokens but the model "
                                  f"was built for {model.vocab_size}")
        if tokenizer.kind != config.tokenizer:
            raise CheckpointError(f"tokenizer kind {tokenizer.kind.value!r} does not match the "
                                  f"model config's {config.tokenizer.value!r}")
        self.device = resolve_device(device)
        self.mm_dtype = resolve_precision(precision, self.device)
        if any(not on_device(p.device, self.device) for p in model.parameters()):
            model = model.to(self.device)  # (re-flattens GRU weights: skipped when in place)
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.property_stats = {k: tuple(map(float, v)) for k, v in (property_stats or {}).items()}
        self.condition_stats = {k: tuple(map(float, v)) for k, v in (condition_stats or {}).items()}
        for names, stats, what in ((config.property_head, self.property_stats, "property"),
                                   (config.conditions, self.condition_stats, "condition")):
            missing = [n for n in names if n not in stats]
            if missing:
                raise CheckpointError(f"{what} normalization stats are missing for {missing}")
        self.metadata = dict(metadata or {})
        #: hashes and a sample of the training molecules (novelty, predictor fitting), if known
        self.training_set = training_set
        #: the learned prior over z that :meth:`sample` draws from (None: N(0, I))
        self.prior = prior.to(self.device).eval() if prior is not None else None
        if prior is not None and prior.latent_dim != config.latent_dim:
            raise CheckpointError(f"the prior is for z of dimension {prior.latent_dim}, the model "
                                  f"has {config.latent_dim}")

    # ------------------------------------------------------------------ properties

    @property
    def config(self) -> ModelConfig:
        return self.model.config

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @property
    def property_names(self) -> tuple[str, ...]:
        """Properties predicted by the property head (``predict_properties``)."""
        return self.config.property_head

    @property
    def condition_names(self) -> tuple[str, ...]:
        """Properties a conditional model is conditioned on (``sample(conditions=...)``)."""
        return self.config.conditions

    @property
    def precision(self) -> str:
        return "bf16" if self.mm_dtype == torch.bfloat16 else "fp32"

    def __repr__(self) -> str:
        c = self.config
        return (f"MolVAE({c.tokenizer.value}, latent {c.latent_dim}, decoder {c.decoder_layers}x"
                f"{c.decoder_hidden}, vocabulary {len(self.tokenizer.vocabulary)}, "
                f"device {self.device}, {self.precision})")

    # ------------------------------------------------------------------ persistence

    @classmethod
    def load(cls, source: str | os.PathLike[str], *, device: str | torch.device = "auto",
             precision: Precision | str = Precision.AUTO) -> MolVAE:
        """A model from a checkpoint folder or ``.safetensors`` file, or a shipped name
        (``"zinc"``). Nothing in the file is executed."""
        path = checkpoint_source(source)
        ckpt = load_checkpoint(path)
        model = VAE(ckpt.config, vocab_size=len(ckpt.tokenizer.get("vocabulary", {}).get("tokens", [])))
        try:
            model.load_state_dict(ckpt.state_dict, strict=True)
        except RuntimeError as exc:
            first = str(exc).splitlines()[0]
            raise CheckpointError(f"weights in {str(path)!r} do not fit the model its config "
                                  f"describes ({first}); the checkpoint is damaged or was written "
                                  "by an incompatible molvae version") from exc
        return cls(model, load_tokenizer(ckpt.tokenizer), property_stats=ckpt.property_stats,
                   condition_stats=ckpt.condition_stats, device=device, precision=precision,
                   metadata=ckpt.metadata, training_set=TrainingSet.find(path),
                   prior=DiffusionPrior.find(path))

    def save(self, path: str | os.PathLike[str], *, metadata: Mapping[str, Any] | None = None,
             trainer_state: Mapping[str, Any] | None = None) -> Path:
        """Write a self-describing checkpoint: a folder, or one file if ``path`` ends in
        ``.safetensors``. Atomic: a reader never sees half of it. ``trainer_state`` (training's
        optimizer, random streams and position) makes the checkpoint resumable."""
        meta = {k: v for k, v in self.metadata.items()
                if k not in ("format", "format_version", "molvae_version", "torch_version", "created")}
        meta.update(metadata or {})
        path = Path(path)
        single = path.suffix == ".safetensors"
        extra = {}
        if not single and self.training_set is not None:
            extra[TRAINING_SET_FILE] = self.training_set.to_bytes()
        if not single and self.prior is not None:
            extra[PRIOR_FILE] = self.prior.to_bytes()
        written = save_checkpoint(path, state_dict=self.model.state_dict(), config=self.config,
                                  tokenizer=self.tokenizer.to_dict(),
                                  property_stats=self.property_stats,
                                  condition_stats=self.condition_stats, metadata=meta,
                                  trainer_state=trainer_state, extra_files=extra or None)
        if single and self.training_set is not None:
            content = self.training_set.to_bytes()
            atomic_write(path.with_suffix(".training_set.npz"),
                         lambda tmp: Path(tmp).write_bytes(content))
        if single and self.prior is not None:
            self.prior.save(path.with_suffix(".prior.safetensors"))
        return written

    # ------------------------------------------------------------------ generation

    def sample(self, n: int, *, temperature: float = 1.0, seed: int | None = None,
               conditions: Mapping[str, float | Sequence[float]] | None = None,
               greedy: bool = False, properties: Sequence[str] = (), batch_size: int = 1000,
               return_frame: bool = True, prior: PriorChoice = "auto"
               ) -> pd.DataFrame | list[str | None]:
        """``n`` molecules decoded from codes drawn from the model's prior.

        ``prior``: ``"auto"`` (the default) draws z from the learned prior shipped with the model
        (:attr:`prior`, a latent diffusion model of where the training molecules' codes lie) when
        it has one, else from N(0, I); ``"learned"`` insists on the learned one; ``"normal"``
        draws from N(0, I), the VAE's own prior.

        Returns a DataFrame with ``smiles`` (canonical, ``None`` if invalid), ``valid``, ``raw``
        (the decoded string) and one column per name in ``properties``; or, with
        ``return_frame=False``, the list of canonical SMILES. A conditional model takes target
        values, e.g. ``conditions={"logp": 4.0, "qed": 0.8}``; a condition left out is drawn from
        a normal fit of its training distribution. ``temperature=0`` decodes greedily.
        """
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        generator = self._generator(seed)
        z = self.sample_latent(n, generator=generator, prior=prior)
        cond = condition_tensor(self.condition_names, self.condition_stats, conditions, n,
                                generator, self.device)
        raw = self._decode_raw(z, cond, greedy=greedy, temperature=temperature,
                               generator=generator, batch_size=batch_size)
        canonical, valid = canonical_decodes(raw)
        if not return_frame:
            return canonical
        frame = pd.DataFrame({"smiles": canonical, "valid": valid, "raw": raw})
        if properties:
            frame = _with_properties(frame, properties)
        return frame

    def sample_latent(self, n: int, *, generator: torch.Generator | None = None,
                      seed: int | None = None, prior: PriorChoice = "auto") -> Tensor:
        """``n`` codes (n, latent_dim) on the model's device from the prior :meth:`sample` uses
        (see its ``prior``); ``generator`` (else one seeded with ``seed``) supplies the noise."""
        if prior not in ("auto", "learned", "normal"):
            raise ConfigError(f"prior must be 'auto', 'learned' or 'normal', got {prior!r}")
        if prior == "learned" and self.prior is None:
            raise MolvaeError("this model has no learned prior; fit one with `molvae prior fit "
                              "--model PATH` (or vae.prior = molvae.prior.fit_model_prior(vae)), "
                              "or sample with prior='normal'")
        generator = self._generator(seed) if generator is None else generator
        if self.prior is not None and prior != "normal":
            return self.prior.sample(n, generator=generator).to(self.device)
        return torch.randn(n, self.latent_dim, generator=generator, device=self.device)

    def decode(self, z: np.ndarray | Tensor, *, greedy: bool = True, temperature: float = 1.0,
               seed: int | None = None,
               conditions: Mapping[str, float | Sequence[float]] | None = None,
               batch_size: int = 1000) -> list[str | None]:
        """Canonical SMILES decoded from latent points ``z`` (n, latent_dim); ``None`` where the
        decoded string is not a valid molecule."""
        z_t = self._as_latent(z)
        generator = self._generator(seed)
        cond = condition_tensor(self.condition_names, self.condition_stats, conditions,
                                z_t.shape[0], generator, self.device)
        raw = self._decode_raw(z_t, cond, greedy=greedy, temperature=temperature,
                               generator=generator, batch_size=batch_size)
        return canonical_decodes(raw)[0]

    def decode_raw(self, z: np.ndarray | Tensor, *, greedy: bool = True, temperature: float = 1.0,
                   seed: int | None = None,
                   conditions: Mapping[str, float | Sequence[float]] | None = None,
                   batch_size: int = 1000) -> list[str | None]:
        """Decoded strings as the tokenizer produces them, without RDKit (``None``: undecodable)."""
        z_t = self._as_latent(z)
        generator = self._generator(seed)
        cond = condition_tensor(self.condition_names, self.condition_stats, conditions,
                                z_t.shape[0], generator, self.device)
        return self._decode_raw(z_t, cond, greedy=greedy, temperature=temperature,
                                generator=generator, batch_size=batch_size)

    # ------------------------------------------------------------------ encoding

    def encode(self, molecules: str | Chem.Mol | Sequence[str | Chem.Mol], *, sample: bool = False,
               seed: int | None = None,
               conditions: Mapping[str, float | Sequence[float]] | None = None,
               on_invalid: Literal["raise", "nan"] = "raise",
               batch_size: int = 1000) -> np.ndarray:
        """Latent codes (n, latent_dim): μ, or a draw from q(z|x) with ``sample=True``.

        SMILES strings or RDKit Mols; a single one gives shape (1, latent_dim). An unparsable
        molecule raises :class:`InvalidMoleculeError`, one the vocabulary cannot write (unknown
        token, too long) :class:`TokenizationError` — both quoting it; with ``on_invalid="nan"``
        its row is NaN instead. A conditional model encodes with each molecule's own property
        values unless ``conditions`` are given.
        """
        if on_invalid not in ("raise", "nan"):
            raise ValueError(f"on_invalid must be 'raise' or 'nan', got {on_invalid!r}")
        items = [molecules] if isinstance(molecules, str) or not isinstance(molecules, Sequence) \
            else list(molecules)
        smiles, bad = prepare_inputs(items, on_invalid)
        kept = [i for i in range(len(items)) if i not in bad]
        encoded = self.tokenizer.encode_batch([smiles[i] for i in kept],
                                              max_length=self.config.max_length)
        for reject in encoded.rejects:
            index = kept[reject.index]
            if on_invalid == "raise":
                raise TokenizationError(f"cannot encode molecule {index} ({show(items[index])}): "
                                        f"{reject.reason}")
            bad[index] = reject.reason
        kept = [kept[i] for i in encoded.indices]
        out = np.full((len(items), self.latent_dim), np.nan, dtype=np.float32)
        if not kept:
            return out
        generator = self._generator(seed)
        if conditions is None and self.condition_names:
            cond_all = own_conditions([smiles[i] for i in kept], self.condition_names,
                                      self.condition_stats, self.device)
        else:
            cond_all = condition_tensor(self.condition_names, self.condition_stats,
                                        conditions, len(kept), generator, self.device)
        ids, lengths = encoded.ids, encoded.lengths
        chunks = []
        with torch.inference_mode(), autocast(self.device, self.mm_dtype):
            for start in range(0, len(kept), batch_size):
                sl = slice(start, start + batch_size)
                cond = cond_all[sl] if cond_all is not None else None
                mu, logvar = self.model.encode(ids[sl].to(self.device), lengths[sl], cond,
                                               mm_dtype=self.mm_dtype)
                mu, logvar = mu.float(), logvar.float()
                if sample:
                    eps = torch.randn(mu.shape, generator=generator, device=self.device)
                    mu = mu + torch.exp(0.5 * logvar) * eps
                chunks.append(mu.cpu())
        out[kept] = torch.cat(chunks).numpy()
        return out

    def reconstruct(self, smiles: Sequence[str], *, greedy: bool = True, sample: bool = False,
                    seed: int | None = None) -> pd.DataFrame:
        """Encode then decode: columns ``input``, ``output`` (canonical or None), ``exact``
        (same canonical molecule). Inputs that cannot be encoded give ``output`` None."""
        items = [smiles] if isinstance(smiles, str) else list(smiles)
        z = self.encode(items, sample=sample, seed=seed, on_invalid="nan")
        ok = ~np.isnan(z).any(axis=1)
        output: list[str | None] = [None] * len(items)
        if ok.any():
            conditions = None
            if self.condition_names:
                own = own_conditions([canonical_or_self(items[i]) for i in np.flatnonzero(ok)],
                                     self.condition_names, self.condition_stats, self.device)
                conditions = {n: own[:, j].cpu().numpy() * self.condition_stats[n][1]
                              + self.condition_stats[n][0]
                              for j, n in enumerate(self.condition_names)}
            decoded = self.decode(z[ok], greedy=greedy, seed=seed, conditions=conditions)
            for index, value in zip(np.flatnonzero(ok), decoded):
                output[index] = value
        targets, _ = canonical_decodes([s if isinstance(s, str) else None for s in items])
        exact = [o is not None and o == t for o, t in zip(output, targets)]
        return pd.DataFrame({"input": items, "output": output, "exact": exact})

    def predict_properties(self, z: np.ndarray | Tensor) -> pd.DataFrame:
        """Property-head predictions at latent points ``z``, in the properties' own units."""
        if not self.property_names:
            raise MolvaeError("this model has no property head (model.property_head is empty)")
        z_t = self._as_latent(z)
        with torch.inference_mode():
            pred = self.model.property_head(z_t).float().cpu().numpy()
        columns = {}
        for j, name in enumerate(self.property_names):
            mean, std = self.property_stats[name]
            columns[name] = pred[:, j] * std + mean
        return pd.DataFrame(columns)

    # ------------------------------------------------------------------ latent space

    def interpolate(self, start: str | Chem.Mol, end: str | Chem.Mol, steps: int = 8, *,
                    method: Literal["slerp", "linear"] = "slerp", greedy: bool = True,
                    seed: int | None = 0, prior: Literal["normal", "learned"] = "normal",
                    pull: float = 0.5) -> pd.DataFrame:
        """Molecules decoded along the path between two molecules' codes
        (:func:`molvae.latent.interpolate`)."""
        from molvae.latent import interpolate

        return interpolate(self, start, end, steps, method=method, greedy=greedy, seed=seed,
                           prior=prior, pull=pull)

    def neighbors(self, molecule: str | Chem.Mol, n: int = 50, *, radius: float = 0.5,
                  max_draws: int | None = None, seed: int | None = 0) -> pd.DataFrame:
        """Distinct valid molecules decoded near a molecule's code, with their similarity
        (:func:`molvae.latent.neighbors`)."""
        from molvae.latent import neighbors

        return neighbors(self, molecule, n, radius=radius, max_draws=max_draws, seed=seed)

    def score(self, molecules: str | Chem.Mol | Sequence[str | Chem.Mol], *, samples: int = 0,
              seed: int | None = 0) -> pd.DataFrame:
        """Per-molecule negative ELBO, reconstruction NLL and probability, KL
        (:func:`molvae.likelihood.score_molecules`): high values flag unusual molecules."""
        from molvae.likelihood import score_molecules

        return score_molecules(self, molecules, samples=samples, seed=seed)

    # ------------------------------------------------------------------ helpers

    def _generator(self, seed: int | None) -> torch.Generator:
        generator = torch.Generator(device=self.device)
        generator.manual_seed(int.from_bytes(os.urandom(8), "little") >> 1 if seed is None else seed)
        return generator

    def _as_latent(self, z: np.ndarray | Tensor) -> Tensor:
        return as_latent(z, self.latent_dim, self.device)

    def _decode_raw(self, z: Tensor, conditions: Tensor | None, *, greedy: bool,
                    temperature: float, generator: torch.Generator,
                    batch_size: int) -> list[str | None]:
        greedy = greedy or decoding_temperature(temperature) == 0
        ids = decode_latents(self.model, z, conditions, max_length=self.config.max_length,
                             greedy=greedy, temperature=temperature, generator=generator,
                             mm_dtype=self.mm_dtype, batch_size=batch_size)
        unfinished = (ids == self.tokenizer.vocabulary.end_id).sum(1) == 0
        raw = self.tokenizer.decode_batch(ids)
        return [None if cut else text for text, cut in zip(raw, unfinished.tolist())]

def _with_properties(frame: pd.DataFrame, properties: Sequence[str]) -> pd.DataFrame:
    from molvae.chemistry import compute_properties

    table = compute_properties([s if s else "" for s in frame["smiles"]], list(properties))
    return pd.concat([frame, table.set_index(frame.index)], axis=1)
