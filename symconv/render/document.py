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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import sympy as sp

from symconv.algebra import closed_forms as cfs
from symconv.algebra import unrolled
from symconv.algebra.operators import Conv, Hadamard, Rot180
from symconv.errors import RenderError
from symconv.printing.elide import DEFAULT_MAX_ENTRIES
from symconv.render.derivation import Numbers, backward_derivation, forward_derivation
from symconv.render.model import Block, Document, Math, Text
from symconv.render.notation import Concat, Named, Notation, Partial
from symconv.render.prose import PHRASES
from symconv.render.typeset import LINE_WIDTH, tex
from symconv.render.writer import Progress, Writer, code, eq, lhs_width, m, say, term_count
from symconv.spec import ConvSpec
from symconv.symbolic import Derivation
from symconv.symbolic.chain import SIGMA
from symconv.symbolic.proof import Proof
from symconv.symbolic.separable import SeparableDerivation
from symconv.symbolic.tensors import from_array

AnyDerivation = Union[Derivation, SeparableDerivation]

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
    """A label function for :meth:`Writer.tensor`: channel subscripts only when ``show``."""

    def label(index: tuple[int, ...]) -> Notation:
        depth = index[lead] if ndim == 3 else None
        return _label(base, index[:lead] if show else (), depth)

    return label


def _in_dims(key: str, ndim: int) -> str:
    """The phrase ``key`` worded for 1-D (rows, a reversal) or 3-D (slices, a reflection) where it differs."""
    worded = f"{key}_{ndim}d"
    return worded if ndim != 2 and worded in PHRASES["en"] else key


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


def _sizes(w: Writer, spec: ConvSpec, level: int, stage: bool = False) -> None:
    """The layer's amounts, its output size and effective kernel filled in, its counts (not for a stage)."""
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

    def same(name: str, values: Sequence[Sequence[int]]) -> list[tuple[str, int]]:
        """``(n'_1 = n'_2, 0)`` when every dimension has the same amounts, else one name per dimension."""
        dims = list(range(spec.ndim))
        if all(tuple(v[i] for v in values) == tuple(v[0] for v in values) for i in dims):
            return [(" = ".join(f"{name}{sub(i)}" for i in dims), 0)]
        return [(f"{name}{sub(i)}", i) for i in dims]

    sizes = []
    for name, i in same("n'", [spec.sizes, before, after, dil, k, s]):
        pad = rf"2 \cdot {before[i]}" if symmetric else f"{before[i]} + {after[i]}"
        filled = rf"{spec.sizes[i]} + {pad} - {dil[i]} \cdot ({k[i]} - 1) - 1"
        floor = rf"\left\lfloor \frac{{{filled}}}{{{s[i]}}} \right\rfloor + 1"
        sizes.append(eq(name, "=", floor, "=", spec.output_size[i]))
    spans = [eq(name, "=", f"{k[i]} + ({k[i]} - 1)({dil[i]} - 1)", "=", spec.effective_kernel[i])
             for name, i in same("k'", [k, dil])]
    if stage:  # the general formulas are the layer's; the separable document's table has the counts
        w.text("stage_sizes")
        w.math(*sizes, *spans, kind="align")
        return
    w.text("output_size" if symmetric else "output_size_asymmetric")
    w.math(eq("n'", "=", rf"\left\lfloor \frac{{{numerator}}}{{s}} \right\rfloor + 1"), *sizes, kind="align")
    w.text("effective_kernel")
    w.math(eq("k'", "=", "k + (k - 1)(d - 1)"), *spans, kind="align")
    if spec.is_dilated:
        w.picture("dilation", spec, "fig_dilation")

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


