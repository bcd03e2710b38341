"""The C target's blocked grad_input for channel-heavy layers (unit stride): a register-tiled gather.

With unit stride, input index ``i`` is read by tap ``u`` from output position
``i + p_before − d·u`` (per dimension). Lay dy out zero-padded by ``E − p_before``
ahead (``E = d·(K − 1)``), in an array of the sizes ``in + E`` (``dyz``), and
flatten positions on those strides (``Z_k``): input position ``q`` reads
``dyz[q + off(u)]`` with ``off(u) = Σ (E_k − d·u_k) · Z_k``, one contiguous
window per tap and never past the row (``i + E − d·u ≤ in − 1 + E``). So

    dxz[n, c, q] = Σ_o Σ_u w[o, c, u] · dyz[n, o, q + off(u)]

is a matrix product with rows ``c``, vectors of positions ``q`` and the
reduction over ``(o, u)`` in a fixed order: tiles of ``rows`` input channels ×
``vectors`` vectors of positions keep their sums in registers, each dy load is
shared by the tile's rows and each weight (broadcast) by its vectors; the
output channels go in chunks (their dy stays in cache), each tap's chunk sum
added to dx in a fixed order (chains as short as the plain gather's). ``dxz``
lives on the same strides and is copied into dx (the positions between rows
dropped); without them (a kernel of one position in every dimension but the
first) the tiles write dx directly, and a layer without padding or kernel
extent reads dy itself (1×1).
"""

from __future__ import annotations

import math

import sympy as sp

from symconv.codegen.c_grad_weight_blocked import BITS, WIDE
from symconv.codegen.c_loops import INDENT, Body, buffered_body, flat_index, nest, one_unit, row_major_strides
from symconv.codegen.layout import Layout
from symconv.codegen.schedule import Schedule
from symconv.codegen.simd import GUARDS, intrinsic, lanes, vector_type
from symconv.printing.code import cexpr


def tile_function(
    prefix: str, T: str, rows: int, vectors: int, group_out: int, group_in: int, taps: int
) -> list[str]:
    """``static void PREFIX_gi_tile_RxV``: dx_i[q + LANES·j …] = Σ_o Σ_u w[o, i, u] · dy_o[q + off(u) + …].

    ``vectors`` vectors of positions: AVX-512's where the compiler targets them, else AVX2's, and
    portable C99 with AVX2's lanes (``PREFIX_GI_LANES``: the lanes of the path compiled). Each entry
    sums the same terms in the same order on every path.
    """
    narrow = lanes(T, BITS)
    ij = [(i, j) for i in range(rows) for j in range(vectors)]
    d1, d2, d3, d4 = INDENT, INDENT * 2, INDENT * 3, INDENT * 4
    lines = [
        f"static void {prefix}_gi_tile_{rows}x{vectors}(const {T} *restrict dy, long dy_plane, "
        f"const {T} *restrict w, const long *tap_offset,",
        f"{d1}long channels, int first, {T} *restrict dx, long dx_plane)",
        "{",
        f"{d1}for (long u = 0; u < {taps}; ++u) {{",
    ]

    def simd(bits: int) -> list[str]:
        n, vec = lanes(T, bits), vector_type(T, bits)
        count = vectors
        ik = [(i, j) for i in range(rows) for j in range(count)]

        def mm(name: str) -> str:
            return intrinsic(name, T, bits)

        out = [
            f"{d2}{vec} " + ", ".join(f"a{i}_{j} = {mm('setzero')}()" for i, j in ik) + ";",
            f"{d2}for (long o = 0; o < channels; ++o) {{",
            f"{d3}const {T} *restrict wo = w + o * {group_in * taps} + u;",
            f"{d3}const {T} *restrict src = dy + o * dy_plane + tap_offset[u];",
        ]
        out += [f"{d3}const {vec} v{j} = {mm('loadu')}(src + {j * n});" for j in range(count)]
        for i in range(rows):
            out.append(f"{d3}const {vec} b{i} = {mm('set1')}(wo[{i * taps}]);")
            out += [f"{d3}a{i}_{j} = {mm('fmadd')}(b{i}, v{j}, a{i}_{j});" for j in range(count)]
        out.append(f"{d2}}}")
        out.append(f"{d2}if (first && u == 0) {{")
        out += [f"{d3}{mm('storeu')}(dx + {i} * dx_plane + {j * n}, a{i}_{j});" for i, j in ik]
        out.append(f"{d2}}} else {{")
        out += [
            f"{d3}{mm('storeu')}(dx + {i} * dx_plane + {j * n}, "
            f"{mm('add')}({mm('loadu')}(dx + {i} * dx_plane + {j * n}), a{i}_{j}));"
            for i, j in ik
        ]
        out.append(f"{d2}}}")
        return out

    lines += [f"#if {GUARDS[WIDE]}", *simd(WIDE), f"#elif {GUARDS[BITS]}", *simd(BITS)]
    lines.append("#else")
    lines += [f"{d2}{T} a{i}_{j}[{narrow}] = {{0}};" for i, j in ij]
    lines += [
        f"{d2}for (long o = 0; o < channels; ++o) {{",
        f"{d3}const {T} *restrict wo = w + o * {group_in * taps} + u;",
        f"{d3}const {T} *restrict src = dy + o * dy_plane + tap_offset[u];",
        f"{d3}for (int k = 0; k < {narrow}; ++k) {{",
    ]
    lines += [f"{d4}a{i}_{j}[k] += wo[{i * taps}] * src[{j * narrow} + k];" for i, j in ij]
    lines += [f"{d3}}}", f"{d2}}}"]
    lines += [f"{d2}for (int k = 0; k < {narrow}; ++k) {{"]
    at = {(i, j): f"dx[{i} * dx_plane + {j * narrow} + k]" for i, j in ij}
    lines += [f"{d3}{at[i, j]} = (first && u == 0 ? 0 : {at[i, j]}) + a{i}_{j}[k];" for i, j in ij]
    lines += [f"{d2}}}", "#endif", f"{d1}}}", "}", ""]
    return lines


