"""The unrolled (im2col) form Ŷ = X̂·K̂ of one instance, as SymPy matrices.

The layout and the products are the algebra's (:mod:`symconv.algebra.unrolled`):
X̂ has one row per output position (row-major) and one column per kernel tap,
channel-major, then row-major taps, over all input channels. K̂ has one column
per output channel; with groups it holds zeros where a channel lies outside the
output channel's group, so Ŷ = X̂·K̂ stays one product.
"""

from __future__ import annotations

import sympy as sp

from symconv.algebra import unrolled
from symconv.spec import ConvSpec
from symconv.symbolic.tensors import Tensor


def unroll_input(spec: ConvSpec, x: Tensor) -> sp.ImmutableMatrix:
    """X̂: ``Π out`` rows by ``C_in · Π k`` columns."""
    return sp.ImmutableMatrix(unrolled.im2col(spec, x).tolist())


def unroll_kernel(spec: ConvSpec, w: Tensor) -> sp.ImmutableMatrix:
    """K̂: ``C_in · Π k`` rows by ``C_out`` columns, zero outside each output channel's group."""
    return sp.ImmutableMatrix(unrolled.kernel_matrix(spec, w).tolist())


def product(spec: ConvSpec, x: Tensor, w: Tensor) -> Tensor:
    """Ŷ = X̂·K̂ rearranged to Y's layout ``(C_out, *out)``, summed directly (any entry kind)."""
    y_hat = unrolled.matmul(unrolled.im2col(spec, x), unrolled.kernel_matrix(spec, w))
    return unrolled.roll_output(y_hat, spec)