def _forward(w: Writer, d: Derivation, names: _Names, level: int, numbers: Numbers, backward: bool) -> None:
    spec = d.spec
    w.section(level, "forward_title")
    if names.chain:
        forward_derivation(w, spec, numbers, backward)
    else:
        w.text("stage_forward", definition=numbers.ref("forward:definition"))
    ndim = spec.ndim
    w.picture("sliding", spec, "fig_sliding")
    w.text(_in_dims("input_matrices", ndim), **names.args())
    w.tensor(_entries(d.X), 1, _slice_label(names.X, 1, spec.in_channels > 1, ndim))
    show_w = spec.out_channels > 1 or spec.group_in > 1
    kernels = "kernel_matrices" if spec.groups == 1 else "kernel_matrices_groups"
    w.text(_in_dims(kernels, ndim), **names.args())
    w.tensor(_entries(d.W), 2, _slice_label(names.K, 2, show_w, ndim))
    if spec.in_channels > 1 or spec.out_channels > 1:
        w.picture("conv", spec, "fig_conv")
    if spec.groups > 1:
        w.picture("groups", spec, "fig_groups")
    if d.b is None:
        w.text("no_bias")
    elif spec.out_channels > 1:
        bias = _entries(d.b)
        w.text("bias_vector")
        w.matrix([tex(_sym(names.bias))], bias.reshape(1, -1))
    w.text(_in_dims("output_matrices", ndim), **names.args())
    w.tensor(_entries(d.Y_names), 1, _slice_label(names.Y, 1, spec.out_channels > 1, ndim))
    lhs = list(_entries(d.Y_names).ravel())
    rhs = _entries(d.Y).ravel()
    w.text("output_sums" if spec.bias else "output_sums_no_bias", **names.args())
    w.equations(lhs, lambda i: rhs[i])


# -- 3. the unrolled form -------------------------------------------------------------------------------


def _unrolled(w: Writer, d: Derivation, names: _Names, level: int) -> None:
    spec = d.spec
    args = names.args()
    x_hat, k_hat, y_hat = (rf"\hat{{{n}}}" for n in (names.X, names.K, names.Y))
    w.section(level, "unrolled_title", relation=m(f"{y_hat} = {x_hat} {k_hat}"))
    w.progress("unrolling …")
    w.text("unrolled_rows", positions=math.prod(spec.output_size), **args)
    w.text("unrolled_columns" if spec.taps > 1 else "unrolled_columns_one_tap", channels=spec.in_channels,
           taps=spec.taps, **args)
    if spec.groups > 1:
        w.text("unrolled_groups", groups=spec.groups, group_in=spec.group_in, **args)
    w.picture("im2col", spec, "fig_im2col", **args)
    w.side_by_side([([x_hat], _grid(d.X_hat)), ([k_hat], _grid(d.K_hat))])
    lhs = [y_hat, f"{x_hat} {k_hat}"]
    entries = _grid(d.Y_hat)
    product, estimated = w.window(lhs, entries)
    terms = sum(term_count(e) for e in entries.ravel())
    if lhs_width(lhs) + estimated <= LINE_WIDTH and (not w.max_entries or terms <= w.max_entries):
        w.text("unrolled_product", **args)
        w.show(lhs, product)
        return
    # The sums are too wide or too many for a matrix: say which output each entry is (written out above).
    at = _positions(spec.ndim)
    multi = spec.out_channels > 1
    y, b = d.names.y, tex(_sym(d.names.b))
    entry = rf"{y}_{{o,{at}}}" if multi else rf"{y}_{{{at}}}"
    bias = (rf" - {b}_{{o}}" if multi else f" - {b}") if d.b is not None else ""
    where = rf"({y_hat})_{{{at},\,o}}" if multi else rf"({y_hat})_{{{at}}}"
    w.text("unrolled_product_by_name" if d.b is not None else "unrolled_product_by_name_no_bias",
           entry=m(f"{where} = {entry}{bias}"), **args)


# -- 4. the backward pass ---------------------------------------------------------------------------------


def _multi(spec: ConvSpec) -> bool:
    return spec.in_channels > 1 or spec.out_channels > 1


