"""The size and index algebra of a convolution, per spatial dimension, generic over ints and SymPy.

Every formula about sizes and indices is written here once; :class:`ConvSpec`
applies them to its numbers, code generation prints them over symbols for the
run-time sizes (``in_h``…), the index formulas use them over symbols for every
hyper-parameter. Each function takes plain ints *or* SymPy expressions and
returns the same kind: with ints the result is an exact int, with symbols a
SymPy expression (``floor`` for the integer division).

For one dimension with input size ``n``, kernel ``k``, stride ``s``, dilation
``d`` and ``before`` / ``after`` zeros of padding:

- effective kernel (the dilated kernel's span) ``E = k + (k − 1)(d − 1) = d(k − 1) + 1``;
- padded size ``n + before + after``;
- output size ``floor((n + before + after − E)/s) + 1``;
- output position ``i`` and tap ``u`` read input index ``s·i + d·u − before``
  (outside ``0 … n−1`` it reads the padding's zero);
- the input sizes with output size ``m`` are ``(m − 1)s + E − before − after``
  and the ``s − 1`` sizes after it (those of them that are ≥ 1).

Channels: with ``G`` groups, output channel ``o`` is in group ``o // (C_out/G)``
and reads the ``C_in/G`` input channels from ``group·C_in/G`` on.

Example:
    >>> output_size(7, 3, 2, 1, 1, 1)
    4
    >>> import sympy as sp
    >>> n, k, s, p, d = sp.symbols("n k s p d", integer=True, positive=True)
    >>> output_size(n, k, s, p, p, d)
    floor((-d*(k - 1) + n + 2*p - 1)/s) + 1
    >>> input_index(sp.Symbol("i"), sp.Symbol("u"), s, d, p)
    d*u + i*s - p
"""

from __future__ import annotations

from typing import TypeVar, Union

import sympy as sp

Size = Union[int, sp.Expr]
S = TypeVar("S", int, sp.Expr)


def _is_int(*values: object) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def floor_div(a: Size, b: Size) -> Size:
    """``floor(a / b)``: Python's ``//`` on ints, SymPy's ``floor`` otherwise."""
    if _is_int(a, b):
        return int(a) // int(b)
    return sp.floor(sp.sympify(a) / b)


def maximum(a: Size, b: Size) -> Size:
    """``max(a, b)``: Python's on ints, SymPy's ``Max`` otherwise."""
    if _is_int(a, b):
        return max(int(a), int(b))
    return sp.Max(a, b)


def effective_kernel(k: Size, d: Size) -> Size:
    """The span of a kernel of ``k`` taps with dilation ``d``: ``d(k − 1) + 1``."""
    return d * (k - 1) + 1


def dilated_size(n: Size, factor: Size) -> Size:
    """``n`` entries with ``factor − 1`` zeros between neighbours: ``(n − 1)·factor + 1`` (a dilated span)."""
    return effective_kernel(n, factor)


def padded_size(n: Size, before: Size, after: Size) -> Size:
    """The input's size with the padding: ``n + before + after``."""
    return n + before + after


def output_numerator(n: Size, k: Size, before: Size, after: Size, d: Size) -> Size:
    """``n + before + after − E``: the output exists (is ≥ 1 long) exactly when this is ≥ 0."""
    return padded_size(n, before, after) - effective_kernel(k, d)


def output_size(n: Size, k: Size, s: Size, before: Size, after: Size, d: Size) -> Size:
    """``floor((n + before + after − d(k − 1) − 1)/s) + 1``: the positions the kernel fits in."""
    return floor_div(output_numerator(n, k, before, after, d), s) + 1


def smallest_input_size(m: Size, k: Size, s: Size, before: Size, after: Size, d: Size) -> Size:
    """The smallest input size (≥ 1) whose output size is ``m``, if any has it.

    The sizes with output ``m`` are ``(m − 1)s + E − before − after`` and the
    ``s − 1`` after it; sizes below 1 do not exist, so the smallest is the
    larger of that and 1 — which has output size ``m`` only if ``m`` is an
    output size at all (check with :func:`output_size`).
    """
    return maximum(1, (m - 1) * s + effective_kernel(k, d) - before - after)


def input_index(i: Size, u: Size, s: Size, d: Size, before: Size) -> Size:
    """The unpadded input index output position ``i`` reads through tap ``u``: ``s·i + d·u − before``."""
    return s * i + d * u - before


def tap_offset(u: Size, d: Size, before: Size) -> Size:
    """Where tap ``u`` reads relative to ``s·i``: ``d·u − before`` (the index at ``i = 0``)."""
    return input_index(0, u, 0, d, before)


# -- channels and groups ------------------------------------------------------------------------


def group_of_output(o: Size, group_out: Size) -> Size:
    """The group of output channel ``o``: ``o // (C_out/G)``."""
    return floor_div(o, group_out)


def group_of_input(c: Size, group_in: Size) -> Size:
    """The group of input channel ``c``: ``c // (C_in/G)``."""
    return floor_div(c, group_in)


def first_input_channel(o: Size, group_in: Size, group_out: Size) -> Size:
    """The first input channel output channel ``o`` reads: ``group(o) · C_in/G``."""
    return group_of_output(o, group_out) * group_in


def first_output_channel(c: Size, group_in: Size, group_out: Size) -> Size:
    """The first output channel whose weights read input channel ``c``: ``group(c) · C_out/G``."""
    return group_of_input(c, group_in) * group_out


def input_channel(o: Size, c: Size, group_in: Size, group_out: Size) -> Size:
    """The input channel that weight ``W[o, c, …]`` multiplies: ``group(o) · C_in/G + c``."""
    return first_input_channel(o, group_in, group_out) + c


# -- the gather form of grad_input --------------------------------------------------------------


def residue_count(n: Size, r: Size, s: Size) -> Size:
    """How many of ``0 … n−1`` are ``≡ r (mod s)``, for ``0 ≤ r < s``: ``floor((n − r + s − 1)/s)``.

    The numerator is ≥ ``n`` > 0, so the division is exact floor in C too.
    """
    return floor_div(n - r + s - 1, s)


def output_position(q: Size, r: Size, u: Size, s: Size, d: Size, before: Size) -> Size:
    """The output position reading input ``j = s·q + r`` through tap ``u``: ``q + (r − d·u + before)/s``.

    :func:`input_index` solved for the position; it is an integer exactly when
    ``s`` divides ``r − d·u + before`` (the tap reads residue ``r``), and a
    position only when it lies in ``0 … out − 1``.
    """
    return q + (r - tap_offset(u, d, before)) / s
