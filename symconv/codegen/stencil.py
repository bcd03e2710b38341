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
    """The spec on a small fixed input that shows every tap's behaviour; at most 2 groups of 2."""
    sizes = []
    for s, b, a, e in zip(spec.strides, spec.pad_before, spec.pad_after, spec.effective_kernel):
        steps = -(-b // s) + -(-a // s) + 1  # room for an interior position between the paddings
        # (n + b + a − e) divisible by s: the last position reaches the end
        sizes.append(steps * s - b - a + e)
    groups = min(spec.groups, 2)
    return replace(
        spec,
        input_size=tuple(sizes),
        in_channels=groups * min(spec.group_in, 2),
        out_channels=groups * min(spec.group_out, 2),
        groups=groups,
    )


def _terms(d: Derivation, o: int, position: tuple[int, ...]) -> dict[tuple[int, ...], tuple[int, ...]]:
    """Weight index → input index of every product in ``Y[o, position]``."""
    where_w = {v: i for i, v in np.ndenumerate(d.w_t)}
    where_x = {v: i for i, v in np.ndenumerate(d.x_t)}
    found = {}
    for term in sp.Add.make_args(d.y_t[(o, *position)]):
        factors = [f for f in term.args if f in where_w or f in where_x]
        w = next((where_w[f] for f in factors if f in where_w), None)
        x = next((where_x[f] for f in factors if f in where_x), None)
        if w is not None and x is not None:
            found[w] = x
    return found


def stencil(spec: ConvSpec) -> Stencil:
    """Read the stencil of ``spec`` from the derivation of its probe."""
    probe = probe_spec(spec)
    d = Derivation(probe)
    out = probe.output_size
    interior = tuple(-(-b // s) for b, s in zip(probe.pad_before, probe.strides))
    centre = _terms(d, 0, interior)
    # The group structure, read off as well: every output channel o reads channel
    # g(o)·C_in/g + c through weight (o, c); the code generator relies on it.
    for o in range(probe.out_channels):
        first = (o // probe.group_out) * probe.group_in
        for (oo, c, *_u), (cx, *_) in _terms(d, o, interior).items():
            assert oo == o and cx == first + c, "the derivation breaks the group layout"

    taps = []
    kernel_taps = list(np.ndindex(*spec.kernel))
    for flat, u in enumerate(kernel_taps):
        _, *at = centre[(0, 0, *u)]
        offset = tuple(i - p * s for i, p, s in zip(at, interior, probe.strides))
        low, high = [], []
        for dim in range(spec.ndim):
            at_start = (*interior[:dim], 0, *interior[dim + 1:])
            at_end = (*interior[:dim], out[dim] - 1, *interior[dim + 1:])
            low.append((0, 0, *u) not in _terms(d, 0, at_start))
            high.append((0, 0, *u) not in _terms(d, 0, at_end))
        taps.append(Tap(u, flat, offset, tuple(low), tuple(high)))
    return Stencil(spec, tuple(taps))
