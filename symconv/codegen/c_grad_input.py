"""The C target's grad_input: a gather, the correlation of the zero-inserted dy with the flipped kernel."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from symconv import sizes
from symconv.codegen.c_loops import INDENT, flat_index, one_unit, pairwise, ternary
from symconv.codegen.layout import Layout
from symconv.printing.code import cexpr


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
                "dy": cexpr(flat_index(at, lay.outputs)),
                "w": str(tap.flat),
                "shift": tuple(int(a - q) for a, q in zip(at, qs)),  # reads output position q + shift
            })
        blocks.append({
            "loops": loops,
            "body": INDENT * (depth + spec.ndim),
            "taps": taps,
            "dx": cexpr(flat_index(list(js), lay.inputs)),
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
                lines.append(f"{INDENT}const long {lo} = {ternary(f'{qn} < {first}', qn, str(first))};")
            low = lo if first else "0"
            value = ternary(f"{stop} < {low}", low, ternary(f"{stop} < {qn}", stop, qn))
            lines.append(f"{INDENT}const long {hi} = {value};")
            block["lo"].append(low)
            block["hi"].append(hi)
    head = lines
    lines = [
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
            out += [f"{ind}}}", f"{ind}dxc[{dx}] = {pairwise(['a' + tap['w'] for tap in taps])};"]
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
    lines.append(f"{INDENT * 2}}}")
    return head + one_unit("n", lines)
