"""Generated code, every target × dtype × function, checked against the independent reference.

- numbers: hypothesis-generated specs (1-3 D, stride, padding incl. ``same`` /
  ``valid``, dilation, groups, depthwise, bias, fixed or open input size, batch
  1 or more), and the README's named examples, against ``tests/reference.py``;
- wrong arguments: every loaded function refuses a wrong array with a
  ``ValueError`` naming the expected shape or dtype, before any C runs, and
  both targets word it alike (the C's ctypes binding is generated from the
  NumPy module's checks);
- specialisation and determinism: byte-identical output, numpy-only imports,
  constants as literals, the preamble, the C prototypes;
- C: warning-clean under ``-std=c99 -Wall -Wextra -Werror -pedantic`` (gcc, and
  clang when present), and sanitizer-clean (``-fsanitize=address,undefined``)
  when a small C driver calls every function on deterministic data.

The C tests call the compiled code in this process: a missing argument check
would crash pytest rather than fail one test, which is the point.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import reference as ref
from hypothesis import given, settings
from hypothesis import strategies as st

import symconv
from symconv import ConvSpec
from symconv.codegen import generate

TARGETS = ("numpy", "c")
DTYPES = ("float64", "float32")
FUNCTIONS = ("forward", "grad_input", "grad_weight", "grad_bias")
RTOL = {"float64": 1e-10, "float32": 1e-4}


@cache
def kernel(spec: ConvSpec, target: str, dtype: str) -> Any:
    """The loaded generated code, once per spec, target and dtype in this process."""
    return generate(spec, target=target, dtype=dtype).load()


# -- data and the reference ---------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One numeric check: a spec, the spatial input size to run it on, the batch, a data seed."""

    spec: ConvSpec
    size: tuple[int, ...]
    batch: int
    seed: int

    def __str__(self) -> str:
        return f"{self.spec.describe()} | input {self.size}, batch {self.batch}, seed {self.seed}"


def data(case: Case, dtype: str) -> dict[str, np.ndarray]:
    """x, w, b and dy of ``case`` in ``dtype`` (values in [-1, 1], so float32 holds them exactly)."""
    spec = case.spec
    out = ref.output_size(case.size, spec.kernel, **_size_params(spec))
    rng = np.random.default_rng(case.seed)

    def draw(*shape: int) -> np.ndarray:
        return rng.uniform(-1.0, 1.0, shape).astype(dtype)

    return {
        "x": draw(case.batch, spec.in_channels, *case.size),
        "w": draw(spec.out_channels, spec.group_in, *spec.kernel),
        "b": draw(spec.out_channels),
        "dy": draw(case.batch, spec.out_channels, *out),
    }


def _size_params(spec: ConvSpec) -> dict[str, Any]:
    p = ref.params_of(spec)
    return {"stride": p["stride"], "padding": p["padding"], "dilation": p["dilation"]}


def assert_close(got: Any, want: np.ndarray, scale: float, dtype: str, what: str) -> None:
    """``got`` is a fresh C-contiguous ``dtype`` array of ``want``'s shape, equal up to rounding.

    The tolerance is relative to the magnitude of the sum that makes each entry:
    ``scale`` bounds the sum of the absolute values of its terms.
    """
    assert isinstance(got, np.ndarray), f"{what}: returned {type(got).__name__}, not an ndarray"
    assert got.dtype == np.dtype(dtype), f"{what}: dtype {got.dtype}, expected {dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    assert got.flags.c_contiguous, f"{what}: the result is not C-contiguous"
    rtol = RTOL[dtype]
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=rtol, atol=rtol * max(scale, 1e-300),
                               err_msg=what)


def expected(case: Case, a: dict[str, Any], p: dict[str, Any]) -> dict[str, tuple[np.ndarray, float]]:
    """The reference's y, gx, gw, gb for float64 arrays ``a`` (``a["b"]`` may be None).

    Each comes with a bound on the sum of the absolute values of the terms that make
    one entry, the scale of its rounding error.
    """
    spec = case.spec
    out = ref.output_size(case.size, spec.kernel, **_size_params(spec))
    positions = case.batch * math.prod(out)
    mx = {k: float(np.abs(v).max()) if v is not None and v.size else 0.0 for k, v in a.items()}
    fan_in, fan_out = spec.group_in * spec.taps, spec.group_out * spec.taps  # terms per y, per x entry
    return {
        "y": (ref.forward(a["x"], a["w"], a["b"], **p), fan_in * mx["x"] * mx["w"] + mx["b"]),
        "gx": (ref.grad_input(a["dy"], a["w"], case.size, **p), fan_out * mx["w"] * mx["dy"]),
        "gw": (ref.grad_weight(a["x"], a["dy"], spec.kernel, **p), positions * mx["x"] * mx["dy"]),
        "gb": (ref.grad_bias(a["dy"]), positions * mx["dy"]),
    }


def check_case(case: Case, target: str, dtype: str) -> None:
    """Every function of the generated code for ``case`` against the reference."""
    spec, p = case.spec, ref.params_of(case.spec)
    m = kernel(spec, target, dtype)
    arrays = data(case, dtype)
    before = {k: v.copy() for k, v in arrays.items()}
    x, w, b, dy = (arrays[k] for k in ("x", "w", "b", "dy"))
    a64 = {k: v.astype(np.float64) for k, v in arrays.items()}
    what = f"[{target} {dtype}] {case}"

    out = ref.output_size(case.size, spec.kernel, **_size_params(spec))
    assert tuple(m.output_size(case.size)) == out, f"output_size: {what}"

    want = expected(case, {**a64, "b": None}, p)
    assert_close(m.forward(x, w), *want["y"], dtype, f"forward without b: {what}")
    if spec.bias:
        assert_close(m.forward(x, w, b), *expected(case, a64, p)["y"], dtype, f"forward: {what}")
    assert_close(m.grad_input(dy, w, case.size), *want["gx"], dtype, f"grad_input: {what}")
    if spec.has_input_size:
        assert_close(m.grad_input(dy, w), *want["gx"], dtype, f"grad_input, size omitted: {what}")
    assert_close(m.grad_weight(x, dy), *want["gw"], dtype, f"grad_weight: {what}")
    assert_close(m.grad_bias(dy), *want["gb"], dtype, f"grad_bias: {what}")

    for k, v in arrays.items():
        np.testing.assert_array_equal(v, before[k], err_msg=f"{k} was modified: {what}")


