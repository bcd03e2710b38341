"""The C target's CPython extension binding ``NAME_ext.c``: its template context, and importing it.

The extension is the ctypes binding's module in C (``templates/c/extension.c.j2``):
the same functions, constants and errors, at a per-call cost of a few hundred
nanoseconds instead of tens of microseconds. Its checks run in C on the path
that succeeds; any argument they do not take goes to the binding's own checks
(``templates/c/extension_checks.py.j2``, made of ``templates/python/checks.py.j2``),
embedded in the C as Python text and run at import, so every error message has
one source. ``c_compile.compile_extension`` builds it with ``NAME.c`` into one
shared object.
"""

from __future__ import annotations

import importlib.util
import types
from pathlib import Path
from typing import Any

from symconv.codegen.config import CodegenConfig
from symconv.codegen.layout import Layout
from symconv.errors import CodegenError
from symconv.printing.code import cexpr, cstring
from symconv.templating import render

TEMPLATE = "c/extension.c.j2"
CHECKS = "c/extension_checks.py.j2"
TYPENUMS = {"float64": "NPY_FLOAT64", "float32": "NPY_FLOAT32"}
# Calls of fewer multiply-adds keep the GIL: releasing and taking it back costs ~0.1 µs, more than a
# small call gains from other threads running meanwhile (measured on layer a: 1×1×28×28, k3).
RELEASE_GIL_WORK = 1 << 16


def extension_name(name: str) -> str:
    """The module name of the extension binding of the C functions ``name_…``."""
    return f"{name}_ext"


def function_docs(py: dict[str, Any]) -> dict[str, str]:
    """The docstrings both C bindings give their functions (``py``: the Python context)."""
    return {
        "forward": f"y = conv(x, w) + b: cross-correlation, {py['describe']}.",
        "grad_input": "∂J/∂x from dy = ∂J/∂y.",
        "grad_weight": "∂J/∂w from dy = ∂J/∂y.",
        "grad_bias": "∂J/∂b from dy = ∂J/∂y: the sum of dy over the batch and every position.",
        "output_size": py["output_size_doc"],
    }


def extension_context(lay: Layout, config: CodegenConfig, py: dict[str, Any], binding: str) -> dict[str, Any]:
    """What ``c/extension.c.j2`` prints beyond the C context: names, shapes, the checks as C strings."""
    spec = lay.spec
    module = extension_name(config.name)
    checks = render(CHECKS, ext_module=module, py=py)
    docs = function_docs(py)
    pads = [b + a for b, a in zip(spec.pad_before, spec.pad_after)]
    return {
        "ext_module": module,
        "binding": binding,
        "typenum": TYPENUMS[config.dtype],
        "has_bias": spec.bias,
        "kernel": list(spec.kernel),
        "fixed_in_values": list(spec.sizes) if spec.has_input_size else [],
        "fixed_out_values": list(spec.output_size) if spec.has_input_size else [],
        "outputs_of_s": [f"s.out[{i}]" for i in range(spec.ndim)],
        "smallest": [cexpr(e) for e in lay.smallest_inputs],
        # sizes ≤ LONG_MAX / this: n + padding, (out − 1)·stride + span stay below LONG_MAX
        "size_divisor": 1 + max(spec.strides) + max(spec.effective_kernel) + max(pads),
        "release_gil_work": RELEASE_GIL_WORK,
        "checks_lines": [cstring(line + "\n") for line in checks.splitlines()],
        "module_doc": cstring(
            f"{module}: the CPython extension binding of {config.name}.c ({spec.describe()}); "
            f"the functions, checks and errors of {binding}.py"
        ),
        **{f"{function}_doc": cstring(doc) for function, doc in docs.items()},
    }


def import_extension(name: str, path: Path) -> types.ModuleType:
    """Import the extension module ``name`` built at ``path`` (not entered in ``sys.modules``)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CodegenError(f"{path} is not an extension module this Python can import")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
