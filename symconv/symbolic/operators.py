"""The operators of the closed-form gradients, on one channel of any dimension.

``pad`` (zeros), ``dilate`` (zero insertion), ``rot180`` (flip every axis),
``fit`` (crop or zero-extend at the end) and ``conv`` (cross-correlation, no
padding, with stride and dilation). Every operator takes and returns a
:data:`~symconv.symbolic.tensors.Tensor` and works for 1, 2 and 3 axes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

from symconv.symbolic.tensors import Tensor, zeros


def _per_axis(value: int | Sequence[int], ndim: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * ndim
    assert len(value) == ndim, (value, ndim)
    return tuple(value)


def pad(a: Tensor, before: int | Sequence[int], after: int | Sequence[int] | None = None) -> Tensor:
    """``a`` with ``before`` zeros ahead of and ``after`` (default: as many) behind every axis."""
    b = _per_axis(before, a.ndim)
    e = b if after is None else _per_axis(after, a.ndim)
    out = zeros(tuple(n + x + y for n, x, y in zip(a.shape, b, e)))
    out[tuple(slice(x, x + n) for x, n in zip(b, a.shape))] = a
    return out


def dilate(a: Tensor, factor: int | Sequence[int]) -> Tensor:
    """``a`` with ``factor − 1`` zeros inserted between neighbouring entries on every axis."""
    f = _per_axis(factor, a.ndim)
    out = zeros(tuple((n - 1) * s + 1 for n, s in zip(a.shape, f)))
    out[tuple(slice(None, None, s) for s in f)] = a
    return out


def rot180(a: Tensor) -> Tensor:
    """``a`` turned by 180°: every axis reversed (for a matrix, a half turn)."""
    return a[(slice(None, None, -1),) * a.ndim].copy()


def fit(a: Tensor, shape: Sequence[int]) -> Tensor:
    """``a`` cropped, or extended by zeros, at the end of each axis to ``shape``."""
    out = zeros(shape)
    common = tuple(slice(0, min(n, m)) for n, m in zip(a.shape, shape))
    out[common] = a[common]
    return out


def crop(a: Tensor, before: Sequence[int], after: Sequence[int]) -> Tensor:
    """``a`` without ``before`` entries at the start and ``after`` at the end of each axis."""
    return a[tuple(slice(x, n - y) for x, y, n in zip(before, after, a.shape))].copy()


def conv(
    a: Tensor, b: Tensor, stride: int | Sequence[int] = 1, dilation: int | Sequence[int] = 1
) -> Tensor:
    """Cross-correlation of ``a`` with the kernel ``b`` without padding.

    ``out[i] = Σ_u b[u] · a[i·stride + u·dilation]``; the output has
    ``floor((n − dilation·(k − 1) − 1)/stride) + 1`` entries per axis.
    """
    s = _per_axis(stride, a.ndim)
    d = _per_axis(dilation, a.ndim)
    span = [(k - 1) * dd + 1 for k, dd in zip(b.shape, d)]
    out_shape = tuple((n - e) // ss + 1 for n, e, ss in zip(a.shape, span, s))
    if any(n < 1 for n in out_shape):
        raise ValueError(f"conv: kernel of shape {b.shape} (dilation {d}) does not fit {a.shape}")
    shifted = []
    for tap in np.ndindex(*b.shape):
        weight = b[tap]
        if weight == 0:
            continue
        window = tuple(
            slice(u * dd, u * dd + (o - 1) * ss + 1, ss)
            for u, dd, o, ss in zip(tap, d, out_shape, s)
        )
        shifted.append(a[window] * weight)
    out = np.empty(out_shape, dtype=object)
    for index in np.ndindex(*out_shape):
        out[index] = sp.Add(*[t[index] for t in shifted])
    return out