def helper_lines(prefix: str, upper: str, T: str, plan: Schedule, lay: Layout) -> list[str]:
    """File-scope tile functions of the blocked grad_input (the includes come with grad_weight's helpers)."""
    if plan.input_tile is None:
        return []
    spec = lay.spec
    taps = math.prod(spec.kernel)
    lines = [
        "/* The positions of one vector of the blocked grad_input's tiles: the path compiled. */",
        f"#if {GUARDS[WIDE]}",
        f"#define {upper}_GI_LANES {lanes(T, WIDE)}",
        "#else",
        f"#define {upper}_GI_LANES {lanes(T, BITS)}",
        "#endif",
        "",
    ]
    for rows, vectors in plan.input_tiles:
        lines += tile_function(prefix, T, rows, vectors, spec.group_out, spec.group_in, taps)
    return lines


def blocked_lines(lay: Layout, plan: Schedule, T: str, upper: str, prefix: str) -> Body:
    """grad_input after the checks: the copies' buffers (one per task), then per sample of the task's range
    dy copied where needed, the tiles, dx copied out where needed."""
    assert plan.input_tile is not None
    spec = lay.spec
    width = f"{upper}_GI_LANES"
    rows, vectors = plan.input_tile
    chunk = plan.input_chunk
    gi, go, taps = spec.group_in, spec.group_out, math.prod(spec.kernel)
    extent = [e - 1 for e in spec.effective_kernel]  # E = d·(K − 1)
    ahead = [e - b for e, b in zip(extent, spec.pad_before)]  # dy's place in dyz
    copy_dy = any(extent) or spec.is_padded
    copy_dx = any(extent[1:])
    zs = [n + e for n, e in zip(lay.inputs, extent)]  # dyz's sizes: in + E
    step = row_major_strides(zs)
    in_total = " * ".join(map(str, lay.inputs))
    out_total = " * ".join(map(str, lay.outputs))
    z_plane = cexpr(math.prod(zs)) if copy_dy else out_total
    dx_plane = cexpr(math.prod(zs[1:]) * lay.inputs[0]) if copy_dx else in_total
    length = cexpr(1 + sum((n - 1) * s for n, s in zip(lay.inputs, step)))
    offsets = [
        cexpr(sum((e - d * u) * s for e, d, u, s in zip(extent, spec.dilations, tap.index, step)))
        for tap in lay.stencil.taps
    ]
    d1, d2 = INDENT, INDENT * 2
    block = f"{vectors} * {width}" if vectors > 1 else width
    lines = [
        f"{d1}const long len = {length}; /* the flat positions q up to the last input position */",
        f"{d1}const long tap_offset[{taps}] = {{{', '.join(offsets)}}};",
    ]
    buffers = [(name, f"{upper}_{channels}_CHANNELS * ({plane})") for name, channels, plane, needed in
               (("dyz", "OUT", z_plane, copy_dy), ("dxz", "IN", dx_plane, copy_dx)) if needed]
    # the task's units: (sample, group, block of `rows` input channels), in that order
    nbc = -(-gi // rows)
    per_sample = spec.groups * nbc
    head = lines
    lines = [f"{d2}const long n = e / {per_sample};" if per_sample > 1 else f"{d2}const long n = e;"]
    if spec.groups > 1:
        unit = f"(e / {nbc})" if nbc > 1 else "e"
        lines.append(f"{d2}const long g = {unit} % {spec.groups};")
    c = f"(e % {nbc}) * {rows}" if nbc > 1 else "0"
    lines.append(f"{d2}const long c = {c};")
    at = [sp.Symbol(f"p{x}", integer=True) for x in lay.letters]

    def channels(sizes: tuple[sp.Symbol, ...], statement: str, depth: int, lo: str, hi: str) -> list[str]:
        """``statement`` over channels ``lo … hi − 1`` and every point of ``sizes``."""
        ind = INDENT * depth
        return [f"{ind}for (long ch = {lo}; ch < {hi}; ++ch) {{", *nest(at, sizes, statement, depth + 1),
                f"{ind}}}"]

    if copy_dy:  # a thread's dyz holds sample *held; copied when its next unit is of another sample
        target = cexpr(sum((a + h) * s for a, h, s in zip(at, ahead, step)))
        source = cexpr(flat_index(list(at), lay.outputs))
        lines.append(f"{d2}if (n != *held) {{")
        lines += channels(lay.outputs, f"dyz[ch * ({z_plane}) + {target}] = "
                      f"dy[(n * {upper}_OUT_CHANNELS + ch) * ({out_total}) + {source}];",
                      3, "0", f"{upper}_OUT_CHANNELS")
        lines += [f"{d2}{INDENT}*held = n;", f"{d2}}}"]
    else:
        lines.append(f"{d2}const {T} *dyz = dy + n * {upper}_OUT_CHANNELS * ({out_total});")
    if not copy_dx:
        lines.append(f"{d2}{T} *dxz = dx + n * {upper}_IN_CHANNELS * ({in_total});")
    ind = d2
    if spec.groups > 1:
        lines += [
            f"{ind}const {T} *dyg = dyz + g * {go} * ({z_plane});",
            f"{ind}const {T} *wg = w + g * {go * gi * taps};",
            f"{ind}{T} *dxg = dxz + g * {gi} * ({dx_plane});",
        ]
    else:
        lines += [f"{ind}const {T} *dyg = dyz;", f"{ind}const {T} *wg = w;", f"{ind}{T} *dxg = dxz;"]
    row_tail = gi % rows

    def over_positions(r: int, ind: str) -> list[str]:
        """Rows c … c + r − 1: full blocks of positions, single vectors, then scalars."""
        wrow, out_at = (f"wg + c * {taps}", f"dxg + c * ({dx_plane})") if nbc > 1 else ("wg", "dxg")
        args = (f"dyg + oc * ({z_plane}) + q, {z_plane}, {wrow} + oc * {gi * taps}, tap_offset, "
                f"{go} - oc < {chunk} ? {go} - oc : {chunk}, oc == 0, {out_at} + q, {dx_plane}")
        inner = ind + INDENT
        res = [
            f"{ind}long q = 0;",
            f"{ind}for (long oc = 0; oc < {go}; oc += {chunk}) {{",
            f"{inner}for (q = 0; q + {block} <= len; q += {block})",
            f"{inner}{INDENT}{prefix}_gi_tile_{r}x{vectors}({args});",
        ]
        if vectors > 1:
            res += [f"{inner}for (; q + {width} <= len; q += {width})",
                    f"{inner}{INDENT}{prefix}_gi_tile_{r}x1({args});"]
        res += [
            f"{ind}}}",
            f"{ind}for (; q < len; ++q) {{",
            f"{ind}{INDENT}for (long i = 0; i < {r}; ++i) {{",
            f"{ind}{INDENT * 2}{T} sum = 0;",
            f"{ind}{INDENT * 2}for (long u = 0; u < {taps}; ++u) {{",
            f"{ind}{INDENT * 3}{T} a = 0;",
            f"{ind}{INDENT * 3}for (long o = 0; o < {go}; ++o)",
            f"{ind}{INDENT * 4}a += wg[(c + i) * {taps} + o * {gi * taps} + u] * "
            f"dyg[o * ({z_plane}) + q + tap_offset[u]];",
            f"{ind}{INDENT * 3}sum = u == 0 ? a : sum + a;",
            f"{ind}{INDENT * 2}}}",
            f"{ind}{INDENT * 2}dxg[(c + i) * ({dx_plane}) + q] = sum;",
            f"{ind}{INDENT}}}",
            f"{ind}}}",
        ]
        return res

    if row_tail:
        lines += [f"{ind}if (c + {rows} <= {gi}) {{", *over_positions(rows, ind + INDENT),
                  f"{ind}}} else {{", *over_positions(row_tail, ind + INDENT), f"{ind}}}"]
    else:
        lines += [f"{ind}{{", *over_positions(rows, ind + INDENT), f"{ind}}}"]
    if copy_dx:  # the unit's input channels out of dxz
        source = cexpr(sum(a * s for a, s in zip(at, step)))
        target = cexpr(flat_index(list(at), lay.inputs))
        first_ch = f"g * {gi} + c" if spec.groups > 1 else "c"
        hi = f"{first_ch} + ({gi} - c < {rows} ? {gi} - c : {rows})" if row_tail else f"{first_ch} + {rows}"
        lines += channels(lay.inputs, f"dx[(n * {upper}_IN_CHANNELS + ch) * ({in_total}) + {target}] = "
                      f"dxz[ch * ({dx_plane}) + {source}];", 2, first_ch, hi)
    lines = head + one_unit("e", lines)
    return buffered_body(lines, buffers, T, upper, plan.threads, f"batch * {per_sample}", held=copy_dy,
                         dynamic=True)
