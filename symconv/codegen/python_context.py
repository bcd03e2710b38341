"""The context of the Python both targets write (the NumPy module, the C target's ctypes binding).

``templates/python/checks.py.j2`` lays out, from this context, the constants,
``output_size`` and every argument check; both Python files use its macros, so
the two targets check sizes the same way and word their errors identically.
Sizes are the layout's (the spec's size algebra over ``in_h``…), printed here.
"""

from __future__ import annotations

from typing import Any

from symconv.codegen.config import CodegenConfig
from symconv.codegen.layout import Layout
from symconv.printing.code import pyexpr


def py_tuple(values: tuple[Any, ...] | list[Any]) -> str:
    """A Python tuple literal of already printed ``values`` (``(a,)`` for one)."""
    return "(" + ", ".join(str(v) for v in values) + ("," if len(values) == 1 else "") + ")"


def unpacking(values: list[str]) -> str:
    """The left side of a tuple assignment: ``a, b`` (``a,`` for one)."""
    return ", ".join(values) + ("," if len(values) == 1 else "")


def python_context(lay: Layout, config: CodegenConfig) -> dict[str, Any]:
    """The pieces ``templates/python/checks.py.j2`` lays out (constants, size checks, shapes)."""
    spec = lay.spec
    fixed = spec.input_size is not None
    names = [str(v) for v in lay.inputs]
    outs = [str(v) for v in lay.outputs]
    upper = [x.upper() for x in lay.letters]
    smallest = [int(v) for v in spec.smallest_input_size_of((1,) * spec.ndim)]  # output 1 needs this much
    spatial_doc = ", ".join(str(n) for n in spec.sizes) if fixed else ", ".join(upper)
    checks = [
        {
            "numerator": pyexpr(m),
            "name": name,
            "dim": dim + 1,
            "span": e,
            "padding": f"{b}+{a}",
            "minimum": least,
        }
        for dim, (m, name, e, b, a, least) in enumerate(
            zip(lay.numerators, names, spec.effective_kernel, spec.pad_before, spec.pad_after, smallest)
        )
    ]
    # dy's shape in one expression, the common case of _check: an ndarray of DTYPE, any batch, C_out
    # channels and the output's sizes (any positive size where the input size is open)
    sizes = [f"shape[{2 + i}] == {n}" for i, n in enumerate(spec.output_size)] if fixed else [
        f"shape[{2 + i}] > 0" for i in range(spec.ndim)]
    dy_test = " and ".join([f"len(shape := dy.shape) == {2 + spec.ndim}", "shape[1] == OUT_CHANNELS", *sizes])
    return {
        "dtype": config.dtype,
        "c_in": spec.in_channels,
        "c_out": spec.out_channels,
        "groups": spec.groups,
        "group_in": spec.group_in,
        "group_out": spec.group_out,
        "kernel": py_tuple(spec.kernel),
        "stride": py_tuple(spec.strides),
        "dilation": py_tuple(spec.dilations),
        "span": py_tuple(spec.effective_kernel),
        "padding": py_tuple([py_tuple((b, a)) for b, a in zip(spec.pad_before, spec.pad_after)]),
        "input_size": py_tuple(spec.sizes) if fixed else "None",
        "has_bias": str(spec.bias),
        "ndim": spec.ndim,
        "describe": spec.describe(),
        "spatial_doc": spatial_doc,
        "output_size_doc": f"The spatial output size for a spatial ``input_size`` ({spatial_doc}).",
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
        "spatial_vars": unpacking(names),
        "out_vars": unpacking(outs),
        "output_exprs": unpacking([pyexpr(e) for e in lay.output_sizes]),
        "smallest_exprs": unpacking([pyexpr(e) for e in lay.smallest_inputs]),
        "size_checks": checks,
        "dy_test": dy_test,
        # every output size ≥ 1 comes from some input (an output grows by 0 or 1 per input step), so dy's
        # size needs no check beyond its shape unless output 1 is out of reach (padding wider than the span)
        "every_output": fixed or spec.input_size_for_output((1,) * spec.ndim) is not None,
    }
