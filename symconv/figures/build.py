"""Figures built from a spec's index algebra: which padded input cell each tap of each output reads.

Nothing here re-derives the convolution: the cells an output reads are
``spec.input_index(position, tap)`` shifted by the padding, the sizes are the
spec's (``padded_size``, ``output_size``, ``effective_kernel``). A figure draws
one input and one output channel (the same picture holds for every channel
pair of a group); 1-D is drawn as one row, 3-D is refused in one line.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import sympy as sp

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
           "inputs": "input", "kernels": "kernels", "outputs": "output", "middle": "m",
           "pointwise": "pointwise", "groups": "", "in_axis": "input channel c",
           "out_axis": "output channel o"},
    "zh": {"input": "输入（补零后）", "kernel": "卷积核", "output": "输出", "dilated": "膨胀后的卷积核",
           "error": "误差：插零、补零后", "turned": "卷积核：膨胀、旋转后",
           "x_hat": "X̂", "k_hat": "K̂", "y_hat": "Ŷ = X̂ K̂",
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
    if kind in ("sliding", "backward", "im2col", "conv", "depthwise", "pointwise", "separable") \
            and not spec.has_input_size:
        raise FigureError(f"a {kind} figure needs the input size: give --input")


def _side_check(name: str, shape: Sequence[int]) -> None:
    if max(shape) > MAX_SIDE:
        raise FigureError(f"the {name} is {' x '.join(map(str, shape))}: a figure draws at most {MAX_SIDE} "
                          f"cells per side; use a smaller --input or --kernel")


def figure_model(spec: ConvSpec, kind: str, lang: str = "en") -> Figure:
    """The figure ``kind`` of ``spec`` (one of :data:`KINDS`), titles in ``lang``."""
    _check(spec, kind)
    draw = {"sliding": _sliding, "dilation": _dilation, "backward": _backward, "im2col": _im2col,
            "conv": _conv, "groups": _groups, "depthwise": _depthwise, "pointwise": _pointwise,
            "separable": _separable}[kind]
    return draw(spec, lang)


def _sliding(spec: ConvSpec, lang: str) -> Figure:
    """The padded input, the kernel and the output; one frame per output position (row-major).

    A padded input or output of more than :data:`MAX_SIDE` cells a side keeps its first and last
    rows and columns (gap cells between), and only the windows drawn whole are framed.
    """
    titles = TITLES[lang]
    padded, kernel, out = _plane(spec.padded_size), _plane(spec.kernel), _plane(spec.output_size)
    _side_check("kernel", kernel)
    top = TITLE
    source = _matrix("input", titles["input"], _labels(padded, _padded_input(spec)), 0, top,
                     max_side=MAX_SIDE)
    kx = source.drawn()[1] + GAP
    def named(role: str, base: str) -> object:
        return lambda i: (role, base, _sub(i[2 - spec.ndim:]))

    grids = [source, Grid("kernel", titles["kernel"], titles["kernel"], kx, top, *kernel,
                          _cells("kernel", kernel, kx, top, named("kernel", "k")))]
    ox = kx + kernel[1] + GAP
    output = _matrix("output", titles["output"], _labels(out, named("output", "y")), ox, top,
                     max_side=MAX_SIDE)
    grids.append(output)
    drawn_in = {c.index for c in source.cells if c.role != "gap"}
    drawn_out = {c.index for c in output.cells if c.role != "gap"}
    frames: list[Frame] = []
    total = 0
    for position in itertools.product(*(range(o) for o in spec.output_size)):
        total += 1
        reads = _window(spec, position)
        written = position if spec.ndim == 2 else (0, *position)
        if set(reads) <= drawn_in and written in drawn_out:  # a window drawn whole
            frames.append(Frame(len(frames), written, tuple(reads)))
    height = top + max(source.drawn()[0], kernel[0], output.drawn()[0]) + 1.5
    whole = f"; {len(frames)} of {total} windows drawn whole" if len(frames) < total else ""
    text = _stride_note(spec) + whole
    note = Note(0, height - 0.4, text, text)
    return Figure("sliding", spec.describe(), _width(ox + output.drawn()[1], note), height, tuple(grids),
                  (note,), tuple(frames))


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


def _labelled(prefix: str, shape: Sequence[int]) -> np.ndarray:
    """An array of symbols that name their own position (``x:0,1,2``): evaluated by the algebra,
    each entry says where it came from (:func:`_origin`)."""
    out = np.empty(tuple(shape), dtype=object)
    for at in np.ndindex(*out.shape):
        out[at] = sp.Symbol(f"{prefix}:" + ",".join(map(str, at)))
    return out


def _labels(shape: tuple[int, int], label: object) -> np.ndarray:
    """``label(index)`` of every position of ``shape``, as an object array."""
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        out[index] = label((int(index[0]), int(index[1])))  # type: ignore[operator]
    return out


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


def _backward(spec: ConvSpec, lang: str) -> Figure:
    """The picture of the input gradient's closed form: the error zero-inserted by the stride and
    padded by ``k' − 1`` on every side, beside the dilated kernel turned by 180 degrees.

    Both are the algebra's closed-form steps (``delta_full`` or its parts, ``kernel_rot180``)
    evaluated on labelled entries, so every cell shows where the error's entry or the tap lands.
    """
    titles = TITLES[lang]
    forms = cfs.closed_forms(spec)
    amounts = cfs.amounts(spec)
    bound = {DELTA: _labelled("e", (1, *spec.output_size)), W: _labelled("k", (1, 1, *spec.kernel))}
    error_expr = forms.step("delta_full") or forms.step("delta_dilated") or DELTA
    errors = _plane_of(ev.evaluate(error_expr, spec, bound, amounts).data)
    turned = _plane_of(ev.evaluate(forms.step("kernel_rot180") or W, spec, bound, amounts).data)
    margin = tuple(k - 1 for k in spec.effective_kernel) if forms.step("delta_full") is not None \
        else (0,) * spec.ndim
    margin = (0, *margin) if spec.ndim == 1 else margin
    core = _plane([s * (o - 1) + 1 for s, o in zip(spec.strides, spec.output_size)])

    def error_cell(index: tuple[int, int]) -> tuple[str, str, str]:
        entry = errors[index]
        if isinstance(entry, sp.Symbol):
            return "error", "δ", _sub(_origin(entry)[1:])  # after its channel
        inside = all(m <= i < m + c for i, m, c in zip(index, margin, core))
        return ("inserted" if inside else "padding"), "0", ""

    def kernel_cell(index: tuple[int, int]) -> tuple[str, str, str]:
        entry = turned[index]
        if not isinstance(entry, sp.Symbol):
            return "hole", "0", ""
        return "kernel", "k", _sub(_origin(entry)[2:])  # after its two channels

    top = TITLE
    shape_e: tuple[int, int] = (int(errors.shape[0]), int(errors.shape[1]))
    shape_k: tuple[int, int] = (int(turned.shape[0]), int(turned.shape[1]))
    # beyond MAX_SIDE cells a side, the first and last rows and columns, gap cells between
    error_grid = _matrix("error", titles["error"], _labels(shape_e, error_cell), 0, top,
                         max_side=MAX_SIDE)
    kx = error_grid.drawn()[1] + GAP
    kernel_grid = _matrix("turned", titles["turned"], _labels(shape_k, kernel_cell), kx, top,
                          max_side=MAX_SIDE)
    grids = [error_grid, kernel_grid]
    height = top + max(error_grid.drawn()[0], kernel_grid.drawn()[0]) + 1.5
    # the layer's closed form, as the algebra states it, under the picture it draws
    names = {"x": "X", "W": "W", "b": "b"}
    closed_text = plain_text(forms.grad_input, tensor_names={**names, "delta": "δ"})
    text = f"∂J/∂X = {closed_text}; {_stride_note(spec)}"
    closed = note_latex(forms.grad_input, tensor_names={**names, "delta": r"\delta"})
    tex = rf"$\partial J/\partial X = {closed}$; {_stride_note(spec)}"
    note = Note(0, height - 0.4, text, tex)
    width = _width(kx + kernel_grid.drawn()[1], note)
    return Figure("backward", spec.describe(), width, height, tuple(grids), (note,))


# Titles TeX writes with math.
TEX_TITLES = {
    "X̂": r"$\hat{X}$", "K̂": r"$\hat{K}$", "Ŷ = X̂ K̂": r"$\hat{Y} = \hat{X} \hat{K}$",
}

MAX_MATRIX = 12
"""The most rows or columns a matrix of the unrolled form draws; beyond, its first and last ones."""


def _matrix(
    name: str, title: str, labels: np.ndarray, x: float, y: float,
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
    x = _labelled("x", (spec.in_channels, *spec.sizes))
    w = _labelled("k", (spec.out_channels, spec.group_in, *spec.kernel))
    x_hat, k_hat = unrolled.im2col(spec, x), unrolled.kernel_matrix(spec, w)
    positions = x_hat.shape[0]
    row = positions // 2 if positions <= MAX_MATRIX else 1  # a window in the middle, or one that shows
    window = list(itertools.product(*(range(o) for o in spec.output_size)))[row]
    channel_sub = spec.in_channels > 1 or spec.out_channels > 1

    def label(entry: object, letter: str) -> tuple[str, str, str]:
        if not isinstance(entry, sp.Symbol):
            return "padding", "0", ""
        at = _origin(entry)
        channels, place = (at[:1], at[1:]) if letter == "x" else (at[:2], at[2:])
        sub = (",".join(str(c + 1) for c in channels) + "," if channel_sub else "") + _sub(place)
        return ("input" if letter == "x" else "kernel"), letter, sub

    reads = {at: "read" for at in _window(spec, window)}
    top = TITLE
    grids = [_matrix("input", titles["input"], _labels(padded, _padded_input(spec)), 0, top, reads,
                     max_side=MAX_SIDE)]
    x_labels = np.empty(x_hat.shape, dtype=object)
    for at in np.ndindex(*x_hat.shape):
        x_labels[at] = label(x_hat[at], "x")
    marked: dict[tuple[int, ...], str] = {(row, c): "read" for c in range(x_hat.shape[1])}
    xx = grids[0].drawn()[1] + GAP
    grids.append(_matrix("x_hat", titles["x_hat"], x_labels, xx, top, marked))
    k_labels = np.empty(k_hat.shape, dtype=object)
    for at in np.ndindex(*k_hat.shape):
        role, base, sub = label(k_hat[at], "k")
        k_labels[at] = ("hole", "0", "") if role == "padding" else (role, base, sub)
    kx = xx + grids[-1].drawn()[1] + GAP
    grids.append(_matrix("k_hat", titles["k_hat"], k_labels, kx, top))
    y_labels = np.empty((positions, spec.out_channels), dtype=object)
    for r, place in enumerate(itertools.product(*(range(o) for o in spec.output_size))):
        for o in range(spec.out_channels):
            sub = (f"{o + 1}," if channel_sub else "") + _sub(place)
            y_labels[r, o] = ("output", "y", sub)
    yx = kx + grids[-1].drawn()[1] + GAP
    grids.append(_matrix("y_hat", titles["y_hat"], y_labels, yx, top,
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


def _map(name: str, title: str, shape: tuple[int, int], x: float, y: float, role: str, base: str,
         channel: str) -> Grid:
    """One feature map or kernel as a small grid in its group's colour, labelled while it is small."""
    small = shape[0] * shape[1] <= 16

    def label(index: tuple[int, int]) -> tuple[str, str, str]:
        if not small:
            return role, "", ""
        if shape == (1, 1):  # a 1 × 1 kernel: its channels are its name
            return role, base, channel
        place = index[1:] if shape[0] == 1 else index
        return role, base, f"{channel}," + _sub(place)

    return Grid(name, title, title, x, y, shape[0], shape[1], _cells(name, shape, x, y, label))


