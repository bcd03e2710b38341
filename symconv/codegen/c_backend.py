"""The C target: C99, a header and a source, libc only, no global state.

Loops run over batch, output channel, output positions (one loop per spatial
dimension, so they can later be blocked or vectorised) and input channels of
the group; the kernel taps are unrolled, each with a bounds test only on the
sides where the stencil says it can reach the padding.
"""

from __future__ import annotations

import math
from typing import Any

import sympy as sp

from symconv.codegen.config import CodegenConfig
from symconv.codegen.layout import Layout
from symconv.codegen.printer import cexpr

INDENT = "    "


def _flat_index(positions: list[sp.Expr], sizes: tuple[sp.Symbol, ...]) -> sp.Expr:
    """Row-major offset of ``positions`` in an array of spatial ``sizes``."""
    index: sp.Expr = sp.S.Zero
    for p, n in zip(positions, sizes):
        index = index * n + p
    return index


def context(lay: Layout, config: CodegenConfig) -> dict[str, Any]:
    """The template context of ``c/header.h.j2`` and ``c/source.c.j2``: printed lines only."""
    spec = lay.spec
    fixed = spec.input_size is not None
    prefix = config.name
    upper = prefix.upper()
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
            "x": cexpr(_flat_index(at, lay.inputs)),
            "w": str(tap.flat),
        })

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
        "group_out": spec.group_out,
        "inputs": [str(n) for n in lay.inputs],
        "outputs": [str(n) for n in lay.outputs],
        "fixed_inputs": [(str(n), v) for n, v in zip(lay.inputs, spec.sizes)] if fixed else [],
        "size_params": "" if fixed else size_params,
        "size_args": ", ".join(str(n) for n in lay.inputs),
        "size_doc": ", ".join(str(n) for n in lay.inputs),
        "output_params": ", ".join(f"long *{n}" for n in lay.outputs),
        "output_addresses": ", ".join(f"&{n}" for n in lay.outputs),
        "numerators": [cexpr(m) for m in lay.numerators],
        "output_sizes": [(str(o), cexpr(e)) for o, e in zip(lay.outputs, lay.output_sizes)],
        "in_total": " * ".join(str(n) for n in lay.inputs),
        "out_total": " * ".join(str(n) for n in lay.outputs),
        "out_index": cexpr(_flat_index(list(pos), lay.outputs)),
        "loops": loops,
        "body": body,
        "taps": taps,
    }
