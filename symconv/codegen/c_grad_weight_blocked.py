"""The C target's blocked grad_weight for channel-heavy layers (unit stride): a register-tiled reduction.

With unit stride, output position ``p`` of a sample reads the input at
``p + d·u − p_before`` per dimension. Flatten both on the strides of the
*padded* input (``q = Σ p_k · P_k``, ``P_k`` the product of the padded sizes
after dimension ``k``): tap ``u`` then reads the zero-padded input at
``q + off(u)`` with ``off(u) = Σ (d·u_k) · P_k``, one contiguous window per
tap. So

    dw[o, c, u] = Σ_n Σ_q dyp[n, o, q] · xp[n, c, q + off(u)],

where ``xp`` is the input with its padding written out and ``dyp`` is dy laid
out on the padded strides with zeros in between (the positions whose window
would wrap into the next row have ``dyp = 0``). That is a matrix product with
rows ``o``, columns ``(c, u)`` and the reduction ``(n, q)``: tiles of
``rows × cols`` entries keep one vector accumulator each (lanes along ``q``),
each ``dy`` load is shared by the tile's columns and each ``x`` load by its
rows; lanes are summed pairwise once per tile, in a fixed order. ``q`` runs
up to the last position with an output, so no read leaves ``xp``; a layer
without padding reads ``x`` itself, one whose kernel spans a single position
in every dimension but the first reads ``dy`` itself (no copies for 1×1).

The tile function has an AVX-512 path (16 float lanes, its own fixed order), an
AVX2+FMA path (``immintrin.h``, 8 lanes) and a portable C99 path with AVX2's
lanes (so the same order of summation as AVX2's).
"""

from __future__ import annotations

import dataclasses
import math

import sympy as sp

from symconv.codegen.c_loops import (
    INDENT,
    Body,
    buffered_body,
    flat_index,
    nest,
    one_unit,
    pairwise,
    row_major_strides,
)
from symconv.codegen.layout import Layout
from symconv.codegen.schedule import Schedule
from symconv.codegen.simd import GUARDS, INCLUDE, intrinsic, lanes, vector_type
from symconv.printing.code import cexpr

BITS = 256  # the vectors the tiles' lanes follow: AVX2's, and the portable C's the same lanes
WIDE = 512  # AVX-512's, where the compiler targets it: lanes of their own (another fixed order)


def lanes_of(T: str) -> int:
    return lanes(T, BITS)


