"""The C target: C99, a header and a source, libc only, no global state; and their ctypes binding.

Loops run over batch, output channel, output positions (one loop per spatial
dimension, so they can later be blocked or vectorised) and input channels of
the group; the kernel taps are unrolled, each with a bounds test only on the
sides where the stencil says it can reach the padding.

The third file, ``NAME_c.py``, is a generated ctypes binding with the NumPy
module's interface and the very same checks (``templates/python/checks.py.j2``)
plus C-contiguity: a user compiles ``NAME.c`` into a shared library and calls
``NAME_c.load(path)``. ``load`` here does the same: it compiles the source once
per text, compiler and flags into a cache directory keyed by its hash
(``$SYMCONV_CACHE``, else ``$XDG_CACHE_HOME/symconv``, else ``~/.cache/symconv``)
and imports the binding from its text, bound to that library. It compiles with
``-O3 -march=native -ffp-contract=fast`` (vectorised for this CPU, FMA on);
``SYMCONV_NATIVE=0`` compiles portable ``-O3`` code instead.
"""

from __future__ import annotations

import hashlib
import math
import os
import shlex
import shutil
import subprocess
import tempfile
import textwrap
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import sympy as sp

from symconv import sizes
from symconv.codegen.backend import Backend, Files
from symconv.codegen.config import CodegenConfig
from symconv.codegen.layout import Layout
from symconv.codegen.numpy_backend import import_text
from symconv.codegen.python_context import python_context
from symconv.codegen.schedule import Schedule, schedule
from symconv.errors import CodegenError
from symconv.printing.code import cexpr

PORTABLE_CFLAGS = ("-O3", "-std=c99", "-fPIC", "-shared")
NATIVE_CFLAGS = ("-march=native", "-ffp-contract=fast")  # this CPU's vector units, FMA contraction on


def cflags() -> tuple[str, ...]:
    """The loader's compile flags: ``-O3`` tuned for this CPU, or portable with ``SYMCONV_NATIVE=0``.

    ``-std=c99`` alone turns FMA contraction off (ISO mode); ``-ffp-contract=fast``
    turns it back on. The flags are part of the cache key.
    """
    if os.environ.get("SYMCONV_NATIVE", "1").strip() == "0":
        return PORTABLE_CFLAGS
    return (*PORTABLE_CFLAGS, *NATIVE_CFLAGS)
TEMPLATES = (("h", "c/header.h.j2"), ("c", "c/source.c.j2"))
BINDING = "c/binding.py.j2"

INDENT = "    "


def _flat_index(positions: list[sp.Expr], sizes: tuple[sp.Symbol, ...]) -> sp.Expr:
    """Row-major offset of ``positions`` in an array of spatial ``sizes``."""
    index: sp.Expr = sp.S.Zero
    for p, n in zip(positions, sizes):
        index = index * n + p
    return index


OUT_BLOCK = 4  # forward: output channels per block, sharing each input load
BIAS_BLOCK = 256  # grad_bias: positions summed into one block sum (in lanes) before the pairwise tree
BIAS_LANES = 8  # independent partial sums per block: a vector's worth, combined pairwise


def _pairwise(terms: list[str]) -> str:
    """``terms`` summed as a balanced tree: ``(a + b) + (c + d)``, a fixed order."""
    if len(terms) == 1:
        return terms[0]
    half = len(terms) // 2
    return f"({_pairwise(terms[:half])} + {_pairwise(terms[half:])})"


