"""The C target's two Python bindings: the extension ``NAME_ext.c`` that ``load()`` builds, and the
ctypes binding ``NAME_c.py`` it falls back to without Python's headers.

- the extension is what ``load()`` returns, and it agrees with the ctypes binding call for call:
  the same result for every valid call, the same exception and message for every wrong one
  (``test_codegen``'s wrong calls, type errors of the call itself, keywords), fixed and open
  input sizes, 1-D to 3-D, float32 and float64 — its numbers against the independent reference
  are ``test_codegen``'s hypothesis sweep, which loads the extension;
- valid arguments its checks in C pass to the Python checks (a list as input size, an ndarray
  subclass, an unaligned array) still give the right answer;
- no reference or memory leaks over many calls, on the path that succeeds and on every error path;
- without ``Python.h`` the loader warns once, naming the fix, and returns the ctypes binding;
- the file compiles warning-free with gcc and clang, and runs clean under ASan + UBSan (the
  sanitizer runtime preloaded into a Python subprocess).
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tracemalloc
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import reference as ref
from test_codegen import (
    BAD_CALLS,
    COMPILERS,
    DTYPES,
    FIXED,
    FUNCTIONS,
    OPEN,
    SPECS,
    Bad,
    assert_close,
    call,
    compile_c,
    expected_result,
    unaligned,
    valid_args,
)

from symconv import ConvSpec
from symconv.codegen import c_backend, c_compile, generate
from symconv.codegen.c_backend import load_ctypes

EXT_SUFFIX = str(sysconfig.get_config_var("EXT_SUFFIX"))


@cache
def bindings(spec: ConvSpec, dtype: str) -> tuple[Any, Any]:
    """The extension binding (what load() returns) and the ctypes binding of one spec and dtype."""
    code = generate(spec, target="c", dtype=dtype)
    return code.load(), load_ctypes(code)


def outcome(f: Callable[[], Any]) -> tuple[str, Any]:
    """What a call does: ("raised", type, message) or ("returned", value)."""
    try:
        return ("returned", f())
    except Exception as e:  # every exception: the two bindings must raise the same one
        return ("raised", (type(e).__name__, str(e)))


def assert_same(ext: tuple[str, Any], ctypes_: tuple[str, Any], what: str) -> None:
    assert ext[0] == ctypes_[0], (
        f"{what}: the extension {ext[0]} {ext[1]!r}, ctypes {ctypes_[0]} {ctypes_[1]!r}"
    )
    if ext[0] == "raised":
        assert ext[1] == ctypes_[1], f"{what}: the messages differ"
    else:
        got, want = ext[1], ctypes_[1]
        assert type(got) is type(want), f"{what}: {type(got).__name__} and {type(want).__name__}"
        if isinstance(want, np.ndarray):
            assert got.dtype == want.dtype and got.shape == want.shape and got.flags.c_contiguous
            np.testing.assert_array_equal(got, want, err_msg=what)  # one C library: bit for bit
        else:
            assert got == want, what


# -- the extension is what load() returns ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", sorted(SPECS))
def test_load_returns_the_extension_binding(which: str, dtype: str) -> None:
    spec = SPECS[which]
    ext, binding = bindings(spec, dtype)
    name = generate(spec, target="c", dtype=dtype).name
    assert ext.__name__ == f"{name}_ext" and ext.__file__.endswith(EXT_SUFFIX)
    assert binding.__name__ == f"{name}_c"
    assert sorted(ext.__all__) == sorted(set(binding.__all__) - {"load"})
    for constant in ("DTYPE", "IN_CHANNELS", "OUT_CHANNELS", "GROUPS", "KERNEL_SIZE", "STRIDE", "DILATION",
                     "SPAN", "PADDING", "INPUT_SIZE", "HAS_BIAS"):
        assert getattr(ext, constant) == getattr(binding, constant), constant
    for function in (*FUNCTIONS, "output_size"):
        assert getattr(ext, function).__doc__ == getattr(binding, function).__doc__, function
    for function in (*FUNCTIONS, "output_size"):
        assert inspect.signature(getattr(ext, function)) == inspect.signature(getattr(binding, function))


# -- the same answer, the same error -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("bad", "which"), BAD_CALLS, ids=[f"{b.function}-{b.id}-{s}" for b, s in BAD_CALLS])
def test_every_wrong_call_alike(bad: Bad, which: str, dtype: str) -> None:
    """Each wrong call of test_codegen: the same exception and message from both bindings (or, for a
    layout either takes, the same result)."""
    spec = SPECS[which]
    ext, binding = bindings(spec, dtype)
    results = []
    for m in (ext, binding):
        a = valid_args(spec, dtype)
        bad.spoil(a, spec, dtype)
        results.append(outcome(lambda m=m, a=a: call(m, bad.function, a)))
    assert_same(*results, f"{bad.function} {bad.id} ({which}, {dtype})")


def _calls(spec: ConvSpec, dtype: str) -> dict[str, Callable[[Any], Any]]:
    """Calls beyond test_codegen's: keywords, argument counts, other ways to give valid values."""
    a = valid_args(spec, dtype)
    x, w, b, dy, size = a["x"], a["w"], a["b"], a["dy"], a["size"]
    sub = x.view(type("Sub", (np.ndarray,), {}))
    return {
        "forward keywords": lambda m: m.forward(x=x, w=w, b=b),
        "forward b keyword": lambda m: m.forward(x, w, b=b),
        "forward b None": lambda m: m.forward(x, w, None),
        "forward w keyword, b positional": lambda m: m.forward(x, b, w=w),
        "forward twice x": lambda m: m.forward(x, w, x=x),
        "forward unknown keyword": lambda m: m.forward(x, w, bias=b),
        "forward no args": lambda m: m.forward(),
        "forward one arg": lambda m: m.forward(x),
        "forward four args": lambda m: m.forward(x, w, b, b),
        "forward subclass": lambda m: m.forward(sub, w, b),
        "forward unaligned": lambda m: m.forward(unaligned(x), unaligned(w), unaligned(b)),
        "forward readonly": lambda m: m.forward(readonly(x), readonly(w), readonly(b)),
        "grad_input size keyword": lambda m: m.grad_input(dy, w, input_size=size),
        "grad_input all keywords": lambda m: m.grad_input(input_size=size, w=w, dy=dy),
        "grad_input size list": lambda m: m.grad_input(dy, w, list(size)),
        "grad_input size numpy ints": lambda m: m.grad_input(dy, w, tuple(np.int64(n) for n in size)),
        "grad_input size array": lambda m: m.grad_input(dy, w, np.array(size)),
        "grad_input size bools": lambda m: m.grad_input(dy, w, (True,) * len(size)),
        "grad_input size huge": lambda m: m.grad_input(dy, w, (2**70,) * len(size)),
        "grad_input size above long": lambda m: m.grad_input(dy, w, (2**62,) * len(size)),
        "grad_input unaligned": lambda m: m.grad_input(unaligned(dy), w, size),
        "grad_input size None": lambda m: m.grad_input(dy, w, None),
        "grad_input four args": lambda m: m.grad_input(dy, w, size, size),
        "grad_weight keywords": lambda m: m.grad_weight(dy=dy, x=x),
        "grad_weight unaligned": lambda m: m.grad_weight(unaligned(x), unaligned(dy)),
        "grad_weight one arg": lambda m: m.grad_weight(x),
        "grad_bias keyword": lambda m: m.grad_bias(dy=dy),
        "grad_bias unaligned": lambda m: m.grad_bias(unaligned(dy)),
        "grad_bias subclass": lambda m: m.grad_bias(dy.view(type("Sub", (np.ndarray,), {}))),
        "grad_bias no args": lambda m: m.grad_bias(),
        "output_size": lambda m: m.output_size(size),
        "output_size keyword": lambda m: m.output_size(input_size=size),
        "output_size list": lambda m: m.output_size(list(size)),
        "output_size too small": lambda m: m.output_size((1,) * len(size)),
        "output_size wrong length": lambda m: m.output_size((*size, 3)),
        "output_size zero": lambda m: m.output_size((0, *size[1:])),
        "output_size string": lambda m: m.output_size("ab"),
        "output_size None": lambda m: m.output_size(None),
        "output_size huge": lambda m: m.output_size((2**70,) * len(size)),
        "output_size no args": lambda m: m.output_size(),
    }