def tile_function(prefix: str, T: str, rows: int, cols: int) -> list[str]:
    """``static void PREFIX_gw_tile_RxC``: dw[i, j] += Σ_n Σ_q dy_i[q] · x_j[q] for a rows × cols tile.

    Three paths under the preprocessor: AVX-512 (16 float lanes), AVX2+FMA (8) and portable C99
    with AVX2's lanes (the same order of summation as AVX2's); each sums its lanes pairwise at the end.
    """
    ij = [(i, j) for i in range(rows) for j in range(cols)]
    d1, d2, d3, d4 = INDENT, INDENT * 2, INDENT * 3, INDENT * 4
    lines = [
        f"static void {prefix}_gw_tile_{rows}x{cols}(const {T} *restrict dy, long dy_row, long dy_sample,",
        f"{d1}const {T} *const *xcol, long x_sample, long samples, long len, {T} *restrict dw, long dw_row)",
        "{",
    ]
    if rows == 1:  # one row: no next row of dy or dw to step to
        lines += [f"{d1}(void)dy_row;", f"{d1}(void)dw_row;"]
    lines += [f"{d1}{T} r{i}_{j} = 0;" for i, j in ij]

    def pointers(depth: str) -> list[str]:
        row = ["", " + dy_row"] + [f" + {i} * dy_row" for i in range(2, rows)]
        return [
            f"{depth}const {T} *restrict d{i} = dy + n * dy_sample{row[i]};" for i in range(rows)
        ] + [f"{depth}const {T} *restrict x{j} = xcol[{j}] + n * x_sample;" for j in range(cols)]

    def whole(n: int) -> list[str]:
        # the whole vectors up to an end computed once: written ``q + n <= len``, gcc -O3 (a fixed
        # size, inlined) warned of an overflowing iteration in the tail loop (-Waggressive-loop-...)
        return [f"{d2}long q = 0;", f"{d2}const long whole = len - len % {n};",
                f"{d2}for (; q < whole; q += {n}) {{"]

    tail = [f"{d2}for (; q < len; ++q) {{"]
    tail += [f"{d3}r{i}_{j} += d{i}[q] * x{j}[q];" for i, j in ij]
    tail.append(f"{d2}}}")
    entry = ["", "dw_row + "] + [f"{i} * dw_row + " for i in range(2, rows)]

    def vectors(bits: int) -> list[str]:
        n, vec = lanes(T, bits), vector_type(T, bits)
        out = [f"{d1}{T} l{i}_{j}[{n}];" for i, j in ij]
        out.append(f"{d1}{vec} " + ", ".join(f"a{i}_{j} = {intrinsic('setzero', T, bits)}()" for i, j in ij)
                   + ";")
        out.append(f"{d1}for (long n = 0; n < samples; ++n) {{")
        out += pointers(d2)
        out += whole(n)
        out += [f"{d3}const {vec} v{j} = {intrinsic('loadu', T, bits)}(x{j} + q);" for j in range(cols)]
        for i in range(rows):
            out.append(f"{d3}const {vec} e{i} = {intrinsic('loadu', T, bits)}(d{i} + q);")
            fma = intrinsic("fmadd", T, bits)
            out += [f"{d3}a{i}_{j} = {fma}(e{i}, v{j}, a{i}_{j});" for j in range(cols)]
        out.append(f"{d2}}}")
        out += tail
        out.append(f"{d1}}}")
        out += [f"{d1}{intrinsic('storeu', T, bits)}(l{i}_{j}, a{i}_{j});" for i, j in ij]
        return out + sums(n)

    def sums(n: int) -> list[str]:
        return [f"{d1}dw[{entry[i]}{j}] += {prefix}_gw_lanes{n}(l{i}_{j}) + r{i}_{j};" for i, j in ij]

    n = lanes(T, BITS)
    lines += [f"#if {GUARDS[WIDE]}", *vectors(WIDE), f"#elif {GUARDS[BITS]}", *vectors(BITS), "#else"]
    lines += [f"{d1}{T} l{i}_{j}[{n}] = {{0}};" for i, j in ij]
    lines.append(f"{d1}for (long n = 0; n < samples; ++n) {{")
    lines += pointers(d2)
    lines += whole(n)
    lines.append(f"{d3}for (int k = 0; k < {n}; ++k) {{")
    lines += [f"{d4}l{i}_{j}[k] += d{i}[q + k] * x{j}[q + k];" for i, j in ij]
    lines += [f"{d3}}}", f"{d2}}}"]
    lines += tail
    lines.append(f"{d1}}}")
    lines += sums(n)
    lines.append("#endif")
    lines.append("}")
    return lines


def includes(plan: Schedule) -> list[str]:
    """The headers the blocked schedules need: the intrinsics (when compiled for them), calloc."""
    if plan.weight_tile is None and plan.input_tile is None:
        return []
    return [f"#if {GUARDS[BITS]}", INCLUDE, "#endif", "#include <stdlib.h>", ""]


def helper_lines(prefix: str, T: str, plan: Schedule) -> list[str]:
    """File-scope helpers before grad_weight: the lane sums and the tile functions the layer uses."""
    if plan.weight_tile is None:
        return []
    wide, narrow = lanes(T, WIDE), lanes(T, BITS)

    def lane_sum(n: int) -> list[str]:
        return [
            f"static {T} {prefix}_gw_lanes{n}(const {T} *lane)",
            "{",
            f"{INDENT}return {pairwise([f'lane[{k}]' for k in range(n)])};",
            "}",
        ]

    lines = [
        "/* The lanes of a tile entry summed pairwise: a fixed order. */",
        f"#if {GUARDS[WIDE]}",
        *lane_sum(wide),
        "#else",
        *lane_sum(narrow),
        "#endif",
        "",
    ]
    for rows, cols in plan.weight_tiles:
        lines += tile_function(prefix, T, rows, cols)
        lines.append("")
    return lines


