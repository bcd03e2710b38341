"""The C target on several OpenMP threads: ``generate(..., threads=N)`` and ``symconv gen --threads N``.

- bit-identical results for 1, 2 and 3 threads (gcc and clang), and right
  against the independent plain-loop reference, over the hypothesis sweep;
- warning-free with and without ``-fopenmp`` (the pragmas hide without it);
- clean under AddressSanitizer and UBSan with OpenMP on;
- bad thread counts refused with one line (API and CLI, exit 2).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import reference as ref
from clitools import assert_bad_input, run
from hypothesis import given, settings
from test_codegen import (
    COMPILERS,
    DTYPES,
    GEN_SPECS,
    WARNINGS,
    Case,
    assert_close,
    cases,
    compile_c,
    data,
    expected,
)

from symconv import ConvSpec
from symconv.codegen import generate, schedule
from symconv.errors import CodegenError

THREADS = (1, 2, 3)
FUNCTIONS = ("forward", "grad_input", "grad_weight", "grad_bias")


@pytest.fixture(autouse=True)
def every_call_on_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sweep's layers are small: without this they would run below the threads' work threshold."""
    monkeypatch.setattr(schedule, "PARALLEL_MACS", 0)
    monkeypatch.setattr(schedule, "PARALLEL_SUMS", 0)


def results(case: Case, dtype: str, threads: int, cc: str) -> dict[str, np.ndarray]:
    """Every function of the C generated for ``threads`` threads, compiled by ``cc``, on ``case``'s data."""
    os.environ["CC"] = cc  # the loader's compiler (restored by the caller's monkeypatch)
    m = generate(case.spec, target="c", dtype=dtype, threads=threads).load()
    a = data(case, dtype)
    return {
        "y": m.forward(a["x"], a["w"], a["b"] if case.spec.bias else None),
        "gx": m.grad_input(a["dy"], a["w"], case.size),
        "gw": m.grad_weight(a["x"], a["dy"]),
        "gb": m.grad_bias(a["dy"]),
    }


@pytest.mark.parametrize("dtype", DTYPES)
@settings(deadline=None, max_examples=8)
@given(case=cases())
def test_threads_bit_identical_and_right(dtype: str, case: Case) -> None:
    """1, 2 and 3 threads give the very same bits, and they match the reference."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CC", os.environ.get("CC", "cc"))
        got = {t: results(case, dtype, t, "cc") for t in THREADS}
    for t in THREADS[1:]:
        for key in got[1]:
            np.testing.assert_array_equal(got[t][key], got[1][key],
                                          err_msg=f"{key}: {t} threads differ from 1 thread: {case}")
    a64 = {k: v.astype(np.float64) for k, v in data(case, dtype).items()}
    want = expected(case, {**a64, "b": a64["b"] if case.spec.bias else None}, ref.params_of(case.spec))
    for key, (value, scale) in want.items():
        assert_close(got[2][key], value, scale, dtype, f"{key} on 2 threads: {case}")


@pytest.mark.skipif(shutil.which("clang") is None, reason="clang is not installed")
def test_threads_bit_identical_under_clang() -> None:
    """clang (with libomp) too: a layer with several samples and channel groups, 1 against 2 and 3 threads."""
    spec = ConvSpec(kernel_size=3, stride=2, padding=1, dilation=2, in_channels=4, out_channels=8, groups=2)
    case = Case(spec, (13, 11), 5, seed=3)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CC", "clang")
        got = {t: results(case, "float32", t, "clang") for t in THREADS}
    for t in THREADS[1:]:
        for key in got[1]:
            np.testing.assert_array_equal(got[t][key], got[1][key], err_msg=f"{key}, clang, {t} threads")


@pytest.mark.parametrize("openmp", [True, False], ids=["fopenmp", "no-openmp"])
@pytest.mark.parametrize("compiler", COMPILERS)
def test_threaded_c_compiles_warning_free(compiler: str, openmp: bool, tmp_path: Path) -> None:
    """``-Wall -Wextra -Werror -pedantic`` with -fopenmp, and without it (the pragmas are hidden)."""
    for name, spec in sorted(GEN_SPECS.items()):
        code = generate(spec, target="c", dtype="float32", threads=2)
        source = tmp_path / f"{code.name}.c"
        for filename, text in code.files.items():
            (tmp_path / filename).write_text(text)
        assert "#pragma omp parallel num_threads(2)" in source.read_text(), name
        compile_c(compiler, [source], tmp_path / f"{name}.o",
                  [*WARNINGS, "-O2", "-c", *(["-fopenmp"] if openmp else [])])


def test_threaded_c_is_sanitizer_clean(tmp_path: Path) -> None:
    """A driver calling every function on 2 threads under ASan + UBSan (gcc, -fopenmp): right, no report."""
    spec = ConvSpec(kernel_size=3, stride=2, padding=1, in_channels=4, out_channels=6, groups=2,
                    input_size=(7, 6))
    code = generate(spec, target="c", dtype="float64", threads=2, name="threaded")
    for filename, text in code.files.items():
        (tmp_path / filename).write_text(text)
    case = Case(spec, (7, 6), 3, seed=5)
    a = {k: v.astype(np.float64) for k, v in data(case, "float64").items()}
    counts = {k: v.size for k, v in a.items()}
    out = expected(case, a, ref.params_of(spec))
    driver = tmp_path / "driver.c"
    driver.write_text(f"""
