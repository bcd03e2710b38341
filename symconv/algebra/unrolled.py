r"""The unrolled (im2col) view of a convolution on instances: X̂, K̂, col2im, and the products.

In the note's layout X̂ = im2col(X) has one row per output position (row-major)
and one column per (input channel, kernel tap), channel-major; K̂ has one
column per output channel and zeros where a channel lies outside the output
channel's group, so ``Ŷ = X̂·K̂`` is one product. Its transpose gives the
gradients: with ``δ̂`` the upstream gradient laid out like Ŷ,

- ``∂J/∂K̂ = X̂ᵀ δ̂`` (the weight gradient, read inside the group blocks), and
- ``∂J/∂X̂ = δ̂ K̂ᵀ``, which :func:`col2im` folds back onto the input, summing
  the entries of every window that read the same input position — the note's
  ``(∂z^{l+1}/∂z^l)^T δ^{l+1}``.

Entries may be SymPy expressions or Polys; which input each (position, tap)
reads is the spec's index algebra.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp

from symconv.algebra.evaluate import Tensor, add_all
from symconv.spec import ConvSpec


def _read(spec: ConvSpec, position: tuple[int, ...], tap: tuple[int, ...]) -> tuple[int, ...] | None:
    """The input index the ``tap`` of the output at ``position`` reads, None in the padding."""
    index = tuple(int(i) for i in spec.input_index(position, tap))
    return index if all(0 <= i < n for i, n in zip(index, spec.sizes)) else None


def reads(spec: ConvSpec) -> list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...] | None]]:
    """(position, tap, input index or None in the padding) in X̂'s row-major order of both."""
    return [(position, tap, _read(spec, position, tap))
            for position in np.ndindex(*spec.output_size) for tap in np.ndindex(*spec.kernel)]


def im2col(spec: ConvSpec, x: Tensor, rows: Sequence[int] | None = None) -> Tensor:
    """X̂: ``Π out`` rows by ``C_in · Π k`` columns (zeros where a tap reads the padding).

    ``rows`` keeps only those rows of X̂, in that order (a picture of a large layer draws its corners).
    """
    taps = spec.taps
    chosen = range(int(np.prod(spec.output_size))) if rows is None else rows
    out = np.empty((len(chosen), spec.in_channels * taps), dtype=object)
    out.fill(sp.S.Zero)
    for i, row in enumerate(chosen):
        position = tuple(int(v) for v in np.unravel_index(row, spec.output_size))
        for t, tap in enumerate(np.ndindex(*spec.kernel)):
            index = _read(spec, position, tap)
            if index is not None:
                for c in range(spec.in_channels):
                    out[i, c * taps + t] = x[(c, *index)]
    return out


def col2im(spec: ConvSpec, columns: Tensor) -> Tensor:
    """The adjoint of im2col: every entry added back to the input it was read from, overlaps summed."""
    taps = spec.taps
    parts: dict[tuple[int, ...], list[Any]] = {}
    for k, (_, _, index) in enumerate(reads(spec)):
        row, tap = divmod(k, taps)
        if index is not None:
            for c in range(spec.in_channels):
                parts.setdefault((c, *index), []).append(columns[row, c * taps + tap])
    out = np.empty((spec.in_channels, *spec.sizes), dtype=object)
    for index in np.ndindex(*out.shape):
        out[index] = add_all(parts.get(index, []))
    return out


def kernel_matrix(spec: ConvSpec, w: Tensor) -> Tensor:
    """K̂: ``C_in · Π k`` rows by ``C_out`` columns, zero outside each output channel's group."""
    out = np.empty((spec.in_channels * spec.taps, spec.out_channels), dtype=object)
    out.fill(sp.S.Zero)
    for c in range(spec.in_channels):
        readers = spec.outputs_of_input(c)
        within = c - spec.first_input_channel(readers[0])
        for t, tap in enumerate(np.ndindex(*spec.kernel)):
            for o in readers:
                out[c * spec.taps + t, o] = w[(o, within, *tap)]
    return out


def kernel_of(spec: ConvSpec, k_hat: Tensor) -> Tensor:
    """The weight ``(C_out, C_in/g, *k)`` read back from a matrix laid out like K̂ (its group blocks)."""
    out = np.empty((spec.out_channels, spec.group_in, *spec.kernel), dtype=object)
    for o in range(spec.out_channels):
        first = spec.first_input_channel(o)
        for within in range(spec.group_in):
            for t, tap in enumerate(np.ndindex(*spec.kernel)):
                out[(o, within, *tap)] = k_hat[(first + within) * spec.taps + t, o]
    return out


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """The product of two 2-D object arrays, each entry one sum (zeros skipped)."""
    out = np.empty((a.shape[0], b.shape[1]), dtype=object)
    columns = [[(k, b[k, j]) for k in range(b.shape[0]) if b[k, j] != 0] for j in range(b.shape[1])]
    for i in range(a.shape[0]):
        row = a[i]
        for j, column in enumerate(columns):
            out[i, j] = add_all([row[k] * v for k, v in column if row[k] != 0])
    return out


def columns_gradient(spec: ConvSpec, delta: Tensor, w: Tensor) -> Tensor:
    """``∂J/∂X̂ = δ̂ K̂ᵀ``: the error laid out like Ŷ times the transposed kernel matrix."""
    k_hat = kernel_matrix(spec, w)
    return matmul(unroll_output(delta), np.ascontiguousarray(k_hat.T))


def input_gradient(spec: ConvSpec, delta: Tensor, w: Tensor) -> Tensor:
    """``∂J/∂X = col2im(δ̂ K̂ᵀ)``: the gradient of X̂ folded back onto the input, overlaps summed."""
    return col2im(spec, columns_gradient(spec, delta, w))


def weight_gradient(spec: ConvSpec, x: Tensor, delta: Tensor) -> Tensor:
    """``∂J/∂W``: ``X̂ᵀ δ̂`` read inside K̂'s group blocks, in the weight's layout."""
    x_hat = im2col(spec, x)
    return kernel_of(spec, matmul(np.ascontiguousarray(x_hat.T), unroll_output(delta)))


def unroll_output(y: Tensor) -> Tensor:
    """A tensor laid out like Y ``(C_out, *out)`` as a matrix like Ŷ (positions × C_out)."""
    return np.ascontiguousarray(y.reshape(y.shape[0], -1).T)


def roll_output(y_hat: Tensor, spec: ConvSpec) -> Tensor:
    """A matrix like Ŷ back in Y's layout ``(C_out, *out)``."""
    return np.ascontiguousarray(y_hat.T).reshape((spec.out_channels, *spec.output_size))
