r"""The documents: a Derivation laid out as the model of :mod:`symconv.render.model`, in the note's order.

The builders here read a Derivation (or a SeparableDerivation) and lay it out
in the note's order, generalised to the spec:

1. the layer and its sizes (the formulas filled in per dimension);
2. the forward pass: X, K (the weight W), Y as matrices, each ``y`` as its sum;
3. the unrolled form X̂, K̂, Ŷ = X̂·K̂ with how rows and columns are laid out;
4. with ``backward``: the note's chain, δ^l as operators and step by step (the
   full convolution, zero insertion for the stride, the dilated kernel), the
   weight and bias gradients, and the outcome of :meth:`Derivation.prove`;
5. where the note is wrong, as far as it concerns this spec.

The builders do no mathematics: every expression, size and count is read from
the Derivation, its ClosedForm, its LayerChain or the ConvSpec; they only
choose what to show, as expressions and notation. Matrices, lists and sums too
large for ``max_entries`` or for a page are elided (the decision is taken here,
once, measuring the LaTeX with :mod:`symconv.render.typeset`, and stored in the
model), and a sentence counts what was left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np
import sympy as sp

from symconv.algebra import closed_forms as cfs
from symconv.algebra.operators import Conv, Hadamard, Rot180
from symconv.errors import RenderError
from symconv.render.elide import DEFAULT_MAX_ENTRIES, keep, plan_slices
from symconv.render.model import (
    Arg,
    Block,
    Code,
    Display,
    Document,
    Equation,
    Gap,
    Item,
    Math,
    Matrix,
    Section,
    Table,
    Text,
)
from symconv.render.notation import Concat, Named, Notation, Partial
from symconv.render.typeset import (
    DISPLAY_ROWS,
    EQUALS,
    LINE_WIDTH,
    PAGE_EQUATIONS,
    SUM_ROWS,
    matrix_window,
    sum_terms,
    tex,
    width,
)
from symconv.spec import ConvSpec
from symconv.symbolic import Derivation
from symconv.symbolic.chain import SIGMA
from symconv.symbolic.proof import Proof
from symconv.symbolic.separable import SeparableDerivation
from symconv.symbolic.tensors import from_array

Progress = Callable[[str], None]
AnyDerivation = Union[Derivation, SeparableDerivation]

# -- small helpers: prose arguments and notation ---------------------------------------------------


def say(key: str, **args: object) -> Text:
    """A :class:`Text` with its arguments, in a fixed order (numbers as strings)."""
    def arg(value: object) -> Arg:
        return value if isinstance(value, (Math, Code)) else str(value)

    return Text(key, tuple(sorted((name, arg(value)) for name, value in args.items())))


def m(expr: Any) -> Math:
    """Inline math: an expression, or notation given as LaTeX (``str``)."""
    return Math(side(expr))


def code(text: str) -> Code:
    """A code span."""
    return Code(text)


def side(value: Any) -> Any:
    """A side of an equation: notation for LaTeX given as ``str``, an Integer for ``int``, else as it is."""
    if isinstance(value, str):
        return Notation(value)
    if isinstance(value, int):
        return sp.Integer(value)
    return value


_RELATIONS = {"=": "=", r"\neq": "!=", r"\colon": ":"}


def eq(*parts: Any) -> Equation:
    r"""``eq(a, "=", b, r"\neq", c)``: sides and the relations between them (LaTeX's names)."""
    sides = tuple(side(p) for p in parts[::2])
    return Equation(sides, tuple(_RELATIONS[r] for r in parts[1::2]))




def _lhs_width(sides: Sequence[Any]) -> float:
    """The width of ``a = b = `` before a matrix, in points."""
    return width(" = ".join(tex(side(s)) for s in sides)) + EQUALS


# -- the writer: sections, blocks, and the elision decisions ------------------------------------


@dataclass
class _Writer:
    """Collects sections and blocks, decides what shows, counts elided entries and the widest matrix."""

    max_entries: int
    progress: Progress
    sections: list[Section] = field(default_factory=list)
    elided: int = 0
    terms: int = 0
    columns: int = 0
    _title: Text | None = None
    _level: int = 1
    _blocks: list[Block] = field(default_factory=list)

    def section(self, level: int, key: str, **args: object) -> None:
        self._close()
        self._title, self._level = say(key, **args), level

    def _close(self) -> None:
        if self._title is not None:
            self.sections.append(Section(self._title, self._level, tuple(self._blocks)))
        self._title, self._blocks = None, []

    def finish(self) -> tuple[Section, ...]:
        self._close()
        return tuple(self.sections)

    def text(self, key: str, **args: object) -> None:
        self._blocks.append(say(key, **args))

    def math(self, *items: Item, kind: str = "equation") -> None:
        self._blocks.append(Display(kind, tuple(items)))

    def table(self, header: Sequence[Text], rows: Sequence[Sequence[Text | Math]], align: str) -> None:
        self._blocks.append(Table(tuple(header), tuple(tuple(r) for r in rows), align))

    def window(self, lhs: Sequence[Any], entries: np.ndarray) -> tuple[Matrix, float]:
        """The matrix for ``lhs = (…)``, elided past ``max_entries`` and the line, and its width."""
        shown, estimated = matrix_window(entries, self.max_entries, budget=LINE_WIDTH - _lhs_width(lhs))
        self.columns = max(self.columns, len(shown.cols) + (shown.col_gap is not None))
        return Matrix(entries, shown), estimated

    def matrix(self, lhs: Sequence[Any], entries: np.ndarray) -> None:
        """One displayed ``lhs = (matrix)``, and a sentence when entries were left out."""
        self.show(lhs, self.window(lhs, entries)[0])

    def show(self, lhs: Sequence[Any], matrix: Matrix) -> None:
        """Display ``lhs = (matrix)`` for a matrix made by :meth:`window`; count what it leaves out."""
        shown = matrix.shown
        sides = tuple(side(s) for s in lhs)
        self.math(Equation((*sides, matrix), ("=",) * len(sides)))
        if matrix.hidden:
            self.elided += matrix.hidden
            rows, cols = shown.shape
            self.text(
                "elided_matrix", name=m(sides[0]), hidden=matrix.hidden, total=rows * cols,
                rows=len(shown.rows), all_rows=rows, cols=len(shown.cols), all_cols=cols,
            )

    def tensor(self, tensor: np.ndarray, lead: int, label: Callable[[tuple[int, ...]], Any]) -> None:
        """One labelled matrix per leading index (channels; in 3-D also depth), side by side.

        ``lead`` axes (plus the depth axis of a 3-D tensor) pick a slice; the
        rest is its matrix (a 1-D slice is one row). Slices beyond
        ``max_entries`` are left out (a :class:`Gap`); a sentence counts them.
        """
        slice_axes = lead + (1 if tensor.ndim - lead == 3 else 0)
        slices = list(np.ndindex(*tensor.shape[:slice_axes]))
        per_slice = math.prod(tensor.shape[slice_axes:])
        shown, gap = plan_slices(len(slices), per_slice, self.max_entries)
        items: list[Item] = []
        hidden = 0
        for position, k in enumerate(shown):
            if gap is not None and position == gap:
                items.append(Gap())
                hidden += (k - shown[gap - 1] - 1) * per_slice
            block = tensor[slices[k]]
            block = block.reshape(1, -1) if block.ndim == 1 else block
            name = side(label(slices[k]))
            matrix, _ = self.window([name], block)
            hidden += matrix.hidden
            items.append(Equation((name, matrix), ("=",)))
        self.math(*items, kind="gather")
        if hidden:
            self.elided += hidden
            self.text("elided_gallery", hidden=hidden, total=tensor.size)

    def equations(self, lhs: Sequence[Any], rhs: Callable[[int], Any]) -> None:
        """``lhs_i = rhs(i)`` aligned, long sums cut, the middle elided past ``max_entries``.

        A document also keeps a list to :data:`PAGE_EQUATIONS` equations unless
        ``max_entries`` is 0 (everything).
        """
        count = len(lhs)
        shown, gap = keep(count, count if self.max_entries == 0 else min(self.max_entries, PAGE_EQUATIONS))
        items: list[Item] = []
        rows = 0
        terms = 0
        for position, i in enumerate(shown):
            more: list[Item] = [Gap()] if gap is not None and position == gap else []
            left, right = side(lhs[i]), rhs(i)
            cut, height = sum_terms(tex(left), right, SUM_ROWS if self.max_entries else 0)
            more.append(Equation((left, right), ("=",), cut))
            terms += cut.hidden if cut else 0
            height += len(more) - 1
            if items and rows + height > DISPLAY_ROWS:
                self.math(*items, kind="align")
                items, rows = [], 0
            items += more
            rows += height
        self.math(*items, kind="align")
        if gap is not None:
            self.elided += count - len(shown)
            self.text("elided_equations", hidden=count - len(shown), total=count)
        if terms:
            self.terms += terms
            self.text("elided_terms", hidden=terms, rows=SUM_ROWS)


# -- small pieces of notation ---------------------------------------------------------------------------


def _size(values: Sequence[int]) -> str:
    """``3 \\times 3`` (``3`` in 1-D)."""
    return r" \times ".join(str(v) for v in values)


def _tuple(values: Sequence[int]) -> str:
    return str(values[0]) if len(values) == 1 else "(" + ", ".join(str(v) for v in values) + ")"


def _entries(array: object) -> np.ndarray:
    """A SymPy Array, or an object array, as an object array."""
    return array if isinstance(array, np.ndarray) else from_array(array)


def _label(base: str, lead: Sequence[int], depth: int | None = None) -> Notation:
    """``X``, ``X_{2}``, ``K_{1,2}``, and in 3-D ``X_{2}(1,\\cdot,\\cdot)`` (1-based)."""
    name = base + ("_{" + ",".join(str(i + 1) for i in lead) + "}" if lead else "")
    return Notation(name + (rf"({depth + 1},\cdot,\cdot)" if depth is not None else ""))


def _slice_label(base: str, lead: int, show: bool, ndim: int) -> Callable[[tuple[int, ...]], Notation]:
    """A label function for :meth:`_Writer.tensor`: channel subscripts only when ``show``."""

    def label(index: tuple[int, ...]) -> Notation:
        depth = index[lead] if ndim == 3 else None
        return _label(base, index[:lead] if show else (), depth)

    return label


def _grid(matrix: sp.MatrixBase) -> np.ndarray:
    """A SymPy matrix as a 2-D object array."""
    out = np.empty(matrix.shape, dtype=object)
    for i, j in np.ndindex(*matrix.shape):
        out[i, j] = matrix[i, j]
    return out


def _sym(name: str) -> sp.Symbol:
    return sp.Symbol(name)


# -- what the symbols are called in one derivation ----------------------------------------------


@dataclass(frozen=True)
class _Names:
    """LaTeX names of one derivation's tensors (X, K, Y; or the stages' X, K, M and M, W, Y)."""

    X: str
    K: str
    Y: str
    delta: str  # the upstream gradient's letter: \delta or \varepsilon
    upstream: str  # its name in the operator formulas: delta^{l+1} in the chain, else the letter
    input: str  # the input in the operator formulas: a^{l} in the chain, else X
    weight: str  # the weight in the operator formulas: W^{l+1} in the chain, else K
    bias: str  # the bias's letter
    chain: bool  # whether the note's chain (σ, layers l and l+1) is written out

    @classmethod
    def of(cls, d: Derivation, chain: bool) -> _Names:
        n = d.names
        X, K, Y = n.x.upper(), n.w.upper(), n.y.upper()
        if chain:
            return cls(X, K, Y, tex(_sym(n.delta)), "delta^{l+1}", "a^{l}", "W^{l+1}", n.b, True)
        return cls(X, K, Y, tex(_sym(n.delta)), n.delta, X, K, n.b, False)

    def args(self) -> dict[str, Math]:
        """The names as prose arguments (inline math)."""
        return {
            "X": m(self.X), "K": m(self.K), "Y": m(self.Y), "X_hat": m(rf"\hat{{{self.X}}}"),
            "K_hat": m(rf"\hat{{{self.K}}}"), "Y_hat": m(rf"\hat{{{self.Y}}}"), "delta": m(self.delta),
        }


# -- 1. the layer and its sizes ---------------------------------------------------------------------


def _sizes(w: _Writer, spec: ConvSpec, level: int) -> None:
    w.section(level, "sizes_title")
    k, s, dil = spec.kernel, spec.strides, spec.dilations
    items = [
        eq(r"C_{\mathrm{in}}", "=", spec.in_channels), eq(r"C_{\mathrm{out}}", "=", spec.out_channels),
        eq("g", "=", spec.groups), eq("n", "=", _size(spec.sizes)), eq("k", "=", _size(k)),
        eq("s", "=", _size(s)),
    ]
    before, after = spec.pad_before, spec.pad_after
    if isinstance(spec.padding, str):
        items.append(eq("p", "=", rf"\mathrm{{{spec.padding}}}"))
    if before == after:
        items.append(eq("p", "=", _size(before)))
    else:
        items += [eq(r"p_{\mathrm{b}}", "=", _size(before)), eq(r"p_{\mathrm{a}}", "=", _size(after))]
    items.append(eq("d", "=", _size(dil)))
    w.text("sizes_intro" if spec.bias else "sizes_intro_no_bias", dims=spec.ndim)
    w.math(*items, kind="gather")

    symmetric = before == after
    numerator = r"n + 2p - d(k-1) - 1" if symmetric else r"n + p_{\mathrm{b}} + p_{\mathrm{a}} - d(k-1) - 1"

    def sub(i: int) -> str:
        """The dimension's subscript; none in 1-D."""
        return f"_{{{i + 1}}}" if spec.ndim > 1 else ""

    rows = [eq("n'", "=", rf"\left\lfloor \frac{{{numerator}}}{{s}} \right\rfloor + 1")]
    for i, (n, out) in enumerate(zip(spec.sizes, spec.output_size)):
        pad = rf"2 \cdot {before[i]}" if symmetric else f"{before[i]} + {after[i]}"
        filled = rf"{n} + {pad} - {dil[i]} \cdot ({k[i]} - 1) - 1"
        floor = rf"\left\lfloor \frac{{{filled}}}{{{s[i]}}} \right\rfloor + 1"
        rows.append(eq(f"n'{sub(i)}", "=", floor, "=", out))
    w.text("output_size" if symmetric else "output_size_asymmetric")
    w.math(*rows, kind="align")

    rows = [eq("k'", "=", "k + (k - 1)(d - 1)")]
    for i, span in enumerate(spec.effective_kernel):
        rows.append(eq(f"k'{sub(i)}", "=", f"{k[i]} + ({k[i]} - 1)({dil[i]} - 1)", "=", span))
    w.text("effective_kernel")
    w.math(*rows, kind="align")

    taps = " ".join(f"k{sub(i)}" for i in range(spec.ndim))
    positions = " ".join(f"n'{sub(i)}" for i in range(spec.ndim))
    kernel = r" \cdot ".join(str(v) for v in k)
    outs = r" \cdot ".join(str(v) for v in spec.output_size)
    c_in, c_out = r"\frac{C_{\mathrm{in}}}{g}", r"C_{\mathrm{out}}"
    bias, bias_n = (rf" + {c_out}", f" + {spec.out_channels}") if spec.bias else ("", "")
    w.text("counts" if spec.bias else "counts_no_bias")
    w.math(
        eq(r"\mathrm{params}", "=", rf"{c_out} \cdot {c_in} \cdot {taps}{bias}",
           "=", rf"{spec.out_channels} \cdot {spec.group_in} \cdot {kernel}{bias_n}", "=", spec.params),
        eq(r"\mathrm{MACs}", "=", rf"{positions} \cdot {c_out} \cdot {c_in} \cdot {taps}",
           "=", rf"{outs} \cdot {spec.out_channels} \cdot {spec.group_in} \cdot {kernel}", "=", spec.macs),
        kind="align",
    )


# -- 2. the forward pass ------------------------------------------------------------------------------


def _forward(w: _Writer, d: Derivation, names: _Names, level: int) -> None:
    spec = d.spec
    w.section(level, "forward_title")
    b = rf"{names.bias}_{{o}} + " if spec.bias else ""
    x, k, y = d.names.x, d.names.w, d.names.y
    w.text("forward_definition", **names.args())
    w.math(eq(
        rf"{y}_{{o,i}}", "=",
        rf"{b}\sum_{{c}} \sum_{{u}} {k}_{{o,c,u}} \, \tilde{{{x}}}_{{c',\,(i-1)s + (u-1)d + 1}}",
    ))
    w.text("forward_where")

    ndim = spec.ndim
    w.text("input_matrices" if ndim != 3 else "input_matrices_3d", **names.args())
    w.tensor(_entries(d.X), 1, _slice_label(names.X, 1, spec.in_channels > 1, ndim))
    show_w = spec.out_channels > 1 or spec.group_in > 1
    w.text("kernel_matrices" if spec.groups == 1 else "kernel_matrices_groups", **names.args())
    w.tensor(_entries(d.W), 2, _slice_label(names.K, 2, show_w, ndim))
    if d.b is None:
        w.text("no_bias")
    elif spec.out_channels > 1:
        bias = _entries(d.b)
        w.text("bias_vector")
        w.matrix([names.bias], bias.reshape(1, -1))
    w.text("output_matrices", **names.args())
    w.tensor(_entries(d.Y_names), 1, _slice_label(names.Y, 1, spec.out_channels > 1, ndim))
    lhs = list(_entries(d.Y_names).ravel())
    rhs = _entries(d.Y).ravel()
    w.text("output_sums" if spec.bias else "output_sums_no_bias", **names.args())
    w.equations(lhs, lambda i: rhs[i])


# -- 3. the unrolled form -------------------------------------------------------------------------------


def _unrolled(w: _Writer, d: Derivation, names: _Names, level: int) -> None:
    spec = d.spec
    args = names.args()
    x_hat, k_hat, y_hat = (rf"\hat{{{n}}}" for n in (names.X, names.K, names.Y))
    w.section(level, "unrolled_title", relation=m(f"{y_hat} = {x_hat} {k_hat}"))
    w.progress("unrolling …")
    w.text("unrolled_rows", positions=math.prod(spec.output_size), **args)
    w.text("unrolled_columns", channels=spec.in_channels, taps=spec.taps, **args)
    if spec.groups > 1:
        w.text("unrolled_groups", groups=spec.groups, group_in=spec.group_in, **args)
    w.matrix([x_hat], _grid(d.X_hat))
    w.matrix([k_hat], _grid(d.K_hat))
    lhs = [y_hat, f"{x_hat} {k_hat}"]
    product, estimated = w.window(lhs, _grid(d.Y_hat))
    if _lhs_width(lhs) + estimated <= LINE_WIDTH:
        w.text("unrolled_product", **args)
        w.show(lhs, product)
        return
    # The sums are too wide for a matrix: name them by the outputs (written out above).
    outputs = _entries(d.Y_names).reshape(spec.out_channels, -1).T
    if d.b is not None:
        bias = _entries(d.b)
        for (i, j), y in np.ndenumerate(outputs.copy()):
            outputs[i, j] = sp.Add(y, -bias[j], evaluate=False)
    w.text("unrolled_product_by_name" if d.b is not None else "unrolled_product_by_name_no_bias", **args)
    w.matrix(lhs, outputs)


# -- 4. the backward pass ---------------------------------------------------------------------------------


def _multi(spec: ConvSpec) -> bool:
    return spec.in_channels > 1 or spec.out_channels > 1


def _formula(expr: sp.Expr, spec: ConvSpec, names: _Names, channels: bool | None = None) -> Named:
    """An expression of the algebra, the layer's tensors under this document's names."""
    tensor_names = {"x": names.input, "W": names.weight, "delta": names.upstream, "b": names.bias}
    multi = _multi(spec) if channels is None else channels
    return Named.of(expr, {k: _sym(v) for k, v in tensor_names.items()}, channels=multi)


def _amount_values(exprs: Sequence[sp.Expr], forms: cfs.ClosedForms) -> Concat:
    r"""``k' = 3,\; s = 2, …``: the value of every amount symbol the expressions use, in a fixed order."""
    used = set().union(*(e.free_symbols for e in exprs))
    values = []
    for symbol, amount in forms.amounts.items():
        if symbol in used:
            values.append(Concat((symbol, Notation(_tuple(amount))), Notation(" = ")))
    return Concat(tuple(values), Notation(r",\; ", ", "))


def _backward(w: _Writer, d: Derivation, names: _Names, level: int) -> None:
    spec = d.spec
    multi = _multi(spec)
    w.progress("deriving the gradients …")
    cf = d.closed_form
    forms = cf.forms
    args = names.args()
    stride, dilation, padding = spec.is_strided, spec.is_dilated, spec.is_padded
    up_label = names.delta if not names.chain else r"\delta^{l+1}"
    ndim = spec.ndim

    if names.chain:
        w.section(level, "chain_title")
        w.text("chain_intro")
        w.math(
            eq("a^{l}", "=", r"\sigma(z^{l})"),
            eq("z^{l+1}", "=", r"a^{l} \ast W^{l+1} + b^{l+1}"),
            eq("J", "=", r"\frac{1}{2} \lVert a^{L} - t \rVert_{2}^{2}"),
            eq(r"\delta^{l}", "=", Partial(Notation("z^{l}"), fraction=True)),
            kind="align",
        )
        w.text("chain_layer", **args)
        w.text("chain_given", **args)
        w.tensor(_entries(d.delta), 1, _slice_label(up_label, 1, spec.out_channels > 1, ndim))
        w.section(level, "delta_title")
        note = Hadamard(Conv(_sym("delta^{l+1}"), Rot180(_sym("W^{l+1}")), 1, 1), sp.Derivative(
            SIGMA(_sym("z^{l}")), _sym("z^{l}")))
        w.text("delta_note")
        w.math(eq(r"\delta^{l}", "=", note))
    else:
        w.section(level, "stage_backward_title")
        given = m(Concat((Notation(names.delta), Partial(Notation(names.Y))), Notation(" = ")))
        w.text("stage_backward", given=given, **args)
        w.tensor(_entries(d.delta), 1, _slice_label(up_label, 1, spec.out_channels > 1, ndim))

    w.text("full_convolution", upstream=m(up_label))
    if stride:
        w.text("stride_zeros", upstream=m(up_label))
    if dilation:
        w.text("dilated_kernel")
    if multi:
        w.text("channel_sum")
    if forms.step("extended") is not None:
        w.text("fit_stride")
    if padding:
        w.text("crop_padding")
    values = _amount_values([forms.grad_input], forms)
    if values.parts:
        w.text("formula_here", values=m(values))
    else:
        w.text("formula_plain")
    full = _formula(forms.grad_input, spec, names)
    if names.chain:
        z = _sym("z^{l}" + ("_{c}" if multi else ""))
        lhs = r"\delta^{l}" + ("_{c}" if multi else "")
        w.math(eq(lhs, "=", _formula(Hadamard(forms.grad_input, sp.Derivative(SIGMA(z), z)), spec, names)))
    else:
        w.math(eq(Partial(Notation(names.X + ("_{c}" if multi else "")), fraction=True), "=", full))

    w.text("steps")

    def label(step: str, lead: int) -> Callable[[tuple[int, ...]], Any]:
        """The label of a step's matrix for one channel: the step's expression, the channel named."""
        expr = forms.step(step)
        assert expr is not None

        def one(at: tuple[int, ...]) -> Any:
            channel = "_{" + ",".join(str(i + 1) for i in at[:lead]) + "}" if multi else ""
            tensor_names = {"delta": _sym(names.upstream + channel), "W": _sym(names.weight + channel)}
            named = Named.of(expr, tensor_names)
            if ndim != 3:
                return named
            return Concat((named, Notation(rf"({at[lead] + 1},\cdot,\cdot)")), Notation(""))

        return one

    if stride:
        w.text("step_dilate", upstream=m(up_label))
        w.tensor(cf.delta_dilated, 1, label("delta_dilated", 1))
    if forms.step("delta_full") is not None:
        w.text("step_pad")
        w.tensor(cf.delta_full, 1, label("delta_full", 1))
    if dilation:
        w.text("step_dilate_kernel")
        w.tensor(cf.kernel_dilated, 2, label("kernel_dilated", 2))
    w.text("step_rot180")
    w.tensor(cf.kernel_rot180, 2, label("kernel_rot180", 2))

    x_names = list(_entries(d.X).ravel())
    grad_input = cf.grad_input.ravel()
    if names.chain:
        w.text("grad_input_entries_chain", **args)
    else:
        w.text("grad_input_entries", **args)
    w.equations([Partial(x) for x in x_names], lambda i: grad_input[i])
    if names.chain:
        z_names = list(_entries(d.chain.z).ravel())
        delta_l = _entries(d.chain.delta).ravel()
        w.text("delta_entries", **args)
        w.equations([Partial(z) for z in z_names], lambda i: delta_l[i])

    w.section(level, "weight_title")
    if names.chain:
        w.text("weight_note")
        note_weight = Conv(_sym("a^{l-1}"), _sym("delta^{l}"), 1, 1)
        w.math(eq(Partial(Notation("W^{l}"), fraction=True), "=", note_weight))
        w.text("weight_here", **args)
    else:
        w.text("weight_stage", **args)
    weight_lhs = Partial(Notation(names.weight + ("_{o,c}" if multi else "")), fraction=True)
    w.math(eq(weight_lhs, "=", _formula(forms.grad_weight, spec, names)))
    if multi:
        w.text("weight_channel", **args)
    if stride or dilation:
        w.text("weight_roles")
    w_names = list(_entries(d.W).ravel())
    grad_weight = cf.grad_weight.ravel()
    w.text("weight_entries", **args)
    w.equations([Partial(k) for k in w_names], lambda i: grad_weight[i])

    if d.b is not None and cf.grad_bias is not None:
        w.section(level, "bias_title")
        if names.chain:
            w.text("bias_note")
            w.math(eq(Partial(Notation("b^{l}"), fraction=True), "=", r"\sum_{u,v} (\delta^{l})_{u,v}"))
        w.text("bias_here", upstream=m(up_label))
        b_names = list(_entries(d.b).ravel())
        grad_bias = cf.grad_bias.ravel()
        w.equations([Partial(b) for b in b_names], lambda i: grad_bias[i])

    w.progress("proving …")
    w.section(level, "proof_title")
    _proof(w, d.prove(), "proof_intro")


# The quantities a Proof names, and the phrase for each.
PROOF_ITEMS = {
    "Y_hat = X_hat*K_hat vs Y - b": "proof_y_hat",
    "grad_input: closed form vs diff": "proof_grad_input",
    "grad_weight: closed form vs diff": "proof_grad_weight",
    "grad_bias: closed form vs diff": "proof_grad_bias",
    "grad_input": "proof_grad_input",
    "grad_depthwise_weight": "proof_grad_depthwise_weight",
    "grad_depthwise_bias": "proof_grad_depthwise_bias",
    "grad_pointwise_weight": "proof_grad_pointwise_weight",
    "grad_pointwise_bias": "proof_grad_pointwise_bias",
}


def _proof(w: _Writer, proof: Proof, intro: str) -> None:
    """The outcome of a Proof, as it is: a table of what was checked, and any differences."""
    w.text(intro)
    rows: list[tuple[Text | Math, ...]] = []
    failed = {mismatch.quantity for mismatch in proof.mismatches}
    for quantity, count in proof.checked:
        known = quantity in PROOF_ITEMS
        item = say(PROOF_ITEMS[quantity]) if known else say("proof_other", name=code(quantity))
        verdict = say("proof_differs" if quantity in failed else "proof_equal")
        rows.append((item, m(count), verdict))
    w.table([say("proof_quantity"), say("proof_entries"), say("proof_result")], rows, "lrl")
    if proof.holds:
        w.text("proof_holds")
        return
    w.text("proof_fails", count=len(proof.mismatches))
    shown = proof.mismatches[:10]
    w.math(*[
        eq(f"({', '.join(map(str, mm.index))})", r"\colon", mm.expected, r"\neq", mm.got) for mm in shown
    ], kind="align")


# -- 5. where the note is wrong ------------------------------------------------------------------------


def _note_errors(w: _Writer, spec: ConvSpec, backward: bool, depthwise: bool, level: int = 1) -> None:
    """The note's mistakes that this document's spec runs into; nothing when there are none."""
    stride, dilation = spec.is_strided, spec.is_dilated
    if not (backward or dilation or depthwise):
        return
    w.section(level, "note_title")
    if backward:
        w.text("note_full")
        if stride:
            w.text("note_stride")
        if dilation:
            w.text("note_dilated_kernel")
    if dilation:
        w.text("note_span")
        rows = []
        for k, dil, span in sorted(set(zip(spec.kernel, spec.dilations, spec.effective_kernel))):
            if dil > 1:
                rows.append(eq("k + (k - 1)(d - 1)", "=", f"{k} + ({k} - 1)({dil} - 1)", "=", span))
                rows.append(eq("k + (r - 1)(k + 1)", "=", f"{k} + ({dil} - 1)({k} + 1)", r"\neq", span))
        w.math(*rows, kind="align")
    if depthwise:
        w.text("note_depthwise")


# -- the documents -------------------------------------------------------------------------------------------


def _body(w: _Writer, d: Derivation, backward: bool, level: int, chain: bool) -> None:
    names = _Names.of(d, chain)
    _sizes(w, d.spec, level)
    _forward(w, d, names, level)
    _unrolled(w, d, names, level)
    if backward:
        _backward(w, d, names, level)


def _noop(_: str) -> None:
    """A progress callback that reports nothing."""


def derivation_document(
    d: Derivation,
    *,
    backward: bool = False,
    max_entries: int,
    command: str,
    progress: Progress | None = None,
) -> Document:
    """The document for one convolution (``command`` is the symconv command that makes it)."""
    w = _Writer(max_entries, progress or _noop)
    _body(w, d, backward, 1, chain=True)
    _note_errors(w, d.spec, backward, d.spec.is_depthwise)
    intro = (say("generated", command=code(command)), say("notation"))
    title = say("title", dims=d.spec.ndim)
    return _finish(w, title, d.spec.describe(), command, intro)


def separable_document(
    sd: SeparableDerivation,
    *,
    backward: bool = False,
    max_entries: int,
    command: str,
    progress: Progress | None = None,
) -> Document:
    """The document for a depthwise-separable layer: counts, both stages, the composite."""
    w = _Writer(max_entries, progress or _noop)
    c = sd.counts
    plain = sd.plain
    w.section(1, "separable_title")
    w.text("separable_intro", c_in=plain.in_channels, c_out=plain.out_channels)
    w.table(
        [say("count"), say("depthwise"), say("pointwise"), say("separable"), say("plain"), say("ratio")],
        [
            (say("params"), m(c.depthwise_params), m(c.pointwise_params), m(c.params),
             m(c.plain_params), m(f"{c.params_ratio:.3g}")),
            (say("macs"), m(c.depthwise_macs), m(c.pointwise_macs), m(c.macs),
             m(c.plain_macs), m(f"{c.macs_ratio:.3g}")),
        ],
        "lrrrrr",
    )
    w.text("separable_plain", plain=code(" ".join(plain.cli_args())))
    for number, (title, stage) in enumerate((("stage_depthwise", sd.depthwise),
                                             ("stage_pointwise", sd.pointwise)), start=1):
        w.section(1, title, number=number)
        w.text(title + "_intro")
        _body(w, stage, backward, 2, chain=False)
    w.section(1, "composite_title")
    w.progress("composing …")
    w.text("composite_intro")
    lhs = list(_entries(sd.pointwise.Y_names).ravel())
    composite = _entries(sd.Y).ravel()
    w.equations(lhs, lambda i: composite[i])
    if backward:
        w.progress("proving the composite …")
        _proof(w, sd.prove(), "composite_proof")
    _note_errors(w, plain, backward, True)
    intro = (say("generated", command=code(command)), say("notation"))
    layer = f"{plain.describe()} (depthwise-separable)"
    return _finish(w, say("title_separable", dims=plain.ndim), layer, command, intro)


def _command(d: AnyDerivation, fmt: str, lang: str, backward: bool, max_entries: int) -> str:
    """The ``symconv derive`` command that writes this document."""
    separable = isinstance(d, SeparableDerivation)
    spec = d.plain if isinstance(d, SeparableDerivation) else d.spec
    words = ["symconv", "derive", *spec.cli_args()]
    words += ["--separable"] if separable else []
    words += ["--backward"] if backward else []
    words += ["--format", fmt]
    words += ["--lang", lang] if lang != "en" else []
    words += ["--max-entries", str(max_entries)] if max_entries != DEFAULT_MAX_ENTRIES else []
    return " ".join(words)


def build(
    d: AnyDerivation, fmt: str, lang: str, backward: bool, max_entries: int, progress: Progress | None = None
) -> Document:
    """The model of ``d``'s document in ``fmt`` and ``lang`` (for the command that writes it)."""
    command = _command(d, fmt, lang, backward, max_entries)
    if isinstance(d, SeparableDerivation):
        return separable_document(d, backward=backward, max_entries=max_entries, command=command,
                                  progress=progress)
    if isinstance(d, Derivation):
        return derivation_document(d, backward=backward, max_entries=max_entries, command=command,
                                   progress=progress)
    raise RenderError(f"cannot render {type(d).__name__}: give a Derivation or a SeparableDerivation")


def _finish(w: _Writer, title: Text, layer: str, command: str, intro: tuple[Block, ...]) -> Document:
    sections = w.finish()
    closing: list[Block] = []
    if w.elided:
        closing.append(say("elided_total", count=w.elided, option=code("--max-entries 0")))
    if w.terms:
        closing.append(say("elided_terms_total", count=w.terms, option=code("--max-entries 0")))
    return Document(title, layer, command, intro, sections, tuple(closing), w.elided, w.terms, w.columns)
