"""The bounded domain of a scalar check: each variable's smallest value, its SymPy symbol, and the
points to visit — smallest first, fixed and tied variables pinned, constrained ones computed."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import sympy as sp

from symconv.verify.constraints import Where
from symconv.verify.quantities import VARIABLES, ScalarQuantity


def smallest(var: str) -> int:
    """A variable's smallest meaningful value (a stack's ``k_2`` is a ``k``)."""
    base = var.split("_")[0] if var[0] in "ksdpc" and var[2:].isdigit() else var
    return VARIABLES.get(base, ("", 1))[1]


def symbol(var: str) -> sp.Symbol:
    """The SymPy symbol of a variable, with what is known about it (integer, sign)."""
    if smallest(var) == 0:
        return sp.Symbol(var, integer=True, nonnegative=True)
    return sp.Symbol(var, integer=True, positive=True)


@dataclass(frozen=True)
class Points:
    """The points of a bounded domain, smallest first, each a full assignment of the variables."""

    free: tuple[tuple[str, tuple[int, int]], ...]  # variable, (low, high)
    fixed: Mapping[str, int]
    order: tuple[str, ...]  # the free variables in the order that breaks ties
    tied: Mapping[str, str]  # variable → the free variable it equals
    where: Where | None = None  # constraints: the variables they set and the points they allow

    @property
    def size(self) -> int:
        """How many points the free ranges hold (before the constraints leave any out)."""
        return math.prod(hi - lo + 1 for _, (lo, hi) in self.free)

    def walk(self) -> Iterator[dict[str, int] | str]:
        """Every point of the free ranges, smallest first: its full assignment, or why the constraints
        leave it out (``"set"``: a set variable has no valid value; ``"filter"``: a condition fails)."""
        names = [v for v, _ in self.free]
        grids = [range(lo, hi + 1) for _, (lo, hi) in self.free]
        minimum = {v: smallest(v) for v, _ in self.where.sets} if self.where is not None else {}
        for combo in sorted(itertools.product(*grids), key=lambda c: (sum(c), c)):
            env = {**self.fixed, **dict(zip(names, combo))}
            if self.where is None:
                env.update({v: env[t] for v, t in self.tied.items()})
                yield env
            else:
                left_out = self.where.apply(env, minimum, self.tied)
                yield left_out or env


MAX_POINTS = 1_000_000
"""The most points of a domain a check visits (a wider --domain is refused before any work)."""


def points(
    q: ScalarQuantity, fixed: Mapping[str, int], tied: Mapping[str, str],
    ranges: Mapping[str, tuple[int, int]] | None = None, where: Where | None = None,
) -> Points:
    """The bounded domain of ``q``: ``fixed`` variables pinned, ``tied`` ones equal to another,
    those ``where`` sets computed, the others over ``ranges`` (the quantity's own by default)."""
    ranges = q.ranges if ranges is None else ranges
    pinned = dict(fixed)
    set_by_where = {v for v, _ in where.sets} if where is not None else set()
    links = {}
    for v, target in tied.items():
        if v in q.variables and target in q.variables and v not in fixed and v not in set_by_where:
            if target in fixed:
                pinned[v] = fixed[target]
            else:
                links[v] = target
    free = tuple((v, ranges[v]) for v in q.variables
                 if v not in pinned and v not in links and v not in set_by_where)
    return Points(free, pinned, tuple(v for v, _ in free), links, where)
