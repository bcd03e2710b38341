"""The note's back-propagation through an activation: ``δ^l = (δ^{l+1} * rot180(W^{l+1})) ⊙ σ'(z^l)``.

The convolution is layer ``l+1``: its input is ``a^l = σ(z^l)`` and its output
is ``z^{l+1} = a^l * W^{l+1} + b``. With ``J = ½‖a^L − t‖²`` (the note writes
the target as ``y``; here it is ``t``, as ``y`` names the outputs) and the layer
taken as the last, ``δ^L = (a^L − t) ⊙ σ'(z^L)``. The product with σ' is
entrywise; ``δ^{l+1} * rot180(W)`` is the closed-form input gradient, which
needs a *full* convolution (δ padded by ``K − 1``), not the note's unpadded one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from symconv.symbolic.proof import Proof, prove_all
from symconv.symbolic.tensors import Tensor, entries, symbol_tensor, to_array

SIGMA = sp.Function("sigma")
_XI = sp.Symbol("xi")


def sigma_prime(at: sp.Expr) -> sp.Expr:
    """``σ'(at)``: SymPy's own derivative of σ, evaluated at ``at``."""
    if isinstance(at, sp.Symbol):
        return sp.Derivative(SIGMA(at), at)
    return sp.diff(SIGMA(_XI), _XI).subs(_XI, at)


def map_entries(f: object, t: Tensor) -> Tensor:
    out = np.empty(t.shape, dtype=object)
    for index in np.ndindex(*t.shape):
        out[index] = f(t[index])  # type: ignore[operator]
    return out


@dataclass(frozen=True)
class LayerChain:
    """Every quantity of the note's chain rule for one convolution layer (SymPy Arrays)."""

    z: sp.ImmutableDenseNDimArray  # z^l, shape of X
    a: sp.ImmutableDenseNDimArray  # a^l = σ(z^l): this layer's input
    z_next: sp.ImmutableDenseNDimArray  # z^{l+1} = a^l * W + b, shape of Y
    delta_next: sp.ImmutableDenseNDimArray  # δ^{l+1} (symbols)
    sigma_prime: sp.ImmutableDenseNDimArray  # σ'(z^l)
    delta: sp.ImmutableDenseNDimArray  # δ^l = (δ^{l+1} * rot180(W)) ⊙ σ'(z^l)
    target: sp.ImmutableDenseNDimArray  # t, the note's y

    @cached_property
    def J(self) -> sp.Expr:
        """``½ Σ (σ(z^{l+1}) − t)²``, taking this layer as the last."""
        pairs = zip(entries(self.z_next), entries(self.target))
        return sp.Rational(1, 2) * sp.Add(*[(SIGMA(zn) - t) ** 2 for zn, t in pairs])

    @cached_property
    def delta_last(self) -> sp.ImmutableDenseNDimArray:
        """``δ^L = (σ(z^L) − t) ⊙ σ'(z^L)`` (built on demand: the ``subs`` in σ' is slow)."""
        pairs = zip(entries(self.z_next), entries(self.target))
        values = [(SIGMA(zn) - t) * sigma_prime(zn) for zn, t in pairs]
        return sp.ImmutableDenseNDimArray(values, self.z_next.shape)

    def prove(self) -> Proof:
        """Differentiate J by every ``z^l`` entry (SymPy ``diff``) and compare with δ^l.

        δ^{l+1} is replaced by δ^L, the layer being the last. Only the terms of J
        that contain an entry are differentiated for it; still, this is a full
        symbolic differentiation through σ, meant for small specs.
        """
        replace = dict(zip(entries(self.delta_next), entries(self.delta_last)))
        terms = sp.Add.make_args(sp.expand(self.J, deep=False, mul=True, multinomial=False))
        by_diff, closed = [], []
        for z_j, delta_j in zip(entries(self.z), entries(self.delta)):
            related = [t for t in terms if t.has(z_j)]
            by_diff.append(sp.diff(sp.Add(*related), z_j))
            closed.append(delta_j.xreplace(replace))
        shape = self.z.shape
        return prove_all(
            "the chain δ^l = (δ^{l+1} * rot180(W)) ⊙ σ'(z^l) with J = ½‖a^L − t‖²",
            [("delta^l", np.array(by_diff, dtype=object).reshape(shape),
              np.array(closed, dtype=object).reshape(shape))],
        )


def layer_chain(x: Tensor, y: Tensor, delta: sp.ImmutableDenseNDimArray, grad_input: Tensor) -> LayerChain:
    """The chain for a convolution taken as layer ``l+1``: its input ``x`` and output ``y`` symbols,
    the upstream gradient ``delta`` and the closed-form input gradient (in ``x`` and ``delta``)."""
    z = symbol_tensor("z", x.shape, 1)
    a = map_entries(SIGMA, z)
    z_next = map_entries(lambda e: e.xreplace(dict(zip(x.flat, a.flat))), y)
    sig_p = map_entries(sigma_prime, z)
    delta_l = np.empty(z.shape, dtype=object)
    for index in np.ndindex(*z.shape):
        delta_l[index] = grad_input[index] * sig_p[index]
    target = symbol_tensor("t", y.shape, 1)
    return LayerChain(
        to_array(z), to_array(a), to_array(z_next), delta, to_array(sig_p), to_array(delta_l),
        to_array(target),
    )
