"""The C target's forward as a register-blocked implicit GEMM over a zero-padded copy of the input.

For channel-heavy layers (``schedule`` decides): per sample the input is
copied once into a zero-padded scratch buffer (the padding written as zeros,
so no tap needs a bounds test anywhere: the whole output is "interior"), and
the weights are packed once per call into the order the micro-kernel reads
them, ``[group][channel block][c][tap][MR]`` (zeros past the group's last
channel). Then per group, output row (every dimension but the last, ``RH``
rows at a time along the innermost of them) and block of ``MR`` output
channels, the row is cut into blocks of ``NV`` vectors of output positions;
one block holds ``MR·RH·NV`` vector accumulators (started at the bias) in
registers across the whole reduction over the group's input channels and the
unrolled taps, and writes y once. Position ``i`` of a row reads padded input
``s·i + d·u`` (``Layout.windows``: the tap's window starts at ``d·u``, its
step is the stride), so with unit stride along the row a tap's inputs for a
block are ``NV`` consecutive vectors at a constant offset: one load each,
shared by the ``MR`` channels; each weight is broadcast once and shared by
the ``RH·NV`` vectors. Tails: a channel block of the remaining ``C_out/G mod
MR`` channels, rows past the last ``RH`` block one at a time, positions past
the last ``NV``-vector block one vector at a time then one position at a time
(scalar code: nothing reads past a row).

A 1×1 layer with unit stride and no padding (``flat``) reads x itself (no
copy): every output position reads the same input position, so the spatial
dimensions are one row of ``prod(out)`` positions and the kernel is the plain
GEMM ``Y[o, p] = b[o] + Σ_c W[o, c] X[c, p]`` with the same blocking.

The vector macros are the widest intrinsics the compiler targets (``SV_*``;
``HV_*`` half of it, for the positions past the last full vector): AVX-512,
else AVX2+FMA, else plain C99 with one lane (scalar accumulators). The file
compiles with or without ``-march``; the register block comes in two sizes,
for AVX-512's 32 vector registers and for 16 (``schedule.gemm_blocking``),
chosen by the preprocessor.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from symconv.codegen.c_loops import INDENT, Body, flat_index, one_unit
from symconv.codegen.layout import Layout
from symconv.codegen.schedule import Blocking
from symconv.codegen.simd import CACHE_LINE, GUARDS, INCLUDE, intrinsic, lanes, per_line, vector_type
from symconv.printing.code import cexpr


def _macros(name: str, T: str, bits: int | None) -> list[str]:
    """``name``'s vector macros: ``bits``-wide intrinsics of ``T``, or one plain lane (None)."""
    if bits is None:
        return [
            f"#define {name}_LANES 1",
            f"typedef {T} {name.lower()}_vec;",
            f"#define {name}_LOAD(p) (*(p))",
            f"#define {name}_STORE(p, v) (*(p) = (v))",
            f"#define {name}_SPLAT(s) (s)",
            f"#define {name}_FMA(a, b, c) ((a) * (b) + (c))",
        ]
    return [
        f"#define {name}_LANES {lanes(T, bits)}",
        f"typedef {vector_type(T, bits)} {name.lower()}_vec;",
        f"#define {name}_LOAD(p) {intrinsic('loadu', T, bits)}(p)",
        f"#define {name}_STORE(p, v) {intrinsic('storeu', T, bits)}((p), (v))",
        f"#define {name}_SPLAT(s) {intrinsic('set1', T, bits)}(s)",
        f"#define {name}_FMA(a, b, c) {intrinsic('fmadd', T, bits)}((a), (b), (c))",
    ]


def prelude(T: str) -> list[str]:
    """File-scope lines: the headers the GEMM forward needs and the vector macros of ``T``.

    ``SV_*`` is the widest vector the compiler targets, ``HV_*`` the half of it (for the
    positions past the last full vector): AVX-512 (512 and 256 bits), else AVX2+FMA (256 and
    128 bits), else one plain lane each. ``SV_REGISTERS`` (32 with AVX-512, else 16) picks
    the register block (:func:`variants`).
    """
    return [
        "#include <stdint.h>",
        "#include <stdlib.h>",
        "",
        "/* The GEMM forward's vectors: SV the widest the compiler targets, HV half of it. */",
        f"#if {GUARDS[512]}",
        INCLUDE,
        "#define SV_REGISTERS 32 /* the vector registers: the register blocks are sized by them */",
        *_macros("SV", T, 512),
        *_macros("HV", T, 256),
        f"#elif {GUARDS[256]}",
        INCLUDE,
        "#define SV_REGISTERS 16",
        *_macros("SV", T, 256),
        *_macros("HV", T, 128),
        "#else",
        "#define SV_REGISTERS 16",
        *_macros("SV", T, None),
        *_macros("HV", T, None),
        "#endif",
    ]