# -- hypothesis: the range of specs ------------------------------------------------------------


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A small convolution and the data to run it on; 3-D kept smallest (the reference loops)."""
    dims = draw(st.sampled_from((1, 2, 3)))
    small = dims == 3

    def per_dim(lo: int, hi: int) -> tuple[int, ...]:
        return draw(st.tuples(*[st.integers(lo, hi)] * dims))

    def given_as(values: tuple[int, ...]) -> int | tuple[int, ...]:
        """One int when every dimension agrees (sometimes), to exercise broadcasting."""
        return values[0] if len(set(values)) == 1 and draw(st.booleans()) else values

    kernel = per_dim(1, {1: 4, 2: 3, 3: 2}[dims])
    dilation = per_dim(1, 2 if small else 3)
    mode = draw(st.sampled_from(("int", "int", "same", "valid")))
    stride = (1,) * dims if mode == "same" else per_dim(1, 2 if small else 3)
    padding: Any = per_dim(0, 1 if small else 2) if mode == "int" else mode

    layout = draw(st.sampled_from(("dense", "grouped", "depthwise")))
    if layout == "dense":
        groups, c_in, c_out = 1, draw(st.integers(1, 2 if small else 3)), draw(st.integers(1, 3))
    elif layout == "grouped":
        groups = draw(st.integers(2, 3))
        c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    else:
        groups = c_in = draw(st.integers(2, 2 if small else 3))
        c_out = c_in * draw(st.integers(1, 2))

    before, after = ref.padding_amounts(padding, kernel, dilation)
    size = tuple(
        max(1, d * (k - 1) + 1 - b - a) + draw(st.integers(0, 2 if small else 3))
        for k, d, b, a in zip(kernel, dilation, before, after)
    )
    fixed = draw(st.booleans())
    spec = ConvSpec(
        input_size=given_as(size) if fixed else None,
        kernel_size=given_as(kernel),
        in_channels=c_in,
        out_channels=c_out,
        stride=given_as(stride),
        padding=given_as(padding) if mode == "int" else padding,
        dilation=given_as(dilation),
        groups=groups,
        bias=draw(st.booleans()),
        dims=dims,
    )
    batch = draw(st.integers(1, 2 if small else 3))
    return Case(spec, size, batch, draw(st.integers(0, 2**32 - 1)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", TARGETS)
@settings(deadline=None, max_examples=60)
@given(case=cases())
def test_generated_matches_reference(target: str, dtype: str, case: Case) -> None:
    check_case(case, target, dtype)


# -- the blocked grad_weight schedule (channel-heavy, unit stride): tiles, tails, copies ---------------


@st.composite
def blocked_cases(draw: st.DrawFn) -> Case:
    """A unit-stride layer with at least 2 input and 2 output channels per group: the blocked gradients.

    Output channels per group up to 18 (grad_weight's full tiles of 6 and every row tail; grad_input's
    chunks of 16), columns (channel, tap) odd and even (the column tail), rows of every length mod the
    vector (lane tails), padding of each kind (grad_input blocked when it is at most d·(k − 1)).
    """
    dims = draw(st.sampled_from((1, 2, 3)))
    small = dims == 3

    def per_dim(lo: int, hi: int) -> tuple[int, ...]:
        return draw(st.tuples(*[st.integers(lo, hi)] * dims))

    kernel = per_dim(1, {1: 4, 2: 3, 3: 2}[dims])
    dilation = per_dim(1, 2 if small else 3)
    mode = draw(st.sampled_from(("int", "int", "same", "valid")))
    padding: Any = per_dim(0, 1 if small else 2) if mode == "int" else mode
    groups = draw(st.integers(1, 2))
    c_in = groups * draw(st.integers(2, 3 if small else 4))
    c_out = groups * draw(st.integers(2, 7 if small else 18))  # 18: two chunks of grad_input's 16
    before, after = ref.padding_amounts(padding, kernel, dilation)
    size = tuple(
        max(1, d * (k - 1) + 1 - b - a) + draw(st.integers(0, 3 if small else 12))
        for k, d, b, a in zip(kernel, dilation, before, after)
    )
    fixed = draw(st.booleans())
    spec = ConvSpec(input_size=size if fixed else None, kernel_size=kernel, in_channels=c_in,
                    out_channels=c_out, padding=padding, dilation=dilation, groups=groups, dims=dims)
    return Case(spec, size, draw(st.integers(1, 2 if small else 3)), draw(st.integers(0, 2**32 - 1)))


@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None, max_examples=25)
@given(case=blocked_cases())
def test_c_blocked_gradients_match_reference(dtype: str, case: Case) -> None:
    """The schedules the header names are the blocked ones, and every function still matches."""
    spec = case.spec
    _, header, _ = c_files(spec, dtype)
    text = " ".join(header.split())
    assert "grad_weight: blocked reduction" in text, case
    extent = [e - 1 for e in spec.effective_kernel]
    fits = all(b <= e and a <= e for b, a, e in zip(spec.pad_before, spec.pad_after, extent))
    assert ("grad_input: blocked gather" in text) == fits, case
    check_case(case, "c", dtype)


@pytest.mark.parametrize(
    "spec",
    [ConvSpec(kernel_size=3, in_channels=3, out_channels=3, groups=3, padding=1),  # depthwise
     ConvSpec(kernel_size=3, in_channels=1, out_channels=4),  # one input channel
     ConvSpec(kernel_size=3, in_channels=4, out_channels=1),  # one output channel
     ConvSpec(kernel_size=3, in_channels=4, out_channels=8, stride=2)],  # strided
)
def test_c_gradients_keep_the_plain_schedules_elsewhere(spec: ConvSpec) -> None:
    """Nothing for a tile to share, or a stride: the per-(o, c) grad_weight and the residue gather."""
    _, header, _ = c_files(spec)
    text = " ".join(header.split())
    assert "grad_weight: per (o, c) one accumulator per tap" in text
    assert "grad_weight: blocked" not in text
    assert "grad_input: gather" in text and "grad_input: blocked" not in text


# -- named specs: the README's examples and the corners they stand for ------------------------------

NAMED = {
    "note_3x3_k2": ConvSpec(input_size=(3, 3), kernel_size=2),
    "k3_d2": ConvSpec(kernel_size=3, dilation=2),
    "depthwise": ConvSpec(kernel_size=3, in_channels=3, out_channels=3, groups=3, padding=1),
    "pointwise": ConvSpec(kernel_size=1, in_channels=3, out_channels=4),
    "grouped_strided": ConvSpec(kernel_size=3, in_channels=4, out_channels=6, groups=2, stride=2, padding=1),
    "conv1d": ConvSpec(kernel_size=3, dims=1, stride=2, padding=1, in_channels=2, out_channels=3),
    "conv3d": ConvSpec(kernel_size=2, dims=3, in_channels=2, out_channels=2, padding=1),
    "same_even_dilated": ConvSpec(kernel_size=(2, 4), dilation=(3, 1), padding="same", bias=False),
    "nonsquare_fixed": ConvSpec(input_size=(6, 9), kernel_size=(3, 2), stride=(2, 3), padding=(1, 0),
                                dilation=(1, 2), in_channels=2, out_channels=2),
    "valid_3d_depthwise_fixed": ConvSpec(input_size=(4, 3, 5), kernel_size=(2, 1, 3), padding="valid",
                                         in_channels=2, out_channels=4, groups=2, bias=False),
    "channels_blocked": ConvSpec(kernel_size=3, in_channels=3, out_channels=8, padding=(1, 2),
                                 dilation=(2, 1)),
}
# spatial input sizes to run the open ones on
NAMED_SIZES = {"k3_d2": (7, 8), "channels_blocked": (6, 11), "depthwise": (5, 4), "pointwise": (3, 2),
               "grouped_strided": (7, 6), "conv1d": (9,), "conv3d": (3, 2, 3), "same_even_dilated": (5, 4)}


def named_case(name: str, batch: int = 2) -> Case:
    spec = NAMED[name]
    size = spec.sizes if spec.has_input_size else NAMED_SIZES[name]
    return Case(spec, size, batch, seed=sorted(NAMED).index(name))


@pytest.mark.parametrize("name", sorted(NAMED))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", TARGETS)
def test_named_specs(target: str, dtype: str, name: str) -> None:
    check_case(named_case(name), target, dtype)
    check_case(named_case(name, batch=1), target, dtype)


@pytest.mark.parametrize("target", TARGETS)
def test_open_size_kernel_runs_on_many_sizes(target: str) -> None:
    """One compiled open-size kernel, sizes from the smallest that fits upwards, every stride phase."""
    spec = ConvSpec(kernel_size=(3, 2), stride=(3, 2), dilation=(2, 1), padding=(1, 0), in_channels=2,
                    out_channels=2, groups=2)
    for h in range(3, 9):
        for w in range(2, 6):
            check_case(Case(spec, (h, w), 1, seed=h * 10 + w), target, "float64")


@pytest.mark.parametrize("target", TARGETS)
def test_note_example_numbers(target: str) -> None:
    """The note's 3×3 input and 2×2 kernel, by hand: y11 = x11k11 + x12k12 + x21k21 + x22k22."""
    m = kernel(NAMED["note_3x3_k2"], target, "float64")
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    w = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 2, 2)
    np.testing.assert_array_equal(m.forward(x, w, np.array([0.5])), [[[[37.5, 47.5], [67.5, 77.5]]]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", TARGETS)
def test_depthwise_separable_chain(target: str, dtype: str) -> None:
    """A depthwise layer then a 1×1 layer, forward and back through both, against the reference."""
    dw_spec = ConvSpec(kernel_size=3, in_channels=3, out_channels=3, groups=3, padding=1, stride=2)
    pw_spec = ConvSpec(kernel_size=1, in_channels=3, out_channels=5)
    dw, pw = kernel(dw_spec, target, dtype), kernel(pw_spec, target, dtype)
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (2, 3, 7, 6)).astype(dtype)
    w1, b1 = rng.uniform(-1, 1, (3, 1, 3, 3)).astype(dtype), rng.uniform(-1, 1, 3).astype(dtype)
    w2, b2 = rng.uniform(-1, 1, (5, 3, 1, 1)).astype(dtype), rng.uniform(-1, 1, 5).astype(dtype)
    p1, p2 = ref.params_of(dw_spec), ref.params_of(pw_spec)
    f = {k: v.astype(np.float64) for k, v in {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": b2}.items()}
    h_ref = ref.forward(f["x"], f["w1"], f["b1"], **p1)
    y_ref = ref.forward(h_ref, f["w2"], f["b2"], **p2)
    h = dw.forward(x, w1, b1)
    y = pw.forward(h, w2, b2)
    assert_close(y, y_ref, 50.0, dtype, "y")
    dy = (y - y_ref.astype(dtype)).astype(dtype) + np.ones_like(y)  # ∂J/∂y of some J
    dy_ref = dy.astype(np.float64)
    dh_ref = ref.grad_input(dy_ref, f["w2"], h_ref.shape[2:], **p2)
    dh = pw.grad_input(dy, w2, h.shape[2:])
    assert_close(dh, dh_ref, 50.0, dtype, "dh")
    assert_close(pw.grad_weight(h, dy), ref.grad_weight(h_ref, dy_ref, (1, 1), **p2), 500.0, dtype, "dw2")
    assert_close(dw.grad_input(dh, w1, x.shape[2:]), ref.grad_input(dh_ref, f["w1"], (7, 6), **p1), 500.0,
                 dtype, "dx")
    assert_close(dw.grad_weight(x, dh), ref.grad_weight(f["x"], dh_ref, (3, 3), **p1), 500.0, dtype, "dw1")
    assert_close(dw.grad_bias(dh), ref.grad_bias(dh_ref), 500.0, dtype, "db1")


# -- wrong arguments -----------------------------------------------------------------------------

# A grouped, strided, padded, dilated 2-D spec with an open input size, and a fixed-size one.
OPEN = ConvSpec(kernel_size=(3, 2), in_channels=4, out_channels=6, groups=2, stride=(2, 1), padding=(1, 0),
                dilation=(1, 2))
OPEN_SIZE = (7, 6)  # output (4, 4); the smallest input that fits is (1, 3)
FIXED = ConvSpec(input_size=(5, 6), kernel_size=3, in_channels=2, out_channels=3, padding=1)
SPECS = {"open": OPEN, "fixed": FIXED}


def valid_args(spec: ConvSpec, dtype: str, batch: int = 2) -> dict[str, Any]:
    size = spec.sizes if spec.has_input_size else OPEN_SIZE
    arrays = data(Case(spec, size, batch, seed=7), dtype)
    return {**arrays, "size": size}


def other(dtype: str) -> str:
    return "float32" if dtype == "float64" else "float64"


def noncontiguous(a: np.ndarray) -> np.ndarray:
    """The same values in a strided view (every other element of a bigger array)."""
    big = np.zeros((*a.shape[:-1], 2 * a.shape[-1]), dtype=a.dtype)
    big[..., ::2] = a
    view = big[..., ::2]
    assert not view.flags.c_contiguous and view.shape == a.shape
    return view


def fortran(a: np.ndarray) -> np.ndarray:
    f = np.asfortranarray(a)
    assert not f.flags.c_contiguous
    return f


def unaligned(a: np.ndarray) -> np.ndarray:
    """The same values at an address that is not a multiple of the item size."""
    raw = np.zeros(a.nbytes + 1, dtype=np.uint8)
    view = raw[1:].view(a.dtype).reshape(a.shape)
    view[...] = a
    assert not view.flags.aligned
    return view


def call(m: Any, function: str, a: dict[str, Any]) -> Any:
    if function == "forward":
        return m.forward(a["x"], a["w"], a.get("b"))
    if function == "grad_input":
        return m.grad_input(a["dy"], a["w"], a["size"]) if "size" in a else m.grad_input(a["dy"], a["w"])
    if function == "grad_weight":
        return m.grad_weight(a["x"], a["dy"])
    return m.grad_bias(a["dy"])


def expected_result(spec: ConvSpec, function: str, a: dict[str, Any]) -> np.ndarray:
    """The reference's answer for valid arguments ``a`` (of any dtype and layout)."""
    p = ref.params_of(spec)
    f = {k: np.array(v, dtype=np.float64) for k, v in a.items() if k != "size"}
    if function == "forward":
        return ref.forward(f["x"], f["w"], f.get("b"), **p)
    if function == "grad_input":
        return ref.grad_input(f["dy"], f["w"], a["size"], **p)
    if function == "grad_weight":
        return ref.grad_weight(f["x"], f["dy"], spec.kernel, **p)
    return ref.grad_bias(f["dy"])


def _shapes_in(message: str) -> list[list[str]]:
    return [[p.strip() for p in g.split(",") if p.strip()] for g in re.findall(r"\(([^()]*)\)", message)]


def names_shape(message: str, expected: tuple[int | None, ...]) -> bool:
    """Whether ``message`` shows a shape ``(…)`` with ``expected``'s entries (None: any size, e.g. N)."""
    return any(
        len(parts) == len(expected)
        and all(e is None or p == str(e) for p, e in zip(parts, expected))
        for parts in _shapes_in(message)
    )


def shapes(spec: ConvSpec, function: str) -> dict[str, tuple[int | None, ...]]:
    """The shapes the error messages must name for valid_args' arrays (None: free, e.g. the batch)."""
    size = spec.sizes if spec.has_input_size else OPEN_SIZE
    spatial = spec.sizes if spec.has_input_size else (None,) * spec.ndim
    out = ref.output_size(size, spec.kernel, **_size_params(spec))
    # dy's spatial size is known once x or input_size is; grad_bias alone leaves it open
    dy_out = out if function != "grad_bias" or spec.has_input_size else (None,) * spec.ndim
    return {
        "x": (None, spec.in_channels, *spatial),
        "w": (spec.out_channels, spec.group_in, *spec.kernel),
        "b": (spec.out_channels,),
        "dy": (None, spec.out_channels, *dy_out),
    }


Spoil = Callable[[dict[str, Any], ConvSpec, str], None]


@dataclass(frozen=True)
class Bad:
    """A wrong call: the function, how to spoil valid arguments, and what must happen.

    ``expect`` is one of
      ``("shape", arg)`` / ``("shape", arg, shape)``: a ValueError naming ``arg`` and its expected shape;
      ``("dtype", arg)``: a ValueError naming ``arg`` (None: any) and the generated dtype;
      ``("words", *words)``: a ValueError whose message contains each word;
      ``("layout",)``: a valid array in a layout C cannot take — C raises a ValueError that says
      "contiguous", NumPy either raises a ValueError or returns the right answer;
      ``("either",)``: either target raises a ValueError or returns the right answer.
    """

    id: str
    function: str
    spoil: Spoil
    expect: tuple[Any, ...]
    specs: tuple[str, ...] = ("open", "fixed")


def _set(key: str, f: Callable[[Any], Any]) -> Spoil:
    """Replace ``a[key]`` by ``f(a[key])``, made C-contiguous so only the intended fault is present."""

    def spoil(a: dict[str, Any], spec: ConvSpec, dtype: str) -> None:
        new = f(a[key])
        a[key] = np.ascontiguousarray(new) if isinstance(new, np.ndarray) else new

    return spoil


def _layout(key: str, f: Callable[[np.ndarray], np.ndarray]) -> Spoil:
    """Replace ``a[key]`` by the same values in another memory layout."""

    def spoil(a: dict[str, Any], spec: ConvSpec, dtype: str) -> None:
        a[key] = f(a[key])

    return spoil


def _drop(key: str) -> Spoil:
    def spoil(a: dict[str, Any], spec: ConvSpec, dtype: str) -> None:
        del a[key]

    return spoil


def _cast(key: str, to: str | None) -> Spoil:
    """``a[key]`` in dtype ``to`` (None: the other float dtype)."""

    def spoil(a: dict[str, Any], spec: ConvSpec, dtype: str) -> None:
        a[key] = a[key].astype(to or other(dtype))

    return spoil


def _ints(a: dict[str, Any], spec: ConvSpec, dtype: str) -> None:
    for k in ("x", "w", "b", "dy"):
        a[k] = a[k].astype(np.int64)


def _channels(a: np.ndarray, axis: int, count: int) -> np.ndarray:
    """``a`` with ``count`` entries along ``axis`` (cut, or padded with ones)."""
    shape = list(a.shape)
    shape[axis] = count
    out = np.ones(shape, dtype=a.dtype)
    keep = min(count, a.shape[axis])
    index = (slice(None),) * axis + (slice(0, keep),)
    out[index] = a[index]
    return out


def _spatial_plus(a: np.ndarray, extra: int) -> np.ndarray:
    return np.ones((*a.shape[:2], *(n + extra for n in a.shape[2:])), dtype=a.dtype)


def _too_small(x: np.ndarray) -> np.ndarray:
    """OPEN's x, 2 wide: its kernel spans 3 in the last dimension, without padding there."""
    return np.ones((*x.shape[:-1], 2), dtype=x.dtype)


def _swap_kernel(w: np.ndarray) -> np.ndarray:
    """OPEN's (3, 2) kernel as (2, 3)."""
    return np.swapaxes(w, 2, 3)


# OPEN with input size (11, 10): the output size dy must then have
OPEN_DY_11x10 = (None, 6, 6, 8)

FORWARD = [
    Bad("x_no_batch", "forward", _set("x", lambda x: x[0]), ("shape", "x")),
    Bad("x_extra_axis", "forward", _set("x", lambda x: x[None]), ("shape", "x")),
    Bad("x_channels", "forward", _set("x", lambda x: _channels(x, 1, x.shape[1] + 1)), ("shape", "x")),
    Bad("x_too_small", "forward", _set("x", _too_small), ("words", "3"), ("open",)),
    Bad("x_other_size", "forward", _set("x", lambda x: _spatial_plus(x, 1)), ("shape", "x"), ("fixed",)),
    Bad("x_scalar", "forward", _set("x", lambda x: 1.0), ("shape", "x")),
    Bad("x_none", "forward", _set("x", lambda x: None), ("shape", "x")),
    Bad("w_kernel_swapped", "forward", _set("w", _swap_kernel), ("shape", "w"), ("open",)),
    Bad("w_kernel_smaller", "forward", _set("w", lambda w: w[..., :1]), ("shape", "w")),
    Bad("w_kernel_bigger", "forward", _set("w", lambda w: _channels(w, w.ndim - 1, w.shape[-1] + 1)),
        ("shape", "w")),
    Bad("w_all_in_channels", "forward", _set("w", lambda w: _channels(w, 1, 4)), ("shape", "w"), ("open",)),
    Bad("w_in_channels", "forward", _set("w", lambda w: _channels(w, 1, w.shape[1] + 1)), ("shape", "w")),
    Bad("w_out_channels", "forward", _set("w", lambda w: _channels(w, 0, w.shape[0] - 1)), ("shape", "w")),
    Bad("w_no_kernel_axis", "forward", _set("w", lambda w: w[..., 0]), ("shape", "w")),
    Bad("w_batched", "forward", _set("w", lambda w: w[None]), ("shape", "w")),
    Bad("b_length", "forward", _set("b", lambda b: np.ones(b.shape[0] + 1, dtype=b.dtype)), ("shape", "b")),
    Bad("b_2d", "forward", _set("b", lambda b: b[:, None]), ("shape", "b")),
    Bad("b_scalar", "forward", _set("b", lambda b: b[0].reshape(())), ("shape", "b")),
    Bad("b_float", "forward", _set("b", lambda b: 0.5), ("shape", "b")),
    Bad("x_dtype", "forward", _cast("x", None), ("dtype", "x")),
    Bad("w_dtype", "forward", _cast("w", None), ("dtype", "w")),
    Bad("b_dtype", "forward", _cast("b", None), ("dtype", "b")),
    Bad("x_int64", "forward", _cast("x", "int64"), ("dtype", "x")),
    Bad("w_int32", "forward", _cast("w", "int32"), ("dtype", "w")),
    Bad("b_int64", "forward", _cast("b", "int64"), ("dtype", "b")),
    Bad("x_float16", "forward", _cast("x", "float16"), ("dtype", "x")),
    Bad("x_complex", "forward", _cast("x", "complex128"), ("dtype", "x")),
    Bad("x_bool", "forward", _cast("x", "bool"), ("dtype", "x")),
    Bad("x_object", "forward", _cast("x", "object"), ("dtype", "x")),
    Bad("all_int", "forward", _ints, ("dtype", None)),
    Bad("x_list", "forward", _set("x", lambda x: x.tolist()), ("shape", "x")),
    Bad("w_list", "forward", _set("w", lambda w: w.tolist()), ("shape", "w")),
    Bad("b_list", "forward", _set("b", lambda b: b.tolist()), ("shape", "b")),
    Bad("x_strided", "forward", _layout("x", noncontiguous), ("layout",)),
    Bad("x_fortran", "forward", _layout("x", fortran), ("layout",)),
    Bad("w_strided", "forward", _layout("w", noncontiguous), ("layout",)),
    Bad("b_strided", "forward", _layout("b", noncontiguous), ("layout",)),
    Bad("x_reversed", "forward", _layout("x", lambda x: x[:, ::-1].copy()[:, ::-1]), ("layout",)),
    Bad("x_unaligned", "forward", _layout("x", unaligned), ("either",)),
    Bad("x_byteswapped", "forward", _layout("x", lambda x: x.astype(x.dtype.newbyteorder())), ("either",)),
]

GRAD_INPUT = [
    Bad("dy_no_batch", "grad_input", _set("dy", lambda dy: dy[0]), ("shape", "dy")),
    Bad("dy_channels", "grad_input", _set("dy", lambda dy: _channels(dy, 1, dy.shape[1] - 1)),
        ("shape", "dy")),
    Bad("dy_other_size", "grad_input", _set("dy", lambda dy: _spatial_plus(dy, 1)), ("shape", "dy")),
    Bad("dy_smaller", "grad_input", _set("dy", lambda dy: _spatial_plus(dy, -1)), ("shape", "dy")),
    Bad("size_other_out", "grad_input", _set("size", lambda s: tuple(n + 4 for n in s)),
        ("shape", "dy", OPEN_DY_11x10), ("open",)),
    Bad("size_not_fixed", "grad_input", _set("size", lambda s: tuple(n + 1 for n in s)),
        ("shape", "input_size", FIXED.sizes), ("fixed",)),
    Bad("size_missing", "grad_input", _drop("size"), ("words", "input_size"), ("open",)),
    Bad("size_none", "grad_input", _set("size", lambda s: None), ("words", "input_size"), ("open",)),
    Bad("size_length", "grad_input", _set("size", lambda s: (*s, 3)), ("words", "input_size")),
    Bad("size_short", "grad_input", _set("size", lambda s: s[:1]), ("words", "input_size")),
    Bad("size_int", "grad_input", _set("size", lambda s: s[0]), ("words", "input_size")),
    Bad("size_string", "grad_input", _set("size", lambda s: "".join(map(str, s))), ("words", "input_size")),
    Bad("size_zero", "grad_input", _set("size", lambda s: (0, *s[1:])), ("words", "input_size")),
    Bad("size_negative", "grad_input", _set("size", lambda s: (-s[0], *s[1:])), ("words", "input_size")),
    Bad("size_fractional", "grad_input", _set("size", lambda s: (s[0] + 0.5, *s[1:])),
        ("words", "input_size")),
    Bad("size_too_small", "grad_input", _set("size", lambda s: (*s[:-1], 2)), ("words", "3"), ("open",)),
    Bad("w_kernel_smaller", "grad_input", _set("w", lambda w: w[..., :1]), ("shape", "w")),
    Bad("w_in_channels", "grad_input", _set("w", lambda w: _channels(w, 1, w.shape[1] + 1)),
        ("shape", "w")),
    Bad("dy_dtype", "grad_input", _cast("dy", None), ("dtype", "dy")),
    Bad("w_dtype", "grad_input", _cast("w", None), ("dtype", "w")),
    Bad("dy_int", "grad_input", _cast("dy", "int64"), ("dtype", "dy")),
    Bad("dy_list", "grad_input", _set("dy", lambda dy: dy.tolist()), ("shape", "dy")),
    Bad("w_list", "grad_input", _set("w", lambda w: w.tolist()), ("shape", "w")),
    Bad("dy_strided", "grad_input", _layout("dy", noncontiguous), ("layout",)),
    Bad("w_fortran", "grad_input", _layout("w", fortran), ("layout",)),
]

GRAD_WEIGHT = [
    Bad("x_no_batch", "grad_weight", _set("x", lambda x: x[0]), ("shape", "x")),
    Bad("x_channels", "grad_weight", _set("x", lambda x: _channels(x, 1, x.shape[1] + 1)), ("shape", "x")),
    Bad("x_too_small", "grad_weight", _set("x", _too_small), ("words", "3"), ("open",)),
    Bad("x_other_size", "grad_weight", _set("x", lambda x: _spatial_plus(x, 1)), ("shape", "x"),
        ("fixed",)),
    Bad("dy_other_size", "grad_weight", _set("dy", lambda dy: _spatial_plus(dy, 1)), ("shape", "dy")),
    Bad("dy_smaller", "grad_weight", _set("dy", lambda dy: _spatial_plus(dy, -1)), ("shape", "dy")),
    Bad("dy_channels", "grad_weight", _set("dy", lambda dy: _channels(dy, 1, dy.shape[1] + 1)),
        ("shape", "dy")),
    Bad("dy_batch", "grad_weight", _set("dy", lambda dy: dy[:1]), ("shape", "dy")),
    Bad("dy_no_batch", "grad_weight", _set("dy", lambda dy: dy[0]), ("shape", "dy")),
    Bad("x_dtype", "grad_weight", _cast("x", None), ("dtype", "x")),
    Bad("dy_dtype", "grad_weight", _cast("dy", None), ("dtype", "dy")),
    Bad("x_int", "grad_weight", _cast("x", "int64"), ("dtype", "x")),
    Bad("x_list", "grad_weight", _set("x", lambda x: x.tolist()), ("shape", "x")),
    Bad("dy_list", "grad_weight", _set("dy", lambda dy: dy.tolist()), ("shape", "dy")),
    Bad("x_strided", "grad_weight", _layout("x", noncontiguous), ("layout",)),
    Bad("dy_fortran", "grad_weight", _layout("dy", fortran), ("layout",)),
]

GRAD_BIAS = [
    Bad("dy_no_batch", "grad_bias", _set("dy", lambda dy: dy[0]), ("shape", "dy")),
    Bad("dy_extra_axis", "grad_bias", _set("dy", lambda dy: dy[..., None]), ("shape", "dy")),
    Bad("dy_channels", "grad_bias", _set("dy", lambda dy: _channels(dy, 1, dy.shape[1] + 1)),
        ("shape", "dy")),
    Bad("dy_other_size", "grad_bias", _set("dy", lambda dy: _spatial_plus(dy, 1)), ("shape", "dy"),
        ("fixed",)),
    Bad("dy_dtype", "grad_bias", _cast("dy", None), ("dtype", "dy")),
    Bad("dy_int", "grad_bias", _cast("dy", "int32"), ("dtype", "dy")),
    Bad("dy_list", "grad_bias", _set("dy", lambda dy: dy.tolist()), ("shape", "dy")),
    Bad("dy_strided", "grad_bias", _layout("dy", noncontiguous), ("layout",)),
]

BAD_CALLS = [(bad, s) for bad in FORWARD + GRAD_INPUT + GRAD_WEIGHT + GRAD_BIAS for s in bad.specs]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("bad", "which"), BAD_CALLS, ids=[f"{b.function}-{b.id}-{s}" for b, s in BAD_CALLS])
def test_wrong_arguments(target: str, dtype: str, bad: Bad, which: str) -> None:
    spec = SPECS[which]
    m = kernel(spec, target, dtype)
    a = valid_args(spec, dtype)
    bad.spoil(a, spec, dtype)
    kind, *details = bad.expect
    if kind in ("layout", "either"):
        try:
            got = call(m, bad.function, a)
        except ValueError as e:
            if kind == "layout" and target == "c":
                assert "contiguous" in str(e), f"the error does not say 'contiguous': {e}"
            return
        assert kind == "either" or target == "numpy", f"the C target accepted a {bad.id} array"
        assert_close(got, expected_result(spec, bad.function, a), 100.0, dtype, bad.id)
        return
    with pytest.raises(ValueError) as info:
        call(m, bad.function, a)
    message = str(info.value)
    if kind == "shape":
        arg, *shape = details
        expected = shape[0] if shape else shapes(spec, bad.function)[arg]
        assert re.search(rf"\b{arg}\b", message), f"the error does not name {arg!r}: {message}"
        assert names_shape(message, expected), f"the error does not name the shape {expected}: {message}"
    elif kind == "dtype":
        (arg,) = details
        if arg is not None:
            assert re.search(rf"\b{arg}\b", message), f"the error does not name {arg!r}: {message}"
        assert dtype in message, f"the error does not name the dtype {dtype}: {message}"
    else:
        for word in details:
            assert re.search(rf"\b{word}\b", message), f"the error does not name {word!r}: {message}"


@pytest.mark.parametrize(("bad", "which"), BAD_CALLS, ids=[f"{b.function}-{b.id}-{s}" for b, s in BAD_CALLS])
def test_both_targets_word_their_errors_alike(bad: Bad, which: str) -> None:
    """The NumPy module and the C binding share their checks: the same wrong call, the same message."""
    if bad.expect[0] in ("layout", "either"):
        return  # NumPy may take what C refuses
    spec = SPECS[which]
    messages = []
    for target in TARGETS:
        a = valid_args(spec, "float64")
        bad.spoil(a, spec, "float64")
        with pytest.raises(ValueError) as info:
            call(kernel(spec, target, "float64"), bad.function, a)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("which", sorted(SPECS))
def test_valid_arguments_in_other_forms(target: str, dtype: str, which: str) -> None:
    """What must work: b omitted, input_size as a list or NumPy ints, read-only arrays, batch 1."""
    spec = SPECS[which]
    m = kernel(spec, target, dtype)
    a = valid_args(spec, dtype)
    for function in FUNCTIONS:
        want = expected_result(spec, function, a)
        assert_close(call(m, function, a), want, 100.0, dtype, function)
    readonly = dict(a)
    for k in ("x", "w", "b", "dy"):
        readonly[k] = a[k].copy()
        readonly[k].setflags(write=False)
    for function in FUNCTIONS:
        got = call(m, function, readonly)
        assert_close(got, expected_result(spec, function, a), 100.0, dtype, f"{function}, read-only")
    # past the checks' fast path (ndarray itself, the dtype object itself) to the full check: a subclass
    # and an equal dtype that is another object are still valid
    sub = a["dy"].view(type("Sub", (np.ndarray,), {}))
    same = a["dy"].view(np.dtype(dtype, metadata={"unit": "J"}))
    assert same.dtype == np.dtype(dtype) and same.dtype is not np.dtype(dtype)
    for other_form in (sub, same):
        got = m.grad_bias(other_form)
        assert_close(got, expected_result(spec, "grad_bias", a), 100.0, dtype, "grad_bias, other form")
    for size in (list(a["size"]), tuple(np.int64(n) for n in a["size"]), np.array(a["size"])):
        got = m.grad_input(a["dy"], a["w"], size)
        assert_close(got, expected_result(spec, "grad_input", a), 100.0, dtype, f"input_size {size!r}")
    assert tuple(m.output_size(list(a["size"]))) == tuple(a["dy"].shape[2:])
    one = valid_args(spec, dtype, batch=1)
    for function in FUNCTIONS:
        assert_close(call(m, function, one), expected_result(spec, function, one), 100.0, dtype, function)


@pytest.mark.parametrize("target", TARGETS)
def test_empty_batch(target: str) -> None:
    """Batch 0 either gives empty results of the right shape or a ValueError, never a crash."""
    m = kernel(OPEN, target, "float64")
    a = valid_args(OPEN, "float64", batch=0)
    for function in FUNCTIONS:
        try:
            got = call(m, function, a)
        except ValueError:
            continue
        assert_close(got, expected_result(OPEN, function, a), 1.0, "float64", function)


@pytest.mark.parametrize("target", TARGETS)
def test_output_size_refuses_bad_sizes(target: str) -> None:
    m = kernel(OPEN, target, "float64")
    for size in ((7,), (7, 6, 5), (0, 6), (7, 2), (-1, 6)):
        with pytest.raises(ValueError):
            m.output_size(size)
    assert tuple(m.output_size((1, 3))) == (1, 1)  # the smallest input that fits
    f = kernel(FIXED, target, "float64")
    assert tuple(f.output_size(FIXED.sizes)) == FIXED.output_size
    with pytest.raises(ValueError, match=r"5, 6"):
        f.output_size((6, 6))


@pytest.mark.parametrize("target", TARGETS)
def test_grad_bias_refuses_an_output_size_no_input_gives(target: str) -> None:
    """With 2 zeros each side and a 1-wide kernel every output is ≥ 5 wide: a 2×2 dy is not one."""
    m = kernel(ConvSpec(kernel_size=1, padding=2, out_channels=2), target, "float64")
    np.testing.assert_array_equal(m.grad_bias(np.ones((1, 2, 5, 6))), [30.0, 30.0])
    with pytest.raises(ValueError, match=r"\bdy\b"):
        m.grad_bias(np.ones((1, 2, 2, 2)))


@pytest.mark.parametrize("target", TARGETS)
def test_bias_given_to_a_layer_without_bias(target: str) -> None:
    """A spec with ``bias=False``: forward(x, w, b) refuses b, naming the fix; without b it is right."""
    spec = ConvSpec(kernel_size=2, in_channels=2, out_channels=3, bias=False)
    m = kernel(spec, target, "float64")
    a = data(Case(spec, (4, 4), 2, seed=3), "float64")
    with pytest.raises(ValueError, match=r"no bias .*leave b out"):
        m.forward(a["x"], a["w"], a["b"])
    assert_close(m.forward(a["x"], a["w"]), ref.forward(a["x"], a["w"], None), 10.0, "float64", "forward")


# -- specialisation and determinism ---------------------------------------------------------------

GEN_SPECS = {**NAMED, "open_grouped": OPEN, "fixed": FIXED}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(GEN_SPECS))
def test_generated_text_is_deterministic(target: str, dtype: str, name: str) -> None:
    first = generate(GEN_SPECS[name], target=target, dtype=dtype).files
    second = generate(GEN_SPECS[name], target=target, dtype=dtype).files
    assert first == second
    assert all(isinstance(t, str) and t.endswith("\n") for t in first.values())


_SUBPROCESS_GENERATE = """
import json, sys
from symconv import ConvSpec
from symconv.codegen import generate
specs = [eval(s, {"ConvSpec": ConvSpec}) for s in json.loads(sys.argv[1])]
out = []
for spec in specs:
    for target in ("numpy", "c"):
        try:
            out.append(generate(spec, target=target).files)
        except NotImplementedError:
            out.append(None)
print(json.dumps(out))
"""


def test_generated_text_is_the_same_in_a_fresh_process() -> None:
    """Under other hash seeds (set and dict order of SymPy objects) the text is byte-identical."""
    names = ["grouped_strided", "valid_3d_depthwise_fixed", "same_even_dilated"]
    arg = json.dumps([repr(GEN_SPECS[n]) for n in names])
    results = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", _SUBPROCESS_GENERATE, arg], capture_output=True,
                             text=True, env=env, check=True)
        results.append(json.loads(run.stdout))
    here = []
    for n in names:
        for target in ("numpy", "c"):
            try:
                here.append(generate(GEN_SPECS[n], target=target).files)
            except NotImplementedError:
                here.append(None)
    assert results[0] == results[1] == here


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(GEN_SPECS))
def test_numpy_module_imports_numpy_only(dtype: str, name: str) -> None:
    """numpy is the one dependency: every other import is from the standard library."""
    (text,) = generate(GEN_SPECS[name], target="numpy", dtype=dtype).files.values()
    tree = ast.parse(text)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Name):
            assert node.id not in ("__import__", "importlib", "exec", "eval"), node.id
    assert "numpy" in imported
    others = {m for m in imported - {"numpy"} if m.split(".")[0] not in sys.stdlib_module_names}
    assert not others, f"the generated module imports {sorted(others)}"


