"""Exact bulk Tanimoto on 0/1 fingerprints: nearest-neighbour similarity (SNN), internal diversity.

Intersection counts ``|a ∧ b|`` come from integer matrix products of 0/1 int8 matrices
(``torch._int_mm``: int32 results, exact; float32 where it is missing, also exact since 0/1 products
summed to at most 2^24 are exact in float32), so Tanimoto ``c / (|a| + |b| − c)`` equals RDKit's
``BulkTanimotoSimilarity`` to the last bit. As in MOSES, 0/0 (two empty fingerprints) counts as 1.

SNN needs only each row's maximum. Reference fingerprints are sorted by bit count ``b``; within one
``b``, Tanimoto increases with ``c``, so the largest count per group is all a row needs: one
integer max over the product, no division over the whole matrix.

>>> a = np.array([[1, 1, 0, 0], [0, 0, 1, 1]], np.uint8)
>>> round(float(max_tanimoto(a, ReferenceFingerprints.build(a)).mean()), 3)
1.0
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch

from molvae.devices import resolve_device

__all__ = [
    "ReferenceFingerprints",
    "max_tanimoto",
    "mean_tanimoto_powers",
    "one_torch_thread",
    "thread_map",
]

T = TypeVar("T")
R = TypeVar("R")
_ROWS = 512  # query rows per product
_COLUMNS = 8192  # reference columns per product: the int32 block stays in cache


@functools.lru_cache(maxsize=None)
def _int_mm_works() -> bool:
    try:
        ones = torch.ones(17, 8, dtype=torch.int8)
        return bool((torch._int_mm(ones, ones.T) == 8).all())
    except (AttributeError, RuntimeError, NotImplementedError):
        return False


def _intersections(a: torch.Tensor, b_t: torch.Tensor) -> torch.Tensor:
    """``a @ b_t`` for 0/1 int8 matrices: the bit-intersection counts, exact."""
    if a.device.type == "cpu" and _int_mm_works():
        return torch._int_mm(a, b_t)
    return a.float() @ b_t.float()  # exact: integer sums below 2^24


@dataclass(frozen=True)
class ReferenceFingerprints:
    """Distinct reference fingerprints sorted by bit count, with the group bounds of each count."""

    bits: np.ndarray  # (m, n_bits) uint8 0/1, rows sorted by popcount
    popcounts: np.ndarray  # (m,) int64, ascending
    bounds: np.ndarray  # start offsets of each popcount group, plus m at the end

    @classmethod
    def build(cls, bits: np.ndarray) -> ReferenceFingerprints:
        """From a (n, n_bits) 0/1 array; duplicate rows are dropped (they cannot change a max)."""
        bits = np.unique(np.ascontiguousarray(bits, dtype=np.uint8), axis=0)
        popcounts = bits.sum(axis=1, dtype=np.int64)
        order = np.argsort(popcounts, kind="stable")
        bits, popcounts = bits[order], popcounts[order]
        starts = np.flatnonzero(np.diff(popcounts, prepend=-1))
        return cls(bits, popcounts, np.append(starts, len(popcounts)))


def _blocks(ref: ReferenceFingerprints) -> Iterator[tuple[int, int, int]]:
    """(start, stop, popcount) column blocks, each inside one popcount group."""
    for start, stop in zip(ref.bounds[:-1], ref.bounds[1:]):
        for lo in range(int(start), int(stop), _COLUMNS):
            yield lo, min(lo + _COLUMNS, int(stop)), int(ref.popcounts[start])


@contextlib.contextmanager
def one_torch_thread() -> Iterator[int]:
    """Run torch (and MKL) on one thread inside the block; yields the thread count it had.

    For small dense linear algebra (512 x 512 eigensolves) one thread is as fast on a quiet
    machine and tens of times faster on a busy one, where MKL's threads wait for each other.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield threads
    finally:
        torch.set_num_threads(threads)


