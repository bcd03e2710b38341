r"""THE closed forms of a convolution and its gradients, written once as operator expressions.

For ``Y = conv(pad(X, p), W, stride=s, dilation=d) + b`` and δ = ∂J/∂Y:

- forward:     ``Y = conv(pad(x, p_b, p_a), W, s, d) + b``;
- grad_input:  ``∂J/∂x = crop(pad(conv(pad(dilate(δ, s), k'−1), rot180(dilate(W, d))), 0, u), p_b, p_a)``
  — a *full* convolution (δ padded by ``k' − 1``, ``k' = d(k − 1) + 1`` the
  dilated kernel's span) of the zero-inserted δ (stride ``s``) with the
  turned, dilated kernel, extended by the ``u = (n + p_b + p_a − k') mod s``
  positions the stride leaves unused, and cropped by the padding;
- grad_weight: ``∂J/∂W = crop(conv(pad(x, p_b, p_a), dilate(δ, s), stride=d), 0, ⌊u/d⌋)``
  — the padded input correlated with the zero-inserted δ; dilation becomes stride;
- grad_bias:   ``∂J/∂b = Σ_positions δ``.

The convolutions combine channels by role (:mod:`symconv.algebra.evaluate`):
``conv(δ, rot180(W))`` sums over the output channels of each input channel's
group. Steps a spec does not need (no stride: no zero insertion; no dilation;
no padding; a 1×1 kernel: no full padding; nothing unused) are pruned here, in
:func:`closed_forms`, and nowhere else. The amounts are symbols (``s``, ``d``,
``k'``, ``p`` or ``p_b``/``p_a``, ``u``), filled in per dimension from
:attr:`ClosedForms.amounts`.

Example:
    >>> from symconv.spec import ConvSpec
    >>> cf = closed_forms(ConvSpec(input_size=3, kernel_size=2))
    >>> cf.grad_input
    Conv(Pad(delta, k' - 1, k' - 1), Rot180(W), 1, 1)
    >>> cf.amounts[KK]
    (2, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from symconv.algebra.operators import (
    DELTA,
    B,
    Conv,
    Crop,
    Dilate,
    Pad,
    Rot180,
    SumPositions,
    TensorSymbol,
    W,
    X,
)
from symconv.spec import ConvSpec

# The amount symbols of the closed forms.
S = sp.Symbol("s")  # stride
D = sp.Symbol("d")  # dilation
KK = sp.Symbol("k'")  # the dilated kernel's span d(k − 1) + 1
P = sp.Symbol("p")  # padding, when as many zeros go before as after
PB = sp.Symbol(r"p_{\mathrm{b}}")  # padding before, when it differs from after
PA = sp.Symbol(r"p_{\mathrm{a}}")  # padding after
U = sp.Symbol("u")  # the positions a stride leaves unused at the end: (n + p_b + p_a − k') mod s

QUANTITIES = ("forward", "grad-input", "grad-weight", "grad-bias")

Amount = tuple[int, ...]


@dataclass(frozen=True)
class ClosedForms:
    """The closed forms of one spec, their named steps and the values of their amounts."""

    spec: ConvSpec
    forward: sp.Expr
    grad_input: sp.Expr
    grad_weight: sp.Expr
    grad_bias: sp.Expr | None
    # The named intermediates, in order: x_padded, then grad_input's steps (delta_dilated, delta_full,
    # kernel_dilated, kernel_rot180, full, extended, cropped); a step the spec does not need is absent.
    steps: tuple[tuple[str, sp.Expr], ...]
    amounts: dict[sp.Symbol, Amount] = field(hash=False)

    def of(self, quantity: str) -> sp.Expr | None:
        """The closed form of ``quantity`` (``forward``, ``grad-input``, ``grad-weight``, ``grad-bias``)."""
        return {
            "forward": self.forward, "grad-input": self.grad_input, "grad-weight": self.grad_weight,
            "grad-bias": self.grad_bias,
        }[quantity]

    def step(self, name: str) -> sp.Expr | None:
        """A named step of the input gradient, or None when the spec does not need it."""
        return dict(self.steps).get(name)


def unused(spec: ConvSpec) -> Amount:
    """Per dimension the padded positions after the last window reaches: ``(n + p_b + p_a − k') mod s``."""
    return tuple(int(m) % s for m, s in zip(spec.output_numerators_of(spec.sizes), spec.strides))


def amounts(spec: ConvSpec) -> dict[sp.Symbol, Amount]:
    """The value of every amount symbol for ``spec``, one number per spatial dimension."""
    values = {
        S: spec.strides, D: spec.dilations, KK: spec.effective_kernel,
        P: spec.pad_before, PB: spec.pad_before, PA: spec.pad_after,
    }
    if spec.has_input_size:
        values[U] = unused(spec)
    return values


def closed_forms(
    spec: ConvSpec,
    x: TensorSymbol = X,
    w: TensorSymbol = W,
    b: TensorSymbol = B,
    delta: TensorSymbol = DELTA,
) -> ClosedForms:
    """The closed forms for ``spec``, with only the steps it needs (the one place they are pruned)."""
    before, after = (P, P) if spec.is_symmetric_padding else (PB, PA)
    stride = S if spec.is_strided else sp.S.One
    dilation = D if spec.is_dilated else sp.S.One
    x_padded = Pad(x, before, after) if spec.is_padded else x
    forward = Conv(x_padded, w, stride, dilation) + (b if spec.bias else sp.S.Zero)

    steps: list[tuple[str, sp.Expr]] = [("x_padded", x_padded)] if spec.is_padded else []
    up: sp.Expr = delta
    if spec.is_strided:
        up = Dilate(delta, S)
        steps.append(("delta_dilated", up))
    if not spec.is_pointwise:
        up = Pad(up, KK - 1, KK - 1)
        steps.append(("delta_full", up))
    kernel: sp.Expr = w
    if spec.is_dilated:
        kernel = Dilate(w, D)
        steps.append(("kernel_dilated", kernel))
    turned = Rot180(kernel)
    steps.append(("kernel_rot180", turned))
    full = Conv(up, turned, sp.S.One, sp.S.One)
    steps.append(("full", full))
    # Without a fixed input size the unused positions are unknown: keep the step whenever a stride is.
    extend = spec.is_strided and (not spec.has_input_size or any(unused(spec)))
    grad_padded = Pad(full, sp.S.Zero, U) if extend else full
    if extend:
        steps.append(("extended", grad_padded))
    grad_input = Crop(grad_padded, before, after) if spec.is_padded else grad_padded
    if spec.is_padded:
        steps.append(("cropped", grad_input))

    zero_inserted = Dilate(delta, S) if spec.is_strided else delta
    correlation = Conv(x_padded, zero_inserted, dilation, sp.S.One)
    extra = sp.floor(U / D) if spec.is_dilated else U
    trim = spec.is_strided and (
        not spec.has_input_size or any(u // d for u, d in zip(unused(spec), spec.dilations))
    )
    grad_weight = Crop(correlation, sp.S.Zero, extra) if trim else correlation
    grad_bias = SumPositions(delta) if spec.bias else None
    return ClosedForms(spec, forward, grad_input, grad_weight, grad_bias, tuple(steps), amounts(spec))
