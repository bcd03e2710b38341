r"""The derivations in a document: from the definition to each closed form, in numbered equations.

The chains of :mod:`symconv.algebra.derivation_steps` — for the spec's general
form (groups, bias and padding kind as the spec's), written for one spatial
dimension — laid out as a textbook derives them: one numbered display per
step, a sentence before it that names the move (the chain rule, the Kronecker
bracket summed out, zero insertion, the dilated kernel, the flip, the full
padding, the correlation, the crop) and why it is needed, each intermediate
tensor defined where it first appears, and the closed form at the end. What
was checked is said at the end, from :func:`symconv.symbolic.steps_check.check`:
each step evaluated exactly on a stated set of instances — a derivation
checked on instances, not a proof for all sizes.

Nothing here derives or evaluates: every expression is the algebra's; the
builders choose the words and the numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import sympy as sp

from symconv.algebra import derivation_steps as ds
from symconv.algebra import index_formulas as ix
from symconv.algebra.operators import TensorSymbol, role
from symconv.printing.index_latex import index_latex
from symconv.printing.note_latex import note_latex
from symconv.render.model import Equation, Ref
from symconv.render.notation import Concat, IndexExpr, Named, Notation
from symconv.render.writer import Writer, code, eq, m
from symconv.spec import ConvSpec
from symconv.symbolic import steps_check

# The tensors of the general formulas, as the operator printer names them.
GENERAL_NAMES = {"x": "X", "W": "W", "delta": r"\delta", "b": "b"}


@dataclass
class Numbers:
    """The equation number of each labelled equation (a definition, a tensor) in this document."""

    of: dict[str, int] = field(default_factory=dict)
    named: dict[sp.Basic, TensorSymbol] = field(default_factory=dict)  # operator expressions defined so far
    ranges: tuple[tuple[sp.Symbol, sp.Expr, sp.Expr], ...] = ()  # stated once; sums over them drop limits

    def ref(self, key: str) -> Ref:
        return Ref(self.of[key])


def _expr(value: sp.Basic, numbers: Numbers) -> IndexExpr:
    return IndexExpr(value, ranges=numbers.ranges)


def _operators(expr: sp.Expr) -> Named:
    """A closed form in the operator notation, under the general names."""
    return Named.of(expr, {k: sp.Symbol(v) for k, v in GENERAL_NAMES.items()})


def _tensor_definition(w: Writer, tensor: ds.Tensor, numbers: Numbers) -> list[Equation]:
    """``\\check{\\delta} = \\mathrm{dil}_s(\\delta)`` and its entries over their range, numbered."""
    number = w.number()
    numbers.of[tensor.base.label.name] = number
    name = Notation(tensor.base.label.name)
    index, first, last = tensor.ranges[-1]
    where = Notation(r",\quad " + index_latex(first) + r" \le " + index_latex(index) + r" \le "
                     + index_latex(last))
    entries = Concat((_expr(tensor.entry, numbers), where), Notation(""))
    operator = tensor.operator.xreplace(numbers.named)
    numbers.named[tensor.operator] = TensorSymbol(tensor.base.label.name, role(tensor.operator)[0])
    return [eq(name, "=", _operators(operator)),
            _tagged(eq(_expr(tensor.lhs, numbers), "=", entries), number)]


def _tagged(equation: Equation, number: int) -> Equation:
    return replace(equation, tag=number)


def _step(w: Writer, chain: ds.Chain, step: ds.Step, numbers: Numbers, key: str, **args: object) -> None:
    """The sentence for ``step``, the tensors it defines, and ``lhs = rhs`` numbered."""
    w.text(key, **args)
    rows: list[Equation] = []
    for tensor in step.defines:
        if tensor.base.label.name not in numbers.of:
            rows += _tensor_definition(w, tensor, numbers)
    number = w.number()
    numbers.of[f"{chain.quantity}:{step.move}"] = number
    rows.append(_tagged(eq(_expr(chain.lhs, numbers), "=", _expr(step.rhs, numbers)), number))
    w.math(*rows, kind="align" if len(rows) > 1 else "equation")


def _closed(w: Writer, chain: ds.Chain, numbers: Numbers, key: str, **args: object) -> None:
    w.text(key, **args)
    number = w.number()
    numbers.of[f"{chain.quantity}:closed"] = number
    lhs = Notation(_GRADIENT_LHS.get(chain.quantity, "Y"))
    w.math(_tagged(eq(lhs, "=", _operators(chain.closed)), number))


_GRADIENT_LHS = {
    "grad_input": r"\partial J / \partial X",
    "grad_weight": r"\partial J / \partial W",
    "grad_bias": r"\partial J / \partial b",
}

# The sentence before each step, by the step's move (and quantity where the move is shared).
_STEP_PHRASES: dict[tuple[str, str], str] = {
    ("forward", "definition"): "derive_forward_definition",
    ("forward", "pad_input"): "derive_forward_pad",
    ("grad_input", "sum_kronecker"): "derive_sum_kronecker",
    ("grad_input", "zero_insertion"): "derive_zero_insertion",
    ("grad_input", "dilate_kernel"): "derive_dilate_kernel",
    ("grad_input", "flip"): "derive_flip",
    ("grad_input", "full_padding"): "derive_full_padding",
    ("grad_input", "correlation"): "derive_correlation",
    ("grad_weight", "pad_input"): "derive_pad_weight",
    ("grad_weight", "zero_insertion_weight"): "derive_zero_insertion_weight",
}

_CLOSED_PHRASES = {
    "forward": "derive_forward_closed",
    "grad_input": "derive_closed_input",
    "grad_weight": "derive_closed_weight",
    "grad_bias": "derive_closed_bias",
}


def general_form(spec: ConvSpec) -> ix.Form:
    """The form a document derives in: the spec's groups, bias and padding kind, one dimension."""
    full = ix.Form.of(spec)
    return ix.Form(1, full.grouped, full.bias, full.asymmetric)


