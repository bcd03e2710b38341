"""The NumPy target: one self-contained module, vectorised over batch, channels and positions.

Each function's schedule is chosen here per spec (``schedule``) and named,
with its reason, in the module's docstring. Where channels meet, a strided
(im2col) view of the padded input — or, for ∂J/∂x at stride 1, of the
zero-inserted, padded dy — is contracted with the weight by ``np.matmul`` so
BLAS runs, once per group (forward) or per sample and group; at stride > 1
∂J/∂x is one matmul into columns added back tap by tap (col2im); a 1×1 layer
with stride 1 and no padding is a plain matmul over channels. Where a group
has one input and one output channel (depthwise), a gradient has no matrix
product for BLAS, and each kernel tap stays one ``einsum`` over a strided
window (taps unrolled, groups as an array axis). No Python loop runs over
pixels or the batch. Its constants, ``output_size`` and argument checks are
the shared ``templates/python/checks.py.j2`` (the C target's binding has the same).
"""

from __future__ import annotations

import math
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from symconv.codegen.backend import Backend, Files
from symconv.codegen.config import CodegenConfig
from symconv.codegen.layout import Layout, Window
from symconv.codegen.python_context import python_context
from symconv.printing.code import pyexpr
from symconv.spec import ConvSpec

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


def _times(factor: int, name: str) -> str:
    """``factor*name``, or ``name`` for a factor of 1."""
    return name if factor == 1 else f"{factor}*{name}"


BIAS_BLOCK_MIN = 256  # grad_bias: least positions per BLAS dot (measured: shorter dots trail np.sum)
BIAS_SMALL = 4096  # grad_bias: at most this many values go to one np.add.reduce (a call's cost dominates)


def bias_block(sizes: Sequence[Any]) -> str:
    """grad_bias: the positions per BLAS dot, the shortest trailing block of a map (the last axis, the last
    two, …) with at least BIAS_BLOCK_MIN of them, else the whole map. ``sizes``: the output sizes (ints
    give the number; names give the expression ``out_w if out_w >= 256 else out_h*out_w``)."""
    if all(isinstance(n, int) for n in sizes):
        blocks = [math.prod(sizes[i:]) for i in range(len(sizes) - 1, -1, -1)]
        return str(next((b for b in blocks if b >= BIAS_BLOCK_MIN), blocks[-1]))
    names = [str(n) for n in sizes]
    blocks_text = ["*".join(names[i:]) for i in range(len(names) - 1, -1, -1)]
    expr = blocks_text[-1]
    for block in reversed(blocks_text[:-1]):
        expr = f"{block} if {block} >= {BIAS_BLOCK_MIN} else {expr}"
    return expr


def schedule(spec: ConvSpec) -> dict[str, tuple[str, str]]:
    """Each function's schedule and the reason for it (measured single-thread, float32, against
    ``sliding_window_view`` + one ``einsum``)."""
    single = spec.group_in == 1 and spec.group_out == 1  # one input and one output channel per group
    depthwise = single and spec.groups > 1
    unit = all(s == 1 for s in spec.strides)
    pointwise = spec.taps == 1 and unit and not spec.is_padded and not depthwise
    taps = "one einsum per kernel tap"
    plain = ("matmul", "a plain matmul (BLAS) over channels, because the kernel is 1×1 with stride 1 and no"
             " padding: the arrays themselves are the im2col matrices")
    if pointwise:
        forward = plain
    else:
        forward = ("im2col", "im2col view + matmul (BLAS), one per group, because it was faster on every"
                   " layer measured, depthwise included")
    if single and not pointwise:
        grad_weight = ("taps", f"{taps}, because a group has one input and one output channel: no"
                       " matrix product for BLAS, and per-tap sums measured faster")
    elif pointwise:
        grad_weight = plain
    else:
        grad_weight = ("im2col", "im2col view + matmul (BLAS) with dy, one per sample and group, because"
                       f" each group contracts {spec.group_in} input and {spec.group_out} output channels")
    if depthwise:
        grad_input = ("taps", f"{taps} scattered back, because the layer is depthwise: per-tap"
                      " products measured faster than one small matrix product per group")
    elif pointwise:
        grad_input = plain
    elif unit:
        grad_input = ("gather", "the full correlation of the padded dy with the flipped, dilated kernel as"
                      " one strided view + matmul (BLAS), because the stride is 1: no inserted zeros")
    else:
        grad_input = ("col2im", "one matmul (BLAS) into columns, summed back tap by tap (col2im), because the"
                      " stride is above 1: a gather would multiply the zeros it inserts")
    small = (f"up to {BIAS_SMALL} values summed by one BLAS dot with ones, because the layer has one output"
             " channel and a call's cost dominates there (np.add.reduce costs 0.3-0.9 us more, measured)"
             if spec.out_channels == 1 else
             f"up to {BIAS_SMALL} values summed by one np.add.reduce (NumPy's pairwise summation), because a"
             " call's cost dominates there")
    grad_bias = ("blocks", f"{small}; more by blocks: the shortest trailing"
                 f" block of a map with at least {BIAS_BLOCK_MIN} positions (else the whole map) summed by"
                 " one matmul with ones (BLAS gemv, 1.5-2.5x faster than np.sum, measured), the block sums"
                 " added over the batch in float64: a dot errs by at most its length in roundings of its"
                 " absolute sum")
    return {"forward": forward, "grad_input": grad_input, "grad_weight": grad_weight, "grad_bias": grad_bias}


