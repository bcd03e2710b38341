"""The closed-form gradients of one instance: the algebra's closed forms evaluated, step by step.

The closed forms themselves are written once, in :mod:`symconv.algebra.closed_forms`;
here they are evaluated on the instance's symbols with the algebra's evaluator,
and every step is kept for the documents (a step the spec does not need holds
the value of the step before it).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symconv.algebra import operators as op
from symconv.algebra.closed_forms import ClosedForms, closed_forms
from symconv.algebra.evaluate import Value, evaluate
from symconv.spec import ConvSpec
from symconv.symbolic.tensors import Tensor


@dataclass(frozen=True)
class ClosedForm:
    """Every intermediate of the closed-form gradients (object arrays, PyTorch layouts)."""

    forms: ClosedForms  # the operator expressions evaluated here
    x_padded: Tensor  # (C_in, *padded)
    delta_dilated: Tensor  # (C_out, *((out−1)·s + 1)): δ with s−1 zeros between entries
    delta_full: Tensor  # (C_out, ...): delta_dilated padded by K−1 on every side
    kernel_dilated: Tensor  # (C_out, C_in/g, *K): W with d−1 zeros between taps
    kernel_rot180: Tensor  # (C_out, C_in/g, *K): rot180 of kernel_dilated
    grad_padded_input: Tensor  # (C_in, *padded): the full convolution, extended by the unused rows
    grad_input: Tensor  # (C_in, *in)
    grad_weight: Tensor  # (C_out, C_in/g, *k)
    grad_bias: Tensor | None  # (C_out,)


def closed_form(spec: ConvSpec, x: Tensor, w: Tensor, delta: Tensor, b: Tensor | None = None) -> ClosedForm:
    """The gradients of one convolution by the algebra's closed forms (rot180 / pad / dilate / conv)."""
    forms = closed_forms(spec)
    tensors = {op.X: x, op.W: w, op.DELTA: delta}
    if b is not None:
        tensors[op.B] = b

    cache: dict[sp.Basic, Value] = {}

    def value(expr: sp.Expr) -> Tensor:
        return evaluate(expr, spec, tensors, forms.amounts, cache).data

    def step(name: str, default: Tensor) -> Tensor:
        expr = forms.step(name)
        return default if expr is None else value(expr)

    delta_dilated = step("delta_dilated", delta)
    kernel_dilated = step("kernel_dilated", w)
    grad_bias = None if forms.grad_bias is None else value(forms.grad_bias)
    full = value(dict(forms.steps)["full"])
    return ClosedForm(
        forms, step("x_padded", x), delta_dilated, step("delta_full", delta_dilated), kernel_dilated,
        value(dict(forms.steps)["kernel_rot180"]), step("extended", full), value(forms.grad_input),
        value(forms.grad_weight), grad_bias,
    )

