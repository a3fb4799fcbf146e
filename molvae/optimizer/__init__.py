"""Latent-space optimization: gradient ascent on z under a predictor, decoded and truly scored.

The walk of one optimization, module by module:

- :mod:`~molvae.optimizer.options` and :mod:`~molvae.optimizer.constraints`: what to do
  (:class:`Search` or :class:`Loop`, :class:`Ascent`, :class:`Surrogate`, :class:`Report`) and what
  every reported molecule must satisfy (:class:`Constraints`);
- :mod:`~molvae.optimizer.presets`: named recipes of those options (:func:`from_prior`,
  :func:`from_molecules`, :func:`similar_to`, :func:`oracle_loop`), run by
  :func:`~molvae.optimizer.runner.run`;
- :mod:`~molvae.optimizer.inputs`: start molecules, dataset samples, the novelty reference;
- :mod:`~molvae.optimizer.ascent`: Adam on z (:func:`ascend`);
- :mod:`~molvae.optimizer.session`: decode, parse once, filter, score with the counted oracle,
  build the ranked table;
- :mod:`~molvae.optimizer.search` (:func:`optimize`, one pass) and :mod:`~molvae.optimizer.loop`
  (:func:`optimize_with_oracle`, rounds against a budget): the entry points;
- :mod:`~molvae.optimizer.results`: :class:`OptimizeResult` and :func:`save_grid`.

>>> import molvae as mv                                                          # doctest: +SKIP
>>> result = mv.optimize(vae, "qed + 0.3*plogp", mv.Search(n_starts=512), seed=0)  # doctest: +SKIP
>>> result.frame.head()  # smiles, score, predicted, start, similarity, ...   # doctest: +SKIP
>>> near = mv.presets.similar_to(["CCOc1ccccc1C(=O)N"])                        # doctest: +SKIP
>>> mv.run(vae, "plogp", near, constraints=mv.Constraints(min_similarity=0.4))  # doctest: +SKIP
"""

from molvae.optimizer import presets
from molvae.optimizer.ascent import ascend
from molvae.optimizer.constraints import Constraints
from molvae.optimizer.inputs import read_starts, training_smiles
from molvae.optimizer.loop import edit_explore_for, edit_pool_for, optimize_with_oracle
from molvae.optimizer.options import Ascent, Loop, Report, Search, Surrogate
from molvae.optimizer.presets import Preset
from molvae.optimizer.results import RESULT_COLUMNS, OptimizeResult, save_grid
from molvae.optimizer.runner import run
from molvae.optimizer.search import optimize

__all__ = [
    "Ascent",
    "Constraints",
    "Loop",
    "OptimizeResult",
    "Preset",
    "RESULT_COLUMNS",
    "Report",
    "Search",
    "Surrogate",
    "ascend",
    "edit_explore_for",
    "edit_pool_for",
    "optimize",
    "optimize_with_oracle",
    "presets",
    "read_starts",
    "run",
    "save_grid",
    "training_smiles",
]
