"""The NumPy target: one self-contained module, vectorised over batch, channels and positions.

Each kernel tap becomes one ``einsum`` over a strided window of the padded
input (taps unrolled, groups as an array axis), so no Python loop runs over
pixels or the batch. Its constants, ``output_size`` and argument checks are
the shared ``templates/python/checks.py.j2`` (the C target's binding has the same).
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from symconv.codegen.backend import Backend, Files
from symconv.codegen.config import CodegenConfig
from symconv.codegen.layout import Layout, Window
from symconv.codegen.python_context import python_context
from symconv.printing.code import pyexpr

TEMPLATE = "numpy/module.py.j2"


def _window(w: Window) -> str:
    end = pyexpr(w.start + w.step * (w.count - 1) + 1)
    step = f":{w.step}" if w.step != 1 else ""
    return f"{w.start}:{end}{step}"


def import_text(name: str, filename: str, text: str) -> types.ModuleType:
    """Execute a generated module's text as a fresh module called ``name``."""
    module = types.ModuleType(name)
    module.__file__ = f"<symconv generated {filename}>"
    exec(compile(text, module.__file__, "exec"), module.__dict__)
    return module


class NumpyBackend(Backend):
    """``NAME.py``: NumPy only, imported from its text by ``load``."""

    target: ClassVar[str] = "numpy"

    def templates(self, config: CodegenConfig) -> dict[str, str]:
        return {f"{config.name}.py": TEMPLATE}

    def context(self, lay: Layout, config: CodegenConfig) -> dict[str, Any]:
        """The template context of ``numpy/module.py.j2``: names and printed expressions only."""
        spec = lay.spec
        taps = [
            {
                "index": ", ".join(str(u) for u in tap.index),
                "window": ", ".join(_window(w) for w in lay.windows(tap)),
            }
            for tap in lay.stencil.taps
        ]
        crop = ", ".join(f"{b}:{pyexpr(n + b)}" for b, n in zip(spec.pad_before, lay.inputs))
        return {
            "py": python_context(lay, config),
            "title": f"{config.name}: {spec.describe()}",
            "padded": spec.is_padded,
            "letters": "".join(lay.letters),
            "padded_vars": ", ".join(pyexpr(e) for e in lay.padded_sizes),
            "taps": taps,
            "crop": crop,
            "bias_axes": ", 1" * spec.ndim,
            "sum_axes": ", ".join(str(2 + i) for i in range(spec.ndim)),
        }

    def load(self, code: Files) -> types.ModuleType:
        """The module, executed from its text as a fresh module named after it."""
        ((filename, text),) = code.files.items()
        return import_text(code.config.name, filename, text)

    def usage(self, out: Path, codes: Sequence[Files]) -> list[str]:
        """An import line and, for one kernel, its calls; for a separable pair, the chained forward."""
        names = list(dict.fromkeys(code.config.name for code in codes))
        spec = codes[0].config.spec
        lines = [f"Python: sys.path.insert(0, {str(out)!r}); import {', '.join(names)}"]
        if len(names) == 2:
            depthwise, pointwise = names
            bk, bw = (", b_k", ", b_w") if spec.bias else ("", "")
            lines.append(f"        y = {pointwise}.forward({depthwise}.forward(x, k{bk}), w{bw})")
        else:
            b = ", b" if spec.bias else ""
            size = "" if spec.has_input_size else ", input_size"
            bias = ", .grad_bias(dy)" if spec.bias else ""
            lines.append(
                f"        {names[0]}.forward(x, w{b}), .grad_input(dy, w{size}), .grad_weight(x, dy){bias}"
            )
        return lines


NUMPY = NumpyBackend()