def _literal(tree: ast.Module, name: str) -> Any:
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            assert isinstance(node, ast.Assign)
            return ast.literal_eval(node.value)
    raise AssertionError(f"no module-level literal {name}")


# Distinctive numbers, so each can be found as a literal in the text.
DISTINCT = ConvSpec(kernel_size=5, dims=1, stride=11, dilation=7, padding=13, in_channels=6, out_channels=9,
                    groups=3)


@pytest.mark.parametrize("name", sorted(GEN_SPECS))
def test_numpy_constants_are_literals(name: str) -> None:
    spec = GEN_SPECS[name]
    (text,) = generate(spec, target="numpy").files.values()
    tree = ast.parse(text)
    assert _literal(tree, "KERNEL_SIZE") == spec.kernel
    assert _literal(tree, "STRIDE") == spec.strides
    assert _literal(tree, "DILATION") == spec.dilations
    assert _literal(tree, "IN_CHANNELS") == spec.in_channels
    assert _literal(tree, "OUT_CHANNELS") == spec.out_channels
    assert _literal(tree, "GROUPS") == spec.groups
    assert _literal(tree, "PADDING") == tuple(zip(spec.pad_before, spec.pad_after))
    assert _literal(tree, "INPUT_SIZE") == (spec.sizes if spec.has_input_size else None)


