"""The stencil computed from the spec's index algebra equals the one read off the derivation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stencil_oracle import derived_channel_map, derived_stencil, group_probe_spec

from symconv import ConvSpec
from symconv.codegen.stencil import stencil

PADDINGS = st.one_of(st.integers(0, 3), st.sampled_from(["same", "valid"]))


@st.composite
def specs(draw: st.DrawFn) -> ConvSpec:
    """1–3-D specs with kernel 1–4, stride 1–3, padding 0–3 / same / valid, dilation 1–3, open or fixed.

    The probe's derivation grows with the kernel's span per dimension, so 3-D
    draws kernels of at most 3 to keep each example to milliseconds.
    """
    dims = draw(st.integers(1, 3))
    top = {1: 4, 2: 4, 3: 3}[dims]
    per_dim = st.integers(1, top)
    kernel = tuple(draw(per_dim) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    padding = draw(PADDINGS)
    if padding == "same":  # as in PyTorch, "same" needs stride 1
        stride = (1,) * dims
    fixed = draw(st.booleans())
    spec = ConvSpec(kernel_size=kernel, stride=stride, dilation=dilation, padding=padding, dims=dims)
    if fixed:  # a fixed input size that fits: the stencil is the same as for any size
        spec = ConvSpec(
            kernel_size=kernel, stride=stride, dilation=dilation, padding=padding, dims=dims,
            input_size=tuple(e + draw(st.integers(0, 2)) for e in spec.effective_kernel),
        )
    return spec


@settings(deadline=None, max_examples=80)
@given(spec=specs())
def test_stencil_equals_the_derivations(spec: ConvSpec) -> None:
    assert stencil(spec) == derived_stencil(spec)


@pytest.mark.parametrize(
    "spec",
    [
        ConvSpec(kernel_size=3, dilation=2),
        ConvSpec(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
        ConvSpec(kernel_size=4, padding="same", dilation=3, dims=1),
        ConvSpec(kernel_size=2, padding=3, stride=3, dilation=3, dims=3),
        ConvSpec(kernel_size=1, padding=2),
    ],
    ids=str,
)
def test_stencil_equals_the_derivations_on_named_specs(spec: ConvSpec) -> None:
    assert stencil(spec) == derived_stencil(spec)


@settings(deadline=None, max_examples=40)
@given(
    dims=st.integers(1, 3), groups=st.integers(1, 3), group_in=st.integers(1, 3),
    group_out=st.integers(1, 3), bias=st.booleans(),
)
def test_the_spec_group_map_is_the_derivations(
    dims: int, groups: int, group_in: int, group_out: int, bias: bool
) -> None:
    """Weight W[o, c] meets input channel ``spec.input_channel(o, c)``, and nothing else."""
    spec = ConvSpec(
        kernel_size=1, dims=dims, groups=groups, in_channels=groups * group_in,
        out_channels=groups * group_out, bias=bias,
    )
    probe = group_probe_spec(spec)
    found = derived_channel_map(spec)
    assert found == {
        (o, c): probe.input_channel(o, c) for o in range(probe.out_channels) for c in range(probe.group_in)
    }
