"""All MOSES metrics of 10,000 molecules: molvae's ``evaluate`` vs MOSES's ``get_all_metrics``,
timed side by side in one run, on the same molecules, each in a fresh process.

    python benchmarks/metrics_speed.py --out bench-out/metrics_speed.json

Both use cached reference statistics: MOSES its ``test_stats.npz`` / ``test_scaffolds_stats.npz``
shipped in the wheel (FCD mean and covariance, Morgan fingerprints, fragment and scaffold counts,
property values), molvae its equivalent in ``<cache>/metrics/`` (computed before the timed runs if
missing, along with the canonical MOSES-train set for novelty). Each timed call includes loading
those statistics and the training set, and ChemNet. Both get 2 worker processes and 2 torch threads
(``--n-jobs``). The molecules are the mix of ``metrics_agreement.py`` (or ``--samples FILE``).
The wall time of each call, the per-stage breakdown and the machine's load are written as JSON; on
a shared machine, compare the ratio of runs made back to back (``--repeats``), not single numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, data_dir, peers_dir  # noqa: E402  (molvae from this checkout)
from metrics_agreement import (  # noqa: E402
    CHILD_TIMING, compare, machine, read_samples, run_moses, test_molecules)

MOLVAE_CHILD = r"""
import collections, json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import torch
import molvae.metrics.evaluation as E
import molvae.metrics.moses as M

""" + CHILD_TIMING + r"""

for module, names in [(E, ["canonicalize_many", "compute_features", "chemnet_activations",
                           "fit_gaussian", "frechet_distance", "reference_statistics",
                           "training_set"]),
                      (M, ["max_tanimoto", "mean_tanimoto_powers", "wasserstein_distance"])]:
    for name in names:
        setattr(module, name, timed(name, getattr(module, name)))
cache = None if sys.argv[6] == "-" else sys.argv[6]

cpu0, t0 = cpu_s(), time.perf_counter()
metrics = E.evaluate(gen, "moses", n_jobs=n_jobs, device="cpu", cache_dir=cache)
wall, cpu = time.perf_counter() - t0, cpu_s() - cpu0
json.dump({"wall_s": wall, "cpu_s": cpu, "metrics": metrics, "breakdown_s": dict(times),
           "torch_threads": torch.get_num_threads(), "n_jobs": n_jobs},
          open(sys.argv[3], "w"), indent=1)
"""


def run_molvae(molecules: list[str], *, n_jobs: int, threads: int, cache_dir: Path | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        gen_path, out_path = Path(tmp) / "gen.json", Path(tmp) / "molvae.json"
        gen_path.write_text(json.dumps(molecules))
        subprocess.run([sys.executable, "-c", MOLVAE_CHILD, str(REPO), str(gen_path),
                        str(out_path), str(n_jobs), str(threads),
                        str(cache_dir) if cache_dir else "-"], check=True)
        return json.loads(out_path.read_text())


def warm_cache(n_jobs: int, cache_dir: Path | None) -> float:
    """Compute molvae's MOSES reference statistics and training set if not cached yet."""
    from molvae.metrics import reference_statistics
    from molvae.metrics.novelty import training_set

    t0 = time.perf_counter()
    for source in ("moses:test", "moses:test_scaffolds"):
        reference_statistics(source, cache_dir=cache_dir, n_jobs=n_jobs)
    training_set("moses:train", cache_dir=cache_dir, n_jobs=n_jobs)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1, help="alternate runs of each")
    parser.add_argument("--peers-venv", type=Path, default=Path(os.environ.get(
        "PEERS_VENV", "/tmp/peers-venv")))
    parser.add_argument("--peers-dir", type=Path, default=peers_dir())
    parser.add_argument("--data-dir", type=Path, default=data_dir())
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("MOLVAE_DATA_DIR", str(args.data_dir))

    molecules = (read_samples(args.samples, args.n) if args.samples
                 else test_molecules(args.n, args.seed, data_dir=args.data_dir))
    warm_s = warm_cache(args.n_jobs, args.cache_dir)
    runs = []
    for i in range(args.repeats):
        load_before = os.getloadavg()
        moses = run_moses(molecules, peers_venv=args.peers_venv, peers_dir=args.peers_dir,
                          n_jobs=args.n_jobs, threads=args.threads)
        ours = run_molvae(molecules, n_jobs=args.n_jobs, threads=args.threads,
                          cache_dir=args.cache_dir)
        runs.append({"moses": moses, "molvae": ours, "speedup": moses["wall_s"] / ours["wall_s"],
                     "load_average_before": load_before, "load_average_after": os.getloadavg()})
        print(f"run {i + 1}: MOSES {moses['wall_s']:.1f} s ({moses['cpu_s']:.0f} CPU s), molvae "
              f"{ours['wall_s']:.1f} s ({ours['cpu_s']:.0f} CPU s), speedup "
              f"{runs[-1]['speedup']:.2f}x (load average {load_before[0]:.1f})", flush=True)
    best = {name: min(r[name]["wall_s"] for r in runs) for name in ("moses", "molvae")}
    rows = compare(runs[-1]["molvae"]["metrics"], runs[-1]["moses"]["metrics"])
    result = {
        "molecules": (str(args.samples) if args.samples
                      else f"default mix, n={args.n}, seed={args.seed}"),
        "n": len(molecules), "n_jobs": args.n_jobs, "torch_threads": args.threads,
        "cache_warm_up_s": warm_s, "moses_wall_s": [r["moses"]["wall_s"] for r in runs],
        "molvae_wall_s": [r["molvae"]["wall_s"] for r in runs],
        "moses_cpu_s": [r["moses"]["cpu_s"] for r in runs],
        "molvae_cpu_s": [r["molvae"]["cpu_s"] for r in runs],
        "speedup_of_best_times": best["moses"] / best["molvae"],
        "speedups": [r["speedup"] for r in runs],
        "metrics_agree": all(r["agrees"] for r in rows), "runs": runs, "machine": machine(),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=1))
    for name in ("moses", "molvae"):
        parts = sorted(runs[-1][name]["breakdown_s"].items(), key=lambda kv: -kv[1])
        print(f"{name} breakdown:", ", ".join(f"{k} {v:.1f}s" for k, v in parts))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
        print("wrote", args.out)


if __name__ == "__main__":
    main()