def _code_only(text: str, target: str) -> str:
    """The text without comments and docstrings/strings, so literals are found in code."""
    if target == "numpy":
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                node.value = ""
        return ast.unparse(tree)
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


@pytest.mark.parametrize("target", TARGETS)
def test_constants_appear_in_the_code(target: str) -> None:
    """Kernel taps, stride, dilation, channels and groups are constants of the code, not parameters."""
    code = _code_only("\n".join(generate(DISTINCT, target=target).files.values()), target)
    for value in (11, 7, 13, 6, 9, 3):  # stride, dilation, padding, channels, groups
        assert re.search(rf"(?<![\w.]){value}(?![\w.])", code), f"{value} is not a literal in the code"


def test_numpy_functions_take_no_hyper_parameters() -> None:
    m = kernel(DISTINCT, "numpy", "float64")
    assert list(inspect.signature(m.forward).parameters) == ["x", "w", "b"]
    assert list(inspect.signature(m.grad_input).parameters) == ["dy", "w", "input_size"]
    assert list(inspect.signature(m.grad_weight).parameters) == ["x", "dy"]
    assert list(inspect.signature(m.grad_bias).parameters) == ["dy"]


_COMMENT = {".py": "#", ".c": "//", ".h": "//"}


def _preamble(text: str, suffix: str) -> str:
    """The leading comment of a file (``#`` / ``//`` lines, or one ``/* … */`` block)."""
    if suffix in (".c", ".h") and text.startswith("/*"):
        return text[: text.index("*/") + 2]
    lines = []
    for line in text.splitlines():
        if not line.startswith(_COMMENT[suffix]):
            break
        lines.append(line)
    return "\n".join(lines)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(GEN_SPECS))
