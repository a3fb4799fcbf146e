"""Progress bars for long jobs: a tqdm bar on a terminal, nothing anywhere else.

Every long step (decoding thousands of latents, RDKit over a dataset, ChemNet, training) reports
through :func:`track`, so that a user at a shell sees each of them move and logs, notebooks'
saved outputs and tests stay clean. A job counts as long from ``minimum`` items (a few seconds of
work); shorter ones run without a bar.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["shown", "track"]

T = TypeVar("T")


def shown(n_items: int, minimum: int) -> bool:
    """Whether a job of ``n_items`` gets a bar: at least ``minimum`` items, stderr a terminal."""
    return n_items >= minimum and sys.stderr.isatty()


def track(items: Iterable[T], *, total: int, description: str, unit: str = "batch",
          show: bool = True) -> Iterator[T] | Iterable[T]:
    """``items`` with a bar of ``total`` steps when ``show`` (see :func:`shown`); unchanged
    otherwise. The bar goes away when the job ends."""
    if not show:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, total=total, desc=description, unit=unit, leave=False, dynamic_ncols=True,
                file=sys.stderr)
