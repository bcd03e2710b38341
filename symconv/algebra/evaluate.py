"""The evaluator of the operator vocabulary on instances: exact, group-aware, 1–3-D.

A :class:`Value` is an object array of SymPy expressions whose leading axes are
channels (by role: ``i``, ``o`` or ``oi``) and whose other axes are spatial.
Entries are SymPy expressions, or :class:`~symconv.algebra.polynomial.Poly`
for fast exact proofs on large instances; the arithmetic is the same. The
functions here compute each operator on Values; :func:`evaluate` walks an
operator expression (:mod:`symconv.algebra.operators`) and calls them. The
closed forms are proved with it, and ``symconv verify`` evaluates claims with
the same functions.

How ``conv`` combines channels (``G`` groups; ``first(o)`` is output channel
``o``'s first input channel, from the spec's group map):

- ``(i, oi) → o``:  ``Σ_c conv(A[first(o) + c], B[o, c])`` — the forward pass;
- ``(o, oi) → i``:  ``Σ_{o ∈ group(c)} conv(A[o], B[o, c − first(o)])`` — the input gradient;
- ``(i, o) → oi``:  ``conv(A[first(o) + c], B[o])`` — the weight gradient;
- the mirrored pairs likewise; equal roles go channel by channel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from symconv import sizes
from symconv.algebra import operators as op
from symconv.algebra.polynomial import Poly
from symconv.spec import ConvSpec

Tensor = np.ndarray  # an object array of SymPy expressions
Amount = tuple[int, ...]  # one whole number per spatial axis


class EvaluationError(ValueError):
    """An operator expression has no value on this instance (shapes that do not fit, …)."""


def add_all(parts: Sequence[Any]) -> Any:
    """The sum of entries in one step: one flat SymPy ``Add``, or one Poly when the entries are Polys."""
    if any(isinstance(p, Poly) for p in parts):
        return Poly.add_all(parts)
    return sp.Add(*parts)


def zeros(shape: Sequence[int]) -> Tensor:
    """A tensor of SymPy zeros."""
    out = np.empty(tuple(shape), dtype=object)
    out.fill(sp.S.Zero)
    return out


def _shape(shape: Sequence[int]) -> str:
    return "×".join(str(n) for n in shape) if len(shape) else "a scalar"


# -- one channel --------------------------------------------------------------------------------


def pad(a: Tensor, before: Amount, after: Amount) -> Tensor:
    """``a`` with ``before`` zeros ahead of and ``after`` behind every axis."""
    out = zeros(tuple(n + x + y for n, x, y in zip(a.shape, before, after)))
    out[tuple(slice(x, x + n) for x, n in zip(before, a.shape))] = a
    return out


def dilate(a: Tensor, factor: Amount) -> Tensor:
    """``a`` with ``factor − 1`` zeros inserted between neighbouring entries on every axis."""
    out = zeros(tuple(int(sizes.dilated_size(n, s)) for n, s in zip(a.shape, factor)))
    out[tuple(slice(None, None, s) for s in factor)] = a
    return out


def rot180(a: Tensor) -> Tensor:
    """``a`` turned by 180°: every axis reversed."""
    return a[(slice(None, None, -1),) * a.ndim].copy()


def crop(a: Tensor, before: Amount, after: Amount) -> Tensor:
    """``a`` without ``before`` entries at the start and ``after`` at the end of each axis."""
    if any(x + y >= n for x, y, n in zip(before, after, a.shape)):
        raise EvaluationError(
            f"crop() by {format_amount(before)} and {format_amount(after)} leaves nothing of shape "
            f"{_shape(a.shape)}"
        )
    return a[tuple(slice(x, n - y) for x, y, n in zip(before, after, a.shape))].copy()


def correlate(a: Tensor, b: Tensor, stride: Amount, dilation: Amount) -> Tensor:
    """Cross-correlation of ``a`` with the kernel ``b``, no padding: ``out[i] = Σ_u b[u]·a[i·s + u·d]``."""
    out_shape = tuple(
        int(sizes.output_size(n, k, s, 0, 0, d)) for n, k, s, d in zip(a.shape, b.shape, stride, dilation)
    )
    if any(n < 1 for n in out_shape):
        raise EvaluationError(
            f"conv(): the kernel of shape {_shape(b.shape)} (dilation {format_amount(dilation)}) does not "
            f"fit the input of shape {_shape(a.shape)}"
        )
    shifted = []
    for tap in np.ndindex(*b.shape):
        weight = b[tap]
        if weight == 0:
            continue
        window = tuple(
            slice(u * d, u * d + (o - 1) * s + 1, s) for u, d, o, s in zip(tap, dilation, out_shape, stride)
        )
        # weight on the left, entry by entry: a Poly weight then meets the SymPy zeros of padding
        shifted.append(np.multiply(weight, a[window], dtype=object))
    out = np.empty(out_shape, dtype=object)
    for index in np.ndindex(*out_shape):
        out[index] = add_all([t[index] for t in shifted])
    return out


def format_amount(values: Sequence[object]) -> str:
    """One number when every dimension agrees (``2``), else a tuple (``(1, 2)``)."""
    shown = [str(v) for v in values]
    return shown[0] if len(set(shown)) == 1 else "(" + ", ".join(shown) + ")"


# -- channels -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """A tensor on an instance: channel axes (by ``role``) first, then spatial axes (if ``spatial``)."""

    data: Tensor
    role: str
    spatial: bool = True

    @property
    def channel_axes(self) -> int:
        return len(self.role)

    def per_channel(self, f: Callable[[Tensor], Tensor]) -> Value:
        """Apply ``f`` to every channel's spatial array."""
        lead = self.data.shape[:self.channel_axes]
        return Value(stack(lead, {index: f(self.data[index]) for index in np.ndindex(*lead)}), self.role)


