"""Figures built from a spec's index algebra: which padded input cell each tap of each output reads.

Nothing here re-derives the convolution: the cells an output reads are
``spec.input_index(position, tap)`` shifted by the padding, the sizes are the
spec's (``padded_size``, ``output_size``, ``effective_kernel``). A figure draws
one input and one output channel (the same picture holds for every channel
pair of a group); 1-D is drawn as one row, 3-D is refused in one line.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from symconv.algebra import closed_forms as cfs
from symconv.algebra import evaluate as ev
from symconv.algebra import unrolled
from symconv.algebra.operators import DELTA, W
from symconv.errors import FigureError
from symconv.figures.model import Cell, Figure, Frame, Grid, Note
from symconv.printing.elide import keep
from symconv.printing.note_latex import note_latex
from symconv.printing.plain_text import plain_text
from symconv.spec import ConvSpec
from symconv.symbolic.separable import separable_specs

KINDS = ("sliding", "dilation", "backward", "im2col", "conv", "groups", "depthwise", "pointwise", "separable")
"""The kinds drawn so far (see the README's figures section for what each shows)."""

MAX_SIDE = 16
"""The most cells a grid draws per side: beyond it a figure no longer reads (refused, saying so)."""

MAX_STRIP = 9
"""The most frames a printed strip shows: the first and the last ones, a note counts the rest."""

GAP = 1.5  # cell units between grids
TITLE = 1.2  # room above a grid for its title

TITLES = {
    "en": {"input": "input, padded", "kernel": "kernel", "output": "output", "dilated": "dilated kernel",
           "error": "error: zero-inserted, padded", "turned": "kernel: dilated, turned",
           "x_hat": "X̂", "k_hat": "K̂", "y_hat": "Ŷ = X̂ K̂",
           "gradient": "∂J/∂X (grey: cropped)",
           "inputs": "input", "kernels": "kernels", "outputs": "output", "middle": "m",
           "pointwise": "pointwise", "groups": "", "in_axis": "input channel c",
           "out_axis": "output channel o"},
    "zh": {"input": "输入（补零后）", "kernel": "卷积核", "output": "输出", "dilated": "膨胀后的卷积核",
           "error": "误差：插零、补零后", "turned": "卷积核：膨胀、旋转后",
           "x_hat": "X̂", "k_hat": "K̂", "y_hat": "Ŷ = X̂ K̂",
           "gradient": "∂J/∂X（灰色：裁掉）",
           "inputs": "输入", "kernels": "卷积核", "outputs": "输出", "middle": "m", "pointwise": "逐点",
           "groups": "", "in_axis": "输入通道 c", "out_axis": "输出通道 o"},
}


def _plane(values: Sequence[int]) -> tuple[int, int]:
    """A size as (rows, columns): 1-D is one row."""
    return (1, values[0]) if len(values) == 1 else (values[0], values[1])


def _sub(index: Sequence[int]) -> str:
    """The 1-based subscript of a position: ``11``, or ``10,3`` when an index has two digits."""
    shown = [str(i + 1) for i in index]
    return ("," if any(len(s) > 1 for s in shown) else "").join(shown)


def _check(spec: ConvSpec, kind: str, backward: bool) -> None:
    if kind not in KINDS:
        raise FigureError(f"figure kind {kind!r} is not one of {', '.join(KINDS)}")
    if backward and kind != "sliding":
        raise FigureError(f"backward=True is for the sliding kind (the input gradient's window), not {kind}; "
                          "the backward kind draws the closed form's error and kernel")
    if spec.ndim == 3 and kind != "groups":
        raise FigureError("figures are drawn for 1-D and 2-D layers; for a 3-D layer draw one depth slice "
                          "with --dims 2")
    if kind in ("sliding", "backward", "im2col", "conv", "depthwise", "pointwise", "separable") \
            and not spec.has_input_size:
        raise FigureError(f"a {kind} figure needs the input size: give --input")


MAX_WORK = 4_000_000
"""The most entries a figure evaluates with the algebra: the input's padded positions for the backward
pictures, K̂ and the rows of X̂ drawn for im2col (the other kinds label only the cells they draw)."""


def _work_check(spec: ConvSpec, kind: str, backward: bool) -> None:
    if kind == "backward" or backward:
        work = math.prod(spec.padded_size) + math.prod(spec.effective_kernel)
    elif kind == "im2col":
        work = spec.in_channels * spec.taps * (spec.out_channels + MAX_MATRIX)
    else:
        return
    if work > MAX_WORK:
        name = "backward sliding" if backward else kind
        smaller = "fewer channels" if kind == "im2col" else f"a smaller --input (beyond {MAX_SIDE} cells a " \
            "side a figure draws only the corners)"
        raise FigureError(f"a {name} figure of {spec.describe()} evaluates {work:,} entries, more than "
                          f"{MAX_WORK:,}: draw it for {smaller}")


def check(spec: ConvSpec, kind: str, backward: bool = False) -> None:
    """Raise :class:`FigureError` (one line) when ``spec`` cannot have the figure ``kind``; draws nothing."""
    _check(spec, kind, backward)
    _work_check(spec, kind, backward)


def figure_model(spec: ConvSpec, kind: str, lang: str = "en", backward: bool = False) -> Figure:
    """The figure ``kind`` of ``spec`` (one of :data:`KINDS`), titles in ``lang``; ``backward`` slides
    the input gradient's window instead of the forward one (sliding kind only)."""
    check(spec, kind, backward)
    if backward:
        return _sliding_backward(spec, lang)
    draw = {"sliding": _sliding, "dilation": _dilation, "backward": _backward, "im2col": _im2col,
            "conv": _conv, "groups": _groups, "depthwise": _depthwise, "pointwise": _pointwise,
            "separable": _separable}[kind]
    return draw(spec, lang)


def _named(spec: ConvSpec, role: str, base: str) -> Callable[[tuple[int, int]], tuple[str, str, str]]:
    """The label of a plane position: ``base`` with its 1-based subscript (a 1-D one drops the row)."""
    return lambda i: (role, base, _sub(i[2 - spec.ndim:]))


def _sliding(spec: ConvSpec, lang: str) -> Figure:
    """The padded input, the kernel and the output; one frame per output position (row-major).

    A grid of more than :data:`MAX_SIDE` cells a side keeps its first and last rows and columns,
    gap cells between (:func:`_frames` says what a frame shows then).
    """
    titles = TITLES[lang]
    padded, kernel, out = _plane(spec.padded_size), _plane(spec.kernel), _plane(spec.output_size)
    top = TITLE
    source = _matrix("input", titles["input"], _labels(padded, _padded_input(spec)), 0, top,
                     max_side=MAX_SIDE)
    kx = source.right() + GAP
    kernel_grid = _matrix("kernel", titles["kernel"], _labels(kernel, _named(spec, "kernel", "k")), kx, top,
                          max_side=MAX_SIDE)
    ox = kernel_grid.right() + GAP
    output = _matrix("output", titles["output"], _labels(out, _named(spec, "output", "y")), ox, top,
                     max_side=MAX_SIDE)
    frames = _frames(source, output, lambda at: _window(spec, at[2 - spec.ndim:]))
    height = top + max(g.drawn()[0] for g in (source, kernel_grid, output)) + 1.5
    text = _stride_note(spec) + _drawn_note(len(frames), math.prod(spec.output_size))
    note = Note(0, height - 0.4, text, text)
    return Figure("sliding", spec.describe(), _width(ox + output.drawn()[1], note), height,
                  (source, kernel_grid, output), (note,), tuple(frames))


def _frames(source: Grid, target: Grid,
            window: Callable[[tuple[int, ...]], Sequence[tuple[int, ...]] | None]) -> list[Frame]:
    """One frame per target cell drawn that a window writes, row-major (``window(index)``: the source
    cells it reads, None where none writes it).

    A frame marks the source cells drawn that it reads and, in an elided picture, the gap cells
    standing for the rows or columns left out that its window covers.
    """
    kept = [{c.index[axis] for c in source.cells if c.role != "gap"} for axis in (0, 1)]
    frames: list[Frame] = []
    for cell in target.cells:
        reads = window(cell.index) if cell.role != "gap" else None
        if reads is None:
            continue
        shown = tuple(r for r in reads if r[0] in kept[0] and r[1] in kept[1])
        through = dict.fromkeys(tuple(i if i in kept[axis] else -1 for axis, i in enumerate(r))
                                for r in reads if not (r[0] in kept[0] and r[1] in kept[1]))
        frames.append(Frame(len(frames), cell.index, shown, tuple(through)))
    return frames


def _drawn_note(drawn: int, total: int) -> str:
    return f"; {drawn} of {total} windows drawn, dashed where one passes a gap" if drawn < total else ""


def _padded_input(spec: ConvSpec) -> Callable[[tuple[int, int]], tuple[str, str, str]]:
    """The label of a padded input cell: a zero of the padding, or the input entry it holds."""
    before, n = spec.pad_before, spec.sizes

    def label(index: tuple[int, int]) -> tuple[str, str, str]:
        at = index if spec.ndim == 2 else index[1:]
        if not all(b <= i < b + size for i, b, size in zip(at, before, n)):
            return "padding", "0", ""
        return "input", "x", _sub([i - b for i, b in zip(at, before)])

    return label


def _window(spec: ConvSpec, position: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """The padded input cells (plane coordinates) the output at ``position`` reads, in tap order:
    the index algebra's ``spec.input_index`` shifted by the padding."""
    reads = []
    for tap in itertools.product(*(range(k) for k in spec.kernel)):
        at = tuple(int(i) + b for i, b in zip(spec.input_index(position, tap), spec.pad_before))
        reads.append(at if spec.ndim == 2 else (0, *at))
    return tuple(reads)


def _labelled(shape: Sequence[int]) -> np.ndarray:
    """An array whose entries name their own position: 1 + the flat index (0 stays for the zeros the
    algebra inserts). Evaluated by the algebra, each entry says where it came from (:func:`_origin`)."""
    count = math.prod(shape)
    return np.arange(1, count + 1, dtype=np.int64).reshape(tuple(shape)).astype(object)


class _Named:
    """A labelled array that makes each entry only when it is read (as :func:`_labelled` would hold it):
    im2col of a large input reads the few windows drawn."""

    def __init__(self, shape: Sequence[int]) -> None:
        self.shape = tuple(shape)

    def __getitem__(self, index: tuple[int, ...]) -> int:
        return 1 + int(np.ravel_multi_index(index, self.shape))


def _origin(entry: object, shape: Sequence[int]) -> tuple[int, ...] | None:
    """The position a labelled entry of an array of ``shape`` came from; None for a zero."""
    flat = int(entry)  # type: ignore[call-overload]
    return None if flat == 0 else tuple(int(i) for i in np.unravel_index(flat - 1, tuple(shape)))


Label = tuple[str, str, str]  # a cell's (role, base, sub)


@dataclass(frozen=True)
class _Labels:
    """The labels of a grid of ``shape``, ``label(index)`` computed only for the cells drawn
    (a large grid draws its corners)."""

    shape: tuple[int, int]
    label: Callable[[tuple[int, int]], Label]

    def __getitem__(self, index: tuple[int, int]) -> Label:
        return self.label((int(index[0]), int(index[1])))


def _labels(shape: tuple[int, int], label: Callable[[tuple[int, int]], Label]) -> _Labels:
    return _Labels(shape, label)


def _width(grids: float, note: Note) -> float:
    """The figure's width: its grids, or its note if that is longer (a character ≈ 0.19 cell)."""
    return max(grids, 0.19 * len(note.text))


def _stride_note(spec: ConvSpec) -> str:
    def one(values: Sequence[int]) -> str:
        return " x ".join(map(str, values))

    return (f"stride {one(spec.strides)}, dilation {one(spec.dilations)}, padding {one(spec.pad_before)}"
            + ("" if spec.pad_before == spec.pad_after else f" before, {one(spec.pad_after)} after"))


def _dilation(spec: ConvSpec, lang: str) -> Figure:
    """The kernel and the dilated kernel it becomes: d − 1 holes between taps, k' = k + (k − 1)(d − 1)."""
    titles = TITLES[lang]
    kernel, span = _plane(spec.kernel), _plane(spec.effective_kernel)
    dil = (1, spec.dilations[0]) if spec.ndim == 1 else spec.dilations
    top = TITLE
    kernel_grid = _matrix("kernel", titles["kernel"], _labels(kernel, _named(spec, "kernel", "k")), 0, top,
                          max_side=MAX_SIDE)

    def dilated(index: tuple[int, int]) -> tuple[str, str, str]:
        if all(i % d == 0 for i, d in zip(index, dil)):
            tap = tuple(i // d for i, d in zip(index, dil))
            return "kernel", "k", _sub(tap[2 - spec.ndim:])
        return "hole", "0", ""

    dx = kernel_grid.right() + GAP
    span_grid = _matrix("dilated", titles["dilated"], _labels(span, dilated), dx, top, max_side=MAX_SIDE)
    grids = (kernel_grid, span_grid)
    spans = [f"{k} + ({k} - 1)({d} - 1) = {s}"
             for k, d, s in zip(spec.kernel, spec.dilations, spec.effective_kernel)]
    if len(set(spans)) == 1:
        spans = spans[:1]
    height = top + max(kernel_grid.drawn()[0], span_grid.drawn()[0]) + 1.5
    note = Note(0, height - 0.4, "k' = k + (k - 1)(d - 1): " + ", ".join(spans),
                "$k' = k + (k - 1)(d - 1)$: " + ", ".join(f"${s}$" for s in spans))
    width = _width(dx + span_grid.drawn()[1], note)
    return Figure("dilation", spec.describe(), width, height, grids, (note,))


def _error_and_kernel(spec: ConvSpec, lang: str) -> tuple[Grid, Grid, cfs.ClosedForms]:
    """The error zero-inserted by the stride and padded by ``k' − 1`` on every side, and the dilated
    kernel turned by 180 degrees, side by side; and the closed forms they come from.

    Both are the algebra's closed-form steps (``delta_full`` or its parts, ``kernel_rot180``)
    evaluated on labelled entries, so every cell shows where the error's entry or the tap lands.
    """
    titles = TITLES[lang]
    forms = cfs.closed_forms(spec)
    amounts = cfs.amounts(spec)
    shapes = (1, *spec.output_size), (1, 1, *spec.kernel)
    bound = {DELTA: _labelled(shapes[0]), W: _labelled(shapes[1])}
    error_expr = forms.step("delta_full") or forms.step("delta_dilated") or DELTA
    errors = _plane_of(ev.evaluate(error_expr, spec, bound, amounts).data)
    turned = _plane_of(ev.evaluate(forms.step("kernel_rot180") or W, spec, bound, amounts).data)
    margin = tuple(k - 1 for k in spec.effective_kernel) if forms.step("delta_full") is not None \
        else (0,) * spec.ndim
    margin = (0, *margin) if spec.ndim == 1 else margin
    core = _plane([s * (o - 1) + 1 for s, o in zip(spec.strides, spec.output_size)])

    def error_cell(index: tuple[int, int]) -> tuple[str, str, str]:
        at = _origin(errors[index], shapes[0])
        if at is not None:
            return "error", "δ", _sub(at[1:])  # after its channel
        inside = all(m <= i < m + c for i, m, c in zip(index, margin, core))
        return ("inserted" if inside else "padding"), "0", ""

    def kernel_cell(index: tuple[int, int]) -> tuple[str, str, str]:
        at = _origin(turned[index], shapes[1])
        if at is None:
            return "hole", "0", ""
        return "kernel", "k", _sub(at[2:])  # after its two channels

    top = TITLE
    shape_e: tuple[int, int] = (int(errors.shape[0]), int(errors.shape[1]))
    shape_k: tuple[int, int] = (int(turned.shape[0]), int(turned.shape[1]))
    # beyond MAX_SIDE cells a side, the first and last rows and columns, gap cells between
    error_grid = _matrix("error", titles["error"], _labels(shape_e, error_cell), 0, top, max_side=MAX_SIDE)
    kx = error_grid.right() + GAP
    kernel_grid = _matrix("turned", titles["turned"], _labels(shape_k, kernel_cell), kx, top,
                          max_side=MAX_SIDE)
    return error_grid, kernel_grid, forms


def _gradient_note(spec: ConvSpec, forms: cfs.ClosedForms) -> tuple[str, str]:
    """The layer's input gradient as the algebra states it (plain text, TeX) and its amounts."""
    names = {"x": "X", "W": "W", "b": "b"}
    closed_text = plain_text(forms.grad_input, tensor_names={**names, "delta": "δ"})
    closed = note_latex(forms.grad_input, tensor_names={**names, "delta": r"\delta"})
    return (f"∂J/∂X = {closed_text}; {_stride_note(spec)}",
            rf"$\partial J/\partial X = {closed}$; {_stride_note(spec)}")


def _backward(spec: ConvSpec, lang: str) -> Figure:
    """The picture of the input gradient's closed form: the error zero-inserted by the stride and
    padded by ``k' − 1`` on every side, beside the dilated kernel turned by 180 degrees."""
    error_grid, kernel_grid, forms = _error_and_kernel(spec, lang)
    height = TITLE + max(error_grid.drawn()[0], kernel_grid.drawn()[0]) + 1.5
    text, tex = _gradient_note(spec, forms)
    note = Note(0, height - 0.4, text, tex)
    width = _width(kernel_grid.x + kernel_grid.drawn()[1], note)
    return Figure("backward", spec.describe(), width, height, (error_grid, kernel_grid), (note,))


def _sliding_backward(spec: ConvSpec, lang: str) -> Figure:
    """The input gradient as a sliding window, as the guide draws a transposed convolution: the turned
    kernel slides over the zero-inserted, fully padded error, one frame per position.

    The slide is the closed form's step ``full = conv(Δ, W̃, 1, 1)``: its windows are those of a
    convolution of the two grids with the step's stride and dilation. Its positions are the padded
    input's; those of the padding are cropped (grey), and the positions no window reaches
    (``q``, a stride's unused tail) hold zeros.
    """
    titles = TITLES[lang]
    error_grid, kernel_grid, forms = _error_and_kernel(spec, lang)
    full = forms.step("full")
    assert full is not None  # every closed form has its full convolution
    sizes = [(g.rows, g.cols) if spec.ndim == 2 else (g.cols,) for g in (error_grid, kernel_grid)]
    slide = ConvSpec(input_size=sizes[0], kernel_size=sizes[1], stride=int(full.args[2]),
                     dilation=int(full.args[3]), dims=spec.ndim)

    def reached(at: Sequence[int]) -> bool:  # a position of the full convolution (not the tail q)
        return all(j < f for j, f in zip(at, slide.output_size))

    def gradient_cell(index: tuple[int, int]) -> tuple[str, str, str]:
        at = index[2 - spec.ndim:]
        if not all(b <= j < b + n for j, b, n in zip(at, spec.pad_before, spec.sizes)):
            return "padding", "", ""  # cropped
        if not reached(at):
            return "inserted", "0", ""  # no window reaches it: the extension's zero
        return "output", "∂x", _sub([j - b for j, b in zip(at, spec.pad_before)])

    gx = kernel_grid.right() + GAP
    gradient = _matrix("gradient", titles["gradient"], _labels(_plane(spec.padded_size), gradient_cell), gx,
                       TITLE, max_side=MAX_SIDE)

    def window(index: tuple[int, ...]) -> Sequence[tuple[int, ...]] | None:
        at = index[2 - spec.ndim:]
        return _window(slide, at) if reached(at) else None

    frames = _frames(error_grid, gradient, window)
    height = TITLE + max(g.drawn()[0] for g in (error_grid, kernel_grid, gradient)) + 1.5
    text, tex = _gradient_note(spec, forms)
    drawn = _drawn_note(len(frames), math.prod(slide.output_size))
    note = Note(0, height - 0.4, text + drawn, tex + drawn)
    return Figure("sliding", spec.describe() + " (input gradient)", _width(gx + gradient.drawn()[1], note),
                  height, (error_grid, kernel_grid, gradient), (note,), tuple(frames), 0,
                  ("error", "gradient"))


# Titles TeX writes with math.
TEX_TITLES = {
    "X̂": r"$\hat{X}$", "K̂": r"$\hat{K}$", "Ŷ = X̂ K̂": r"$\hat{Y} = \hat{X} \hat{K}$",
    "∂J/∂X (grey: cropped)": r"$\partial J/\partial X$ (grey: cropped)",
    "∂J/∂X（灰色：裁掉）": r"$\partial J/\partial X$（灰色：裁掉）",
}

MAX_MATRIX = 12
"""The most rows or columns a matrix of the unrolled form draws; beyond, its first and last ones."""


def _matrix(
    name: str, title: str, labels: np.ndarray | _Labels, x: float, y: float,
    marked: Mapping[tuple[int, ...], str] | None = None, max_side: int = 0,
) -> Grid:
    """A labelled matrix, elided to ``max_side`` (:data:`MAX_MATRIX`) rows and columns, gap cells between.

    ``labels[r, c]`` is ``(role, base, sub)``; ``marked`` recolours cells (``read``, ``written``).
    """
    rows, cols = labels.shape
    cells = []
    for i, r in enumerate(_slots(rows, max_side or MAX_MATRIX)):
        for j, c in enumerate(_slots(cols, max_side or MAX_MATRIX)):
            if r is None or c is None:
                dots = "⋱" if r is None and c is None else "⋮" if r is None else "⋯"
                cells.append(Cell(name, (-1 if r is None else r, -1 if c is None else c), x + j, y + i,
                                  "gap", dots))
                continue
            role, base, sub = labels[r, c]
            role = (marked or {}).get((r, c), role)
            cells.append(Cell(name, (r, c), x + j, y + i, role, base, sub))
    return Grid(name, title, TEX_TITLES.get(title, title), x, y, rows, cols, tuple(cells))


def _slots(n: int, count: int) -> list[int | None]:
    """The indices of ``n`` a picture draws: all, or the first and last of ``count`` with None (a gap)
    between — the documents' elision rule (:func:`symconv.printing.elide.keep`)."""
    kept, gap = keep(n, count)
    slots: list[int | None] = list(kept)
    if gap is not None:
        slots.insert(gap, None)
    return slots


def _im2col(spec: ConvSpec, lang: str) -> Figure:
    """The note's second picture: one window of the (padded) input and the row of X̂ it becomes,
    K̂ with one column per output channel, and Ŷ = X̂ K̂ with that window's entry.

    X̂ and K̂ are the algebra's im2col and kernel matrix of labelled entries (:mod:`symconv.algebra.unrolled`).
    """
    titles = TITLES[lang]
    padded = _plane(spec.padded_size)
    shapes = (spec.in_channels, *spec.sizes), (spec.out_channels, spec.group_in, *spec.kernel)
    positions = math.prod(spec.output_size)
    kept = [r for r in _slots(positions, MAX_MATRIX) if r is not None]  # the rows of X̂ drawn
    x_hat = unrolled.im2col(spec, cast(np.ndarray, _Named(shapes[0])), rows=kept)
    k_hat = unrolled.kernel_matrix(spec, _labelled(shapes[1]))
    row = positions // 2 if positions <= MAX_MATRIX else 1  # a window in the middle, or one that shows
    window = tuple(int(v) for v in np.unravel_index(row, spec.output_size))
    channel_sub = spec.in_channels > 1 or spec.out_channels > 1

    def label(entry: object, letter: str) -> Label:
        at = _origin(entry, shapes[letter == "k"])
        if at is None:
            return ("padding", "0", "") if letter == "x" else ("hole", "0", "")
        channels, place = (at[:1], at[1:]) if letter == "x" else (at[:2], at[2:])
        sub = (",".join(str(c + 1) for c in channels) + "," if channel_sub else "") + _sub(place)
        return ("input" if letter == "x" else "kernel"), letter, sub

    reads = {at: "read" for at in _window(spec, window)}
    top = TITLE
    grids = [_matrix("input", titles["input"], _labels(padded, _padded_input(spec)), 0, top, reads,
                     max_side=MAX_SIDE)]
    x_labels = _labels((positions, x_hat.shape[1]), lambda at: label(x_hat[kept.index(at[0]), at[1]], "x"))
    marked: dict[tuple[int, ...], str] = {(row, c): "read" for c in range(x_hat.shape[1])}
    xx = grids[0].right() + GAP
    grids.append(_matrix("x_hat", titles["x_hat"], x_labels, xx, top, marked))
    kx = grids[-1].right() + GAP
    grids.append(_matrix("k_hat", titles["k_hat"], _labels(k_hat.shape, lambda at: label(k_hat[at], "k")),
                         kx, top))

    def y_label(at: tuple[int, int]) -> Label:
        place = np.unravel_index(at[0], spec.output_size)
        return "output", "y", (f"{at[1] + 1}," if channel_sub else "") + _sub([int(v) for v in place])

    yx = grids[-1].right() + GAP
    grids.append(_matrix("y_hat", titles["y_hat"], _labels((positions, spec.out_channels), y_label), yx, top,
                         {(row, o): "written" for o in range(spec.out_channels)}))
    tall = max(g.drawn()[0] for g in grids)
    height = top + tall + 1.5
    text = (f"the window of output {_sub(window)} is row {row + 1} of X̂"
            + (f"; input channel 1 of {spec.in_channels} drawn" if spec.in_channels > 1 else ""))
    note = Note(0, height - 0.4, text, text.replace("X̂", r"$\hat{X}$"))
    width = yx + grids[-1].drawn()[1]
    return Figure("im2col", spec.describe(), _width(width, note), height, tuple(grids), (note,))


MAX_MAPS = 8
"""The most channels a picture of feature maps draws: beyond, the first and last, a ⋮ between."""


def _group_role(group: int) -> str:
    return f"group{group % 4}"


MAX_MAP = 8
"""The most cells a side a feature map or kernel draws in a picture of maps: beyond, its corners."""


def _map(name: str, title: str, shape: tuple[int, int], x: float, y: float, role: str, base: str,
         channel: str) -> Grid:
    """One feature map or kernel as a small grid in its group's colour, labelled while it is small,
    its corners (gap cells between) beyond :data:`MAX_MAP` cells a side."""
    small = shape[0] * shape[1] <= 16

    def label(index: tuple[int, int]) -> Label:
        if not small:
            return role, "", ""
        if shape == (1, 1):  # a 1 × 1 kernel: its channels are its name
            return role, base, channel
        place = index[1:] if shape[0] == 1 else index
        return role, base, f"{channel}," + _sub(place)

    return _matrix(name, title, _labels(shape, label), x, y, max_side=MAX_MAP)


def _drawn(shape: tuple[int, int]) -> tuple[int, int]:
    """The rows and columns :func:`_map` draws for a map of ``shape``."""
    return len(_slots(shape[0], MAX_MAP)), len(_slots(shape[1], MAX_MAP))


def _gap(name: str, x: float, y: float) -> Grid:
    """The mark where channels are left out: one gap cell holding ⋮."""
    return Grid(name, "", "", x, y, 1, 1, (Cell(name, (-1, -1), x, y, "gap", "⋮"),))


def _column(name: str, heading: str, slots: list[int | None], shape: tuple[int, int], x: float,
            group_of: Callable[[int], int], letter: str) -> list[Grid]:
    """One map per channel slot, top to bottom, in its group's colour; a ⋮ where channels are left out."""
    grids = []
    for slot, channel in enumerate(slots):
        y = TITLE + slot * (_drawn(shape)[0] + 1)
        if channel is None:
            grids.append(_gap(f"{name}:gap", x, y))
            continue
        grids.append(_map(f"{name}:{channel}", heading if slot == 0 else "", shape, x, y,
                          _group_role(group_of(channel)), letter, str(channel + 1)))
    return grids


def _conv_grids(spec: ConvSpec, lang: str, x0: float, names: tuple[str, str, str],
                letters: tuple[str, str, str] = ("x", "k", "y"), inputs: bool = True,
                headings: tuple[str, str, str] = ("inputs", "kernels", "outputs"),
                ) -> tuple[list[Grid], float, float]:
    """Input maps, the kernels (a row per output channel), output maps; every map in its group's colour.

    Input channel ``c`` is in group ``c // (C_in/g)``, output channel ``o`` in ``o // (C_out/g)``, and
    output ``o``'s kernels read the input channels ``spec.input_channel(o, c')``. More than
    :data:`MAX_MAPS` channels (or kernels in a row) keep the first and last, a ⋮ between.
    """
    titles = TITLES[lang]
    n, k, out = _plane(spec.sizes), _plane(spec.kernel), _plane(spec.output_size)
    drawn_n, drawn_k, drawn_out = _drawn(n), _drawn(k), _drawn(out)
    grids: list[Grid] = []
    top = TITLE
    x = x0
    ins, outs, withins = (_slots(count, MAX_MAPS) for count in (spec.in_channels, spec.out_channels,
                                                                spec.group_in))
    if inputs:
        grids += _column(names[0], titles[headings[0]], ins, n, x, spec.group_of_input, letters[0])
        x += drawn_n[1] + GAP
    kx = x
    for slot, o in enumerate(outs):
        y = top + slot * (drawn_k[0] + 1)
        if o is None:
            grids.append(_gap("kernel:gap", kx, y))
            continue
        for column, within in enumerate(withins):
            kernel_x = kx + column * (drawn_k[1] + 0.5)
            if within is None:
                grids.append(_gap(f"kernel:{o},gap", kernel_x, y))
                continue
            heading = titles[headings[1]] if slot == 0 and column == 0 else ""
            grids.append(_map(f"kernel:{o},{within}", heading, k, kernel_x, y,
                              _group_role(spec.group_of_output(o)), letters[1], f"{o + 1},{within + 1}"))
    ox = kx + len(withins) * (drawn_k[1] + 0.5) - 0.5 + GAP
    grids += _column(names[2], titles[headings[2]], outs, out, ox, spec.group_of_output, letters[2])
    height = top + max(len(ins) * (drawn_n[0] + 1) if inputs else 0, len(outs) * (drawn_k[0] + 1),
                       len(outs) * (drawn_out[0] + 1)) + 0.5
    return grids, ox + drawn_out[1], height


def _groups_note(spec: ConvSpec) -> str:
    return (f"{spec.groups} group{'s' if spec.groups > 1 else ''}: output channel o reads input channels "
            f"{spec.group_in} at a time, from c0(o) = floor(o / {spec.group_out}) * {spec.group_in}")


def _conv(spec: ConvSpec, lang: str) -> Figure:
    """The note's first picture: the input maps, C_out rows of C_in/g kernels, the output maps."""
    grids, width, height = _conv_grids(spec, lang, 0, ("input", "kernel", "output"))
    note = Note(0, height + 0.6, _groups_note(spec), _groups_note(spec))
    return Figure("conv", spec.describe(), _width(width, note), height + 1.0, tuple(grids), (note,))


def _depthwise(spec: ConvSpec, lang: str) -> Figure:
    """The depthwise stage of ``spec`` (one kernel per input channel) as the convolution picture."""
    stage = separable_specs(spec)[0] if not spec.is_depthwise else spec
    fig = _conv(stage, lang)
    return Figure("depthwise", stage.describe(), fig.width, fig.height, fig.grids, fig.notes)


def _pointwise(spec: ConvSpec, lang: str) -> Figure:
    """The pointwise stage of ``spec``: a 1 × 1 convolution mixing the channels, as the convolution."""
    stage = separable_specs(spec)[1] if spec.kernel != (1,) * spec.ndim else spec
    fig = _conv(stage, lang)
    return Figure("pointwise", stage.describe(), fig.width, fig.height, fig.grids, fig.notes)


def _separable(spec: ConvSpec, lang: str) -> Figure:
    """Both stages side by side: inputs → depthwise kernels → m → pointwise kernels → outputs."""
    depthwise, pointwise = separable_specs(spec)
    first, width, height = _conv_grids(depthwise, lang, 0, ("input", "kernel", "middle"), ("x", "k", "m"),
                                       headings=("inputs", "kernels", "middle"))
    second, width2, height2 = _conv_grids(pointwise, lang, width + GAP, ("middle", "kernel", "output"),
                                          ("m", "w", "y"), inputs=False,
                                          headings=("inputs", "pointwise", "outputs"))
    def renamed(name: str) -> str:
        return name.replace("kernel:", "pointwise:")

    second = [Grid(renamed(g.name), g.title, g.title_tex, g.x, g.y, g.rows, g.cols,
                   tuple(Cell(renamed(c.grid), c.index, c.x, c.y, c.role, c.base, c.sub) for c in g.cells))
              for g in second]
    text = f"depthwise: {depthwise.describe()}; pointwise: {pointwise.describe()}"
    bottom = max(height, height2)
    note = Note(0, bottom + 0.6, text, text.replace("→", r"$\to$"))
    return Figure("separable", spec.describe() + " (depthwise-separable)", _width(width2, note), bottom + 1.0,
                  tuple(first + second), (note,))


MAX_CHANNELS = 2 * MAX_SIDE
"""The most channels a side the groups picture draws: beyond, the first and last, gaps between."""


def _groups(spec: ConvSpec, lang: str) -> Figure:
    """Which output channel reads which input channel: a cell W_{o,c'} where o's group holds c.

    Beyond :data:`MAX_CHANNELS` channels a side, the first and last, gap cells between. The picture
    has no spatial axes, so a 3-D layer draws it too.
    """
    titles = TITLES[lang]
    shape = (spec.out_channels, spec.in_channels)
    top = TITLE + 1.2  # under the row of input channels

    def label(index: tuple[int, int]) -> Label:
        o, c = index
        first = spec.first_input_channel(o)
        if first <= c < first + spec.group_in:
            return _group_role(spec.group_of_output(o)), "W", f"{o + 1},{c - first + 1}"
        return "hole", "", ""

    grid = _matrix("groups", titles["groups"], _labels(shape, label), 1.5, top, max_side=MAX_CHANNELS)
    inputs = _matrix("in_axis", titles["in_axis"],
                     _labels((1, shape[1]), lambda i: ("gap", "c", str(i[1] + 1))), 1.5, TITLE,
                     max_side=MAX_CHANNELS)
    outputs = _matrix("out_axis", "", _labels((shape[0], 1), lambda i: ("gap", "o", str(i[0] + 1))),
                      0.3, top, max_side=MAX_CHANNELS)
    rows, cols = grid.drawn()
    height = top + rows + 1.5
    note = Note(0, height - 0.4, _groups_note(spec), _groups_note(spec))
    grids = (inputs, grid, outputs)
    return Figure("groups", spec.describe(), _width(1.5 + cols, note), height, grids, (note,))


def _plane_of(data: np.ndarray) -> np.ndarray:
    """One channel's spatial array as rows × columns (a 1-D one as one row)."""
    while data.ndim > 2 and data.shape[0] == 1:
        data = data[0]
    return data.reshape(1, -1) if data.ndim == 1 else data


def strip(fig: Figure) -> Figure:
    """The frames of a sliding figure side by side, for print: the read cells and the output coloured.

    At most :data:`MAX_STRIP` frames: the first and the last, the rest counted in ``hidden_frames``.
    """
    frames = list(fig.frames)
    head, tail = (MAX_STRIP + 1) // 2, MAX_STRIP // 2
    shown = frames if len(frames) <= MAX_STRIP else frames[:head] + frames[len(frames) - tail :]
    source, out = fig.source(), fig.target()
    grids: list[Grid] = []
    x = 0.0
    (rows, cols), (_, out_cols) = source.drawn(), out.drawn()
    for frame in shown:
        reads = {*frame.reads, *frame.through}
        name = f"{source.name}@{frame.number}"
        cells = tuple(Cell(name, c.index, x + c.x - source.x, c.y, "read" if c.index in reads else c.role,
                           c.base, c.sub) for c in source.cells)
        grids.append(Grid(name, f"{frame.number + 1}", f"{frame.number + 1}", x, source.y,
                          source.rows, source.cols, cells))
        oy = source.y + rows + 0.6
        ox = x + (cols - out_cols) / 2
        name = f"{out.name}@{frame.number}"
        cells = tuple(Cell(name, c.index, ox + c.x - out.x, oy + c.y - out.y,
                           "written" if c.index == frame.output else c.role, c.base, c.sub)
                      for c in out.cells)
        grids.append(Grid(name, "", "", ox, oy, out.rows, out.cols, cells))
        x += cols + 1.0
    height = source.y + rows + 0.6 + out.drawn()[0] + 1.5
    notes = (Note(0, height - 0.4, fig.notes[0].text, fig.notes[0].tex),) if fig.notes else ()
    return Figure("sliding-strip", fig.layer, x - 1.0, height, tuple(grids), notes, (),
                  len(frames) - len(shown))
