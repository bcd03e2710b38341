"""The unrolled (im2col) form Ŷ = X̂·K̂ in the note's layout.

X̂ has one row per output position (row-major) and one column per kernel tap,
channel-major, then row-major taps, over all input channels. K̂ has one column
per output channel; with groups it holds zeros where a channel lies outside the
output channel's group, so Ŷ = X̂·K̂ stays one product.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from symconv.algebra.evaluate import add_all
from symconv.spec import ConvSpec
from symconv.symbolic.forward import input_value, padded_index
from symconv.symbolic.tensors import Tensor


def unroll_input(spec: ConvSpec, x: Tensor) -> sp.ImmutableMatrix:
    """X̂: ``Π out`` rows by ``C_in · Π k`` columns."""
    return sp.ImmutableMatrix(input_rows(spec, x))


def input_rows(spec: ConvSpec, x: Tensor) -> list[list[sp.Expr]]:
    """The rows of X̂ as lists (entries of any kind: SymPy or Poly)."""
    taps = list(np.ndindex(*spec.kernel))
    return [
        [
            input_value(spec, x, c, padded_index(spec, position, tap))
            for c in range(spec.in_channels)
            for tap in taps
        ]
        for position in np.ndindex(*spec.output_size)
    ]


def unroll_kernel(spec: ConvSpec, w: Tensor) -> sp.ImmutableMatrix:
    """K̂: ``C_in · Π k`` rows by ``C_out`` columns, zero outside each output channel's group."""
    return sp.ImmutableMatrix(kernel_rows(spec, w))


def kernel_rows(spec: ConvSpec, w: Tensor) -> list[list[sp.Expr]]:
    """The rows of K̂ as lists (entries of any kind: SymPy or Poly)."""
    taps = list(np.ndindex(*spec.kernel))
    rows = []
    for c in range(spec.in_channels):
        readers = spec.outputs_of_input(c)
        within = c - spec.first_input_channel(readers[0])
        for tap in taps:
            rows.append([
                w[(o, within, *tap)] if o in readers else sp.S.Zero for o in range(spec.out_channels)
            ])
    return rows


def product(spec: ConvSpec, x: Tensor, w: Tensor) -> Tensor:
    """Ŷ = X̂·K̂ rearranged to Y's layout ``(C_out, *out)``, summed directly (any entry kind)."""
    rows, columns = input_rows(spec, x), kernel_rows(spec, w)
    out = np.empty((spec.out_channels, len(rows)), dtype=object)
    for o in range(spec.out_channels):
        column = [(j, row[o]) for j, row in enumerate(columns) if row[o] != 0]
        for i, row in enumerate(rows):
            out[o, i] = add_all([row[j] * k for j, k in column if row[j] != 0])
    return out.reshape((spec.out_channels, *spec.output_size))