#include <stdio.h>
#include <stdlib.h>
#include "threaded.h"
static double *read_array(long n)
{{
    double *a = malloc((size_t)n * sizeof *a);
    long i;
    if (!a) exit(3);
    for (i = 0; i < n; i++) if (scanf("%lf", &a[i]) != 1) exit(4);
    return a;
}}
static void show(const char *name, const double *a, long n)
{{
    long i;
    printf("%s", name);
    for (i = 0; i < n; i++) printf(" %.17g", a[i]);
    printf("\\n");
}}
int main(void)
{{
    double *x = read_array({counts["x"]}), *w = read_array({counts["w"]}), *b = read_array({counts["b"]});
    double *dy = read_array({counts["dy"]});
    double *y = malloc({out["y"][0].size} * sizeof *y), *gx = malloc({counts["x"]} * sizeof *gx);
    double *gw = malloc({counts["w"]} * sizeof *gw), *gb = malloc({counts["b"]} * sizeof *gb);
    int s = threaded_forward(x, w, b, y, 3) | threaded_grad_input(dy, w, gx, 3)
          | threaded_grad_weight(x, dy, gw, 3) | threaded_grad_bias(dy, gb, 3);
    printf("status %d\\n", s);
    show("y", y, {out["y"][0].size}); show("gx", gx, {counts["x"]});
    show("gw", gw, {counts["w"]}); show("gb", gb, {counts["b"]});
    free(x); free(w); free(b); free(dy); free(y); free(gx); free(gw); free(gb);
    return 0;
}}
""")
    exe = tmp_path / "driver"
    compile_c("cc", [driver, tmp_path / "threaded.c"], exe,
              [*WARNINGS, "-g", "-O1", "-fopenmp", "-fsanitize=address,undefined",
               "-fno-sanitize-recover=all", f"-I{tmp_path}"])
    stdin = " ".join(repr(float(v)) for k in ("x", "w", "b", "dy") for v in a[k].ravel())
    # detect_leaks=0: libgomp keeps its thread pool until exit, by design; every array is freed above
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=0", "UBSAN_OPTIONS": "print_stacktrace=1"}
    run = subprocess.run([str(exe)], input=stdin, capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, f"driver exit {run.returncode}:\n{run.stderr[-4000:]}"
    assert not run.stderr.strip(), f"sanitizer output:\n{run.stderr[-4000:]}"
    printed = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in run.stdout.splitlines()}
    assert printed["status"] == [0.0]
    for key, (value, scale) in out.items():
        np.testing.assert_allclose(printed[key], value.ravel(), rtol=1e-12, atol=1e-12 * scale, err_msg=key)


def test_threads_in_the_header_and_command() -> None:
    code = generate(ConvSpec(kernel_size=3, in_channels=2, out_channels=2), target="c", threads=4)
    source = code.files[f"{code.name}.c"]
    assert "threads: OpenMP, 4 threads" in source
    (regenerate,) = [line for line in source.splitlines() if line.startswith("// Regenerate:")]
    assert regenerate.endswith("--threads 4")
    one = generate(ConvSpec(kernel_size=3, in_channels=2, out_channels=2), target="c")
    assert "#pragma omp" not in one.files[f"{one.name}.c"] and "--threads" not in one.files[f"{one.name}.c"]


@pytest.mark.parametrize("threads, target, fragment", [
    (0, "c", "threads 0 is not a whole number from 1 to 256"),
    (257, "c", "threads 257 is not a whole number from 1 to 256"),
    (2.0, "c", "threads 2.0 is not a whole number"),
    (True, "c", "threads True is not a whole number"),
    (2, "numpy", "threads 2 applies to the C target only"),
])
def test_bad_threads_refused(threads: object, target: str, fragment: str) -> None:
    with pytest.raises(CodegenError, match=fragment):
        generate(ConvSpec(kernel_size=3), target=target, threads=threads)  # type: ignore[arg-type]


@pytest.mark.parametrize("args, fragment", [
    (["--threads", "0"], "--threads 0 must be ≥ 1"),
    (["--threads", "300"], "--threads 300 is not a whole number from 1 to 256"),
    (["--threads", "two"], "--threads two is not a whole number"),
    (["--threads", "2", "--target", "numpy"], "--threads 2 applies to the C target only"),
])
def test_cli_bad_threads_one_line_exit_2(
    args: list[str], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "gen", "--kernel", "3", "--out", str(tmp_path / "out"), *args)
    assert_bad_input(code, out, err)
    assert fragment in err, err
    assert not (tmp_path / "out").exists()


def test_cli_threads_writes_openmp_code_and_says_how_to_compile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "gen", "--kernel", "3", "--threads", "2", "--out", str(tmp_path))
    assert code == 0, err
    assert "#pragma omp parallel num_threads(2)" in (tmp_path / "conv2d_k3.c").read_text()
    assert "--threads" not in (tmp_path / "conv2d_k3.py").read_text()  # the NumPy module: no threads
    assert "-fopenmp" in out


BLOCKED = {
    # C_out/G = 7: full tiles of 6 output channels and a tail of 1; two groups; row blocks split unevenly
    "grouped_tail": (ConvSpec(kernel_size=3, padding=1, in_channels=8, out_channels=14, groups=2), (6, 7)),
    "pointwise_tail": (ConvSpec(kernel_size=1, in_channels=3, out_channels=7), (5, 4)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(BLOCKED))
def test_blocked_gradients_split_bit_identical(name: str, dtype: str, tmp_path: Path) -> None:
    """The blocked grad_weight (split by blocks of output channels) and grad_input on 1, 2, 3 threads."""
    spec, size = BLOCKED[name]
    code = generate(spec, target="c", dtype=dtype, threads=2)
    header = code.files[f"{code.name}.c"]
    assert "grad_weight: blocked reduction" in header, header[:3000]
    assert "grad_input: blocked gather" in header, header[:3000]
    for compiler in COMPILERS:
        for filename, text in code.files.items():
            (tmp_path / filename).write_text(text)
        compile_c(compiler, [tmp_path / f"{code.name}.c"], tmp_path / "unit.o",
                  [*WARNINGS, "-O3", "-march=native", "-fopenmp", "-c"])
    case = Case(spec, size, 3, seed=9)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CC", os.environ.get("CC", "cc"))
        got = {t: results(case, dtype, t, "cc") for t in THREADS}
    for t in THREADS[1:]:
        for key in got[1]:
            np.testing.assert_array_equal(got[t][key], got[1][key], err_msg=f"{key}: {t} threads, {name}")
    a64 = {k: v.astype(np.float64) for k, v in data(case, dtype).items()}
    want = expected(case, a64, ref.params_of(spec))
    for key, (value, scale) in want.items():
        assert_close(got[3][key], value, scale, dtype, f"{key} on 3 threads: {name}")


def test_small_calls_run_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Below the work threshold a call runs the same tasks on one thread: the clause, its bound, the bits."""
    monkeypatch.setattr(schedule, "PARALLEL_MACS", 1 << 17)
    monkeypatch.setattr(schedule, "PARALLEL_SUMS", 1 << 15)
    spec = ConvSpec(kernel_size=3, padding=1, in_channels=8, out_channels=14, groups=2)
    text = generate(spec, target="c", threads=2).files["conv2d_k3_p1_c8to14_g2.c"]
    macs = 14 * 4 * 9  # per output position: C_out · C_in/G · taps
    least = -(-(1 << 17) // macs)
    assert text.count(f"if((double)batch * (out_h * out_w) >= {least})") == 3, text
    assert text.count(f"if((double)batch * (out_h * out_w) >= {-(-(1 << 15) // 14)})") == 1
    # below the bound (3·6·7 = 126 positions), above it (40·6·7 = 1680) and no sample at all
    for batch in (3, 40, 0):
        case = Case(spec, (6, 7), batch, seed=4)
        got = {t: results(case, "float32", t, os.environ.get("CC", "cc")) for t in (1, 2)}
        for key in got[1]:
            np.testing.assert_array_equal(got[2][key], got[1][key], err_msg=f"{key}, batch {batch}")
        if batch == 0:
            assert not got[2]["gw"].any() and not got[2]["gb"].any()
        else:
            a64 = {k: v.astype(np.float64) for k, v in data(case, "float32").items()}
            for key, (value, scale) in expected(case, a64, ref.params_of(spec)).items():
                assert_close(got[2][key], value, scale, "float32", f"{key}, batch {batch}")
