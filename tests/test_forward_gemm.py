"""The C forward's register-blocked schedules (``symconv/codegen/c_forward_gemm.py``).

The implicit GEMM (channel-heavy layers), the plain GEMM (1×1, unit stride, no
padding) and the vectorised per-channel stencil (depthwise), each against the
independent plain-loop reference (``tests/reference.py``) over a hypothesis
sweep that reaches them (the generated header must name the schedule): tails
of the channel block (C_out/G not a multiple of the block), of the row block
and of the vector (rows shorter than one vector: scalar code only), strides
off the row, dilations, groups, padding (ints, ``same``, ``valid``), 1-D to
3-D, float32 and float64, this CPU's vector path (``-march=native``: AVX-512's
32-register blocks where the CPU has it) and the portable one. Then:
warning-free under gcc and clang portable, with AVX2+FMA, with AVX-512 and
native; ASan+UBSan clean (and checked against the reference) portable, with
AVX2+FMA (the 16-register blocks, whatever this CPU's widest) and native;
byte-identical generation.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import reference as ref
from hypothesis import given, settings
from hypothesis import strategies as st
from test_codegen import (
    ARCH,
    COMPILERS,
    DTYPES,
    RUNNABLE_ARCH,
    SANITIZER_COMPILERS,
    WARNINGS,
    Case,
    assert_close,
    compile_c,
    data,
    expected,
    kernel,
    run_sanitized,
    write_c,
)

from symconv import ConvSpec
from symconv.codegen import generate
from symconv.codegen.c_compile import compile_shared
from symconv.codegen.schedule import GEMM_MR, WIDE_MR, schedule

MR = max(GEMM_MR, WIDE_MR)  # the larger register block's channels: the sweep reaches both blocks' tails
IMPLICIT, PLAIN, STENCIL = "register-blocked implicit GEMM", "plain GEMM", "vectorised stencil per channel"


def header_schedule(spec: ConvSpec, dtype: str = "float64") -> str:
    """The schedule comment of the generated header, as one line."""
    files = generate(spec, target="c", dtype=dtype).files
    (h,) = [text for name, text in files.items() if name.endswith(".h")]
    head = h.split("Schedule:", 1)[1].split("*/", 1)[0]
    return " ".join(part.strip(" *") for part in head.splitlines())


def which(spec: ConvSpec) -> str:
    """The forward schedule ``spec`` must get, from its shape (independent of ``schedule``'s code)."""
    flat = spec.is_pointwise and all(s == 1 for s in spec.strides) and not spec.is_padded
    if spec.group_out == 1 and spec.group_in == 1 and spec.groups > 1:
        return STENCIL
    return PLAIN if flat else IMPLICIT


@st.composite
def gemm_cases(draw: st.DrawFn) -> Case:
    """Specs the blocked schedules run: unit stride along the row, channel-heavy or depthwise."""
    dims = draw(st.sampled_from((1, 2, 2, 3)))
    small = dims == 3

    def per_dim(lo: int, hi: int) -> tuple[int, ...]:
        return draw(st.tuples(*[st.integers(lo, hi)] * dims))

    layout = draw(st.sampled_from(("dense", "dense", "grouped", "depthwise", "pointwise")))
    if layout == "pointwise":
        kernel_size, dilation, stride, padding = (1,) * dims, (1,) * dims, (1,) * dims, (0,) * dims
        mode = "int"
    else:
        kernel_size = per_dim(1, 2 if small else 3)
        dilation = per_dim(1, 2)
        mode = draw(st.sampled_from(("int", "int", "same", "valid")))
        stride = (1,) * dims if mode == "same" else (*per_dim(1, 2)[:-1], 1)  # unit stride along the row
        padding = per_dim(0, 2) if mode == "int" else mode
    if layout == "depthwise":
        groups = c_in = c_out = draw(st.integers(2, 3))
    else:
        groups = 1 if layout in ("dense", "pointwise") else 2
        group_out = draw(st.integers(4, 2 * MR + 1))  # full blocks, tails of every length
        group_in = draw(st.integers(1, 2 if small else 3))
        c_in, c_out = groups * group_in, groups * group_out
    before, after = ref.padding_amounts(padding, kernel_size, dilation)
    smallest = [max(1, d * (k - 1) + 1 - b - a) for k, d, b, a in zip(kernel_size, dilation, before, after)]
    # rows from shorter than one vector to past two vector blocks; the other dimensions small
    extra = [draw(st.integers(0, 1 if small else 3)) for _ in smallest[:-1]] + [draw(st.integers(0, 21))]
    size = tuple(n + e for n, e in zip(smallest, extra))
    spec = ConvSpec(
        input_size=size if draw(st.booleans()) else None,
        kernel_size=kernel_size, in_channels=c_in, out_channels=c_out, stride=stride,
        padding=padding, dilation=dilation, groups=groups, bias=draw(st.booleans()), dims=dims,
    )
    return Case(spec, size, draw(st.integers(1, 2)), draw(st.integers(0, 2**32 - 1)))


def check_forward(case: Case, dtype: str, m: Any) -> None:
    """The loaded forward of ``case`` (with and without b) against the reference."""
    spec, p = case.spec, ref.params_of(case.spec)
    arrays = data(case, dtype)
    a64 = {k: v.astype(np.float64) for k, v in arrays.items()}
    what = f"[c {dtype}] {case}"
    assert_close(m.forward(arrays["x"], arrays["w"]), *expected(case, {**a64, "b": None}, p)["y"], dtype,
                 f"forward without b: {what}")
    if spec.bias:
        assert_close(m.forward(arrays["x"], arrays["w"], arrays["b"]), *expected(case, a64, p)["y"], dtype,
                     f"forward: {what}")


@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None, max_examples=50)
@given(case=gemm_cases())
def test_blocked_forward_matches_reference(dtype: str, case: Case) -> None:
    assert which(case.spec) in header_schedule(case.spec, dtype), header_schedule(case.spec, dtype)
    assert schedule(case.spec).gemm is not None
    check_forward(case, dtype, kernel(case.spec, "c", dtype))


