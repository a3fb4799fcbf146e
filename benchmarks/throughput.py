"""Training and sampling throughput (molecules/s) of a molvae config on one device.

    python benchmarks/throughput.py --config moses_vae_size --device cpu --out bench.json

Molecules: a seeded random subset (default 50,000) of the MOSES training split
(``moses_train.csv.gz`` of ``$MOLVAE_DATA_DIR``, column SMILES — the set the MOSES VAE benchmark
uses), or ``--data FILE [--smiles-column COL]``.

Training: the real optimizer step of ``molvae.training`` (forward, loss, backward, clipping,
AdamW) on length-bucketed batches of ``train.batch_size``; molecules/s over ``--train-steps``
steps after ``--warmup`` steps, batch assembly included. Sampling: ``MolVAE.sample`` at batch
``--sample-batch`` from z ~ N(0, I), ids decoded to strings by the tokenizer (RDKit
canonicalization, which MOSES's sampler does not do, is timed separately). Sampling a model that
has barely trained is unrepresentative (it rarely emits <eos>), so the sampler is timed on
``--checkpoint`` when given, else on the model after the timed training steps, and also in the
worst case (every sequence running to ``model.max_length``, as MOSES's sampler always does).
Since the sampler's cost follows the tokens generated, ``mol_per_s_at_data_length`` rescales the
measured rate to molecules as long as the data's (what a trained model generates). CPU-time rates
(``mol_per_cpu_s``) are given too: wall-clock rates mean little on a machine other processes use.
Writes a JSON report.

``--profile FILE`` then runs ``--profile-steps`` more training steps under torch.profiler and
writes where their time goes, per operator, host and GPU (where a step's time goes on a GPU)::

    python benchmarks/throughput.py --config zinc --data ZINC.smiles --device cuda --profile prof.txt

``--peer-moses`` then runs the MOSES VAE (molsets 0.3.1, through
``../shared/peers/bench_moses_models.py`` in its own virtual environment; ``bash
../shared/peers/setup.sh`` once) in the same run, on a subset of the same size and seed of the
same file, with the same number of timed training steps and threads and sampling batch, and
adds its numbers and the speed ratios to the report::

    python benchmarks/throughput.py --config moses_vae_size --train-steps 40 --threads 2 \
        --peer-moses --out bench-out/throughput.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from common import data_dir, peers_dir  # noqa: E402  (molvae from this checkout)

from molvae.config import load_config, with_overrides  # noqa: E402
from molvae.data import read_smiles  # noqa: E402
from molvae.devices import resolve_device, resolve_precision  # noqa: E402
from molvae.model import END_ID, VAE  # noqa: E402
from molvae.sampling import DecodeStats, decode_latents  # noqa: E402
from molvae.tokenizers import make_tokenizer  # noqa: E402
from molvae.training.step import TrainStep  # noqa: E402
from molvae.training.encoded import Encoded, length_bucketed_batches  # noqa: E402
from molvae.vae import MolVAE  # noqa: E402

DEFAULT_DATA = data_dir() / "moses_train.csv.gz"
PEERS = peers_dir()


def read_molecules(path: Path, column: str | None, subset: int, seed: int) -> list[str]:
    smiles = read_smiles(path, smiles_column=column)  # CSV/TSV, .smi/.smiles or SDF
    rng = np.random.default_rng(seed)
    return [smiles[i] for i in rng.permutation(len(smiles))[:subset]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="moses_vae_size")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--smiles-column", default=None)
    parser.add_argument("--subset", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=None, help="default: train.batch_size")
    parser.add_argument("--train-steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--sample-n", type=int, default=5000)
    parser.add_argument("--sample-batch", type=int, default=1000)
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="time sampling on this trained model (same config sizes)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default=None, help="auto | fp32 | bf16 (default: config)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--no-cuda-graphs", action="store_true",
                        help="train eagerly on a GPU (train.cuda_graphs: false)")
    parser.add_argument("--sync-every", type=int, default=25,
                        help="on a GPU, wait for the device every this many steps to time them "
                             "(training itself waits every train.log_every)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="after the timed steps, profile --profile-steps more with "
                             "torch.profiler and write the per-operator table to this file")
    parser.add_argument("--profile-steps", type=int, default=20)
    parser.add_argument("--peer-moses", action="store_true",
                        help="also time the MOSES VAE in this run (peers venv required)")
    parser.add_argument("--out", type=Path, default=Path("throughput.json"))
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    config = load_config(args.config)
    config = with_overrides(config, batch_size=args.batch_size, precision=args.precision,
                            seed=args.seed, cuda_graphs=False if args.no_cuda_graphs else None)
    device = resolve_device(args.device)
    mm_dtype = resolve_precision(config.train.precision, device)
    precision = "bf16" if mm_dtype == torch.bfloat16 else "fp32"

    smiles = read_molecules(args.data, args.smiles_column, args.subset, args.seed)
    tokenizer = make_tokenizer(config.model.tokenizer, smiles)
    encoded = tokenizer.encode_batch(smiles, max_length=config.model.max_length)
    data = Encoded(smiles=[smiles[i] for i in encoded.indices], ids=encoded.ids.to(torch.int16),
                    lengths=encoded.lengths, properties=None, conditions=None)
    torch.manual_seed(args.seed)
    model = VAE(config.model, len(tokenizer.vocabulary)).to(device)
    report: dict = {
        "config": args.config,
        "model": {k: (v.value if hasattr(v, "value") else v)
                  for k, v in config.model.__dict__.items()},
        "n_params": model.parameter_count(),
        "vocab_size": len(tokenizer.vocabulary),
        "molecules": len(data),
        "mean_tokens": float(data.lengths.float().mean()),
        "device": str(device),
        "precision": precision,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
    }
    print(json.dumps(report, indent=1), flush=True)

    if not args.skip_train:
        report["train"] = time_training(model, data, config, device, mm_dtype, args)
        print(json.dumps({"train": report["train"]}, indent=1), flush=True)

    if args.checkpoint is not None:
        vae = MolVAE.load(args.checkpoint, device=device, precision=precision)
    else:  # normalization statistics do not matter for timing
        unit = lambda names: {name: (0.0, 1.0) for name in names}  # noqa: E731
        vae = MolVAE(model, tokenizer, property_stats=unit(config.model.property_head),
                     condition_stats=unit(config.model.conditions), device=device,
                     precision=precision)
    report["load_average"] = list(os.getloadavg())  # other processes skew timings
    args.mean_tokens = report["mean_tokens"]
    report["sample"] = time_sampling(vae, args)
    report["sample_worst_case"] = time_worst_case(vae, args)
    print(json.dumps({k: report[k] for k in ("sample", "sample_worst_case")}, indent=1), flush=True)
    if args.peer_moses:
        report["moses_vae"] = run_moses_vae(args)
        report["ratios"] = speed_ratios(report)
        print(json.dumps({"ratios": report["ratios"]}, indent=1), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(f"wrote {args.out}")


def run_moses_vae(args) -> dict:
    """The MOSES VAE's own trainer and sampler, timed by the peers' driver, same settings."""
    outdir = args.out.parent / "moses_vae"
    command = [sys.executable, str(PEERS / "bench_moses_models.py"), "--model", "vae",
               "--steps", str(args.warmup + args.train_steps), "--subset", str(args.subset),
               "--n_samples", str(args.sample_n), "--sample_batches", str(args.sample_batch),
               "--threads", str(args.threads or torch.get_num_threads()),
               "--seed", str(args.seed), "--outdir", str(outdir)]
    print("running", " ".join(command), flush=True)
    subprocess.run(command, check=True)
    result = json.loads((outdir / "vae_bench.json").read_text())
    result["load_average_after"] = list(os.getloadavg())
    return result


def speed_ratios(report: dict) -> dict:
    moses = report["moses_vae"]
    sample = moses["sample"][-1]
    ratios = {"moses_sample_mol_per_s": sample["mols_per_s"],
              "moses_sample_max_len": sample["max_len"],
              "sample": report["sample"]["mol_per_s"] / sample["mols_per_s"],
              "sample_worst_case": report["sample_worst_case"]["mol_per_s"] / sample["mols_per_s"]}
    if "train" in report:
        # the MOSES driver's own steady-state figure (first 5 steps dropped, like --warmup here)
        ratios["moses_train_mol_per_s"] = moses["train"]["mols_per_s_after5"]
        ratios["train"] = report["train"]["mol_per_s"] / moses["train"]["mols_per_s_after5"]
    return ratios


def time_training(model, data, config, device, mm_dtype, args) -> dict:
    """Steps are timed in blocks ending in a wait for the device (one step a block on a CPU,
    ``--sync-every`` on a GPU, where the host queues steps ahead of the device as in training)."""
    cfg = config.train
    stepper = TrainStep.create(model, cfg, device, mm_dtype,  # as molvae.training.train does
                               torch.Generator(device=device).manual_seed(args.seed))
    batches = length_bucketed_batches(data.lengths.numpy(), batch_size=cfg.batch_size,
                                      chunk_batches=cfg.bucket_chunk, seed=args.seed, epoch=0)
    total = args.warmup + args.train_steps
    block = args.sync_every if device.type == "cuda" else 1
    model.train()
    times, cpu_times, sizes, tokens, losses = [], [], [], [], []
    step = 0
    while step < total:
        start, cpu_start = time.perf_counter(), time.process_time()
        first = step
        n_mol = n_tok = 0
        while step < total and (step == first or step % block):
            index = batches[step % len(batches)]
            n_mol += len(index)
            n_tok += int(data.lengths[index].sum())
            batch = data.batch(index, device)
            stepper(*batch, step=step, total_steps=total)
            step += 1
        sums, _ = stepper.stats.read()  # waits for the device
        elapsed = time.perf_counter() - start
        steps = step - first
        losses.append(sums["loss"] / steps)
        if first >= args.warmup:
            times.append(elapsed)
            cpu_times.append(time.process_time() - cpu_start)
            sizes.append(n_mol)
            tokens.append(n_tok)
        print(f"  steps {first}-{step - 1}: {elapsed / steps:.4f} s a step, {n_mol / elapsed:.0f} "
              f"mol/s, loss {losses[-1]:.2f}", flush=True)
    if args.profile is not None:
        profile_steps(args.profile, stepper, data, batches, device, first=total,
                      total=total + args.profile_steps)
    return {
        "batch_size": cfg.batch_size,
        "steps_timed": args.train_steps,
        "cuda_graphs": stepper.graphs,
        "graphs_captured": stepper.graph_count,
        "mol_per_s": sum(sizes) / sum(times),
        "mol_per_cpu_s": sum(sizes) / sum(cpu_times),  # per second of CPU time, all threads
        "tokens_per_s": sum(tokens) / sum(times),
        "sec_per_step_median": statistics.median(t / (s / cfg.batch_size)
                                                 for t, s in zip(times, sizes)),
        "first_loss": losses[0],
        "last_loss": losses[-1],
    }


def profile_steps(path: Path, stepper: TrainStep, data, batches, device, *, first: int,
                  total: int) -> None:
    """Run training steps ``first``..``total`` under torch.profiler (after the timed ones, which it
    would slow) and write its per-operator table, host (CPU) and device (CUDA) time, to ``path``."""
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities) as prof:
        for step in range(first, total):
            stepper(*data.batch(batches[step % len(batches)], device), step=step, total_steps=total)
        stepper.stats.read()
    table = prof.key_averages()
    sections = [f"{total - first} training steps on {device}, batch {stepper.cfg.batch_size}, "
                f"CUDA graphs {'on' if stepper.graphs else 'off'}\n"]
    for key in ["self_cpu_time_total"] + (["self_cuda_time_total"] if device.type == "cuda" else []):
        sections.append(f"\n== sorted by {key}\n{table.table(sort_by=key, row_limit=40)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(sections))
    print(f"wrote the profile of {total - first} steps to {path}", flush=True)


def time_sampling(vae: MolVAE, args) -> dict:
    vae.sample(min(200, args.sample_n), seed=args.seed, batch_size=args.sample_batch)  # warm-up
    generator = torch.Generator(device=vae.device).manual_seed(args.seed)
    z = torch.randn(args.sample_n, vae.latent_dim, generator=generator, device=vae.device)
    stats = DecodeStats()
    start, cpu_start = time.perf_counter(), time.process_time()
    ids = decode_latents(vae.model, z, max_length=vae.config.max_length, greedy=False,
                         generator=generator, mm_dtype=vae.mm_dtype, batch_size=args.sample_batch,
                         stats=stats)
    raw = vae.tokenizer.decode_batch(ids)
    strings_s = time.perf_counter() - start
    strings_cpu_s = time.process_time() - cpu_start
    canonical, valid = vae._canonical([r if r else None for r in raw])
    total_s = time.perf_counter() - start
    ended = (ids == END_ID).any(1)
    # cost is proportional to tokens generated: rescale to the data's own molecule length, what a
    # trained model generates (a model after a few hundred steps emits shorter strings)
    per_molecule = float(args.mean_tokens) - 1.0  # every token after <bos>, <eos> included
    row_steps_per_s = stats.row_steps / strings_s
    return {
        "n": args.sample_n,
        "batch": args.sample_batch,
        "mol_per_s": args.sample_n / strings_s,
        "mol_per_cpu_s": args.sample_n / strings_cpu_s,
        "mol_per_s_with_rdkit_canonical": args.sample_n / total_s,
        "decoder_steps_max": stats.steps,
        "mean_generated_tokens": stats.row_steps / args.sample_n,
        "ended_fraction": float(ended.float().mean()),
        "validity": float(np.mean(valid)),
        "row_steps_per_s": row_steps_per_s,
        "mol_per_s_at_data_length": row_steps_per_s / per_molecule,
        "mol_per_cpu_s_at_data_length": stats.row_steps / strings_cpu_s / per_molecule,
    }


def time_worst_case(vae: MolVAE, args) -> dict:
    """Every sequence runs to max_length (<eos> made impossible), like a fixed-length sampler."""
    n = min(args.sample_n, 2 * args.sample_batch)
    bias = vae.model.decoder.out.bias
    saved = bias.detach().clone()
    with torch.no_grad():
        bias[END_ID] = -1e4
    try:
        generator = torch.Generator(device=vae.device).manual_seed(args.seed)
        z = torch.randn(n, vae.latent_dim, generator=generator, device=vae.device)
        start, cpu_start = time.perf_counter(), time.process_time()
        ids = decode_latents(vae.model, z, max_length=vae.config.max_length, greedy=False,
                             generator=generator, mm_dtype=vae.mm_dtype,
                             batch_size=args.sample_batch)
        vae.tokenizer.decode_batch(ids)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    finally:
        with torch.no_grad():
            bias.copy_(saved)
    return {"n": n, "batch": args.sample_batch, "steps": vae.config.max_length - 1,
            "mol_per_s": n / elapsed, "mol_per_cpu_s": n / cpu}


if __name__ == "__main__":
    main()
