"""ConvSpec: every bad-input rule, the size arithmetic against independent counts, immutability."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import reference as ref
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv import ConvSpec, SpecError, SymconvError, derive

# -- bad input ------------------------------------------------------------------------

# (keyword arguments, the field the error must name, the value it must show)
BAD = [
    # kernel / stride / dilation < 1
    ({"kernel_size": 0}, "kernel_size", 0),
    ({"kernel_size": -2}, "kernel_size", -2),
    ({"kernel_size": (3, 0)}, "kernel_size", (3, 0)),
    ({"stride": 0}, "stride", 0),
    ({"stride": (1, -1)}, "stride", (1, -1)),
    ({"dilation": 0}, "dilation", 0),
    ({"dilation": (2, 0, 1)}, "dilation", (2, 0, 1)),
    ({"input_size": 0}, "input_size", 0),
    ({"in_channels": 0}, "in_channels", 0),
    ({"out_channels": -1}, "out_channels", -1),
    ({"groups": 0}, "groups", 0),
    # negative padding
    ({"padding": -1}, "padding", -1),
    ({"padding": (1, -1)}, "padding", (1, -1)),
    # non-integers: floats (even integral ones), bools, strings, None
    ({"kernel_size": 2.5}, "kernel_size", 2.5),
    ({"kernel_size": 3.0}, "kernel_size", 3.0),
    ({"kernel_size": True}, "kernel_size", True),
    ({"kernel_size": "3"}, "kernel_size", "3"),
    ({"kernel_size": None}, "kernel_size", None),
    ({"stride": 1.5}, "stride", 1.5),
    ({"stride": False}, "stride", False),
    ({"padding": 1.0}, "padding", 1.0),
    ({"padding": True}, "padding", True),
    ({"dilation": 2.0}, "dilation", 2.0),
    ({"input_size": 7.0}, "input_size", 7.0),
    ({"input_size": (3.5, 3)}, "input_size", 3.5),
    ({"kernel_size": (3, 2.0)}, "kernel_size", 2.0),
    ({"in_channels": 2.0}, "in_channels", 2.0),
    ({"out_channels": True}, "out_channels", True),
    ({"groups": 1.0}, "groups", 1.0),
    ({"groups": True}, "groups", True),
    ({"dims": 2.0}, "dims", 2.0),
    ({"dims": True}, "dims", True),
    ({"bias": 1}, "bias", 1),
    ({"bias": "yes"}, "bias", "yes"),
    # per-dimension tuples of the wrong length
    ({"kernel_size": (3, 3), "dims": 3}, "kernel_size", (3, 3)),
    ({"stride": (1, 1, 1), "dims": 1}, "stride", (1, 1, 1)),
    ({"padding": (1, 1), "dims": 1}, "padding", (1, 1)),
    ({"input_size": (5, 5, 5), "dims": 2}, "input_size", (5, 5, 5)),
    ({"kernel_size": ()}, "kernel_size", ()),
    ({"kernel_size": (3, 3, 3, 3)}, "kernel_size", (3, 3, 3, 3)),
    # dims outside 1..3
    ({"dims": 0}, "dims", 0),
    ({"dims": 4}, "dims", 4),
    ({"dims": -1}, "dims", -1),
    # groups that do not divide the channels
    ({"in_channels": 4, "out_channels": 4, "groups": 3}, "groups", 3),
    ({"in_channels": 4, "out_channels": 6, "groups": 4}, "groups", 4),
    ({"in_channels": 2, "out_channels": 3, "groups": 2}, "groups", 2),
    ({"in_channels": 1, "out_channels": 4, "groups": 2}, "groups", 2),
    # effective kernel larger than the padded input
    ({"input_size": 3, "kernel_size": 5}, "kernel_size", 5),
    ({"input_size": (5, 2), "kernel_size": 3}, "kernel_size", 3),
    ({"input_size": 5, "kernel_size": 3, "dilation": 3}, "kernel_size", 3),
    ({"input_size": 4, "kernel_size": 4, "dilation": 2, "padding": 1}, "kernel_size", 4),
    ({"input_size": 2, "kernel_size": 5, "padding": 1, "dims": 1}, "kernel_size", 5),
    ({"input_size": (4, 4, 1), "kernel_size": 2}, "kernel_size", 2),
    # 'same' needs stride 1
    ({"padding": "same", "stride": 2}, "padding", "same"),
    ({"padding": "same", "stride": (1, 2)}, "padding", "same"),
    ({"padding": "same", "stride": (1, 1, 3), "input_size": 5}, "padding", "same"),
    # unknown padding strings (PyTorch accepts exactly 'same' and 'valid')
    ({"padding": "full"}, "padding", "full"),
    ({"padding": "SAME"}, "padding", "SAME"),
    ({"padding": ""}, "padding", ""),
    ({"padding": ("same", 1)}, "padding", "same"),
]


@pytest.mark.parametrize(("kwargs", "field", "value"), BAD, ids=[repr(b[0]) for b in BAD])
def test_bad_input_raises_spec_error(kwargs: dict, field: str, value: object) -> None:
    with pytest.raises(SpecError) as info:
        ConvSpec(**kwargs)
    error = info.value
    assert isinstance(error, ValueError) and isinstance(error, SymconvError)
    assert error.field == field, str(error)
    message = str(error)
    assert field in message, message
    assert repr(value) in message, message
    assert error.value == value or error.value is value
    assert len(error.rule) > 10 and error.rule.split("{")[0].strip() in message  # it says why


def test_bad_input_error_names_the_conflicting_rule() -> None:
    """The message says why: the spot checks below read the rule a user needs to fix the input."""
    cases = {
        "groups does not divide": ({"in_channels": 4, "groups": 3}, ["in_channels", "4"]),
        "same needs stride 1": ({"padding": "same", "stride": 2}, ["stride", "2"]),
        "output would be empty": ({"input_size": 3, "kernel_size": 5}, ["input_size", "3"]),
        "dilated span": ({"input_size": 5, "kernel_size": 3, "dilation": 3}, ["7", "dilation"]),
    }
    for name, (kwargs, words) in cases.items():
        with pytest.raises(SpecError) as info:
            ConvSpec(**kwargs)
        for word in words:
            assert word in str(info.value), (name, str(info.value))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kernel_size": (3, 3), "stride": (1, 1, 1)},
        {"input_size": (5, 5), "kernel_size": (3, 3), "stride": (1, 1, 1)},
        {"input_size": (5, 5), "kernel_size": (3, 3), "dilation": (1, 1, 1)},
        {"input_size": (5, 5, 5), "kernel_size": (3, 3, 3), "padding": (1,)},
    ],
    ids=repr,
)
def test_tuples_of_different_lengths_are_both_named(kwargs: dict) -> None:
    """Two per-dimension tuples disagree: the message must show both, with their lengths."""
    with pytest.raises(SpecError) as info:
        ConvSpec(**kwargs)
    message = str(info.value)
    lengths = {len(v) for v in kwargs.values()}
    assert len(lengths) == 2
    for name, value in kwargs.items():
        if sum(len(v) == len(value) for v in kwargs.values()) == 1:
            # the odd one out must be named, or the user cannot see what is wrong
            assert name in message and repr(value) in message, message
    assert info.value.field in kwargs


def test_numpy_integers_are_integers() -> None:
    spec = ConvSpec(
        input_size=np.int64(5), kernel_size=np.int32(3), in_channels=np.int16(2), stride=np.int8(2)
    )
    assert spec.kernel_size == (3, 3) and spec.input_size == (5, 5) and spec.stride == (2, 2)
    assert spec.in_channels == 2 and type(spec.in_channels) is int
    assert all(type(v) is int for v in (*spec.kernel_size, *spec.input_size, *spec.stride))


def test_derive_needs_an_input_size() -> None:
    spec = ConvSpec(kernel_size=3)
    with pytest.raises(SpecError) as info:
        derive(spec)
    assert info.value.field == "input_size"
    with pytest.raises(SpecError) as info:
        spec.output_size  # noqa: B018
    assert info.value.field == "input_size"


def test_derive_rejects_what_is_not_a_spec() -> None:
    with pytest.raises(SpecError):
        derive({"input_size": 3, "kernel_size": 2})  # type: ignore[arg-type]


def test_boundaries_are_accepted() -> None:
    """The smallest legal values: an effective kernel exactly as large as the padded input, 1×1."""
    assert ConvSpec(input_size=3, kernel_size=3).output_size == (1, 1)
    assert ConvSpec(input_size=5, kernel_size=3, dilation=2).output_size == (1, 1)
    assert ConvSpec(input_size=1, kernel_size=3, padding=1).output_size == (1, 1)
    assert ConvSpec(input_size=1, kernel_size=1, dims=1).output_size == (1,)
    assert ConvSpec(input_size=2, kernel_size=4, padding="same").output_size == (2, 2)
    assert ConvSpec(padding="valid", stride=2, input_size=4, kernel_size=2).output_size == (2, 2)


# -- size arithmetic ---------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(
    n=st.integers(1, 64), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3)
)
def test_output_size_is_the_published_formula(n: int, k: int, s: int, p: int, d: int) -> None:
    if d * (k - 1) + 1 > n + 2 * p:
        with pytest.raises(SpecError) as info:
            ConvSpec(input_size=n, kernel_size=k, stride=s, padding=p, dilation=d, dims=1)
        assert info.value.field == "kernel_size"
        return
    spec = ConvSpec(input_size=n, kernel_size=k, stride=s, padding=p, dilation=d, dims=1)
    expected = ref.published_output_size(n, k, s, p, d)
    assert spec.output_size == (expected,)
    assert spec.output_size == ref.output_size((n,), (k,), s, p, d)
    # the last window fits in the padded input, one more would not
    span = d * (k - 1) + 1
    assert (expected - 1) * s + span <= n + 2 * p < expected * s + span
    assert spec.padded_size == (n + 2 * p,)
    assert spec.effective_kernel == (span,)


@st.composite
def specs(draw: st.DrawFn) -> ConvSpec:
    """Any valid spec with a fixed input size, 1-3 D, every field varied."""
    dims = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 5)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    kind = draw(st.sampled_from(["int", "same", "valid"]))
    stride = (1,) * dims if kind == "same" else tuple(draw(st.integers(1, 4)) for _ in range(dims))
    padding = kind if kind != "int" else tuple(draw(st.integers(0, 3)) for _ in range(dims))
    before, after = ref.padding_amounts(padding, kernel, dilation)
    size = tuple(
        draw(st.integers(max(1, d * (k - 1) + 1 - b - a), 20))
        for k, d, b, a in zip(kernel, dilation, before, after)
    )
    groups = draw(st.integers(1, 4))
    return ConvSpec(
        input_size=size, kernel_size=kernel, in_channels=groups * draw(st.integers(1, 3)),
        out_channels=groups * draw(st.integers(1, 3)), stride=stride, padding=padding,
        dilation=dilation, groups=groups, bias=draw(st.booleans()),
    )


@settings(max_examples=200, deadline=None)
@given(specs())
def test_size_arithmetic_against_independent_counts(spec: ConvSpec) -> None:
    p = ref.params_of(spec)
    kernel = spec.kernel_size
    expected = ref.output_size(spec.input_size, kernel, p["stride"], p["padding"], p["dilation"])
    assert spec.output_size == expected
    assert spec.effective_kernel == tuple(
        len(range(0, d * (k - 1) + 1)) for k, d in zip(kernel, spec.dilation)
    )
    before, after = ref.padding_amounts(p["padding"], kernel, p["dilation"])
    assert spec.pad_before == before and spec.pad_after == after
    assert spec.padded_size == tuple(n + b + a for n, b, a in zip(spec.input_size, before, after))
    assert spec.group_in == spec.in_channels // spec.groups
    # parameters: the entries of w (C_out, C_in/g, *k) and b (C_out,)
    w = np.zeros((spec.out_channels, spec.in_channels // spec.groups, *kernel))
    assert spec.params == w.size + (spec.out_channels if spec.bias else 0)
    # multiply-accumulates: the terms of the definition's sum, counted one by one
    assert spec.macs == ref.macs(spec.input_size, w.shape, **p)


@pytest.mark.parametrize(
    "spec",
    [
        ConvSpec(input_size=3, kernel_size=2),
        ConvSpec(input_size=(5, 4), kernel_size=(3, 2), in_channels=4, out_channels=2, groups=2, padding=1),
        ConvSpec(input_size=(3, 4, 3), kernel_size=2, in_channels=2, out_channels=2, groups=2, bias=False),
        ConvSpec(input_size=6, kernel_size=3, in_channels=3, out_channels=6, groups=3, dims=1, stride=2),
    ],
    ids=lambda s: s.describe(),
)
def test_params_and_macs_count_the_derived_symbols(spec: ConvSpec) -> None:
    """params = the distinct weight and bias symbols; macs = products in Ŷ = X̂·K̂ with a nonzero K̂ entry."""
    d = derive(spec)
    weights = set(_flat(d.W))
    biases = set() if d.b is None else set(_flat(d.b))
    assert spec.params == len(weights | biases) == len(_flat(d.W)) + len(biases)
    k_hat = np.array(d.K_hat.tolist(), dtype=object)
    assert spec.macs == d.X_hat.rows * int((k_hat != 0).sum())
    # the same count from Y: its products w·x, plus those a padding zero removed from the sums
    x_hat = np.array(d.X_hat.tolist(), dtype=object)
    padding_products = int(((x_hat == 0).astype(int) @ (k_hat != 0).astype(int)).sum())
    products = sum(
        1 for y in _flat(d.Y) for term in sp.Add.make_args(y) if not term.free_symbols.isdisjoint(weights)
    )
    assert spec.macs == products + padding_products


def _flat(array: sp.NDimArray) -> list[sp.Expr]:
    return list(np.array(array.tolist(), dtype=object).ravel())


def test_effective_kernel_is_not_the_notes_formula() -> None:
    """The note's k + (r−1)(k+1) is wrong; a dilated kernel spans k + (k−1)(r−1)."""
    for k in range(1, 6):
        for r in range(1, 5):
            spec = ConvSpec(kernel_size=k, dilation=r, dims=1)
            assert spec.effective_kernel == (k + (k - 1) * (r - 1),)
            taps = [u * r for u in range(k)]
            assert spec.effective_kernel == (taps[-1] - taps[0] + 1,)
    assert ConvSpec(kernel_size=3, dilation=2).effective_kernel == (5, 5)  # the note says 7


