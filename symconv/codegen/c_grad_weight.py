"""The C target's grad_weight: per (o, c) one accumulator per tap, in registers."""

from __future__ import annotations

import sympy as sp

from symconv.codegen.c_loops import INDENT, interior_bounds, one_unit, outer_rows, split_row
from symconv.codegen.layout import Layout
from symconv.printing.code import cexpr


def grad_weight_lines(
    lay: Layout, taps: list[dict[str, str]], T: str, upper: str, out_index: str, channel: str
) -> list[str]:
    """grad_weight's body after the prologue: per (o, c) one accumulator per tap, in registers.

    Each accumulator sums x·dy over the batch and every output position (rows
    split at the interior as in the forward: no tests there, unit stride along
    the row); ``dw`` is written once per entry.
    """
    spec = lay.spec
    pos = [sp.Symbol(f"o{x}", integer=True) for x in lay.letters]
    base = [sp.Symbol(f"i{x}", integer=True) for x in lay.letters]
    lines, bounds = interior_bounds(lay)
    gi = spec.group_in
    in_total = " * ".join(map(str, lay.inputs))
    out_total = " * ".join(map(str, lay.outputs))
    d2, d3, d4 = INDENT * 2, INDENT * 3, INDENT * 4
    head = lines
    lines = [f"{d2}for (long c = 0; c < {gi}; ++c) {{"]
    lines += [f"{d3}{T} a{tap['w']} = 0;" for tap in taps]
    lines += [
        f"{d3}for (long n = 0; n < batch; ++n) {{",
        f"{d4}const {T} *restrict dyo = dy + (n * {upper}_OUT_CHANNELS + o) * ({out_total});",
        f"{d4}const {T} *restrict xc = x + (n * {upper}_IN_CHANNELS + {channel}) * ({in_total});",
    ]
    opens, closes, depth = outer_rows(lay, pos, base, 4)
    lines += opens

    def row(start: str, stop: str, guarded: bool, depth: int) -> list[str]:
        ind = INDENT * depth
        last = spec.ndim - 1
        inner = ind + INDENT
        out = [
            f"{ind}for (long {pos[last]} = {start}; {pos[last]} < {stop}; ++{pos[last]}) {{",
            f"{inner}const long {base[last]} = {cexpr(pos[last] * spec.strides[last])};",
            f"{inner}const {T} d = dyo[{out_index}];",
        ]
        out += [
            f"{inner}{tap['guard'] if guarded else ''}a{tap['w']} += xc[{tap['x']}] * d;" for tap in taps
        ]
        out.append(f"{ind}}}")
        return out

    lines += split_row(lay, bounds, depth, row)
    lines += list(reversed(closes))
    lines.append(f"{d3}}}")
    lines += [f"{d3}dw[(o * {gi} + c) * {upper}_TAPS + {tap['w']}] = a{tap['w']};" for tap in taps]
    lines.append(f"{d2}}}")
    return head + one_unit("o", lines)
