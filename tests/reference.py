"""An independent NumPy reference for convolution, written with plain loops from the definition.

Nothing here imports symconv: the tests compare symconv against this module, so
it must not share any of symconv's code or formulas. It is written straight
from the definition in DESIGN.md,

    y[n, o, i..] = b[o] + Σ_c Σ_u w[o, c, u..] · xpad[n, g(o)·Cg + c, i·s + u·d ..]

(cross-correlation without kernel flip, PyTorch layouts ``x (N, C_in, *in)``,
``w (C_out, C_in/groups, *k)``, ``b (C_out,)``, ``y (N, C_out, *out)``; ``xpad``
is ``x`` with ``before`` zeros ahead of and ``after`` zeros behind every spatial
axis). The gradients are obtained by *scattering*: for every output entry and
every kernel tap, the one product ``w · xpad`` it contains is differentiated by
hand and its share is accumulated — no rot180, no full convolution.

Hyper-parameters are plain ints or tuples (one per spatial dimension);
``padding`` may also be ``"same"`` (total ``d(k-1)`` zeros, the odd one after,
as PyTorch) or ``"valid"`` (no zeros). :func:`params_of` reads them off a spec
object's plain attributes, so tests can pass ``**params_of(spec)``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "forward",
    "grad_bias",
    "grad_input",
    "grad_weight",
    "im2col",
    "kernel_matrix",
    "macs",
    "output_size",
    "padding_amounts",
    "params_of",
    "published_output_size",
    "same_padding",
]


def published_output_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """The textbook formula ``floor((n + 2p - d(k-1) - 1)/s) + 1`` for one dimension."""
    return math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1


def same_padding(k: int, d: int = 1) -> tuple[int, int]:
    """PyTorch's ``padding='same'`` for one dimension: ``(before, after)``.

    PyTorch (``torch/nn/modules/conv.py``, ``_ConvNd.__init__``) pads
    ``total = d·(k-1)`` zeros, ``total // 2`` on the left and the rest on the right.
    """
    total = d * (k - 1)
    left = total // 2
    return left, total - left


def _tuple(value: int | Sequence[int], dims: int) -> tuple[int, ...]:
    if isinstance(value, (int, np.integer)):
        return (int(value),) * dims
    out = tuple(int(v) for v in value)
    assert len(out) == dims, (value, dims)
    return out


def padding_amounts(
    padding: int | Sequence[int] | str, kernel: Sequence[int], dilation: Sequence[int]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(before, after)`` zeros per spatial dimension."""
    dims = len(kernel)
    if padding == "valid":
        return (0,) * dims, (0,) * dims
    if padding == "same":
        pairs = [same_padding(k, d) for k, d in zip(kernel, dilation)]
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
    assert not isinstance(padding, str), padding
    p = _tuple(padding, dims)
    return p, p


def output_size(
    input_size: Sequence[int],
    kernel: Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
) -> tuple[int, ...]:
    """The output size per dimension, by sliding a window until it no longer fits.

    Deliberately not the closed formula: the window ``i·s + u·d`` (``u`` over the
    taps) must stay inside the padded input.
    """
    dims = len(kernel)
    s, d = _tuple(stride, dims), _tuple(dilation, dims)
    before, after = padding_amounts(padding, kernel, d)
    out = []
    for n, k, ss, dd, pb, pa in zip(input_size, kernel, s, d, before, after):
        padded, last_tap = n + pb + pa, (k - 1) * dd
        count = 0
        while count * ss + last_tap < padded:
            count += 1
        out.append(count)
    return tuple(out)


