"""Objectives: what the optimizer maximizes.

An objective is built from a property name (``"qed"``), a weighted sum of registered properties
(``"qed + 0.3*plogp - 0.5*sa"``) or any callable ``list[str] -> list[float]``, then turned into a
score to maximize: the value itself, its negative (``minimize=True``) or its closeness to a
target (``target=t``: ``-|value - t|``). The expression parser is a small tokenizer and grammar,
never ``eval``: terms are ``[+-] [number *] name`` and anything else is an error that names the
bad term and lists the valid properties.

An objective is asked through an :class:`~molvae.oracle.Oracle` (:mod:`molvae.oracle`), which
counts and caches the calls.

>>> objective = make_objective("qed + 0.3*plogp - 0.5*sa")
>>> [round(v, 3) for v in objective(["CCO"])]
[-1.178]
>>> make_objective("logp", target=2.0).score([1.5, 3.0]).tolist()
[-0.5, -1.0]
>>> parse_objective("__import__('os')")
Traceback (most recent call last):
molvae.errors.MolvaeError: cannot parse objective "__import__('os')": bad term "__import__('os')": ...
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Union

import numpy as np

from molvae.chemistry import compute_properties, get_property, list_properties
from molvae.errors import MolvaeError, UnknownPropertyError

__all__ = [
    "OracleFn",
    "Term",
    "WeightedSum",
    "Objective",
    "parse_objective",
    "make_objective",
]

logger = logging.getLogger(__name__)

OracleFn = Callable[[list[str]], Sequence[float]]
ObjectiveLike = Union[str, OracleFn, "Objective"]


# --- the expression parser -------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """``weight * name`` in a weighted sum of registered properties."""

    weight: float
    name: str


_TOKEN = re.compile(r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[+\-*]))")


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) of each token; anything else is an error quoting it."""
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            bad_at = pos + len(text[pos:]) - len(text[pos:].lstrip())
            left = max(text.rfind("+", 0, bad_at), text.rfind("-", 0, bad_at)) + 1
            right = min([i for i in (text.find("+", bad_at), text.find("-", bad_at)) if i >= 0],
                        default=len(text))
            raise MolvaeError(f"cannot parse objective {text!r:.80}: bad term "
                              f"{text[left:right].strip()!r:.60}: unexpected character "
                              f"{text[bad_at]!r}; terms are '[+-] [number *] name', e.g. "
                              f"'qed + 0.3*plogp - 0.5*sa' (valid properties: "
                              f"{', '.join(list_properties())})")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return out


def parse_objective(text: str) -> WeightedSum:
    """Parse ``"[+-] [number *] name (+|- [number *] name)*"`` into a :class:`WeightedSum`.

    Whitespace is free; a name may appear more than once (its weights add up). No Python is
    evaluated: the only accepted tokens are numbers, property names, ``+``, ``-`` and ``*``.

    >>> parse_objective("qed + 0.3*plogp - 0.5 * sa").terms
    (Term(weight=1.0, name='qed'), Term(weight=0.3, name='plogp'), Term(weight=-0.5, name='sa'))
    >>> parse_objective("qed + 2*QED")
    Traceback (most recent call last):
    molvae.errors.UnknownPropertyError: objective 'qed + 2*QED': bad term '+ 2*QED': unknown property 'QED' ...
    """
    if not isinstance(text, str) or not text.strip():
        raise MolvaeError(f"empty objective {text!r}; give a property name such as 'qed' or a "
                          f"sum such as 'qed + 0.3*plogp - 0.5*sa'")
    tokens = _tokens(text)
    terms: list[Term] = []
    i = 0
    while i < len(tokens):
        start = i
        sign = 1.0
        if tokens[i][0] == "op" and tokens[i][1] in "+-":
            sign = -1.0 if tokens[i][1] == "-" else 1.0
            i += 1
        elif terms:  # between terms an operator is required
            raise MolvaeError(_bad_term(text, tokens, start, "expected + or - between terms"))
        weight = 1.0
        if i < len(tokens) and tokens[i][0] == "number":
            if i + 1 >= len(tokens) or tokens[i + 1][1] != "*":
                raise MolvaeError(_bad_term(text, tokens, start,
                                            "a number must be followed by '*' and a property name"))
            weight = float(tokens[i][1])
            i += 2
        if i >= len(tokens) or tokens[i][0] != "name":
            raise MolvaeError(_bad_term(text, tokens, start, "expected a property name"))
        name = tokens[i][1]
        i += 1
        try:
            get_property(name)
        except UnknownPropertyError as err:
            raise UnknownPropertyError(f"objective {text!r}: bad term "
                                       f"{_term_text(text, tokens, start, i)!r}: {err}") from None
        if not math.isfinite(weight):
            raise MolvaeError(_bad_term(text, tokens, start, "the weight is not a finite number"))
        terms.append(Term(sign * weight, name))
    return WeightedSum(tuple(terms), text.strip())


