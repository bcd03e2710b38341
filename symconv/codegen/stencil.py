"""The stencil of a convolution, from the spec's index algebra.

Code is generated from this, not written per case: where each kernel tap reads
relative to ``position · stride``, and which taps can fall into the padding on
either side. Output position ``i`` reads input index ``s·i + offset`` through a
tap of offset ``d·u − before`` (``spec.input_index``, ``spec.tap_offset``), so
per dimension:

- the first position reads ``offset``: the tap may read before the input
  (``low``) exactly when ``offset < 0``;
- the last position ``floor(m/s)``, with ``m = n + before + after − E`` the
  output's numerator, reads ``s·floor(m/s) + offset ≤ m + offset``, with equality
  for the input sizes where ``s`` divides ``m``: the tap may read past the input
  (``high``) for some input size exactly when ``m + offset ≥ n``, a condition
  on the spec alone since ``m − n`` is a constant.

The facts hold for every input size (a spec with a fixed input size gets the
same stencil as the open one). The channel map is the spec's
(``spec.input_channel``). ``tests/stencil_oracle.py`` reads the same facts off
a symbolic derivation and the tests check that both agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from symconv.spec import ConvSpec


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


def overhang(spec: ConvSpec) -> tuple[int, ...]:
    """Per dimension ``m − n``: how far the numerator exceeds the input size (``before + after − E``).

    The last output position reads at most ``m + offset`` (at the input sizes
    where the stride divides ``m``), that is ``n + overhang + offset``.
    """
    sizes = tuple(sp.Symbol(f"n{k}", integer=True, positive=True) for k in range(spec.ndim))
    return tuple(
        int(sp.expand(m - n)) for m, n in zip(spec.output_numerators_of(sizes), sizes)
    )


def stencil(spec: ConvSpec) -> Stencil:
    """The taps of ``spec``: offsets from ``spec.tap_offset``, padding sides from the size algebra."""
    beyond = overhang(spec)
    zero = (0,) * spec.ndim
    taps = []
    for flat, u in enumerate(np.ndindex(*spec.kernel)):
        tap = tuple(int(v) for v in u)
        offset = tuple(int(v) for v in spec.tap_offset(tap))
        first = tuple(int(v) for v in spec.input_index(zero, tap))  # position 0 reads the offset
        low = tuple(i < 0 for i in first)
        high = tuple(off + extra >= 0 for off, extra in zip(offset, beyond))  # n + extra + off ≥ n
        taps.append(Tap(tap, flat, offset, low, high))
    return Stencil(spec, tuple(taps))