def test_every_file_starts_with_the_preamble(target: str, dtype: str, name: str) -> None:
    spec = GEN_SPECS[name]
    code = generate(spec, target=target, dtype=dtype)
    assert code.files
    expected_suffixes = {".py"} if target == "numpy" else {".c", ".h", ".py"}  # C: and its binding
    assert {Path(f).suffix for f in code.files} == expected_suffixes
    for filename, text in code.files.items():
        head = _preamble(text, Path(filename).suffix)
        assert head, f"{filename} does not start with a comment"
        assert "Generated by symconv" in head and symconv.__version__ in head, head
        assert "do not edit" in head.lower(), head
        assert spec.describe() in head, head
        command = next((ln for ln in head.splitlines() if "symconv gen" in ln), None)
        assert command, f"{filename}: no regenerating command in {head}"
        words = command[command.index("symconv gen"):].rstrip(" */").split()
        assert words[:2] == ["symconv", "gen"]
        assert words[2:2 + len(spec.cli_args())] == spec.cli_args(), command
        options = dict(zip(words[2 + len(spec.cli_args())::2], words[3 + len(spec.cli_args())::2]))
        assert options.get("--target") == target and options.get("--dtype") == dtype, command
        assert ConvSpec(**_spec_of(words[2:])) == spec, command


