"""The test oracle of ``symconv/codegen/stencil.py``: the stencil read off a symbolic derivation.

The code generator computes the stencil from the spec's index algebra. This
module reads the same facts off the symbolic Y of a *probe* — the same layer
on a small, fixed input that has an interior output position and whose last
position reaches the padded end — so the tests can check the algebra against
the derivation: which kernel tap meets which input offset, which taps can fall
into the padding on either side, and how output channels map to input channels.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import sympy as sp

from symconv.codegen.stencil import Stencil, Tap
from symconv.spec import ConvSpec
from symconv.symbolic.derivation import Derivation


def probe_spec(spec: ConvSpec) -> ConvSpec:
    """The spec on one channel and a small fixed input that shows every tap's behaviour."""
    sizes = []
    for s, b, a, e in zip(spec.strides, spec.pad_before, spec.pad_after, spec.effective_kernel):
        steps = -(-b // s) + -(-a // s) + 1  # room for an interior position between the paddings
        # (n + b + a − e) divisible by s: the last position reaches the end
        sizes.append(steps * s - b - a + e)
    return replace(spec, input_size=tuple(sizes), in_channels=1, out_channels=1, groups=1)


def group_probe_spec(spec: ConvSpec) -> ConvSpec:
    """The spec's channel structure on a 1-tap kernel and a 1-entry input: at most 2 groups of 2."""
    groups = min(spec.groups, 2)
    return ConvSpec(
        input_size=1, kernel_size=1, dims=spec.ndim, bias=spec.bias, groups=groups,
        in_channels=groups * min(spec.group_in, 2), out_channels=groups * min(spec.group_out, 2),
    )


class Terms:
    """Reads which weight meets which input in an entry of a derivation's Y (lookups built once)."""

    def __init__(self, d: Derivation) -> None:
        self.d = d
        self.where_w = {v: i for i, v in np.ndenumerate(d.w_t)}
        self.where_x = {v: i for i, v in np.ndenumerate(d.x_t)}

    def __call__(self, o: int, position: tuple[int, ...]) -> dict[tuple[int, ...], tuple[int, ...]]:
        """Weight index → input index of every product in ``Y[o, position]``."""
        found = {}
        for term in sp.Add.make_args(self.d.y_t[(o, *position)]):
            w = next((self.where_w[f] for f in term.args if f in self.where_w), None)
            x = next((self.where_x[f] for f in term.args if f in self.where_x), None)
            if w is not None and x is not None:
                found[w] = x
        return found


def derived_channel_map(spec: ConvSpec) -> dict[tuple[int, int], int]:
    """(output channel o, weight channel c) → the input channel weight W[o, c] meets, from the derivation.

    Read on :func:`group_probe_spec` (at most 2 groups of 2 channels each way).
    """
    grouped = group_probe_spec(spec)
    terms = Terms(Derivation(grouped))
    origin = (0,) * spec.ndim
    found: dict[tuple[int, int], int] = {}
    for o in range(grouped.out_channels):
        for (oo, c, *_u), (cx, *_) in terms(o, origin).items():
            assert oo == o, "a product of Y[o] uses another output channel's weight"
            found[(o, c)] = cx
    return found


def derived_stencil(spec: ConvSpec) -> Stencil:
    """The stencil of ``spec`` read from the derivation of its probe."""
    probe = probe_spec(spec)
    terms = Terms(Derivation(probe))
    out = probe.output_size
    interior = tuple(-(-b // s) for b, s in zip(probe.pad_before, probe.strides))
    centre = terms(0, interior)
    # Per dimension, the taps present at the first and at the last output position.
    at_start = [terms(0, (*interior[:k], 0, *interior[k + 1:])) for k in range(spec.ndim)]
    at_end = [terms(0, (*interior[:k], out[k] - 1, *interior[k + 1:])) for k in range(spec.ndim)]
    taps = []
    for flat, u in enumerate(np.ndindex(*spec.kernel)):
        _, *at = centre[(0, 0, *u)]
        offset = tuple(i - p * s for i, p, s in zip(at, interior, probe.strides))
        low = tuple((0, 0, *u) not in at_start[k] for k in range(spec.ndim))
        high = tuple((0, 0, *u) not in at_end[k] for k in range(spec.ndim))
        taps.append(Tap(tuple(int(v) for v in u), flat, offset, low, high))
    return Stencil(spec, tuple(taps))
