"""What to generate: target, dtype and name, validated once (CodegenError names the fix)."""

from __future__ import annotations

import functools
import keyword
import math
import re
import sys
from dataclasses import dataclass
from importlib.metadata import packages_distributions

from symconv.errors import CodegenError
from symconv.spec import MAX_VALUE, ConvSpec, format_size

TARGETS = ("numpy", "c")
DTYPES = {"float64": "double", "float32": "float"}  # NumPy dtype → C type

MAX_TAPS = 1024  # taps are unrolled: beyond this the code is too long to be worth it
MAX_THREADS = 256  # OpenMP threads of the C target; more than a machine of this century has cores

C_KEYWORDS = frozenset((
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
    "volatile", "while", "_Bool", "_Complex", "_Imaginary",
))


@functools.cache
def _shadowed() -> frozenset[str]:
    """Names a generated module would hide once its folder is on sys.path: the standard library's and
    every installed distribution's top-level packages (symconv, sympy, numpy, …)."""
    return frozenset(sys.stdlib_module_names) | frozenset(packages_distributions()) | {
        "numpy", "np", "symconv", "sympy", "jinja2"}

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
MAX_NAME = 64
"""The longest name: it names files (a file system allows 255 bytes) and C identifiers."""


def default_name(spec: ConvSpec) -> str:
    """A C identifier naming the spec's non-default hyper-parameters: ``conv2d_k3_d2``."""
    parts = [f"conv{spec.ndim}d", f"k{format_size(spec.kernel)}"]
    if spec.is_strided:
        parts.append(f"s{format_size(spec.strides)}")
    if isinstance(spec.padding, str):
        parts.append(f"p{spec.padding}")
    elif spec.is_padded:
        parts.append(f"p{format_size(spec.pad_before)}")
    if spec.is_dilated:
        parts.append(f"d{format_size(spec.dilations)}")
    if (spec.in_channels, spec.out_channels) != (1, 1):
        parts.append(f"c{spec.in_channels}to{spec.out_channels}")
    if spec.is_grouped:
        parts.append("dw" if spec.is_depthwise else f"g{spec.groups}")
    if spec.input_size is not None:
        parts.append(f"n{format_size(spec.sizes)}")
    if not spec.bias:
        parts.append("nobias")
    return "_".join(parts)


def check_name(name: str) -> str:
    """``name`` if it is a valid C identifier (and so a Python one) that is not a C keyword."""
    if not isinstance(name, str):
        raise CodegenError(f"name {name!r} is a {type(name).__name__}, not a string: give a C identifier, "
                           "e.g. name='blur'")
    if len(name) > MAX_NAME:
        raise CodegenError(f"name {name[:20]}… is {len(name)} characters long: at most {MAX_NAME} "
                           "(it names files and C identifiers)")
    if not _IDENTIFIER.fullmatch(name):
        raise CodegenError(
            f"name {name!r} is not a valid C identifier: use letters, digits and _, not starting with a "
            "digit or _ (a leading _ makes reserved C names such as __forward)"
        )
    if name in C_KEYWORDS:
        raise CodegenError(f"name {name!r} is a C keyword: choose another, e.g. {name}_conv")
    if keyword.iskeyword(name) or name in _shadowed():
        what = "a Python keyword" if keyword.iskeyword(name) else "the name of a Python module it would hide"
        if name not in sys.stdlib_module_names and not keyword.iskeyword(name):
            what = "the name of an installed Python package the generated module would hide"
        raise CodegenError(f"name {name!r} is {what}: choose another, e.g. {name}_conv")
    return name


def check_threads(threads: object, target: str) -> int:
    """``threads`` if it is a whole number from 1 to MAX_THREADS, and 1 unless the target is C."""
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= MAX_THREADS:
        raise CodegenError(
            f"threads {threads!r} is not a whole number from 1 to {MAX_THREADS}: give the number of "
            "OpenMP threads the C code runs on, e.g. threads=2 (1, the default, runs without OpenMP)"
        )
    if threads != 1 and target != "c":
        raise CodegenError(
            f"threads {threads} applies to the C target only (OpenMP): the NumPy target runs on NumPy's "
            "BLAS, which picks its own threads; leave threads at 1 or use target='c'"
        )
    return threads


@dataclass(frozen=True)
class CodegenConfig:
    """A validated request: the spec, the target, the dtype and the name of the generated code."""

    spec: ConvSpec
    target: str
    dtype: str
    name: str
    threads: int = 1  # the C target's OpenMP threads (1: no OpenMP in the code)

    @property
    def macro(self) -> str:
        """The prefix of the C macros: ``SYMCONV_`` and the name in its exact case, so that no macro
        meets a system one (``X_OK``) and ``blur`` and ``BLUR`` keep apart."""
        return f"SYMCONV_{self.name}"

    @classmethod
    def make(
        cls, spec: ConvSpec, target: str, dtype: str, name: str | None, threads: int = 1
    ) -> CodegenConfig:
        if not isinstance(spec, ConvSpec):
            raise CodegenError(f"spec must be a ConvSpec, got {type(spec).__name__}")
        if target not in TARGETS:
            raise CodegenError(f"target {target!r} is not one of {', '.join(TARGETS)}")
        if dtype not in DTYPES:
            raise CodegenError(f"dtype {dtype!r} is not one of {', '.join(DTYPES)}")
        if target == "c" and spec.has_input_size:
            per_sample = max(spec.in_channels * math.prod(spec.sizes),
                             spec.out_channels * math.prod(spec.output_size))
            if per_sample > MAX_VALUE:
                raise CodegenError(
                    f"input {format_size(spec.sizes)}: a sample holds {per_sample:,} entries, more than the "
                    f"{MAX_VALUE:,} a C long indexes on every platform; leave --input open (the size is then "
                    "checked at run time) or use a smaller one"
                )
        if spec.taps > MAX_TAPS:
            raise CodegenError(
                f"kernel {format_size(spec.kernel)} has {spec.taps:,} taps: the generated code unrolls "
                f"every tap, so symconv generates kernels of up to {MAX_TAPS} taps"
            )
        return cls(spec, target, dtype, check_name(default_name(spec) if name is None else name),
                   check_threads(threads, target))

    @property
    def c_type(self) -> str:
        return DTYPES[self.dtype]

    def command(self) -> str:
        """The ``symconv gen`` command that regenerates this code."""
        words = ["symconv", "gen", *self.spec.cli_args(), "--target", self.target, "--dtype", self.dtype]
        if self.name != default_name(self.spec):
            words += ["--name", self.name]
        if self.threads != 1:
            words += ["--threads", str(self.threads)]
        return " ".join(words)
