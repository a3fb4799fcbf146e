"""Seeded results of the main commands, to show a refactor changed no behaviour.

Runs, in process, with fixed seeds:

1. ``molvae optimize --objective qed --loop --budget 1000 --seed 0`` (the oracle loop, CLI defaults);
2. ``molvae optimize --property plogp --starts FIRST10 --min-similarity 0.4 --seed 0`` (the
   similarity-constrained protocol on the first 10 molecules of the 800-molecule set, CLI defaults);
3. ``molvae optimize --property qed --n-starts 64 --steps 20 --seed 0`` (prior starts, one pass);
4. ``molvae sample -n 1000 --seed 0``;
5. ``molvae train zinc --config tiny --seed 0`` (its metrics.csv without the wall-clock columns).

and writes, for each, the SHA-256 of its output (CSV rows; columns that measure time dropped)
with a few headline numbers. ``--compare BEFORE.json`` exits 1 naming what differs.

    python benchmarks/seeded_results.py --out before.json
    python benchmarks/seeded_results.py --out after.json --compare before.json

The constrained starts are read from ``--constrained-file`` (default: the
``zinc_plogp_800.txt`` of ``$MOLVAE_DATA_DIR``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from common import data_dir  # molvae from this checkout

TIME_COLUMNS = ("time", "elapsed", "seconds", "wall", "throughput", "per_s", "mol_s")


def _digest(frame: pd.DataFrame) -> str:
    kept = [c for c in frame.columns if not any(t in c.lower() for t in TIME_COLUMNS)]
    text = frame[kept].to_csv(index=False, float_format="%.10g")
    return hashlib.sha256(text.encode()).hexdigest()


def _run(args: list[str]) -> None:
    from typer.testing import CliRunner

    from molvae.cli import app

    result = CliRunner().invoke(app, args, catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(f"molvae {' '.join(args)} failed ({result.exit_code}):\n{result.output}")


def _optimized(path: Path) -> dict:
    frame = pd.read_csv(path)
    return {"sha256": _digest(frame), "rows": len(frame),
            "best": round(float(frame["score"].max()), 6) if len(frame) else None}


def run(work: Path, constrained_file: Path) -> dict[str, dict]:
    results: dict[str, dict] = {}
    t0 = time.perf_counter()

    out = work / "loop.csv"
    _run(["optimize", "--objective", "qed", "--loop", "--budget", "1000", "--seed", "0",
          "--top", "0", "-o", str(out), "--history", str(work / "history.csv")])
    results["optimize_loop_qed_1000"] = _optimized(out)
    results["optimize_loop_qed_1000"]["history_sha256"] = _digest(pd.read_csv(work / "history.csv"))

    starts = work / "starts.txt"
    lines = [line.split()[0] for line in constrained_file.read_text().splitlines()
             if line.strip() and not line.lower().startswith("smiles")][:10]
    starts.write_text("\n".join(lines) + "\n")
    out = work / "constrained.csv"
    _run(["optimize", "--property", "plogp", "--starts", str(starts), "--min-similarity", "0.4",
          "--seed", "0", "--top", "0", "-o", str(out)])
    results["optimize_constrained_plogp_d0.4_10"] = _optimized(out)

    out = work / "prior_starts.csv"
    _run(["optimize", "--property", "qed", "--n-starts", "64", "--steps", "20", "--seed", "0",
          "--top", "0", "-o", str(out)])
    results["optimize_prior_qed_64"] = _optimized(out)

    out = work / "sample.csv"
    _run(["sample", "-n", "1000", "--seed", "0", "-o", str(out)])
    frame = pd.read_csv(out)
    results["sample_1000"] = {"sha256": _digest(frame), "rows": len(frame)}

    run_dir = work / "tiny"
    _run(["train", "zinc", "--config", "tiny", "--seed", "0", "--out", str(run_dir),
          "--no-progress"])
    frame = pd.read_csv(run_dir / "metrics.csv")
    results["train_tiny_metrics"] = {"sha256": _digest(frame), "rows": len(frame),
                                     "columns": [c for c in frame.columns]}
    results["_seconds"] = {"total": round(time.perf_counter() - t0, 1)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON to write")
    parser.add_argument("--compare", type=Path, default=None, help="an earlier JSON to compare to")
    parser.add_argument("--constrained-file", type=Path,
                        default=data_dir() / "zinc_plogp_800.txt")
    args = parser.parse_args()
    if not args.constrained_file.exists():
        parser.error(f"{args.constrained_file} not found: pass --constrained-file or set "
                     "MOLVAE_DATA_DIR to the folder holding zinc_plogp_800.txt")
    with tempfile.TemporaryDirectory() as tmp:
        results = run(Path(tmp), args.constrained_file)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    if args.compare is not None:
        before = json.loads(args.compare.read_text())
        differ = [k for k in before if not k.startswith("_") and before[k] != results.get(k)]
        if differ:
            print(f"DIFFERENT from {args.compare}: {', '.join(differ)}")
            sys.exit(1)
        print(f"identical to {args.compare}")


if __name__ == "__main__":
    main()
