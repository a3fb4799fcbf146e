"""What lies between two molecules: interpolation paths with and without the learned prior.

    python benchmarks/interpolation.py --model zinc --pairs 40 --steps 8 --pulls 0 0.5 1.0

Pairs of random molecules of the model's dataset (seeded) are interpolated with
``molvae.latent.interpolate`` (slerp, greedy decoding), with ``prior="normal"`` (the plain path,
the default; ``--pulls`` 0) and with ``prior="learned"`` for each other ``--pulls`` value (the
refine noise halfway).
For the inner points of every path it reports: the share of molecules passing the
medicinal-chemistry guard (``molvae.medchem.DRUG_LIKE``), mean QED and SA, distinct molecules per
path, and the mean Tanimoto between consecutive distinct molecules (how smooth the path is).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

import common  # noqa: E402,F401  (molvae from this checkout)

from molvae.chemistry import compute_properties, tanimoto_to_many  # noqa: E402
from molvae.data import load_dataset  # noqa: E402
from molvae.latent import interpolate  # noqa: E402
from molvae.medchem import DRUG_LIKE  # noqa: E402
from molvae.vae import MolVAE  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="zinc")
    parser.add_argument("--dataset", default="zinc")
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--pulls", type=float, nargs="+", default=[0.0, 0.5, 1.0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from rdkit import Chem

    vae = MolVAE.load(args.model, device="cpu")
    smiles = load_dataset(args.dataset).smiles
    rng = np.random.default_rng(args.seed)
    picks = rng.choice(len(smiles), size=(args.pairs, 2), replace=False)
    report: dict = {"date": time.strftime("%Y-%m-%d"), "machine": platform.processor(),
                    "command": "python " + " ".join(sys.argv), "rows": {}}
    for pull in args.pulls:
        label = "plain path (prior='normal')" if pull == 0 else f"learned prior, pull {pull}"
        inner: list[str] = []
        distinct, smooth = [], []
        start = time.perf_counter()
        for a, b in picks:
            frame = interpolate(vae, smiles[a], smiles[b], args.steps, prior="learned" if pull else
                                "normal", pull=pull or 0.5, seed=args.seed)
            path = [s for s in frame["smiles"] if s]
            inner += [s for s in frame["smiles"].iloc[1:-1] if s]
            unique = [s for i, s in enumerate(path) if i == 0 or s != path[i - 1]]
            distinct.append(len(set(unique)))
            smooth += [float(tanimoto_to_many(x, [y])[0]) for x, y in zip(unique, unique[1:])]
        props = compute_properties(inner, ["qed", "sa"])
        mols = [Chem.MolFromSmiles(s) for s in inner]
        row = {"inner molecules": len(inner),
               "pass guard": float(np.mean([DRUG_LIKE.passes(m) for m in mols])),
               "QED": float(np.nanmean(props["qed"])), "SA": float(np.nanmean(props["sa"])),
               "distinct per path": float(np.mean(distinct)),
               "consecutive Tanimoto": float(np.mean(smooth)) if smooth else float("nan"),
               "seconds": round(time.perf_counter() - start, 1)}
        report["rows"][label] = row
        print(label, json.dumps(row), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
