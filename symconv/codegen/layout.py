"""What both backends print: sizes and per-tap windows as SymPy expressions of the run-time sizes.

The sizes are the spec's size algebra (``symconv/sizes.py`` through
``ConvSpec.output_size_of`` and friends) applied to symbols for the spatial
input sizes (``in_h``, ``in_w``…) and output sizes (``out_h``…); the stencil
says where each tap reads. Backends only print these expressions.
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
    smallest_inputs: tuple[sp.Expr, ...]  # the smallest input size with output size out_h…

    def windows(self, tap: Tap) -> tuple[Window, ...]:
        """The padded-input window a tap reads for every output position (padded index = index + before)."""
        return tuple(
            Window(off + b, s, out)
            for off, b, s, out in zip(tap.offset, self.spec.pad_before, self.spec.strides, self.outputs)
        )


def layout(spec: ConvSpec) -> Layout:
    letters = LETTERS[spec.ndim]
    inputs = tuple(sp.Symbol(f"in_{x}", integer=True, positive=True) for x in letters)
    outputs = tuple(sp.Symbol(f"out_{x}", integer=True, positive=True) for x in letters)
    return Layout(
        spec,
        stencil(spec),
        letters,
        inputs,
        outputs,
        numerators=tuple(sp.sympify(m) for m in spec.output_numerators_of(inputs)),
        output_sizes=tuple(sp.sympify(o) for o in spec.output_size_of(inputs)),
        padded_sizes=tuple(sp.sympify(p) for p in spec.padded_size_of(inputs)),
        smallest_inputs=tuple(sp.sympify(n) for n in spec.smallest_input_size_of(outputs)),
    )