def _formula(
    expr: sp.Expr, spec: ConvSpec, names: _Names, channels: Mapping[str, str] | None = None
) -> Named:
    """An expression of the algebra, the layer's tensors under this document's names, per channel."""
    tensor_names = {"x": names.input, "W": names.weight, "delta": names.upstream, "b": names.bias}
    chosen: bool | Mapping[str, str] = False if not _multi(spec) else channels or True
    return Named.of(expr, {k: _sym(v) for k, v in tensor_names.items()}, channels=chosen)


def _subscripts(spec: ConvSpec, quantity: str) -> dict[str, str]:
    """Channel subscripts of a closed form per channel, as the derivation writes them.

    W's second index counts within the group: in the input gradient input
    channel ``c`` is W's ``c - c_0(o)``; in the weight gradient W's ``c'``
    reads input channel ``c_0(o) + c'``. Without groups both are ``c``.
    """
    if spec.groups == 1:
        return {"i": "c", "oi": "o,c", "o": "o", "sum": "o"}
    if quantity == "grad_input":
        return {"i": "c", "oi": r"o,\,c - c_{0}(o)", "o": "o", "sum": r"o \in G(c)"}
    return {"i": r"c_{0}(o) + c'", "oi": "o,c'", "o": "o", "sum": r"o \in G(c)"}


def _amount_values(exprs: Sequence[sp.Expr], forms: cfs.ClosedForms) -> Concat:
    r"""``k' = 3,\; s = 2, …``: the value of every amount symbol the expressions use, in a fixed order."""
    used = set().union(*(e.free_symbols for e in exprs))
    values = []
    for symbol, amount in forms.amounts.items():
        if symbol in used:
            values.append(Concat((symbol, Notation(_tuple(amount))), Notation(" = ")))
    return Concat(tuple(values), Notation(r",\; ", ", "))


def _positions(ndim: int) -> str:
    """The position subscript of one entry: ``i``, ``ij``, ``ijk``."""
    return "ijk"[:ndim]


def _backward(w: Writer, d: Derivation, names: _Names, level: int, numbers: Numbers) -> None:
    """The given error, the general derivation (in a chain document), then this layer's gradients."""
    spec = d.spec
    up_label = names.delta if not names.chain else r"\delta^{l+1}"
    w.progress("deriving the gradients …")
    if names.chain:
        w.section(level, "chain_title")
        w.text("chain_intro")
        w.math(
            eq("a^{l}", "=", r"\sigma(z^{l})"),
            eq("z^{l+1}", "=", r"a^{l} \ast W^{l+1} + b^{l+1}"),
            eq("J", "=", r"\frac{1}{2} \lVert a^{L} - t \rVert_{2}^{2}"),
            eq(r"\delta^{l}", "=", Partial(Notation("z^{l}"))),
            kind="gather",
        )
        w.text("chain_layer", **names.args())
        w.text("chain_given", **names.args())
        w.tensor(_entries(d.delta), 1, _slice_label(up_label, 1, spec.out_channels > 1, spec.ndim))
        backward_derivation(w, spec, numbers, level, chain=True)
        w.section(level, "layer_gradients_title")
    else:
        w.section(level, "stage_backward_title")
        given = m(Concat((Notation(names.delta), Partial(Notation(names.Y))), Notation(" = ")))
        w.text("stage_backward", given=given, **names.args())
        w.tensor(_entries(d.delta), 1, _slice_label(up_label, 1, spec.out_channels > 1, spec.ndim))
    _layer_input_gradient(w, d, names, level + 1, numbers, up_label)
    _layer_weight_gradient(w, d, names, level + 1, numbers)
    cf = d.closed_form
    if d.b is not None and cf.grad_bias is not None:
        w.section(level + 1, "bias_title")
        w.text("bias_layer", upstream=m(up_label), closed=numbers.ref("grad_bias:closed"))
        b_names = list(_entries(d.b).ravel())
        grad_bias = cf.grad_bias.ravel()
        w.equations([Partial(b) for b in b_names], lambda i: grad_bias[i])
    if not names.chain:  # a separable document's stage: the composite's proof checks the chained stages
        return
    _layer_unrolled(w, d, names, level + 1, numbers)
    w.progress("proving …")
    w.section(level, "proof_title")
    _proof(w, d.prove(), "proof_intro")