def gather_context(lay: Layout, depth: int) -> list[dict[str, Any]]:
    """grad_input as a gather: one block of loops per residue of the input position modulo the stride.

    Input index ``j = s·q + r`` (per dimension, ``0 ≤ r < s``) is read by tap
    ``u`` from output position ``sizes.output_position(q, r, u, …)`` exactly when
    that is an integer (decided here, per residue and tap: no divisibility test
    in C) and lies in ``0 … out − 1`` (tested in C where it may not). Each tap
    reads exactly one residue per dimension, so the blocks hold the taps once.
    """
    spec = lay.spec
    qs = [sp.Symbol(f"q{x}", integer=True, nonnegative=True) for x in lay.letters]
    js = [sp.Symbol(f"j{x}", integer=True, nonnegative=True) for x in lay.letters]
    blocks = []
    for residue in np.ndindex(*spec.strides):
        r = [sp.Integer(int(v)) for v in residue]  # SymPy: the position below is exact, not a float
        loops = []
        for k, (q, j, n, rk, st) in enumerate(zip(qs, js, lay.inputs, r, spec.strides)):
            indent = INDENT * (depth + k)
            count = sizes.residue_count(n, rk, st)
            loops.append({
                "open": f"{indent}for (long {q} = 0; {q} < {cexpr(count)}; ++{q}) {{",
                "base": f"{indent}{INDENT}const long {j} = {cexpr(st * q + rk)};",
                "close": f"{indent}}}",
            })
        taps = []
        for tap in lay.stencil.taps:
            at = [
                sp.sympify(sizes.output_position(q, rk, u, st, d, b))
                for q, rk, u, st, d, b in zip(qs, r, tap.index, spec.strides, spec.dilations, spec.pad_before)
            ]
            if not all((a - q).is_integer for a, q in zip(at, qs)):
                continue  # this tap reads another residue
            tests = []
            for a, q, out in zip(at, qs, lay.outputs):
                if (a - q) < 0:
                    tests.append(cexpr(sp.Ge(a, 0, evaluate=False)))
                tests.append(cexpr(sp.Lt(a, out, evaluate=False)))
            taps.append({
                "guard": f"if ({' && '.join(tests)}) ",
                "dy": cexpr(_flat_index(at, lay.outputs)),
                "w": str(tap.flat),
                "shift": tuple(int(a - q) for a, q in zip(at, qs)),  # reads output position q + shift
            })
        blocks.append({
            "loops": loops,
            "body": INDENT * (depth + spec.ndim),
            "taps": taps,
            "dx": cexpr(_flat_index(list(js), lay.inputs)),
            "q": [str(q) for q in qs],
            "j": [str(j) for j in js],
            "steps": [cexpr(st * q + rk) for q, rk, st in zip(qs, r, spec.strides)],
            "counts": [
                cexpr(sizes.residue_count(n, rk, st)) for n, rk, st in zip(lay.inputs, r, spec.strides)
            ],
            "lo": [],
            "hi": [],
        })
    return blocks


