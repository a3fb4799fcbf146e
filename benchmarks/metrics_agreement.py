"""Every MOSES metric computed by molvae and by MOSES's own code on the same molecules.

    python benchmarks/metrics_agreement.py --out bench-out/metrics_agreement.json
    python benchmarks/metrics_agreement.py --samples my_model_samples.smi --out ...

MOSES is molsets 0.3.1 in its own virtual environment (``--peers-venv``, built by
``../shared/peers/setup.sh``; ``moses_compat.py`` there restores APIs newer RDKit / pandas / numpy
removed). It runs ``get_all_metrics(gen, n_jobs=2, device='cpu')`` in a subprocess with its default
references (MOSES test and scaffold-test sets with the statistics shipped in its wheel, the MOSES
train set for novelty); molvae runs ``evaluate(gen, reference='moses')``. The molecules travel
through a JSON file, so empty and invalid strings arrive unchanged.

The test molecules, unless ``--samples`` is given: 10,000 strings mixing a random MOSES-train
sample (85%), random ZINC250k molecules (10%: other property ranges, charges, filter hits, novel),
repeats of earlier strings (3%) and corrupted strings (2%), shuffled with ``--seed``.
Agreement: relative difference within 1% (FCD within 2%) for every metric.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import data_dir, peers_dir  # noqa: E402  (molvae from this checkout)

TOLERANCE = {"FCD": 0.02}
DEFAULT_TOLERANCE = 0.01

# What both child scripts (MOSES's and molvae's) share: their arguments, and timers of the
# functions they wrap, of the wall and of the CPU.
CHILD_TIMING = r"""
gen = json.load(open(sys.argv[2]))
n_jobs, threads = int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
times = collections.defaultdict(float)

def timed(name, fn):
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            times[name] += time.perf_counter() - t
    return wrapper

def cpu_s():
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))
"""

MOSES_CHILD = r"""
import collections, json, resource, sys, time
sys.path = [p for p in sys.path if p not in ("", ".")]  # benchmarks/moses.py must not shadow moses
sys.path.insert(0, sys.argv[1])            # the peers folder, for moses_compat
import moses_compat  # noqa: F401  (must precede moses)
import torch
import moses.metrics.metrics as MM

""" + CHILD_TIMING + r"""

for name in ["fraction_valid", "remove_invalid", "fraction_unique", "internal_diversity",
             "fraction_passes_filters", "novelty", "get_dataset", "get_statistics"]:
    setattr(MM, name, timed(name, getattr(MM, name)))
for name in ["FCDMetric", "SNNMetric", "FragMetric", "ScafMetric", "WassersteinMetric"]:
    cls = getattr(MM, name)
    cls.__call__ = timed(name, cls.__call__)

cpu0, t0 = cpu_s(), time.perf_counter()
metrics = MM.get_all_metrics(gen, n_jobs=n_jobs, device="cpu")
wall, cpu = time.perf_counter() - t0, cpu_s() - cpu0
json.dump({"wall_s": wall, "cpu_s": cpu, "metrics": {k: float(v) for k, v in metrics.items()},
           "breakdown_s": dict(times), "torch_threads": torch.get_num_threads(),
           "n_jobs": n_jobs}, open(sys.argv[3], "w"), indent=1)