def readonly(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.setflags(write=False)
    return a


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", sorted(SPECS))
def test_other_calls_alike(which: str, dtype: str) -> None:
    spec = SPECS[which]
    ext, binding = bindings(spec, dtype)
    for what, f in _calls(spec, dtype).items():
        assert_same(outcome(lambda f=f: f(ext)), outcome(lambda f=f: f(binding)),
                    f"{what} ({which}, {dtype})")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", sorted(SPECS))
def test_calls_the_python_checks_take_are_right(which: str, dtype: str) -> None:
    """Valid arguments the C checks leave to the Python ones: the right answer, against the reference."""
    spec = SPECS[which]
    ext, _ = bindings(spec, dtype)
    a = valid_args(spec, dtype)
    sub = type("Sub", (np.ndarray,), {})
    forms = {
        "unaligned": {k: unaligned(v) if isinstance(v, np.ndarray) else v for k, v in a.items()},
        "subclass": {k: v.view(sub) if isinstance(v, np.ndarray) else v for k, v in a.items()},
        "size as list": {**a, "size": list(a["size"])},
    }
    for form, args in forms.items():
        for function in FUNCTIONS:
            assert_close(call(ext, function, args), expected_result(spec, function, a), 100.0, dtype,
                         f"{function}, {form}")


SPECS_BY_DIMS = {
    "1d_open_strided": ConvSpec(kernel_size=5, dims=1, stride=3, padding=2, in_channels=2, out_channels=3),
    "1d_fixed_nobias": ConvSpec(input_size=9, kernel_size=3, dims=1, bias=False),
    "2d_same_dilated": ConvSpec(kernel_size=(3, 2), padding="same", dilation=2, in_channels=2,
                                out_channels=2),
    "3d_fixed_depthwise": ConvSpec(input_size=(4, 3, 5), kernel_size=2, in_channels=3, out_channels=3,
                                   groups=3),
    "3d_open_grouped": ConvSpec(kernel_size=(1, 2, 3), stride=(1, 2, 1), padding=1, in_channels=4,
                                out_channels=2, groups=2, dims=3),
}
SIZES_BY_DIMS = {"1d_open_strided": (11,), "2d_same_dilated": (5, 6), "3d_open_grouped": (3, 5, 4)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(SPECS_BY_DIMS))
def test_one_to_three_dimensions_alike(name: str, dtype: str) -> None:
    """1-D to 3-D, fixed and open sizes, with and without bias: the same results and errors as ctypes,
    and the reference's numbers."""
    spec = SPECS_BY_DIMS[name]
    size = spec.sizes if spec.has_input_size else SIZES_BY_DIMS[name]
    ext, binding = bindings(spec, dtype)
    rng = np.random.default_rng(3)
    out = ref.output_size(size, spec.kernel, **{k: ref.params_of(spec)[k] for k in ("stride", "padding",
                                                                                   "dilation")})
    a = {
        "x": rng.uniform(-1, 1, (2, spec.in_channels, *size)).astype(dtype),
        "w": rng.uniform(-1, 1, (spec.out_channels, spec.group_in, *spec.kernel)).astype(dtype),
        "dy": rng.uniform(-1, 1, (2, spec.out_channels, *out)).astype(dtype),
        "size": size,
    }
    if spec.bias:
        a["b"] = rng.uniform(-1, 1, spec.out_channels).astype(dtype)
    def bigger(channels: int, spatial: tuple[int, ...]) -> np.ndarray:
        return np.ones((1, channels, *(n + 1 for n in spatial)), dtype)

    for function in FUNCTIONS:
        ours, theirs = (outcome(lambda m=m, f=function: call(m, f, a)) for m in (ext, binding))
        assert_same(ours, theirs, f"{function} {name}")
        assert_close(call(ext, function, a), expected_result(spec, function, a), 100.0, dtype, function)
    wrong = {
        "b on a no-bias layer": lambda m: m.forward(a["x"], a["w"], a["w"][:, 0, 0].copy()),
        "x one size bigger": lambda m: m.forward(bigger(spec.in_channels, size), a["w"]),
        "dy of another size": lambda m: m.grad_input(a["dy"][..., :-1].copy(), a["w"], size),
        "input_size of the wrong length": lambda m: m.grad_input(a["dy"], a["w"], (*size, 1)),
        "input_size other": lambda m: m.grad_input(a["dy"], a["w"], tuple(n + 7 for n in size)),
        "grad_bias of a bigger dy": lambda m: m.grad_bias(bigger(spec.out_channels, out)),
        "x of the other dtype": lambda m: m.grad_weight(a["x"].astype(np.float16), a["dy"]),
        "x strided": lambda m: m.grad_weight(np.repeat(a["x"], 2, axis=-1)[..., ::2], a["dy"]),
        "x a list": lambda m: m.forward(a["x"].tolist(), a["w"]),
    }
    for what, f in wrong.items():
        assert_same(outcome(lambda f=f: f(ext)), outcome(lambda f=f: f(binding)), f"{what} ({name}, {dtype})")


# -- no leaks ----------------------------------------------------------------------------------------


def _leak_calls(spec: ConvSpec) -> dict[str, Callable[[Any, dict[str, Any]], Any]]:
    return {
        "forward": lambda m, a: m.forward(a["x"], a["w"], a["b"]),
        "forward, keywords": lambda m, a: m.forward(a["x"], w=a["w"], b=a["b"]),
        "forward, unaligned": lambda m, a: m.forward(a["x_unaligned"], a["w"], a["b"]),
        "grad_input": lambda m, a: m.grad_input(a["dy"], a["w"], a["size"]),
        "grad_input, size as list": lambda m, a: m.grad_input(a["dy"], a["w"], list(a["size"])),
        "grad_weight": lambda m, a: m.grad_weight(a["x"], a["dy"]),
        "grad_weight, unaligned": lambda m, a: m.grad_weight(a["x_unaligned"], a["dy"]),
        "grad_bias": lambda m, a: m.grad_bias(a["dy"]),
        "grad_bias, unaligned": lambda m, a: m.grad_bias(a["dy_unaligned"]),
        "output_size": lambda m, a: m.output_size(a["size"]),
        "output_size, list": lambda m, a: m.output_size(list(a["size"])),
        "wrong dtype": lambda m, a: m.forward(a["x"].astype(np.float16), a["w"]),
        "wrong shape": lambda m, a: m.forward(a["x"], a["w"][:, :, :1]),
        "strided": lambda m, a: m.grad_bias(a["dy_strided"]),
        "too few arguments": lambda m, a: m.forward(a["x"]),
        "bad input size": lambda m, a: m.grad_input(a["dy"], a["w"], (0,) * len(a["size"])),
    }


@pytest.mark.parametrize("which", sorted(SPECS))
def test_no_reference_or_memory_leak(which: str) -> None:
    """A thousand calls of each kind, good and bad: the arguments' reference counts and the traced memory
    stay put."""
    spec = SPECS[which]
    ext, _ = bindings(spec, "float32")
    a: dict[str, Any] = valid_args(spec, "float32")
    a["x_unaligned"], a["dy_unaligned"] = unaligned(a["x"]), unaligned(a["dy"])
    a["dy_strided"] = np.repeat(a["dy"], 2, axis=-1)[..., ::2]
    for what, f in _leak_calls(spec).items():
        def run(times: int, f: Callable[[Any, dict[str, Any]], Any] = f) -> None:
            for _ in range(times):
                with contextlib.suppress(ValueError, TypeError):
                    f(ext, a)

        run(100)  # warm: caches (NumPy's small-array cache, interned strings) fill here
        counts = {k: sys.getrefcount(v) for k, v in a.items()}
        gc.collect()
        tracemalloc.start()
        try:
            run(100)
            before = tracemalloc.get_traced_memory()[0]
            run(1000)
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert {k: sys.getrefcount(v) for k, v in a.items()} == counts, f"{what}: an argument's count changed"
        assert grown < 16 * 1024, f"{what}: {grown} bytes more after 1000 more calls"


# -- the fallback without Python.h ---------------------------------------------------------------------------


def test_without_python_headers_the_loader_warns_once_and_binds_ctypes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYMCONV_CACHE", str(tmp_path / "cache"))
    empty = tmp_path / "include"
    empty.mkdir()
    monkeypatch.setattr(c_compile, "include_dirs", lambda: (empty, Path(np.get_include())))
    monkeypatch.setattr(c_backend, "_warned", set())
    spec = ConvSpec(kernel_size=2, in_channels=2, out_channels=2, padding=1)
    fix = r"ctypes binding.*Python\.h is not in .*install .*-dev"
    with pytest.warns(RuntimeWarning, match=fix) as caught:
        m = generate(spec, target="c").load()
    assert len(caught) == 1
    assert m.__name__ == f"{generate(spec, target='c').name}_c"
    a = valid_args(spec, "float64")
    for function in FUNCTIONS:
        assert_close(call(m, function, a), expected_result(spec, function, a), 100.0, "float64", function)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once: the second load is silent
        again = generate(spec, target="c", dtype="float32").load()
    assert again.__name__.endswith("_c")
    assert [p.name for p in (tmp_path / "cache").rglob("*") if p.is_file()] == [
        f"lib{generate(spec, target='c').name}.so"
    ] * 2, "only the two libraries were built: no extension"


def test_the_extension_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled once per text; another NumPy version, Python or CPU builds another one."""
    monkeypatch.setenv("SYMCONV_CACHE", str(tmp_path))
    code = generate(ConvSpec(kernel_size=2), target="c")
    module = f"{code.name}_ext"
    first = c_compile.compile_extension(code, module)
    assert first.name == module + EXT_SUFFIX
    assert c_compile.compile_extension(code, module) == first
    monkeypatch.setattr(c_compile.np, "__version__", "0.0-other")
    other_numpy = c_compile.compile_extension(code, module)
    monkeypatch.undo()
    monkeypatch.setenv("SYMCONV_CACHE", str(tmp_path))
    monkeypatch.setattr(c_compile, "cpu_model", lambda: "another CPU")
    other_cpu = c_compile.compile_extension(code, module)
    monkeypatch.setenv("SYMCONV_NATIVE", "0")
    portable = c_compile.compile_extension(code, module)
    monkeypatch.setattr(c_compile, "cpu_model", lambda: "yet another CPU")
    assert c_compile.compile_extension(code, module) == portable, "portable code does not depend on the CPU"
    assert len({first, other_numpy, other_cpu, portable}) == 4


# -- compiler warnings and sanitizers ---------------------------------------------------------------------


def write_extension(spec: ConvSpec, dtype: str, where: Path) -> tuple[str, Path, Path]:
    code = generate(spec, target="c", dtype=dtype)
    for filename, text in code.files.items():
        (where / filename).write_text(text, encoding="utf-8")
    return code.name, where / f"{code.name}_ext.c", where / f"{code.name}.c"


def includes(flag: str) -> list[str]:
    python, numpy = c_compile.include_dirs()
    return [flag, str(python), flag, str(numpy)]


EXT_WARNINGS = ["-std=c99", "-Wall", "-Wextra", "-Werror"]


# fixed and open sizes, 1-D to 3-D, with and without bias, both dtypes
WARNING_CASES = {"open": (OPEN, "float64"), "fixed": (FIXED, "float32"),
                 "1d_fixed_nobias": (SPECS_BY_DIMS["1d_fixed_nobias"], "float64"),
                 "3d_open_grouped": (SPECS_BY_DIMS["3d_open_grouped"], "float32")}


@pytest.mark.parametrize("compiler", COMPILERS)
def test_extension_compiles_warning_free(compiler: str, tmp_path: Path) -> None:
    """-std=c99 -Wall -Wextra -Werror at -O2, and at -O3 -march=native with -pedantic too — with the
    Python and NumPy headers as system headers there: NumPy's API table casts data pointers to
    function pointers, which ISO C does not allow, and gcc -pedantic reports it in NumPy's header."""
    for name, (spec, dtype) in WARNING_CASES.items():
        where = tmp_path / name
        where.mkdir()
        _, ext, _ = write_extension(spec, dtype, where)
        compile_c(compiler, [ext], where / "a.o", [*EXT_WARNINGS, "-O2", "-fPIC", "-c", *includes("-I")])
        compile_c(compiler, [ext], where / "b.o",
                  [*EXT_WARNINGS, "-pedantic", "-O3", "-march=native", "-fPIC", "-c", *includes("-isystem")])


def _sanitizer_runtime() -> str | None:
    """gcc's ASan runtime, to preload into Python (it must come before every other library)."""
    if not shutil.which("gcc"):
        return None
    found = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True,
                           check=False)
    path = found.stdout.strip()
    return path if os.path.isabs(path) and os.path.exists(path) else None