def stack(lead: tuple[int, ...], parts: Mapping[tuple[int, ...], Tensor]) -> Tensor:
    """One array from per-channel arrays of equal shape."""
    shapes = {p.shape for p in parts.values()}
    if len(shapes) > 1:
        raise EvaluationError(f"the channels have different shapes {sorted(shapes)}")
    inner = shapes.pop() if shapes else ()
    out = np.empty((*lead, *inner), dtype=object)
    for index, part in parts.items():
        out[index] = part
    return out


def total(parts: list[Tensor]) -> Tensor:
    """The entrywise sum of equally shaped tensors, each entry one flat ``Add``."""
    if len({p.shape for p in parts}) > 1:
        raise EvaluationError("conv(): the channels give different shapes")
    out = np.empty(parts[0].shape, dtype=object)
    for index in np.ndindex(*out.shape):
        out[index] = add_all([p[index] for p in parts])
    return out


def conv(spec: ConvSpec, a: Value, b: Value, stride: Amount, dilation: Amount) -> Value:
    """``conv`` of two Values, the channels combined by role (see the module docstring)."""
    pair = (a.role, b.role)
    if pair not in op.CONV_ROLES or not (a.spatial and b.spatial):
        raise EvaluationError(f"conv() of tensors indexed by {a.role} and {b.role} is not defined")
    result = op.CONV_ROLES[pair]
    gi = spec.group_in

    def one(x: Tensor, w: Tensor) -> Tensor:
        return correlate(x, w, stride, dilation)

    A, B = a.data, b.data
    parts: dict[tuple[int, ...], Tensor] = {}
    if pair in (("i", "oi"), ("oi", "i")):
        for o in range(spec.out_channels):
            parts[(o,)] = total([
                one(A[spec.input_channel(o, c)], B[o, c]) if pair == ("i", "oi")
                else one(A[o, c], B[spec.input_channel(o, c)])
                for c in range(gi)
            ])
    elif pair in (("o", "oi"), ("oi", "o")):
        for c in range(spec.in_channels):
            readers = spec.outputs_of_input(c)
            within = c - spec.first_input_channel(readers[0])
            parts[(c,)] = total([
                one(A[o], B[o, within]) if pair == ("o", "oi") else one(A[o, within], B[o])
                for o in readers
            ])
    elif pair in (("i", "o"), ("o", "i")):
        for o in range(spec.out_channels):
            for c in range(gi):
                x = spec.input_channel(o, c)
                parts[(o, c)] = one(A[x], B[o]) if pair == ("i", "o") else one(A[o], B[x])
    else:  # equal roles: channel by channel
        for index in np.ndindex(*A.shape[:a.channel_axes]):
            parts[index] = one(A[index], B[index])
    lead = {"oi": (spec.out_channels, gi), "o": (spec.out_channels,), "i": (spec.in_channels,)}[result]
    return Value(stack(lead, parts), result)


def sum_positions(a: Value) -> Value:
    """The sum over every spatial position, channel by channel."""
    lead = a.data.shape[:a.channel_axes]
    out = np.empty(lead, dtype=object)
    for index in np.ndindex(*lead):
        out[index] = add_all(list(a.data[index].flat))
    return Value(out, a.role, False)


