"""Reference statistics that ship with molvae: one ``.npz`` per reference set (ZINC250k, MOSES
test, MOSES scaffold test), read by :func:`molvae.metrics.reference.read_shipped`.

``python -m molvae.metrics.shipped [zinc moses:test moses:test_scaffolds]`` writes them again,
computing every part here (never copying the shipped files): ChemNet's mean and covariance,
BRICS fragment and scaffold counts, and logP / SA / QED / weight of each unique molecule.
"""