def _layer_input_gradient(
    w: Writer, d: Derivation, names: _Names, level: int, numbers: Numbers, up_label: str
) -> None:
    """The closed form with this layer's amounts, its intermediate matrices, the entries; δ^l in a chain."""
    spec = d.spec
    multi = _multi(spec)
    cf = d.closed_form
    forms = cf.forms
    ndim = spec.ndim
    w.section(level, "input_gradient_title")
    values = _amount_values([forms.grad_input], forms)
    closed = numbers.ref("grad_input:closed")
    if values.parts:
        w.text("layer_formula", closed=closed, values=m(values))
    else:
        w.text("layer_formula_plain", closed=closed)
    grad_lhs = Partial(Notation(names.input + ("_{c}" if multi else "")))
    w.math(eq(grad_lhs, "=", _formula(forms.grad_input, spec, names, _subscripts(spec, "grad_input"))))

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

    # The error and the kernel as the full convolution reads them (the steps between are in their labels).
    if forms.step("delta_full") is not None:
        w.text("step_error_strided" if spec.is_strided else "step_pad", upstream=m(up_label))
        w.tensor(cf.delta_full, 1, label("delta_full", 1))
    elif spec.is_strided:
        w.text("step_dilate", upstream=m(up_label))
        w.tensor(cf.delta_dilated, 1, label("delta_dilated", 1))
    if spec.taps > 1:  # a kernel of one tap is its own turn
        key = "step_kernel_dilated" if spec.is_dilated else "step_rot180"
        w.text(_in_dims(key, ndim))
        w.tensor(cf.kernel_rot180, 2, label("kernel_rot180", 2))

    w.picture("backward", spec, "fig_backward")
    x_names = list(_entries(d.X).ravel())
    grad_input = cf.grad_input.ravel()
    w.text("grad_input_entries_chain" if names.chain else "grad_input_entries", **names.args())
    w.equations([Partial(x) for x in x_names], lambda i: grad_input[i])
    if names.chain:
        at = ("c," if multi else "") + _positions(ndim)
        w.text("delta_product")
        w.math(
            eq(r"\delta^{l}", "=", r"\partial J / \partial a^{l} \odot \sigma'(z^{l})"),
            eq(Partial(Notation(f"z_{{{at}}}")), "=",
               rf"\partial J / \partial {d.names.x}_{{{at}}} \cdot \sigma'(z_{{{at}}})"),
            kind="align",
        )


def _layer_weight_gradient(w: Writer, d: Derivation, names: _Names, level: int, numbers: Numbers) -> None:
    spec = d.spec
    cf = d.closed_form
    w.section(level, "weight_title")
    values = _amount_values([cf.forms.grad_weight], cf.forms)
    closed = numbers.ref("grad_weight:closed")
    if values.parts:
        w.text("layer_formula", closed=closed, values=m(values))
    else:
        w.text("layer_formula_plain", closed=closed)
    subscripts = _subscripts(spec, "grad_weight")
    weight_lhs = Partial(Notation(names.weight + (f"_{{{subscripts['oi']}}}" if _multi(spec) else "")))
    w.math(eq(weight_lhs, "=", _formula(cf.forms.grad_weight, spec, names, subscripts)))
    w_names = list(_entries(d.W).ravel())
    grad_weight = cf.grad_weight.ravel()
    w.text("weight_entries", **names.args())
    w.equations([Partial(k) for k in w_names], lambda i: grad_weight[i])


