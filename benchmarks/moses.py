"""The MOSES benchmark: train on MOSES train, sample 30,000, evaluate against test and scaffold
test, for the SMILES and the SELFIES tokenizer, beside the published MOSES rows.

    # the full protocol (configs/moses.yaml: 10 epochs over 1.58M molecules; needs a GPU)
    python benchmarks/moses.py --out bench-out/moses
    # a reduced protocol for a CPU: fewer molecules and epochs; the report says "reduced"
    python benchmarks/moses.py --limit 100000 --epochs 2 --out bench-out/moses-reduced

MOSES files come from ``--data-dir`` (default ``$MOLVAE_DATA_DIR``: moses_train.csv.gz, ...).
Each tokenizer's run goes to ``<out>/<tokenizer>/`` and is resumed if it was interrupted
(``--resume``) or reused if it finished (``--skip-train``). Metrics use molvae's own
implementation (``molvae.metrics.evaluate``, checked against MOSES's code by
benchmarks/metrics_agreement.py). Writes ``<out>/moses.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from common import data_dir  # noqa: E402  (molvae from this checkout)

import torch  # noqa: E402

from molvae.config import load_config, with_overrides  # noqa: E402
from molvae.metrics import evaluate  # noqa: E402
from molvae.training import train  # noqa: E402
from molvae.vae import MolVAE  # noqa: E402

#: published rows (the MOSES README and paper): the models to beat
PUBLISHED = {
    "MOSES VAE": {"valid": 0.977, "unique@10000": 0.998, "FCD/Test": 0.099, "SNN/Test": 0.626,
                  "IntDiv": 0.856, "Novelty": 0.695},
    "MOSES CharRNN": {"valid": 0.975, "FCD/Test": 0.073, "Novelty": 0.842},
    "MOSES JTN-VAE": {"valid": 1.0, "FCD/Test": 0.395, "Novelty": 0.914},
}
#: molecules in MOSES train (configs/moses.yaml)
MOSES_TRAIN = 1_584_663
#: (table heading, key of molvae.metrics.evaluate's result)
COLUMNS = [("valid", "valid"), ("unique@10k", "unique@10000"), ("FCD/Test", "FCD/Test"),
           ("FCD/TestSF", "FCD/TestSF"), ("SNN/Test", "SNN/Test"), ("Frag/Test", "Frag/Test"),
           ("Scaf/Test", "Scaf/Test"), ("Scaf/TestSF", "Scaf/TestSF"), ("IntDiv", "IntDiv"),
           ("IntDiv2", "IntDiv2"), ("Filters", "Filters"), ("Novelty", "Novelty")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizers", default="smiles,selfies")
    parser.add_argument("--config", default="moses")
    parser.add_argument("--data-dir", type=Path, default=data_dir())
    parser.add_argument("--limit", type=int, default=None, help="train on the first N molecules")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--n-samples", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--skip-train", action="store_true", help="evaluate existing runs")
    parser.add_argument("--out", type=Path, default=Path("bench-out/moses"))
    args = parser.parse_args()

    os.environ.setdefault("MOLVAE_DATA_DIR", str(args.data_dir))
    base = load_config(args.config)
    reduced = bool(args.limit) or (args.epochs is not None and args.epochs < base.train.epochs)
    report: dict = {"protocol": "reduced" if reduced else "full", "config": args.config,
                    "limit": args.limit, "epochs": args.epochs or base.train.epochs,
                    "n_samples": args.n_samples, "seed": args.seed, "torch": torch.__version__,
                    "machine": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count(), "date": time.strftime("%Y-%m-%d"),
                    "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                    "runs": {}}
    schedule = scaled_schedule(base, limit=args.limit, epochs=args.epochs,
                               batch_size=args.batch_size)
    report["schedule"] = schedule
    for tokenizer in [t.strip() for t in args.tokenizers.split(",") if t.strip()]:
        out = args.out / tokenizer
        config = with_overrides(base, tokenizer=tokenizer, epochs=args.epochs, limit=args.limit,
                                batch_size=args.batch_size, seed=args.seed, out=str(out),
                                **schedule)
        started = time.perf_counter()
        if not args.skip_train:
            result = train(config, resume=args.resume and (out / "last").exists(),
                           device=args.device, progress=True)
            best = result.best_path
        else:
            best = out / "best"
        train_s = time.perf_counter() - started
        vae = MolVAE.load(best, device=args.device or "auto")
        started = time.perf_counter()
        smiles = vae.sample(args.n_samples, seed=args.seed, return_frame=False)
        sample_s = time.perf_counter() - started
        metrics = evaluate([s or "" for s in smiles], reference="moses")
        report["runs"][tokenizer] = {"train_s": train_s, "sample_s": sample_s,
                                     "checkpoint": str(best), "metrics": metrics,
                                     "train_metrics": vae.metadata.get("metrics", {})}
        print(json.dumps({tokenizer: report["runs"][tokenizer]}, indent=1, default=float),
              flush=True)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "moses.json").write_text(json.dumps(report, indent=1, default=float))
    print(markdown_table(report))


def scaled_schedule(base, *, limit: int | None, epochs: int | None,
                    batch_size: int | None) -> dict[str, int]:
    """Warm-up lengths for a reduced run, scaled by its share of the full run's optimizer steps.

    The KL and learning-rate warm-ups are counted in steps; a run over a tenth of the steps with
    the full run's warm-ups would end with β still near 0 (its samples from the prior would be
    junk for a reason the full protocol does not have). Scaling keeps each warm-up the same
    fraction of training. The full protocol gets its config's values unchanged.
    """
    full_steps = MOSES_TRAIN * base.train.epochs / base.train.batch_size
    steps = (min(limit or MOSES_TRAIN, MOSES_TRAIN) * (epochs or base.train.epochs)
             / (batch_size or base.train.batch_size))
    share = min(1.0, steps / full_steps)
    return {"kl_warmup_steps": max(1, round(base.train.kl_warmup_steps * share)),
            "lr_warmup_steps": max(1, round(base.train.lr_warmup_steps * share))}


def markdown_table(report: dict) -> str:
    label = "" if report["protocol"] == "full" else " (reduced protocol)"
    lines = ["| model | " + " | ".join(head for head, _ in COLUMNS) + " |",
             "|---" * (len(COLUMNS) + 1) + "|"]
    rows = [(f"molvae {tokenizer}{label}", run["metrics"])
            for tokenizer, run in report["runs"].items()]
    rows += [(f"{name} (published)", row) for name, row in PUBLISHED.items()]
    for name, values in rows:
        lines.append(f"| {name} | " + " | ".join(f"{values[key]:.3f}" if key in values else "–"
                                                 for _, key in COLUMNS) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