@pytest.mark.parametrize("k", range(1, 8))
@pytest.mark.parametrize("d", range(1, 4))
def test_same_padding_is_pytorchs(k: int, d: int) -> None:
    """PyTorch: total d(k−1), left total // 2, the odd extra zero on the right."""
    spec = ConvSpec(input_size=9, kernel_size=k, dilation=d, padding="same", dims=1)
    total = d * (k - 1)
    assert spec.pad_before == (total // 2,)
    assert spec.pad_after == (total - total // 2,)
    assert spec.output_size == (9,)
    assert (spec.pad_before[0], spec.pad_after[0]) == ref.same_padding(k, d)


def test_same_padding_per_dimension() -> None:
    spec = ConvSpec(input_size=(4, 5, 6), kernel_size=(2, 3, 4), dilation=(1, 2, 1), padding="same")
    assert spec.pad_before == (0, 2, 1) and spec.pad_after == (1, 2, 2)
    assert spec.output_size == (4, 5, 6)
    assert spec.padding == "same"


def test_valid_padding_is_zero() -> None:
    spec = ConvSpec(input_size=(7, 6), kernel_size=3, stride=2, padding="valid")
    assert spec.pad_before == spec.pad_after == (0, 0)
    assert spec.output_size == ConvSpec(input_size=(7, 6), kernel_size=3, stride=2, padding=0).output_size
    assert spec.padding == "valid"


# -- normalisation, immutability ------------------------------------------------------------


def test_ints_broadcast_over_the_dimensions() -> None:
    spec = ConvSpec(input_size=5, kernel_size=3, stride=2, padding=1, dilation=2, dims=3)
    assert spec.dims == 3
    assert spec.input_size == (5, 5, 5) and spec.kernel_size == (3, 3, 3)
    assert spec.stride == (2, 2, 2) and spec.padding == (1, 1, 1) and spec.dilation == (2, 2, 2)
    assert ConvSpec().dims == 2 and ConvSpec().kernel_size == (3, 3)
    assert ConvSpec().input_size is None


def test_dims_inferred_from_tuples() -> None:
    assert ConvSpec(kernel_size=(3,)).dims == 1
    assert ConvSpec(kernel_size=(3, 2, 1)).dims == 3
    assert ConvSpec(input_size=(4, 5, 6), kernel_size=2).kernel_size == (2, 2, 2)
    assert ConvSpec(stride=(1, 2)).stride == (1, 2)
    spec = ConvSpec(kernel_size=[3, 2], padding=[1, 0])  # lists are accepted like tuples
    assert spec.kernel_size == (3, 2) and spec.padding == (1, 0)


def test_defaults() -> None:
    spec = ConvSpec()
    assert (spec.in_channels, spec.out_channels, spec.groups, spec.bias) == (1, 1, 1, True)
    assert spec.stride == (1, 1) and spec.padding == (0, 0) and spec.dilation == (1, 1)


def test_frozen() -> None:
    spec = ConvSpec(input_size=5, kernel_size=3)
    for name, value in [("kernel_size", (1, 1)), ("groups", 2), ("bias", False), ("input_size", None)]:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(spec, name, value)
    assert spec.kernel_size == (3, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        del spec.stride


def test_hashable_and_equal_after_normalising() -> None:
    a = ConvSpec(input_size=5, kernel_size=3, padding=1)
    b = ConvSpec(input_size=(5, 5), kernel_size=(3, 3), padding=(1, 1), stride=1, dims=2)
    assert a == b and hash(a) == hash(b)
    assert len({a, b, ConvSpec(input_size=5, kernel_size=3)}) == 2
    assert a != ConvSpec(input_size=5, kernel_size=3, padding=1, bias=False)
    assert {a: "x"}[b] == "x"
    assert ConvSpec(padding="same") == ConvSpec(padding="same", kernel_size=(3, 3))
    assert hash(ConvSpec(padding="same")) == hash(ConvSpec(padding="same", kernel_size=(3, 3)))
    assert dataclasses.replace(a, groups=1) == a


def test_replace_validates_again() -> None:
    spec = ConvSpec(input_size=5, kernel_size=3, in_channels=4, out_channels=4)
    with pytest.raises(SpecError) as info:
        dataclasses.replace(spec, groups=3)
    assert info.value.field == "groups"


def test_depthwise_and_group_counts() -> None:
    spec = ConvSpec(input_size=8, kernel_size=3, in_channels=4, out_channels=8, groups=4)
    assert spec.is_depthwise and spec.group_in == 1 and spec.group_out == 2
    assert spec.params == 8 * 1 * 9 + 8
    assert spec.macs == 8 * 36 * 9
    assert not ConvSpec(in_channels=4, out_channels=4, groups=2).is_depthwise
    plain = ConvSpec(input_size=8, kernel_size=3, in_channels=4, out_channels=8)
    assert plain.params == 8 * 4 * 9 + 8 and plain.macs == math.prod(plain.output_size) * 8 * 4 * 9