def _layer_unrolled(w: Writer, d: Derivation, names: _Names, level: int, numbers: Numbers) -> None:
    """δ̂ and δ̂ K̂ᵀ of this layer: the unrolled view (its sums are the lists above, not repeated)."""
    spec = d.spec
    delta_hat = unrolled.unroll_output(_entries(d.delta))
    columns = unrolled.columns_gradient(spec, _entries(d.delta), _entries(d.W))
    args = names.args()
    w.section(level, "layer_unrolled_title")
    product = m(rf"\hat{{{names.X}}}^{{\mathsf{{T}}}} \hat{{{names.delta}}}")
    columns_name = r"\hat{" + names.delta + r"} \hat{" + names.K + r"}^{\mathsf{T}}"
    if not w.max_entries or columns.size <= w.max_entries:
        w.text("layer_unrolled", weight=numbers.ref("unrolled:weight"),
               columns=numbers.ref("unrolled:columns"), product=product, **args)
        w.side_by_side([([r"\hat{" + names.delta + "}"], delta_hat), ([columns_name], columns)])
        reads = _reads_per_input(spec)
        most = max(reads, key=lambda item: item[1])
        w.text("layer_col2im", input=m(_entries(d.X)[most[0]]), count=most[1], name=m(columns_name),
               col2im=numbers.ref("unrolled:input"), **args)
    else:  # only its corners would show: its size says as much
        w.text("layer_unrolled_large", weight=numbers.ref("unrolled:weight"), product=product,
               columns=numbers.ref("unrolled:columns"), name=m(columns_name), rows=columns.shape[0],
               cols=columns.shape[1], option=code("--max-entries 0"), col2im=numbers.ref("unrolled:input"),
               **args)


def _reads_per_input(spec: ConvSpec) -> list[tuple[tuple[int, ...], int]]:
    """(input index, how many entries of X̂ copy it), in the input's order."""
    counts: dict[tuple[int, ...], int] = {}
    for _, _, index in unrolled.reads(spec):
        if index is not None:
            for c in range(spec.in_channels):
                counts[(c, *index)] = counts.get((c, *index), 0) + 1
    return sorted(counts.items())


# The quantities a Proof names, and the phrase for each.
PROOF_ITEMS = {
    "Y_hat = X_hat*K_hat vs Y - b": "proof_y_hat",
    "grad_input: closed form vs diff": "proof_grad_input",
    "grad_weight: closed form vs diff": "proof_grad_weight",
    "grad_bias: closed form vs diff": "proof_grad_bias",
    "grad_weight: X_hat^T delta_hat vs diff": "proof_unrolled_weight",
    "grad_input: col2im(delta_hat K_hat^T) vs diff": "proof_col2im",
    "grad_input": "proof_grad_input",
    "grad_depthwise_weight": "proof_grad_depthwise_weight",
    "grad_depthwise_bias": "proof_grad_depthwise_bias",
    "grad_pointwise_weight": "proof_grad_pointwise_weight",
    "grad_pointwise_bias": "proof_grad_pointwise_bias",
}


def _proof(w: Writer, proof: Proof, intro: str) -> None:
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


def _note_errors(w: Writer, spec: ConvSpec, backward: bool, depthwise: bool, numbers: Numbers | None,
                 level: int = 1) -> None:
    """The note's mistakes that this document's spec runs into, each shown on this layer."""
    w.section(level, "note_title")
    w.text("note_product")
    if backward and numbers is not None:
        _note_delta(w, spec, numbers)
        _note_weight(w, spec, numbers)
    if spec.is_dilated:
        true, note = [], []
        for k, dil, span in sorted(set(zip(spec.kernel, spec.dilations, spec.effective_kernel))):
            if dil > 1:
                true.append(f"k + (k - 1)(d - 1) = {k} + ({k} - 1)({dil} - 1) = {span}")
                note.append(rf"k + (r - 1)(k + 1) = {k} + ({dil} - 1)({k} + 1) = {k + (dil - 1) * (k + 1)}")
        w.text("note_span", true=m(r",\; ".join(true)), note=m(r",\; ".join(note)))
    if depthwise:
        w.text("note_depthwise", kernel=m(_size(spec.kernel)))