def gather_lines(
    lay: Layout, T: str, upper: str, first_out: str, end_out: str, weight_channel: str
) -> list[str]:
    """grad_input's body after the prologue: the gather, each residue's rows split at the interior.

    Per residue block (:func:`gather_context`) and dimension, tap ``u`` reads
    output position ``q + shift(u)``; every tap of the block reads inside
    ``0 … out − 1`` exactly when ``q ≥ max(−shift)`` and ``q < out − max(shift)``:
    there the taps run without tests; elsewhere with the guards.
    """
    spec = lay.spec
    blocks = gather_context(lay, 3)
    in_total = " * ".join(map(str, lay.inputs))
    out_total = " * ".join(map(str, lay.outputs))
    lines: list[str] = []
    for number, block in enumerate(blocks):
        if not block["taps"]:
            continue
        for k, (x, out) in enumerate(zip(lay.letters, lay.outputs)):
            shifts = [tap["shift"][k] for tap in block["taps"]]
            first, last = max(0, max(-v for v in shifts)), max(0, max(shifts))
            qn, lo, hi = block["counts"][k], f"lo{number}_{x}", f"hi{number}_{x}"
            stop = cexpr(out - last)
            if first:
                lines.append(f"{INDENT}const long {lo} = {_ternary(f'{qn} < {first}', qn, str(first))};")
            low = lo if first else "0"
            value = _ternary(f"{stop} < {low}", low, _ternary(f"{stop} < {qn}", stop, qn))
            lines.append(f"{INDENT}const long {hi} = {value};")
            block["lo"].append(low)
            block["hi"].append(hi)
    lines += [
        f"{INDENT}for (long n = 0; n < batch; ++n) {{",
        f"{INDENT * 2}for (long c = 0; c < {upper}_IN_CHANNELS; ++c) {{",
        f"{INDENT * 3}{T} *restrict dxc = dx + (n * {upper}_IN_CHANNELS + c) * ({in_total});",
    ]
    for block in blocks:
        taps = block["taps"]

        def position(
            depth: int, guarded: bool, taps: list[dict[str, Any]] = taps, dx: str = block["dx"]
        ) -> list[str]:
            ind = INDENT * depth
            if not taps:
                return [f"{ind}dxc[{dx}] = 0;"]
            # one accumulator per tap: independent chains over the output channels, summed pairwise
            out = [f"{ind}{T} a{tap['w']} = 0;" for tap in taps] + [
                f"{ind}for (long o = {first_out}; o < {end_out}; ++o) {{",
                f"{ind}{INDENT}const {T} *dyo = dy + (n * {upper}_OUT_CHANNELS + o) * ({out_total});",
                f"{ind}{INDENT}const {T} *wc = w + (o * {spec.group_in} + {weight_channel}) * {upper}_TAPS;",
            ]
            for tap in taps:
                guard = tap["guard"] if guarded else ""
                out.append(f"{ind}{INDENT}{guard}a{tap['w']} += wc[{tap['w']}] * dyo[{tap['dy']}];")
            out += [f"{ind}}}", f"{ind}dxc[{dx}] = {_pairwise(['a' + tap['w'] for tap in taps])};"]
            return out

        def loop(k: int, start: str, stop: str, depth: int, block: dict[str, Any] = block) -> list[str]:
            ind = INDENT * depth
            qs, js, steps = block["q"], block["j"], block["steps"]
            return [f"{ind}for (long {qs[k]} = {start}; {qs[k]} < {stop}; ++{qs[k]}) {{",
                    f"{ind}{INDENT}const long {js[k]} = {steps[k]};"]

        depth = 3
        closes = []
        for k in range(spec.ndim - 1):
            lines += loop(k, "0", block["counts"][k], depth)
            closes.append(f"{INDENT * depth}}}")
            depth += 1
        last = spec.ndim - 1
        qn = block["counts"][last]
        if not taps:
            lines += loop(last, "0", qn, depth) + position(depth + 1, True) + [f"{INDENT * depth}}}"]
        else:
            lo, hi = block["lo"][last], block["hi"][last]
            inner = depth + (1 if spec.ndim > 1 else 0)
            split = []
            ranges = ([("0", lo, True)] if lo != "0" else []) + [(lo, hi, False), (hi, qn, True)]
            for start, stop, guarded in ranges:
                split += loop(last, start, stop, inner) + position(inner + 1, guarded)
                split.append(f"{INDENT * inner}}}")
            if spec.ndim > 1:
                tests = []
                for k in range(spec.ndim - 1):
                    q = block["q"][k]
                    tests += [f"{q} >= {block['lo'][k]}"] if block["lo"][k] != "0" else []
                    tests.append(f"{q} < {block['hi'][k]}")
                test = " && ".join(tests)
                ind = INDENT * depth
                lines += [f"{ind}if ({test}) {{", *split, f"{ind}}} else {{",
                          *loop(last, "0", qn, inner), *position(inner + 1, True),
                          f"{INDENT * inner}}}", f"{ind}}}"]
            else:
                lines += split
        lines += list(reversed(closes))
    lines += [f"{INDENT * 2}}}", f"{INDENT}}}"]
    return lines


def _ternary(test: str, yes: str, no: str) -> str:
    return f"{test} ? {yes} : {no}"


@dataclass(frozen=True)
class Interior:
    """One dimension's interior ``lo ≤ i < hi`` (C names or constants), and whether it has borders."""

    lo: str
    hi: str
    low: bool  # some tap can read the padding before: positions 0 … lo − 1 are border
    high: bool  # some tap can read the padding behind: positions hi … out − 1 are border


