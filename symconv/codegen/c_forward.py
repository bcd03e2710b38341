"""The C target's forward: blocks of output channels, each row split into its border and interior."""

from __future__ import annotations

import sympy as sp

from symconv.codegen.c_loops import INDENT, interior_bounds, one_unit, outer_rows, split_row
from symconv.codegen.layout import Layout
from symconv.codegen.schedule import Schedule
from symconv.printing.code import cexpr


def forward_lines(
    lay: Layout, plan: Schedule, taps: list[dict[str, str]], T: str, upper: str, out_index: str
) -> list[str]:
    """The forward's body after the prologue: blocks of output channels, rows split at the interior.

    Per output channel block (``plan.out_block`` channels of one group, then
    single channels for the rest) the outputs start at the bias and every input channel
    of the group adds its taps; along the last dimension (the row, unit stride in
    y) each row is split into the positions where some tap reads the padding
    (the stencil's guarded taps) and the interior, where every tap reads inside
    the input: no tests, one accumulator per channel of the block, each input
    load shared by the block. Per dimension, position ``i`` reads
    ``spec.input_index(i, u)`` = ``s·i + offset(u)``: every tap is inside exactly when
    ``s·i + min offset ≥ 0`` and ``s·i + max offset ≤ n − 1``, so the interior is
    ``lo ≤ i < hi`` with ``lo = ceil(−min offset / s)`` (clamped to the output
    size) and ``hi = floor((n − 1 − max offset)/s) + 1`` (at most the output size
    by the size algebra; clamped to at least ``lo`` so the ranges never overlap).
    """
    spec = lay.spec
    pos = [sp.Symbol(f"o{x}", integer=True) for x in lay.letters]
    base = [sp.Symbol(f"i{x}", integer=True) for x in lay.letters]
    in_total = " * ".join(map(str, lay.inputs))
    lines, bounds = interior_bounds(lay)
    go, gi = spec.group_out, spec.group_in
    g = sp.Symbol("g", integer=True, nonnegative=True)
    head = lines
    lines = [
        f"{INDENT * 2}for (long g = 0; g < {upper}_GROUPS; ++g) {{",
        f"{INDENT * 3}const {T} *xg = x + (n * {upper}_IN_CHANNELS + {cexpr(g * gi)}) * ({in_total});",
        f"{INDENT * 3}long o = {cexpr(g * go)};",
    ]
    end = g * go + go
    widths = [plan.out_block] + ([1] if plan.out_tail else [])
    out_total = " * ".join(map(str, lay.outputs))
    for width in widths:
        ch = range(width)
        d3, d4, d5 = INDENT * 3, INDENT * 4, INDENT * 5
        stop = cexpr(end - width + 1)
        o_of = ["o"] + [f"o + {b}" for b in ch[1:]]
        lines.append(f"{d3}for (; o < {stop}; o += {width}) {{")
        for b in ch:
            lines += [
                f"{d4}{T} *restrict y{b} = y + (n * {upper}_OUT_CHANNELS + {o_of[b]}) * ({out_total});",
                f"{d4}const {T} bias{b} = b != NULL ? b[{o_of[b]}] : 0;",
            ]
        lines.append(f"{d4}for (long i = 0; i < {out_total}; ++i) {{")
        lines += [f"{d5}y{b}[i] = bias{b};" for b in ch]
        lines.append(f"{d4}}}")
        lines.append(f"{d4}for (long c = 0; c < {gi}; ++c) {{")
        lines.append(f"{d5}const {T} *restrict xc = xg + c * ({in_total});")
        lines += [
            f"{d5}const {T} *restrict w{b} = w + (({o_of[b]}) * {gi} + c) * {upper}_TAPS;" for b in ch
        ]
        opens, closes, depth = outer_rows(lay, pos, base, 5)
        lines += opens

        def row(start: str, stop_: str, guarded: bool, depth: int, ch: range = ch) -> list[str]:
            ind = INDENT * depth
            last = spec.ndim - 1
            out = [
                f"{ind}for (long {pos[last]} = {start}; {pos[last]} < {stop_}; ++{pos[last]}) {{",
                f"{ind}{INDENT}const long {base[last]} = {cexpr(pos[last] * spec.strides[last])};",
            ]
            inner = ind + INDENT
            if guarded:
                for tap in taps:
                    out.append(f"{inner}{tap['guard']}{{")
                    out.append(f"{inner}{INDENT}const {T} xv = xc[{tap['x']}];")
                    out += [f"{inner}{INDENT}y{b}[{out_index}] += w{b}[{tap['w']}] * xv;" for b in ch]
                    out.append(f"{inner}}}")
            else:
                out += [f"{inner}{T} a{b} = y{b}[{out_index}];" for b in ch]
                for tap in taps:
                    out.append(f"{inner}{{")
                    out.append(f"{inner}{INDENT}const {T} xv = xc[{tap['x']}];")
                    out += [f"{inner}{INDENT}a{b} += w{b}[{tap['w']}] * xv;" for b in ch]
                    out.append(f"{inner}}}")
                out += [f"{inner}y{b}[{out_index}] = a{b};" for b in ch]
            out.append(f"{ind}}}")
            return out

        lines += split_row(lay, bounds, depth, row)
        lines += list(reversed(closes))
        lines += [f"{d4}}}", f"{d3}}}"]
    lines.append(f"{INDENT * 2}}}")
    return head + one_unit("n", lines)