DOCS = {
    ("grad_input", "matmul"): "the transposed weight times dy (matmul)",
    ("grad_weight", "matmul"): "dy times the transposed input, summed over the batch (matmul)",
    ("grad_input", "gather"): "the full correlation of the zero-inserted, padded dy with the flipped kernel",
    ("grad_input", "col2im"): "w·dy into columns (one matmul), each tap's column added back where it read",
    ("grad_input", "taps"): "every tap scatters w·dy back to the input it read",
    ("grad_weight", "im2col"): "the im2col view of the input contracted with dy (matmul)",
    ("grad_weight", "taps"): "every tap correlates the input it read with dy",
}


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
        chosen = schedule(spec)
        nd = spec.ndim
        space = [f"s[{2 + i}]" for i in range(nd)]
        dilated = [_times(d, a) for d, a in zip(spec.dilations, space)]
        strided = [_times(st, a) for st, a in zip(spec.strides, space)]
        head = [_times(spec.group_in, "s[1]"), "s[1]"]
        span = spec.effective_kernel
        zero_inserted = [Window(e - 1, st, out) for e, st, out in zip(span, spec.strides, lay.outputs)]
        return {
            "schedule": [f"{fn}: {reason}." for fn, (_, reason) in chosen.items()],
            "doc": {fn: DOCS[fn, kind] for fn, (kind, _) in chosen.items() if (fn, kind) in DOCS},
            **{fn: kind for fn, (kind, _) in chosen.items()},
            "group_major_strides": ", ".join([*head, *dilated, "s[0]", *strided]),
            "batch_major_strides": ", ".join(["s[0]", *head, *dilated, *strided]),
            "gather_strides": ", ".join(["s[0]", _times(spec.group_out, "s[1]"), "s[1]", *dilated, *space]),
            "group_taps_in": spec.group_in * spec.taps,
            "group_taps_out": spec.group_out * spec.taps,
            "tap_count": spec.taps,
            "out_count": "*".join(str(o) for o in lay.outputs),
            "in_count": "*".join(str(n) for n in lay.inputs),
            "gather_sizes": ", ".join(pyexpr(p + e - 1) for p, e in zip(lay.padded_sizes, span)),
            "gather_place": ", ".join(_window(w) for w in zero_inserted),
            "gather_start": ", ".join(f"{b}:" for b in spec.pad_before),
            "flip": ", ".join(["::-1"] * nd),
            "py": python_context(lay, config),
            "title": f"{config.name}: {spec.describe()}",
            "padded": spec.is_padded,
            "letters": "".join(lay.letters),
            "padded_vars": ", ".join(pyexpr(e) for e in lay.padded_sizes),
            "taps": taps,
            "crop": crop,
            "bias_axes": ", 1" * spec.ndim,
            "bias_small": BIAS_SMALL,
            "bias_space": ", ".join(str(2 + i) for i in range(nd)),
            "bias_block": bias_block(list(spec.output_size) if spec.has_input_size else lay.outputs),
            "bias_block_min": BIAS_BLOCK_MIN,
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
