"""Tokenizers: molecules to integer ids and back (SMILES regex tokens or SELFIES symbols).

One module per concept: :mod:`~molvae.tokenizers.vocabulary`, :mod:`~molvae.tokenizers.base`
(the :class:`Tokenizer` every kind shares), :mod:`~molvae.tokenizers.smiles`,
:mod:`~molvae.tokenizers.selfies`, :mod:`~molvae.tokenizers.registry` (making and loading one).

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

from molvae.tokenizers.base import EncodedBatch, Reject, Tokenized, Tokenizer, TokenizerKind
from molvae.tokenizers.registry import empty_tokenizer, load_tokenizer, make_tokenizer
from molvae.tokenizers.selfies import SelfiesTokenizer
from molvae.tokenizers.smiles import SmilesTokenizer
from molvae.tokenizers.vocabulary import Vocabulary

__all__ = [
    "Vocabulary", "TokenizerKind", "Reject", "EncodedBatch", "Tokenizer", "Tokenized",
    "SmilesTokenizer", "SelfiesTokenizer", "make_tokenizer", "empty_tokenizer", "load_tokenizer",
]
