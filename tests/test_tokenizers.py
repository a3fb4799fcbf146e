"""Tests of molvae.tokenizers: vocabulary, SMILES and SELFIES tokenizers, batches, save/load."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from molvae.data import zinc250k_path

from molvae.errors import CheckpointError, ConfigError, MolvaeError, TokenizationError
from molvae.tokenizers import (
    EncodedBatch,
    Reject,
    SelfiesTokenizer,
    SmilesTokenizer,
    Tokenizer,
    TokenizerKind,
    Vocabulary,
    load_tokenizer,
    make_tokenizer,
)

ZINC = zinc250k_path()
REPO = Path(__file__).resolve().parents[1]
MOLECULES = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "C[C@@H](N)C(=O)O", "C[NH3+]", "ClCBr"]


def zinc_sample(n: int, seed: int = 0) -> list[str]:
    return random.Random(seed).sample(ZINC.read_text().split(), n)


def canonical(smiles: str) -> str:
    from rdkit import Chem

    return Chem.MolToSmiles(Chem.MolFromSmiles(smiles))


@pytest.fixture(scope="module")
def tok() -> SmilesTokenizer:
    return SmilesTokenizer.fit(MOLECULES)


@pytest.fixture(scope="module")
def sf_tok() -> SelfiesTokenizer:
    return SelfiesTokenizer.fit(MOLECULES)


# --- Vocabulary --------------------------------------------------------------------------------


def test_special_tokens_have_fixed_ids_before_fitted_tokens() -> None:
    vocab = Vocabulary(["C", "O"])
    assert vocab.tokens[:4] == ("<pad>", "<bos>", "<eos>", "<unk>")
    assert (vocab.pad_id, vocab.start_id, vocab.end_id, vocab.unk_id) == (0, 1, 2, 3)
    assert [vocab.id_of(t) for t in Vocabulary.SPECIALS] == [0, 1, 2, 3]
    assert Vocabulary.SPECIALS == (Vocabulary.PAD, Vocabulary.START, Vocabulary.END, Vocabulary.UNK)
    assert vocab.id_of("C") == 4 and vocab.token_of(5) == "O" and len(vocab) == 6


def test_vocabulary_orders_tokens_by_frequency_then_lexicographically() -> None:
    vocab = Vocabulary.from_tokens(["O", "C", "N", "C", "(", "O", "C"])
    assert vocab.tokens[4:] == ("C", "O", "(", "N")
    assert Vocabulary.from_tokens(reversed(["O", "C", "N", "C", "(", "O", "C"])) == vocab


def test_vocabulary_min_count_drops_rare_tokens() -> None:
    vocab = Vocabulary.from_tokens(["C", "C", "O"], min_count=2)
    assert "C" in vocab and "O" not in vocab


def test_vocabulary_rejects_duplicate_or_special_tokens() -> None:
    with pytest.raises(TokenizationError, match="duplicates"):
        Vocabulary(["C", "C"])
    with pytest.raises(TokenizationError, match="<pad>"):
        Vocabulary(["<pad>"])


def test_vocabulary_lookups_outside_it_raise_tokenization_error() -> None:
    vocab = Vocabulary(["C"])
    with pytest.raises(TokenizationError, match="'Xe'"):
        vocab.id_of("Xe")
    with pytest.raises(TokenizationError, match="id 9"):
        vocab.token_of(9)
    with pytest.raises(TokenizationError, match="id -1"):
        vocab.token_of(-1)


def test_vocabulary_json_round_trip() -> None:
    vocab = Vocabulary.from_tokens(["C", "[nH]", "Cl", "C"])
    data = json.loads(json.dumps(vocab.to_dict()))
    assert Vocabulary.from_dict(data) == vocab
    assert hash(Vocabulary.from_dict(data)) == hash(vocab)
    assert Vocabulary(["O"]) != vocab


def test_vocabulary_from_dict_refuses_a_list_without_the_special_tokens_first() -> None:
    with pytest.raises(CheckpointError, match="vocabulary"):
        Vocabulary.from_dict({"tokens": ["C", "O"]})


# --- SMILES tokenization -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("smiles", "tokens"),
    [
        ("c1cc[nH]c1", ["c", "1", "c", "c", "[nH]", "c", "1"]),
        ("C[C@@H](Cl)Br", ["C", "[C@@H]", "(", "Cl", ")", "Br"]),
        ("C[NH3+].[Cl-]", ["C", "[NH3+]", ".", "[Cl-]"]),
        ("[13CH3]O", ["[13CH3]", "O"]),
        ("[Na+].[O-]c1ccccc1", ["[Na+]", ".", "[O-]", "c", "1", "c", "c", "c", "c", "c", "1"]),
        ("c1cc[se]c1", ["c", "1", "c", "c", "[se]", "c", "1"]),
        ("BrCCl", ["Br", "C", "Cl"]),
    ],
)
def test_bracket_atoms_and_two_letter_halogens_are_single_tokens(
    tok: SmilesTokenizer, smiles: str, tokens: list[str]
) -> None:
    assert tok.tokenize(smiles) == tokens


def test_aromatic_atoms_outside_brackets_are_single_letters(tok: SmilesTokenizer) -> None:
    assert tok.tokenize("c1ncosc1") == ["c", "1", "n", "c", "o", "s", "c", "1"]
    assert tok.tokenize("Sc1ccccc1") == ["S", "c", "1", "c", "c", "c", "c", "c", "1"]


def test_two_digit_ring_closure_is_one_token(tok: SmilesTokenizer) -> None:
    assert tok.tokenize("C%10CC%10") == ["C", "%10", "C", "C", "%10"]
    assert tok.tokenize("C%(123)CC%(123)") == ["C", "%(123)", "C", "C", "%(123)"]
    assert tok.tokenize("C12CC1C2") == ["C", "1", "2", "C", "C", "1", "C", "2"]


def test_every_bond_branch_dot_and_wildcard_is_its_own_token(tok: SmilesTokenizer) -> None:
    assert tok.tokenize("C-C=C#C$C:C/C\\C(C).*") == [
        "C", "-", "C", "=", "C", "#", "C", "$", "C", ":", "C", "/", "C", "\\", "C",
        "(", "C", ")", ".", "*",
    ]


def test_smiles_detokenize_inverts_tokenize_exactly(tok: SmilesTokenizer) -> None:
    for smiles in MOLECULES + ["C%12CC%12", "F/C=C/F", "[2H]C([2H])([2H])O"]:
        assert tok.detokenize(tok.tokenize(smiles)) == smiles


@pytest.mark.parametrize(
    ("smiles", "char"), [("CC O", " "), ("CC[NH3+", "["), ("C1CC%1", "%"), ("CCX", "X")]
)
def test_untokenizable_smiles_raises_naming_the_character_and_molecule(
    tok: SmilesTokenizer, smiles: str, char: str
) -> None:
    with pytest.raises(TokenizationError) as info:
        tok.tokenize(smiles)
    assert repr(char) in str(info.value) and repr(smiles) in str(info.value)


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_empty_or_non_string_input_raises_tokenization_error(
    tok: SmilesTokenizer, bad: object
) -> None:
    with pytest.raises(TokenizationError):
        tok.tokenize(bad)  # type: ignore[arg-type]


# --- encode / decode ---------------------------------------------------------------------------


def test_encode_wraps_token_ids_in_start_and_end(tok: SmilesTokenizer) -> None:
    vocab = tok.vocabulary
    c, o = vocab.id_of("C"), vocab.id_of("O")
    assert tok.encode("CCO") == [vocab.start_id, c, c, o, vocab.end_id]


def test_unknown_token_raises_with_the_token_and_molecule_in_the_message(
    tok: SmilesTokenizer,
) -> None:
    with pytest.raises(TokenizationError) as info:
        tok.encode("CC[Se]C")
    message = str(info.value)
    assert "'[Se]'" in message and "'CC[Se]C'" in message and "refit" in message
    assert isinstance(info.value, MolvaeError)


def test_decode_skips_start_stops_at_end_and_ignores_pad(tok: SmilesTokenizer) -> None:
    vocab = tok.vocabulary
    c, o = vocab.id_of("C"), vocab.id_of("O")
    assert tok.decode([vocab.start_id, c, o, vocab.end_id, c, c]) == "CO"
    assert tok.decode([c, vocab.pad_id, o]) == "CO"
    assert tok.decode(torch.tensor([vocab.start_id, c, vocab.end_id, 0, 0])) == "C"


def test_decode_of_ids_outside_the_vocabulary_or_unk_inside_raises(tok: SmilesTokenizer) -> None:
    with pytest.raises(TokenizationError, match="outside the vocabulary"):
        tok.decode([1, 999, 2])
    with pytest.raises(TokenizationError, match="<unk>"):
        tok.decode([1, tok.vocabulary.unk_id, 2])


def test_decode_inverts_encode(tok: SmilesTokenizer) -> None:
    for smiles in MOLECULES:
        assert tok.decode(tok.encode(smiles)) == smiles


def test_encode_batch_pads_and_counts_start_and_end_in_lengths(tok: SmilesTokenizer) -> None:
    batch = tok.encode_batch(["CCO", "C"])
    assert isinstance(batch, EncodedBatch)
    assert batch.ids.dtype == torch.long and batch.ids.shape == (2, 5)
    assert batch.lengths.tolist() == [5, 3]
    assert batch.ids[1].tolist() == tok.encode("C") + [tok.vocabulary.pad_id] * 2
    assert batch.indices == [0, 1] and batch.rejects == []


def test_encode_batch_returns_rejects_instead_of_raising(tok: SmilesTokenizer) -> None:
    rows = ["CCO", "CC[Se]C", "", "CC O", "CCCCCCCC", None, "C"]
    batch = tok.encode_batch(rows, max_length=6)  # type: ignore[arg-type]
    assert batch.indices == [0, 6]
    assert batch.ids.shape == (2, 5)
    assert [r.index for r in batch.rejects] == [1, 2, 3, 4, 5]
    reasons = {r.index: r.reason for r in batch.rejects}
    assert "'[Se]'" in reasons[1] and "empty" in reasons[2] and "' '" in reasons[3]
    assert "max_length 6" in reasons[4] and "NoneType" in reasons[5]
    assert batch.rejects[0] == Reject(1, "CC[Se]C", reasons[1])


def test_encode_batch_with_nothing_kept_gives_empty_tensors(tok: SmilesTokenizer) -> None:
    batch = tok.encode_batch(["CC[Se]C"])
    assert batch.ids.shape == (0, 0) and batch.lengths.shape == (0,) and len(batch.rejects) == 1


def test_decode_batch_matches_decode_row_by_row(tok: SmilesTokenizer) -> None:
    batch = tok.encode_batch(MOLECULES)
    assert tok.decode_batch(batch.ids) == MOLECULES
    assert tok.decode_batch(batch.ids.tolist()) == MOLECULES


def test_decode_batch_gives_none_for_rows_with_unk_or_start_inside(tok: SmilesTokenizer) -> None:
    vocab = tok.vocabulary
    c = vocab.id_of("C")
    unk = vocab.unk_id
    ids = torch.tensor([[1, c, c, 2], [1, c, unk, 2], [1, c, 1, 2], [1, c, 2, unk]])
    assert tok.decode_batch(ids) == ["CC", None, None, "C"]


def test_decode_batch_of_ids_outside_the_vocabulary_raises(tok: SmilesTokenizer) -> None:
    with pytest.raises(TokenizationError, match="outside the vocabulary"):
        tok.decode_batch(torch.tensor([[1, len(tok.vocabulary), 2]]))


# --- fit, make, save, load ---------------------------------------------------------------------


def test_fit_skips_and_records_molecules_it_cannot_tokenize(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tokenizer = SmilesTokenizer.fit(["CCO", "CC O", "", "c1ccccc1"])
    assert [r.index for r in tokenizer.fit_rejects] == [1, 2]
    assert "skipped 2 molecules" in caplog.text
    assert set(tokenizer.vocabulary.tokens[4:]) == {"C", "O", "c", "1"}


def test_fit_with_no_tokenizable_molecule_raises() -> None:
    with pytest.raises(TokenizationError, match="no molecule"):
        SmilesTokenizer.fit(["", "CC O"])


def test_fit_is_deterministic_whatever_the_input_order() -> None:
    assert SmilesTokenizer.fit(MOLECULES) == SmilesTokenizer.fit(list(reversed(MOLECULES)))


def test_make_tokenizer_fits_the_requested_kind() -> None:
    assert isinstance(make_tokenizer("smiles", MOLECULES), SmilesTokenizer)
    assert isinstance(make_tokenizer(TokenizerKind.SELFIES, MOLECULES), SelfiesTokenizer)
    assert make_tokenizer("SMILES", MOLECULES).kind is TokenizerKind.SMILES


def test_unknown_kind_raises_config_error_naming_the_valid_kinds() -> None:
    with pytest.raises(ConfigError, match="smiles, selfies"):
        make_tokenizer("deepsmiles", MOLECULES)
    with pytest.raises(ConfigError, match="'graph'"):
        load_tokenizer({"format": "molvae.tokenizer", "kind": "graph", "vocabulary": {}})


@pytest.mark.parametrize("kind", list(TokenizerKind))
def test_save_then_load_gives_an_equal_tokenizer(tmp_path: Path, kind: TokenizerKind) -> None:
    tokenizer = make_tokenizer(kind, MOLECULES)
    path = tokenizer.save(tmp_path / "tokenizer.json")
    loaded = load_tokenizer(path)
    assert type(loaded) is type(tokenizer) and loaded == tokenizer
    assert load_tokenizer(json.loads(path.read_text())) == tokenizer
    assert [p.name for p in tmp_path.iterdir()] == ["tokenizer.json"]  # no temp file left behind
    assert loaded.decode(tokenizer.encode("CCO")) == tokenizer.decode(tokenizer.encode("CCO"))


def test_saved_sf_tokenizer_records_the_selfies_version(sf_tok: SelfiesTokenizer) -> None:
    import selfies

    data = sf_tok.to_dict()
    assert data["kind"] == "selfies" and data["selfies_version"] == selfies.__version__
    assert data["selfies_constraints"] == selfies.get_semantic_constraints()


def test_loading_a_tokenizer_saved_with_another_selfies_version_warns(
    sf_tok: SelfiesTokenizer, caplog: pytest.LogCaptureFixture
) -> None:
    data = {**sf_tok.to_dict(), "selfies_version": "0.0.1"}
    assert load_tokenizer(data) == sf_tok
    assert "0.0.1" in caplog.text


def test_loading_a_file_that_is_not_a_tokenizer_raises_checkpoint_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="cannot read"):
        load_tokenizer(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(CheckpointError):
        load_tokenizer(tmp_path / "bad.json")
    with pytest.raises(CheckpointError, match="cannot load"):
        SmilesTokenizer.from_dict(SelfiesTokenizer.fit(["CCO"]).to_dict())


def test_tokenizer_is_an_abstract_base() -> None:
    with pytest.raises(TypeError):
        Tokenizer(Vocabulary(()))  # type: ignore[abstract]


# --- SELFIES -----------------------------------------------------------------------------------


def test_sf_tokens_are_selfies_symbols_of_the_canonical_smiles(sf_tok: SelfiesTokenizer) -> None:
    assert sf_tok.tokenize("OCC") == sf_tok.tokenize("CCO") == ["[C]", "[C]", "[O]"]


def test_selfies_round_trip_gives_the_same_canonical_molecule(sf_tok: SelfiesTokenizer) -> None:
    for smiles in MOLECULES:
        assert canonical(sf_tok.decode(sf_tok.encode(smiles))) == canonical(smiles)


@pytest.mark.parametrize(("symbols", "expected"), [
    ("[C][NH1+1][C]", "C[NH2+]C"),  # [NH1+1] with two bonds: the model meant [NH2+]
    ("[CH1][C][=O]", "CC=O"),
    ("[C][C@@H1][C]", "CCC"),
])
def test_selfies_decoding_gives_unpaired_electrons_hydrogens(symbols: str, expected: str) -> None:
    import selfies
    from rdkit import Chem

    raw = Chem.MolFromSmiles(selfies.decoder(symbols))
    assert any(atom.GetNumRadicalElectrons() for atom in raw.GetAtoms())  # selfies' own decode
    tokens = list(selfies.split_selfies(symbols))
    tokenizer = SelfiesTokenizer(Vocabulary.from_tokens(tokens))
    vocab = tokenizer.vocabulary
    ids = [vocab.start_id, *(vocab.id_of(t) for t in tokens), vocab.end_id]
    assert canonical(tokenizer.decode(ids)) == canonical(expected)


def test_sf_tokenizer_rejects_unparsable_smiles_quoting_it(sf_tok: SelfiesTokenizer) -> None:
    with pytest.raises(TokenizationError, match="'C1CC'"):
        sf_tok.encode("C1CC")
    batch = sf_tok.encode_batch(["CCO", "C1CC", "C[Se]C"])
    assert batch.indices == [0] and [r.index for r in batch.rejects] == [1, 2]


def test_selfies_encoder_errors_become_tokenization_errors_quoting_the_molecule(
    sf_tok: SelfiesTokenizer,
) -> None:
    # RDKit accepts trivalent iodine; selfies' default constraints allow iodine one bond
    with pytest.raises(TokenizationError, match=r"'FI\(F\)F'"):
        sf_tok.tokenize("FI(F)F")


# --- ZINC and the machine without RDKit ---------------------------------------------------------


def test_smiles_round_trip_is_exact_on_a_zinc_sample() -> None:
    sample = zinc_sample(2000)
    tokenizer = SmilesTokenizer.fit(sample)
    batch = tokenizer.encode_batch(sample)
    assert batch.indices == list(range(2000)) and not batch.rejects
    assert tokenizer.decode_batch(batch.ids) == sample
    assert all(tokenizer.decode(tokenizer.encode(s)) == s for s in sample)


def test_molecules_with_tokens_missing_from_the_fit_data_are_rejected_not_raised() -> None:
    sample = zinc_sample(2000)
    tokenizer = SmilesTokenizer.fit(sample[:200], min_count=5)
    batch = tokenizer.encode_batch(sample)
    assert batch.rejects and len(batch.indices) + len(batch.rejects) == 2000
    assert all("not in the vocabulary" in r.reason for r in batch.rejects)
    assert tokenizer.decode_batch(batch.ids) == [sample[i] for i in batch.indices]


def test_selfies_round_trip_gives_the_same_canonical_molecule_on_a_zinc_sample() -> None:
    sample = zinc_sample(500, seed=1)
    tokenizer = SelfiesTokenizer.fit(sample)
    batch = tokenizer.encode_batch(sample)
    assert not batch.rejects
    decoded = tokenizer.decode_batch(batch.ids)
    assert [canonical(s) for s in decoded] == [canonical(s) for s in sample]


def test_encoding_smiles_and_decoding_selfies_ids_need_no_rdkit(tmp_path: Path) -> None:
    path = SelfiesTokenizer.fit(MOLECULES).save(tmp_path / "selfies.json")
    code = f"""
