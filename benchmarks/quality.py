"""Sample quality the way users judge it: MOSES metrics of a model's ``vae.sample()`` against
ZINC250k, beside the same metrics for random ZINC250k molecules (the floor a perfect model
reaches), plus held-out reconstruction.

    python benchmarks/quality.py --model zinc --out bench-out/quality.json
    python benchmarks/quality.py --model zinc --prior normal --label "N(0, I)" --out bench-out/quality.json
    python benchmarks/quality.py --floor --out bench-out/quality.json        # the ZINC row

Each run adds one row (keyed by ``--label``, default the model and prior) to the JSON file
``--out``, so rows for several recipes accumulate in one table and a rerun of a label replaces
only its row; ``--table`` prints the file as the Markdown table BENCHMARKS.md shows.

- Samples: ``--n-samples`` molecules from ``vae.sample(n, seed=--seed, prior=--prior)`` (the
  default path: the model's learned prior when it has one, temperature 1), then
  ``molvae.metrics.evaluate(samples, reference="zinc")``: validity, unique@10k, FCD, SNN, Frag,
  Scaf against all of ZINC250k, Filters, IntDiv, novelty (against ZINC250k) and the Wasserstein-1
  distances of logP, SA, QED and weight. The first run computes ZINC250k's reference statistics
  (cached afterwards).
- Floor (``--floor``): the same metrics for ``--n-samples`` molecules drawn at random from
  ZINC250k itself (novelty 0 by construction).
- Reconstruction: ``--n-reconstruct`` molecules of the model's own TEST split (re-derived from
  the data source, fractions and seed recorded in its checkpoint), encoded to μ and decoded
  greedily; exact = the same canonical molecule.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

from common import REPO  # noqa: E402  (molvae from this checkout)

from molvae.data import checkpoint_splits, read_smiles, zinc250k_path  # noqa: E402
from molvae.files import atomic_write_text  # noqa: E402
from molvae.metrics import evaluate  # noqa: E402
from molvae.vae import MolVAE  # noqa: E402

COLUMNS = [("FCD/ZINC", "FCD ↓"), ("SNN/ZINC", "SNN"), ("Frag/ZINC", "Frag"),
           ("Scaf/ZINC", "Scaf"), ("Filters", "Filters"), ("IntDiv", "IntDiv"),
           ("SA", "SA W1 ↓"), ("QED", "QED W1 ↓"), ("logP", "logP W1 ↓"),
           ("Novelty", "novelty"), ("unique@10000", "unique@10k"), ("valid", "valid"),
           ("reconstruction", "recon (test)")]


def _machine() -> dict:
    return {"processor": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
            "threads": torch.get_num_threads(), "python": platform.python_version(),
            "torch": torch.__version__}


def reconstruction(vae: MolVAE, n: int, seed: int) -> dict:
    test = checkpoint_splits(vae.metadata).test["smiles"].tolist()
    rng = np.random.default_rng(seed)
    chosen = [test[i] for i in np.sort(rng.permutation(len(test))[:n])]
    start = time.perf_counter()
    frame = vae.reconstruct(chosen)
    return {"n": len(chosen), "test_split_size": len(test), "exact": float(frame["exact"].mean()),
            "seconds": time.perf_counter() - start}


def table(rows: dict) -> str:
    """The rows of a results file as a Markdown table (floor first)."""
    header = "| recipe | " + " | ".join(name for _, name in COLUMNS) + " |"
    lines = [header, "|" + " --- |" * (len(COLUMNS) + 1)]
    ordered = sorted(rows.items(), key=lambda kv: (not kv[1].get("floor"), kv[1].get("date", "")))
    for label, row in ordered:
        cells = []
        for key, _ in COLUMNS:
            value = row["metrics"].get(key)
            cells.append("–" if value is None else f"{value:.3f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="zinc")
    parser.add_argument("--prior", default="auto", choices=["auto", "learned", "normal"])
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--floor", action="store_true",
                        help="measure random ZINC250k molecules instead of a model")
    parser.add_argument("--label", default=None)
    parser.add_argument("--n-reconstruct", type=int, default=5000)
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path, default=REPO / "bench-out" / "quality.json")
    parser.add_argument("--table", action="store_true", help="print --out as a Markdown table")
    args = parser.parse_args()
    rows = json.loads(args.out.read_text()) if args.out.is_file() else {}
    if args.table:
        print(table(rows))
        return
    if args.threads:
        torch.set_num_threads(args.threads)

    row: dict = {"date": time.strftime("%Y-%m-%d"), "machine": _machine(), "seed": args.seed,
                 "n_samples": args.n_samples, "floor": args.floor,
                 "command": "python " + shlex.join(sys.argv)}
    start = time.perf_counter()
    if args.floor:
        label = args.label or "ZINC250k itself (the floor)"
        zinc = read_smiles(zinc250k_path())
        rng = np.random.default_rng(args.seed)
        smiles = [zinc[i] for i in rng.choice(len(zinc), args.n_samples, replace=False)]
        recon = None
    else:
        vae = MolVAE.load(args.model, device=args.device)
        label = args.label or f"{args.model}, prior {args.prior}"
        row.update(model=args.model, describe=repr(vae), prior=args.prior,
                   has_learned_prior=vae.prior is not None, temperature=args.temperature)
        recon = reconstruction(vae, args.n_reconstruct, args.seed) if args.n_reconstruct else None
        t0 = time.perf_counter()
        frame = vae.sample(args.n_samples, seed=args.seed, prior=args.prior,
                           temperature=args.temperature)
        row["sample_seconds"] = time.perf_counter() - t0
        row["sample_mol_per_s"] = args.n_samples / row["sample_seconds"]
        smiles = [s or "" for s in frame["smiles"]]
        row["examples"] = [s for s in smiles if s][:12]
    metrics = evaluate(smiles, reference="zinc")
    if recon is not None:
        metrics["reconstruction"] = recon["exact"]
        row["reconstruction"] = recon
    row["metrics"] = metrics
    row["seconds"] = time.perf_counter() - start
    rows[label] = row
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(rows, indent=1, default=float))
    print(json.dumps({label: metrics}, indent=1, default=float))
    print(table(rows))


if __name__ == "__main__":
    main()
