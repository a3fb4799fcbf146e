"""Time loading ZINC250k with properties: cold (empty cache) and cached.

    python benchmarks/data_load.py --properties logp,qed,sa --out bench-out/data_load.json

Cold = a fresh cache folder, so every molecule is parsed, canonicalized and scored;
cached = the same call again, reading the cache. Each is run in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys, time, json
t0 = time.perf_counter()
from molvae.data import load_dataset
ds = load_dataset(sys.argv[1], properties=sys.argv[2].split(','), cache_dir=sys.argv[3],
                  n_jobs=int(sys.argv[4]) if sys.argv[4] != 'None' else None)
print(json.dumps({"seconds": time.perf_counter() - t0, "molecules": len(ds),
                  "rejected": ds.n_rejected}))
"""


def timed_load(source: str, properties: str, cache: str, n_jobs: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, source, properties, cache, n_jobs],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="zinc")
    parser.add_argument("--properties", default="logp,qed,sa")
    parser.add_argument("--n-jobs", default="None")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        cold = timed_load(args.source, args.properties, cache, args.n_jobs)
        cached = timed_load(args.source, args.properties, cache, args.n_jobs)
    result = {
        "source": args.source, "properties": args.properties, "cold": cold, "cached": cached,
        "cpu_count": os.cpu_count(), "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(), "date": time.strftime("%Y-%m-%d"),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
