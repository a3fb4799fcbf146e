"""The one way molvae spreads work over cores: chunks mapped on forked worker processes.

Forked workers inherit what the parent has loaded (RDKit's catalogs, SA's fragment table, the
tokenizers), so callers warm those up first; where ``fork`` does not exist (Windows, macOS by
default in some Pythons) the platform's default start method is used. Callers decide whether a
job is large enough to be worth the processes; :func:`map_chunks` only runs it.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from typing import Any, TypeVar

from molvae.progress import track

__all__ = ["process_pool", "map_chunks"]

R = TypeVar("R")


def _ignore_ctrl_c() -> None:
    """In a worker: leave Ctrl-C to the parent, which stops the pool (no traceback per worker)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, forked where the platform can fork; Ctrl-C reaches only
    the parent."""
    start = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(start),
                               initializer=_ignore_ctrl_c)


def map_chunks(function: Callable[..., R], chunks: Sequence[Any], *args: Any, n_jobs: int,
               description: str | None = None, show: bool = False) -> list[R]:
    """``function(chunk, *args)`` for each chunk, on ``min(n_jobs, len(chunks))`` worker
    processes, results in the order of ``chunks``; ``description``: a progress bar of chunks
    done (drawn when ``show``)."""
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be at least 1, got {n_jobs}")
    with process_pool(max(1, min(n_jobs, len(chunks)))) as pool:
        results = pool.map(function, chunks, *(repeat(a) for a in args))
        if description is not None:
            results = track(results, total=len(chunks), description=description, unit="chunk",
                            show=show)
        return list(results)