def _outer_rows(
    lay: Layout, pos: list[sp.Symbol], base: list[sp.Symbol], depth: int
) -> tuple[list[str], list[str], int]:
    """The loops over every output dimension but the last (the rows), opened at ``depth``.

    Returns the opening lines (each loop also sets ``base = position · stride``),
    the closing lines in the order they open, and the depth inside them.
    """
    spec = lay.spec
    opens, closes = [], []
    for k in range(spec.ndim - 1):
        ind = INDENT * depth
        opens += [
            f"{ind}for (long {pos[k]} = 0; {pos[k]} < {lay.outputs[k]}; ++{pos[k]}) {{",
            f"{ind}{INDENT}const long {base[k]} = {cexpr(pos[k] * spec.strides[k])};",
        ]
        closes.append(f"{ind}}}")
        depth += 1
    return opens, closes, depth


def _interior_bounds(lay: Layout) -> tuple[list[str], list[Interior]]:
    """Per dimension the output positions where every tap reads inside the input, and their declarations.

    Position ``i`` reads ``spec.input_index(i, u)`` = ``s·i + offset(u)``: every
    tap is inside exactly when ``s·i + min offset ≥ 0`` and ``s·i + max offset ≤ n − 1``,
    so the interior is ``lo ≤ i < hi`` with ``lo = ceil(−min offset / s)``
    (clamped to the output size) and ``hi = floor((n − 1 − max offset)/s) + 1``
    (at most the output size by the size algebra; clamped to at least ``lo`` so
    the ranges of a row never overlap). A side where the stencil says no tap
    reaches the padding has no border: ``lo = 0`` or ``hi = out``.
    """
    spec = lay.spec
    taps = lay.stencil.taps
    lines = []
    bounds = []
    for k, (x, n, out, st) in enumerate(zip(lay.letters, lay.inputs, lay.outputs, spec.strides)):
        low = any(tap.low[k] for tap in taps)
        high = any(tap.high[k] for tap in taps)
        lo, hi = (f"lo_{x}" if low else "0"), (f"hi_{x}" if high else str(out))
        if low:
            first = int(sp.ceiling(sp.Rational(-min(tap.offset[k] for tap in taps), st)))
            lines.append(f"{INDENT}const long {lo} = {_ternary(f'{out} < {first}', str(out), str(first))};")
        if high:
            numerator = n - 1 - max(tap.offset[k] for tap in taps)  # the last interior i: s·i ≤ this
            last = cexpr(sizes.floor_div(numerator, st) + 1)
            value = _ternary(f"{cexpr(numerator)} < 0", lo, _ternary(f"{last} < {lo}", lo, last))
            lines.append(f"{INDENT}const long {hi} = {value};")
        bounds.append(Interior(lo, hi, low, high))
    return lines, bounds