@dataclass(frozen=True)
class Kind:
    """How one kernel block reads and writes: vectors (``SV``, ``HV`` macros) or plain scalars of ``T``."""

    T: str
    vector: str | None  # the macros' name (SV: full vectors, HV: half vectors), None: scalars

    @property
    def type(self) -> str:
        return f"{self.vector.lower()}_vec" if self.vector else self.T

    @property
    def lanes(self) -> str:
        return f"{self.vector}_LANES" if self.vector else "1"

    def load(self, p: str) -> str:
        return f"{self.vector}_LOAD({p})" if self.vector else f"*({p})"

    def store(self, p: str, v: str) -> str:
        return f"{self.vector}_STORE({p}, {v});" if self.vector else f"*({p}) = {v};"

    def splat(self, s: str) -> str:
        return f"{self.vector}_SPLAT({s})" if self.vector else s

    def bcast(self, p: str) -> str:
        return f"{self.vector}_SPLAT(*({p}))" if self.vector else f"*({p})"

    def fma(self, a: str, b: str, c: str) -> str:
        return f"{self.vector}_FMA({a}, {b}, {c})" if self.vector else f"{a} * {b} + {c}"


def _plus(base: str, offset: str) -> str:
    return base if offset == "0" else f"{base} + {offset}"


@dataclass(frozen=True)
class Buffer:
    """The input the kernels read, one sample: its axes (spatial, with the channel axis at ``chan``).

    The copy holds one group of one sample (copied just before its blocks run,
    so it is still in cache), zero-padded, with the channels between the last
    spatial axis and the others (``[outer padded dims][C_in/G][row]``): one
    input row of every channel is contiguous, so a block's reduction over the
    channels streams through memory. Each row's data starts on a cache line
    (``shift`` columns of zeros ahead of the padded row, the row ``pitch`` a
    whole number of cache lines), so the copy's stores and the loads of the
    taps at the data's own column are aligned; a row's right padding reads
    the zeros ahead of the next row's data (the pitch leaves at least
    ``max(before, after)`` of them). The flat 1×1 layer reads x in place,
    ``[C_in][positions]``.
    """

    sizes: tuple[sp.Expr, ...]
    chan: int  # the channel axis in ``sizes``
    shift: int = 0  # padded column j of a row sits at j + shift
    margin: int = 0  # elements past the last row: its right padding reads up to ``shift + before`` beyond it

    def step(self, spatial: Sequence[sp.Expr], channel: sp.Expr = sp.S.Zero) -> str:
        """The flat distance of a move by ``spatial`` (the axes but the channel) and ``channel``."""
        at = [*spatial[: self.chan], channel, *spatial[self.chan:]]
        return cexpr(flat_index(at, self.sizes))

    def index(self, spatial: Sequence[sp.Expr], channel: sp.Expr = sp.S.Zero) -> str:
        """The flat offset of padded position ``spatial`` in channel ``channel``."""
        return self.step([*spatial[:-1], spatial[-1] + self.shift], channel)

    @property
    def size(self) -> sp.Expr:
        return sp.Mul(*self.sizes) + self.margin


def _round_up(value: sp.Expr | int, to: int) -> sp.Expr:
    return sp.floor((sp.sympify(value) + to - 1) / to) * to


def buffer(lay: Layout, block: Blocking, T: str) -> Buffer:
    """The buffer of ``lay`` read by the kernels: x in place for the flat 1×1 layer, else the padded copy."""
    spec = lay.spec
    if block.flat:
        return Buffer((sp.Integer(spec.in_channels), sp.Mul(*lay.inputs)), 0)
    line = per_line(T)
    before, after = spec.pad_before[-1], spec.pad_after[-1]
    shift = int(_round_up(before, line)) - before
    pitch = _round_up(lay.inputs[-1] + max(before, after), line)
    sizes = (*lay.padded_sizes[:-1], sp.Integer(spec.group_in), pitch)
    return Buffer(sizes, spec.ndim - 1, shift, shift + before)


