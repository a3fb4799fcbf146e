"""The vocabulary: tokens and their ids, four special tokens first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from molvae.errors import CheckpointError, TokenizationError


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
