"""Making and loading a tokenizer of a kind: ``make_tokenizer("selfies", smiles)``, or from the
description a checkpoint saved."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from molvae.errors import CheckpointError
from molvae.tokenizers.base import Tokenized, Tokenizer, TokenizerKind, _parse_kind
from molvae.tokenizers.selfies import SelfiesTokenizer
from molvae.tokenizers.smiles import SmilesTokenizer
from molvae.tokenizers.vocabulary import Vocabulary


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
