r"""The operator vocabulary of convolution as SymPy objects: what the closed forms are written in.

Tensors are :class:`TensorSymbol`\ s carrying their *channel role* — indexed by
input channels (``i``, like the input ``x``), output channels (``o``, like δ
and the bias) or both (``oi``, like the weight ``W``) — and whether they have
spatial axes. The operators are unevaluated SymPy functions: they build
expressions that the evaluator (:mod:`symconv.algebra.evaluate`) computes on
instances and the printers (:mod:`symconv.printing`) print. Amounts (padding,
zero insertion, …) are SymPy expressions in the amount symbols of
:mod:`symconv.algebra.closed_forms`, or numbers.

- ``Conv(A, B, stride, dilation)``: cross-correlation of A with the kernel B,
  no padding — the note's ``*``; channels combine by role (see the evaluator);
- ``Pad(A, before, after)``: zeros around every spatial axis;
- ``Dilate(A, factor)``: ``factor − 1`` zeros between neighbouring entries;
- ``Rot180(A)``: every spatial axis reversed;
- ``Crop(A, before, after)``: entries removed at both ends of every spatial axis;
- ``Hadamard(A, B)``: the entrywise product ``A ⊙ B``;
- ``SumPositions(A)``: the sum over every spatial position;
- ``Im2col(A)`` / ``Col2im(M)``: the unrolled matrix X̂ of a tensor, and its
  adjoint, which folds a matrix back onto the input summing overlaps (evaluated
  on instances by :mod:`symconv.algebra.unrolled`).
"""

from __future__ import annotations

from typing import Any

import sympy as sp

ROLES = ("i", "o", "oi")


class TensorSymbol(sp.Symbol):  # type: ignore[misc]
    """A tensor in an operator formula: a name, a channel role and whether it has spatial axes."""

    role: str
    spatial: bool

    def __new__(cls, name: str, role: str, spatial: bool = True, **assumptions: Any) -> TensorSymbol:
        if role not in ROLES:
            raise ValueError(f"role {role!r} is not one of {ROLES}")
        obj = sp.Symbol.__xnew__(cls, name, **assumptions)  # not cached: the role is part of it
        obj.role = role
        obj.spatial = spatial
        return obj  # type: ignore[no-any-return]

    def __getnewargs_ex__(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (self.name, self.role, self.spatial), {}

    def _hashable_content(self) -> tuple[Any, ...]:
        return (*super()._hashable_content(), self.role, self.spatial)


# The tensors of one convolution layer, by the names verify's operator language uses.
X = TensorSymbol("x", "i")
W = TensorSymbol("W", "oi")
B = TensorSymbol("b", "o", spatial=False)
DELTA = TensorSymbol("delta", "o")
TENSORS: dict[str, TensorSymbol] = {t.name: t for t in (X, W, B, DELTA)}


class Operator(sp.Function):  # type: ignore[misc]
    """An operator of the vocabulary: an unevaluated SymPy function of tensors and amounts."""


class Conv(Operator):
    r"""``Conv(A, B, stride, dilation)``: cross-correlation without padding, the note's ``A \ast B``."""

    nargs = 4


class Pad(Operator):
    """``Pad(A, before, after)``: ``before`` zeros ahead of and ``after`` behind every spatial axis."""

    nargs = 3


class Dilate(Operator):
    """``Dilate(A, factor)``: ``factor − 1`` zeros inserted between neighbouring entries (zero insertion)."""

    nargs = 2


class Rot180(Operator):
    """``Rot180(A)``: A turned by 180°, every spatial axis reversed."""

    nargs = 1


class Crop(Operator):
    """``Crop(A, before, after)``: A without ``before`` entries at the start and ``after`` at the end."""

    nargs = 3


class Hadamard(Operator):
    """``Hadamard(A, B)``: the entrywise product ``A ⊙ B``."""

    nargs = 2


class SumPositions(Operator):
    """``SumPositions(A)``: the sum of A over every spatial position (keeps the channels)."""

    nargs = 1


class Im2col(Operator):
    """``Im2col(A)``: one row per output position, one column per (channel, tap): the note's X̂."""

    nargs = 1


class Col2im(Operator):
    """``Col2im(M)``: the adjoint of im2col, each entry added back to the input it was read from."""

    nargs = 1


# How the channels of a convolution's operands combine: (role of A, role of B) → role of the result.
CONV_ROLES: dict[tuple[str, str], str] = {
    ("i", "oi"): "o", ("o", "oi"): "i", ("i", "o"): "oi", ("o", "i"): "oi",
    ("oi", "i"): "o", ("oi", "o"): "i", ("i", "i"): "i", ("o", "o"): "o",
}


def role(expr: sp.Basic) -> tuple[str, bool]:
    """The channel role and spatial-ness of an operator expression (``ValueError`` if ill-formed)."""
    if isinstance(expr, TensorSymbol):
        return expr.role, expr.spatial
    if isinstance(expr, Conv):
        (a, _), (b, _) = role(expr.args[0]), role(expr.args[1])
        if (a, b) not in CONV_ROLES:
            raise ValueError(f"cannot convolve a tensor indexed by {a} with one indexed by {b}")
        return CONV_ROLES[(a, b)], True
    if isinstance(expr, SumPositions):
        return role(expr.args[0])[0], False
    if isinstance(expr, (Pad, Dilate, Rot180, Crop)):
        return role(expr.args[0])
    if isinstance(expr, (Hadamard, sp.Add)):
        parts = [role(a) for a in expr.args if a.has(TensorSymbol)]
        return parts[0][0], any(s for _, s in parts)
    if isinstance(expr, sp.Mul):
        tensors = [a for a in expr.args if a.has(TensorSymbol)]
        return role(tensors[0])
    raise ValueError(f"{expr} is not a tensor expression")
