"""The C target: C99, a header and a source, libc only, no global state; and two Python bindings.

This module gathers the template context: the sizes and taps printed once
here, each function's loops by its own module (``c_forward``,
``c_grad_input``, ``c_grad_weight``, chosen by ``schedule``).

The third file, ``NAME_c.py``, is a generated ctypes binding with the NumPy
module's interface and the very same checks (``templates/python/checks.py.j2``)
plus C-contiguity: a user compiles ``NAME.c`` into a shared library and calls
``NAME_c.load(path)`` — portable, but each call costs tens of microseconds.
The fourth, ``NAME_ext.c`` (``c_extension``), is the same module as a CPython
extension: the checks in C, a few hundred nanoseconds a call. ``load`` here
builds the extension with ``NAME.c`` (``c_compile.compile_extension``: cached,
``-O3 -march=native``) and imports it; without Python's headers it warns once
and binds the ctypes binding to the library instead.
"""

from __future__ import annotations

import math
import shlex
import textwrap
import types
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import sympy as sp

from symconv import sizes
from symconv.codegen import c_grad_input_blocked, c_grad_weight_blocked
from symconv.codegen.backend import Backend, Files
from symconv.codegen.c_compile import (
    NATIVE_CFLAGS,
    OPENMP_CFLAG,
    OPTIMIZE,
    SHARED,
    MissingHeaders,
    compile_extension,
    compile_shared,
    extension_filename,
    include_dirs,
    library_name,
    load_cached,
)
from symconv.codegen.c_extension import TEMPLATE as EXTENSION
from symconv.codegen.c_extension import (
    extension_context,
    extension_name,
    function_docs,
    import_extension,
)
from symconv.codegen.c_forward import forward_lines
from symconv.codegen.c_forward_gemm import gemm_forward_lines, prelude
from symconv.codegen.c_grad_input import gather_lines
from symconv.codegen.c_grad_weight import grad_weight_lines
from symconv.codegen.c_loops import INDENT, Body, flat_index
from symconv.codegen.config import CodegenConfig
from symconv.codegen.layout import Layout
from symconv.codegen.numpy_backend import import_text
from symconv.codegen.python_context import python_context
from symconv.codegen.schedule import schedule
from symconv.errors import CodegenError
from symconv.printing.code import cexpr

TEMPLATES = (("h", "c/header.h.j2"), ("c", "c/source.c.j2"))
BINDING = "c/binding.py.j2"


