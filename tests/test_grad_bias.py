"""grad_bias of both targets against the exact sum (``math.fsum``), with stated error bounds.

grad_bias is ``db[o] = Σ_{n, positions} dy[n, o, …]``. The reference here is
``math.fsum`` of the float64 values (exact, then rounded once to float64), so
every bound below is on the generated code's own error:

- C, float32: 32 double lanes, each float converted exactly. A double sum of
  ``m`` terms errs by at most ``(m−1)·2^-53·Σ|dy|`` whatever the order, then one
  rounding to float32: ``|got − exact| ≤ ½·ulp(got) + m·2^-53·Σ|dy|`` — the
  correctly rounded sum up to a margin far below float32's ulp (2^-33·Σ|dy| for
  fewer than 2^20 terms). Half an ulp is the least any float32 result can promise,
  so no summation (PyTorch's included) is more accurate on these bounds.
- C, float64: blocks of 4×32 positions in 32 lanes, each block added to its
  lane with Kahan's compensation, then the 32 lanes and their lost parts added
  with compensation too: ``3·u`` (4-term block sums) + ``2·u`` (Kahan over the
  blocks) + ``2·u`` (over the lanes) + ``1·u`` (the last correction),
  ``u = 2^-53``, plus Kahan's ``O(m·u²)``; asserted with slack as
  ``½·ulp + 12·u·Σ|dy| + m·u²·Σ|dy|`` — independent of the size.
- NumPy, one output channel and at most ``BIAS_SMALL`` values: one BLAS dot of
  all ``m`` values with ones: ``|got − exact| ≤ ½·ulp + (m − 1)·u_dtype·Σ|dy|``
  (any order of an ``m``-term sum).
- NumPy, more channels and at most ``BIAS_SMALL`` values: one ``np.add.reduce`` over the batch and
  the positions in the data's dtype (NumPy's pairwise summation along each map:
  runs of at most 16 sequential adds, 3 levels over its 8 accumulators, then
  halving, depth ≤ 20 + log2 P for P positions; the batch added one sample after
  another): ``|got − exact| ≤ ½·ulp + (n − 1 + 20 + log2 P)·u_dtype·Σ|dy|``.
- NumPy, more values: blocks of ``L`` positions each summed by one matmul with
  ones (BLAS; any order of an ``L``-term dot errs by at most ``(L−1)·u_dtype`` of
  its absolute sum), the block sums added in float64:
  ``|got − exact| ≤ ½·ulp + (L−1)·u_dtype·Σ|dy| + m·2^-53·Σ|dy|``. ``L`` is the
  shortest trailing block of the map (the last axis, the last two, …) with at
  least ``BIAS_BLOCK_MIN`` positions, else the whole map.

Sizes are chosen so that the lanes' and blocks' tails are reached: maps shorter
than one row of lanes, exactly one row, rows plus a tail, several float64 blocks
plus a partial block; batch 1 and batches whose maps span many blocks.
"""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_codegen import COMPILERS, SANITIZE, SANITIZER_COMPILERS, WARNINGS, compile_c, prototypes, write_c

from symconv import ConvSpec, generate
from symconv.codegen.numpy_backend import BIAS_BLOCK_MIN, BIAS_SMALL
from symconv.codegen.numpy_backend import schedule as numpy_schedule
from symconv.codegen.schedule import BIAS_LANES, BIAS_ROWS, schedule

U = {"float32": 2.0**-24, "float64": 2.0**-53}