_SANITIZED_SCRIPT = r"""
import ctypes, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
assert hasattr(ctypes.CDLL(None), "__asan_init"), "the ASan runtime is not loaded"
m = __import__(sys.argv[2])
spec = eval(sys.argv[3])
dtype, size = sys.argv[4], eval(sys.argv[5])
rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, (2, spec["c_in"], *size)).astype(dtype)
w = rng.uniform(-1, 1, (spec["c_out"], spec["group_in"], *spec["kernel"])).astype(dtype)
b = rng.uniform(-1, 1, spec["c_out"]).astype(dtype) if spec["bias"] else None
y = m.forward(x, w, b)
results = [y, m.grad_input(y, w, size), m.grad_weight(x, y), m.grad_bias(y), m.forward(x[:0], w)]
unaligned = np.zeros(x.nbytes + 1, np.uint8)[1:].view(dtype).reshape(x.shape)
unaligned[...] = x
results.append(m.grad_weight(unaligned, y))
for bad in (lambda: m.forward(x[..., :1], w), lambda: m.forward(x.astype(np.float16), w),
            lambda: m.grad_input(y, w, (0,) * len(size)), lambda: m.grad_bias(y[:, :1]), lambda: m.forward()):
    try:
        bad()
    except (ValueError, TypeError):
        pass
np.save(sys.argv[6], np.concatenate([r.astype(np.float64).ravel() for r in results]))
"""