def _spec_of(words: list[str]) -> dict[str, Any]:
    """ConvSpec arguments from SPEC options (the subset ``cli_args`` writes)."""
    fields = {"--input": "input_size", "--kernel": "kernel_size", "--stride": "stride",
              "--padding": "padding", "--dilation": "dilation", "--in-channels": "in_channels",
              "--out-channels": "out_channels", "--groups": "groups", "--dims": "dims"}
    out: dict[str, Any] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--no-bias":
            out["bias"] = False
            i += 1
            continue
        if word in ("--target", "--dtype", "--name"):
            i += 2
            continue
        value = words[i + 1]
        parsed: Any = value if value in ("same", "valid") else tuple(int(v) for v in value.split("x"))
        if isinstance(parsed, tuple) and len(parsed) == 1:
            parsed = parsed[0]
        out[fields[word]] = parsed
        i += 2
    return out


def test_name_appears_in_the_command() -> None:
    code = generate(NAMED["k3_d2"], target="numpy", name="my_conv")
    assert list(code.files) == ["my_conv.py"]
    assert "--name my_conv" in _preamble(code.files["my_conv.py"], ".py")


# -- C: prototypes, warnings, sanitizers ----------------------------------------------------------------

_PROTOTYPE = re.compile(r"^[ \t]*(?:extern[ \t]+)?(?:int|void|long)[ \t]+(\w+)[ \t]*\(([^)]*)\)[ \t]*;", re.M)


def prototypes(header: str) -> dict[str, list[str]]:
    """Function name → its parameter declarations, from a header's prototypes."""
    text = _code_only(header, "c")
    return {m.group(1): [p.strip() for p in m.group(2).split(",")] for m in _PROTOTYPE.finditer(text)}


def _function(protos: dict[str, list[str]], suffix: str) -> list[str]:
    found = [params for name, params in protos.items() if name.endswith(suffix)]
    assert len(found) == 1, f"one function named *{suffix} expected in {sorted(protos)}"
    return found[0]


def c_files(spec: ConvSpec, dtype: str = "float64") -> tuple[str, str, str]:
    """The header's name, its text and the library source's text (not the extension binding's)."""
    code = generate(spec, target="c", dtype=dtype)
    h, c = f"{code.name}.h", f"{code.name}.c"
    return h, code.files[h], code.files[c]


@pytest.mark.parametrize("name", sorted(GEN_SPECS))
def test_c_functions_take_sizes_only_when_open(name: str) -> None:
    """Batch always; the spatial sizes only when the input size is open; no hyper-parameters."""
    spec = GEN_SPECS[name]
    _, header, _ = c_files(spec)
    protos = prototypes(header)
    for function in FUNCTIONS:
        params = _function(protos, function)
        scalars = [p for p in params if "*" not in p and p != "void"]
        pointers = [p for p in params if "*" in p]
        expected = 1 + (0 if spec.has_input_size else spec.ndim)
        assert len(scalars) == expected, f"{function}{tuple(params)}: expected {expected} size arguments"
        assert pointers, f"{function} takes no arrays"


COMPILERS = ["cc"] + (["clang"] if shutil.which("clang") else [])
WARNINGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]


def compile_c(compiler: str, sources: list[Path], out: Path, flags: list[str]) -> None:
    """Compile (``-c`` in ``flags``) or link; fail with the compiler's output."""
    run = subprocess.run([compiler, *flags, "-o", str(out), *map(str, sources)], capture_output=True,
                         text=True)
    assert run.returncode == 0, f"{compiler} {' '.join(flags)} failed:\n{run.stdout}{run.stderr}"
    assert not run.stderr.strip(), f"{compiler} printed diagnostics:\n{run.stderr}"


def write_c(spec: ConvSpec, dtype: str, where: Path) -> tuple[Path, Path]:
    """Every file of the C target written to ``where``: the header's path and the library source's."""
    code = generate(spec, target="c", dtype=dtype)
    for filename, text in code.files.items():
        (where / filename).write_text(text)
    return where / f"{code.name}.h", where / f"{code.name}.c"


# the explicit SIMD paths: AVX2+FMA and AVX-512 by their flags (compiled on any x86-64 machine; the
# AVX-512 code runs only where the CPU has it, through native), and whatever this CPU has (native)
ARCH = {"portable": [], "native": ["-march=native"]}
if platform.machine() in ("x86_64", "AMD64"):
    ARCH |= {"avx2": ["-mavx2", "-mfma"], "avx512": ["-mavx512f", "-mfma"]}
RUNNABLE_ARCH = [a for a in sorted(ARCH) if a != "avx512"]  # runs on every x86-64 CPU with AVX2


# layers of the benchmark's size (fixed input sizes): a compiler's loop analysis, given every trip
# count, warns where it does not on the small layers (gcc once warned of an overflowing iteration in
# grad_weight's tile on the first three, and in the depthwise forward's dead row tail on the fourth)
LARGE_SPECS = {
    "large_depthwise": ConvSpec(input_size=(32, 32), kernel_size=3, in_channels=32, out_channels=32,
                                padding=1, groups=32),
    "large_dilated": ConvSpec(input_size=(32, 32), kernel_size=3, in_channels=16, out_channels=16, padding=1,
                              dilation=2),
    "large_pointwise": ConvSpec(input_size=(16, 16), kernel_size=1, in_channels=32, out_channels=64),
    "large_1d": ConvSpec(input_size=(1024,), kernel_size=5, in_channels=8, out_channels=8, padding=2, dims=1),
}


@pytest.mark.parametrize("arch", sorted(ARCH))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("compiler", COMPILERS)
def test_c_compiles_warning_free(compiler: str, dtype: str, arch: str, tmp_path: Path) -> None:
    """At -O2 and at the loader's -O3 (some warnings come from the optimiser's analysis; the large
    layers, slow to compile, at -O3 only)."""
    for name, spec in sorted({**GEN_SPECS, **LARGE_SPECS}.items()):
        where = tmp_path / name
        where.mkdir()
        h, c = write_c(spec, dtype, where)
        for level in ("-O3",) if name in LARGE_SPECS else ("-O2", "-O3"):
            compile_c(compiler, [c], where / "unit.o", [*WARNINGS, *ARCH[arch], level, "-c"])
        # the header on its own, included from C
        probe = where / "probe.c"
        probe.write_text(f'#include "{h.name}"\n#include "{h.name}"\nint main(void) {{ return 0; }}\n')
        compile_c(compiler, [probe], where / "probe.o", [*WARNINGS, "-c"])


# The sanitizer driver: reads x, w, b, dy as text from stdin, checks refusals, calls all four
# functions and prints their results; the calls are written from the header's prototypes.
_DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include "{header}"

