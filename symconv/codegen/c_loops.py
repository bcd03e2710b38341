"""The C target's loop printing shared by its functions: flat indices, the interior of a row, pairwise sums.

Each function's loops (``c_forward``, ``c_grad_input``, ``c_grad_weight``) are
built from these: the output rows opened once, each row split into the border
(guarded taps) and the interior (no bounds tests), whose bounds come from the
index algebra.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from symconv import sizes
from symconv.codegen.layout import Layout
from symconv.printing.code import cexpr

INDENT = "    "


@dataclass(frozen=True)
class Body:
    """A C function's lines after its argument checks, split for its tasks.

    ``task`` is the work of one unit ``e`` (by default one iteration of the
    function's outermost loop), run by one call of the task whatever the thread
    count (:func:`one_unit`); ``setup`` (which may return an error before
    anything is written) and ``cleanup`` run in the function itself.
    ``params`` are the task's extra parameters (scratch buffers) and ``args``
    their arguments, a format of the task's number ``{t}`` (one buffer per task).
    ``count``: the trip count of the split loop when it is not the function's
    usual one (the batch, or the output channels). ``dynamic``: its iterations
    are units handed to the threads one at a time as they finish (OpenMP's
    dynamic schedule: a slower core takes fewer), each with the buffers of the
    thread that runs it; ``held`` (with ``dynamic``): the task also gets
    ``long *held``, the thread's own note of what its buffers hold (−1 first).
    ``prepare``: the samples go one by one, each in two phases: the task
    ``…_prepare`` runs units ``n·P … (n+1)·P − 1`` (``P = prepare_units``, split
    evenly between the threads) to fill the buffers, then the task runs units
    ``n·count … (n+1)·count − 1``; the buffers are one, shared by every thread.
    """

    task: list[str]
    setup: list[str] = field(default_factory=list)
    cleanup: list[str] = field(default_factory=list)
    params: str = ""
    args: str = ""
    count: str = ""
    dynamic: bool = False
    held: bool = False
    prepare: list[str] = field(default_factory=list)
    prepare_units: str = ""

    def context(self) -> dict[str, object]:
        """What the template prints: the lines, and the arguments for one task or for task ``t``."""
        held = ", &held" if self.held else ""
        return {"task": self.task, "setup": self.setup, "cleanup": self.cleanup,
                "params": self.params + (", long *restrict held" if self.held else ""),
                "args_one": self.args.format(t="0") + held, "args_many": self.args.format(t="t") + held,
                "count": self.count, "dynamic": self.dynamic, "held": self.held, "prepare": self.prepare,
                "prepare_units": self.prepare_units,
                "per_thread": "{t}" in self.args}


def one_unit(var: str, body: list[str]) -> list[str]:
    """A task's lines for its one unit ``e``: ``body``, written as a loop's body over ``var``, one level out.

    A task runs exactly one unit per call (on one thread as on many): the loop
    over units is the caller's, so ``var`` (the unit's name in ``body``) is
    ``e`` itself. Preprocessor lines stay in the first column.
    """
    head = [] if var == "e" else [f"{INDENT}const long {var} = e;"]
    return head + [line if line.startswith("#") else line.removeprefix(INDENT) for line in body]


def nest(at: list[sp.Symbol], sizes: tuple[sp.Expr, ...], statement: str, depth: int) -> list[str]:
    """``statement`` at every point of ``sizes``: one loop per dimension over ``at``, the last braceless.

    The copies of the blocked schedules (a plane into a buffer on other strides, and back) are such nests.
    """
    out, closes = [], []
    for k, (a, n) in enumerate(zip(at, sizes)):
        ind = INDENT * (depth + k)
        last = k == len(at) - 1
        out.append(f"{ind}for (long {a} = 0; {a} < {n}; ++{a})" + ("" if last else " {"))
        if not last:
            closes.append(f"{ind}}}")
    return [*out, f"{INDENT * (depth + len(at))}{statement}", *reversed(closes)]


def buffered_body(
    task: list[str], buffers: list[tuple[str, str]], T: str, upper: str, threads: int, count: str = "",
    *, held: bool = False, dynamic: bool = False, prepare: list[str] | None = None, prepare_units: str = "",
) -> Body:
    """A :class:`Body` whose tasks each get zeroed scratch buffers ``(name, element count)``.

    The set-up allocates one of each per task (calloc; ``…_ENOMEM`` after freeing
    what was allocated), the clean-up frees them, task ``t`` gets ``name + t·size``;
    with ``prepare``, one of each shared by every task.
    """
    d1, d2 = INDENT, INDENT * 2
    setup: list[str] = []
    many, each, offset = ((f"{threads}", "one per task", " + {t} * {name}_size") if prepare is None else
                          ("1", "one, shared", ""))
    for name, size in buffers:
        setup += [f"{d1}const size_t {name}_size = (size_t)({size});",
                  f"{d1}{T} *{name} = ({T} *)calloc({many} * {name}_size, sizeof({T})); /* {each} */"]
    if buffers:
        setup.append(f"{d1}if ({' || '.join(f'{name} == NULL' for name, _ in buffers)}) {{")
        setup += [f"{d2}free({name});" for name, _ in buffers]
        setup += [f"{d2}return {upper}_ENOMEM;", f"{d1}}}"]
    return Body(
        task, setup, [f"{d1}free({name});" for name, _ in buffers],
        "".join(f", {T} *restrict {name}" for name, _ in buffers),
        "".join(f", {name}" + offset.format(t="{t}", name=name) for name, _ in buffers),
        count, dynamic, held, prepare or [], prepare_units,
    )


def flat_index(positions: list[sp.Expr], sizes: tuple[sp.Symbol, ...]) -> sp.Expr:
    """Row-major offset of ``positions`` in an array of spatial ``sizes``."""
    index: sp.Expr = sp.S.Zero
    for p, n in zip(positions, sizes):
        index = index * n + p
    return index


def row_major_strides(sizes: tuple[sp.Expr, ...] | list[sp.Expr]) -> list[sp.Expr]:
    """Per dimension the step of ``flat_index`` in an array of ``sizes``: the product of the later sizes."""
    out: list[sp.Expr] = []
    step: sp.Expr = sp.S.One
    for n in reversed(sizes):
        out.append(step)
        step = step * n
    return list(reversed(out))


def pairwise(terms: list[str]) -> str:
    """``terms`` summed as a balanced tree: ``(a + b) + (c + d)``, a fixed order."""
    if len(terms) == 1:
        return terms[0]
    half = len(terms) // 2
    return f"({pairwise(terms[:half])} + {pairwise(terms[half:])})"


def ternary(test: str, yes: str, no: str) -> str:
    return f"{test} ? {yes} : {no}"


@dataclass(frozen=True)
class Interior:
    """One dimension's interior ``lo ≤ i < hi`` (C names or constants), and whether it has borders."""

    lo: str
    hi: str
    low: bool  # some tap can read the padding before: positions 0 … lo − 1 are border
    high: bool  # some tap can read the padding behind: positions hi … out − 1 are border


def outer_rows(
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


def interior_bounds(lay: Layout) -> tuple[list[str], list[Interior]]:
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
            lines.append(f"{INDENT}const long {lo} = {ternary(f'{out} < {first}', str(out), str(first))};")
        if high:
            numerator = n - 1 - max(tap.offset[k] for tap in taps)  # the last interior i: s·i ≤ this
            last = cexpr(sizes.floor_div(numerator, st) + 1)
            value = ternary(f"{cexpr(numerator)} < 0", lo, ternary(f"{last} < {lo}", lo, last))
            lines.append(f"{INDENT}const long {hi} = {value};")
        bounds.append(Interior(lo, hi, low, high))
    return lines, bounds


def split_row(
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
