"""The NumPy target: one self-contained module, vectorised over batch, channels and positions.

Each kernel tap becomes one ``einsum`` over a strided window of the padded
input (taps unrolled, groups as an array axis), so no Python loop runs over
pixels or the batch.
"""

from __future__ import annotations

from typing import Any

from symconv.codegen.layout import Layout, Window
from symconv.codegen.printer import pyexpr


def _window(w: Window) -> str:
    end = pyexpr(w.start + w.step * (w.count - 1) + 1)
    step = f":{w.step}" if w.step != 1 else ""
    return f"{w.start}:{end}{step}"


def _tuple(values: tuple[Any, ...]) -> str:
    return "(" + ", ".join(str(v) for v in values) + ("," if len(values) == 1 else "") + ")"


def context(lay: Layout) -> dict[str, Any]:
    """The template context of ``numpy/module.py.j2``: names and printed expressions only."""
    spec = lay.spec
    fixed = spec.input_size is not None
    names = [str(v) for v in lay.inputs]
    outs = [str(v) for v in lay.outputs]
    upper = [x.upper() for x in lay.letters]
    taps = [
        {
            "index": ", ".join(str(u) for u in tap.index),
            "window": ", ".join(_window(w) for w in lay.windows(tap)),
        }
        for tap in lay.stencil.taps
    ]
    checks = [
        {
            "numerator": pyexpr(m),
            "name": name,
            "dim": dim + 1,
            "span": e,
            "padding": f"{b}+{a}",
            "minimum": max(1, e - b - a),
        }
        for dim, (m, name, e, b, a) in enumerate(
            zip(lay.numerators, names, spec.effective_kernel, spec.pad_before, spec.pad_after)
        )
    ]
    crop = ", ".join(f"{b}:{pyexpr(n + b)}" for b, n in zip(spec.pad_before, lay.inputs))
    return {
        "c_in": spec.in_channels,
        "c_out": spec.out_channels,
        "groups": spec.groups,
        "group_in": spec.group_in,
        "group_out": spec.group_out,
        "kernel": _tuple(spec.kernel),
        "stride": _tuple(spec.strides),
        "dilation": _tuple(spec.dilations),
        "span": _tuple(spec.effective_kernel),
        "padding": _tuple(tuple(_tuple((b, a)) for b, a in zip(spec.pad_before, spec.pad_after))),
        "padded": any(spec.pad_before) or any(spec.pad_after),
        "input_size": _tuple(spec.sizes) if fixed else "None",
        "ndim": spec.ndim,
        "letters": "".join(lay.letters),
        "spatial_doc": ", ".join(str(n) for n in spec.sizes) if fixed else ", ".join(upper),
        "kernel_doc": ", ".join(str(k) for k in spec.kernel),
        "out_doc": ", ".join(str(n) for n in spec.output_size) if fixed else ", ".join(
            f"{x}_out" for x in upper
        ),
        "spatial_pattern": ", ".join(str(n) for n in spec.sizes) if fixed else ", ".join(
            f'"{x}"' for x in upper
        ),
        "out_pattern": ", ".join(str(n) for n in spec.output_size) if fixed else ", ".join(
            f'"{x}_out"' for x in upper
        ),
        "w_shape": f"OUT_CHANNELS, {spec.group_in}, *KERNEL_SIZE",
        "spatial_vars": ", ".join(names) + ("," if spec.ndim == 1 else ""),
        "out_vars": ", ".join(outs) + ("," if spec.ndim == 1 else ""),
        "output_exprs": ", ".join(pyexpr(e) for e in lay.output_sizes) + ("," if spec.ndim == 1 else ""),
        "padded_vars": ", ".join(pyexpr(e) for e in lay.padded_sizes),
        "size_checks": checks,
        "taps": taps,
        "crop": crop,
        "bias_axes": ", 1" * spec.ndim,
        "has_bias": str(spec.bias),
        "sum_axes": ", ".join(str(2 + i) for i in range(spec.ndim)),
        "describe": spec.describe(),
    }