def c_context(lay: Layout, config: CodegenConfig) -> dict[str, Any]:
    """The template context of ``c/header.h.j2`` and ``c/source.c.j2``: printed lines only."""
    spec = lay.spec
    plan = schedule(spec, config.dtype, config.threads)
    fixed = spec.input_size is not None
    prefix = config.name
    upper = config.macro
    pos = [sp.Symbol(f"o{x}", integer=True) for x in lay.letters]  # output position
    base = [sp.Symbol(f"i{x}", integer=True) for x in lay.letters]  # position · stride; taps add offsets
    depth = 3  # inside: function, batch loop, output-channel loop

    loops = []
    for k, (p, b, out, s) in enumerate(zip(pos, base, lay.outputs, spec.strides)):
        indent = INDENT * (depth + k)
        loops.append({
            "open": f"{indent}for (long {p} = 0; {p} < {out}; ++{p}) {{",
            "base": f"{indent}{INDENT}const long {b} = {cexpr(p * s)};",
            "close": f"{indent}}}",
        })
    body = INDENT * (depth + spec.ndim)

    taps = []
    for tap in lay.stencil.taps:
        at = [b + off for b, off in zip(base, tap.offset)]
        tests = []
        for a, n, low, high in zip(at, lay.inputs, tap.low, tap.high):
            if low:
                tests.append(cexpr(sp.Ge(a, 0, evaluate=False)))
            if high:
                tests.append(cexpr(sp.Lt(a, n, evaluate=False)))
        taps.append({
            "guard": f"if ({' && '.join(tests)}) " if tests else "",
            "x": cexpr(flat_index(at, lay.inputs)),
            "w": str(tap.flat),
        })

    # The input channel weight (o, c) reads: the spec's group map over the loop variables; without
    # groups every output channel reads channels 0 … C_in − 1 (spec.first_input_channel(o) is 0).
    o, c = sp.Symbol("o", integer=True, nonnegative=True), sp.Symbol("c", integer=True, nonnegative=True)
    channel = sizes.input_channel(o, c, spec.group_in, spec.group_out) if spec.is_grouped else c

    # grad_input: input channel c is read by the output channels of its group, through weight channel
    # c − first_input_channel (c itself without groups).
    first_out = sizes.first_output_channel(c, spec.group_in, spec.group_out) if spec.is_grouped else 0
    weight_channel = c - sizes.group_of_input(c, spec.group_in) * spec.group_in if spec.is_grouped else c

    out_index = cexpr(flat_index(list(pos), lay.outputs))
    size_params = "".join(f", long {n}" for n in lay.inputs)
    return {
        "prefix": prefix,
        "guard_macro": f"{upper}_H",
        "upper": upper,
        "T": config.c_type,
        "dtype": config.dtype,
        "describe": spec.describe(),
        "fixed": fixed,
        "ndim": spec.ndim,
        "bias": spec.bias,
        "constants": [
            ("IN_CHANNELS", spec.in_channels),
            ("OUT_CHANNELS", spec.out_channels),
            ("GROUPS", spec.groups),
            ("TAPS", math.prod(spec.kernel)),
        ]
        + [(f"KERNEL_{x.upper()}", k) for x, k in zip(lay.letters, spec.kernel)]
        + [(f"STRIDE_{x.upper()}", s) for x, s in zip(lay.letters, spec.strides)]
        + [(f"DILATION_{x.upper()}", d) for x, d in zip(lay.letters, spec.dilations)]
        + [(f"PAD_BEFORE_{x.upper()}", p) for x, p in zip(lay.letters, spec.pad_before)]
        + [(f"PAD_AFTER_{x.upper()}", p) for x, p in zip(lay.letters, spec.pad_after)]
        + ([(f"IN_{x.upper()}", n) for x, n in zip(lay.letters, spec.sizes)] if fixed else [])
        + ([(f"OUT_{x.upper()}", n) for x, n in zip(lay.letters, spec.output_size)] if fixed else []),
        "group_in": spec.group_in,
        "input_channel": cexpr(channel),
        "inputs": [str(n) for n in lay.inputs],
        "outputs": [str(n) for n in lay.outputs],
        "fixed_inputs": [(str(n), v) for n, v in zip(lay.inputs, spec.sizes)] if fixed else [],
        "size_params": "" if fixed else size_params,
        "size_args": ", ".join(str(n) for n in lay.inputs),
        "size_doc": ", ".join(str(n) for n in lay.inputs),
        "output_params": ", ".join(f"long *{n}" for n in lay.outputs),
        "output_addresses": ", ".join(f"&{n}" for n in lay.outputs),
        "numerators": [cexpr(m) for m in lay.numerators],
        # an input this close to LONG_MAX would overflow when its padding is added
        "room": [(str(n), b + a) for n, b, a in zip(lay.inputs, spec.pad_before, spec.pad_after) if b + a],
        "output_sizes": [(str(o), cexpr(e)) for o, e in zip(lay.outputs, lay.output_sizes)],
        "in_total": " * ".join(str(n) for n in lay.inputs),
        "out_total": " * ".join(str(n) for n in lay.outputs),
        "out_index": out_index,
        "loops": loops,
        "body": body,
        "taps": taps,
        "forward_prelude": prelude(config.c_type) if plan.gemm is not None else [],
        "forward": (
            gemm_forward_lines(lay, plan.gemm_wide, plan.gemm, plan.forward_parts, config.c_type, upper,
                               plan.threads)
            if plan.gemm is not None and plan.gemm_wide is not None
            else Body(forward_lines(lay, plan, taps, config.c_type, upper, out_index))
        ).context(),
        "helpers": (
            c_grad_weight_blocked.includes(plan)
            + c_grad_input_blocked.helper_lines(prefix, upper, config.c_type, plan, lay)
            + c_grad_weight_blocked.helper_lines(prefix, config.c_type, plan)
        ),
        "grad_weight": (
            c_grad_weight_blocked.blocked_lines(lay, plan, config.c_type, upper, prefix)
            if plan.weight_tile is not None
            else Body(grad_weight_lines(lay, taps, config.c_type, upper, out_index, cexpr(channel)))
        ).context(),
        "grad_input": (
            c_grad_input_blocked.blocked_lines(lay, plan, config.c_type, upper, prefix)
            if plan.input_tile is not None
            else Body(gather_lines(
                lay, config.c_type, upper, cexpr(first_out), cexpr(first_out + spec.group_out),
                cexpr(weight_channel),
            ))
        ).context(),
        "grad_bias": Body([]).context(),  # its loops are in the template
        "threads": plan.threads,
        "least_positions": plan.least_positions,
        "least_bias_positions": plan.least_bias_positions,
        # a task's sizes (grad_bias reads the output sizes only): constants when fixed, else parameters
        "task_size": {
            which: {
                "constants": [(str(n), v) for n, v in zip(names, values)] if fixed else [],
                "params": "" if fixed else "".join(f", long {n}" for n in names),
                "args": "" if fixed else "".join(f", {n}" for n in names),
                "names": [str(n) for n in names],
            }
            for which, names, values in (
                ("all", (*lay.inputs, *lay.outputs), (*spec.sizes, *spec.output_size) if fixed else ()),
                ("outputs", lay.outputs, spec.output_size if fixed else ()),
            )
        },
        "bias_lanes": plan.bias_lanes,
        "bias_rows": plan.bias_rows,
        "schedule": [
            wrapped
            for line in plan.lines()
            for wrapped in textwrap.wrap(line, 96, initial_indent="  ", subsequent_indent="      ")
        ],
    }


