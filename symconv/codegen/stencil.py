"""The stencil of a convolution, read off its symbolic derivation.

Code is generated from this, not written per case: which kernel tap meets
which input offset, how output channels map to input channels, and which taps
can fall into the padding on either side. The facts are read from the
symbolic Y of a *probe* — the same layer on a small, fixed input that has an
interior output position and whose last position reaches the padded end — so
they hold for every input size.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import sympy as sp

from symconv.spec import ConvSpec
from symconv.symbolic.derivation import Derivation


@dataclass(frozen=True)
class Tap:
    """One kernel tap: where it reads relative to ``position · stride``, and where it may miss."""

    index: tuple[int, ...]  # the tap u (0-based), row-major
    flat: int  # its position in the flattened kernel
    offset: tuple[int, ...]  # input index − position·stride, per dimension (u·d − p_before)
    low: tuple[bool, ...]  # per dimension: may read before the input (the padding ahead)
    high: tuple[bool, ...]  # per dimension: may read past the input (the padding behind)

    @property
    def inside(self) -> bool:
        """Whether the tap always reads inside the input."""
        return not any(self.low) and not any(self.high)


@dataclass(frozen=True)
class Stencil:
    """The spec and its taps, in kernel order."""

    spec: ConvSpec
    taps: tuple[Tap, ...]


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


class _Terms:
    """Reads which weight meets which input in an entry of the probe's Y (lookups built once)."""

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


def stencil(spec: ConvSpec) -> Stencil:
    """Read the stencil of ``spec`` from the derivation of its probe."""
    probe = probe_spec(spec)
    terms = _Terms(Derivation(probe))
    out = probe.output_size
    interior = tuple(-(-b // s) for b, s in zip(probe.pad_before, probe.strides))
    centre = terms(0, interior)
    # The group structure, read off as well: every output channel o reads channel
    # g(o)·C_in/g + c through weight (o, c); the code generator relies on it.
    grouped = group_probe_spec(spec)
    channel_terms = _Terms(Derivation(grouped))
    origin = (0,) * spec.ndim
    for o in range(grouped.out_channels):
        first = (o // grouped.group_out) * grouped.group_in
        found = channel_terms(o, origin)
        assert len(found) == grouped.group_in, "the derivation breaks the group layout"
        for (oo, c, *_u), (cx, *_) in found.items():
            assert oo == o and cx == first + c, "the derivation breaks the group layout"

    # Per dimension, the taps present at the first and at the last output position.
    at_start = [terms(0, (*interior[:k], 0, *interior[k + 1:])) for k in range(spec.ndim)]
    at_end = [terms(0, (*interior[:k], out[k] - 1, *interior[k + 1:])) for k in range(spec.ndim)]
    taps = []
    for flat, u in enumerate(np.ndindex(*spec.kernel)):
        _, *at = centre[(0, 0, *u)]
        offset = tuple(i - p * s for i, p, s in zip(at, interior, probe.strides))
        low = tuple((0, 0, *u) not in at_start[k] for k in range(spec.ndim))
        high = tuple((0, 0, *u) not in at_end[k] for k in range(spec.ndim))
        taps.append(Tap(u, flat, offset, low, high))
    return Stencil(spec, tuple(taps))
