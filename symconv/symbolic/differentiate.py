"""Gradients by differentiation: the ground truth the closed forms are proved against.

With upstream gradient δ = ∂J/∂Y, the gradient of anything Y depends on is the
derivative of ``L = Σ δ ⊙ Y``. Differentiation is linear, so ``∂L/∂v`` is
``Σ_i δ_i · ∂t/∂v`` over the terms ``t`` of ``Y_i`` in which ``v`` occurs
(every other term has derivative zero). Y is linear in each symbol, so a term
is a product in which ``v`` occurs once, and ``∂t/∂v`` is read off as the
product of the other factors; any other shape of term goes to SymPy's ``diff``.
Skipping the terms without ``v`` and reading products structurally is what
makes large specs fast (``sympy.diff`` of J per symbol takes minutes), and both
are exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import sympy as sp

from symconv.algebra import polynomial
from symconv.algebra.polynomial import Poly
from symconv.symbolic.tensors import Tensor


def partial(term: sp.Expr, v: sp.Symbol) -> sp.Expr:
    """``∂term/∂v`` for one term of a sum: structural for ``v`` and ``c·v``, else ``sympy.diff``."""
    if term == v:
        return sp.S.One
    if isinstance(term, sp.Mul):
        rest = [f for f in term.args if f != v]
        if len(rest) == len(term.args) - 1 and not any(f.has(v) for f in rest):
            return sp.Mul(*rest)
    return sp.diff(term, v)


def gradients(y: Tensor, delta: Tensor, wrt: Iterable[Tensor]) -> list[Tensor]:
    """``∂(Σ δ ⊙ y)/∂v`` for every symbol ``v`` of each tensor in ``wrt``, in its shape.

    Entries may be SymPy expressions or Polys (then every symbol is a one-generator Poly).
    """
    targets = list(wrt)
    if any(isinstance(v, Poly) for t in targets for v in t.flat):
        return _poly_gradients(y, delta, targets)
    wanted = {v for t in targets for v in t.flat}
    parts: defaultdict[sp.Symbol, list[sp.Expr]] = defaultdict(list)
    for y_i, delta_i in zip(y.flat, delta.flat):
        for term in sp.Add.make_args(y_i):
            for v in term.free_symbols & wanted:
                parts[v].append(delta_i * partial(term, v))
    out = []
    for t in targets:
        g = np.empty(t.shape, dtype=object)
        for index in np.ndindex(*t.shape):
            g[index] = sp.Add(*parts.get(t[index], ()))
        out.append(g)
    return out


def _poly_gradients(y: Tensor, delta: Tensor, targets: list[Tensor]) -> list[Tensor]:
    """:func:`gradients` on Poly entries: the same structural derivative, on dicts."""
    wanted = [polynomial.generator(v) for t in targets for v in t.flat]
    entries = [Poly.coerce(e) for e in y.flat]
    found = polynomial.gradients([e if e is not None else Poly() for e in entries], list(delta.flat), wanted)
    out = []
    for t in targets:
        g = np.empty(t.shape, dtype=object)
        for index, symbol in zip(np.ndindex(*t.shape), t.flat):
            g[index] = found[polynomial.generator(symbol)]
        out.append(g)
    return out