"""


def corrupt(smiles: str, rng: random.Random) -> str:
    """An invalid variant: unbalanced branch, unknown atom, or a truncation with an open ring."""
    kind = rng.randrange(3)
    if kind == 0:
        return smiles + "("
    if kind == 1:
        return smiles.replace("c", "X", 1) if "c" in smiles else smiles + "1"
    return smiles[: max(1, len(smiles) // 2)] + "1"


def _read_column(path: Path, limit: int | None = None) -> list[str]:
    import pandas as pd

    return pd.read_csv(path, usecols=["SMILES"], nrows=limit)["SMILES"].tolist()


def test_molecules(n: int = 10_000, seed: int = 0, *, data_dir: Path | None = None) -> list[str]:
    """The default mix (see the module docstring); deterministic for a seed."""
    from molvae.data import moses_path, read_smiles, zinc250k_path

    rng = random.Random(seed)
    train = _read_column(moses_path("train", data_dir=data_dir, download=False))
    zinc = read_smiles(zinc250k_path())
    n_zinc, n_repeat, n_bad = round(0.10 * n), round(0.03 * n), round(0.02 * n)
    n_train = n - n_zinc - n_repeat - n_bad
    molecules = rng.sample(train, n_train) + rng.sample(zinc, n_zinc)
    molecules += [corrupt(s, rng) for s in rng.sample(molecules, n_bad)]
    molecules += rng.sample(molecules, n_repeat)
    rng.shuffle(molecules)
    return molecules


def read_samples(path: Path, n: int) -> list[str]:
    """Generated SMILES from a .smi/.txt (one per line, blank lines kept) or a CSV column."""
    if path.suffix.lower() in (".csv", ".gz"):
        from molvae.data import read_smiles

        return read_smiles(path, limit=n)
    lines = path.read_text().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if lines and lines[0].strip().lower() in ("smiles", "smi"):
        lines = lines[1:]
    return [line.split()[0] if line.split() else "" for line in lines[:n]]


def run_moses(molecules: list[str], *, peers_venv: Path, peers_dir: Path, n_jobs: int = 2,
              threads: int = 2) -> dict:
    """MOSES's get_all_metrics on ``molecules`` in the peers venv; its result and timings."""
    python = peers_venv / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"no MOSES environment at {peers_venv}; build it with "
                         f"bash {peers_dir / 'setup.sh'} or pass --peers-venv")
    with tempfile.TemporaryDirectory() as tmp:
        gen_path, out_path = Path(tmp) / "gen.json", Path(tmp) / "moses.json"
        gen_path.write_text(json.dumps(molecules))
        subprocess.run([str(python), "-c", MOSES_CHILD, str(peers_dir), str(gen_path),
                        str(out_path), str(n_jobs), str(threads)], check=True)
        return json.loads(out_path.read_text())


def compare(ours: dict[str, float], moses: dict[str, float]) -> list[dict]:
    rows = []
    for key, theirs in moses.items():
        mine = ours.get(key)
        tolerance = TOLERANCE.get(key.split("/")[0], DEFAULT_TOLERANCE)
        relative = abs(mine - theirs) / abs(theirs) if mine is not None and theirs else (
            0.0 if mine == theirs else float("inf"))
        rows.append({"metric": key, "molvae": mine, "moses": theirs, "relative_difference":
                     relative, "tolerance": tolerance, "agrees": relative <= tolerance})
    return rows


def machine() -> dict:
    return {"cpu_count": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "load_average": os.getloadavg(),
            "date": time.strftime("%Y-%m-%d %H:%M")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, help="generated SMILES (.smi/.txt or CSV)")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--peers-venv", type=Path, default=Path(os.environ.get(
        "PEERS_VENV", "/tmp/peers-venv")))
    parser.add_argument("--peers-dir", type=Path, default=peers_dir())
    parser.add_argument("--data-dir", type=Path, default=data_dir())
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--moses-json", type=Path, help="reuse a MOSES result written before")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("MOLVAE_DATA_DIR", str(args.data_dir))
    from molvae.metrics import evaluate, format_metrics

    molecules = (read_samples(args.samples, args.n) if args.samples
                 else test_molecules(args.n, args.seed, data_dir=args.data_dir))
    if args.moses_json:
        moses = json.loads(args.moses_json.read_text())
        moses = moses.get("moses", moses)
    else:
        moses = run_moses(molecules, peers_venv=args.peers_venv, peers_dir=args.peers_dir,
                          n_jobs=args.n_jobs)
    t0 = time.perf_counter()
    ours = evaluate(molecules, "moses", n_jobs=args.n_jobs, cache_dir=args.cache_dir)
    our_wall = time.perf_counter() - t0
    rows = compare(ours, moses["metrics"])
    result = {
        "molecules": (str(args.samples) if args.samples
                      else f"default mix, n={args.n}, seed={args.seed}"),
        "n": len(molecules), "all_agree": all(r["agrees"] for r in rows), "comparison": rows,
        "molvae": {"wall_s": our_wall, "metrics": ours}, "moses": moses, "machine": machine(),
    }
    width = max(len(r["metric"]) for r in rows)
    print(f"{'metric':<{width}}  {'molvae':>12}  {'MOSES':>12}  {'rel. diff':>9}  ok")
    for r in rows:
        print(f"{r['metric']:<{width}}  {r['molvae']:>12.6f}  {r['moses']:>12.6f}  "
              f"{r['relative_difference']:>9.2e}  {'yes' if r['agrees'] else 'NO'}")
    print(format_metrics(ours, definitions=False) if not rows else "", end="")
    print(f"\nall agree: {result['all_agree']}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
        print("wrote", args.out)
    sys.exit(0 if result["all_agree"] else 1)


if __name__ == "__main__":
    main()
