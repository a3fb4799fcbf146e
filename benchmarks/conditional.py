"""Conditional generation: how close do sampled molecules come to the asked property values?

    python benchmarks/conditional.py --limit 20000 --epochs 6 --out conditional.json
    python benchmarks/conditional.py --tokenizer selfies --out conditional-selfies.json
    python benchmarks/conditional.py --checkpoint runs/cvae/best --out conditional.json

Trains (or loads) a conditional VAE with ``conditions: [logp, qed]`` and, for several targets,
draws ``--n`` molecules with ``sample(n, conditions={"logp": a, "qed": b})``. For the valid ones
it reports the mean absolute error between the asked and the obtained value (RDKit Crippen logP,
RDKit QED), against the same errors of ``--n`` molecules sampled without targets (conditions
drawn from the training distribution), which is what a model ignoring its conditions would give.
Also validity and uniqueness. Writes a JSON report and prints a table.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

import common  # noqa: E402,F401  (molvae from this checkout)

from molvae.chemistry import compute_properties  # noqa: E402
from molvae.config import load_config, with_overrides  # noqa: E402
from molvae.training import train  # noqa: E402
from molvae.vae import MolVAE  # noqa: E402

TARGETS = [(1.0, 0.5), (2.5, 0.7), (4.0, 0.8), (2.5, 0.9), (5.0, 0.6)]  # (logP, QED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--config", default="zinc")
    parser.add_argument("--limit", type=int, default=20_000, help="ZINC250k molecules to train on")
    parser.add_argument("--tokenizer", default=None,
                        help="smiles or selfies (default: the config's)")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--run-dir", type=Path, default=Path("runs/conditional"))
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--out", type=Path, default=Path("conditional.json"))
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    report: dict = {"targets": [], "definitions": "logp: RDKit Crippen MolLogP; qed: RDKit QED"}
    if args.checkpoint is None:
        # a small model a CPU trains in minutes; quality is far below the zinc.yaml model's
        config = with_overrides(
            load_config(args.config), conditions="logp,qed", property_head="", limit=args.limit,
            tokenizer=args.tokenizer,
            epochs=args.epochs, embedding_dim=32, encoder_hidden=128, latent_dim=32,
            decoder_hidden=256, decoder_layers=2, batch_size=128, lr=2e-3, lr_warmup_steps=100,
            kl_warmup_steps=1000, checkpoint_every=None, eval_samples=500, eval_reconstruct=300,
            out=str(args.run_dir))
        start = time.perf_counter()
        result = train(config, progress=False)
        report["training"] = {"seconds": time.perf_counter() - start, "epochs": args.epochs,
                              "molecules": args.limit, "tokenizer": config.model.tokenizer,
                              "best_metrics": result.metrics}
        checkpoint = result.best_path
    else:
        checkpoint = args.checkpoint
    vae = MolVAE.load(checkpoint)
    report["checkpoint"] = str(checkpoint)
    if vae.condition_names != ("logp", "qed"):
        raise SystemExit(f"{checkpoint} is conditioned on {vae.condition_names}, not (logp, qed)")

    free = _measure(vae.sample(args.n, seed=args.seed))
    report["unconditional"] = free
    print(f"{'target logP':>11} {'QED':>5} | {'MAE logP':>8} {'(uncond.)':>9} | {'MAE QED':>7} "
          f"{'(uncond.)':>9} | {'valid':>5} {'unique':>6}")
    for k, (logp, qed) in enumerate(TARGETS):
        frame = vae.sample(args.n, seed=args.seed + 1 + k, conditions={"logp": logp, "qed": qed})
        got = _measure(frame)
        row = {
            "logp": logp, "qed": qed, **got,
            "mae_logp": float(np.mean(np.abs(got["values_logp"] - logp))) if got["n_valid"] else None,
            "mae_qed": float(np.mean(np.abs(got["values_qed"] - qed))) if got["n_valid"] else None,
            "mae_logp_unconditional": float(np.mean(np.abs(free["values_logp"] - logp))),
            "mae_qed_unconditional": float(np.mean(np.abs(free["values_qed"] - qed))),
        }
        print(f"{logp:>11.1f} {qed:>5.2f} | {row['mae_logp'] or float('nan'):>8.3f} "
              f"{row['mae_logp_unconditional']:>9.3f} | {row['mae_qed'] or float('nan'):>7.3f} "
              f"{row['mae_qed_unconditional']:>9.3f} | {got['validity']:>5.3f} "
              f"{got['uniqueness']:>6.3f}")
        report["targets"].append({k: v for k, v in row.items() if not k.startswith("values_")})
    report["unconditional"] = {k: v for k, v in free.items() if not k.startswith("values_")}
    args.out.write_text(json.dumps(report, indent=1))
    print(f"wrote {args.out}")


def _measure(frame) -> dict:
    valid = frame["smiles"].dropna().tolist()
    props = compute_properties(valid, ["logp", "qed"]) if valid else None
    return {
        "n": len(frame), "n_valid": len(valid), "validity": len(valid) / max(1, len(frame)),
        "uniqueness": len(set(valid)) / max(1, len(valid)),
        "values_logp": props["logp"].to_numpy() if props is not None else np.array([]),
        "values_qed": props["qed"].to_numpy() if props is not None else np.array([]),
        "mean_logp": float(props["logp"].mean()) if props is not None else None,
        "mean_qed": float(props["qed"].mean()) if props is not None else None,
    }


if __name__ == "__main__":
    main()
