"""The PMO benchmark's 23 oracles (Gao et al., NeurIPS 2022), scored as PyTDC 1.1.15 scores them.

PMO ("practical molecular optimization") measures sample-efficient optimizers on 23 tasks:
rediscovery, similarity, isomer, multi-property (MPO), median, hop and SMARTS tasks from
GuacaMol, QED, and three activity classifiers (DRD2, GSK3B, JNK3). :func:`pmo_oracle` gives one
task as a batch oracle (``list[str] -> np.ndarray``) that :func:`molvae.optimize` and the
:class:`~molvae.oracle.Oracle` take; ``make_objective("pmo:NAME")`` and
``molvae optimize --objective pmo:NAME`` use it.

The oracles come from PyTDC, an optional dependency that must be installed without its own pins
(they hold numpy < 2 and an old RDKit)::

    pip install "molvae[pmo]" && pip install --no-deps pytdc==1.1.15

The three classifiers are scikit-learn pickles that PyTDC would download; molvae never does:
give the folder that holds ``drd2_current.pkl``, ``gsk3b_current.pkl`` and ``jnk3_current.pkl``
(converted to load under today's scikit-learn) as ``oracle_dir``. A pickle runs code when it is
loaded: load only files you trust. Files whose sha256 differs from the ones PMO's numbers were
measured with are refused unless ``verify=False``.

Three things PyTDC does wrong on today's stack, each of which would silently score every molecule
0.0, are handled here: it imports ``rdkit.six`` (removed from RDKit; an equivalent one-function
module is registered if it is missing), its DRD2 oracle calls ``float()`` on a one-element array
(an error under numpy 2; the classifiers are scored here, in batches, with PyTDC's own
featurizers), and it silences every warning of the process when imported (the filters are
restored after the import). A fourth is PyTDC's on any stack: its deco hop and scaffold hop
oracles share module globals, so in a process that has scored scaffold hop, deco hop scores 0.25
too high on every molecule without the scaffold; here each batch of either task builds its
scorers again.

>>> PMO_TASKS[:3]
('albuterol_similarity', 'amlodipine_mpo', 'celecoxib_rediscovery')
>>> len(PMO_TASKS)
23
"""

from __future__ import annotations

import hashlib
import importlib
import pickle
import sys
import types
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rdkit import Chem

from molvae.chemistry import fingerprint_array, rdkit_quiet
from molvae.errors import MolvaeError

__all__ = ["PMO_TASKS", "CLASSIFIER_FILES", "PMOOracle", "pmo_oracle", "parse_pmo_name",
           "top_auc"]

#: the 23 tasks, in the order of PMO's tables (alphabetical)
PMO_TASKS: tuple[str, ...] = (
    "albuterol_similarity", "amlodipine_mpo", "celecoxib_rediscovery", "deco_hop", "drd2",
    "fexofenadine_mpo", "gsk3b", "isomers_c7h8n2o2", "isomers_c9h10n2o2pf2cl", "jnk3", "median1",
    "median2", "mestranol_similarity", "osimertinib_mpo", "perindopril_mpo", "qed",
    "ranolazine_mpo", "scaffold_hop", "sitagliptin_mpo", "thiothixene_rediscovery",
    "troglitazone_rediscovery", "valsartan_smarts", "zaleplon_mpo",
)

#: the classifier tasks' pickle files and the sha256 of the versions PMO's numbers reproduce
CLASSIFIER_FILES: dict[str, tuple[str, str]] = {
    "drd2": ("drd2_current.pkl",
             "b900b16728e096227cf2a9312b676cf8f47efdb48aa0689b57cc916ed2698af0"),
    "gsk3b": ("gsk3b_current.pkl",
              "276914c262cc36721d2cba0bee06f216e5937d4d2cb5b107e569486939bd3106"),
    "jnk3": ("jnk3_current.pkl",
             "fe55c98a9d7c834801d8340d69727f05803ab383c383247dafeabfd8eb990dcc"),
}

INSTALL_HINT = ('install the PMO oracles: pip install "molvae[pmo]" && '
                "pip install --no-deps pytdc==1.1.15")