# Named corners: a tail block of channels, rows shorter than a vector, strided rows, 1-D, 3-D, 1×1.
CORNERS = {
    "tail_channels": (ConvSpec(kernel_size=3, in_channels=3, out_channels=2 * MR + 1, padding=1),
                      2, (5, 19)),
    "tiny": (ConvSpec(kernel_size=3, in_channels=2, out_channels=4, padding="same"), 1, (1, 1)),
    "strided_rows_dilated": (ConvSpec(kernel_size=(2, 3), stride=(2, 1), dilation=(2, 2), padding=(1, 2),
                                      in_channels=4, out_channels=10, groups=2), 2, (6, 13)),
    "conv1d": (ConvSpec(kernel_size=5, dims=1, padding=2, in_channels=3, out_channels=7), 2, (37,)),
    "conv3d": (ConvSpec(kernel_size=2, dims=3, padding=1, dilation=(1, 2, 1), in_channels=2, out_channels=5),
               1, (3, 4, 9)),
    "pointwise": (ConvSpec(kernel_size=1, in_channels=5, out_channels=9), 2, (3, 7)),
    "pointwise_strided": (ConvSpec(kernel_size=1, stride=(2, 1), in_channels=3, out_channels=6), 2, (5, 11)),
    "depthwise": (ConvSpec(kernel_size=3, in_channels=3, out_channels=3, groups=3, padding=1), 2, (9, 17)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CORNERS))
def test_corners_match_reference(name: str, dtype: str) -> None:
    spec, batch, size = CORNERS[name]
    assert which(spec) in header_schedule(spec, dtype)
    check_forward(Case(spec, size, batch, seed=3), dtype, kernel(spec, "c", dtype))


@pytest.mark.parametrize("name", sorted(CORNERS))
def test_portable_path_matches_reference(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Compiled without ``-march`` (``SYMCONV_NATIVE=0``): the one-lane C99 fallback, same answers."""
    monkeypatch.setenv("SYMCONV_NATIVE", "0")
    monkeypatch.setenv("SYMCONV_CACHE", str(tmp_path))
    spec, batch, size = CORNERS[name]
    code = generate(spec, target="c", dtype="float32")
    m = code.load()
    assert compile_shared(code).is_relative_to(tmp_path)
    check_forward(Case(spec, size, batch, seed=5), "float32", m)


def test_few_channel_and_row_strided_layers_keep_the_direct_stencil() -> None:
    for spec in (ConvSpec(kernel_size=3), ConvSpec(kernel_size=3, in_channels=4, out_channels=3),
                 ConvSpec(kernel_size=3, stride=2, in_channels=8, out_channels=8)):
        assert schedule(spec).gemm is None
        assert "direct stencil" in header_schedule(spec)


@pytest.mark.parametrize("arch", sorted(ARCH))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("compiler", COMPILERS)
def test_blocked_c_compiles_warning_free(
    compiler: str, dtype: str, arch: str, tmp_path: Path
) -> None:
    for name, (spec, _, _) in sorted(CORNERS.items()):
        where = tmp_path / name
        where.mkdir()
        _, c = write_c(spec, dtype, where)
        compile_c(compiler, [c], where / "unit.o", [*WARNINGS, "-O3", *ARCH[arch], "-c"])


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
@pytest.mark.parametrize("arch", RUNNABLE_ARCH)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["tail_channels", "strided_rows_dilated", "conv1d", "conv3d", "pointwise",
                                  "depthwise", "tiny"])
@pytest.mark.parametrize("compiler", SANITIZER_COMPILERS)
def test_blocked_c_is_sanitizer_clean(
    compiler: str, name: str, dtype: str, arch: str, tmp_path: Path
) -> None:
    spec, batch, size = CORNERS[name]
    run_sanitized(compiler, spec, size, batch, dtype, tmp_path, tuple(ARCH[arch]))


@pytest.mark.parametrize("name", sorted(CORNERS))
def test_blocked_generation_is_deterministic(name: str) -> None:
    spec = CORNERS[name][0]
    for dtype in DTYPES:
        assert generate(spec, target="c", dtype=dtype).files == generate(spec, target="c", dtype=dtype).files