def blocked_lines(lay: Layout, plan: Schedule, T: str, upper: str, prefix: str) -> Body:
    """grad_weight after the checks: the tiles over (o, (c, u)), the units blocks of the tile's rows.

    Without copies a unit is a row block (the tile's output channels, group by
    group) over the whole batch. With copies the samples go one by one: the
    sample's planes are copied (``prepare``, one plane per unit, into one buffer
    every thread reads), then each unit adds the sample into its row block's dw
    rows (zeroed at the first sample): every dw entry sums the samples in the same
    order whichever thread runs it.
    """
    assert plan.weight_tile is not None
    spec = lay.spec
    rows, cols = plan.weight_tile
    gi, go, taps = spec.group_in, spec.group_out, math.prod(spec.kernel)
    width = gi * taps  # columns (c, u) of a group
    pack_x, pack_dy = plan.weight_copies
    padded = lay.padded_sizes if pack_x else lay.inputs
    step = row_major_strides(padded)  # the flat strides q is taken on
    x_plane = cexpr(math.prod(padded)) if pack_x else " * ".join(map(str, lay.inputs))
    out_total = " * ".join(map(str, lay.outputs))
    dy_plane = cexpr(lay.outputs[0] * math.prod(padded[1:])) if pack_dy else out_total
    in_total = " * ".join(map(str, lay.inputs))
    length = cexpr(1 + sum((o - 1) * s for o, s in zip(lay.outputs, step)))
    offsets = [
        cexpr(sum((off + (b if pack_x else 0)) * s for off, b, s in zip(tap.offset, spec.pad_before, step)))
        for tap in lay.stencil.taps
    ]
    d1, d2 = INDENT, INDENT * 2
    lines = [
        f"{d1}const long len = {length}; /* the flat positions q up to the last output */",
        f"{d1}const long tap_offset[{taps}] = {{{', '.join(offsets)}}};",
    ]
    nb = -(-go // rows)  # row blocks per group
    units = spec.groups * nb  # row blocks in all
    row_tail = go % rows
    buffers = [(name, f"{upper}_{channels}_CHANNELS * ({plane})") for name, channels, plane, needed in
               (("xp", "IN", x_plane, pack_x), ("dyp", "OUT", dy_plane, pack_dy)) if needed]
    full_cols, col_tail = width - width % cols, width % cols
    group = spec.groups > 1
    x_sample, dy_sample = f"{upper}_IN_CHANNELS * ({x_plane})", f"{upper}_OUT_CHANNELS * ({dy_plane})"
    if buffers:
        xs = "xp" if pack_x else f"x + n * {x_sample}"
        ds = "dyp" if pack_dy else f"dy + n * {dy_sample}"
        x_step, dy_step, samples = "0", "0", "1"
    else:
        xs, ds, x_step, dy_step, samples = "x", "dy", x_sample, dy_sample, "batch"

    def call(r: int, c: int, o: str | int, j: str | int, ind: str) -> list[str]:
        """One tile call: rows o … o + r − 1 of the group, columns j … j + c − 1."""
        def column(k: int) -> str:
            if isinstance(j, int):
                channel, tap = f"{(j + k) // taps}", f"{(j + k) % taps}"
            else:
                channel, tap = f"({j} + {k}) / {taps}", f"({j} + {k}) % {taps}"
            channel = f"g * {gi} + {channel}" if group else channel
            return f"{xs} + ({channel}) * ({x_plane}) + tap_offset[{tap}]"
        row = f"g * {go} + {o}" if group else f"{o}"
        entry = f"g * {go * width} + " if group else ""
        return [
            f"{ind}const {T} *xcol[{c}] = {{{', '.join(column(k) for k in range(c))}}};",
            f"{ind}{prefix}_gw_tile_{r}x{c}({ds} + ({row}) * ({dy_plane}), {dy_plane}, {dy_step}, "
            f"xcol, {x_step}, {samples}, len, dw + {entry}{o} * {width} + {j}, {width});",
        ]

    def over_columns(r: int, o: str | int, ind: str) -> list[str]:
        res = []
        if full_cols:
            res.append(f"{ind}for (long j = 0; j < {full_cols}; j += {cols}) {{")
            res += call(r, cols, o, "j", ind + INDENT)
            res.append(f"{ind}}}")
        if col_tail:
            res += [f"{ind}{{", *call(r, col_tail, o, full_cols, ind + INDENT), f"{ind}}}"]
        return res

    if buffers:
        lines += [f"{d1}(void){name};" for name, unused in (("x", pack_x), ("dy", pack_dy), ("batch", True))
                  if unused]
    head = lines
    lines = []
    if buffers:
        lines.append(f"{d2}const long n = e / {units};" if units > 1 else f"{d2}const long n = e;")
    if group or nb > 1:
        lines.append(f"{d2}const long rb = e % {units};" if buffers else f"{d2}const long rb = e;")
    elif not buffers:
        lines.append(f"{d2}(void)e; /* the one unit */")
    if group:
        lines.append(f"{d2}const long g = rb / {nb};")
    lines.append(f"{d2}const long o = (rb % {nb}) * {rows};" if nb > 1 else f"{d2}const long o = 0;")
    # the unit's dw rows: rows o … o + r − 1 of its group (r: the tile's rows, fewer in the tail block)
    count = f"({go} - o < {rows} ? {go} - o : {rows})" if row_tail else f"{rows}"
    zero = [f"{d2}for (long k = 0; k < {count} * {width}; ++k)",
            f"{d2}{INDENT}dw[{'g * ' + str(go * width) + ' + ' if group else ''}o * {width} + k] = 0;"]
    lines += ([f"{d2}if (n == 0) {{", *[INDENT + z for z in zero], f"{d2}}}"] if buffers else zero)
    if row_tail:
        lines += [f"{d2}if (o + {rows} <= {go}) {{", *over_columns(rows, "o", d2 + INDENT),
                  f"{d2}}} else {{", *over_columns(row_tail, "o", d2 + INDENT), f"{d2}}}"]
    else:
        lines += over_columns(rows, "o", d2)
    lines = head + one_unit("e", lines)
    if not buffers:
        return Body(lines, count=str(units), dynamic=True)

    # the copies: unit e of sample n is one plane, x's input channels first, then dy's output channels
    at = [sp.Symbol(f"p{x}", integer=True) for x in lay.letters]

    def plane(dst: str, src: str, channels: str, sizes: tuple[sp.Symbol, ...], total: str, size: str,
              shift: tuple[int, ...], depth: int) -> list[str]:
        """Plane ``ch`` of sample ``n`` of ``src`` into ``dst`` on the strides ``step``, moved by ``shift``.
        """
        target = cexpr(sum((a + b) * s for a, b, s in zip(at, shift, step)))
        source = cexpr(flat_index(list(at), sizes))
        return nest(at, sizes, f"{dst}[ch * ({size}) + {target}] = {src}[(n * {channels} + ch) * ({total}) + "
                    f"{source}];", depth)

    planes = []
    if pack_x:
        planes.append((f"{upper}_IN_CHANNELS", "xp", "x", lay.inputs, in_total, x_plane, spec.pad_before))
    if pack_dy:
        origin = (0,) * spec.ndim
        planes.append((f"{upper}_OUT_CHANNELS", "dyp", "dy", lay.outputs, out_total, dy_plane, origin))
    per_sample = " + ".join(p[0] for p in planes)
    prepare = [f"{d2}const long n = e / ({per_sample});"]
    if len(planes) == 1:
        prepare.append(f"{d2}const long ch = e % ({per_sample});")
        channels, dst, src, sizes, total, size, shift = planes[0]
        prepare += plane(dst, src, channels, sizes, total, size, shift, 2)
    else:
        first_channels = planes[0][0]
        prepare.append(f"{d2}const long c = e % ({per_sample});")
        for k, (channels, dst, src, sizes, total, size, shift) in enumerate(planes):
            branch = f"{d2}if (c < {first_channels}) {{" if k == 0 else f"{d2}}} else {{"
            prepare += [branch, f"{d2}{INDENT}const long ch = c{' - ' + first_channels if k else ''};",
                        *plane(dst, src, channels, sizes, total, size, shift, 3)]
        prepare.append(f"{d2}}}")
    unused = [f"{d1}(void){name};" for name, copied in (("x", pack_x), ("dy", pack_dy), ("dw", False),
                                                        ("batch", False)) if not copied]
    prepare = unused + one_unit("e", prepare)
    empty = [f"{d1}if (batch == 0) /* no sample: the units never run */",
             f"{d2}for (long k = 0; k < {upper}_OUT_CHANNELS * {width}; ++k)", f"{d2}{INDENT}dw[k] = 0;"]
    body = buffered_body(lines, buffers, T, upper, plan.threads, str(units), dynamic=True, prepare=prepare,
                         prepare_units=per_sample)
    return dataclasses.replace(body, setup=body.setup + empty)
