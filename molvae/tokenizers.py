"""Tokenizers: molecules to integer ids and back (SMILES regex tokens or SELFIES symbols).

A :class:`Vocabulary` maps tokens to ids, four special tokens first. A tokenizer owns one and
turns a SMILES string into ids (``encode``) and ids back into SMILES (``decode``). Batch methods
never raise on a bad molecule: they return it as a :class:`Reject` (encoding) or ``None``
(decoding). Nothing here needs RDKit to encode or decode SMILES; :class:`SelfiesTokenizer`
imports ``selfies`` when used, and RDKit to canonicalize input and to give decoded radicals
their hydrogens.

>>> tok = SmilesTokenizer.fit(["CCO", "c1ccccc1Cl"])
>>> tok.decode(tok.encode("OCCl"))
'OCCl'
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import tempfile
import warnings
from concurrent.futures import ProcessPoolExecutor
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from molvae.errors import CheckpointError, ConfigError, TokenizationError
from molvae.progress import shown, track

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "Vocabulary", "TokenizerKind", "Reject", "EncodedBatch", "Tokenizer",
    "SmilesTokenizer", "SelfiesTokenizer", "make_tokenizer", "load_tokenizer",
]

logger = logging.getLogger(__name__)
_FORMAT, _FORMAT_VERSION = "molvae.tokenizer", 1


class Vocabulary:
    """Tokens and their ids: ``<pad>`` 0, ``<bos>`` 1, ``<eos>`` 2, ``<unk>`` 3, then the rest.

    >>> vocab = Vocabulary.from_tokens(["C", "C", "O", "("])
    >>> vocab.tokens
    ('<pad>', '<bos>', '<eos>', '<unk>', 'C', '(', 'O')
    >>> vocab.id_of("O"), vocab.token_of(4), len(vocab), "N" in vocab
    (6, 'C', 7, False)
    """

    PAD: ClassVar[str] = "<pad>"
    START: ClassVar[str] = "<bos>"
    END: ClassVar[str] = "<eos>"
    UNK: ClassVar[str] = "<unk>"
    SPECIALS: ClassVar[tuple[str, ...]] = (PAD, START, END, UNK)

    def __init__(self, tokens: Iterable[str]) -> None:
        """Ordinary tokens in id order; the special tokens are put before them."""
        ordinary = tuple(tokens)
        bad = [t for t in ordinary if not isinstance(t, str) or not t or t in self.SPECIALS]
        dupes = sorted(t for t, n in Counter(ordinary).items() if n > 1)
        if bad or dupes:
            raise TokenizationError(
                f"bad vocabulary: special, empty or non-string tokens {bad!r}, duplicates"
                f" {dupes!r}; pass each ordinary token once (from_tokens counts a token stream)"
            )
        self._tokens = self.SPECIALS + ordinary
        self._ids = {t: i for i, t in enumerate(self._tokens)}

    @classmethod
    def from_tokens(cls, tokens: Iterable[str], *, min_count: int = 1) -> Vocabulary:
        """Count a stream of tokens and keep those seen ``min_count`` times, most frequent
        first, ties in lexicographic order (special tokens in the stream are skipped)."""
        return cls._from_counts(Counter(tokens), min_count=min_count)

    @classmethod
    def _from_counts(cls, counts: Mapping[str, int], *, min_count: int) -> Vocabulary:
        kept = [t for t, n in counts.items() if n >= min_count and t not in cls.SPECIALS]
        return cls(sorted(kept, key=lambda t: (-counts[t], t)))

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def start_id(self) -> int:
        return 1

    @property
    def end_id(self) -> int:
        return 2

    @property
    def unk_id(self) -> int:
        return 3

    @property
    def tokens(self) -> tuple[str, ...]:
        """Every token in id order, the special tokens included."""
        return self._tokens

    def id_of(self, token: str) -> int:
        """The id of ``token``; :class:`TokenizationError` if it is not in the vocabulary."""
        if token not in self._ids:
            raise TokenizationError(f"token {token!r} is not in the vocabulary of {len(self)}")
        return self._ids[token]

    def token_of(self, id_: int) -> str:
        """The token with id ``id_``; :class:`TokenizationError` if out of range."""
        if not 0 <= id_ < len(self._tokens):
            raise TokenizationError(
                f"id {id_} is outside the vocabulary of {len(self)} tokens (ids 0-{len(self) - 1});"
                " were these ids made with another tokenizer?"
            )
        return self._tokens[id_]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``{"tokens": [every token in id order]}``."""
        return {"tokens": list(self._tokens)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Vocabulary:
        """Inverse of :meth:`to_dict`; checks the special tokens hold their fixed ids."""
        tokens = data.get("tokens") if isinstance(data, Mapping) else None
        if not isinstance(tokens, list) or tuple(tokens[:4]) != cls.SPECIALS:
            raise CheckpointError(f"not a molvae vocabulary: expected tokens {cls.SPECIALS} first")
        try:
            return cls(tokens[4:])
        except TokenizationError as exc:
            raise CheckpointError(f"not a molvae vocabulary: {exc}") from exc

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._ids

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self._tokens == other._tokens

    def __hash__(self) -> int:
        return hash(self._tokens)

    def __repr__(self) -> str:
        return f"<Vocabulary of {len(self)} tokens>"


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


def _tokenize_chunk(kind: str, smiles: list[object]) -> Tokenized:
    tokenizer = _KINDS[TokenizerKind(kind)](Vocabulary(()))
    out: Tokenized = []
    for smi in smiles:
        try:
            out.append(tokenizer.tokenize(smi))  # type: ignore[arg-type]
        except TokenizationError as exc:
            out.append(exc)
    return out


def _detokenize_chunk(kind: str, token_lists: list[list[str]]) -> list[str | None]:
    tokenizer = _KINDS[TokenizerKind(kind)](Vocabulary(()))
    out: list[str | None] = []
    for tokens in token_lists:
        try:
            out.append(tokenizer.detokenize(tokens))
        except TokenizationError:
            out.append(None)
    return out


def _map_chunks(function: Callable[[str, list[Any]], list[Any]], kind: str, items: list[Any],
                n_jobs: int) -> list[Any]:
    """``function(kind, chunk)`` over chunks of ``items``: in this process, or on ``n_jobs``
    forked worker processes (the tokenizers are rebuilt there from ``kind``)."""
    chunks = [items[i:i + _CHUNK] for i in range(0, len(items), _CHUNK)]
    if n_jobs <= 1 or len(chunks) < 2:
        return function(kind, items)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(min(n_jobs, len(chunks)),
                             mp_context=multiprocessing.get_context(method)) as pool:
        parts = track(pool.map(function, [kind] * len(chunks), chunks), total=len(chunks),
                      description=function.__name__.strip("_").split("_")[0],
                      unit="chunk", show=shown(len(items), _PARALLEL_MIN))
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


_SMILES_TOKEN = re.compile(
    r"\[[^\[\]]+\]"  # bracket atom, whole: [nH] [C@@H] [NH3+] [13CH3] [Na+] [se]
    r"|Br|Cl|[BCNOPSFI]|[bcnops]"  # organic subset, aromatic atoms
    r"|%\d\d|%\(\d+\)|\d"  # ring closures: 1, %12, %(123)
    r"|[-=#$:/\\().*]"  # bonds, branches, dot, wildcard
)


class SmilesTokenizer(Tokenizer):
    """SMILES split by a regex into atoms, bonds, branches and ring closures; exact round trip.

    >>> SmilesTokenizer(Vocabulary(())).tokenize("C[C@@H](Br)c1cc[nH]c%12Cl")
    ['C', '[C@@H]', '(', 'Br', ')', 'c', '1', 'c', 'c', '[nH]', 'c', '%12', 'Cl']
    """

    kind = TokenizerKind.SMILES

    def tokenize(self, smiles: str) -> list[str]:
        _check_text(smiles)
        tokens = _SMILES_TOKEN.findall(smiles)
        if "".join(tokens) != smiles:
            position = 0
            for match in _SMILES_TOKEN.finditer(smiles):
                if match.start() != position:
                    break
                position = match.end()
            raise TokenizationError(
                f"cannot tokenize SMILES {smiles!r}: unexpected character {smiles[position]!r} at"
                f" position {position}; pass one molecule per string, without names or spaces"
            )
        return tokens

    def detokenize(self, tokens: Sequence[str]) -> str:
        return "".join(tokens)


class SelfiesTokenizer(Tokenizer):
    """SELFIES symbols of the RDKit canonical SMILES; decoding gives the same molecule (not
    always the same string). selfies' semantic constraints are global state, which this class
    never changes; ``to_dict`` records them and the selfies version.

    >>> tok = SelfiesTokenizer.fit(["OCC"])
    >>> tok.tokenize("OCC")
    ['[C]', '[C]', '[O]']
    >>> tok.decode(tok.encode("OCC"))
    'CCO'
    """

    kind = TokenizerKind.SELFIES
    parallel = True

    def tokenize(self, smiles: str) -> list[str]:
        selfies, canonical = _import_selfies(), _canonical_smiles(smiles)
        try:
            return list(selfies.split_selfies(selfies.encoder(canonical)))
        except selfies.EncoderError as exc:
            reason = str(exc).splitlines()[0]
            raise TokenizationError(
                f"selfies cannot encode {smiles!r} (canonical {canonical!r}): {reason}"
            ) from exc

    def detokenize(self, tokens: Sequence[str]) -> str:
        """The SMILES that selfies decodes, with hydrogens where it left unpaired electrons
        (:func:`molvae.chemistry.saturate_radicals`; molecules without radicals, every
        training molecule among them, are untouched)."""
        selfies, text = _import_selfies(), "".join(tokens)
        try:
            smiles = selfies.decoder(text)
        except selfies.DecoderError as exc:
            reason = str(exc).splitlines()[0]
            raise TokenizationError(f"selfies cannot decode {text!r}: {reason}") from exc
        return _saturate(smiles)

    def to_dict(self) -> dict[str, Any]:
        selfies = _import_selfies()
        return {**super().to_dict(), "selfies_version": selfies.__version__,
                "selfies_constraints": selfies.get_semantic_constraints()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        tokenizer = super().from_dict(data)
        try:
            selfies = _import_selfies()
        except TokenizationError:  # a machine that only trains on ids needs no selfies
            return tokenizer
        for key, now in (("selfies_version", selfies.__version__),
                         ("selfies_constraints", selfies.get_semantic_constraints())):
            if key in data and data[key] != now:
                logger.warning("tokenizer saved with %s %r, but this process has %r; decoded"
                               " molecules may differ", key, data[key], now)
        return tokenizer


_KINDS: dict[TokenizerKind, type[Tokenizer]] = {
    TokenizerKind.SMILES: SmilesTokenizer,
    TokenizerKind.SELFIES: SelfiesTokenizer,
}


def make_tokenizer(
    kind: str | TokenizerKind, smiles: Iterable[str], *, min_count: int = 1,
    tokens: Tokenized | None = None,
) -> Tokenizer:
    """Fit a tokenizer of ``kind`` (``"smiles"`` or ``"selfies"``) on ``smiles``.

    >>> make_tokenizer("smiles", ["CCO"]).vocabulary.tokens[4:]
    ('C', 'O')
    """
    return _KINDS[_parse_kind(kind)].fit(list(smiles), min_count=min_count, tokens=tokens)


def empty_tokenizer(kind: str | TokenizerKind) -> Tokenizer:
    """A tokenizer of ``kind`` with no vocabulary yet: for :meth:`Tokenizer.tokenize_many`."""
    return _KINDS[_parse_kind(kind)](Vocabulary(()))


def load_tokenizer(source: str | os.PathLike[str] | Mapping[str, Any]) -> Tokenizer:
    """A tokenizer from a JSON file written by :meth:`Tokenizer.save`, or from its dict."""
    data: object = source
    if not isinstance(source, Mapping):
        try:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"cannot read tokenizer file {str(source)!r}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise CheckpointError(f"not a molvae tokenizer description: {str(source)!r}")
    return _KINDS[_parse_kind(data.get("kind"))].from_dict(data)


def _parse_kind(kind: object) -> TokenizerKind:
    try:
        return TokenizerKind(kind.lower() if isinstance(kind, str) else kind)
    except ValueError:
        valid = ", ".join(k.value for k in TokenizerKind)
        raise ConfigError(f"unknown tokenizer kind {kind!r}; valid kinds: {valid}") from None


def _check_text(smiles: object) -> None:
    if not isinstance(smiles, str):
        raise TokenizationError(f"expected a SMILES string, got {type(smiles).__name__} {smiles!r}")
    if not smiles.strip():
        raise TokenizationError(f"empty SMILES {smiles!r}: there is no molecule to tokenize")


def _as_text(smiles: object) -> str:
    return smiles if isinstance(smiles, str) else repr(smiles)


def _import_selfies() -> Any:
    try:
        import selfies
    except ImportError as exc:
        raise TokenizationError("SelfiesTokenizer needs selfies: pip install selfies") from exc
    return selfies


def _saturate(smiles: str) -> str:
    """:func:`molvae.chemistry.saturate_radicals`, or ``smiles`` as it is without RDKit."""
    try:
        from molvae.chemistry import saturate_radicals
    except ImportError:  # Python's default filter shows this warning once
        warnings.warn("RDKit is not installed: SELFIES decodes keep their radicals", stacklevel=2)
        return smiles
    return saturate_radicals(smiles)


def _canonical_smiles(smiles: str) -> str:
    """RDKit canonical isomeric SMILES (RDKit is imported here, only when needed)."""
    _check_text(smiles)
    try:
        from rdkit import Chem, rdBase
    except ImportError as exc:
        raise TokenizationError("SelfiesTokenizer needs RDKit to canonicalize SMILES before"
                                " encoding them: install rdkit") from exc
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise TokenizationError(f"RDKit cannot parse SMILES {smiles!r}; fix or drop this molecule")
    return Chem.MolToSmiles(mol, canonical=True, isomericSmiles=True)
