"""Latent-space helpers: slerp keeps typical norms and hits both ends, interpolation paths start
and end at the inputs' codes, neighbours are distinct valid molecules other than the seed,
latent arithmetic moves along the attribute direction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from molvae.errors import InvalidMoleculeError, MolvaeError
from molvae.latent import analogy, attribute_vector, interpolate, lerp, neighbors, shift, slerp

from lookup_vae import LookupVAE


class _TowardPoint:
    """A stand-in learned prior whose refinement moves every point onto one code; it records
    each call's (shape, noise)."""

    def __init__(self, point: np.ndarray) -> None:
        import torch

        self.point = torch.as_tensor(point)
        self.std, self.mean = torch.ones(len(point)), torch.zeros(len(point))
        self.calls: list[tuple[tuple[int, ...], float]] = []

    def refine(self, z, *, noise, generator=None):
        self.calls.append((tuple(z.shape), noise))
        return self.point.expand(z.shape[0], -1).clone()


@pytest.fixture(scope="module")
def lookup_vae(zinc_frame: pd.DataFrame) -> LookupVAE:
    return LookupVAE(zinc_frame["smiles"].tolist()[:300], dim=6)


def test_slerp_hits_both_ends_and_interpolates_the_norm() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(16), 2.0 * rng.standard_normal(16)
    t = np.linspace(0, 1, 9)
    path = slerp(a, b, t)
    assert np.allclose(path[0], a, atol=1e-5) and np.allclose(path[-1], b, atol=1e-5)
    norms = np.linalg.norm(path, axis=1)
    assert np.allclose(norms, (1 - t) * np.linalg.norm(a) + t * np.linalg.norm(b), rtol=1e-5)
    # a straight line between two points of equal norm dips inside the sphere; slerp does not
    c = b / np.linalg.norm(b) * np.linalg.norm(a)
    assert np.linalg.norm(lerp(a, c, np.array([0.5]))[0]) < np.linalg.norm(slerp(a, c, np.array([0.5]))[0]) - 1e-3


def test_slerp_of_parallel_vectors_falls_back_to_a_line() -> None:
    a = np.ones(4)
    path = slerp(a, 3 * a, np.array([0.0, 0.5, 1.0]))
    assert np.allclose(path, [a, 2 * a, 3 * a])


def test_interpolation_starts_and_ends_at_the_inputs(lookup_vae: LookupVAE) -> None:
    a, b = lookup_vae.smiles[3], lookup_vae.smiles[40]
    for method in ("slerp", "linear"):
        frame = interpolate(lookup_vae, a, b, steps=7, method=method)
        assert frame["t"].tolist() == pytest.approx(np.linspace(0, 1, 7).tolist())
        assert frame["smiles"].iloc[0] == a and frame["smiles"].iloc[-1] == b
        assert frame["similarity_to_start"].iloc[0] == 1.0
        assert frame["similarity_to_end"].iloc[-1] == 1.0
        assert frame["changed"].iloc[0]
        assert frame["valid"].tolist() == [s is not None for s in frame["smiles"]]


def test_interpolation_rejects_bad_input(lookup_vae: LookupVAE, tiny_vae) -> None:
    with pytest.raises(ValueError, match="steps"):
        interpolate(lookup_vae, "CCO", "CCN", steps=1)
    with pytest.raises(ValueError, match="method"):
        interpolate(lookup_vae, "CCO", "CCN", method="cubic")
    with pytest.raises(InvalidMoleculeError, match="C1CC"):
        tiny_vae.interpolate("C1CC", "CCO")


def test_neighbors_are_distinct_valid_and_exclude_the_seed(lookup_vae: LookupVAE) -> None:
    seed = lookup_vae.smiles[10]
    frame = neighbors(lookup_vae, seed, n=8, radius=0.8, seed=1)
    assert 0 < len(frame) <= 8
    assert frame["smiles"].is_unique and seed not in set(frame["smiles"])
    assert frame["smiles"].notna().all()
    assert frame["similarity"].is_monotonic_decreasing
    assert (frame["count"] >= 1).all() and (frame["distance"] > 0).all()
    again = neighbors(lookup_vae, seed, n=8, radius=0.8, seed=1)
    pd.testing.assert_frame_equal(frame, again)  # seeded


def test_neighbors_spend_at_most_max_draws(lookup_vae: LookupVAE) -> None:
    before = lookup_vae.decoded
    neighbors(lookup_vae, lookup_vae.smiles[0], n=1000, radius=0.3, max_draws=120, batch_size=50)
    assert lookup_vae.decoded - before == 120


def test_attribute_vector_points_from_without_to_with(lookup_vae: LookupVAE) -> None:
    z = lookup_vae.points
    order = np.argsort(z[:, 0])  # axis 0 is standardized logP
    low = [lookup_vae.smiles[i] for i in order[:20]]
    high = [lookup_vae.smiles[i] for i in order[-20:]]
    vector = attribute_vector(lookup_vae, with_=high, without=low)
    assert vector[0] > 2.0  # mostly along the logP axis
    path = shift(lookup_vae, low[0], vector, scales=[0.0, 1.0])
    assert path["smiles"].iloc[0] == low[0]
    moved = lookup_vae.encode([path["smiles"].iloc[1]])[0]
    assert moved[0] > z[order[0], 0] + 1.0
    with pytest.raises(ValueError, match="values"):
        shift(lookup_vae, low[0], vector[:3])


def test_analogy_decodes_c_plus_b_minus_a(lookup_vae: LookupVAE) -> None:
    a, b = lookup_vae.smiles[1], lookup_vae.smiles[2]
    assert analogy(lookup_vae, a, b, a) == b  # a : b :: a : b


def test_neighbors_come_from_the_learned_prior_when_the_model_has_one(
        lookup_vae: LookupVAE) -> None:
    seed = lookup_vae.smiles[10]
    prior = lookup_vae.prior = _TowardPoint(lookup_vae.points[11])
    try:
        learned = neighbors(lookup_vae, seed, n=3, radius=0.5, max_draws=20, batch_size=10)
        normal = neighbors(lookup_vae, seed, n=3, radius=0.5, max_draws=20, batch_size=10,
                           prior="normal")
    finally:
        del lookup_vae.prior
    assert learned["smiles"].tolist() == [lookup_vae.smiles[11]]
    assert prior.calls == [((10, 6), 0.5), ((10, 6), 0.5)]  # radius in the codes' own scale
    assert set(normal["smiles"]) != {lookup_vae.smiles[11]}


def test_interpolation_pulls_only_inner_points_onto_a_learned_prior_when_asked(
        lookup_vae: LookupVAE) -> None:
    a, b = lookup_vae.smiles[3], lookup_vae.smiles[40]
    with pytest.raises(MolvaeError, match="no learned prior"):
        interpolate(lookup_vae, a, b, steps=5, prior="learned")
    prior = lookup_vae.prior = _TowardPoint(lookup_vae.points[11])
    try:
        plain = interpolate(lookup_vae, a, b, steps=5)  # the default ignores the prior
        assert prior.calls == []
        pulled = interpolate(lookup_vae, a, b, steps=5, prior="learned", pull=0.8)
    finally:
        del lookup_vae.prior
    assert [noise for _, noise in prior.calls] == pytest.approx(
        [0.8 * np.sin(np.pi * t) for t in (0.25, 0.5, 0.75)])
    assert pulled["smiles"].tolist() == [a] + [lookup_vae.smiles[11]] * 3 + [b]
    assert plain["smiles"].tolist() != pulled["smiles"].tolist()
