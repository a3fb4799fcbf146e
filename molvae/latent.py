"""Walking the latent space: interpolation, neighbourhoods and latent arithmetic.

>>> import molvae as mv
>>> vae = mv.MolVAE.load("zinc")                                               # doctest: +SKIP
>>> vae.interpolate("CCO", "c1ccccc1O", steps=8)        # smiles along the path  # doctest: +SKIP
>>> vae.neighbors("CC(=O)Oc1ccccc1C(=O)O", n=20)        # near aspirin           # doctest: +SKIP
>>> v = attribute_vector(vae, with_=["c1ccccc1O"], without=["c1ccccc1"])       # doctest: +SKIP
>>> shift(vae, "Cc1ccccc1", v, scales=[0, 0.5, 1.0])                            # doctest: +SKIP

Molecules are SMILES strings or RDKit Mols; every function returns a pandas DataFrame and takes
its randomness from a ``seed`` argument. Latent points are the encoder means. Bad arguments
raise :class:`~molvae.errors.ConfigError` (a ``ValueError``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from molvae.errors import ConfigError, MolvaeError

if TYPE_CHECKING:
    from molvae.vae import MolVAE

__all__ = ["slerp", "lerp", "interpolate", "neighbors", "attribute_vector", "shift", "analogy"]

Method = Literal["slerp", "linear"]


def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Points ``(1 - t)·a + t·b`` for each ``t`` (shape (len(t), d))."""
    t = np.asarray(t, dtype=np.float64)[:, None]
    return ((1.0 - t) * a[None, :] + t * b[None, :]).astype(np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation: along the great circle from ``a`` to ``b``, with the norm
    interpolated linearly. Under a Gaussian prior most mass lies near a sphere, and a straight
    line between two typical points cuts through its low-norm inside, where the decoder saw
    no training codes; slerp stays at typical norms. Falls back to ``lerp`` when ``a`` and ``b``
    are (anti)parallel or one is zero."""
    a64, b64 = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    na, nb = np.linalg.norm(a64), np.linalg.norm(b64)
    t = np.asarray(t, dtype=np.float64)
    if na == 0 or nb == 0:
        return lerp(a64, b64, t)
    ua, ub = a64 / na, b64 / nb
    omega = np.arccos(np.clip(ua @ ub, -1.0, 1.0))
    if omega < 1e-6 or np.pi - omega < 1e-6:
        return lerp(a64, b64, t)
    direction = (np.sin((1 - t) * omega)[:, None] * ua + np.sin(t * omega)[:, None] * ub) \
        / np.sin(omega)
    norms = (1 - t) * na + t * nb
    return (direction * norms[:, None]).astype(np.float32)


def _encode_one(vae: MolVAE, molecule: Any, what: str) -> np.ndarray:
    z = vae.encode([molecule], on_invalid="nan")
    if np.isnan(z).any():
        vae.encode([molecule])  # raises the precise reason (unparsable, unknown token, too long)
        raise MolvaeError(f"cannot encode the {what} molecule")  # pragma: no cover
    return z[0]


def _onto_prior(learned: Any, path: np.ndarray, noise: np.ndarray,
                seed: int | None) -> np.ndarray:
    """Each point of ``path`` refined by the learned prior at its own ``noise`` level, every
    point with the same noise draw (so neighbouring points stay neighbours)."""
    import torch

    draw = int(np.random.default_rng().integers(2 ** 62)) if seed is None else seed
    out = path.copy()
    for i, level in enumerate(noise):
        if level <= 1e-9:
            continue
        generator = torch.Generator(device=learned.mean.device).manual_seed(draw)
        out[i] = learned.refine(torch.as_tensor(path[i:i + 1]), noise=float(level),
                                generator=generator).cpu().numpy()[0]
    return out


def _similarities(smiles: Sequence[str | None], reference: str) -> list[float]:
    from molvae.chemistry import tanimoto_to_many

    present = [i for i, s in enumerate(smiles) if s]
    out = [float("nan")] * len(smiles)
    if present:
        values = tanimoto_to_many(reference, [smiles[i] for i in present])
        for i, v in zip(present, values):
            out[i] = float(v)
    return out


def interpolate(vae: MolVAE, start: Any, end: Any, steps: int = 8, *, method: Method = "slerp",
                greedy: bool = True, seed: int | None = 0, prior: str = "normal",
                pull: float = 0.5) -> pd.DataFrame:
    """Decode ``steps`` evenly spaced points on the path between the codes of two molecules.

    Columns: ``t`` (0 at ``start``, 1 at ``end``), ``smiles`` (canonical; None if invalid),
    ``valid``, ``similarity_to_start``, ``similarity_to_end`` (Morgan-2 Tanimoto), ``changed``
    (differs from the previous row). The ends are the model's reconstructions, which may differ
    from the inputs when the model does not reconstruct them exactly.

    ``prior="learned"`` moves each inner point onto the model's learned prior
    (:meth:`~molvae.prior.DiffusionPrior.refine`, noise ``pull``·sin(πt): nothing at the ends,
    ``pull`` halfway, the same noise draw for every point, from ``seed``). It is not the
    default: between two encoded molecules the plain path already runs where the data is, and
    the pull made paths jumpier and their molecules fail the medicinal-chemistry guard more
    often (BENCHMARKS.md, ``benchmarks/interpolation.py``).
    """
    if steps < 2:
        raise ConfigError(f"steps must be at least 2 (the two ends), got {steps}")
    if method not in ("slerp", "linear"):
        raise ConfigError(f"method must be 'slerp' or 'linear', got {method!r}")
    if prior not in ("normal", "learned"):
        raise ConfigError(f"prior must be 'normal' or 'learned', got {prior!r}")
    if not pull >= 0:
        raise ConfigError(f"pull must be 0 or more, got {pull}")
    learned = getattr(vae, "prior", None) if prior == "learned" else None
    if prior == "learned" and learned is None:
        raise MolvaeError("this model has no learned prior; fit one with `molvae prior fit "
                          "--model PATH`, or interpolate with prior='normal'")
    from molvae.chemistry import canonical_or_input

    za, zb = _encode_one(vae, start, "start"), _encode_one(vae, end, "end")
    t = np.linspace(0.0, 1.0, steps)
    path = slerp(za, zb, t) if method == "slerp" else lerp(za, zb, t)
    if learned is not None and pull > 0:
        path = _onto_prior(learned, path, pull * np.sin(np.pi * t), seed)
    smiles = vae.decode(path, greedy=greedy, seed=seed)
    start_smiles, end_smiles = canonical_or_input(start), canonical_or_input(end)
    previous = [None, *smiles[:-1]]
    return pd.DataFrame({
        "t": t,
        "smiles": smiles,
        "valid": [s is not None for s in smiles],
        "similarity_to_start": _similarities(smiles, start_smiles),
        "similarity_to_end": _similarities(smiles, end_smiles),
        "changed": [s != p for s, p in zip(smiles, previous)],
    })


def neighbors(vae: MolVAE, molecule: Any, n: int = 50, *, radius: float = 0.5,
              max_draws: int | None = None, include_self: bool = False, greedy: bool = True,
              seed: int | None = 0, batch_size: int = 500, prior: str = "auto") -> pd.DataFrame:
    """Up to ``n`` distinct valid molecules decoded near a seed molecule's code.

    Points ``z = μ + radius·ε`` with ε ~ N(0, I) (``radius`` is the noise scale per latent
    dimension; the prior's own scale is 1) are decoded in batches until ``n`` distinct molecules
    other than the seed are found or ``max_draws`` points (default ``50·n``) are spent. When the
    model has a learned prior (:mod:`molvae.prior`) and ``prior`` is ``"auto"``, each point is
    instead μ noised to about that radius and denoised back onto the learned distribution
    (:meth:`~molvae.prior.DiffusionPrior.refine`), so neighbours stay where the data's codes lie;
    ``prior="normal"`` keeps the isotropic points.
    Columns: ``smiles``, ``similarity`` (Morgan-2 Tanimoto to the seed), ``distance`` (‖z − μ‖ of
    the first point that decoded to it), ``count`` (points that decoded to it); sorted by
    similarity, most similar first.
    """
    if n < 1:
        raise ConfigError(f"n must be at least 1, got {n}")
    if radius <= 0 or radius != radius:
        raise ConfigError(f"radius must be positive, got {radius}")
    if prior not in ("auto", "normal"):
        raise ConfigError(f"prior must be 'auto' or 'normal', got {prior!r}")
    from molvae.chemistry import canonical_or_input

    learned = getattr(vae, "prior", None) if prior == "auto" else None

    center = _encode_one(vae, molecule, "seed")
    own = canonical_or_input(molecule)
    max_draws = 50 * n if max_draws is None else max_draws
    rng = np.random.default_rng(seed)
    found: dict[str, list[float]] = {}  # smiles -> [distance, count]
    drawn = 0
    while drawn < max_draws and len(found) < n:
        size = min(batch_size, max_draws - drawn)
        if learned is not None:
            import torch

            generator = torch.Generator(device=learned.mean.device).manual_seed(
                int(rng.integers(2 ** 62)))
            points = learned.refine(torch.as_tensor(np.repeat(center[None, :], size, axis=0)),
                                    noise=radius / float(learned.std.mean()),
                                    generator=generator).cpu().numpy()
        else:
            points = center[None, :] + \
                rng.standard_normal((size, center.shape[0])).astype(np.float32) * radius
        decoded = vae.decode(points, greedy=greedy, seed=None if seed is None else seed + drawn)
        distances = np.linalg.norm(points - center[None, :], axis=1)
        for smiles, distance in zip(decoded, distances):
            if smiles is None or (smiles == own and not include_self):
                continue
            entry = found.setdefault(smiles, [float(distance), 0])
            entry[1] += 1
        drawn += size
    names = list(found)[:n]
    frame = pd.DataFrame({"smiles": names,
                          "similarity": _similarities(names, own),
                          "distance": [found[s][0] for s in names],
                          "count": [int(found[s][1]) for s in names]})
    frame = frame.sort_values(["similarity", "distance"], ascending=[False, True], kind="stable")
    return frame.reset_index(drop=True)


def attribute_vector(vae: MolVAE, with_: Sequence[Any], without: Sequence[Any]) -> np.ndarray:
    """Mean code of molecules that have an attribute minus that of molecules that do not: adding
    it to a code moves that molecule toward the attribute (latent arithmetic)."""
    if not len(with_) or not len(without):
        raise ConfigError("attribute_vector needs at least one molecule on each side")
    pos = vae.encode(list(with_), on_invalid="nan")
    neg = vae.encode(list(without), on_invalid="nan")
    pos, neg = pos[~np.isnan(pos).any(1)], neg[~np.isnan(neg).any(1)]
    if not len(pos) or not len(neg):
        raise MolvaeError("none of the molecules on one side can be encoded by this model")
    return (pos.mean(0) - neg.mean(0)).astype(np.float32)


def shift(vae: MolVAE, molecule: Any, vector: np.ndarray, scales: Sequence[float] = (0.0, 0.5, 1.0),
          *, greedy: bool = True, seed: int | None = 0) -> pd.DataFrame:
    """Decode ``z(molecule) + s·vector`` for each scale ``s``. Columns ``scale``, ``smiles``,
    ``valid``, ``similarity`` (to the molecule)."""
    from molvae.chemistry import canonical_or_input

    vector = np.asarray(vector, dtype=np.float32).reshape(-1)
    if vector.shape[0] != vae.latent_dim:
        raise ConfigError(f"vector must have {vae.latent_dim} values, got {vector.shape[0]}")
    z = _encode_one(vae, molecule, "input")
    scales = np.asarray(list(scales), dtype=np.float32)
    smiles = vae.decode(z[None, :] + scales[:, None] * vector[None, :], greedy=greedy, seed=seed)
    return pd.DataFrame({"scale": scales, "smiles": smiles, "valid": [s is not None for s in smiles],
                         "similarity": _similarities(smiles, canonical_or_input(molecule))})


def analogy(vae: MolVAE, a: Any, b: Any, c: Any, *, greedy: bool = True,
            seed: int | None = 0) -> str | None:
    """"``a`` is to ``b`` as ``c`` is to ?": decodes ``z(c) + z(b) − z(a)``."""
    za, zb, zc = (_encode_one(vae, m, w) for m, w in ((a, "a"), (b, "b"), (c, "c")))
    return vae.decode((zc + zb - za)[None, :], greedy=greedy, seed=seed)[0]
