"""Loading generated code: import the NumPy module, or compile the C and wrap it.

C sources are compiled once per source text, compiler and flags into a cache
directory keyed by their hash (``$SYMCONV_CACHE``, else ``$XDG_CACHE_HOME/symconv``,
else ``~/.cache/symconv``), and wrapped with ctypes. The wrapper checks every
array's type, dtype, contiguity and shape before the call, so a wrong array is a
``ValueError`` naming the expected shape, never a crash or a stray write.
"""

from __future__ import annotations

import ctypes
import hashlib
import operator
import os
import shutil
import subprocess
import tempfile
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from symconv.codegen.layout import LETTERS
from symconv.errors import CodegenError

if TYPE_CHECKING:
    from symconv.codegen.driver import GeneratedCode

CFLAGS = ("-O2", "-std=c99", "-fPIC", "-shared")
ERRORS = {1: "a required pointer is NULL", 2: "the batch size is negative", 3: "the input is too small"}


def load_numpy(code: GeneratedCode) -> types.ModuleType:
    """Execute the generated module's text as a fresh module named after it."""
    ((filename, text),) = code.files.items()
    module = types.ModuleType(code.name)
    module.__file__ = f"<symconv generated {filename}>"
    exec(compile(text, module.__file__, "exec"), module.__dict__)
    return module