def entrywise(f: Callable[[sp.Expr, sp.Expr], sp.Expr], a: Value, b: Value) -> Value:
    """``f`` entry by entry; a tensor without spatial axes is broadcast over the other's."""
    if a.role != b.role:
        raise EvaluationError("the operands are indexed by different channels")
    if a.spatial == b.spatial:
        if a.data.shape != b.data.shape:
            raise EvaluationError(f"the shapes {_shape(a.data.shape)} and {_shape(b.data.shape)} differ")
        out = np.empty(a.data.shape, dtype=object)
        for index in np.ndindex(*out.shape):
            out[index] = f(a.data[index], b.data[index])
        return Value(out, a.role, a.spatial)
    big, small = (a, b) if a.spatial else (b, a)
    lead = big.data.shape[:big.channel_axes]
    out = np.empty(big.data.shape, dtype=object)
    for index in np.ndindex(*out.shape):
        pair = (big.data[index], small.data[index[:len(lead)]])
        out[index] = f(*pair) if big is a else f(pair[1], pair[0])
    return Value(out, a.role, True)


# -- expressions --------------------------------------------------------------------------------


def amount(expr: sp.Expr, amounts: Mapping[sp.Symbol, Amount], ndim: int) -> Amount:
    """An amount expression as one whole number per spatial axis, the amount symbols filled in."""
    values = []
    for axis in range(ndim):
        v = sp.sympify(expr).xreplace({s: sp.Integer(a[axis]) for s, a in amounts.items()})
        if not v.is_Integer:
            raise EvaluationError(f"the amount {expr} is not a whole number here ({v})")
        values.append(int(v))
    return tuple(values)


def evaluate(
    expr: sp.Expr,
    spec: ConvSpec,
    tensors: Mapping[op.TensorSymbol, Tensor],
    amounts: Mapping[sp.Symbol, Amount],
    cache: dict[sp.Basic, Value] | None = None,
) -> Value:
    """The value of an operator expression on one instance.

    ``tensors`` binds each TensorSymbol to its array (channel axes first);
    ``amounts`` binds the amount symbols to one number per spatial axis.
    ``cache``, if given, keeps the value of every sub-expression across calls
    with the same bindings (the steps of a closed form share their insides).
    """
    ndim = spec.ndim
    memo: dict[sp.Basic, Value] = {} if cache is None else cache

    def walk(e: sp.Basic) -> Value:
        if e not in memo:
            memo[e] = compute(e)
        return memo[e]

    def compute(e: sp.Basic) -> Value:
        if isinstance(e, op.TensorSymbol):
            return Value(tensors[e], e.role, e.spatial)
        if isinstance(e, op.Conv):
            a, b = walk(e.args[0]), walk(e.args[1])
            return conv(spec, a, b, amount(e.args[2], amounts, ndim), amount(e.args[3], amounts, ndim))
        if isinstance(e, op.Pad):
            before, after = (amount(x, amounts, ndim) for x in e.args[1:])
            return walk(e.args[0]).per_channel(lambda t: pad(t, before, after))
        if isinstance(e, op.Crop):
            before, after = (amount(x, amounts, ndim) for x in e.args[1:])
            return walk(e.args[0]).per_channel(lambda t: crop(t, before, after))
        if isinstance(e, op.Dilate):
            factor = amount(e.args[1], amounts, ndim)
            return walk(e.args[0]).per_channel(lambda t: dilate(t, factor))
        if isinstance(e, op.Rot180):
            return walk(e.args[0]).per_channel(rot180)
        if isinstance(e, op.SumPositions):
            return sum_positions(walk(e.args[0]))
        if isinstance(e, op.Hadamard):
            return entrywise(lambda x, y: x * y, walk(e.args[0]), walk(e.args[1]))
        if isinstance(e, sp.Add):
            parts = [walk(a) for a in e.args]
            out = parts[0]
            for p in parts[1:]:
                out = entrywise(lambda x, y: x + y, out, p)
            return out
        if isinstance(e, sp.Mul):
            scalars = [a for a in e.args if not a.has(op.TensorSymbol)]
            (tensor,) = [a for a in e.args if a.has(op.TensorSymbol)]
            value = walk(tensor)
            return Value(value.data * sp.Mul(*scalars), value.role, value.spatial)
        raise EvaluationError(f"{e} is not an operator expression")

    return walk(expr)
