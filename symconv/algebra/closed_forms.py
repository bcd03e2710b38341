r"""THE closed forms of a convolution and its gradients, written once as operator expressions.

For ``Y = conv(pad(X, p), W, stride=s, dilation=d) + b`` and δ = ∂J/∂Y:

- forward:     ``Y = conv(pad(x, p_b, p_a), W, s, d) + b``;
- grad_input:  ``∂J/∂x = crop(pad(conv(pad(dilate(δ, s), k'−1), rot180(dilate(W, d))), 0, q), p_b, p_a)``
  — a *full* convolution (δ padded by ``k' − 1``, ``k' = d(k − 1) + 1`` the
  dilated kernel's span) of the zero-inserted δ (stride ``s``) with the
  turned, dilated kernel, extended by the ``q = (n + p_b + p_a − k') mod s``
  positions the stride leaves unused, and cropped by the padding;
- grad_weight: ``∂J/∂W = crop(conv(pad(x, p_b, p_a), dilate(δ, s), stride=d), 0, ⌊q/d⌋)``
  — the padded input correlated with the zero-inserted δ; dilation becomes stride;
- grad_bias:   ``∂J/∂b = Σ_positions δ``.

The convolutions combine channels by role (:mod:`symconv.algebra.evaluate`):
``conv(δ, rot180(W))`` sums over the output channels of each input channel's
group. Steps a spec does not need (no stride: no zero insertion; no dilation;
no padding; a 1×1 kernel: no full padding; nothing unused) are pruned here, in
:meth:`Needs.of`, and nowhere else; :func:`general` keeps every step (the forms
the general derivation arrives at). The amounts are symbols (``s``, ``d``,
``k'``, ``p`` or ``p_b``/``p_a``, ``q``), filled in per dimension from
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
U = sp.Symbol("q")  # the positions a stride leaves unused at the end: (n + p_b + p_a − k') mod s

QUANTITIES = ("forward", "grad-input", "grad-weight", "grad-bias")

Amount = tuple[int, ...]


@dataclass(frozen=True)
class ClosedForms:
    """The closed forms of one spec, their named steps and the values of their amounts."""

    spec: ConvSpec | None  # None for the general forms
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


@dataclass(frozen=True)
class Needs:
    """Which steps a closed form keeps: those a spec needs, or every one (the general forms)."""

    symmetric: bool = True  # as many zeros of padding after as before (one symbol p)
    bias: bool = True
    strided: bool = True  # zero insertion
    dilated: bool = True  # the dilated kernel
    padded: bool = True  # the input's padding, and the crop
    full: bool = True  # the full padding of δ (not for a 1×1 kernel)
    extend: bool = True  # positions a stride leaves unused
    trim: bool = True  # weight-gradient positions beyond the kernel

    @classmethod
    def of(cls, spec: ConvSpec) -> Needs:
        """The steps ``spec`` needs (the one place they are pruned)."""
        # Without a fixed input size the unused positions are unknown: keep them whenever a stride is.
        known = spec.has_input_size
        return cls(
            symmetric=spec.is_symmetric_padding, bias=spec.bias, strided=spec.is_strided,
            dilated=spec.is_dilated, padded=spec.is_padded, full=not spec.is_pointwise,
            extend=spec.is_strided and (not known or any(unused(spec))),
            trim=spec.is_strided and (
                not known or any(u // d for u, d in zip(unused(spec), spec.dilations))
            ),
        )


def closed_forms(
    spec: ConvSpec,
    x: TensorSymbol = X,
    w: TensorSymbol = W,
    b: TensorSymbol = B,
    delta: TensorSymbol = DELTA,
) -> ClosedForms:
    """The closed forms for ``spec``, with only the steps it needs."""
    return build(Needs.of(spec), spec, x, w, b, delta)


def general(symmetric: bool = True, bias: bool = True) -> ClosedForms:
    """The closed forms with every step kept: what the general derivation arrives at."""
    return build(Needs(symmetric=symmetric, bias=bias), None)


def build(
    needs: Needs,
    spec: ConvSpec | None,
    x: TensorSymbol = X,
    w: TensorSymbol = W,
    b: TensorSymbol = B,
    delta: TensorSymbol = DELTA,
) -> ClosedForms:
    """The closed forms with the steps ``needs`` keeps (``spec`` gives the amounts' values, if any)."""
    before, after = (P, P) if needs.symmetric else (PB, PA)
    stride = S if needs.strided else sp.S.One
    dilation = D if needs.dilated else sp.S.One
    x_padded = Pad(x, before, after) if needs.padded else x
    forward = Conv(x_padded, w, stride, dilation) + (b if needs.bias else sp.S.Zero)

    steps: list[tuple[str, sp.Expr]] = [("x_padded", x_padded)] if needs.padded else []
    up: sp.Expr = delta
    if needs.strided:
        up = Dilate(delta, S)
        steps.append(("delta_dilated", up))
    if needs.full:
        up = Pad(up, KK - 1, KK - 1)
        steps.append(("delta_full", up))
    kernel: sp.Expr = w
    if needs.dilated:
        kernel = Dilate(w, D)
        steps.append(("kernel_dilated", kernel))
    turned = Rot180(kernel)
    steps.append(("kernel_rot180", turned))
    full = Conv(up, turned, sp.S.One, sp.S.One)
    steps.append(("full", full))
    grad_padded = Pad(full, sp.S.Zero, U) if needs.extend else full
    if needs.extend:
        steps.append(("extended", grad_padded))
    grad_input = Crop(grad_padded, before, after) if needs.padded else grad_padded
    if needs.padded:
        steps.append(("cropped", grad_input))

    zero_inserted = Dilate(delta, S) if needs.strided else delta
    correlation = Conv(x_padded, zero_inserted, dilation, sp.S.One)
    extra = sp.floor(U / D) if needs.dilated else U
    grad_weight = Crop(correlation, sp.S.Zero, extra) if needs.trim else correlation
    grad_bias = SumPositions(delta) if needs.bias else None
    values = amounts(spec) if spec is not None else {}
    return ClosedForms(spec, forward, grad_input, grad_weight, grad_bias, tuple(steps), values)