static {ctype} *read_array(long count)
{{
    {ctype} *a = malloc((size_t)count * sizeof *a);
    long i;
    if (!a) exit(3);
    for (i = 0; i < count; i++) {{
        double v;
        if (scanf("%lf", &v) != 1) exit(4);
        a[i] = ({ctype})v;
    }}
    return a;
}}

/* Exactly ``count`` elements, so any access past the end is an AddressSanitizer error. */
static {ctype} *sentinel_array(long count)
{{
    {ctype} *a = malloc((size_t)count * sizeof *a);
    long i;
    if (!a) exit(3);
    for (i = 0; i < count; i++) a[i] = ({ctype})-1234.5;
    return a;
}}

static int untouched(const {ctype} *a, long count)
{{
    long i;
    for (i = 0; i < count; i++) if (a[i] != ({ctype})-1234.5) return 0;
    return 1;
}}

static void print_array(const char *name, const {ctype} *a, long count)
{{
    long i;
    printf("%s", name);
    for (i = 0; i < count; i++) printf(" %.17g", (double)a[i]);
    printf("\n");
}}

int main(void)
{{
    {ctype} *x = read_array({nx}), *w = read_array({nw}), *b = read_array({nb}), *dy = read_array({ndy});
    {ctype} *y = sentinel_array({ny}), *gx = sentinel_array({nx});
    {ctype} *gw = sentinel_array({nw}), *gb = sentinel_array({nb});
    int refused = 1;
    /* calls the C must refuse with a nonzero code, writing nothing */
{refusals}
    printf("refused %d\n", refused);
    printf("status %d %d %d %d\n", {forward}, {grad_input}, {grad_weight}, {grad_bias});
    print_array("y", y, {ny});
    print_array("gx", gx, {nx});
    print_array("gw", gw, {nw});
    print_array("gb", gb, {nb});
    free(x); free(w); free(b); free(dy); free(y); free(gx); free(gw); free(gb);
    return 0;
}}
"""

# Names a pointer parameter may have, by role (checked against the header, so a rename fails loudly).
_ROLES = {
    "x": ("x", "input"),
    "w": ("w", "weight", "weights", "kernel"),
    "b": ("b", "bias"),
    "dy": ("dy", "grad_output", "delta"),
    "y": ("y", "output"),
    "gx": ("dx", "gx", "grad_input", "grad_x"),
    "gw": ("dw", "gw", "grad_weight", "grad_w"),
    "gb": ("db", "gb", "grad_bias", "grad_b"),
}
_BINDS = {
    "forward": ({"x": "x", "w": "w", "b": "b", "y": "y"}, "y"),
    "grad_input": ({"dy": "dy", "w": "w", "gx": "gx"}, "gx"),
    "grad_weight": ({"x": "x", "dy": "dy", "gw": "gw"}, "gw"),
    "grad_bias": ({"dy": "dy", "gb": "gb"}, "gb"),
}


def c_call(name: str, params: list[str], binds: dict[str, str], batch: int | str,
           sizes: tuple[int, ...]) -> str:
    """A C call of ``name``: pointers bound by their role, scalars the batch then the spatial sizes."""
    args = []
    scalars = [str(batch), *map(str, sizes)]
    for decl in params:
        pname = re.findall(r"\w+", decl)[-1]
        if "*" in decl:
            role = next((r for r, names in _ROLES.items() if pname in names and r in binds), None)
            assert role, f"{name}: cannot tell which array the parameter {decl!r} is (known: {sorted(binds)})"
            args.append(binds[role])
        else:
            assert scalars, f"{name}: more size parameters than batch and the spatial sizes: {params}"
            args.append(scalars.pop(0))
    return f"{name}({', '.join(args)})"


def _refusals(spec: ConvSpec, protos: dict[str, list[str]], case: Case, counts: dict[str, int]) -> str:
    """C statements that clear ``refused`` unless every bad call returns nonzero and writes nothing."""
    lines = []
    span = [e - b - a for e, b, a in zip(spec.effective_kernel, spec.pad_before, spec.pad_after)]
    for function, (binds, out) in _BINDS.items():
        name = next(n for n in protos if n.endswith(function))
        params = protos[name]
        bad_calls = [c_call(name, params, binds, -1, case.size)]  # a negative batch
        bad_calls.append(c_call(name, params, {**binds, out: "NULL"}, case.batch, case.size))  # no output
        if not spec.has_input_size:
            bad_calls.append(c_call(name, params, binds, case.batch, (0, *case.size[1:])))
            if span[-1] > 1:  # a last dimension smaller than the kernel's span with the padding
                bad_calls.append(c_call(name, params, binds, case.batch, (*case.size[:-1], span[-1] - 1)))
        for bad in bad_calls:
            lines.append(f"    if ({bad} == 0) refused = 0;")
        lines.append(f"    if (!untouched({out}, {counts['n' + out]})) refused = 0;")
    return "\n".join(lines)


SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]


def _links_sanitizers(compiler: str) -> bool:
    """Whether ``compiler`` has its sanitizer runtimes installed (clang's come in a separate package)."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "probe.c"
        source.write_text("int main(void) { return 0; }\n")
        run = subprocess.run([compiler, *SANITIZE, "-o", str(Path(tmp) / "probe"), str(source)],
                             capture_output=True)
        return run.returncode == 0


# cc always (a missing sanitizer runtime there is a failure); other compilers when they can link one
SANITIZER_COMPILERS = ["cc"] + [c for c in COMPILERS[1:] if _links_sanitizers(c)]

SANITIZER_CASES = {
    "k3_d2": (2, (7, 8)),
    "grouped_strided": (2, (7, 6)),
    "conv1d": (3, (9,)),
    "valid_3d_depthwise_fixed": (2, (4, 3, 5)),
    "same_even_dilated": (1, (5, 4)),
    "note_3x3_k2": (1, (3, 3)),
    "channels_blocked": (2, (6, 11)),
    "pointwise": (3, (3, 5)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(SANITIZER_CASES))
@pytest.mark.parametrize("compiler", SANITIZER_COMPILERS)
def test_c_is_sanitizer_clean(compiler: str, name: str, dtype: str, tmp_path: Path) -> None:
    """The C alone, under ASan and UBSan: right answers, refusals that write nothing, no stray access."""
    batch, size = SANITIZER_CASES[name]
    run_sanitized(compiler, NAMED[name], size, batch, dtype, tmp_path)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["channels_blocked", "pointwise"])
@pytest.mark.parametrize("compiler", SANITIZER_COMPILERS)
@pytest.mark.parametrize("arch", [a for a in RUNNABLE_ARCH if a != "portable"])
def test_c_is_sanitizer_clean_with_simd(
    compiler: str, name: str, dtype: str, arch: str, tmp_path: Path
) -> None:
    """The same with the explicit SIMD paths: this CPU's (native) and AVX2's, whatever the CPU's widest."""
    batch, size = SANITIZER_CASES[name]
    run_sanitized(compiler, NAMED[name], size, batch, dtype, tmp_path, tuple(ARCH[arch]))


def run_sanitized(
    compiler: str, spec: ConvSpec, size: tuple[int, ...], batch: int, dtype: str, tmp_path: Path,
    flags: tuple[str, ...] = (),
) -> None:
    """Compile ``spec``'s C with a driver under ASan and UBSan (plus ``flags``), run it, check its output."""
    case = Case(spec, size, batch, seed=11)
    h, c = write_c(spec, dtype, tmp_path)
    protos = prototypes(h.read_text())
    arrays = {k: v.astype(np.float64) for k, v in data(case, dtype).items()}
    out = ref.output_size(size, spec.kernel, **_size_params(spec))
    counts = {"nx": arrays["x"].size, "nw": arrays["w"].size, "nb": arrays["b"].size,
              "ndy": arrays["dy"].size, "ny": case.batch * spec.out_channels * math.prod(out)}
    counts |= {"ngx": counts["nx"], "ngw": counts["nw"], "ngb": counts["nb"]}
    sizes = () if spec.has_input_size else case.size
    calls = {}
    for function, (binds, _) in _BINDS.items():
        name_c = next(n for n in protos if n.endswith(function))
        if function == "forward" and not spec.bias:
            binds = {**binds, "b": "NULL"}  # a layer without bias: the C takes NULL for b
        calls[function] = c_call(name_c, protos[name_c], binds, case.batch, sizes)
    refusals = _refusals(spec, protos, Case(spec, sizes, batch, 0), counts)
    driver = tmp_path / "driver.c"
    driver.write_text(_DRIVER.format(header=h.name, ctype="double" if dtype == "float64" else "float",
                                     refusals=refusals, **calls, **counts))
    exe = tmp_path / "driver"
    compile_c(compiler, [driver, c], exe,
              [*WARNINGS, "-g", "-O1", "-fno-omit-frame-pointer", *SANITIZE, *flags, f"-I{tmp_path}"])
    stdin = " ".join(repr(float(v)) for k in ("x", "w", "b", "dy") for v in arrays[k].ravel())
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=1", "UBSAN_OPTIONS": "print_stacktrace=1"}
    run = subprocess.run([str(exe)], input=stdin, capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, f"driver exit {run.returncode}:\n{run.stderr[-4000:]}"
    assert not run.stderr.strip(), f"sanitizer output:\n{run.stderr[-4000:]}"
    printed = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in run.stdout.splitlines()}
    assert printed["refused"] == [1.0], "a bad call returned 0 or wrote its output:\n" + refusals
    assert printed["status"] == [0.0] * 4, f"a valid call failed: {printed['status']}"
    p = ref.params_of(spec)
    want = expected(case, {**arrays, "b": arrays["b"] if spec.bias else None}, p)
    for key, (value, scale) in want.items():
        np.testing.assert_allclose(printed[key], value.ravel(), rtol=RTOL[dtype], atol=RTOL[dtype] * scale,
                                   err_msg=f"{key} printed by the sanitized driver")


def mutable_state(source: str) -> list[str]:
    """Declarations of C variables that outlive a call and are not const: hidden global state."""
    code = _code_only(source, "c")
    code = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", "", code, flags=re.M)  # directives, continued lines too
    code = re.sub(r'\bextern\s*""\s*\{', "", code)  # C++ linkage blocks: their '}' is skipped below
    found = [m.group(0) for m in re.finditer(r"\bstatic\b[^;{(=]*[;=]", code) if "const" not in m.group(0)]
    depth, top, head = 0, [], ""  # the text outside every brace; a closed body ends a statement
    for ch in code:
        if ch == "{":
            if depth == 0:
                head = "".join(top).rsplit(";", 1)[-1]
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)  # at 0: the end of an extern "C" block
            if depth == 0:  # a type's body: the declaration goes on to its ';'; any other ends here
                typed = re.fullmatch(r"\s*(typedef\s+)?(struct|union|enum)\b[^=(]*", head)
                top.append("{}" if typed else ";")
        elif depth == 0:
            top.append(ch)
    for statement in "".join(top).split(";"):
        statement = " ".join(statement.split())
        if not statement or statement.startswith(("typedef", "static")) or (
            "(" in statement and "=" not in statement
        ):
            continue  # nothing, a type, a static (found above), a function's prototype or definition
        if re.fullmatch(r"(struct|union|enum)\b[^{]*\{\}", statement):
            continue  # a type's definition without a variable
        if "const" not in statement:
            found.append(statement)
    return found


