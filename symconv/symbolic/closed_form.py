"""Gradients by the closed-form operator formulas, kept step by step for rendering.

For ``Y = conv(pad(X, p), W, stride=s, dilation=d) + b`` and δ = ∂J/∂Y:

- input:  ``∂J/∂X[c] = crop(fit(Σ_o conv(pad(dilate(δ_o, s), K−1), rot180(dilate(W[o, c], d))), P), p)``
  summed over the output channels ``o`` of ``c``'s group — a *full* convolution
  of the stride-dilated δ with the turned, dilated kernel, extended by the rows
  the stride leaves unused (``fit`` to the padded size ``P``) and cropped by the
  padding. ``K`` is the effective kernel ``k + (k−1)(d−1)``.
- weight: ``∂J/∂W[o, c] = fit(conv(pad(X[c']), dilate(δ_o, s), stride=d), k)`` —
  the padded input correlated with the stride-dilated δ; dilation becomes stride.
- bias:   ``∂J/∂b[o] = Σ δ_o``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from symconv.spec import ConvSpec
from symconv.symbolic import operators as op
from symconv.symbolic.tensors import Tensor


@dataclass(frozen=True)
class ClosedForm:
    """Every intermediate of the closed-form gradients (object arrays, PyTorch layouts)."""

    x_padded: Tensor  # (C_in, *padded)
    delta_dilated: Tensor  # (C_out, *((out−1)·s + 1)): δ with s−1 zeros between entries
    delta_full: Tensor  # (C_out, ...): delta_dilated padded by K−1 on every side
    kernel_dilated: Tensor  # (C_out, C_in/g, *K): W with d−1 zeros between taps
    kernel_rot180: Tensor  # (C_out, C_in/g, *K): rot180 of kernel_dilated
    grad_padded_input: Tensor  # (C_in, *padded): the full convolution, fitted
    grad_input: Tensor  # (C_in, *in)
    grad_weight: Tensor  # (C_out, C_in/g, *k)
    grad_bias: Tensor | None  # (C_out,)


def _stack(parts: list[Tensor]) -> Tensor:
    out = np.empty((len(parts), *parts[0].shape), dtype=object)
    for i, p in enumerate(parts):
        out[i] = p
    return out


def closed_form(spec: ConvSpec, x: Tensor, w: Tensor, delta: Tensor) -> ClosedForm:
    """The gradients of one convolution by rot180 / pad / dilate / conv."""
    c_in, c_out = spec.in_channels, spec.out_channels
    span = spec.effective_kernel
    x_padded = _stack([op.pad(x[c], spec.pad_before, spec.pad_after) for c in range(c_in)])
    delta_dilated = _stack([op.dilate(delta[o], spec.strides) for o in range(c_out)])
    delta_full = _stack([op.pad(delta_dilated[o], [e - 1 for e in span]) for o in range(c_out)])
    kernel_dilated = _stack([
        _stack([op.dilate(w[o, c], spec.dilations) for c in range(spec.group_in)])
        for o in range(c_out)
    ])
    kernel_rot180 = _stack([
        _stack([op.rot180(kernel_dilated[o, c]) for c in range(spec.group_in)])
        for o in range(c_out)
    ])

    grad_padded = []
    for c in range(c_in):
        group, c_in_group = divmod(c, spec.group_in)
        outputs = range(group * spec.group_out, (group + 1) * spec.group_out)
        total = _sum([op.conv(delta_full[o], kernel_rot180[o, c_in_group]) for o in outputs])
        grad_padded.append(op.fit(total, spec.padded_size))
    grad_padded_input = _stack(grad_padded)
    grad_input = _stack([
        op.crop(grad_padded_input[c], spec.pad_before, spec.pad_after) for c in range(c_in)
    ])

    grad_weight = _stack([
        _stack([
            op.fit(
                op.conv(
                    x_padded[(o // spec.group_out) * spec.group_in + c],
                    delta_dilated[o],
                    stride=spec.dilations,
                ),
                spec.kernel,
            )
            for c in range(spec.group_in)
        ])
        for o in range(c_out)
    ])
    grad_bias = None
    if spec.bias:
        grad_bias = np.empty((c_out,), dtype=object)
        for o in range(c_out):
            grad_bias[o] = sp.Add(*delta[o].flat)
    return ClosedForm(
        x_padded, delta_dilated, delta_full, kernel_dilated, kernel_rot180,
        grad_padded_input, grad_input, grad_weight, grad_bias,
    )


def _sum(parts: list[Tensor]) -> Tensor:
    """The entrywise sum of equally shaped tensors, each entry one flat ``Add``."""
    out = np.empty(parts[0].shape, dtype=object)
    for index in np.ndindex(*out.shape):
        out[index] = sp.Add(*[p[index] for p in parts])
    return out