def cache_dir() -> Path:
    if os.environ.get("SYMCONV_CACHE"):
        return Path(os.environ["SYMCONV_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "symconv"


def compiler() -> str:
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        raise CodegenError(
            f"no C compiler: {cc!r} is not on PATH; install one (e.g. apt-get install gcc) or set CC"
        )
    return cc


def compile_shared(code: GeneratedCode) -> Path:
    """The shared library of ``code``'s C source, compiled once and cached by hash."""
    cc = compiler()
    digest = hashlib.sha256()
    for name in sorted(code.files):
        digest.update(name.encode() + b"\0" + code.files[name].encode() + b"\0")
    digest.update(" ".join((cc, *CFLAGS)).encode())
    target = cache_dir() / digest.hexdigest()[:24] / f"lib{code.name}.so"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        for name, text in code.files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        built = Path(tmp) / target.name
        result = subprocess.run(
            [cc, *CFLAGS, "-o", str(built), f"{code.name}.c", "-lm"],
            cwd=tmp, capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[:5]
            raise CodegenError(f"the C compiler ({cc}) failed on {code.name}.c: " + " | ".join(detail))
        os.replace(built, target)  # atomic: a concurrent loader sees the whole library or none
    return target


class CKernel:
    """The compiled C functions behind the same Python interface as the NumPy target."""

    def __init__(self, code: GeneratedCode, library: Path) -> None:
        self.spec = code.spec
        self.name = code.name
        self.dtype = np.dtype(code.config.dtype)
        self._lib = ctypes.CDLL(str(library))
        self._open = code.spec.input_size is None
        sizes = [ctypes.c_long] * (code.spec.ndim if self._open else 0)
        self._fns = {}
        for fn, pointers in (("forward", 4), ("grad_input", 3), ("grad_weight", 3), ("grad_bias", 2)):
            f = getattr(self._lib, f"{code.name}_{fn}")
            f.argtypes = [ctypes.c_void_p] * pointers + [ctypes.c_long] + sizes
            f.restype = ctypes.c_int
            self._fns[fn] = f

    # -- checks ------------------------------------------------------------------

    def _check(self, name: str, array: Any, shape: tuple[int | str, ...]) -> np.ndarray:
        expected = "(" + ", ".join(str(s) for s in shape) + ")"
        if not isinstance(array, np.ndarray):
            raise ValueError(f"{name} must be a numpy array of shape {expected}, got {type(array).__name__}")
        if array.dtype != self.dtype:
            raise ValueError(
                f"{name} must have dtype {self.dtype}, got {array.dtype}: use {name}.astype(np.{self.dtype})"
            )
        if array.ndim != len(shape) or any(
            not isinstance(s, str) and s != n for s, n in zip(shape, array.shape)
        ) or 0 in array.shape[1:]:
            raise ValueError(f"{name} must have shape {expected}, got {array.shape}")
        if not array.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous: use np.ascontiguousarray({name})")
        return array

    def _spatial(self, name: str, size: Any) -> tuple[int, ...]:
        nd = self.spec.ndim
        try:
            sizes = tuple(operator.index(v) for v in size)
        except TypeError:
            raise ValueError(f"{name} must be a tuple of {nd} ints, got {size!r}") from None
        if len(sizes) != nd or min(sizes) < 1:
            raise ValueError(f"{name} must be {nd} positive ints, got {size!r}")
        if not self._open and sizes != self.spec.sizes:
            raise ValueError(
                f"{name} must be {self.spec.sizes}: this code is specialised to that input size, got {size!r}"
            )
        return sizes

    def output_size(self, input_size: Any) -> tuple[int, ...]:
        sizes = self._spatial("input_size", input_size)
        spec = self.spec
        out = []
        for dim, (n, b, a, e, s) in enumerate(
            zip(sizes, spec.pad_before, spec.pad_after, spec.effective_kernel, spec.strides)
        ):
            if n + b + a - e < 0:
                raise ValueError(
                    f"input size {n} in dimension {dim + 1} is too small: the kernel spans {e} with "
                    f"the padding {b}+{a}; give at least {max(1, e - b - a)}"
                )
            out.append((n + b + a - e) // s + 1)
        return tuple(out)

    def _weight_shape(self) -> tuple[int, ...]:
        return (self.spec.out_channels, self.spec.group_in, *self.spec.kernel)

    def _input_pattern(self) -> tuple[int | str, ...]:
        """The spatial input shape as the messages show it: ``H, W`` when open, else the sizes."""
        return tuple(x.upper() for x in LETTERS[self.spec.ndim]) if self._open else self.spec.sizes

    def _output_pattern(self) -> tuple[int | str, ...]:
        """The spatial output shape as the messages show it: ``H_out, W_out`` when open."""
        if self._open:
            return tuple(f"{x.upper()}_out" for x in LETTERS[self.spec.ndim])
        return self.spec.output_size

    def _call(self, fn: str, arrays: list[np.ndarray | None], batch: int, sizes: tuple[int, ...]) -> None:
        pointers = [None if a is None else a.ctypes.data for a in arrays]
        status = self._fns[fn](*pointers, batch, *(sizes if self._open else ()))
        if status != 0:  # the checks above make this unreachable; keep the C's word if not
            raise ValueError(f"{self.name}_{fn}: {ERRORS.get(status, f'error {status}')}")

    # -- the interface -------------------------------------------------------------

    def forward(self, x: Any, w: Any, b: Any = None) -> np.ndarray:
        spec = self.spec
        x = self._check("x", x, ("N", spec.in_channels, *self._input_pattern()))
        w = self._check("w", w, self._weight_shape())
        if b is not None:
            if not spec.bias:
                raise ValueError(
                    "b was given, but this layer has no bias (generated with --no-bias): leave b out"
                )
            b = self._check("b", b, (spec.out_channels,))
        sizes = self._spatial("x's spatial size", x.shape[2:])
        y = np.empty((x.shape[0], spec.out_channels, *self.output_size(sizes)), dtype=self.dtype)
        self._call("forward", [x, w, b, y], x.shape[0], sizes)
        return y

    def grad_input(self, dy: Any, w: Any, input_size: Any = None) -> np.ndarray:
        spec = self.spec
        w = self._check("w", w, self._weight_shape())
        if input_size is None:
            if self._open:
                raise ValueError(
                    "input_size is needed: this code takes any input size, so give the spatial size of x"
                )
            input_size = spec.sizes
        sizes = self._spatial("input_size", input_size)
        dy = self._check("dy", dy, ("N", spec.out_channels, *self.output_size(sizes)))
        dx = np.empty((dy.shape[0], spec.in_channels, *sizes), dtype=self.dtype)
        self._call("grad_input", [dy, w, dx], dy.shape[0], sizes)
        return dx

    def grad_weight(self, x: Any, dy: Any) -> np.ndarray:
        spec = self.spec
        x = self._check("x", x, ("N", spec.in_channels, *self._input_pattern()))
        sizes = self._spatial("x's spatial size", x.shape[2:])
        dy = self._check("dy", dy, (x.shape[0], spec.out_channels, *self.output_size(sizes)))
        dw = np.empty(self._weight_shape(), dtype=self.dtype)
        self._call("grad_weight", [x, dy, dw], x.shape[0], sizes)
        return dw

    def grad_bias(self, dy: Any) -> np.ndarray:
        spec = self.spec
        dy = self._check("dy", dy, ("N", spec.out_channels, *self._output_pattern()))
        sizes = self._input_for_output(dy.shape[2:])
        db = np.empty((spec.out_channels,), dtype=self.dtype)
        self._call("grad_bias", [dy, db], dy.shape[0], sizes)
        return db

    def _input_for_output(self, out: tuple[int, ...]) -> tuple[int, ...]:
        """An input size whose output size is ``out`` (grad_bias only needs the output size)."""
        if not self._open:
            return self.spec.sizes
        spec = self.spec
        pads = [b + a for b, a in zip(spec.pad_before, spec.pad_after)]
        sizes = tuple(
            max(1, (o - 1) * s + e - p) for o, s, e, p in zip(out, spec.strides, spec.effective_kernel, pads)
        )
        if self.output_size(sizes) != tuple(out):
            raise ValueError(f"dy's spatial size {tuple(out)} is not an output size of this convolution")
        return sizes

    def __repr__(self) -> str:
        return f"<symconv C kernel {self.name}: {self.spec.describe()}, {self.dtype}>"


def load(code: GeneratedCode) -> Any:
    if code.config.target == "numpy":
        return load_numpy(code)
    return CKernel(code, compile_shared(code))


__all__ = ["CKernel", "cache_dir", "compile_shared", "load", "load_numpy"]