# 1-D to 3-D, fixed and open sizes, with and without bias, both dtypes
SANITIZER_CASES = [("1d_fixed_nobias", "float32"), ("2d_same_dilated", "float64"),
                   ("3d_open_grouped", "float32")]


@pytest.mark.skipif(_sanitizer_runtime() is None, reason="gcc's libasan is not installed")
@pytest.mark.parametrize(("name", "dtype"), SANITIZER_CASES)
def test_extension_is_sanitizer_clean(name: str, dtype: str, tmp_path: Path) -> None:
    """The extension and the C built with ASan + UBSan, imported by a Python with libasan preloaded:
    every function, an empty batch, an unaligned input and refusals, with no report; the same numbers
    as the unsanitized build."""
    spec = SPECS_BY_DIMS[name]
    size = spec.sizes if spec.has_input_size else SIZES_BY_DIMS[name]
    stem, ext, source = write_extension(spec, dtype, tmp_path)
    built = tmp_path / f"{stem}_ext{EXT_SUFFIX}"
    compile_c("gcc", [ext, source], built,
              [*EXT_WARNINGS, "-g", "-O1", "-fno-omit-frame-pointer", "-fPIC", "-shared",
               "-fsanitize=address,undefined", "-fno-sanitize-recover=all", *includes("-isystem")])
    described = {"c_in": spec.in_channels, "c_out": spec.out_channels, "group_in": spec.group_in,
                 "kernel": spec.kernel, "bias": spec.bias}
    env = {**os.environ, "LD_PRELOAD": _sanitizer_runtime() or "", "PYTHONMALLOC": "malloc",
           "ASAN_OPTIONS": "detect_leaks=0", "UBSAN_OPTIONS": "print_stacktrace=1"}
    saved = tmp_path / "results.npy"
    run = subprocess.run(
        [sys.executable, "-B", "-c", _SANITIZED_SCRIPT, str(tmp_path), f"{stem}_ext", repr(described), dtype,
         repr(tuple(size)), str(saved)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    assert run.returncode == 0, f"exit {run.returncode}:\n{run.stderr[-4000:]}"
    assert not re.search(r"ERROR: AddressSanitizer|runtime error:", run.stderr), run.stderr[-4000:]
    m, _ = bindings(spec, dtype)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2, spec.in_channels, *size)).astype(dtype)
    w = rng.uniform(-1, 1, (spec.out_channels, spec.group_in, *spec.kernel)).astype(dtype)
    b = rng.uniform(-1, 1, spec.out_channels).astype(dtype) if spec.bias else None
    y = m.forward(x, w, b)
    want = [y, m.grad_input(y, w, size), m.grad_weight(x, y), m.grad_bias(y), m.forward(x[:0], w),
            m.grad_weight(x, y)]
    tol = 1e-4 if dtype == "float32" else 1e-10  # -O1 without -march=native: other roundings
    np.testing.assert_allclose(np.load(saved), np.concatenate([r.astype(np.float64).ravel() for r in want]),
                               rtol=tol, atol=tol * 100)
