from __future__ import annotations

import io
import math
from pathlib import Path

import pandas as pd
import pytest
import torch

from molvae.checkpoint import load_checkpoint
from molvae.config import ModelConfig, TrainConfig, with_overrides
from molvae.model import END_ID, PAD_ID, START_ID, VAE, vae_loss
from molvae.training.step import (
    GRAPH_WIDTH_MULTIPLE,
    StepStats,
    TrainStep,
    graphs_supported,
    load_optimizer_state,
    make_optimizer,
    optimizer_state,
)

SMALL = ModelConfig(embedding_dim=8, encoder_hidden=12, latent_dim=6, decoder_hidden=10,
                    decoder_layers=2, word_dropout=0.0, property_hidden=8,
                    property_head=("logp",))


def _batches(n: int = 4, vocab: int = 15, seed: int = 0):
    """Batches of 6 molecules whose widths are not multiples of GRAPH_WIDTH_MULTIPLE."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(n):
        lengths = torch.randint(3, 11 + i, (6,), generator=g)
        ids = torch.randint(4, vocab, (6, int(lengths.max())), generator=g)
        for row, length in enumerate(lengths.tolist()):
            ids[row, 0], ids[row, length - 1], ids[row, length:] = START_ID, END_ID, PAD_ID
        out.append((ids, lengths, torch.randn(6, 1, generator=g), None))
    return out


def test_padding_a_batch_wider_changes_no_loss() -> None:
    # what lets CUDA graphs pad every batch to a multiple of GRAPH_WIDTH_MULTIPLE
    torch.manual_seed(0)
    vae = VAE(SMALL, 15).eval()
    ids, lengths, props, _ = _batches(1)[0]
    wide = torch.nn.functional.pad(ids, (0, 5), value=PAD_ID)
    a = vae_loss(vae(ids, lengths, sample=False), ids, beta=0.5, property_targets=props)
    b = vae_loss(vae(wide, lengths, sample=False), wide, beta=0.5, property_targets=props)
    assert torch.allclose(a.total, b.total, atol=1e-5)
    assert torch.allclose(a.reconstruction, b.reconstruction, atol=1e-5)


def test_step_stats_sum_on_the_device_and_count_non_finite_steps() -> None:
    stats = StepStats(torch.device("cpu"), with_property=False)

    class Parts:
        def __init__(self, total: float) -> None:
            self.total = torch.tensor(total)
            self.reconstruction, self.kl, self.property = torch.tensor(2.0), torch.tensor(1.0), None

    stats.add(Parts(3.0), torch.tensor(0.5))
    stats.add(Parts(5.0), torch.tensor(1.5))
    sums, bad = stats.read()
    assert sums == {"loss": 8.0, "reconstruction": 4.0, "kl": 2.0, "grad_norm": 2.0} and bad == 0
    stats.add(Parts(math.nan), torch.tensor(1.0))
    stats.add(Parts(1.0), torch.tensor(math.inf))
    assert stats.read()[1] == 2
    assert stats.read() == ({"loss": 0.0, "reconstruction": 0.0, "kl": 0.0, "grad_norm": 0.0}, 0)


def test_graphs_only_where_a_step_can_be_captured() -> None:
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    plain = VAE(SMALL, 15)
    assert graphs_supported(plain, cuda, distributed=False)
    assert not graphs_supported(plain, cpu, distributed=False)
    assert not graphs_supported(plain, cuda, distributed=True)
    dropout = VAE(ModelConfig(**{**SMALL.__dict__, "dropout": 0.1}), 15)
    assert not graphs_supported(dropout, cuda, distributed=False)  # cuDNN's dropout state


def test_optimizer_state_is_portable_and_continues_identically() -> None:
    torch.manual_seed(0)
    cfg = TrainConfig(lr=1e-2)
    vae = VAE(SMALL, 15)
    step = TrainStep(vae, make_optimizer(vae, cfg), cfg, torch.device("cpu"), torch.float32,
                     torch.Generator().manual_seed(1))
    batches = _batches()
    for i, batch in enumerate(batches[:2]):
        step(*batch, step=i, total_steps=4)
    buffer = io.BytesIO()
    torch.save(optimizer_state(step.optimizer), buffer)  # as a checkpoint's trainer state
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)
    assert all(isinstance(g["lr"], float) and "capturable" not in g for g in saved["param_groups"])
    assert all(s["step"].device.type == "cpu" for s in saved["state"].values())

    copy = VAE(SMALL, 15)
    copy.load_state_dict(vae.state_dict())
    resumed = TrainStep(copy, make_optimizer(copy, cfg), cfg, torch.device("cpu"), torch.float32,
                        torch.Generator().manual_seed(2))
    load_optimizer_state(resumed.optimizer, saved)
    resumed.generator.set_state(step.generator.get_state())
    for i, batch in enumerate(batches[2:], start=2):
        step(*batch, step=i, total_steps=4)
        resumed(*batch, step=i, total_steps=4)
    for a, b in zip(vae.parameters(), copy.parameters()):
        assert torch.equal(a, b)


def test_a_step_returns_the_scheduled_rates_and_the_stats_hold_its_loss() -> None:
    torch.manual_seed(0)
    cfg = TrainConfig(lr=1e-2, lr_warmup_steps=4, kl_warmup_steps=10)
    vae = VAE(SMALL, 15)
    step = TrainStep(vae, make_optimizer(vae, cfg), cfg, torch.device("cpu"), torch.float32,
                     torch.Generator().manual_seed(1))
    lr, beta = step(*_batches(1)[0], step=2, total_steps=20)
    assert lr == pytest.approx(1e-2 * 3 / 4) and 0 < beta < cfg.beta
    sums, bad = step.stats.read()
    assert bad == 0 and sums["loss"] > sums["reconstruction"] > 0 and sums["grad_norm"] > 0


# ----------------------------------------------------------------------------- GPU


def _train_steps(graphs: bool, batches, *, steps: int, lr: float):
    """(per-step losses, parameters after the steps, the TrainStep) on the GPU."""
    device = torch.device("cuda")
    torch.manual_seed(0)
    vae = VAE(SMALL, 15).to(device).train()
    cfg = TrainConfig(lr=lr, lr_warmup_steps=0, lr_schedule="constant")
    step = TrainStep(vae, make_optimizer(vae, cfg, capturable=graphs), cfg, device, torch.float32,
                     torch.Generator(device=device).manual_seed(3), graphs=graphs)
    losses = []
    for i in range(steps):
        ids, lengths, props, conds = batches[i % len(batches)]
        step(ids.to(device), lengths.to(device), props.to(device), conds, step=i,
             total_steps=steps)
        losses.append(step.stats.read()[0]["loss"])
        if i == 2:
            vae.to(device)  # as validation does: re-flattens the GRU weights (new addresses)
    return losses, [p.detach().cpu() for p in vae.parameters()], step


@pytest.mark.gpu
def test_cuda_graph_steps_compute_what_eager_steps_compute() -> None:
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    batches = _batches(3)
    widths = {-(-b[0].shape[1] // GRAPH_WIDTH_MULTIPLE) for b in batches}
    # a learning rate of 1e-12: every step sees the same weights, so replayed or not, each step
    # must give the loss of its batch (a step run twice, or on a stale batch, would not)
    frozen, _, _ = _train_steps(False, batches, steps=7, lr=1e-12)
    graphed, _, step = _train_steps(True, batches, steps=7, lr=1e-12)
    assert 1 <= step.graph_count <= len(widths)  # one graph a padded width, reused
    assert graphed == pytest.approx(frozen, rel=1e-2)
    # training: the replayed updates lower the loss as the eager ones do
    eager, _, _ = _train_steps(False, batches, steps=7, lr=3e-2)
    graphed, _, _ = _train_steps(True, batches, steps=7, lr=3e-2)
    assert eager[-1] < 0.9 * frozen[-1]  # the updates matter at this rate
    assert graphed == pytest.approx(eager, rel=2e-2)


@pytest.mark.gpu
def test_training_on_a_gpu_with_graphs_resumes_where_it_stopped(tiny_config, zinc_frame,
                                                                 tmp_path: Path) -> None:
    from molvae.training import train

    def config(name: str, epochs: int):
        return with_overrides(tiny_config, out=str(tmp_path / name), device="cuda", epochs=epochs,
                              eval_samples=0, eval_reconstruct=0, log_every=1, precision="fp32")

    straight = train(config("straight", 2), dataset=zinc_frame, progress=False)
    train(config("split", 1), dataset=zinc_frame, progress=False)
    resumed = train(config("split", 2), dataset=zinc_frame, progress=False, resume=True)
    a = load_checkpoint(straight.last_path).state_dict
    b = load_checkpoint(resumed.last_path).state_dict
    for name in a:
        assert torch.allclose(a[name], b[name], atol=2e-3), name  # cuDNN is not deterministic
    rows = [pd.read_csv(r.out_dir / "metrics.csv") for r in (straight, resumed)]
    assert rows[0]["loss"].dropna().to_numpy() == pytest.approx(
        rows[1]["loss"].dropna().to_numpy(), rel=1e-3)
