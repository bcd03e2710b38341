"""The forward pass by its definition, entry by entry.

``y[o, i..] = b[o] + Σ_c Σ_u w[o, c, u..] · xpad[g(o)·C_in/g + c, i·s + u·d ..]``
(cross-correlation, PyTorch layouts). This is the reference the im2col form and
the gradients are checked against, so it is written as the plain sum. Entries
may be SymPy expressions or Polys (:mod:`symconv.algebra.polynomial`).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from symconv.algebra import unrolled
from symconv.algebra.evaluate import add_all
from symconv.spec import ConvSpec
from symconv.symbolic.tensors import Tensor


def padded_index(spec: ConvSpec, position: tuple[int, ...], tap: tuple[int, ...]) -> tuple[int, ...]:
    """Where output ``position`` meets kernel ``tap`` in the unpadded input (may lie outside it)."""
    return tuple(int(i) for i in spec.input_index(position, tap))


def forward(spec: ConvSpec, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    """Y for one sample, shape ``(C_out, *out)``, summed straight from the definition."""
    y = np.empty((spec.out_channels, *spec.output_size), dtype=object)
    taps = list(np.ndindex(*spec.kernel))
    # Which input index each (position, tap) reads (None: the padding), once, from the index algebra.
    reads = {(position, tap): index for position, tap, index in unrolled.reads(spec)}
    for o in range(spec.out_channels):
        first = spec.first_input_channel(o)
        for position in np.ndindex(*spec.output_size):
            terms: list[sp.Expr] = [] if b is None else [b[o]]
            for tap in taps:
                index = reads[(position, tap)]
                if index is None:  # a tap in the padding adds nothing
                    continue
                for c in range(spec.group_in):
                    terms.append(x[(first + c, *index)] * w[(o, c, *tap)])
            y[(o, *position)] = add_all(terms)
    return y
