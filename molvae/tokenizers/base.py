"""What every tokenizer shares: the :class:`Tokenizer` base (encode and decode, one molecule or a
batch, saving), its kinds, and the batch results (:class:`EncodedBatch`, :class:`Reject`).
Large batches of a slow tokenizer are spread over worker processes (:mod:`molvae.parallel`)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from molvae.errors import CheckpointError, ConfigError, TokenizationError
from molvae.parallel import map_chunks
from molvae.progress import shown
from molvae.tokenizers.vocabulary import Vocabulary

if TYPE_CHECKING:
    from typing_extensions import Self

logger = logging.getLogger("molvae.tokenizers")
_FORMAT, _FORMAT_VERSION = "molvae.tokenizer", 1


class TokenizerKind(str, Enum):
    """How molecules are written as tokens."""

    SMILES = "smiles"
    SELFIES = "selfies"


@dataclass(frozen=True)
class Reject:
    """A molecule a batch method left out: its position in the input, the input, and why."""

    index: int
    smiles: str
    reason: str


@dataclass(frozen=True)
class EncodedBatch:
    """Encoded molecules: ``ids`` (n_kept, L) padded with ``pad_id``; ``lengths`` (n_kept,)
    count the start and end tokens; ``indices`` are the kept molecules' input positions."""

    ids: torch.Tensor
    lengths: torch.Tensor
    indices: list[int]
    rejects: list[Reject] = field(default_factory=list)


#: Token lists of a batch: a molecule's tokens, or why it could not be tokenized.
Tokenized = list[list[str] | TokenizationError]
_PARALLEL_MIN = 20_000  # molecules below which a process pool costs more than it saves
_PARALLEL_DETOKENIZE_MIN = 10_000  # detokenizing is cheaper: a pool pays off a little earlier
_CHUNK = 5_000


def _tokenize_chunk(smiles: list[object], kind: str) -> Tokenized:
    from molvae.tokenizers.registry import empty_tokenizer  # the kinds are defined after this

    tokenizer = empty_tokenizer(kind)
    out: Tokenized = []
    for smi in smiles:
        try:
            out.append(tokenizer.tokenize(smi))  # type: ignore[arg-type]
        except TokenizationError as exc:
            out.append(exc)
    return out


def _detokenize_chunk(token_lists: list[list[str]], kind: str) -> list[str | None]:
    from molvae.tokenizers.registry import empty_tokenizer  # the kinds are defined after this

    tokenizer = empty_tokenizer(kind)
    out: list[str | None] = []
    for tokens in token_lists:
        try:
            out.append(tokenizer.detokenize(tokens))
        except TokenizationError:
            out.append(None)
    return out


def _map_chunks(function: Callable[[list[Any], str], list[Any]], kind: str, items: list[Any],
                n_jobs: int) -> list[Any]:
    """``function(chunk, kind)`` over chunks of ``items``: in this process, or on ``n_jobs``
    forked worker processes (the tokenizers are rebuilt there from ``kind``)."""
    chunks = [items[i:i + _CHUNK] for i in range(0, len(items), _CHUNK)]
    if n_jobs <= 1 or len(chunks) < 2:
        return function(items, kind)
    parts = map_chunks(function, chunks, kind, n_jobs=n_jobs,
                       description=function.__name__.strip("_").split("_")[0],
                       show=shown(len(items), _PARALLEL_MIN))
    return [item for part in parts for item in part]