def _maps_check(spec: ConvSpec) -> None:
    _side_check("input", _plane(spec.sizes))


def _gap(name: str, x: float, y: float) -> Grid:
    """The mark where channels are left out: one gap cell holding ⋮."""
    return Grid(name, "", "", x, y, 1, 1, (Cell(name, (-1, -1), x, y, "gap", "⋮"),))


def _column(name: str, heading: str, slots: list[int | None], shape: tuple[int, int], x: float,
            group_of: Callable[[int], int], letter: str) -> list[Grid]:
    """One map per channel slot, top to bottom, in its group's colour; a ⋮ where channels are left out."""
    grids = []
    for slot, channel in enumerate(slots):
        y = TITLE + slot * (shape[0] + 1)
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
    grids: list[Grid] = []
    top = TITLE
    x = x0
    ins, outs, withins = (_slots(count, MAX_MAPS) for count in (spec.in_channels, spec.out_channels,
                                                                spec.group_in))
    if inputs:
        grids += _column(names[0], titles[headings[0]], ins, n, x, spec.group_of_input, letters[0])
        x += n[1] + GAP
    kx = x
    for slot, o in enumerate(outs):
        y = top + slot * (k[0] + 1)
        if o is None:
            grids.append(_gap("kernel:gap", kx, y))
            continue
        for column, within in enumerate(withins):
            kernel_x = kx + column * (k[1] + 0.5)
            if within is None:
                grids.append(_gap(f"kernel:{o},gap", kernel_x, y))
                continue
            heading = titles[headings[1]] if slot == 0 and column == 0 else ""
            grids.append(_map(f"kernel:{o},{within}", heading, k, kernel_x, y,
                              _group_role(spec.group_of_output(o)), letters[1], f"{o + 1},{within + 1}"))
    ox = kx + len(withins) * (k[1] + 0.5) - 0.5 + GAP
    grids += _column(names[2], titles[headings[2]], outs, out, ox, spec.group_of_output, letters[2])
    height = top + max(len(ins) * (n[0] + 1) if inputs else 0, len(outs) * (k[0] + 1),
                       len(outs) * (out[0] + 1)) + 0.5
    return grids, ox + out[1], height


