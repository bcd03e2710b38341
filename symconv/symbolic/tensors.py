"""Symbolic tensors in the note's notation: 1-based subscripts, ``x_{11}``, ``k_{11}``, ``y_{11}``.

Internally tensors are NumPy object arrays of SymPy expressions (cheap to slice
and stack); :func:`to_array` turns one into the immutable SymPy Array the public
API hands out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

Tensor = np.ndarray  # an object array of SymPy expressions


def subscript(index: Sequence[int], channels: int, extents: Sequence[int]) -> str:
    """The subscript for a 0-based ``index``: channel axes first, then the spatial ones.

    The first ``channels`` entries are written one by one, comma-separated; the
    spatial entries are run together as in the note (``11``) unless an extent
    exceeds 9, where they are comma-separated to stay unambiguous (``1,12``).
    """
    ones = [i + 1 for i in index]
    lead = [str(i) for i in ones[:channels]]
    spatial = ones[channels:]
    sep = "," if any(e > 9 for e in extents[channels:]) else ""
    tail = [sep.join(str(i) for i in spatial)] if spatial else []
    return ",".join(lead + tail)


def symbol_tensor(base: str, shape: Sequence[int], channel_axes: int) -> Tensor:
    """A tensor of fresh symbols ``base_{...}``.

    ``channel_axes`` leading axes are channel-like; each is shown in the name
    only when some channel axis has more than one entry, so a single-channel
    tensor reads exactly like the note (``x_{11}``).
    """
    shape = tuple(shape)
    show = channel_axes if any(n > 1 for n in shape[:channel_axes]) else 0
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        visible = index[channel_axes - show:]
        extents = shape[channel_axes - show:]
        sub = subscript(visible, show, extents)
        out[index] = sp.Symbol(f"{base}_{{{sub}}}" if sub else base)
    return out


def to_array(tensor: Tensor) -> sp.ImmutableDenseNDimArray:
    """The public, immutable SymPy Array of a tensor."""
    return sp.ImmutableDenseNDimArray(tensor.ravel().tolist(), tensor.shape)


def entries(array: sp.NDimArray) -> list[sp.Expr]:
    """The entries of a SymPy Array in row-major order (iterating one yields rows)."""
    return list(sp.flatten(array.tolist())) if array.rank() else [array[()]]


def from_array(array: sp.NDimArray) -> Tensor:
    """A tensor from a SymPy Array (the inverse of :func:`to_array`)."""
    out = np.empty(array.shape, dtype=object)
    flat = entries(array)
    for k, index in enumerate(np.ndindex(*array.shape)):
        out[index] = flat[k]
    return out