# The first steps of a chain that one sentence introduces, written as one chain of equalities.
_OPENINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "grad_input": ("derive_input_opening", ("chain_rule", "differentiate")),
    "grad_weight": ("derive_weight_opening", ("chain_rule", "differentiate_weight", "sum_kronecker_weight")),
    "grad_bias": ("derive_bias_opening", ("chain_rule", "differentiate_bias", "sum_kronecker_bias")),
}


def _opening(w: Writer, chain: ds.Chain, steps: list[ds.Step], numbers: Numbers, key: str,
             **args: object) -> None:
    """One sentence, then ``lhs = first (n) = second (n+1) …``: steps that need no tensor of their own."""
    w.text(key, **args)
    rows: list[Equation] = []
    for step in steps:
        number = w.number()
        numbers.of[f"{chain.quantity}:{step.move}"] = number
        lhs = _expr(chain.lhs, numbers) if not rows else Notation("")
        rows.append(_tagged(eq(lhs, "=", _expr(step.rhs, numbers)), number))
    w.math(*rows, kind="align")


def _chain(
    w: Writer, chain: ds.Chain, numbers: Numbers, refs: Callable[[str], dict[str, object]], grouped: bool
) -> None:
    steps = list(chain.steps)
    if chain.quantity in _OPENINGS:
        key, moves = _OPENINGS[chain.quantity]
        first = [step for step in steps if step.move in moves]
        assert [step.move for step in first] == list(moves) and not any(step.defines for step in first)
        _opening(w, chain, first, numbers, key, **refs("opening"))
        steps = [step for step in steps if step.move not in moves]
    for step in steps:
        key = _STEP_PHRASES[(chain.quantity, step.move)]
        if step.move == "sum_kronecker" and not grouped:
            key += "_plain"
        _step(w, chain, step, numbers, key, **refs(step.move))
    _closed(w, chain, numbers, _CLOSED_PHRASES[chain.quantity], **refs("closed"))


def forward_derivation(w: Writer, spec: ConvSpec, numbers: Numbers, backward: bool) -> None:
    """The forward pass in general form: its definition (numbered), the padded input, the closed form.

    Also states, once, the range of every index the document's sums run over
    whole (``backward``: the gradients' too); those sums are then written without limits.
    """
    form = general_form(spec)
    chains = ds.chains(form)
    chain = chains["forward"]
    numbers.ranges = ds.sum_ranges(chains.values() if backward else [chain])
    w.text("derive_general_intro", dims=spec.ndim)
    w.text("derive_ranges", ranges=m(_ranges_latex(numbers.ranges)))
    if form.grouped:
        w.text("derive_groups")
    _chain(w, chain, numbers, lambda move: {}, form.grouped)


def _ranges_latex(ranges: tuple[tuple[sp.Symbol, sp.Expr, sp.Expr], ...]) -> Notation:
    """``0 \\le o, o' \\le C_{\\mathrm{out}} - 1,\\; 0 \\le i \\le n' - 1``: indices of one range together."""
    together: dict[tuple[sp.Expr, sp.Expr], list[sp.Symbol]] = {}
    for symbol, lo, hi in ranges:
        together.setdefault((lo, hi), []).append(symbol)
    parts = [
        rf"{index_latex(lo)} \le {', '.join(index_latex(s) for s in symbols)} \le {index_latex(hi)}"
        for (lo, hi), symbols in together.items()
    ]
    return Notation(r",\; ".join(parts))