def parse_pmo_name(spec: str) -> str:
    """The task of ``"pmo:NAME"`` (or a bare task name); a one-line error for an unknown one.

    >>> parse_pmo_name("pmo:jnk3")
    'jnk3'
    >>> parse_pmo_name("pmo:jnk")
    Traceback (most recent call last):
    molvae.errors.MolvaeError: unknown PMO task 'jnk'; the 23 tasks are albuterol_similarity, ...
    """
    name = spec[4:] if spec.startswith("pmo:") else spec
    if name not in PMO_TASKS:
        raise MolvaeError(f"unknown PMO task {name!r}; the 23 tasks are "
                          f"{', '.join(PMO_TASKS)}")
    return name


def _tdc() -> types.ModuleType:
    """PyTDC's oracle module, imported without its side effects on this process's warnings."""
    try:
        import rdkit.six  # noqa: F401  (RDKit removed it; PyTDC still imports it)
    except ImportError:
        six = types.ModuleType("rdkit.six")
        six.iteritems = lambda d: iter(d.items())  # type: ignore[attr-defined]
        sys.modules["rdkit.six"] = six
    saved = list(warnings.filters)
    try:
        return importlib.import_module("tdc.chem_utils.oracle.oracle")
    except ImportError as err:
        raise MolvaeError(f"the PMO oracles need PyTDC, which failed to import ({err}); "
                          f"{INSTALL_HINT}") from None
    finally:
        warnings.filters[:] = saved


# PyTDC's deco_hop and scaffold_hop build their scorers once, into module globals they share:
# the scaffold SMARTS term is inverted in scaffold_hop, so after scaffold_hop has run, deco_hop
# scores 0.25 too high for a molecule without the scaffold (and the other way round it fails).
_HOP_TASKS = frozenset({"deco_hop", "scaffold_hop"})
_HOP_GLOBALS = ("pharmacophor_fp", "deco_smarts_scoring", "deco1_smarts_scoring",
                "deco2_smarts_scoring", "scaffold_smarts_scoring")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class PMOOracle:
    """One PMO task as a batch oracle: scores in [0, 1] (0.0 for a molecule RDKit cannot read,
    as PyTDC gives)."""

    name: str
    oracle_dir: Path | None = None
    verify: bool = True
    _score_one: Any = field(default=None, repr=False)
    _classifier: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.name = parse_pmo_name(self.name)
        if self.name in CLASSIFIER_FILES:  # scikit-learn models; drd2 uses PyTDC's featurizer
            self._classifier = self._load_classifier()
            self._drd2_features = _tdc().fingerprints_from_mol if self.name == "drd2" else None
        else:
            _tdc()
            from tdc import Oracle as TdcOracle  # noqa: PLC0415 - optional dependency

            saved = list(warnings.filters)
            try:
                with rdkit_quiet():
                    self._score_one = TdcOracle(name=self.name)
            finally:
                warnings.filters[:] = saved

    @property
    def __name__(self) -> str:  # the objective's label
        return f"pmo:{self.name}"

    def _load_classifier(self) -> Any:
        filename, expected = CLASSIFIER_FILES[self.name]
        if self.oracle_dir is None:
            raise MolvaeError(f"PMO task {self.name} needs its classifier {filename}: pass the "
                              f"folder that holds it (--pmo-oracles DIR; API: "
                              f"pmo_oracle({self.name!r}, oracle_dir=DIR)); molvae never "
                              f"downloads it")
        path = Path(self.oracle_dir).expanduser() / filename
        if not path.is_file():
            raise MolvaeError(f"no {filename} in {self.oracle_dir}: pass the folder that holds "
                              f"PMO's classifier files (drd2_current.pkl, gsk3b_current.pkl, "
                              f"jnk3_current.pkl)")
        if self.verify and _sha256(path) != expected:
            raise MolvaeError(f"{path} is not the classifier PMO's numbers were measured with "
                              f"(sha256 {expected[:12]}…); use the converted file, or pass "
                              f"verify=False to score with it anyway")
        try:
            with path.open("rb") as handle:
                model = pickle.load(handle)  # noqa: S301 - a file the user chose, checked above
        except ImportError as err:
            raise MolvaeError(f"the PMO classifiers need scikit-learn ({err}); "
                              f"{INSTALL_HINT}") from None
        if hasattr(model, "n_jobs"):
            model.n_jobs = 1  # the pickles ask for every core per call; batches are faster
        return model

    def __call__(self, smiles: Sequence[str]) -> np.ndarray:
        with rdkit_quiet():  # parse errors, and PyTDC's deprecated fingerprint calls
            return self._scores(list(smiles))

    def _scores(self, smiles: list[str]) -> np.ndarray:
        mols = [Chem.MolFromSmiles(s) for s in smiles]
        ok = [i for i, m in enumerate(mols) if m is not None]
        out = np.zeros(len(smiles), dtype=np.float64)
        if self._score_one is not None:
            if self.name in _HOP_TASKS:  # each batch builds its own SMARTS scorers again
                tdc_globals = vars(_tdc())
                for name in _HOP_GLOBALS:
                    tdc_globals.pop(name, None)
            out[ok] = [self._score_one(smiles[i]) for i in ok]
        elif ok:  # the classifiers, in one batch: PyTDC's featurizers, one molecule per row
            if self._drd2_features is not None:
                features = np.concatenate([self._drd2_features(mols[i]) for i in ok])
            else:  # Morgan radius 2, 2,048 bits, as PyTDC's gsk3b and jnk3
                features = fingerprint_array([mols[i] for i in ok], 2, 2048)[0].astype(np.float64)
            out[ok] = self._classifier.predict_proba(features)[:, 1]
        return out


