"""Figures built from a spec's index algebra: which padded input cell each tap of each output reads.

Nothing here re-derives the convolution: the cells an output reads are
``spec.input_index(position, tap)`` shifted by the padding, the sizes are the
spec's (``padded_size``, ``output_size``, ``effective_kernel``). A figure draws
one input and one output channel (the same picture holds for every channel
pair of a group); 1-D is drawn as one row, 3-D is refused in one line.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from symconv.errors import FigureError
from symconv.figures.model import Cell, Figure, Frame, Grid, Note
from symconv.spec import ConvSpec

KINDS = ("sliding", "dilation")
"""The kinds drawn so far (see the README's figures section for what each shows)."""

MAX_SIDE = 16
"""The most cells a grid draws per side: beyond it a figure no longer reads (refused, saying so)."""

MAX_STRIP = 9
"""The most frames a printed strip shows: the first and the last ones, a note counts the rest."""

GAP = 1.5  # cell units between grids
TITLE = 1.2  # room above a grid for its title

TITLES = {
    "en": {"input": "input, padded", "kernel": "kernel", "output": "output", "dilated": "dilated kernel"},
    "zh": {"input": "输入（补零后）", "kernel": "卷积核", "output": "输出", "dilated": "膨胀后的卷积核"},
}


def _plane(values: Sequence[int]) -> tuple[int, int]:
    """A size as (rows, columns): 1-D is one row."""
    return (1, values[0]) if len(values) == 1 else (values[0], values[1])


def _sub(index: Sequence[int]) -> str:
    """The 1-based subscript of a position: ``11``, or ``10,3`` when an index has two digits."""
    shown = [str(i + 1) for i in index]
    return ("," if any(len(s) > 1 for s in shown) else "").join(shown)


def _cells(grid: str, shape: tuple[int, int], x: float, y: float, label: object) -> tuple[Cell, ...]:
    """One cell per position, row-major; ``label(index)`` gives (role, base, sub)."""
    cells = []
    for r, c in itertools.product(range(shape[0]), range(shape[1])):
        role, base, sub = label((r, c))  # type: ignore[operator]
        cells.append(Cell(grid, (r, c), x + c, y + r, role, base, sub))
    return tuple(cells)


def _check(spec: ConvSpec, kind: str) -> None:
    if kind not in KINDS:
        raise FigureError(f"figure kind {kind!r} is not one of {', '.join(KINDS)}")
    if spec.ndim == 3:
        raise FigureError("figures are drawn for 1-D and 2-D layers; for a 3-D layer draw one depth slice "
                          "with --dims 2")
    if kind == "sliding" and not spec.has_input_size:
        raise FigureError("a sliding figure needs the input size: give --input")


def _side_check(name: str, shape: Sequence[int]) -> None:
    if max(shape) > MAX_SIDE:
        raise FigureError(f"the {name} is {' x '.join(map(str, shape))}: a figure draws at most {MAX_SIDE} "
                          f"cells per side; use a smaller --input or --kernel")


def figure_model(spec: ConvSpec, kind: str, lang: str = "en") -> Figure:
    """The figure ``kind`` of ``spec`` (one of :data:`KINDS`), titles in ``lang``."""
    _check(spec, kind)
    return _sliding(spec, lang) if kind == "sliding" else _dilation(spec, lang)


def _sliding(spec: ConvSpec, lang: str) -> Figure:
    """The padded input, the kernel and the output; one frame per output position (row-major)."""
    titles = TITLES[lang]
    padded, kernel, out = _plane(spec.padded_size), _plane(spec.kernel), _plane(spec.output_size)
    _side_check("padded input", padded)
    before = spec.pad_before
    n = spec.sizes

    def inside(index: Sequence[int]) -> bool:
        at = index if spec.ndim == 2 else index[1:]
        return all(b <= i < b + size for i, b, size in zip(at, before, n))

    def input_label(index: tuple[int, int]) -> tuple[str, str, str]:
        at = index if spec.ndim == 2 else index[1:]
        if not inside(index):
            return "padding", "0", ""
        return "input", "x", _sub([i - b for i, b in zip(at, before)])

    top = TITLE
    grids = [Grid("input", titles["input"], titles["input"], 0, top, *padded,
                  _cells("input", padded, 0, top, input_label))]
    kx = padded[1] + GAP
    grids.append(Grid("kernel", titles["kernel"], titles["kernel"], kx, top, *kernel,
                      _cells("kernel", kernel, kx, top, lambda i: ("kernel", "k", _sub(i[2 - spec.ndim:])))))
    ox = kx + kernel[1] + GAP
    grids.append(Grid("output", titles["output"], titles["output"], ox, top, *out,
                      _cells("output", out, ox, top, lambda i: ("output", "y", _sub(i[2 - spec.ndim:])))))
    frames = []
    for number, position in enumerate(itertools.product(*(range(o) for o in spec.output_size))):
        reads = []
        for tap in itertools.product(*(range(k) for k in spec.kernel)):
            at = tuple(int(i) + b for i, b in zip(spec.input_index(position, tap), before))
            reads.append(at if spec.ndim == 2 else (0, *at))
        frames.append(Frame(number, position if spec.ndim == 2 else (0, *position), tuple(reads)))
    height = top + max(padded[0], kernel[0], out[0]) + 1.5
    note = Note(0, height - 0.4, _stride_note(spec), _stride_note(spec))
    return Figure("sliding", spec.describe(), _width(ox + out[1], note), height, tuple(grids), (note,),
                  tuple(frames))


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
    _side_check("dilated kernel", span)
    dil = (1, spec.dilations[0]) if spec.ndim == 1 else spec.dilations
    top = TITLE
    grids = [Grid("kernel", titles["kernel"], titles["kernel"], 0, top, *kernel,
                  _cells("kernel", kernel, 0, top, lambda i: ("kernel", "k", _sub(i[2 - spec.ndim:]))))]

    def dilated(index: tuple[int, int]) -> tuple[str, str, str]:
        if all(i % d == 0 for i, d in zip(index, dil)):
            tap = tuple(i // d for i, d in zip(index, dil))
            return "kernel", "k", _sub(tap[2 - spec.ndim:])
        return "hole", "0", ""

    dx = kernel[1] + GAP
    grids.append(Grid("dilated", titles["dilated"], titles["dilated"], dx, top, *span,
                      _cells("dilated", span, dx, top, dilated)))
    spans = [f"{k} + ({k} - 1)({d} - 1) = {s}"
             for k, d, s in zip(spec.kernel, spec.dilations, spec.effective_kernel)]
    if len(set(spans)) == 1:
        spans = spans[:1]
    height = top + span[0] + 1.5
    note = Note(0, height - 0.4, "k' = k + (k - 1)(d - 1): " + ", ".join(spans),
                "$k' = k + (k - 1)(d - 1)$: " + ", ".join(f"${s}$" for s in spans))
    return Figure("dilation", spec.describe(), _width(dx + span[1], note), height, tuple(grids), (note,))


def strip(fig: Figure) -> Figure:
    """The frames of a sliding figure side by side, for print: the read cells and the output coloured.

    At most :data:`MAX_STRIP` frames: the first and the last, the rest counted in ``hidden_frames``.
    """
    frames = list(fig.frames)
    head, tail = (MAX_STRIP + 1) // 2, MAX_STRIP // 2
    shown = frames if len(frames) <= MAX_STRIP else frames[:head] + frames[len(frames) - tail :]
    source, out = fig.grid("input"), fig.grid("output")
    grids: list[Grid] = []
    x = 0.0
    for frame in shown:
        reads = set(frame.reads)
        cells = tuple(Cell(f"input@{frame.number}", c.index, x + c.x, c.y, "read" if c.index in reads
                           else c.role, c.base, c.sub) for c in source.cells)
        grids.append(Grid(f"input@{frame.number}", f"{frame.number + 1}", f"{frame.number + 1}", x, source.y,
                          source.rows, source.cols, cells))
        oy = source.y + source.rows + 0.6
        ox = x + (source.cols - out.cols) / 2
        cells = tuple(Cell(f"output@{frame.number}", c.index, ox + c.x - out.x, oy + c.y - out.y,
                           "written" if c.index == frame.output else c.role, c.base, c.sub)
                      for c in out.cells)
        grids.append(Grid(f"output@{frame.number}", "", "", ox, oy, out.rows, out.cols, cells))
        x += source.cols + 1.0
    height = source.y + source.rows + 0.6 + out.rows + 1.5
    notes = (Note(0, height - 0.4, fig.notes[0].text, fig.notes[0].tex),) if fig.notes else ()
    return Figure("sliding-strip", fig.layer, x - 1.0, height, tuple(grids), notes, (),
                  len(frames) - len(shown))
