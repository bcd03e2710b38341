"""The operator algebra: closed forms written once, pruned in one place, evaluated and printed.

References: differentiation of Σ δ ⊙ Y (the Derivation's gradients) and the
forward pass summed from the definition; verify reads back what is printed.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv import ConvSpec, derive
from symconv.algebra import operators as op
from symconv.algebra.closed_forms import KK, QUANTITIES, S, U, closed_forms
from symconv.algebra.evaluate import EvaluationError, evaluate
from symconv.errors import SpecError
from symconv.printing.operator_text import operator_text
from symconv.symbolic.proof import equal
from symconv.symbolic.tensors import from_array
from symconv.verify import verify


def _tensors(d):  # type: ignore[no-untyped-def]
    bound = {op.X: d.x_t, op.W: d.w_t, op.DELTA: d.delta_t}
    if d.b_t is not None:
        bound[op.B] = d.b_t
    return bound


def _truth(d, quantity):  # type: ignore[no-untyped-def]
    return {
        "forward": d.y_t, "grad-input": from_array(d.grad_input), "grad-weight": from_array(d.grad_weight),
        "grad-bias": None if d.grad_bias is None else from_array(d.grad_bias),
    }[quantity]


def _spec_or_none(dims: int, n: int, k: int, s: int, p: int | str, dil: int, g: int, cin: int, cout: int,
                  bias: bool) -> ConvSpec | None:
    try:
        return ConvSpec(input_size=n, kernel_size=k, stride=s, padding=p, dilation=dil, groups=g,
                        in_channels=g * cin, out_channels=g * cout, bias=bias, dims=dims)
    except SpecError:
        return None


specs = st.builds(
    _spec_or_none,
    st.just(1) | st.just(2), st.integers(1, 7), st.integers(1, 3), st.integers(1, 3),
    st.integers(0, 2) | st.sampled_from(["same", "valid"]), st.integers(1, 2), st.integers(1, 2),
    st.integers(1, 2), st.integers(1, 2), st.booleans(),
)


def _valid(draw_spec: st.SearchStrategy[ConvSpec | None]) -> st.SearchStrategy[ConvSpec]:
    """Valid specs only, 2-D ones small (the instances are symbolic)."""
    return draw_spec.filter(lambda spec: spec is not None and (spec.dims == 1 or spec.sizes[0] <= 5))  # type: ignore[return-value]


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_closed_forms_evaluate_to_the_derivation(data: st.DataObject) -> None:
    """Every closed form, evaluated on the instance, equals differentiation (forward: the definition)."""
    spec = data.draw(_valid(specs))
    d = derive(spec)
    forms = closed_forms(spec)
    for quantity in QUANTITIES:
        expr, truth = forms.of(quantity), _truth(d, quantity)
        assert (expr is None) == (truth is None), quantity
        if expr is None:
            continue
        got = evaluate(expr, spec, _tensors(d), forms.amounts).data
        assert got.shape == truth.shape, (quantity, spec.describe())
        assert all(equal(a, b) for a, b in zip(got.ravel(), truth.ravel())), (quantity, spec.describe())


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_printed_closed_forms_hold_when_read_back(data: st.DataObject) -> None:
    """verify's "correct formula" is the algebra's closed form printed; fed back, it holds."""
    spec = data.draw(_valid(specs))
    forms = closed_forms(spec)
    for quantity in QUANTITIES:
        expr = forms.of(quantity)
        if expr is None:
            continue
        text = operator_text(expr, forms.amounts, spec.ndim)
        assert verify(quantity, text, spec).holds, (quantity, text, spec.describe())


def test_steps_are_pruned_in_one_place() -> None:
    plain = closed_forms(ConvSpec(input_size=4, kernel_size=2))
    assert [name for name, _ in plain.steps] == ["delta_full", "kernel_rot180", "full"]
    assert not plain.grad_input.has(op.Dilate) and not plain.grad_input.has(op.Crop)
    pointwise = closed_forms(ConvSpec(input_size=4, kernel_size=1))
    assert pointwise.step("delta_full") is None and not pointwise.grad_input.has(op.Pad)
    strided = closed_forms(ConvSpec(input_size=6, kernel_size=3, stride=2, padding=1, dilation=2))
    names = [name for name, _ in strided.steps]
    assert names == ["x_padded", "delta_dilated", "delta_full", "kernel_dilated", "kernel_rot180", "full",
                     "extended", "cropped"]
    assert strided.amounts[U] == (1, 1) and strided.amounts[KK] == (5, 5) and strided.amounts[S] == (2, 2)
    # with the input size open the unused positions are unknown: the step stays wherever a stride is
    open_size = closed_forms(ConvSpec(kernel_size=3, stride=2))
    assert open_size.step("extended") is not None and U not in open_size.amounts


@pytest.mark.parametrize(("quantity", "spec", "text"), [
    ("forward", ConvSpec(input_size=5, kernel_size=3, stride=2, padding=1),
     "conv(pad(x, 1), W, stride=2) + b"),
    ("forward", ConvSpec(input_size=5, kernel_size=2, padding="same"), "conv(pad(x, 0, 1), W) + b"),
    ("grad-input", ConvSpec(input_size=3, kernel_size=2), "conv(pad(delta, 1), rot180(W))"),
    ("grad-input", ConvSpec(input_size=3, kernel_size=2, stride=2),
     "pad(conv(pad(dilate(delta, 2), 1), rot180(W)), 0, 1)"),
    ("grad-weight", ConvSpec(input_size=(7, 5), kernel_size=2, stride=2, dilation=(1, 2)),
     "crop(conv(x, dilate(delta, 2), stride=(1, 2)), 0, (1, 0))"),
    ("grad-bias", ConvSpec(input_size=3, kernel_size=2), "sum(delta)"),
])
def test_operator_text(quantity: str, spec: ConvSpec, text: str) -> None:
    forms = closed_forms(spec)
    expr = forms.of(quantity)
    assert expr is not None
    assert operator_text(expr, forms.amounts, spec.ndim) == text
    assert verify(quantity, text, spec).holds


def test_tensor_symbols_carry_their_role() -> None:
    assert op.TensorSymbol("x", "i") != op.TensorSymbol("x", "o")
    assert op.role(op.Conv(op.DELTA, op.Rot180(op.W), 1, 1)) == ("i", True)
    assert op.role(op.Conv(op.X, op.DELTA, 1, 1)) == ("oi", True)
    assert op.role(op.SumPositions(op.DELTA)) == ("o", False)
    with pytest.raises(ValueError, match="role"):
        op.TensorSymbol("x", "q")


def test_evaluator_refuses_what_has_no_value() -> None:
    spec = ConvSpec(input_size=3, kernel_size=2)
    d = derive(spec)
    forms = closed_forms(spec)
    with pytest.raises(EvaluationError, match="leaves nothing"):
        evaluate(op.Crop(op.X, 2, 2), spec, _tensors(d), forms.amounts)
    with pytest.raises(EvaluationError, match="does not fit"):
        evaluate(op.Conv(op.DELTA, op.X, 1, 1), spec, _tensors(d), forms.amounts)


def test_group_aware_conv_matches_the_definition() -> None:
    """conv(x, W) on a grouped layer, against a direct loop over the definition's indices."""
    spec = ConvSpec(input_size=4, kernel_size=2, in_channels=4, out_channels=2, groups=2, dims=1)
    d = derive(spec)
    got = evaluate(op.Conv(op.X, op.W, 1, 1), spec, _tensors(d), {}).data
    x, w = d.x_t, d.w_t
    for o in range(2):
        for i in range(3):
            expected = sum(w[o, c, u] * x[(o // 1) * 2 + c, i + u] for c in range(2) for u in range(2))
            assert sp.expand(got[o, i] - expected) == 0
    assert np.shape(got) == (2, 3)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_the_unrolled_view_gives_the_gradients(data: st.DataObject) -> None:
    """∂J/∂K̂ = X̂ᵀ δ̂ and col2im(δ̂ K̂ᵀ) = ∂J/∂X (the note's (∂z^{l+1}/∂z^l)ᵀ δ^{l+1}), against diff."""
    from symconv.algebra import unrolled

    spec = data.draw(_valid(specs))
    d = derive(spec)
    x_hat, k_hat = unrolled.im2col(spec, d.x_t), unrolled.kernel_matrix(spec, d.w_t)
    assert np.array_equal(np.array(d.X_hat.tolist(), dtype=object), x_hat)
    delta_hat = unrolled.unroll_output(d.delta_t)
    grad_input = unrolled.col2im(spec, unrolled.matmul(delta_hat, k_hat.T))
    assert all(equal(a, b) for a, b in zip(grad_input.ravel(), from_array(d.grad_input).ravel()))
    grad_k_hat = unrolled.matmul(x_hat.T, delta_hat)  # (C_in·taps) × C_out
    grad_weight = from_array(d.grad_weight)
    for o in range(spec.out_channels):
        for c in range(spec.group_in):
            row = spec.input_channel(o, c) * spec.taps
            for t, tap in enumerate(np.ndindex(*spec.kernel)):
                assert equal(grad_k_hat[row + t, o], grad_weight[(o, c, *tap)])


def test_col2im_sums_the_overlaps() -> None:
    """Each input entry comes back once per window that read it (a 3×3 input, 2×2 kernel: 1, 2, 4)."""
    from symconv.algebra import unrolled

    spec = ConvSpec(input_size=3, kernel_size=2)
    ones = np.empty((1, 3, 3), dtype=object)
    ones.fill(sp.Integer(1))
    folded = unrolled.col2im(spec, unrolled.im2col(spec, ones))
    assert folded.tolist() == [[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]
