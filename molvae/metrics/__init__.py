"""Generation metrics: the MOSES table (validity, uniqueness, novelty, FCD, SNN, Frag, Scaf,
IntDiv, Filters, property distances) and reconstruction accuracy.

Definitions follow MOSES (Polykovskiy et al. 2020) as its code, molsets 0.3.1, computes them;
:data:`METRICS` states each one. Numbers agree with MOSES's own ``get_all_metrics`` within 1%
(FCD 2%): ``benchmarks/metrics_agreement.py`` checks it.

>>> import molvae.metrics as mm
>>> results = mm.evaluate(samples, reference="moses")          # doctest: +SKIP
>>> print(mm.format_metrics(results))                          # doctest: +SKIP
>>> mm.reconstruction_accuracy(vae.reconstruct, test_smiles)   # doctest: +SKIP
"""

from __future__ import annotations

from molvae.metrics.evaluation import METRICS, describe_metrics, evaluate, format_metrics
from molvae.metrics.reconstruction import Reconstruction, reconstruction_accuracy
from molvae.metrics.reference import ReferenceStats, reference_statistics

__all__ = [
    "METRICS",
    "evaluate",
    "format_metrics",
    "describe_metrics",
    "reference_statistics",
    "ReferenceStats",
    "reconstruction_accuracy",
    "Reconstruction",
]