def _groups_note(spec: ConvSpec) -> str:
    return (f"{spec.groups} group{'s' if spec.groups > 1 else ''}: output channel o reads input channels "
            f"{spec.group_in} at a time, from c0(o) = floor(o / {spec.group_out}) * {spec.group_in}")


def _conv(spec: ConvSpec, lang: str) -> Figure:
    """The note's first picture: the input maps, C_out rows of C_in/g kernels, the output maps."""
    _maps_check(spec)
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
    _maps_check(spec)
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


def _groups(spec: ConvSpec, lang: str) -> Figure:
    """Which output channel reads which input channel: a cell W_{o,c'} where o's group holds c."""
    titles = TITLES[lang]
    shape = (spec.out_channels, spec.in_channels)
    if max(shape) > 2 * MAX_SIDE:
        raise FigureError(f"a groups figure draws at most {2 * MAX_SIDE} channels a side: use fewer channels")
    top = TITLE + 1.2  # under the row of input channels

    def label(index: tuple[int, int]) -> tuple[str, str, str]:
        o, c = index
        if c in range(spec.first_input_channel(o), spec.first_input_channel(o) + spec.group_in):
            return _group_role(spec.group_of_output(o)), "W", f"{o + 1},{c - spec.first_input_channel(o) + 1}"
        return "hole", "", ""

    grid = Grid("groups", titles["groups"], titles["groups"], 1.5, top, *shape,
                _cells("groups", shape, 1.5, top, label))
    inputs = Grid("in_axis", titles["in_axis"], titles["in_axis"], 1.5, TITLE, 1, shape[1],
                  _cells("in_axis", (1, shape[1]), 1.5, TITLE, lambda i: ("gap", "c", str(i[1] + 1))))
    outputs = Grid("out_axis", "", "", 0.3, top, shape[0], 1,
                   _cells("out_axis", (shape[0], 1), 0.3, top, lambda i: ("gap", "o", str(i[0] + 1))))
    height = top + shape[0] + 1.5
    note = Note(0, height - 0.4, _groups_note(spec), _groups_note(spec))
    return Figure("groups", spec.describe(), _width(1.5 + shape[1], note), height, (inputs, grid, outputs),
                  (note,))