def _note_delta(w: Writer, spec: ConvSpec, numbers: Numbers) -> None:
    """The note's δ^l = δ^{l+1} ∗ rot180(W^{l+1}) ⊙ σ'(z^l) beside this layer's sizes."""
    note = Hadamard(Conv(_sym("delta^{l+1}"), Rot180(_sym("W^{l+1}")), 1, 1),
                    sp.Derivative(SIGMA(_sym("z^{l}")), _sym("z^{l}")))
    w.text("note_delta", formula=m(Concat((Notation(r"\delta^{l}"), note), Notation(" = "))))
    note_size = [o - k + 1 for o, k in zip(spec.output_size, spec.effective_kernel)]
    right = note_size == list(spec.sizes) and not spec.is_strided
    args = dict(closed=numbers.ref("grad_input:closed"), delta=m(_size(spec.output_size)),
                kernel=m(_size(spec.effective_kernel)), input=m(_size(spec.sizes)))
    if right:
        w.text("note_delta_right", **args)
    elif all(v > 0 for v in note_size):
        w.text("note_delta_wrong", note=m(_size(note_size)), **args)
    else:
        w.text("note_delta_undefined", **args)
    if spec.out_channels > 1:
        w.text("note_channels", sum=numbers.ref("grad_input:sum_kronecker"))


def _note_weight(w: Writer, spec: ConvSpec, numbers: Numbers) -> None:
    """The note's ∂J/∂W^l = a^{l−1} ∗ δ^l beside this layer's sizes."""
    weight = Conv(_sym("a^{l-1}"), _sym("delta^{l}"), 1, 1)
    w.text("note_weight", formula=m(Concat((Partial(Notation("W^{l}")), weight), Notation(" = "))))
    note_size = [n - o + 1 for n, o in zip(spec.sizes, spec.output_size)]
    args = dict(closed=numbers.ref("grad_weight:closed"), kernel=m(_size(spec.kernel)))
    if not (spec.is_strided or spec.is_padded or spec.is_dilated):
        w.text("note_weight_right", **args)
    elif all(v > 0 for v in note_size):
        w.text("note_weight_wrong", note=m(_size(note_size)), **args)
    else:
        w.text("note_weight_undefined", **args)


# -- the documents -------------------------------------------------------------------------------------------


def _body(w: Writer, d: Derivation, backward: bool, level: int, chain: bool, numbers: Numbers) -> None:
    names = _Names.of(d, chain)
    _sizes(w, d.spec, level, stage=not chain)
    _forward(w, d, names, level, numbers, backward)
    _unrolled(w, d, names, level)
    if backward:
        _backward(w, d, names, level, numbers)


def _noop(_: str) -> None:
    """A progress callback that reports nothing."""


