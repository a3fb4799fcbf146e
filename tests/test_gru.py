"""The CPU GRU kernel: its hand-written backward pass gives autograd's gradients."""

from __future__ import annotations

import torch

from molvae.gru import GRURecurrence


def test_gru_recurrence_gradients_pass_gradcheck() -> None:
    g = torch.Generator().manual_seed(1)
    steps, batch, hidden = 5, 3, 4
    args = (torch.randn(steps, batch, 3 * hidden, dtype=torch.float64, generator=g),
            torch.randn(batch, hidden, dtype=torch.float64, generator=g),
            torch.randn(3 * hidden, hidden, dtype=torch.float64, generator=g),
            torch.randn(hidden, dtype=torch.float64, generator=g))
    args = tuple(a.requires_grad_() for a in args)
    assert torch.autograd.gradcheck(lambda *a: GRURecurrence.apply(*a, torch.float64), args)
