r"""The document model: what a derivation document says, in order, before language and format.

A :class:`Document` is a title and sections; a section holds blocks: prose
(:class:`Text`, a key of :mod:`symconv.render.prose` and its arguments), math
(:class:`Display`, rows of LaTeX) and tables. The builders here read a
Derivation (or a SeparableDerivation) and lay it out in the note's order,
generalised to the spec:

1. the layer and its sizes (the formulas filled in per dimension);
2. the forward pass: X, K (the weight W), Y as matrices, each ``y`` as its sum;
3. the unrolled form X̂, K̂, Ŷ = X̂·K̂ with how rows and columns are laid out;
4. with ``backward``: the note's chain, δ^l as operators and step by step (the
   full convolution, zero insertion for the stride, the dilated kernel), the
   weight and bias gradients, and the outcome of :meth:`Derivation.prove`;
5. where the note is wrong, as far as it concerns this spec.

The builders do no mathematics: every expression, size and count is read from
the Derivation, its ClosedForm, its LayerChain or the ConvSpec; they only
choose what to show and print it with :class:`NotePrinter`. Matrices and
lists too large for ``max_entries`` or for a page are elided with ``\cdots`` /
``\vdots`` / ``\ddots``, and a sentence counts what was left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Union

import numpy as np
import sympy as sp

from symconv.algebra import closed_forms as cfs
from symconv.algebra.operators import Conv, Hadamard, Rot180
from symconv.printing.note_latex import note_latex
from symconv.render.elide import keep, plan_slices
from symconv.render.typeset import (
    DISPLAY_ROWS,
    LINE_WIDTH,
    PAGE_EQUATIONS,
    SUM_ROWS,
    Grid,
    equation_rows,
    gallery,
    grid,
    width,
)
from symconv.spec import ConvSpec
from symconv.symbolic import Derivation
from symconv.symbolic.chain import SIGMA
from symconv.symbolic.proof import Proof
from symconv.symbolic.separable import SeparableDerivation
from symconv.symbolic.tensors import from_array

Progress = Callable[[str], None]

# -- the model -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A paragraph (or a title, or a table cell) of prose: a key of the phrase book and its arguments.

    Arguments are strings already written for both formats: numbers, inline
    math ``$…$`` and code spans ``` `…` ```.
    """

    key: str
    args: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Display:
    """Displayed math: ``equation`` (one row), ``align`` (rows aligned at ``&``), ``gather`` (centred)."""

    kind: str
    rows: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A small table: header cells, then rows; a ``str`` cell is math, the same in every language."""

    header: tuple[Text, ...]
    rows: tuple[tuple[Text | str, ...], ...]
    align: str  # one letter per column: l (left) or r (right), as LaTeX's tabular


Block = Union[Text, Display, Table]


@dataclass(frozen=True)
class Section:
    """A titled run of blocks; ``level`` 1 is a section, 2 a subsection, 3 a subsubsection."""

    title: Text
    level: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    """A whole derivation document, independent of language and output format."""

    title: Text
    intro: tuple[Block, ...]
    sections: tuple[Section, ...]
    closing: tuple[Block, ...]  # after the last section: how much was elided in all
    elided: int  # entries (and whole equations) left out in all
    terms: int  # terms left out of long sums in all
    matrix_columns: int  # the most columns of any matrix shown (LaTeX needs MaxMatrixCols ≥ this)


def say(key: str, **args: object) -> Text:
    """A :class:`Text` with its arguments as strings, in a fixed order."""
    return Text(key, tuple(sorted((name, str(value)) for name, value in args.items())))


def m(tex: str) -> str:
    """Inline math: ``$tex$``."""
    return f"${tex}$"


def code(text: str) -> str:
    """A code span: ``` `text` ```."""
    return f"`{text}`"


L = note_latex
_EQUALS = 14.0  # the width of " = " between a label and its matrix, in points


# -- the writer: sections, blocks, and the elision bookkeeping -----------------------------


@dataclass
class _Writer:
    """Collects sections and blocks, counts elided entries and the widest matrix."""

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

    def math(self, *rows: str, kind: str = "equation") -> None:
        if kind == "gather" and len(rows) == 1:
            kind = "equation"
        self._blocks.append(Display(kind, tuple(rows)))

    def table(self, header: Sequence[Text], rows: Sequence[Sequence[Text | str]], align: str) -> None:
        self._blocks.append(Table(tuple(header), tuple(tuple(r) for r in rows), align))

    def grid(self, lhs: str, shape: tuple[int, int], entry: Callable[[int, int], str]) -> Grid:
        """The matrix for ``lhs = (…)``, elided past ``max_entries`` and the line; not displayed yet."""
        return grid(shape, entry, self.max_entries, budget=LINE_WIDTH - width(lhs) - _EQUALS)

    def matrix(self, lhs: str, shape: tuple[int, int], entry: Callable[[int, int], str]) -> Grid:
        """One displayed ``lhs = (matrix)``, and a sentence when entries were left out."""
        return self.show(lhs, self.grid(lhs, shape, entry))

    def show(self, lhs: str, g: Grid) -> Grid:
        """Display ``lhs = (g)`` for a grid made by :meth:`grid`; count what it leaves out."""
        shape = g.shown.shape
        self.columns = max(self.columns, g.columns)
        self.math(f"{lhs} = {g.tex}")
        if g.hidden:
            self.elided += g.hidden
            self.text(
                "elided_matrix", name=m(_matrix_name(lhs)), hidden=g.hidden, total=shape[0] * shape[1],
                rows=len(g.shown.rows), all_rows=shape[0], cols=len(g.shown.cols), all_cols=shape[1],
            )
        return g

    def tensor(self, tensor: np.ndarray, lead: int, label: Callable[[tuple[int, ...]], str]) -> None:
        """One labelled matrix per leading index (channels; in 3-D also depth), side by side.

        ``lead`` axes (plus the depth axis of a 3-D tensor) pick a slice; the
        rest is its matrix (a 1-D slice is one row). Slices beyond
        ``max_entries`` are left out with ``\\cdots``; a sentence counts them.
        """
        slice_axes = lead + (1 if tensor.ndim - lead == 3 else 0)
        slices = list(np.ndindex(*tensor.shape[:slice_axes]))
        per_slice = math.prod(tensor.shape[slice_axes:])
        shown, gap = plan_slices(len(slices), per_slice, self.max_entries)
        items: list[tuple[str, float]] = []
        hidden = 0
        for position, k in enumerate(shown):
            if gap is not None and position == gap:
                items.append((r"\cdots", width(r"\cdots")))
                hidden += (k - shown[gap - 1] - 1) * per_slice
            block = tensor[slices[k]]
            block = block.reshape(1, -1) if block.ndim == 1 else block
            name = label(slices[k])
            g = self.grid(name, block.shape, _printed(block))
            self.columns = max(self.columns, g.columns)
            hidden += g.hidden
            items.append((f"{name} = {g.tex}", width(name) + _EQUALS + g.width))
        self.math(*gallery(items), kind="gather")
        if hidden:
            self.elided += hidden
            self.text("elided_gallery", hidden=hidden, total=tensor.size)

    def equations(self, lhs: Sequence[str], rhs: Callable[[int], str], relation: str = "=") -> None:
        """``lhs_i = rhs(i)`` aligned, long sums wrapped, the middle elided past ``max_entries``.

        A document also keeps a list to :data:`PAGE_EQUATIONS` equations unless
        ``max_entries`` is 0 (everything).
        """
        count = len(lhs)
        shown, gap = keep(count, count if self.max_entries == 0 else min(self.max_entries, PAGE_EQUATIONS))
        rows: list[str] = []
        terms = 0
        for position, i in enumerate(shown):
            more = [r"&\vdots"] if gap is not None and position == gap else []
            wrapped, hidden = equation_rows(lhs[i], rhs(i), relation=relation,
                                            max_rows=SUM_ROWS if self.max_entries else 0)
            more += wrapped
            terms += hidden
            if rows and len(rows) + len(more) > DISPLAY_ROWS:
                self.math(*rows, kind="align")
                rows = []
            rows += more
        self.math(*rows, kind="align")
        if gap is not None:
            self.elided += count - len(shown)
            self.text("elided_equations", hidden=count - len(shown), total=count)
        if terms:
            self.terms += terms
            self.text("elided_terms", hidden=terms, rows=SUM_ROWS)


def _printed(block: np.ndarray) -> Callable[[int, int], str]:
    """The printed entry ``(i, j)`` of a 2-D object array."""
    return lambda i, j: L(block[i, j])


def _matrix_name(lhs: str) -> str:
    """The name a displayed ``lhs`` gives its matrix: the first side of a chain of equalities."""
    return lhs.split(" = ")[0]


# -- small pieces of LaTeX ------------------------------------------------------------------


def _size(values: Sequence[int]) -> str:
    """``3 \\times 3`` (``3`` in 1-D)."""
    return r" \times ".join(str(v) for v in values)


def _tuple(values: Sequence[int]) -> str:
    return str(values[0]) if len(values) == 1 else "(" + ", ".join(str(v) for v in values) + ")"


def _entries(array: object) -> np.ndarray:
    """A SymPy Array, or an object array, as an object array."""
    return array if isinstance(array, np.ndarray) else from_array(array)


def _label(base: str, lead: Sequence[int], depth: int | None = None) -> str:
    """``X``, ``X_{2}``, ``K_{1,2}``, and in 3-D ``X_{2}(1,\\cdot,\\cdot)`` (1-based)."""
    tex = base + ("_{" + ",".join(str(i + 1) for i in lead) + "}" if lead else "")
    return tex + (rf"({depth + 1},\cdot,\cdot)" if depth is not None else "")


def _slice_label(base: str, lead: int, show: bool, ndim: int) -> Callable[[tuple[int, ...]], str]:
    """A label function for :meth:`_Writer.tensor`: channel subscripts only when ``show``."""

    def label(index: tuple[int, ...]) -> str:
        depth = index[lead] if ndim == 3 else None
        return _label(base, index[:lead] if show else (), depth)

    return label


def _partial(of: str) -> str:
    """``\\frac{\\partial J}{\\partial of}``, for the formulas."""
    return rf"\frac{{\partial J}}{{\partial {of}}}"


def _slash(of: str) -> str:
    """``\\partial J / \\partial of``, compact, for the lists of entries."""
    return rf"\partial J / \partial {of}"


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
            return cls(X, K, Y, L(_sym(n.delta)), "delta^{l+1}", "a^{l}", "W^{l+1}", n.b, True)
        return cls(X, K, Y, L(_sym(n.delta)), n.delta, X, K, n.b, False)

    def args(self) -> dict[str, str]:
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
        rf"C_{{\mathrm{{in}}}} = {spec.in_channels}", rf"C_{{\mathrm{{out}}}} = {spec.out_channels}",
        f"g = {spec.groups}", f"n = {_size(spec.sizes)}", f"k = {_size(k)}", f"s = {_size(s)}",
    ]
    before, after = spec.pad_before, spec.pad_after
    if isinstance(spec.padding, str):
        items.append(rf"p = \mathrm{{{spec.padding}}}")
    if before == after:
        items.append(f"p = {_size(before)}")
    else:
        items += [rf"p_{{\mathrm{{b}}}} = {_size(before)}", rf"p_{{\mathrm{{a}}}} = {_size(after)}"]
    items.append(f"d = {_size(dil)}")
    w.text("sizes_intro" if spec.bias else "sizes_intro_no_bias", dims=spec.ndim)
    w.math(*gallery([(item, width(item)) for item in items]), kind="gather")

    symmetric = before == after
    numerator = r"n + 2p - d(k-1) - 1" if symmetric else r"n + p_{\mathrm{b}} + p_{\mathrm{a}} - d(k-1) - 1"

    def sub(i: int) -> str:
        """The dimension's subscript; none in 1-D."""
        return f"_{{{i + 1}}}" if spec.ndim > 1 else ""

    rows = [rf"n' &= \left\lfloor \frac{{{numerator}}}{{s}} \right\rfloor + 1"]
    for i, (n, out) in enumerate(zip(spec.sizes, spec.output_size)):
        pad = rf"2 \cdot {before[i]}" if symmetric else f"{before[i]} + {after[i]}"
        filled = rf"{n} + {pad} - {dil[i]} \cdot ({k[i]} - 1) - 1"
        rows.append(rf"n'{sub(i)} &= \left\lfloor \frac{{{filled}}}{{{s[i]}}} \right\rfloor + 1 = {out}")
    w.text("output_size" if symmetric else "output_size_asymmetric")
    w.math(*rows, kind="align")

    rows = [r"k' &= k + (k - 1)(d - 1)"]
    for i, span in enumerate(spec.effective_kernel):
        rows.append(rf"k'{sub(i)} &= {k[i]} + ({k[i]} - 1)({dil[i]} - 1) = {span}")
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
        rf"\mathrm{{params}} &= {c_out} \cdot {c_in} \cdot {taps}{bias} "
        rf"= {spec.out_channels} \cdot {spec.group_in} \cdot {kernel}{bias_n} = {spec.params}",
        rf"\mathrm{{MACs}} &= {positions} \cdot {c_out} \cdot {c_in} \cdot {taps} "
        rf"= {outs} \cdot {spec.out_channels} \cdot {spec.group_in} \cdot {kernel} = {spec.macs}",
        kind="align",
    )


