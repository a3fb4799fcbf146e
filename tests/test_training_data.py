"""Length-bucketed batches cover every molecule once, pad little, and depend only on the seed
and the epoch (so a resumed run replays the same batches)."""

from __future__ import annotations

import numpy as np

from molvae.training.encoded import length_bucketed_batches


def test_bucketed_batches_cover_every_molecule_once() -> None:
    lengths = np.random.default_rng(0).integers(5, 60, size=1003)
    batches = length_bucketed_batches(lengths, batch_size=32, chunk_batches=8, seed=0, epoch=0)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(1003))
    assert max(len(b) for b in batches) == 32


def test_bucketed_batches_have_little_padding() -> None:
    lengths = np.random.default_rng(0).integers(5, 60, size=4096)
    bucketed = length_bucketed_batches(lengths, batch_size=64, chunk_batches=16, seed=0, epoch=0)
    random_ = length_bucketed_batches(lengths, batch_size=64, chunk_batches=1, seed=0, epoch=0)

    def padding(batches):
        return sum(lengths[b].max() * len(b) - lengths[b].sum() for b in batches)

    assert padding(bucketed) < 0.2 * padding(random_)


def test_bucketed_batches_depend_only_on_seed_and_epoch() -> None:
    lengths = np.arange(500) % 37
    a = length_bucketed_batches(lengths, batch_size=16, chunk_batches=4, seed=1, epoch=2)
    b = length_bucketed_batches(lengths, batch_size=16, chunk_batches=4, seed=1, epoch=2)
    c = length_bucketed_batches(lengths, batch_size=16, chunk_batches=4, seed=1, epoch=3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