import sys
sys.modules["rdkit"] = None  # any import of rdkit now fails
from molvae.tokenizers import SmilesTokenizer, load_tokenizer
tok = SmilesTokenizer.fit(["CCO", "c1ccccc1[NH3+]"])
assert tok.decode_batch(tok.encode_batch(["OCC"]).ids) == ["OCC"]
assert "selfies" not in sys.modules
sf_tok = load_tokenizer({str(path)!r})
ids = [1] + [sf_tok.vocabulary.id_of(t) for t in ["[C]", "[C]", "[O]"]] + [2]
assert sf_tok.decode(ids) == "CCO"
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            env={**os.environ,
                                 "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_tokenize_many_on_several_processes_matches_one_by_one(zinc_smiles, monkeypatch) -> None:
    import molvae.tokenizers.base as base
    from molvae.tokenizers import empty_tokenizer

    smiles = zinc_smiles[:300] + ["C1CC", ""]
    tokenizer = empty_tokenizer("selfies")
    serial = [tokenizer.tokenize(s) if s not in ("C1CC", "") else None for s in smiles]
    monkeypatch.setattr(base, "_CHUNK", 50)
    parallel = tokenizer.tokenize_many(smiles, n_jobs=2)
    assert [None if isinstance(t, TokenizationError) else t for t in parallel] == serial
    assert "C1CC" in str(parallel[-2])


def test_detokenize_many_on_several_processes_matches_one_by_one(zinc_smiles,
                                                                  monkeypatch) -> None:
    import molvae.tokenizers.base as base
    from molvae.tokenizers import empty_tokenizer

    tokenizer = empty_tokenizer("selfies")
    token_lists = [tokenizer.tokenize(s) for s in zinc_smiles[:300]] + [["[C]", "[Branch1"]]
    serial = [tokenizer.detokenize(t) for t in token_lists[:-1]]
    monkeypatch.setattr(base, "_CHUNK", 50)
    assert tokenizer.detokenize_many(token_lists, n_jobs=2) == serial + [None]
    assert tokenizer.detokenize_many(token_lists, n_jobs=1) == serial + [None]


def test_decode_batch_detokenizes_each_distinct_row_once(tok: SmilesTokenizer,
                                                         monkeypatch) -> None:
    calls: list[int] = []
    original = type(tok).detokenize_many

    def counting(self, token_lists, **kwargs):  # noqa: ANN001, ANN202
        calls.append(len(token_lists))
        return original(self, token_lists, **kwargs)

    monkeypatch.setattr(type(tok), "detokenize_many", counting)
    batch = tok.encode_batch(["CCO", "CCO", "c1ccccc1", "CCO"])
    assert tok.decode_batch(batch.ids) == ["CCO", "CCO", "c1ccccc1", "CCO"]
    assert calls == [2]