# -- 2. the forward pass ------------------------------------------------------------------------------


def _forward(w: _Writer, d: Derivation, names: _Names, level: int) -> None:
    spec = d.spec
    w.section(level, "forward_title")
    b = rf"{names.bias}_{{o}} + " if spec.bias else ""
    x, k, y = d.names.x, d.names.w, d.names.y
    w.text("forward_definition", **names.args())
    w.math(
        rf"{y}_{{o,i}} = {b}\sum_{{c}} \sum_{{u}} {k}_{{o,c,u}} \, "
        rf"\tilde{{{x}}}_{{c',\,(i-1)s + (u-1)d + 1}}"
    )
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
        w.matrix(names.bias, (1, spec.out_channels), lambda i, j: L(bias[j]))
    w.text("output_matrices", **names.args())
    w.tensor(_entries(d.Y_names), 1, _slice_label(names.Y, 1, spec.out_channels > 1, ndim))
    lhs = [L(e) for e in _entries(d.Y_names).ravel()]
    rhs = _entries(d.Y).ravel()
    w.text("output_sums" if spec.bias else "output_sums_no_bias", **names.args())
    w.equations(lhs, lambda i: L(rhs[i]))


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
    X, K, Y = d.X_hat, d.K_hat, d.Y_hat
    w.matrix(x_hat, X.shape, lambda i, j: L(X[i, j]))
    w.matrix(k_hat, K.shape, lambda i, j: L(K[i, j]))
    lhs = f"{y_hat} = {x_hat} {k_hat}"
    g = w.grid(lhs, Y.shape, lambda i, j: L(Y[i, j]))
    if width(lhs) + _EQUALS + g.width <= LINE_WIDTH:
        w.text("unrolled_product", **args)
        w.show(lhs, g)
        return
    # The sums are too wide for a matrix: name them by the outputs (written out above).
    outputs = _entries(d.Y_names).reshape(spec.out_channels, -1)
    bias = None if d.b is None else _entries(d.b)

    def entry(i: int, j: int) -> str:
        return L(outputs[j, i]) + ("" if bias is None else f" - {L(bias[j])}")

    w.text("unrolled_product_by_name" if bias is not None else "unrolled_product_by_name_no_bias", **args)
    w.matrix(lhs, Y.shape, entry)