def binding_name(name: str) -> str:
    """The module name of the ctypes binding of the C functions ``name_…``."""
    return f"{name}_c"


def load_ctypes(code: Files) -> types.ModuleType:
    """The ctypes binding ``NAME_c.py`` imported from its text, bound to the compiled library (cached)."""
    module = binding_name(code.config.name)
    filename = f"{module}.py"
    if filename not in code.files:
        files = ", ".join(sorted(code.files))
        raise CodegenError(f"{filename} is missing: the C target's files here are {files}")

    def bound(library: Path) -> types.ModuleType:
        binding = import_text(module, filename, code.files[filename])
        binding.load(library)
        return binding

    return load_cached(lambda: compile_shared(code), bound)


def load_extension(code: Files) -> types.ModuleType:
    """The extension binding ``NAME_ext`` built with the C (cached) and imported.

    MissingHeaders when Python.h is not installed.
    """
    module = extension_name(code.config.name)
    return load_cached(lambda: compile_extension(code, module), lambda path: import_extension(module, path))


_warned: set[str] = set()  # the warnings already given in this process


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, RuntimeWarning, stacklevel=4)


class CBackend(Backend):
    """``NAME.h``, ``NAME.c``, the ctypes binding ``NAME_c.py`` and the extension ``NAME_ext.c``."""

    target: ClassVar[str] = "c"

    def templates(self, config: CodegenConfig) -> dict[str, str]:
        files = {f"{config.name}.{ext}": template for ext, template in TEMPLATES}
        return {
            **files,
            f"{binding_name(config.name)}.py": BINDING,
            f"{extension_name(config.name)}.c": EXTENSION,
        }

    def context(self, lay: Layout, config: CodegenConfig) -> dict[str, Any]:
        """The C context, plus the bindings': the shared Python pieces and the C call's arguments."""
        spec = lay.spec
        py = python_context(lay, config)
        binding = binding_name(config.name)
        return {
            **c_context(lay, config),
            **extension_context(lay, config, py, binding),
            "py": py,
            "docs": function_docs(py),
            "module": binding,
            "library": library_name(config.name),
            "long_arguments": 1 + (0 if spec.has_input_size else spec.ndim),  # batch, then in_h…
        }

    def load(self, code: Files) -> types.ModuleType:
        """The extension binding (built with the C, cached); without Python's headers, the ctypes binding."""
        try:
            return load_extension(code)
        except MissingHeaders as e:
            _warn_once(f"symconv: the C target falls back to its ctypes binding (tens of µs a call): {e}")
            return load_ctypes(code)

    def usage(self, out: Path, codes: Sequence[Files]) -> list[str]:
        """The compile lines for C, the ctypes binding and the extension binding, and their imports."""
        names = list(dict.fromkeys(code.config.name for code in codes))
        omp = (" " + OPENMP_CFLAG) if any(code.config.threads > 1 for code in codes) else ""
        native = " ".join((*OPTIMIZE, *NATIVE_CFLAGS)) + omp

        def path(filename: str) -> str:
            return shlex.quote(str(out / filename))

        sources = " ".join(path(f"{name}.c") for name in names)
        headers = ", ".join(f'"{name}.h"' for name in names)
        shared = " && ".join(
            f"cc {native} {' '.join(SHARED)} -o {path(library_name(name))} {path(f'{name}.c')}"
            for name in names
        )
        modules = ", ".join(binding_name(name) for name in names)
        loads = "; ".join(
            f"{binding_name(name)}.load({str(out / library_name(name))!r})" for name in names
        )
        includes = " ".join(f"-I{shlex.quote(str(folder))}" for folder in include_dirs())
        extensions = " && ".join(
            f"cc {native} {' '.join(SHARED)} {includes} -o {path(extension_filename(extension_name(name)))} "
            f"{path(extension_name(name) + '.c')} {path(f'{name}.c')}"
            for name in names
        )
        imports = ", ".join(extension_name(name) for name in names)
        return [
            f"C:      cc {native} -c {sources}   (#include {headers}; portable: leave out "
            f"{' '.join(NATIVE_CFLAGS)})",
            f"ctypes: {shared}",
            f"        sys.path.insert(0, {str(out)!r}); import {modules}; {loads}",
            f"ext:    {extensions}",
            f"        sys.path.insert(0, {str(out)!r}); import {imports}   (Python's headers: python3-dev)",
        ]


C = CBackend()
