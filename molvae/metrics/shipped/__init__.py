"""Reference statistics that ship with molvae: one ``.npz`` per reference set (ZINC250k, MOSES
test, MOSES scaffold test), read by :func:`molvae.metrics.reference.read_shipped`, and for MOSES
train (which only novelty reads) the rows whose canonical SMILES differ from the file's, read by
:func:`molvae.metrics.reference.read_shipped_canonical`.

``python -m molvae.metrics.shipped [zinc moses:test moses:test_scaffolds moses:train]`` writes
them again, computing every part here: ChemNet's mean and covariance, BRICS fragment and scaffold
counts, logP / SA / QED / weight of each unique molecule, and the canonical SMILES of every row.
"""