def pmo_oracle(name: str, *, oracle_dir: str | Path | None = None,
               verify: bool = True) -> PMOOracle:
    """PMO task ``name`` (``"jnk3"`` or ``"pmo:jnk3"``) as a batch oracle.

    ``oracle_dir``: the folder with the classifier pickles (needed by drd2, gsk3b and jnk3 only).
    """
    return PMOOracle(name, None if oracle_dir is None else Path(oracle_dir), verify)


def top_auc(scores_in_call_order: Sequence[float], *, top_n: int = 10, budget: int = 10_000,
            freq_log: int = 100, finish: bool = True) -> float:
    """PMO's sample-efficiency metric: the area under the curve of the top-``top_n`` mean score
    against oracle calls, divided by ``budget`` (in [0, 1] for scores in [0, 1]).

    ``scores_in_call_order``: the score of each molecule the oracle was called on, in call order
    (repeats and invalid molecules cost no call and do not appear). As mol_opt computes it: every
    ``freq_log`` calls the top-``top_n`` mean of the molecules scored so far is a point of the
    curve, integrated by trapezoids from 0 (the first segment starts at 0); a last segment runs to
    the number of calls made with the top-``top_n`` mean of all; a run that stopped short of the
    budget keeps that value to the end (``finish``). A NaN score (a failed call) counts as 0.

    >>> top_auc([1.0] * 10_000)  # perfect from the first call: 1 less the ramp of the first 100
    0.995
    >>> round(top_auc([0.5] * 200, top_n=1, budget=400), 4)  # 200 calls made, 200 kept at 0.5
    0.4375
    """
    values = np.nan_to_num(np.asarray(scores_in_call_order, dtype=np.float64)[:budget], nan=0.0)
    n = len(values)
    if n == 0:
        return 0.0

    def top_mean(k: int) -> float:
        head = values[:k]
        return float(np.sort(head)[::-1][:top_n].mean())

    total, previous, called = 0.0, 0.0, 0
    for idx in range(freq_log, min(n, budget), freq_log):
        now = top_mean(idx)
        total += freq_log * (now + previous) / 2
        previous, called = now, idx
    now = top_mean(n)
    total += (n - called) * (now + previous) / 2
    if finish and n < budget:
        total += (budget - n) * now
    return total / budget