def _term_text(text: str, tokens: list[tuple[str, str, int]], start: int, stop: int) -> str:
    begin = tokens[start][2] if start < len(tokens) else len(text)
    end = tokens[stop - 1][2] + len(tokens[stop - 1][1]) if stop > start else len(text)
    return text[begin:end].strip() or text[begin:].strip()


def _bad_term(text: str, tokens: list[tuple[str, str, int]], start: int, why: str) -> str:
    # the bad term runs up to the next + or - operator
    stop = start + 1
    while stop < len(tokens) and not (tokens[stop][0] == "op" and tokens[stop][1] in "+-"):
        stop += 1
    bad = _term_text(text, tokens, start, min(stop, len(tokens)))
    return (f"cannot parse objective {text!r}: bad term {bad!r}: {why}; terms are "
            f"'[+-] [number *] name', e.g. 'qed + 0.3*plogp - 0.5*sa' (valid properties: "
            f"{', '.join(list_properties())})")


@dataclass(frozen=True)
class WeightedSum:
    """``sum(weight * property)`` over registered properties, computed with one parse per molecule.

    Invalid molecules give NaN.
    """

    terms: tuple[Term, ...]
    text: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.name for t in self.terms))

    def __call__(self, smiles: Sequence[str]) -> list[float]:
        table = compute_properties(list(smiles), self.names)
        total = np.zeros(len(table))
        for term in self.terms:
            total = total + term.weight * table[term.name].to_numpy(dtype=np.float64)
        return total.tolist()

    def __str__(self) -> str:
        return self.text or " + ".join(f"{t.weight:g}*{t.name}" for t in self.terms)


# --- objectives ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Objective:
    """A raw value per molecule (``fn``) and how it becomes a score to maximize.

    ``score = value`` by default, ``-value`` with ``minimize``, ``-|value - target|`` with a
    ``target``. ``properties`` names the registry properties ``fn`` computes (empty for a
    user's callable).
    """

    name: str
    fn: OracleFn
    minimize: bool = False
    target: float | None = None
    properties: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.minimize and self.target is not None:
            raise MolvaeError("give either minimize or a target value, not both")

    def __call__(self, smiles: Sequence[str]) -> list[float]:
        """Scores (to maximize) of ``smiles``; NaN for invalid ones."""
        return self.score(np.asarray(self.fn(list(smiles)), dtype=np.float64)).tolist()

    def score(self, values: np.ndarray | Sequence[float]) -> np.ndarray:
        """Raw values → scores to maximize (NumPy)."""
        values = np.asarray(values, dtype=np.float64)
        if self.target is not None:
            return -np.abs(values - self.target)
        return -values if self.minimize else values

    def score_torch(self, values):  # noqa: ANN001, ANN201 - torch is imported by callers
        """The same transform on a tensor, differentiable (smooth near the target)."""
        if self.target is not None:
            return -((values - self.target) ** 2 + 1e-4).sqrt()
        return -values if self.minimize else values

    @property
    def description(self) -> str:
        if self.target is not None:
            return f"-|{self.name} - {self.target:g}|"
        return f"-({self.name})" if self.minimize else self.name


def make_objective(spec: ObjectiveLike, *, minimize: bool = False,
                   target: float | None = None, name: str | None = None) -> Objective:
    """An :class:`Objective` from a property name, an expression, a callable or an Objective.

    ``"pmo:NAME"`` is one of the PMO benchmark's 23 oracles (:mod:`molvae.pmo`; the three
    classifier tasks need their files: build those with :func:`molvae.pmo.pmo_oracle`).

    >>> make_objective("sa", minimize=True).description
    '-(sa)'
    >>> make_objective(lambda smiles: [len(s) for s in smiles], name="length")(["CCO"])
    [3.0]
    """
    if isinstance(spec, Objective):
        if not minimize and target is None:
            return spec
        return Objective(name or spec.name, spec.fn, minimize=minimize, target=target,
                         properties=spec.properties)
    if isinstance(spec, str) and spec.strip().startswith("pmo:"):
        from molvae.pmo import pmo_oracle  # optional dependency: imported when asked for

        return Objective(name or spec.strip(), pmo_oracle(spec.strip()), minimize=minimize,
                         target=target)
    if isinstance(spec, str):
        weighted = parse_objective(spec)
        if len(weighted.terms) == 1 and weighted.terms[0].weight == 1.0:
            prop = weighted.terms[0].name
            return Objective(name or prop, weighted, minimize=minimize, target=target,
                             properties=(prop,))
        return Objective(name or str(weighted), weighted, minimize=minimize, target=target,
                         properties=weighted.names)
    if callable(spec):
        label = name or getattr(spec, "__name__", None) or type(spec).__name__
        if label == "<lambda>":
            label = "oracle"
        return Objective(label, spec, minimize=minimize, target=target)
    raise MolvaeError(f"an objective must be a property name, an expression such as "
                      f"'qed + 0.3*plogp' or a callable list[str] -> list[float]; got "
                      f"{type(spec).__name__}")