def variants(wide: Blocking, narrow: Blocking, lines: Callable[[Blocking], list[str]]) -> list[str]:
    """``lines`` of the ``wide`` block (32 vector registers) and of the ``narrow`` one (16), each
    under the preprocessor test of ``SV_REGISTERS``; one copy when both print the same."""
    a, b = lines(wide), lines(narrow)
    if a == b:
        return a
    return ["#if SV_REGISTERS >= 32", *a, "#else", *b, "#endif"]


def gemm_forward_lines(
    lay: Layout, wide: Blocking, narrow: Blocking, parts: int, T: str, upper: str, threads: int
) -> Body:
    """The forward after the checks: scratch buffers and packing (set-up), the register blocks (task).

    The weights are packed once per call, shared by the tasks; each of the
    ``threads`` tasks gets its own zero-padded input copy (zeroed once by
    calloc: the copies write the interior only, so the padding stays zero).
    The packing and the blocks come in two variants, the ``wide`` register
    block for 32 vector registers (AVX-512) and the ``narrow`` one for 16,
    chosen by the preprocessor (:func:`variants`).
    """
    spec = lay.spec
    ind = INDENT
    gi, go, groups = spec.group_in, spec.group_out, spec.groups
    taps = lay.stencil.taps
    ntaps = len(taps)
    if spec.strides[-1] != 1 and not narrow.flat:
        raise ValueError("the GEMM forward reads vectors along the row: it needs unit stride there")
    buf = buffer(lay, narrow, T)
    copy = not narrow.flat
    out_total = " * ".join(map(str, lay.outputs))
    spatial0 = [sp.S.Zero] * (1 if narrow.flat else spec.ndim)

    def pack(block: Blocking) -> list[str]:
        # wp[((g·NB + ob)·gi + c)·TAPS + t)·MR + r] = w[g·go + ob·MR + r][c][t], zero past the group
        mr = block.mr
        nblocks = -(-go // mr)
        return [
            f"{ind}{T} *wp = malloc(sizeof({T}) * {groups * nblocks * gi * ntaps * mr});"
            f" /* w packed [g][channel block][c][tap][{mr}] */",
            f"{ind}if (wp != NULL)",
            f"{ind * 2}for (long g = 0; g < {groups}; ++g)",
            f"{ind * 3}for (long ob = 0; ob < {nblocks}; ++ob)",
            f"{ind * 4}for (long c = 0; c < {gi}; ++c)",
            f"{ind * 5}for (long t = 0; t < {ntaps}; ++t)",
            f"{ind * 6}for (long r = 0; r < {mr}; ++r) {{",
            f"{ind * 7}const long o = ob * {mr} + r;",
            f"{ind * 7}wp[(((g * {nblocks} + ob) * {gi} + c) * {ntaps} + t) * {mr} + r] =",
            f"{ind * 8}o < {go} ? w[((g * {go} + o) * {gi} + c) * {ntaps} + t] : 0;",
            f"{ind * 6}}}",
        ]

    setup = variants(wide, narrow, pack)
    if copy:
        setup += [
            f"{ind}const size_t xp_size = (size_t)({cexpr(buf.size)});"
            " /* one group of one sample, zero-padded, [rows][c][row] */",
            f"{ind}{T} *xbase = calloc({threads} * xp_size + {per_line(T)}, sizeof({T}));"
            " /* one copy per task */",
            f"{ind}{T} *xp = xbase == NULL ? NULL : xbase + ({CACHE_LINE} - (size_t)((uintptr_t)xbase % "
            f"{CACHE_LINE})) % {CACHE_LINE} / sizeof({T}); /* on a cache line */",
            f"{ind}if (wp == NULL || xp == NULL) {{",
            f"{ind * 2}free(wp);",
            f"{ind * 2}free(xbase);",
            f"{ind * 2}return {upper}_ENOMEM;",
            f"{ind}}}",
        ]
    else:
        setup += [f"{ind}if (wp == NULL)", f"{ind * 2}return {upper}_ENOMEM;"]
    lines = [
        f"{ind}(void)w; /* read as the packed wp */",
        f"{ind}const long step_c = {buf.step(spatial0, sp.S.One)}; /* the next input channel */",
        f"{ind}const long plane_y = {out_total};",
    ]
    # Each tap's offset in the buffer: its window's start (d·u in padded coordinates), flattened.
    if narrow.flat:
        offsets = ["0"]
    else:
        offsets = [buf.index([sp.Integer(w.start) for w in lay.windows(tap)]) for tap in taps]
    lines += [f"{ind}const long off{t} = {off};" for t, off in enumerate(offsets)]

    # the units (handed to the threads as they finish): (sample, group, part of the first output
    # dimension); a thread's copy holds one sample's group, copied when its next unit needs another
    units = groups * parts
    head = lines
    lines = [f"{ind * 2}const long n = e / {units};" if units > 1 else f"{ind * 2}const long n = e;"]
    lines.append(f"{ind * 2}const long g = {'(e / ' + str(parts) + ')' if parts > 1 else 'e'} % {groups};"
                 if groups > 1 else f"{ind * 2}const long g = 0;")
    if parts > 1:
        rows = cexpr(lay.outputs[0])
        whole = math.lcm(wide.rh, narrow.rh)  # a part's rows: whole register blocks on every path
        lines += [f"{ind * 2}const long span = ({rows} + {parts * whole - 1}) / {parts * whole} * "
                  f"{whole}; /* rows per part, a multiple of {whole} */",
                  f"{ind * 2}const long lo = (e % {parts}) * span;",
                  f"{ind * 2}const long hi = lo + span < {rows} ? lo + span : {rows};"]
    if copy:
        key = f"n * {groups} + g" if groups > 1 else "n"
        lines += [f"{ind * 2}if ({key} != *held) {{", *_copy_lines(lay, buf, upper, T, 3),
                  f"{ind * 3}*held = {key};", f"{ind * 2}}}"]
        lines.append(f"{ind * 2}const {T} *xg = xp;")
    else:
        lines.append(f"{ind * 2}const {T} *xg = x + (n * {upper}_IN_CHANNELS + g * {gi}) * step_c;")
    lines.append(f"{ind * 2}{T} *yg = y + (n * {upper}_OUT_CHANNELS + g * {go}) * plane_y;")

    def blocks(block: Blocking) -> list[str]:
        per_group = -(-go // block.mr) * gi * ntaps * block.mr
        return [f"{ind * 2}const {T} *wg = wp + g * {per_group};",
                *_rows(lay, block, T, buf, offsets, 2, parts > 1)]

    lines += variants(wide, narrow, blocks)
    lines = head + one_unit("e", lines)
    cleanup = [f"{ind}free(wp);"] + ([f"{ind}free(xbase);"] if copy else [])
    params = f", const {T} *restrict wp" + (f", {T} *restrict xp" if copy else "")
    args = ", wp" + (", xp + {t} * xp_size" if copy else "")
    return Body(lines, setup, cleanup, params, args, f"batch * {units}", dynamic=True, held=copy)


def _copy_lines(lay: Layout, buf: Buffer, upper: str, T: str, depth: int) -> list[str]:
    """Copy group g of sample n, row by row, into the zero-padded buffer (zeroed once by calloc)."""
    spec = lay.spec
    ind = INDENT * depth
    idx = [sp.Symbol(f"i{x}", integer=True) for x in lay.letters]
    c = sp.Symbol("c", integer=True)
    lines = [f"{ind}for (long c = 0; c < {spec.group_in}; ++c) {{"]
    opens, closes = [], []
    d = depth + 1
    for k in range(spec.ndim - 1):
        opens.append(f"{INDENT * d}for (long {idx[k]} = 0; {idx[k]} < {lay.inputs[k]}; ++{idx[k]}) {{")
        closes.append(f"{INDENT * d}}}")
        d += 1
    src = [*idx[:-1], sp.Integer(0)]
    dst = [i + b for i, b in zip(src, spec.pad_before)]
    in_total = " * ".join(map(str, lay.inputs))
    lines += opens
    # a row in whole vectors (the destination on a cache line), then element by element; measured on d
    # (32-float rows) 1.09x faster than memcpy, which gcc expands into 16-byte moves
    inner = INDENT * (d + 1)
    lines += [
        f"{INDENT * d}{{",
        f"{inner}const {T} *restrict from = x + (n * {upper}_IN_CHANNELS + g * {spec.group_in} + c) * "
        f"({in_total}) + {cexpr(flat_index(src, lay.inputs))};",
        f"{inner}{T} *restrict to = xp + {buf.index(dst, c)};",
        f"{inner}long k = 0;",
        f"{inner}for (; k + SV_LANES <= {lay.inputs[-1]}; k += SV_LANES)",
        f"{inner}{INDENT}SV_STORE(to + k, SV_LOAD(from + k));",
        f"{inner}for (; k < {lay.inputs[-1]}; ++k)",
        f"{inner}{INDENT}to[k] = from[k];",
        f"{INDENT * d}}}",
    ]
    lines += list(reversed(closes))
    lines.append(f"{ind}}}")
    return lines


def _rows(
    lay: Layout, block: Blocking, T: str, buf: Buffer, offsets: list[str], depth: int, part: bool
) -> list[str]:
    """The loops over the output rows (RH at a time along the innermost outer dimension), then the row.

    ``part``: the first output dimension runs over ``lo … hi − 1`` only (the unit's part).
    """
    spec = lay.spec
    pos = [sp.Symbol(f"o{x}", integer=True) for x in lay.letters]
    if block.flat:
        return _row(lay, block, T, "xg", "yg", "plane_y", 1, offsets, depth, buf)
    lines: list[str] = []
    closes: list[str] = []
    d = depth
    outer = spec.ndim - 1
    for k in range(outer - 1):
        lo, hi = ("lo", "hi") if part and k == 0 else ("0", lay.outputs[k])
        lines.append(f"{INDENT * d}for (long {pos[k]} = {lo}; {pos[k]} < {hi}; ++{pos[k]}) {{")
        closes.append(f"{INDENT * d}}}")
        d += 1
    at_x = [s * p for s, p in zip(spec.strides, pos[:-1])] + [sp.Integer(0)]
    at_y = [*pos[:-1], sp.Integer(0)]
    xrow = buf.step(at_x)
    yrow = cexpr(flat_index(at_y, lay.outputs))
    width = str(lay.outputs[-1])

    def body(rh: int, dd: int) -> list[str]:
        return [
            f"{INDENT * dd}const {T} *xr = {_plus('xg', xrow)};",
            f"{INDENT * dd}{T} *yr = {_plus('yg', yrow)};",
            *_row(lay, block, T, "xr", "yr", width, rh, offsets, dd, buf),
        ]

    if outer == 0:
        lines += body(1, d)
    else:
        h = pos[outer - 1]
        start, rows = ("lo", "hi") if part and outer == 1 else ("0", str(lay.outputs[outer - 1]))
        if block.rh > 1:
            # the whole blocks up to an end computed once: written ``h + RH <= rows``, gcc (a fixed size,
            # no loop around) warned of an overflowing iteration in the dead tail (-Waggressive-loop-...)
            lines.append(f"{INDENT * d}long {h} = {start};")
            lines.append(f"{INDENT * d}const long whole = {rows} - ({rows} - {h}) % {block.rh};")
            lines.append(f"{INDENT * d}for (; {h} < whole; {h} += {block.rh}) {{")
            lines += body(block.rh, d + 1)
            lines.append(f"{INDENT * d}}}")
            lines.append(f"{INDENT * d}for (; {h} < {rows}; ++{h}) {{")
        else:
            lines.append(f"{INDENT * d}for (long {h} = {start}; {h} < {rows}; ++{h}) {{")
        lines += body(1, d + 1)
        lines.append(f"{INDENT * d}}}")
    lines += list(reversed(closes))
    return lines


def _row(
    lay: Layout, block: Blocking, T: str, xr: str, yr: str, width: str, rh: int, offsets: list[str],
    depth: int, buf: Buffer,
) -> list[str]:
    """One row block (``rh`` rows): per channel block, the positions in NV-vector, vector, scalar blocks."""
    spec = lay.spec
    go = spec.group_out
    mr = block.mr
    ind = INDENT * depth
    # Row j of the block reads s_h·j padded rows further, writes j output rows further.
    if block.flat or spec.ndim == 1:
        xstep, ystep = "0", "0"
    else:
        k = spec.ndim - 2
        unit_x = [sp.Integer(0)] * spec.ndim
        unit_x[k] = sp.Integer(spec.strides[k])
        unit_y = [sp.Integer(0)] * spec.ndim
        unit_y[k] = sp.Integer(1)
        xstep = buf.step(unit_x)
        ystep = cexpr(flat_index(unit_y, lay.outputs))
    full, tail = go // mr, go % mr
    lines = []
    widths = ([(mr, "0", str(full))] if full else []) + ([(tail, str(full), str(full + 1))] if tail else [])
    vec, half, scalar = Kind(T, "SV"), Kind(T, "HV"), Kind(T, None)
    for m, start, stop in widths:
        lines += [
            f"{ind}for (long ob = {start}; ob < {stop}; ++ob) {{",
            f"{ind}{INDENT}const {T} *wb = wg + ob * {spec.group_in * len(offsets) * mr};",
            f"{ind}{INDENT}{T} *yb = {yr} + ob * {mr} * plane_y;",
            f"{ind}{INDENT}long ow = 0;",
        ]
        for r in range(m):
            lines.append(
                f"{ind}{INDENT}const {T} bias{r} = b != NULL ? b[g * {go} + ob * {mr} + {r}] : 0;"
            )
        loops = [(block.nv, vec, f"{block.nv} * SV_LANES"), (1, vec, "SV_LANES"), (1, half, "HV_LANES"),
                 (1, scalar, "1")]
        if block.nv == 1:
            loops = loops[1:]
        for nv, kind, step in loops:
            lines.append(f"{ind}{INDENT}for (; ow + {step} <= {width}; ow += {step}) {{")
            lines += _kernel(lay, block, kind, m, rh, nv, xr, xstep, ystep, offsets, depth + 2)
            lines.append(f"{ind}{INDENT}}}")
        lines.append(f"{ind}}}")
    return lines


def _kernel(
    lay: Layout, block: Blocking, kind: Kind, m: int, rh: int, nv: int, xr: str, xstep: str,
    ystep: str, offsets: list[str], depth: int,
) -> list[str]:
    """One register block: ``m × rh × nv`` accumulators over every (c, tap), then y written once."""
    spec = lay.spec
    ind = INDENT * depth
    mr = block.mr
    s = spec.strides[-1] if not block.flat else 1
    at = "ow" if s == 1 else f"{s} * ow"
    acc = [[[f"a{r}_{j}_{v}" for v in range(nv)] for j in range(rh)] for r in range(m)]
    lines = [f"{ind}const {kind.T} *xq = {xr} + {at};", f"{ind}const {kind.T} *wq = wb;"]
    for r in range(m):
        names = ", ".join(f"{a} = {kind.splat(f'bias{r}')}" for row in acc[r] for a in row)
        lines.append(f"{ind}{kind.type} {names};")
    lines.append(f"{ind}for (long c = 0; c < {spec.group_in}; ++c) {{")
    inner = ind + INDENT
    for t in range(len(offsets)):
        lines.append(f"{inner}{{")
        loads = []
        for j in range(rh):
            row_at = _plus(f"off{t}", f"{j} * ({xstep})" if j else "0")
            for v in range(nv):
                lane = f" + {v} * {kind.lanes}" if v else ""
                loads.append(f"x{j}_{v} = {kind.load(f'xq + {row_at}{lane}')}")
        lines.append(f"{inner}{INDENT}const {kind.type} {', '.join(loads)};")
        for r in range(m):
            fmas = " ".join(
                f"{acc[r][j][v]} = {kind.fma('w', f'x{j}_{v}', acc[r][j][v])};"
                for j in range(rh) for v in range(nv)
            )
            lines.append(
                f"{inner}{INDENT}{{ const {kind.type} w = {kind.bcast(f'wq + {t * mr + r}')}; {fmas} }}"
            )
        lines.append(f"{inner}}}")
    lines += [f"{inner}xq += step_c;", f"{inner}wq += {len(offsets) * mr};", f"{ind}}}"]
    for r in range(m):
        for j in range(rh):
            for v in range(nv):
                lane = f" + {v} * {kind.lanes}" if v else ""
                row = f" + {j} * ({ystep})" if j else ""
                lines.append(f"{ind}{kind.store(f'yb + {r} * plane_y{row} + ow{lane}', acc[r][j][v])}")
    return lines
