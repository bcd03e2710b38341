"""What to generate: target, dtype and name, validated once (CodegenError names the fix)."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

from symconv.errors import CodegenError
from symconv.spec import ConvSpec

TARGETS = ("numpy", "c")
DTYPES = {"float64": "double", "float32": "float"}  # NumPy dtype → C type

C_KEYWORDS = frozenset((
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
    "volatile", "while", "_Bool", "_Complex", "_Imaginary",
))
_SHADOWED = frozenset(("numpy", "np", "ctypes"))  # a module file of that name would hide the real one
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _fmt(values: tuple[int, ...]) -> str:
    return str(values[0]) if all(v == values[0] for v in values) else "x".join(str(v) for v in values)


def default_name(spec: ConvSpec) -> str:
    """A C identifier naming the spec's non-default hyper-parameters: ``conv2d_k3_d2``."""
    parts = [f"conv{spec.ndim}d", f"k{_fmt(spec.kernel)}"]
    if any(s != 1 for s in spec.strides):
        parts.append(f"s{_fmt(spec.strides)}")
    if isinstance(spec.padding, str):
        parts.append(f"p{spec.padding}")
    elif any(spec.pad_before):
        parts.append(f"p{_fmt(spec.pad_before)}")
    if any(d != 1 for d in spec.dilations):
        parts.append(f"d{_fmt(spec.dilations)}")
    if (spec.in_channels, spec.out_channels) != (1, 1):
        parts.append(f"c{spec.in_channels}to{spec.out_channels}")
    if spec.groups != 1:
        parts.append("dw" if spec.groups == spec.in_channels else f"g{spec.groups}")
    if spec.input_size is not None:
        parts.append(f"n{_fmt(spec.sizes)}")
    if not spec.bias:
        parts.append("nobias")
    return "_".join(parts)


def check_name(name: str) -> str:
    """``name`` if it is a valid C identifier (and so a Python one) that is not a C keyword."""
    if not _IDENTIFIER.fullmatch(name):
        raise CodegenError(
            f"name {name!r} is not a valid C identifier: use letters, digits and _, not starting with a digit"
        )
    if name in C_KEYWORDS:
        raise CodegenError(f"name {name!r} is a C keyword: choose another, e.g. {name}_conv")
    if keyword.iskeyword(name) or name in _SHADOWED:
        what = "a Python keyword" if keyword.iskeyword(name) else "the name of a module the code imports"
        raise CodegenError(f"name {name!r} is {what}: choose another, e.g. {name}_conv")
    return name


@dataclass(frozen=True)
class CodegenConfig:
    """A validated request: the spec, the target, the dtype and the name of the generated code."""

    spec: ConvSpec
    target: str
    dtype: str
    name: str

    @classmethod
    def make(cls, spec: ConvSpec, target: str, dtype: str, name: str | None) -> CodegenConfig:
        if not isinstance(spec, ConvSpec):
            raise CodegenError(f"spec must be a ConvSpec, got {type(spec).__name__}")
        if target not in TARGETS:
            raise CodegenError(f"target {target!r} is not one of {', '.join(TARGETS)}")
        if dtype not in DTYPES:
            raise CodegenError(f"dtype {dtype!r} is not one of {', '.join(DTYPES)}")
        return cls(spec, target, dtype, check_name(default_name(spec) if name is None else name))

    @property
    def c_type(self) -> str:
        return DTYPES[self.dtype]

    def command(self) -> str:
        """The ``symconv gen`` command that regenerates this code."""
        words = ["symconv", "gen", *self.spec.cli_args(), "--target", self.target, "--dtype", self.dtype]
        if self.name != default_name(self.spec):
            words += ["--name", self.name]
        return " ".join(words)