class _Conv:
    """The hyper-parameters of one call, resolved to per-dimension tuples."""

    def __init__(
        self,
        x_shape: Sequence[int],
        w_shape: Sequence[int],
        stride: int | Sequence[int],
        padding: int | Sequence[int] | str,
        dilation: int | Sequence[int],
        groups: int,
    ) -> None:
        self.n, self.c_in, *in_size = (int(v) for v in x_shape)
        self.c_out, self.cg, *kernel = (int(v) for v in w_shape)
        self.input = tuple(in_size)
        self.kernel = tuple(kernel)
        self.dims = len(self.kernel)
        assert len(self.input) == self.dims, (x_shape, w_shape)
        assert 1 <= self.dims <= 3
        assert self.c_in % groups == 0 and self.c_out % groups == 0
        assert self.cg == self.c_in // groups, "weight's axis 1 must be C_in / groups"
        self.groups = groups
        self.out_per_group = self.c_out // groups
        self.stride = _tuple(stride, self.dims)
        self.dilation = _tuple(dilation, self.dims)
        self.before, self.after = padding_amounts(padding, self.kernel, self.dilation)
        self.padded = tuple(n + b + a for n, b, a in zip(self.input, self.before, self.after))
        self.output = output_size(self.input, self.kernel, self.stride, padding, self.dilation)
        assert all(o >= 1 for o in self.output), "kernel larger than the padded input"

    def input_channel(self, o: int, c: int) -> int:
        """The input channel that output map ``o`` reads as its ``c``-th channel."""
        return (o // self.out_per_group) * self.cg + c

    def padded_position(self, position: Sequence[int], tap: Sequence[int]) -> tuple[int, ...]:
        return tuple(i * s + u * d for i, u, s, d in zip(position, tap, self.stride, self.dilation))

    def terms(self):
        """Every ``(o, output position, c, tap, padded input position)`` of the definition's sum."""
        for o in range(self.c_out):
            for position in itertools.product(*(range(m) for m in self.output)):
                for c in range(self.cg):
                    for tap in itertools.product(*(range(k) for k in self.kernel)):
                        yield o, position, c, tap, self.padded_position(position, tap)

    def pad(self, x: np.ndarray) -> np.ndarray:
        """``x`` (N, C, *in) with zeros before and after every spatial axis, written by loops."""
        xp = np.zeros((self.n, self.c_in, *self.padded), dtype=np.float64)
        for n in range(self.n):
            for c in range(self.c_in):
                for index in itertools.product(*(range(m) for m in self.input)):
                    shifted = tuple(i + b for i, b in zip(index, self.before))
                    xp[(n, c, *shifted)] = x[(n, c, *index)]
        return xp

    def crop(self, xp: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`pad`: the entries that lie on the input, by loops."""
        x = np.zeros((self.n, self.c_in, *self.input), dtype=np.float64)
        for n in range(self.n):
            for c in range(self.c_in):
                for index in itertools.product(*(range(m) for m in self.input)):
                    shifted = tuple(i + b for i, b in zip(index, self.before))
                    x[(n, c, *index)] = xp[(n, c, *shifted)]
        return x


def forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """``y (N, C_out, *out)`` from ``x (N, C_in, *in)``, ``w (C_out, C_in/groups, *k)``, ``b (C_out,)``."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    cv = _Conv(x.shape, w.shape, stride, padding, dilation, groups)
    xp = cv.pad(x)
    y = np.zeros((cv.n, cv.c_out, *cv.output), dtype=np.float64)
    for n in range(cv.n):
        for o, position, c, tap, at in cv.terms():
            y[(n, o, *position)] += w[(o, c, *tap)] * xp[(n, cv.input_channel(o, c), *at)]
        if b is not None:
            for o in range(cv.c_out):
                for position in itertools.product(*(range(m) for m in cv.output)):
                    y[(n, o, *position)] += b[o]
    return y


def grad_input(
    dy: np.ndarray,
    w: np.ndarray,
    input_size: Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """∂J/∂x for ``dy = ∂J/∂y``: each term ``w·xpad`` sends ``w·dy`` back to its ``xpad`` entry."""
    dy, w = np.asarray(dy, dtype=np.float64), np.asarray(w, dtype=np.float64)
    c_in = w.shape[1] * groups
    cv = _Conv((dy.shape[0], c_in, *input_size), w.shape, stride, padding, dilation, groups)
    assert dy.shape == (cv.n, cv.c_out, *cv.output), (dy.shape, cv.output)
    gp = np.zeros((cv.n, cv.c_in, *cv.padded), dtype=np.float64)
    for n in range(cv.n):
        for o, position, c, tap, at in cv.terms():
            gp[(n, cv.input_channel(o, c), *at)] += w[(o, c, *tap)] * dy[(n, o, *position)]
    return cv.crop(gp)  # the zeros of the padding are constants: their share is dropped


def grad_weight(
    x: np.ndarray,
    dy: np.ndarray,
    kernel_size: Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """∂J/∂w for ``dy = ∂J/∂y``: each term ``w·xpad`` adds ``xpad·dy`` to its ``w`` entry."""
    x, dy = np.asarray(x, dtype=np.float64), np.asarray(dy, dtype=np.float64)
    c_out = dy.shape[1]
    w_shape = (c_out, x.shape[1] // groups, *kernel_size)
    cv = _Conv(x.shape, w_shape, stride, padding, dilation, groups)
    assert dy.shape == (cv.n, cv.c_out, *cv.output), (dy.shape, cv.output)
    xp = cv.pad(x)
    gw = np.zeros(w_shape, dtype=np.float64)
    for n in range(cv.n):
        for o, position, c, tap, at in cv.terms():
            gw[(o, c, *tap)] += xp[(n, cv.input_channel(o, c), *at)] * dy[(n, o, *position)]
    return gw


def grad_bias(dy: np.ndarray) -> np.ndarray:
    """∂J/∂b: every output entry of map ``o`` contains ``b[o]`` once."""
    dy = np.asarray(dy, dtype=np.float64)
    gb = np.zeros(dy.shape[1], dtype=np.float64)
    for n in range(dy.shape[0]):
        for o in range(dy.shape[1]):
            for position in itertools.product(*(range(m) for m in dy.shape[2:])):
                gb[o] += dy[(n, o, *position)]
    return gb


def im2col(
    x: np.ndarray,
    kernel_size: Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
) -> np.ndarray:
    """The note's X̂ for one sample ``x (C_in, *in)``.

    One row per output position (row-major), one column per input channel and
    kernel tap (channel-major, then row-major taps), over all input channels.
    """
    x = np.asarray(x, dtype=np.float64)
    c_in = x.shape[0]
    cv = _Conv((1, *x.shape), (1, c_in, *kernel_size), stride, padding, dilation, 1)
    xp = cv.pad(x[None])[0]
    rows = []
    for position in itertools.product(*(range(m) for m in cv.output)):
        rows.append([
            xp[(c, *cv.padded_position(position, tap))]
            for c in range(c_in)
            for tap in itertools.product(*(range(k) for k in cv.kernel))
        ])
    return np.array(rows, dtype=np.float64)


def kernel_matrix(w: np.ndarray, groups: int = 1) -> np.ndarray:
    """The note's K̂: one row per (input channel, tap), one column per output channel.

    Entries where the input channel lies outside the output channel's group are zero.
    """
    w = np.asarray(w, dtype=np.float64)
    c_out, cg, *kernel = w.shape
    out_per_group = c_out // groups
    rows = []
    for c in range(cg * groups):
        for tap in itertools.product(*(range(k) for k in kernel)):
            row = []
            for o in range(c_out):
                group = o // out_per_group
                inside = group * cg <= c < (group + 1) * cg
                row.append(w[(o, c - group * cg, *tap)] if inside else 0.0)
            rows.append(row)
    return np.array(rows, dtype=np.float64)


def macs(
    input_size: Sequence[int],
    w_shape: Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> int:
    """Multiply-accumulates for one sample: the terms of the definition's sum, counted one by one.

    Products with a padding zero count too, as every framework counts them.
    """
    c_in = w_shape[1] * groups
    cv = _Conv((1, c_in, *input_size), w_shape, stride, padding, dilation, groups)
    return sum(1 for _ in cv.terms())


def params_of(spec: Any) -> dict[str, Any]:
    """The hyper-parameters of a spec-like object as plain values for this module's functions."""
    padding = spec.padding if isinstance(spec.padding, str) else tuple(int(p) for p in spec.padding)
    return {
        "stride": tuple(int(s) for s in spec.stride),
        "padding": padding,
        "dilation": tuple(int(d) for d in spec.dilation),
        "groups": int(spec.groups),
    }
