"""Gradients by differentiation: the ground truth the closed forms are proved against.

With upstream gradient δ = ∂J/∂Y, the gradient of anything Y depends on is the
derivative of ``L = Σ δ ⊙ Y``. Differentiation is linear, so ``∂L/∂v`` is
``Σ_i δ_i · ∂t/∂v`` over the terms ``t`` of ``Y_i`` in which ``v`` occurs
(every other term has derivative zero). Each ``∂t/∂v`` is SymPy's ``diff``;
skipping the terms without ``v`` is what makes large specs fast, and is exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import sympy as sp

from symconv.symbolic.tensors import Tensor


def gradients(y: Tensor, delta: Tensor, wrt: Iterable[Tensor]) -> list[Tensor]:
    """``∂(Σ δ ⊙ y)/∂v`` for every symbol ``v`` of each tensor in ``wrt``, in its shape."""
    targets = list(wrt)
    wanted = {v for t in targets for v in t.flat}
    parts: defaultdict[sp.Symbol, list[sp.Expr]] = defaultdict(list)
    for y_i, delta_i in zip(y.flat, delta.flat):
        for term in sp.Add.make_args(y_i):
            for v in term.free_symbols & wanted:
                parts[v].append(delta_i * sp.diff(term, v))
    out = []
    for t in targets:
        g = np.empty(t.shape, dtype=object)
        for index in np.ndindex(*t.shape):
            g[index] = sp.Add(*parts.get(t[index], ()))
        out.append(g)
    return out