def _split_row(
    lay: Layout, bounds: list[Interior], depth: int, row: Callable[[str, str, bool, int], list[str]]
) -> list[str]:
    """The last dimension's loops at ``depth``: border, interior, border; off the interior rows, guarded."""
    pos = [f"o{x}" for x in lay.letters]
    edge = bounds[-1]
    width = str(lay.outputs[-1])
    tests = []
    for p, b in zip(pos[:-1], bounds[:-1]):
        tests += ([f"{p} >= {b.lo}"] if b.low else []) + ([f"{p} < {b.hi}"] if b.high else [])
    inner = depth + 1 if tests else depth
    split = (row("0", edge.lo, True, inner) if edge.low else []) + row(edge.lo, edge.hi, False, inner)
    split += row(edge.hi, width, True, inner) if edge.high else []
    if not tests:
        return split
    ind = INDENT * depth
    return [f"{ind}if ({' && '.join(tests)}) {{", *split, f"{ind}}} else {{", *row("0", width, True, inner),
            f"{ind}}}"]


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
    lines, bounds = _interior_bounds(lay)
    gi = spec.group_in
    in_total = " * ".join(map(str, lay.inputs))
    out_total = " * ".join(map(str, lay.outputs))
    d2, d3, d4 = INDENT * 2, INDENT * 3, INDENT * 4
    lines += [
        f"{INDENT}for (long o = 0; o < {upper}_OUT_CHANNELS; ++o) {{",
        f"{d2}for (long c = 0; c < {gi}; ++c) {{",
    ]
    lines += [f"{d3}{T} a{tap['w']} = 0;" for tap in taps]
    lines += [
        f"{d3}for (long n = 0; n < batch; ++n) {{",
        f"{d4}const {T} *restrict dyo = dy + (n * {upper}_OUT_CHANNELS + o) * ({out_total});",
        f"{d4}const {T} *restrict xc = x + (n * {upper}_IN_CHANNELS + {channel}) * ({in_total});",
    ]
    opens, closes, depth = _outer_rows(lay, pos, base, 4)
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

    lines += _split_row(lay, bounds, depth, row)
    lines += list(reversed(closes))
    lines.append(f"{d3}}}")
    lines += [f"{d3}dw[(o * {gi} + c) * {upper}_TAPS + {tap['w']}] = a{tap['w']};" for tap in taps]
    lines += [f"{d2}}}", f"{INDENT}}}"]
    return lines


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
    lines, bounds = _interior_bounds(lay)
    go, gi = spec.group_out, spec.group_in
    g = sp.Symbol("g", integer=True, nonnegative=True)
    lines += [
        f"{INDENT}for (long n = 0; n < batch; ++n) {{",
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
        opens, closes, depth = _outer_rows(lay, pos, base, 5)
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

        lines += _split_row(lay, bounds, depth, row)
        lines += list(reversed(closes))
        lines += [f"{d4}}}", f"{d3}}}"]
    lines += [f"{INDENT * 2}}}", f"{INDENT}}}"]
    return lines


def c_context(lay: Layout, config: CodegenConfig) -> dict[str, Any]:
    """The template context of ``c/header.h.j2`` and ``c/source.c.j2``: printed lines only."""
    spec = lay.spec
    plan = schedule(spec)
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

    # The input channel weight (o, c) reads: the spec's group map over the loop variables; without
    # groups every output channel reads channels 0 … C_in − 1 (spec.first_input_channel(o) is 0).
    o, c = sp.Symbol("o", integer=True, nonnegative=True), sp.Symbol("c", integer=True, nonnegative=True)
    channel = sizes.input_channel(o, c, spec.group_in, spec.group_out) if spec.is_grouped else c

    # grad_input: input channel c is read by the output channels of its group, through weight channel
    # c − first_input_channel (c itself without groups).
    first_out = sizes.first_output_channel(c, spec.group_in, spec.group_out) if spec.is_grouped else 0
    weight_channel = c - sizes.group_of_input(c, spec.group_in) * spec.group_in if spec.is_grouped else c

    out_index = cexpr(_flat_index(list(pos), lay.outputs))
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
        "input_channel": cexpr(channel),
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
        "out_index": out_index,
        "loops": loops,
        "body": body,
        "taps": taps,
        "forward_body": forward_lines(lay, plan, taps, config.c_type, upper, out_index),
        "grad_weight_body": grad_weight_lines(lay, taps, config.c_type, upper, out_index, cexpr(channel)),
        "grad_input_body": gather_lines(
            lay, config.c_type, upper, cexpr(first_out), cexpr(first_out + spec.group_out),
            cexpr(weight_channel),
        ),
        "acc_T": "double",
        "bias_block": plan.bias_block,
        "bias_lanes": plan.bias_lanes,
        "bias_lane_sum": _pairwise([f"lane[{k}]" for k in range(plan.bias_lanes)]),
        "schedule": [
            wrapped
            for line in plan.lines()
            for wrapped in textwrap.wrap(line, 96, initial_indent="  ", subsequent_indent="      ")
        ],
    }


