"""What the benchmark scripts share: molvae from this checkout, and where their inputs are.

Each script starts with ``from common import REPO, data_dir, peers_dir`` (the scripts' own folder
is on ``sys.path`` when one runs ``python benchmarks/NAME.py``), which puts this checkout first on
``sys.path`` so that the molvae measured is the one beside the script, installed or not.

Inputs are never machine paths: ``data_dir()`` is ``$MOLVAE_DATA_DIR`` (the folder holding the
MOSES splits and ``zinc_plogp_800.txt``), else ``data/`` in the repository; ``peers_dir()`` is
``$MOLVAE_PEERS_DIR`` (the scripts that install the MOSES models and metrics and mol-ga in their
own environment), else ``peers/`` in the repository; ``pmo_dir()`` is ``$MOLVAE_PMO_DIR`` (PMO's
classifier files in ``oracle/`` and its ``reference_scores.csv``), else ``pmo/`` in the repository. Every script also takes them as arguments.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["REPO", "data_dir", "peers_dir", "pmo_dir"]

#: the repository this script belongs to
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def data_dir() -> Path:
    """``$MOLVAE_DATA_DIR``, else the repository's ``data/``."""
    return Path(os.environ.get("MOLVAE_DATA_DIR") or REPO / "data")


def peers_dir() -> Path:
    """``$MOLVAE_PEERS_DIR``, else the repository's ``peers/``."""
    return Path(os.environ.get("MOLVAE_PEERS_DIR") or REPO / "peers")


def pmo_dir() -> Path:
    """``$MOLVAE_PMO_DIR``, else the repository's ``pmo/``."""
    return Path(os.environ.get("MOLVAE_PMO_DIR") or REPO / "pmo")