def test_mutable_state_finds_globals() -> None:
    """The checker itself: it finds file-scope and static variables, and passes functions and constants."""
    source = (
        "static int sizes(long n) { static long calls; calls++; return 0; }\n"
        "int counter;\ndouble table[2] = {1, 2};\nstatic const double weights[2] = {1, 2};\n"
        "int f(const double *x, long n);\nint f(const double *x, long n) { long i = n; return (int)i; }\n"
        '#ifdef __cplusplus\nextern "C" {\n#endif\n'
        "int g(void);\nextern long shared;\n"
        "#ifdef __cplusplus\n}\n#endif\n"
        "#define RUN(call) \\\n    do { \\\n        call; \\\n    } while (0)\n"
        "typedef struct {\n    long n;\n} Sizes;\nenum { A, B };\nstruct point { long x; };\n"
        "struct point origin;\nstruct point corner = {1};\nstatic struct point moved = {2};\n"
        "static const char *const names[] = {\"a\"};\n"
    )
    assert sorted(mutable_state(source)) == [
        "double table[2] =", "extern long shared", "int counter", "static long calls;",
        "static struct point moved =", "struct point corner =", "struct point origin",
    ]


@pytest.mark.parametrize("name", sorted(GEN_SPECS))
def test_c_has_no_hidden_state(name: str) -> None:
    code = generate(GEN_SPECS[name], target="c")
    for filename in (f"{code.name}.c", f"{code.name}.h"):
        assert mutable_state(code.files[filename]) == [], f"{filename} keeps state between calls"
    # the extension binding: only the tables CPython's API takes as non-const (its state is the module's)
    assert mutable_state(code.files[f"{code.name}_ext.c"]) == [
        "static PyMethodDef methods[] =", "static struct PyModuleDef module_definition ="
    ]


def test_c_load_compiles_each_source_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled library is cached by the source: the same text is not compiled twice."""
    monkeypatch.setenv("SYMCONV_CACHE", str(tmp_path))
    spec = ConvSpec(kernel_size=2, in_channels=2, out_channels=2, padding=1)

    def cached() -> dict[Path, int]:
        return {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}

    generate(spec, target="c").load()
    first = cached()
    assert len(first) == 1, f"one library expected in the cache: {sorted(first)}"
    m = generate(spec, target="c").load()
    assert cached() == first, "the same source was compiled again"
    check_case(Case(spec, (3, 4), 2, seed=5), "c", "float64")
    x = np.ones((1, 2, 3, 3))
    assert m.forward(x, np.ones((2, 2, 2, 2))).shape == (1, 2, 4, 4)
    generate(spec, target="c", dtype="float32").load()
    generate(spec, target="c", name="renamed").load()
    assert len(cached()) == 3, "another dtype or name is another library"


def test_c_load_flags_native_by_default_and_portable_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-O3 -march=native -ffp-contract=fast by default; SYMCONV_NATIVE=0: portable -O3; one library each."""
    from symconv.codegen.c_compile import cflags

    monkeypatch.setenv("SYMCONV_CACHE", str(tmp_path))
    monkeypatch.delenv("SYMCONV_NATIVE", raising=False)
    assert {"-O3", "-march=native", "-ffp-contract=fast"} <= set(cflags())
    spec = ConvSpec(kernel_size=2, in_channels=2, out_channels=2, padding=1)
    generate(spec, target="c").load()
    monkeypatch.setenv("SYMCONV_NATIVE", "0")
    assert "-O3" in cflags() and "-march=native" not in cflags()
    generate(spec, target="c").load()
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 2, "the flags are part of the cache key"
    check_case(Case(spec, (3, 4), 2, seed=5), "c", "float64")


# -- the C target's ctypes binding ----------------------------------------------------------------


def test_c_binding_before_load_says_how_to_load() -> None:
    """The binding imported without its library: a call names load(), the checks still run first."""
    from symconv.codegen.numpy_backend import import_text

    code = generate(OPEN, target="c")
    module = f"{code.name}_c"
    binding = import_text(module, f"{module}.py", code.files[f"{module}.py"])
    a = valid_args(OPEN, "float64")
    with pytest.raises(RuntimeError, match=rf"{module}\.load\(.*lib{code.name}\.so"):
        binding.forward(a["x"], a["w"], a["b"])
    with pytest.raises(ValueError, match=r"\bx must have dtype float64"):
        binding.forward(a["x"].astype(np.float32), a["w"])
    assert tuple(binding.output_size(OPEN_SIZE)) == a["dy"].shape[2:]


def test_c_binding_runs_on_a_library_compiled_by_hand(tmp_path: Path) -> None:
    """What a user does: cc -shared the .c, import the _c.py from its folder, load the library."""
    spec = ConvSpec(kernel_size=3, stride=2, padding=1, in_channels=2, out_channels=4, groups=2)
    code = generate(spec, target="c")
    for filename, text in code.files.items():
        (tmp_path / filename).write_text(text, encoding="utf-8")
    library = tmp_path / f"lib{code.name}.so"
    compile_c("cc", [tmp_path / f"{code.name}.c"], library, [*WARNINGS, "-O2", "-shared", "-fPIC"])
    script = (
        f"import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import {code.name}_c as m; "
        f"m.load(sys.argv[2]); print(m.forward(np.ones((1, 2, 5, 5)), np.ones((4, 1, 3, 3))).sum())"
    )
    done = subprocess.run(
        [sys.executable, "-B", "-c", script, str(tmp_path), str(library)],
        capture_output=True, text=True, check=False,
    )
    x, w = np.ones((1, 2, 5, 5)), np.ones((4, 1, 3, 3))
    want = ref.forward(x, w, None, stride=2, padding=1, groups=2).sum()
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) == pytest.approx(want)


def test_codegen_modules_import_no_cycle() -> None:
    """symconv.codegen's modules import each other without a cycle, not even under TYPE_CHECKING."""
    package = Path(symconv.__file__).parent / "codegen"
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        name = f"symconv.codegen.{path.stem}" if path.stem != "__init__" else "symconv.codegen"
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("symconv.codegen"):
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported |= {a.name for a in node.names if a.name.startswith("symconv.codegen")}
        graph[name] = imported - {"symconv.codegen"}  # the package itself: only __init__ re-exports

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, "import cycle: " + " → ".join((*path, node))
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, (*path, node))

    for start in sorted(graph):
        visit(start, ())


def test_printed_integer_divisions_keep_their_meaning_in_products() -> None:
    """``floor`` prints as a division: as a factor it is parenthesised, so it still means floor."""
    import sympy as sp

    from symconv.printing.code import cexpr, pyexpr
    from symconv.sizes import input_channel

    o, c, n = sp.symbols("o c n", integer=True, nonnegative=True)
    cases = [input_channel(o, c, 2, 4), -sp.floor(o / 4), sp.floor((n - 3) / 2) + 1, 3 * sp.floor(o / 2) ** 2]
    for expr in cases:
        for values in ((0, 1, 5), (2, 0, 3), (7, 1, 12), (13, 2, 4)):
            env = dict(zip(("o", "c", "n"), values))
            want = int(expr.subs({o: values[0], c: values[1], n: values[2]}))
            assert eval(pyexpr(expr), {}, env) == want, pyexpr(expr)
    assert cexpr(input_channel(o, c, 2, 4)) == "c + 2*((o) / 4)"