# Open input sizes, so one compiled kernel runs every size: a 1-D 1×1 layer (the map is exactly the
# input: any length), a padded 2-D layer (maps of h·w), a 3-D one.
SPECS = {
    "1d_k1": ConvSpec(kernel_size=1, dims=1, out_channels=3),
    "1d_k1_one_channel": ConvSpec(kernel_size=1, dims=1, out_channels=1),
    "2d_k3_p1": ConvSpec(kernel_size=3, padding=1, in_channels=2, out_channels=2),
    "3d_k2": ConvSpec(kernel_size=2, dims=3, out_channels=2),
}
# Fixed sizes (the NumPy target's block length is then a number in the code): maps whose last axis
# is a block, whose last two axes are, and one shorter than a block
FIXED = {
    "1d_600": ConvSpec(input_size=600, kernel_size=1, dims=1, out_channels=3),  # the row: 600
    "2d_16x16": ConvSpec(input_size=18, kernel_size=3, in_channels=2, out_channels=2),  # 256
    "2d_13x13": ConvSpec(input_size=15, kernel_size=3, out_channels=2),  # 169 < 256: the map
    "3d_9x9x9": ConvSpec(input_size=9, kernel_size=1, dims=3, out_channels=2),  # 81 < 256: 729
}
# lengths of a 1-D map that reach every branch: below one row of lanes, one row, rows and a tail, one
# float64 block, a block and a tail, several blocks and a partial one
BLOCK = BIAS_ROWS * BIAS_LANES
LENGTHS = (1, 2, BIAS_LANES - 1, BIAS_LANES, BIAS_LANES + 1, BLOCK - 1, BLOCK, BLOCK + 1,
           3 * BLOCK + BIAS_LANES + 5, 1000)