def thread_map(work: Callable[[T], R], items: Sequence[T], *, device: torch.device) -> list[R]:
    """``[work(item) for item in items]``, on the CPU spread over ``torch.get_num_threads()`` Python
    threads that each run torch with one thread (torch releases the GIL).

    Independent threads keep going when a busy machine preempts one of them; torch's own threads
    meet at a barrier after every operation (88 LSTM steps per ChemNet batch), so on a shared
    machine this is up to twice as fast, with bit-identical results.
    """
    if device.type != "cpu" or torch.get_num_threads() == 1 or len(items) < 2:
        return [work(item) for item in items]
    with one_torch_thread() as threads, ThreadPoolExecutor(min(threads, len(items))) as pool:
        return list(pool.map(work, items))


def _parallel_rows(n_rows: int, work: Callable[[slice], None], device: torch.device) -> None:
    thread_map(work, [slice(i, min(i + _ROWS, n_rows)) for i in range(0, n_rows, _ROWS)],
               device=device)


def _tanimoto(c: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """c / (a + b − c) in float64, with 0/0 → 1 as MOSES."""
    c, union = c.double(), (a + b).double() - c.double()
    return torch.where(union > 0, c / union.clamp(min=1), torch.ones_like(c))


def max_tanimoto(query: np.ndarray, ref: ReferenceFingerprints, *,
                 device: str | torch.device = "cpu") -> np.ndarray:
    """For each query row, its highest Tanimoto similarity to any reference row (float64)."""
    device = resolve_device(device)
    q = torch.from_numpy(np.ascontiguousarray(query, dtype=np.int8)).to(device)
    r_t = torch.from_numpy(ref.bits.view(np.int8)).to(device).T
    a = q.sum(dim=1, dtype=torch.int64)
    best = torch.zeros(len(q), dtype=torch.float64, device=device)
    blocks = list(_blocks(ref))

    def work(rows: slice) -> None:
        q_rows, a_rows = q[rows], a[rows]
        top = torch.zeros(len(a_rows), dtype=torch.float64, device=device)
        for lo, hi, b in blocks:
            c_max = _intersections(q_rows, r_t[:, lo:hi]).amax(dim=1)
            top = torch.maximum(top, _tanimoto(c_max, a_rows, torch.tensor(b, device=device)))
        best[rows] = top

    if len(ref.bits):
        _parallel_rows(len(q), work, device)
    return best.cpu().numpy()


def mean_tanimoto_powers(bits: np.ndarray, weights: np.ndarray, *, powers: tuple[int, ...] = (1,),
                         device: str | torch.device = "cpu") -> np.ndarray:
    """Per power ``p`` and row ``i``: the weighted mean over all rows ``j`` (``i`` itself included)
    of ``T(i, j)**p``; shape ``(len(powers), n)``.

    ``weights[j]`` is how many copies of row ``j`` the set holds, so the result equals the plain
    mean over the set with its duplicates written out.
    """
    device = resolve_device(device)
    x = torch.from_numpy(np.ascontiguousarray(bits, dtype=np.int8)).to(device)
    w = torch.from_numpy(np.asarray(weights, dtype=np.float64)).to(device)
    x_t, a = x.T, x.sum(dim=1, dtype=torch.int64)
    out = torch.zeros(len(powers), len(x), dtype=torch.float64, device=device)

    def work(rows: slice) -> None:
        total = torch.zeros(len(powers), rows.stop - rows.start, dtype=torch.float64, device=device)
        for lo in range(0, len(x), _COLUMNS):
            hi = min(lo + _COLUMNS, len(x))
            t = _tanimoto(_intersections(x[rows], x_t[:, lo:hi]), a[rows, None], a[None, lo:hi])
            for k, p in enumerate(powers):
                total[k] += (t if p == 1 else t.pow(p)) @ w[lo:hi]
        out[:, rows] = total / w.sum()

    _parallel_rows(len(x), work, device)
    return out.cpu().numpy()
