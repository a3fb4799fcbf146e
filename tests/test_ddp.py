"""DDP on CPU: two processes on gloo, launched as torchrun launches them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""
    import json, os, sys
    import pandas as pd
    import torch
    torch.set_num_threads(1)
    from molvae.config import load_config, with_overrides
    from molvae.training import train

    frame = pd.read_csv(sys.argv[1])
    out = sys.argv[2]
    config = with_overrides(load_config("tiny"), out=out, epochs=2, eval_samples=20,
                            eval_reconstruct=10, log_every=1)
    result = train(config, dataset=frame, progress=False)
    rank = int(os.environ["RANK"])
    with open(f"{out}.rank{rank}.json", "w") as handle:
        json.dump({"rank": rank, "world": int(os.environ["WORLD_SIZE"]), "steps": result.steps,
                   "epochs": result.epochs_completed, "metrics": sorted(result.metrics)}, handle)
""")


@pytest.mark.slow
def test_torchrun_trains_with_ddp_on_two_cpu_processes(tmp_path: Path, zinc_frame: pd.DataFrame) -> None:
    data = tmp_path / "tiny.csv"
    zinc_frame.to_csv(data, index=False)
    script = tmp_path / "run_ddp.py"
    script.write_text(SCRIPT)
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         str(script), str(data), str(out)],
        env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]

    reports = [json.loads((tmp_path / f"run.rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world"] for r in reports] == [2, 2]
    # 480 training molecules in batches of 64 = 8 batches; each process takes 4 per epoch
    assert reports[0]["steps"] == reports[1]["steps"] == 8
    assert reports[0]["epochs"] == 2
    # only rank 0 writes: one metrics file with one row per epoch and per step
    metrics = pd.read_csv(out / "metrics.csv")
    assert (metrics["kind"] == "valid").sum() == 2
    assert (metrics["kind"] == "train").sum() == 8
    assert (out / "best" / "model.safetensors").exists()
    assert (out / "last" / "trainer_state.pt").exists()
    assert reports[0]["metrics"] and not reports[1]["metrics"]  # rank 1 does not validate

    from molvae.checkpoint import load_trainer_state

    state = load_trainer_state(out / "last")
    assert state["world_size"] == 2 and len(state["noise_rng"]) == 2