# -- 4. the backward pass ---------------------------------------------------------------------------------


def _multi(spec: ConvSpec) -> bool:
    return spec.in_channels > 1 or spec.out_channels > 1


def _formula(expr: sp.Expr, spec: ConvSpec, names: _Names, channels: bool | None = None) -> str:
    """An expression of the algebra in the note's LaTeX, the layer's tensors under this document's names."""
    tensor_names = {"x": names.input, "W": names.weight, "delta": names.upstream, "b": names.bias}
    multi = _multi(spec) if channels is None else channels
    return L(expr, tensor_names={k: L(_sym(v)) for k, v in tensor_names.items()}, channels=multi)


def _amount_values(exprs: Sequence[sp.Expr], forms: cfs.ClosedForms) -> str:
    r"""``k' = 3,\; s = 2, …``: the value of every amount symbol the expressions use, in a fixed order."""
    used = set().union(*(e.free_symbols for e in exprs))
    values = []
    for symbol, amount in forms.amounts.items():
        if symbol in used:
            values.append(f"{L(symbol)} = {_tuple(amount)}")
    return r",\; ".join(values)


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
            r"a^{l} &= \sigma(z^{l})",
            r"z^{l+1} &= a^{l} \ast W^{l+1} + b^{l+1}",
            r"J &= \frac{1}{2} \lVert a^{L} - t \rVert_{2}^{2}",
            r"\delta^{l} &= \frac{\partial J}{\partial z^{l}}",
            kind="align",
        )
        w.text("chain_layer", **args)
        w.text("chain_given", **args)
        w.tensor(_entries(d.delta), 1, _slice_label(up_label, 1, spec.out_channels > 1, ndim))
        w.section(level, "delta_title")
        note = Hadamard(Conv(_sym("delta^{l+1}"), Rot180(_sym("W^{l+1}")), 1, 1), sp.Derivative(
            SIGMA(_sym("z^{l}")), _sym("z^{l}")))
        w.text("delta_note")
        w.math(rf"\delta^{{l}} = {L(note)}")
    else:
        w.section(level, "stage_backward_title")
        given = m(rf"{names.delta} = \partial J / \partial {names.Y}")
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
    if values:
        w.text("formula_here", values=m(values))
    else:
        w.text("formula_plain")
    full = _formula(forms.grad_input, spec, names)
    if names.chain:
        z = _sym("z^{l}" + ("_{c}" if multi else ""))
        lhs = r"\delta^{l}" + ("_{c}" if multi else "")
        w.math(f"{lhs} = {_formula(Hadamard(forms.grad_input, sp.Derivative(SIGMA(z), z)), spec, names)}")
    else:
        w.math(f"{_partial(names.X + ('_{c}' if multi else ''))} = {full}")

    w.text("steps")

    def label(step: str, lead: int) -> Callable[[tuple[int, ...]], str]:
        """The label of a step's matrix for one channel: the step's expression, the channel named."""
        expr = forms.step(step)
        assert expr is not None

        def one(at: tuple[int, ...]) -> str:
            channel = "_{" + ",".join(str(i + 1) for i in at[:lead]) + "}" if multi else ""
            tensor_names = {
                "delta": L(_sym(names.upstream + channel)), "W": L(_sym(names.weight + channel)),
            }
            depth = rf"({at[lead] + 1},\cdot,\cdot)" if ndim == 3 else ""
            return L(expr, tensor_names=tensor_names) + depth

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

    x_names = [L(e) for e in _entries(d.X).ravel()]
    grad_input = cf.grad_input.ravel()
    if names.chain:
        w.text("grad_input_entries_chain", **args)
    else:
        w.text("grad_input_entries", **args)
    w.equations([_slash(x) for x in x_names], lambda i: L(grad_input[i]))
    if names.chain:
        z_names = [L(e) for e in _entries(d.chain.z).ravel()]
        delta_l = _entries(d.chain.delta).ravel()
        w.text("delta_entries", **args)
        w.equations([_slash(z) for z in z_names], lambda i: L(delta_l[i]))

    w.section(level, "weight_title")
    if names.chain:
        w.text("weight_note")
        note_weight = Conv(_sym("a^{l-1}"), _sym("delta^{l}"), 1, 1)
        w.math(rf"\frac{{\partial J}}{{\partial W^{{l}}}} = {L(note_weight)}")
        w.text("weight_here", **args)
    else:
        w.text("weight_stage", **args)
    weight_lhs = _partial(names.weight + ("_{o,c}" if multi else ""))
    w.math(f"{weight_lhs} = {_formula(forms.grad_weight, spec, names)}")
    if multi:
        w.text("weight_channel", **args)
    if stride or dilation:
        w.text("weight_roles")
    w_names = [L(e) for e in _entries(d.W).ravel()]
    grad_weight = cf.grad_weight.ravel()
    w.text("weight_entries", **args)
    w.equations([_slash(k) for k in w_names], lambda i: L(grad_weight[i]))

    if d.b is not None and cf.grad_bias is not None:
        w.section(level, "bias_title")
        if names.chain:
            w.text("bias_note")
            w.math(r"\frac{\partial J}{\partial b^{l}} = \sum_{u,v} (\delta^{l})_{u,v}")
        w.text("bias_here", upstream=m(up_label))
        b_names = [L(e) for e in _entries(d.b).ravel()]
        grad_bias = cf.grad_bias.ravel()
        w.equations([_slash(b) for b in b_names], lambda i: L(grad_bias[i]))

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
    rows: list[tuple[Text | str, ...]] = []
    failed = {mismatch.quantity for mismatch in proof.mismatches}
    for quantity, count in proof.checked:
        known = quantity in PROOF_ITEMS
        item = say(PROOF_ITEMS[quantity]) if known else say("proof_other", name=code(quantity))
        verdict = say("proof_differs" if quantity in failed else "proof_equal")
        rows.append((item, m(str(count)), verdict))
    w.table([say("proof_quantity"), say("proof_entries"), say("proof_result")], rows, "lrl")
    if proof.holds:
        w.text("proof_holds")
        return
    w.text("proof_fails", count=len(proof.mismatches))
    shown = proof.mismatches[:10]
    w.math(*[
        rf"({', '.join(str(i) for i in mm.index)}) &\colon {L(mm.expected)} \neq {L(mm.got)}"
        for mm in shown
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
                rows.append(rf"k + (k - 1)(d - 1) &= {k} + ({k} - 1)({dil} - 1) = {span}")
                rows.append(rf"k + (r - 1)(k + 1) &= {k} + ({dil} - 1)({k} + 1) \neq {span}")
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
    return _finish(w, title, intro)


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
            (say("params"), m(str(c.depthwise_params)), m(str(c.pointwise_params)), m(str(c.params)),
             m(str(c.plain_params)), m(f"{c.params_ratio:.3g}")),
            (say("macs"), m(str(c.depthwise_macs)), m(str(c.pointwise_macs)), m(str(c.macs)),
             m(str(c.plain_macs)), m(f"{c.macs_ratio:.3g}")),
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
    lhs = [L(e) for e in _entries(sd.pointwise.Y_names).ravel()]
    composite = _entries(sd.Y).ravel()
    w.equations(lhs, lambda i: L(composite[i]))
    if backward:
        w.progress("proving the composite …")
        _proof(w, sd.prove(), "composite_proof")
    _note_errors(w, plain, backward, True)
    intro = (say("generated", command=code(command)), say("notation"))
    return _finish(w, say("title_separable", dims=plain.ndim), intro)


def _finish(w: _Writer, title: Text, intro: tuple[Block, ...]) -> Document:
    sections = w.finish()
    closing: list[Block] = []
    if w.elided:
        closing.append(say("elided_total", count=w.elided, option=code("--max-entries 0")))
    if w.terms:
        closing.append(say("elided_terms_total", count=w.terms, option=code("--max-entries 0")))
    return Document(title, intro, sections, tuple(closing), w.elided, w.terms, w.columns)