def _plane_of(data: np.ndarray) -> np.ndarray:
    """One channel's spatial array as rows × columns (a 1-D one as one row)."""
    while data.ndim > 2 and data.shape[0] == 1:
        data = data[0]
    return data.reshape(1, -1) if data.ndim == 1 else data


def _origin(entry: sp.Symbol) -> tuple[int, ...]:
    """The position a labelled entry came from (``e:1,2`` → (1, 2))."""
    return tuple(int(v) for v in entry.name.split(":")[1].split(","))


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
        (rows, cols), (_, out_cols) = source.drawn(), out.drawn()
        oy = source.y + rows + 0.6
        ox = x + (cols - out_cols) / 2
        cells = tuple(Cell(f"output@{frame.number}", c.index, ox + c.x - out.x, oy + c.y - out.y,
                           "written" if c.index == frame.output else c.role, c.base, c.sub)
                      for c in out.cells)
        grids.append(Grid(f"output@{frame.number}", "", "", ox, oy, out.rows, out.cols, cells))
        x += cols + 1.0
    height = source.y + rows + 0.6 + out.drawn()[0] + 1.5
    notes = (Note(0, height - 0.4, fig.notes[0].text, fig.notes[0].tex),) if fig.notes else ()
    return Figure("sliding-strip", fig.layer, x - 1.0, height, tuple(grids), notes, (),
                  len(frames) - len(shown))
