"""Sampling speed of ``vae.sample()`` with each prior, in one process, alternating.

    python benchmarks/sample_speed.py --model zinc --n 10000 --repeats 3 --threads 2

For each repeat, ``vae.sample(n, seed=repeat)`` runs once with ``prior="normal"`` (z ~ N(0, I))
and once with ``prior="learned"`` (the model's latent diffusion prior; skipped when it has none),
RDKit canonicalization included. Reports the median molecules/s of each and their ratio.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch

import common  # noqa: E402,F401  (molvae from this checkout)

from molvae.vae import MolVAE  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="zinc")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    vae = MolVAE.load(args.model, device=args.device)
    priors = ["normal"] + (["learned"] if vae.prior is not None else [])
    rates: dict[str, list[float]] = {p: [] for p in priors}
    vae.sample(200, seed=0)  # warm-up
    for repeat in range(args.repeats):
        for prior in priors:
            start = time.perf_counter()
            vae.sample(args.n, seed=repeat, prior=prior)
            rates[prior].append(args.n / (time.perf_counter() - start))
    report = {"model": args.model, "n": args.n, "threads": torch.get_num_threads(),
              "device": str(vae.device), "processor": platform.processor() or platform.machine(),
              "date": time.strftime("%Y-%m-%d"),
              "mol_per_s": {p: statistics.median(r) for p, r in rates.items()},
              "runs": rates}
    if "learned" in rates:
        report["learned_over_normal"] = report["mol_per_s"]["learned"] / report["mol_per_s"]["normal"]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
