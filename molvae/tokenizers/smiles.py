"""SMILES split by a regex into atoms, bonds, branches and ring closures."""

from __future__ import annotations

import re
from collections.abc import Sequence

from molvae.errors import TokenizationError
from molvae.tokenizers.base import Tokenizer, TokenizerKind, _check_text
from molvae.tokenizers.vocabulary import Vocabulary  # noqa: F401  (the examples use it)


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