def binding_name(name: str) -> str:
    """The module name of the ctypes binding of the C functions ``name_…``."""
    return f"{name}_c"


def library_name(name: str) -> str:
    return f"lib{name}.so"


def cache_dir() -> Path:
    if os.environ.get("SYMCONV_CACHE"):
        return Path(os.environ["SYMCONV_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "symconv"


def compiler() -> str:
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        raise CodegenError(
            f"no C compiler: {cc!r} is not on PATH; install one (e.g. apt-get install gcc) or set CC"
        )
    return cc


def compile_shared(code: Files) -> Path:
    """The shared library of ``code``'s C source, compiled once and cached by hash."""
    cc = compiler()
    flags = cflags()
    name = code.config.name
    sources = {f: text for f, text in code.files.items() if f.endswith((".c", ".h"))}
    digest = hashlib.sha256()
    for filename in sorted(sources):
        digest.update(filename.encode() + b"\0" + sources[filename].encode() + b"\0")
    digest.update(" ".join((cc, *flags)).encode())
    target = cache_dir() / digest.hexdigest()[:24] / library_name(name)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        for filename, text in sources.items():
            (Path(tmp) / filename).write_text(text, encoding="utf-8")
        built = Path(tmp) / target.name
        result = subprocess.run(
            [cc, *flags, "-o", str(built), f"{name}.c", "-lm"],
            cwd=tmp, capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[:5]
            raise CodegenError(f"the C compiler ({cc}) failed on {name}.c: " + " | ".join(detail))
        os.replace(built, target)  # atomic: a concurrent loader sees the whole library or none
    return target


class CBackend(Backend):
    """``NAME.h``, ``NAME.c`` and the ctypes binding ``NAME_c.py``; ``load`` compiles and binds."""

    target: ClassVar[str] = "c"

    def templates(self, config: CodegenConfig) -> dict[str, str]:
        files = {f"{config.name}.{ext}": template for ext, template in TEMPLATES}
        return {**files, f"{binding_name(config.name)}.py": BINDING}

    def context(self, lay: Layout, config: CodegenConfig) -> dict[str, Any]:
        """The C context, plus the binding's: the shared Python pieces and the C call's arguments."""
        spec = lay.spec
        return {
            **c_context(lay, config),
            "py": python_context(lay, config),
            "module": binding_name(config.name),
            "library": library_name(config.name),
            "long_arguments": 1 + (0 if spec.has_input_size else spec.ndim),  # batch, then in_h…
        }

    def load(self, code: Files) -> types.ModuleType:
        """Compile the C (cached), import the generated binding from its text and bind it to the library."""
        library = compile_shared(code)
        module = binding_name(code.config.name)
        filename = f"{module}.py"
        if filename not in code.files:
            files = ", ".join(sorted(code.files))
            raise CodegenError(f"{filename} is missing: the C target's files here are {files}")
        binding = import_text(module, filename, code.files[filename])
        binding.load(library)
        return binding

    def usage(self, out: Path, codes: Sequence[Files]) -> list[str]:
        """The compile line for C, and for Python: the shared library and the binding's load."""
        names = list(dict.fromkeys(code.config.name for code in codes))
        sources = " ".join(shlex.quote(str(out / f"{name}.c")) for name in names)
        headers = ", ".join(f'"{name}.h"' for name in names)
        shared = " && ".join(
            f"cc -std=c99 -O2 -shared -fPIC -o {shlex.quote(str(out / library_name(name)))} "
            f"{shlex.quote(str(out / f'{name}.c'))}"
            for name in names
        )
        modules = ", ".join(binding_name(name) for name in names)
        loads = "; ".join(
            f"{binding_name(name)}.load({str(out / library_name(name))!r})" for name in names
        )
        return [
            f"C:      cc -std=c99 -O2 -c {sources}   (#include {headers})",
            f"ctypes: {shared}",
            f"        sys.path.insert(0, {str(out)!r}); import {modules}; {loads}",
        ]


C = CBackend()