def exact(dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per output channel: the sum of dy (``math.fsum``: exact, rounded once) and the sum of |dy|."""
    d = np.moveaxis(dy.astype(np.float64), 1, 0).reshape(dy.shape[1], -1)
    return (np.array([math.fsum(row) for row in d]), np.abs(d).sum(axis=1))


def bound(target: str, dtype: str, spec: ConvSpec, dy: np.ndarray, got: np.ndarray,
          abs_sum: np.ndarray) -> np.ndarray:
    """The largest error the schedule allows (see the module docstring), per channel."""
    n, m = dy.shape[0], dy[:, 0].size
    half_ulp = 0.5 * np.spacing(np.abs(got)).astype(np.float64)
    if target == "c" and dtype == "float32":
        return half_ulp + m * U["float64"] * abs_sum
    if target == "c":
        return half_ulp + (12 + m * U["float64"]) * U["float64"] * abs_sum
    positions = max(1, dy[0, 0].size)
    if dy.size <= BIAS_SMALL and spec.out_channels == 1:
        return half_ulp + (dy.size - 1) * U[dtype] * abs_sum  # one dot, in any order
    if dy.size <= BIAS_SMALL:
        terms = n - 1 + 20 + math.log2(positions)  # the batch in turn, the pairwise depth along a map
        return half_ulp + terms * U[dtype] * abs_sum
    sizes = dy.shape[2:]
    blocks = [math.prod(sizes[i:]) for i in range(len(sizes) - 1, -1, -1)]  # the last axis, the last two, …
    block = next((b for b in blocks if b >= BIAS_BLOCK_MIN), positions)
    return half_ulp + ((block - 1) * U[dtype] + n * positions * U["float64"]) * abs_sum


def draw_dy(rng: np.random.Generator, shape: tuple[int, ...], kind: str, dtype: str) -> np.ndarray:
    """Normal values, values spread over 2^±20 (cancellation, mixed magnitudes), or positive ones."""
    if kind == "normal":
        a = rng.standard_normal(shape)
    elif kind == "spread":
        a = rng.standard_normal(shape) * np.exp2(rng.integers(-20, 21, shape))
    else:
        a = rng.uniform(0.0, 1.0, shape)
    return a.astype(dtype)


def check(target: str, dtype: str, spec: ConvSpec, dy: np.ndarray) -> None:
    got = generate(spec, target, dtype).load().grad_bias(dy)
    assert got.dtype == np.dtype(dtype) and got.shape == (spec.out_channels,)
    want, abs_sum = exact(dy)
    error = np.abs(got.astype(np.float64) - want)
    allowed = bound(target, dtype, spec, dy, got, abs_sum)
    assert np.all(error <= allowed), (
        f"[{target} {dtype}] {spec.describe()} dy {dy.shape}: error {error} > bound {allowed}")


def output_size(spec: ConvSpec, size: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(generate(spec, "numpy", "float64").load().output_size(size))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("target", ["c", "numpy"])
@settings(deadline=None, max_examples=40)
@given(
    name=st.sampled_from(sorted(SPECS)),
    length=st.one_of(st.sampled_from(LENGTHS), st.integers(1, 700)),
    batch=st.one_of(st.just(1), st.integers(2, 5), st.just(40)),
    kind=st.sampled_from(("normal", "spread", "positive")),
    seed=st.integers(0, 2**32 - 1),
)
def test_grad_bias_within_its_bound_of_the_exact_sum(target: str, dtype: str, name: str, length: int,
                                                      batch: int, kind: str, seed: int) -> None:
    spec = SPECS[name]
    # a map of about ``length`` positions: the 1-D layers take it as is, the others a near-cube
    side = max(2, round(length ** (1 / spec.ndim)) + 1)
    size = (length,) if spec.ndim == 1 else (side,) * spec.ndim
    shape = (batch, spec.out_channels, *output_size(spec, size))
    dy = draw_dy(np.random.default_rng(seed), shape, kind, dtype)
    check(target, dtype, spec, dy)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("target", ["c", "numpy"])
@pytest.mark.parametrize("length", LENGTHS)
def test_grad_bias_every_tail(target: str, dtype: str, length: int) -> None:
    """Every branch of the lanes and blocks, batch 1 and a batch of several blocks per channel."""
    spec = SPECS["1d_k1"]
    for batch in (1, 3):
        for kind in ("normal", "spread"):
            dy = draw_dy(np.random.default_rng(length * 7 + batch), (batch, 3, length), kind, dtype)
            check(target, dtype, spec, dy)


def test_c_float32_is_the_correctly_rounded_sum() -> None:
    """float32 C: the exact sum rounded once (the bound's margin, 2^-33·Σ|dy| here, never decides)."""
    spec = SPECS["2d_k3_p1"]
    m = generate(spec, "c", "float32").load()
    rng = np.random.default_rng(5)
    hits = total = 0
    for size in ((5, 7), (16, 16), (56, 56)):
        dy = rng.standard_normal((4, 2, *size)).astype(np.float32)
        want, _ = exact(dy)
        hits += int(np.sum(m.grad_bias(dy) == want.astype(np.float32)))
        total += 2
    assert hits == total


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_header_names_the_grad_bias_schedule(dtype: str) -> None:
    """The sweep above reaches the schedule the generated file says it has."""
    spec = SPECS["1d_k1"]
    source = next(t for f, t in generate(spec, "c", dtype).files.items() if f.endswith(".c"))
    plan = schedule(spec, dtype)
    line = next(step.line() for step in plan.steps if step.function == "grad_bias")
    header = " ".join(source.split("*/")[0].replace("*", " ").split())
    assert " ".join(line.split()) in header
    if dtype == "float32":
        assert plan.bias_rows == 0 and f"{BIAS_LANES} float64 accumulators" in line
        assert "add_block" not in source
    else:
        assert plan.bias_rows == BIAS_ROWS and "Kahan" in line and "add_block(sum, lost, part)" in source


_DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include "{header}"

int main(void)
{{
    static const long lengths[] = {{{lengths}}};
    long t, i;
    for (t = 0; t < (long)(sizeof lengths / sizeof lengths[0]); t++) {{
        const long batch = 3, count = batch * 3 * lengths[t];
        {T} *dy = malloc((size_t)count * sizeof *dy), *db = malloc(3 * sizeof *db);
        if (!dy || !db) return 3;
        for (i = 0; i < count; i++)
            dy[i] = ({T})((i * 7919 % 2003) - 1001) / 64;
        if ({call} != 0) return 4;
        printf("%ld %.17g %.17g %.17g\n", lengths[t], (double)db[0], (double)db[1], (double)db[2]);
        free(dy);
        free(db);
    }}
    return 0;
}}
"""


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("compiler", SANITIZER_COMPILERS)
def test_grad_bias_is_sanitizer_clean_on_every_tail(compiler: str, dtype: str, tmp_path: Path) -> None:
    """ASan + UBSan over maps that reach every lane and block tail; arrays exactly as long as needed."""
    spec = SPECS["1d_k1"]
    header, source = write_c(spec, dtype, tmp_path)
    name = next(n for n in prototypes(header.read_text()) if n.endswith("_grad_bias"))
    driver = tmp_path / "driver.c"
    driver.write_text(_DRIVER.format(header=header.name, lengths=", ".join(map(str, LENGTHS)),
                                     T="float" if dtype == "float32" else "double",
                                     call=f"{name}(dy, db, batch, lengths[t])"))
    exe = tmp_path / "driver"
    compile_c(compiler, [driver, source], exe, [*WARNINGS, "-g", "-O1", "-fno-omit-frame-pointer", *SANITIZE])
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=1", "UBSAN_OPTIONS": "print_stacktrace=1"}
    run = subprocess.run([str(exe)], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0 and not run.stderr.strip(), run.stderr[-4000:]
    for line in run.stdout.splitlines():
        length, *sums = line.split()
        i = np.arange(3 * 3 * int(length))
        dy = (((i * 7919 % 2003) - 1001) / 64).astype(dtype).reshape(3, 3, int(length))
        want, abs_sum = exact(dy)
        np.testing.assert_allclose([float(s) for s in sums], want, rtol=0,
                                   atol=float(4 * U[dtype] * abs_sum.max()), err_msg=f"map length {length}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("compiler", COMPILERS)
def test_grad_bias_compiles_warning_free_vectorised(compiler: str, dtype: str, tmp_path: Path) -> None:
    """-std=c99 -pedantic -Wall -Wextra -Werror at the loader's -O3 -march=native too (it vectorises)."""
    for name, spec in SPECS.items():
        where = tmp_path / name
        where.mkdir()
        _, source = write_c(spec, dtype, where)
        for flags in (["-O3", "-march=native", "-ffp-contract=fast"], ["-O3"]):
            compile_c(compiler, [source], where / "unit.o", [*WARNINGS, *flags, "-c"])


@pytest.mark.parametrize("target", ["c", "numpy"])
def test_float64_keeps_what_a_plain_sum_rounds_off(target: str) -> None:
    """1.0 opens each lane, then 2^-56 values: a block of them is below half an ulp of the lane's running
    total, so an uncompensated sum loses them all, an error of 40 000·2^-56 ≈ 5.6e-13 against a bound
    of 12·2^-53·Σ|dy| ≈ 4.3e-14 (Σ|dy| ≈ 32)."""
    spec = SPECS["1d_k1"]
    dy = np.full((40, 3, 1000), 2.0**-56)
    dy[0, :, :BIAS_LANES] = 1.0
    check(target, "float64", spec, dy)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("target", ["c", "numpy"])
@pytest.mark.parametrize("name", sorted(FIXED))
def test_grad_bias_fixed_sizes(target: str, dtype: str, name: str) -> None:
    """Both targets on fixed sizes: the NumPy target's BLAS blocks (a number there) and its small path."""
    spec = FIXED[name]
    assert numpy_schedule(spec)["grad_bias"][0] == "blocks"
    for batch in (1, 4, 40):
        for values in ("normal", "spread", "positive"):
            dy = draw_dy(np.random.default_rng(batch), (batch, spec.out_channels, *spec.output_size), values,
                         dtype)
            check(target, dtype, spec, dy)
