"""SELFIES symbols: every string of symbols decodes to a valid molecule (``selfies``, RDKit)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from molvae.errors import TokenizationError
from molvae.tokenizers.base import Tokenizer, TokenizerKind, _check_text

if TYPE_CHECKING:
    from typing_extensions import Self

logger = logging.getLogger("molvae.tokenizers")


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