def derivation_document(
    d: Derivation,
    *,
    backward: bool = False,
    max_entries: int,
    command: str,
    progress: Progress | None = None,
    figures: bool = False,
) -> Document:
    """The document for one convolution (``command`` is the symconv command that makes it)."""
    w = Writer(max_entries, progress or _noop, figures)
    numbers = Numbers()
    _body(w, d, backward, 1, chain=True, numbers=numbers)
    _note_errors(w, d.spec, backward, d.spec.is_depthwise, numbers)
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
    figures: bool = False,
) -> Document:
    """The document for a depthwise-separable layer: counts, both stages, the composite."""
    w = Writer(max_entries, progress or _noop, figures)
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
    w.picture("separable", plain, "fig_separable")
    numbers = Numbers()
    w.section(1, "general_title")
    forward_derivation(w, sd.depthwise.spec, numbers, backward)
    if backward:
        backward_derivation(w, sd.depthwise.spec, numbers, 1, chain=False)
    for number, (title, stage) in enumerate((("stage_depthwise", sd.depthwise),
                                             ("stage_pointwise", sd.pointwise)), start=1):
        w.section(1, title, number=number)
        w.text(title + "_intro")
        _body(w, stage, backward, 2, chain=False, numbers=numbers)
    w.section(1, "composite_title")
    w.progress("composing …")
    w.text("composite_intro")
    lhs = list(_entries(sd.pointwise.Y_names).ravel())
    composite = _factored(sd).ravel()
    w.equations(lhs, lambda i: composite[i])
    if backward:
        w.progress("proving the composite …")
        _proof(w, sd.prove(), "composite_proof")
    _note_errors(w, plain, backward, True, None)
    intro = (say("generated", command=code(command)), say("notation"))
    layer = f"{plain.describe()} (depthwise-separable)"
    return _finish(w, say("title_separable", dims=plain.ndim), layer, command, intro)


def _factored(sd: SeparableDerivation) -> np.ndarray:
    """The composite's outputs factored: the pointwise sums with each m replaced by its depthwise sum.

    SymPy keeps ``w · (x k + … + b)`` as a product (it distributes numbers only),
    so the stages stay visible: never expanded into one polynomial.
    """
    stage_1 = dict(zip(_entries(sd.depthwise.Y_names).ravel(), _entries(sd.depthwise.Y).ravel()))
    y = _entries(sd.pointwise.Y)
    out = np.empty(y.shape, dtype=object)
    for index in np.ndindex(*y.shape):
        out[index] = sp.sympify(y[index]).xreplace(stage_1)
    return out


def _command(d: AnyDerivation, fmt: str, lang: str, backward: bool, max_entries: int, figures: bool) -> str:
    """The ``symconv derive`` command that writes this document."""
    separable = isinstance(d, SeparableDerivation)
    spec = d.plain if isinstance(d, SeparableDerivation) else d.spec
    words = ["symconv", "derive", *spec.cli_args()]
    words += ["--separable"] if separable else []
    words += ["--backward"] if backward else []
    words += ["--format", fmt]
    words += ["--lang", lang] if lang != "en" else []
    words += ["--max-entries", str(max_entries)] if max_entries != DEFAULT_MAX_ENTRIES else []
    words += ["--figures"] if figures else []
    return " ".join(words)


def build(
    d: AnyDerivation, fmt: str, lang: str, backward: bool, max_entries: int, progress: Progress | None = None,
    figures: bool = False,
) -> Document:
    """The model of ``d``'s document in ``fmt`` and ``lang`` (for the command that writes it);
    ``figures`` places the layer's figures beside its formulas."""
    if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 0:
        raise RenderError(f"max_entries={max_entries!r} must be a whole number ≥ 0 (0 shows every entry; "
                          f"the default is {DEFAULT_MAX_ENTRIES})")
    command = _command(d, fmt, lang, backward, max_entries, figures)
    if isinstance(d, SeparableDerivation):
        return separable_document(d, backward=backward, max_entries=max_entries, command=command,
                                  progress=progress, figures=figures)
    if isinstance(d, Derivation):
        return derivation_document(d, backward=backward, max_entries=max_entries, command=command,
                                   progress=progress, figures=figures)
    raise RenderError(f"cannot render {type(d).__name__}: give a Derivation or a SeparableDerivation")


def _finish(w: Writer, title: Text, layer: str, command: str, intro: tuple[Block, ...]) -> Document:
    sections = w.finish()
    closing: list[Block] = []
    if w.elided:
        closing.append(say("elided_total", count=w.elided, option=code("--max-entries 0")))
    if w.terms:
        closing.append(say("elided_terms_total", count=w.terms, option=code("--max-entries 0")))
    return Document(title, layer, command, intro, sections, tuple(closing), w.elided, w.terms, w.columns)