class Tokenizer(ABC):
    """Common base: subclasses define ``kind``, :meth:`tokenize` and :meth:`detokenize`."""

    kind: ClassVar[TokenizerKind]
    #: whether tokenizing is slow enough (pure-Python SELFIES) to spread large batches over cores
    parallel: ClassVar[bool] = False

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.fit_rejects: tuple[Reject, ...] = ()  # molecules fit() skipped; not saved

    @abstractmethod
    def tokenize(self, smiles: str) -> list[str]:
        """Split a SMILES string into tokens (raises :class:`TokenizationError`)."""

    @abstractmethod
    def detokenize(self, tokens: Sequence[str]) -> str:
        """Turn tokens back into a SMILES string."""

    def tokenize_many(self, smiles: Sequence[str], *, n_jobs: int | None = None) -> Tokenized:
        """:meth:`tokenize` of each molecule; a failure is returned (the exception), not raised.
        Large batches of a slow tokenizer run on ``n_jobs`` processes (None: every core)."""
        items = list(smiles)
        return _map_chunks(_tokenize_chunk, self.kind.value, items,
                           self._jobs(n_jobs, len(items), _PARALLEL_MIN))

    def detokenize_many(self, token_lists: Sequence[Sequence[str]], *,
                        n_jobs: int | None = None) -> list[str | None]:
        """:meth:`detokenize` of each token list; ``None`` where it fails. Large batches of a
        slow tokenizer (SELFIES decoding, about 0.2 ms a molecule) run on ``n_jobs`` processes."""
        items = [list(tokens) for tokens in token_lists]
        return _map_chunks(_detokenize_chunk, self.kind.value, items,
                           self._jobs(n_jobs, len(items), _PARALLEL_DETOKENIZE_MIN))

    def _jobs(self, n_jobs: int | None, n_items: int, threshold: int) -> int:
        if n_jobs is not None:
            return n_jobs
        return (os.cpu_count() or 1) if self.parallel and n_items >= threshold else 1

    @classmethod
    def fit(cls, smiles: Sequence[str], *, min_count: int = 1,
            tokens: Tokenized | None = None) -> Self:
        """A tokenizer whose vocabulary holds every token seen ``min_count`` times in ``smiles``
        (``tokens``: their :meth:`tokenize_many`, when already computed).

        Molecules that cannot be tokenized are skipped, logged, and kept in ``fit_rejects``.
        """
        probe, counts, rejects = cls(Vocabulary(())), Counter[str](), list[Reject]()
        smiles = list(smiles)
        if tokens is None:
            tokens = probe.tokenize_many(smiles)
        for index, (smi, toks) in enumerate(zip(smiles, tokens)):
            if isinstance(toks, TokenizationError):
                rejects.append(Reject(index, _as_text(smi), str(toks)))
            else:
                counts.update(toks)
        if not counts:
            first = f"; first reject: {rejects[0].reason}" if rejects else ""
            raise TokenizationError(f"cannot fit {cls.__name__}: no molecule was tokenized{first}")
        if rejects:
            logger.warning("%s.fit skipped %d molecules that cannot be tokenized, e.g. %s",
                           cls.__name__, len(rejects), "; ".join(r.reason for r in rejects[:3]))
        tokenizer = cls(Vocabulary._from_counts(counts, min_count=min_count))
        tokenizer.fit_rejects = tuple(rejects)
        return tokenizer

    def encode(self, smiles: str) -> list[int]:
        """``[start] + token ids + [end]``; a token outside the vocabulary raises."""
        return self._ids(self.tokenize(smiles), smiles)

    def _ids(self, tokens: list[str], smiles: str) -> list[int]:
        vocab = self.vocabulary
        try:
            return [vocab.start_id, *map(vocab._ids.__getitem__, tokens), vocab.end_id]
        except KeyError as exc:
            raise TokenizationError(
                f"token {exc.args[0]!r} of {smiles!r} is not in the vocabulary of this"
                f" {self.kind.value} tokenizer (it was fitted on molecules without it); refit the"
                " tokenizer on data that contains it, or use a model trained on such molecules"
            ) from None

    def encode_batch(self, smiles: Sequence[str], *, max_length: int | None = None,
                     tokens: Tokenized | None = None) -> EncodedBatch:
        """Encode many molecules; bad ones (untokenizable, unknown token, empty, or more than
        ``max_length`` ids counting start and end) become :class:`Reject` rows, never errors.
        ``tokens``: the molecules' :meth:`tokenize_many`, when already computed."""
        encoded, indices, rejects = list[list[int]](), list[int](), list[Reject]()
        smiles = list(smiles)
        if tokens is None:
            tokens = self.tokenize_many(smiles)
        for index, (smi, toks) in enumerate(zip(smiles, tokens)):
            try:
                if isinstance(toks, TokenizationError):
                    raise toks
                ids = self._ids(toks, smi)
            except TokenizationError as exc:
                rejects.append(Reject(index, _as_text(smi), str(exc)))
                continue
            if max_length is not None and len(ids) > max_length:
                reason = f"{len(ids)} tokens (with start and end) exceed max_length {max_length}"
                rejects.append(Reject(index, smi, reason))
            else:
                encoded.append(ids)
                indices.append(index)
        width, pad = max(map(len, encoded), default=0), self.vocabulary.pad_id
        padded = [row + [pad] * (width - len(row)) for row in encoded]
        return EncodedBatch(
            ids=torch.tensor(padded, dtype=torch.long).reshape(len(encoded), width),
            lengths=torch.tensor([len(row) for row in encoded], dtype=torch.long),
            indices=indices,
            rejects=rejects,
        )

    def decode(self, ids: Sequence[int] | torch.Tensor) -> str:
        """SMILES from one row of ids: skips a leading start, stops at end, ignores pad.

        Ids outside the vocabulary, or ``<bos>``/``<unk>`` inside the molecule, raise.
        """
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1:
                raise TokenizationError(f"decode takes one row of ids, not {tuple(ids.shape)}")
            ids = ids.tolist()
        row, vocab = [int(i) for i in ids], self.vocabulary
        tokens = []
        for i in self._body(row):
            token = vocab.token_of(i)
            if i in (vocab.start_id, vocab.unk_id):
                raise TokenizationError(f"id {i} ({token}) cannot stand inside a molecule: {row}")
            if i != vocab.pad_id:
                tokens.append(token)
        return self.detokenize(tokens)

    def decode_batch(self, ids: torch.Tensor | Sequence[Sequence[int]]) -> list[str | None]:
        """Decode rows of ids (the sampling hot path), as :meth:`decode` does, except that a row
        with ``<bos>``/``<unk>`` inside the molecule, or one the tokenizer cannot turn into
        SMILES, gives ``None``. Ids outside the vocabulary raise: they come from another one.
        Repeated rows (common along optimization trajectories) are turned into text once."""
        vocab = self.vocabulary
        ids = ids if isinstance(ids, torch.Tensor) else torch.tensor(ids, dtype=torch.long)
        if ids.dim() != 2:
            raise TokenizationError(f"decode_batch takes (n, L) ids, not shape {tuple(ids.shape)}")
        outside = (ids < 0) | (ids >= len(vocab))
        if outside.any():
            vocab.token_of(int(ids[outside][0]))  # raises, explaining
        table, pad, forbidden = vocab.tokens, vocab.pad_id, {vocab.start_id, vocab.unk_id}
        bodies = [tuple(self._body(row)) for row in ids.tolist()]
        done: dict[tuple[int, ...], str | None] = {}
        todo = []  # distinct bodies without start/unk inside, in first-seen order
        for body in dict.fromkeys(bodies):
            if forbidden.isdisjoint(body):
                todo.append(body)
            else:
                done[body] = None
        texts = self.detokenize_many([[table[i] for i in body if i != pad] for body in todo])
        done.update(zip(todo, texts))
        return [done[body] for body in bodies]

    def _body(self, row: list[int]) -> list[int]:
        """The ids after a leading start, up to the first end."""
        begin = 1 if row and row[0] == self.vocabulary.start_id else 0
        try:
            return row[begin : row.index(self.vocabulary.end_id, begin)]
        except ValueError:
            return row[begin:]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description: format, kind and vocabulary."""
        return {"format": _FORMAT, "format_version": _FORMAT_VERSION, "kind": self.kind.value,
                "vocabulary": self.vocabulary.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_dict` (:func:`load_tokenizer` reads the kind for you)."""
        if not isinstance(data, Mapping) or data.get("format") != _FORMAT:
            raise CheckpointError(f"not a molvae tokenizer description (format {_FORMAT!r})")
        if _parse_kind(data.get("kind")) is not cls.kind:
            raise CheckpointError(f"{cls.__name__} cannot load a {data.get('kind')!r} tokenizer;"
                                  " use load_tokenizer")
        return cls(Vocabulary.from_dict(data.get("vocabulary", {})))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_dict` as JSON atomically (temp file, then rename); return the path."""
        path = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.to_dict(), handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tokenizer) and type(other) is type(self) and (
            self.vocabulary == other.vocabulary
        )

    __hash__ = None  # type: ignore[assignment]  # the vocabulary attribute can be replaced

    def __repr__(self) -> str:
        return f"{type(self).__name__}(vocabulary={self.vocabulary!r})"


def _check_text(smiles: object) -> None:
    if not isinstance(smiles, str):
        raise TokenizationError(f"expected a SMILES string, got {type(smiles).__name__} {smiles!r}")
    if not smiles.strip():
        raise TokenizationError(f"empty SMILES {smiles!r}: there is no molecule to tokenize")


def _as_text(smiles: object) -> str:
    return smiles if isinstance(smiles, str) else repr(smiles)


def _parse_kind(kind: object) -> TokenizerKind:
    try:
        return TokenizerKind(kind.lower() if isinstance(kind, str) else kind)
    except ValueError:
        valid = ", ".join(k.value for k in TokenizerKind)
        raise ConfigError(f"unknown tokenizer kind {kind!r}; valid kinds: {valid}") from None