def backward_derivation(w: Writer, spec: ConvSpec, numbers: Numbers, level: int, chain: bool) -> None:
    """The three gradients derived from the definition, then what was checked."""
    form = general_form(spec)
    chains = ds.chains(form)
    definition = numbers.ref("forward:definition")

    def refs(move: str) -> dict[str, object]:
        out: dict[str, object] = {"definition": definition}
        if move == "zero_insertion_weight":
            out["zeros"] = numbers.ref(r"\check{\delta}")
        if move == "pad_input" and r"\tilde{X}" in numbers.of:
            out["padded"] = numbers.ref(r"\tilde{X}")
        return out

    w.section(level, "derive_backward_title")
    w.text("derive_backward_intro" if chain else "derive_backward_intro_stage", definition=definition)
    w.section(level + 1, "derive_input_title")
    _chain(w, chains["grad_input"], numbers, refs, form.grouped)
    if spec.ndim == 3:
        w.text("derive_flip_3d")
    w.section(level + 1, "derive_weight_title")
    _chain(w, chains["grad_weight"], numbers, refs, form.grouped)
    if "grad_bias" in chains:
        w.section(level + 1, "derive_bias_title")
        _chain(w, chains["grad_bias"], numbers, refs, form.grouped)
    _unrolled_view(w, numbers, level + 1, form.grouped)
    w.progress("checking the derivation's steps on instances …")
    checked(w, form)


_T = r"^{\mathsf{T}}"


def _unrolled_view(w: Writer, numbers: Numbers, level: int, grouped: bool) -> None:
    """The gradients from ``Ŷ = X̂ K̂``: ``X̂ᵀ δ̂`` and ``δ̂ K̂ᵀ``, folded back by col2im."""
    w.section(level, "derive_unrolled_title")
    w.text("derive_unrolled_intro")
    rows = []
    for key, lhs, entry, product in (
        ("unrolled:weight", r"\partial J / \partial \hat{K}_{t,o}",
         r"\sum_{r} \hat{X}_{r,t} \, \hat{\delta}_{r,o}", rf"(\hat{{X}}{_T} \hat{{\delta}})_{{t,o}}"),
        ("unrolled:columns", r"\partial J / \partial \hat{X}_{r,t}",
         r"\sum_{o} \hat{\delta}_{r,o} \, \hat{K}_{t,o}", rf"(\hat{{\delta}} \hat{{K}}{_T})_{{r,t}}"),
    ):
        number = w.number()
        numbers.of[key] = number
        rows.append(_tagged(eq(lhs, "=", entry, "=", product), number))
    w.math(*rows, kind="align")
    weight = numbers.ref("grad_weight:closed")
    w.text("derive_unrolled_weight_groups" if grouped else "derive_unrolled_weight", weight=weight)
    w.text("derive_col2im")
    number = w.number()
    numbers.of["unrolled:input"] = number
    w.math(_tagged(eq(r"\partial J / \partial X", "=",
                      rf"\mathrm{{col2im}}\bigl(\hat{{\delta}} \hat{{K}}{_T}\bigr)"), number))
    w.text("derive_jacobian", closed=numbers.ref("grad_input:closed"))


def compact(spec: ConvSpec) -> list[str]:
    """The general formulas in LaTeX, for a notebook: the definition and each closed form (no steps)."""
    chains = ds.chains(general_form(spec))
    rows = [index_latex(chains["forward"].lhs) + " = " + index_latex(chains["forward"].steps[0].rhs)]
    closed = [f"{_GRADIENT_LHS[q]} = {note_latex(_operators(chains[q].closed))}"
              for q in ("grad_input", "grad_weight", "grad_bias") if q in chains]
    return rows + closed


def checked(w: Writer, form: ix.Form) -> None:
    """What the derivation's steps were checked on, and how it came out."""
    result = steps_check.check(form)
    dims = result.by_dims()
    ranges = result.ranges()

    def span(name: str) -> str:
        low, high = ranges[name]
        return str(low) if low == high else f"{low}–{high}"

    args = {
        "count": len(result.instances), "one": dims.get(1, 0), "two": dims.get(2, 0),
        "three": dims.get(3, 0), "strides": span("stride"), "paddings": span("padding"),
        "dilations": span("dilation"), "kernels": span("kernel"), "groups": span("groups"),
        "entries": result.entries, "steps": result.steps,
    }
    if result.holds:
        w.text("derive_checked", **args)
    else:
        w.text("derive_check_failed", failures=len(result.failures), **args)
        for line in result.failures[:5]:
            w.text("derive_failure", line=code(line))
