"""Quality of a trained model against issue 3's targets: held-out reconstruction, prior validity,
unique@10k and novelty.

    python benchmarks/quality.py --model zinc --out bench-out/quality.json
    python benchmarks/quality.py --model runs/zinc/best --n-reconstruct 5000 --n-samples 10000

- Reconstruction: ``--n-reconstruct`` molecules of the run's own TEST split (re-derived from the
  data source, fractions and seed recorded in the checkpoint), encoded to μ and decoded greedily;
  exact = the same canonical molecule.
- Prior: ``--n-samples`` molecules from z ~ N(0, I) (temperature 1, seeded): validity; unique@10k
  = distinct canonical SMILES among the valid ones (MOSES counts the first 10,000 valid); novelty =
  fraction of the distinct valid molecules that are not in the training data (all splits, as the
  checkpoint's training-set summary holds them); radicals = fraction of the valid samples with an
  unpaired electron (RDKit parses them, so MOSES validity counts them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from molvae.chemistry import has_radical, to_mol  # noqa: E402
from molvae.data import load_dataset, split_dataset  # noqa: E402
from molvae.vae import MolVAE  # noqa: E402


def test_split(vae: MolVAE) -> list[str]:
    run = vae.metadata.get("run_config") or {}
    data, train = run.get("data") or {}, run.get("train") or {}
    if not data.get("source"):
        raise SystemExit("the checkpoint does not record its data source; cannot find its test split")
    dataset = load_dataset(data["source"], properties=(), smiles_column=data.get("smiles_column"),
                           limit=data.get("limit"), download=False)
    splits = split_dataset(dataset.frame, valid_fraction=train.get("valid_fraction", 0.05),
                           test_fraction=train.get("test_fraction", 0.05), seed=train.get("seed", 0))
    return splits.test["smiles"].tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="zinc")
    parser.add_argument("--n-reconstruct", type=int, default=5000)
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    vae = MolVAE.load(args.model, device=args.device)
    report: dict = {"model": args.model, "describe": repr(vae),
                    "trained": {k: vae.metadata.get(k) for k in ("epoch", "step", "metrics")},
                    "seed": args.seed, "device": str(vae.device), "threads": torch.get_num_threads(),
                    "machine": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count(), "date": time.strftime("%Y-%m-%d"),
                    "load_average_before": list(os.getloadavg())}

    test = test_split(vae)
    rng = np.random.default_rng(args.seed)
    chosen = [test[i] for i in np.sort(rng.permutation(len(test))[: args.n_reconstruct])]
    start = time.perf_counter()
    recon = vae.reconstruct(chosen)
    report["reconstruction"] = {"n": len(chosen), "test_split_size": len(test),
                                "exact": float(recon["exact"].mean()),
                                "valid_output": float(recon["output"].notna().mean()),
                                "seconds": time.perf_counter() - start}
    print(json.dumps({"reconstruction": report["reconstruction"]}), flush=True)

    start = time.perf_counter()
    samples = vae.sample(args.n_samples, seed=args.seed, return_frame=False)
    seconds = time.perf_counter() - start
    valid = [s for s in samples if s]
    unique = set(valid)
    known = vae.training_set
    novel = None if known is None else float(np.mean([s not in known for s in unique]))
    report["prior"] = {"n": args.n_samples, "validity": len(valid) / len(samples),
                       "unique_of_valid": len(unique) / max(1, len(valid)),
                       "novelty_of_unique": novel,
                       "radicals_of_valid": float(np.mean([has_radical(to_mol(s)) for s in valid])),
                       "seconds": seconds,
                       "mol_per_s": args.n_samples / seconds, "examples": valid[:10]}
    print(json.dumps({"prior": report["prior"]}), flush=True)
    report["load_average_after"] = list(os.getloadavg())
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1, default=float))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
