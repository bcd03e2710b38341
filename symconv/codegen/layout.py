"""What both backends print: sizes and per-tap windows as SymPy expressions of the run-time sizes.

The stencil says where each tap reads; this module turns it into index
arithmetic over symbols for the spatial input sizes (``in_h``, ``in_w``…) and
output sizes (``out_h``…). Backends only print these expressions.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symconv.codegen.stencil import Stencil, Tap, stencil
from symconv.spec import ConvSpec

LETTERS = {1: ("l",), 2: ("h", "w"), 3: ("d", "h", "w")}


@dataclass(frozen=True)
class Window:
    """Where one tap reads in the padded input along one dimension: ``start + step·i``, i < count."""

    start: int
    step: int
    count: sp.Expr


@dataclass(frozen=True)
class Layout:
    """Index arithmetic for one spec (one sample's spatial dimensions; channels are constants)."""

    spec: ConvSpec
    stencil: Stencil
    letters: tuple[str, ...]
    inputs: tuple[sp.Symbol, ...]  # in_h, in_w…: the spatial input size
    outputs: tuple[sp.Symbol, ...]  # out_h, out_w…
    numerators: tuple[sp.Expr, ...]  # n + p_before + p_after − E: must be ≥ 0
    output_sizes: tuple[sp.Expr, ...]  # floor(numerator / s) + 1
    padded_sizes: tuple[sp.Expr, ...]  # n + p_before + p_after

    def windows(self, tap: Tap) -> tuple[Window, ...]:
        """The padded-input window a tap reads for every output position."""
        return tuple(
            Window(off + b, s, out)
            for off, b, s, out in zip(tap.offset, self.spec.pad_before, self.spec.strides, self.outputs)
        )


def layout(spec: ConvSpec) -> Layout:
    letters = LETTERS[spec.ndim]
    inputs = tuple(sp.Symbol(f"in_{x}", integer=True, positive=True) for x in letters)
    outputs = tuple(sp.Symbol(f"out_{x}", integer=True, positive=True) for x in letters)
    numerators = tuple(
        n + b + a - e
        for n, b, a, e in zip(inputs, spec.pad_before, spec.pad_after, spec.effective_kernel)
    )
    output_sizes = tuple(sp.floor(m / s) + 1 for m, s in zip(numerators, spec.strides))
    padded = tuple(n + b + a for n, b, a in zip(inputs, spec.pad_before, spec.pad_after))
    return Layout(spec, stencil(spec), letters, inputs, outputs, numerators, output_sizes, padded)
