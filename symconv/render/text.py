"""Plain-text rendering of a Derivation, for the terminal (``symconv derive --format text``).

It only lays out what the Derivation and its ConvSpec already hold: the spec
line, the size arithmetic with its numbers filled in, the tensors as aligned
matrices (one per channel, one per depth slice in 3-D), the im2col matrices
and, on request, the gradients and the proof. Large matrices and long lists
are elided the same way everywhere: the first and last rows / columns / lines
stay, ``…`` / ``⋮`` / ``⋱`` mark the gap, and a line says how much was left
out. Nothing is ever cut silently.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sympy.printing.str import StrPrinter

from symconv.render.elide import keep, plan_slices, window
from symconv.spec import ConvSpec
from symconv.symbolic import Derivation
from symconv.symbolic.separable import SeparableDerivation

Progress = Callable[[str], None]

DEFAULT_MAX_ENTRIES = 400

# Names of the spatial axes per number of dimensions, used in shape captions.
_SPATIAL_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
_ELIDED_HINT = "--max-entries 0 shows everything"


@dataclass
class _Doc:
    """The lines being written, and how many entries were elided so far."""

    max_entries: int
    lines: list[str] = field(default_factory=list)
    elided: int = 0

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def text(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"


def _noop(_: str) -> None:
    """A progress callback that reports nothing."""


# -- public entry points ---------------------------------------------------------------


def render_text(
    d: Derivation,
    *,
    backward: bool = False,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    progress: Progress | None = None,
) -> str:
    """The derivation as readable text: spec, sizes, X, W, b, Y, X̂, K̂, Ŷ (and the backward pass).

    ``max_entries`` is the most entries a matrix or list shows before it is
    elided (0: never elide). ``progress`` is called with a short note before
    each slow stage.

    Example:
        >>> from symconv import ConvSpec, derive
        >>> text = render_text(derive(ConvSpec(input_size=3, kernel_size=2)))
        >>> print(text.splitlines()[0])
        Conv2d 1→1, input 3, kernel 2, stride 1, padding 0, dilation 1
        >>> "[ x_{11}  x_{12}  x_{21}  x_{22} ]" in text
        True
    """
    doc = _Doc(max_entries)
    _derivation(doc, d, backward, progress or _noop)
    _closing_note(doc)
    return doc.text()


def render_separable_text(
    sd: SeparableDerivation,
    *,
    backward: bool = False,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    progress: Progress | None = None,
) -> str:
    """A depthwise-separable layer: counts beside the plain convolution, both stages, the composite.

    Example:
        >>> from symconv import ConvSpec
        >>> from symconv.symbolic.separable import derive_separable
        >>> sd = derive_separable(ConvSpec(input_size=4, in_channels=2, out_channels=3))
        >>> print(render_separable_text(sd).splitlines()[5])
          parameters        29 = 20 + 9        57             0.509
    """
    doc = _Doc(max_entries)
    say = progress or _noop
    c = sd.counts
    doc.add(
        f"Depthwise-separable layer in place of: {sd.plain.describe()}",
        f"  stage 1, depthwise: {sd.depthwise.spec.describe()}",
        f"  stage 2, pointwise: {sd.pointwise.spec.describe()}",
        "",
        f"  {'':<18}{'separable':<22}{'plain':<14}separable/plain",
        f"  {'parameters':<18}{_sum(c.depthwise_params, c.pointwise_params, c.params):<22}"
        f"{c.plain_params:<14}{c.params_ratio:.3g}",
        f"  {'MACs per sample':<18}{_sum(c.depthwise_macs, c.pointwise_macs, c.macs):<22}"
        f"{c.plain_macs:<14}{c.macs_ratio:.3g}",
    )
    stages = (("depthwise, one kernel per channel", sd.depthwise), ("pointwise, 1×1", sd.pointwise))
    for number, (title, stage) in enumerate(stages, start=1):
        doc.add("", f"════ Stage {number}: {title} ════", "")
        _derivation(doc, stage, backward, say)
    doc.add("", "════ The composite: stage 2 applied to stage 1 ════", "")
    say("composing …")
    _heading(doc, "Y", "output in terms of the input and both stages' weights",
             ("C_out", *(f"{a}_out" for a in _SPATIAL_AXES[sd.plain.ndim])), sd.Y.shape)
    _equations(doc, sd.pointwise.Y_names, sd.Y)
    if backward:
        say("proving the composite …")
        doc.add("", f"Stage 1's upstream gradient {sd.depthwise.names.delta} = ∂J/∂{sd.pointwise.names.x} "
                "is stage 2's grad_input.",
                "Chained closed forms against differentiation of the composite:", str(sd.prove()))
    _closing_note(doc)
    return doc.text()


def _sum(first: int, second: int, total: int) -> str:
    return f"{total} = {first} + {second}"


# -- one derivation ----------------------------------------------------------------------


def _derivation(doc: _Doc, d: Derivation, backward: bool, progress: Progress) -> None:
    spec = d.spec
    doc.add(spec.describe(), "")
    _sizes(doc, spec)
    spatial = _SPATIAL_AXES[spec.ndim]
    kernel_axes = tuple(f"k{a}" for a in spatial)
    out_axes = tuple(f"{a}_out" for a in spatial)

    doc.add("")
    _heading(doc, "X", "input", ("C_in", *spatial), d.X.shape)
    _tensor(doc, "X", d.X, ("c",), spec.ndim)
    _heading(doc, "W", "weight", ("C_out", "C_in/groups", *kernel_axes), d.W.shape)
    _tensor(doc, "W", d.W, ("o", "c"), spec.ndim)
    if d.b is None:
        doc.add("b: none (no bias)", "")
    else:
        _heading(doc, "b", "bias", ("C_out",), d.b.shape)
        _grid(doc, _entries(d.b).reshape(1, -1), indent="  ")
        doc.add("")
    _heading(doc, "Y", "output, by the definition", ("C_out", *out_axes), d.Y.shape)
    _equations(doc, d.Y_names, d.Y)
    doc.add("")

    rows, cols = d.X_hat.shape
    doc.add(f"X̂: the input unrolled (im2col), one row per output position, one column per kernel "
            f"tap (channel-major), {rows}×{cols}")
    _matrix(doc, d.X_hat)
    rows, cols = d.K_hat.shape
    zeros = ", zero outside each output channel's group" if spec.groups > 1 else ""
    doc.add(f"K̂: the kernel unrolled, one row per tap, one column per output channel{zeros}, "
            f"{rows}×{cols}")
    _matrix(doc, d.K_hat)
    rows, cols = d.Y_hat.shape
    doc.add(f"Ŷ = X̂·K̂: one row per output position, one column per output channel (Y without the "
            f"bias), {rows}×{cols}")
    _matrix(doc, d.Y_hat)

    if backward:
        _backward(doc, d, out_axes, progress)


def _backward(doc: _Doc, d: Derivation, out_axes: tuple[str, ...], progress: Progress) -> None:
    progress("deriving the gradients …")
    doc.add("Backward pass: δ = ∂J/∂Y is given; the gradients follow by differentiating "
            "L = Σ δ ⊙ Y", "")
    _heading(doc, "delta", "∂J/∂Y", ("C_out", *out_axes), d.delta.shape)
    _tensor(doc, "delta", d.delta, ("o",), d.spec.ndim)
    doc.add("grad_input: ∂J/∂X, the shape of X")
    _equations(doc, d.X, d.grad_input, prefix="∂J/∂")
    doc.add("", "grad_weight: ∂J/∂W, the shape of W")
    _equations(doc, d.W, d.grad_weight, prefix="∂J/∂")
    if d.b is not None and d.grad_bias is not None:
        doc.add("", "grad_bias: ∂J/∂b, the shape of b")
        _equations(doc, d.b, d.grad_bias, prefix="∂J/∂")
    progress("proving …")
    doc.add("", "The closed forms (rot180, pad, dilate, conv) checked against differentiation:",
            str(d.prove()))


def _closing_note(doc: _Doc) -> None:
    if doc.elided:
        doc.add("", f"{doc.elided} entries were elided in all ({_ELIDED_HINT}).")


# -- sizes ----------------------------------------------------------------------------


def _sizes(doc: _Doc, spec: ConvSpec) -> None:
    k, s, d = spec.kernel, spec.strides, spec.dilations
    indent = " " * 20
    doc.add("Sizes")
    if not spec.has_input_size:
        doc.add(f"  input             open, {_count(spec.in_channels, 'channel')}")
    else:
        doc.add(f"  input             {spec.in_channels} × {_shape(spec.sizes)}   (C_in × spatial)")
        named = f"   ({spec.padding})" if isinstance(spec.padding, str) else ""
        before, after = _shape(spec.pad_before), _shape(spec.pad_after)
        doc.add(f"  padding           before {before}, after {after}{named}")
    doc.add(f"  effective kernel  {_shape(spec.effective_kernel)}   k + (k-1)·(d-1) per dimension")
    if spec.has_input_size:
        doc.add(f"  output            {spec.out_channels} × {_shape(spec.output_size)}   (C_out × spatial)",
                f"{indent}floor((n + p_before + p_after - d·(k-1) - 1)/s) + 1 per dimension:")
        for i, (n, a, b, o) in enumerate(zip(spec.sizes, spec.pad_before, spec.pad_after, spec.output_size)):
            doc.add(f"{indent}dim {i + 1}: floor(({n} + {a} + {b} - {d[i]}·({k[i]}-1) - 1)/{s[i]}) + 1 = {o}")
    bias = f" + {_count(spec.out_channels, 'bias', 'biases')}" if spec.bias else ""
    doc.add(f"  parameters        {spec.params} = {spec.out_channels}·{spec.group_in}·{spec.taps} weights "
            f"(C_out · C_in/groups · taps){bias}")
    if spec.has_input_size:
        positions = math.prod(spec.output_size)
        doc.add(f"  MACs              {spec.macs} per sample = {_count(positions, 'position')} · "
                f"{_count(spec.out_channels, 'output channel')} · {spec.group_in}·{spec.taps} "
                "(C_in/groups · taps)")


def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _shape(values: Sequence[int]) -> str:
    return "×".join(str(v) for v in values)


# -- tensors, matrices, equation lists -----------------------------------------------------


# SymPy's str printer, keeping terms and factors in SymPy's canonical argument order: the
# same order the default "lex" printing gives for these polynomials, at half the cost.
_PRINTER = StrPrinter({"order": "none"})


def _str(expr: Any) -> str:
    """One entry as text: ``b + k_{11}*x_{11} + …``."""
    return str(_PRINTER.doprint(expr))


def _heading(doc: _Doc, name: str, what: str, axes: Sequence[str], shape: Sequence[int]) -> None:
    doc.add(f"{name}: {what}, {_tuple(axes)} = {_tuple(str(n) for n in shape)}")


def _tuple(items: Iterable[str]) -> str:
    """``(a, b)``, and ``(a,)`` for one item, as Python writes shapes."""
    listed = list(items)
    return f"({listed[0]},)" if len(listed) == 1 else f"({', '.join(listed)})"


def _tensor(doc: _Doc, name: str, array: Any, lead: Sequence[str], ndim: int) -> None:
    """One labelled matrix per channel (and per depth slice in 3-D); the slices may be elided."""
    entries = _entries(array)
    axis_names = [*lead, "depth"] if ndim == 3 else list(lead)
    slices = list(np.ndindex(*entries.shape[: len(axis_names)]))
    per_slice = math.prod(entries.shape[len(axis_names):])
    shown, gap = plan_slices(len(slices), per_slice, doc.max_entries)
    for position, k in enumerate(shown):
        if gap is not None and position == gap:
            first, last = shown[gap - 1] + 1, k - 1
            hidden = last - first + 1
            doc.elided += hidden * per_slice
            doc.add("  ⋮", f"  ({hidden} slices {_label(name, axis_names, slices[first])} … "
                    f"{_label(name, axis_names, slices[last])} elided: {hidden * per_slice} entries)")
        doc.add(f"  {_label(name, axis_names, slices[k])}")
        block = entries[slices[k]]
        _grid(doc, block.reshape(1, -1) if ndim == 1 else block, indent="    ")
    doc.add("")


def _entries(array: Any) -> np.ndarray:
    """A SymPy Array as a NumPy object array of the same shape (cheap to slice)."""
    shape = tuple(array.shape)
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        out[index] = array[index]
    return out


def _label(name: str, axis_names: Sequence[str], index: tuple[int, ...]) -> str:
    return f"{name}[{', '.join(f'{a}={i + 1}' for a, i in zip(axis_names, index))}]"


def _matrix(doc: _Doc, matrix: Any) -> None:
    _grid(doc, matrix, indent="  ")
    doc.add("")


def _grid(doc: _Doc, matrix: Any, *, indent: str) -> None:
    """An aligned matrix ``[ a  b ]``, elided past ``max_entries`` with ``…``, ``⋮`` and ``⋱``.

    ``matrix`` is anything with a 2-D ``shape`` indexable by ``[i, j]`` (a SymPy
    Matrix, a 2-D object array); only the entries shown are printed.
    """
    rows, cols = matrix.shape
    shown = window(rows, cols, doc.max_entries)
    row_ids, row_gap, col_ids, col_gap = shown.rows, shown.row_gap, shown.cols, shown.col_gap
    table = [[_str(matrix[i, j]) for j in col_ids] for i in row_ids]
    if col_gap is not None:
        for line in table:
            line.insert(col_gap, "…")
    if row_gap is not None:
        filler = ["⋮"] * len(table[0])
        if col_gap is not None:
            filler[col_gap] = "⋱"
        table.insert(row_gap, filler)
    widths = [max(len(line[j]) for line in table) for j in range(len(table[0]))]
    for line in table:
        doc.add(f"{indent}[ " + "  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() + " ]")
    if row_gap is not None or col_gap is not None:
        hidden = shown.hidden
        doc.elided += hidden
        doc.add(f"{indent}({hidden} of {rows * cols} entries elided: showing {len(row_ids)} of {rows} "
                f"rows, {len(col_ids)} of {cols} columns)")


def _equations(doc: _Doc, names: Any, values: Any, prefix: str = "") -> None:
    """``name = value`` lines, row-major, ``=`` aligned, elided past ``max_entries`` with ``⋮``.

    ``names`` and ``values`` are arrays of one shape; only the lines shown are printed.
    """
    lhs, rhs = _entries(names).ravel(), _entries(values).ravel()
    count = len(lhs)
    shown, gap = keep(count, count if doc.max_entries == 0 else doc.max_entries)
    left = {i: prefix + _str(lhs[i]) for i in shown}
    width = max(len(text) for text in left.values())
    for position, i in enumerate(shown):
        if gap is not None and position == gap:
            hidden = count - len(shown)
            doc.elided += hidden
            doc.add("  ⋮", f"  ({hidden} of {count} equations elided)")
        doc.add(f"  {left[i].ljust(width)} = {_str(rhs[i])}")
