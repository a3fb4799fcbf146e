"""Graph-edit children: valid, new, traced to a parent from the population, best parents
favoured, seeded, and RDKit's log left as it was found."""

from __future__ import annotations

import random
from collections import Counter

import pandas as pd
import pytest
from rdkit import Chem, rdBase

from molvae.chemistry import canonicalize
from molvae.errors import MolvaeError
from molvae.graph_edits import make_children


@pytest.fixture(scope="module")
def population(zinc_frame: pd.DataFrame) -> list[tuple[float, str]]:
    smiles = zinc_frame["smiles"].tolist()[:100]
    return [(float(i), s) for i, s in enumerate(smiles)]  # later molecules score higher


def test_children_are_valid_new_and_traced_to_a_parent(population) -> None:
    parents = {s for _, s in population}
    children = make_children(population, 200, random.Random(0))
    assert 100 <= len(children) <= 200  # failed edits give no child
    assert len({c.smiles for c in children}) == len(children)
    for child in children:
        assert Chem.MolFromSmiles(child.smiles) is not None
        assert child.parent in parents
        assert canonicalize(child.smiles) != canonicalize(child.parent)


def test_the_best_molecules_are_parents_most_often(population) -> None:
    counts = Counter(c.parent for c in make_children(population, 400, random.Random(1)))
    ranked = [s for _, s in population]
    top, bottom = ranked[-10:], ranked[:10]
    assert sum(counts[s] for s in top) > 3 * sum(counts[s] for s in bottom)


def test_children_are_seeded(population) -> None:
    first = make_children(population, 50, random.Random(7))
    assert make_children(population, 50, random.Random(7)) == first
    assert make_children(population, 50, random.Random(8)) != first


def test_rdkit_log_is_left_as_it_was_found(population) -> None:
    before = rdBase.LogStatus()
    assert "rdApp.error:enabled" in before
    make_children(population, 20, random.Random(0))
    assert rdBase.LogStatus() == before


def test_nothing_to_breed_from_is_a_one_line_error() -> None:
    assert make_children([(1.0, "CCO")], 0, random.Random(0)) == []
    with pytest.raises(MolvaeError, match="finite score") as info:
        make_children([(float("nan"), "CCO")], 10, random.Random(0))
    assert "\n" not in str(info.value)


def test_seeded_children_are_the_same_whatever_the_number_of_workers(population, monkeypatch):
    import molvae.graph_edits

    monkeypatch.setattr(molvae.graph_edits, "PARALLEL_FROM", 10)  # processes from 10 children on
    one = make_children(population, 120, random.Random(3), workers=1)
    two = make_children(population, 120, random.Random(3), workers=2)
    three = make_children(population, 120, random.Random(3), workers=3)
    assert len(one) >= 60 and one == two == three
    assert make_children(population, 120, random.Random(4), workers=2) != one  # the seed matters
    for child in two:
        assert Chem.MolFromSmiles(child.smiles) is not None
