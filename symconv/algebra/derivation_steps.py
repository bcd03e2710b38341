r"""The derivations, step by step: from the definition to each closed form, as index formulas.

For every quantity (the forward pass and the three gradients) a :class:`Chain`
is a list of equal right sides of ``lhs = …``, each an index expression with
symbolic sizes (the symbols of :class:`~symconv.algebra.index_formulas.Sizes`,
plus ``n'`` the output size, ``k' = d(k − 1) + 1`` the dilated kernel's span and
``q = (n + p + p' − k') mod s`` the positions a stride leaves unused). Each
:class:`Step` names its move — the chain rule, differentiating the definition,
summing out a Kronecker bracket, zero insertion, the dilated kernel, the flip,
the full padding, the correlation — and the intermediate tensors it introduces
(:class:`Tensor`: a name, what it is in the operator vocabulary, e.g.
``Dilate(δ, s)``, and its entries as an index expression). The last step is
the closed form of :func:`symconv.algebra.closed_forms.closed_forms` with every
step kept. In one dimension, for the input gradient::

    ∂J/∂X[c,j] = Σ_o Σ_i δ[o,i] · ∂Y[o,i]/∂X[c,j]                                  chain rule
               = Σ_o Σ_i δ[o,i] Σ_c' Σ_u W[o,c',u] [c₀(o)+c' = c] [s i + d u − p = j]  differentiate
               = Σ_{o∈G(c)} Σ_u W[o,c−c₀(o),u] δ[o,(j+p−du)/s] [s | j+p−du] [0 ≤ (j+p−du)/s ≤ n'−1]
               = Σ_{o∈G(c)} Σ_u W[o,c−c₀(o),u] δ̌[o,j+p−du] [0 ≤ j+p−du ≤ s(n'−1)]      δ̌ = dilate_s(δ)
               = Σ_{o∈G(c)} Σ_v W̌[o,c−c₀(o),v] δ̌[o,j+p−v] [0 ≤ j+p−v ≤ s(n'−1)]       W̌ = dilate_d(W)
               = Σ_{o∈G(c)} Σ_v W̃[o,c−c₀(o),v] δ̌[o,j+p−(k'−1)+v] […]                  W̃ = rot180(W̌)
               = [j+p ≤ s(n'−1)+k'−1] Σ_{o∈G(c)} Σ_v W̃[o,c−c₀(o),v] Δ[o,j+p+v]       Δ = pad_{k'−1}(δ̌)
               = [j+p ≤ s(n'−1)+k'−1] F[c,j+p]                                        F = Δ ∗ W̃
    ∂J/∂X      = crop_{p,p'}(pad_{0,q}(F))                                             the closed form

In several dimensions every index, size and amount is one per dimension, with a
sum and a bracket per dimension. The steps are written in the order a reader
reads them (``s i + d u − p``, not SymPy's sorted order): they are built
unevaluated, and they are shown true by evaluating every step on instances
(:mod:`symconv.symbolic.steps_check`), not by SymPy's simplification.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symconv.algebra import closed_forms as cfs
from symconv.algebra import index_formulas as ix
from symconv.algebra.index_functions import Divides, FirstInput, FirstOutput, InRange, Same
from symconv.algebra.operators import DELTA, TensorSymbol, W, X

__all__ = [
    "QUANTITIES",
    "Chain",
    "Derived",
    "PartialLabel",
    "Step",
    "Tensor",
    "chains",
    "derived_sizes",
]

QUANTITIES = ("forward", "grad_input", "grad_weight", "grad_bias")

Range = tuple[sp.Symbol, sp.Expr, sp.Expr]


# -- unevaluated arithmetic: the order a reader reads -----------------------------------------------


def add(*terms: Any) -> sp.Expr:
    """``a + b + …`` as written (zeros dropped)."""
    kept: list[sp.Expr] = []
    for term in terms:
        term = sp.sympify(term)
        if term != 0:
            kept += term.args if isinstance(term, sp.Add) else [term]
    if not kept:
        return sp.S.Zero
    return kept[0] if len(kept) == 1 else sp.Add(*kept, evaluate=False)


def mul(*factors: Any) -> sp.Expr:
    """``a · b · …`` as written (ones dropped)."""
    kept = [sp.sympify(f) for f in factors if f != 1]
    if not kept:
        return sp.S.One
    return kept[0] if len(kept) == 1 else sp.Mul(*kept, evaluate=False)


def neg(a: Any) -> sp.Expr:
    """``−a`` as written."""
    a = sp.sympify(a)
    return -a if a.is_Number else sp.Mul(sp.S.NegativeOne, a, evaluate=False)


def minus(a: Any, b: Any) -> sp.Expr:
    """``a − b`` as written."""
    return add(a, neg(b)) if b != 0 else sp.sympify(a)


def brackets(*factors: sp.Expr) -> sp.Expr:
    """A product of brackets, those that are already 1 dropped."""
    return mul(*[f for f in factors if f != 1])


# -- names ---------------------------------------------------------------------------------------------


class PartialLabel(sp.Symbol):  # type: ignore[misc]
    """The label of a Jacobian's entries ``∂Y[o,i]/∂X[c,j]``: ``of`` and ``by`` name the two tensors.

    The indices of an entry are the first tensor's, then the second's; ``split``
    is how many belong to the first.
    """

    of: str
    by: str
    split: int

    def __new__(cls, of: str, by: str, split: int) -> PartialLabel:
        obj = sp.Symbol.__xnew__(cls, f"d{of}/d{by}")
        obj.of, obj.by, obj.split = of, by, split
        return obj  # type: ignore[no-any-return]

    def __getnewargs_ex__(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (self.of, self.by, self.split), {}

    def _hashable_content(self) -> tuple[Any, ...]:
        return (*super()._hashable_content(), self.of, self.by, self.split)


@dataclass(frozen=True)
class Derived:
    """The derived size symbols of one dimension: the output size, the kernel's span, the unused positions."""

    out: sp.Symbol  # n'
    span: sp.Symbol  # k'
    unused: sp.Symbol  # q


def derived_sizes(dims: int) -> tuple[Derived, ...]:
    """``n'``, ``k'``, ``q`` per dimension (``n'_1``, … in several)."""
    return tuple(
        Derived(*(sp.Symbol(ix.dim_name(base, t, dims), **ix.NONNEG) for base in ("n'", "k'", "q")))
        for t in range(dims)
    )


@dataclass(frozen=True)
class Tensor:
    """An intermediate tensor of a derivation: its name, what it is as an operator, and its entries.

    ``entry`` is ``base[indices]`` written as an index expression over the
    layer's tensors and earlier intermediates, for every index in ``ranges``
    (inclusive, symbolic); outside them the tensor is zero.
    """

    base: sp.IndexedBase
    operator: sp.Expr
    indices: tuple[sp.Symbol, ...]
    ranges: tuple[Range, ...]
    entry: sp.Expr

    @property
    def lhs(self) -> sp.Indexed:
        return self.base[self.indices]


@dataclass(frozen=True)
class Step:
    """One right side of a chain and the move that gives it (a key the documents put in words)."""

    move: str
    rhs: sp.Expr
    defines: tuple[Tensor, ...] = ()


@dataclass(frozen=True)
class Chain:
    """``lhs = steps[0].rhs = …``, ending in the closed form ``closed`` (an operator expression).

    ``jacobian`` is the IndexedBase of the chain-rule step's derivatives (None
    for the forward pass).
    """

    quantity: str
    lhs: sp.Indexed
    indices: tuple[Range, ...]
    steps: tuple[Step, ...]
    closed_lhs: sp.Basic
    closed: sp.Expr
    jacobian: sp.IndexedBase | None

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """Every intermediate the chain introduces, in order."""
        return tuple(t for step in self.steps for t in step.defines)


# The intermediate tensors, by their printed names.
X_PAD = sp.IndexedBase(sp.Symbol(r"\tilde{X}"))
DELTA_ZEROS = sp.IndexedBase(sp.Symbol(r"\check{\delta}"))
W_DILATED = sp.IndexedBase(sp.Symbol(r"\check{W}"))
W_TURNED = sp.IndexedBase(sp.Symbol(r"\tilde{W}"))
DELTA_FULL = sp.IndexedBase(sp.Symbol(r"\Delta"))
FULL = sp.IndexedBase(sp.Symbol("F"))

# Index letters the steps sum over, besides those of the index formulas.
_CW = sp.Symbol("c'", **ix.NONNEG)  # a channel within the group (W's second index)
_OO = sp.Symbol("o'", **ix.NONNEG)  # another output channel, in a chain rule


# -- the chains ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Letters:
    """The symbols of one form, and the per-dimension index letters."""

    z: ix.Sizes
    derived: tuple[Derived, ...]

    @property
    def dims(self) -> int:
        return self.z.form.dims

    def idx(self, base: str) -> tuple[sp.Symbol, ...]:
        return ix.index_symbols(base, self.dims)

    @property
    def grouped(self) -> bool:
        return self.z.g is not None

    def first_in(self, o: sp.Expr) -> sp.Expr:
        """``c₀(o)`` (0 ungrouped)."""
        return FirstInput(o, self.z.group_in, self.z.group_out) if self.grouped else sp.S.Zero

    def group_sum(self, c: sp.Expr) -> Range:
        """The output channels of ``c``'s group: ``o ∈ G(c)`` (every one ungrouped)."""
        if not self.grouped:
            return (ix.OUT, sp.S.Zero, minus(self.z.c_out, 1))
        first = FirstOutput(c, self.z.group_in, self.z.group_out)
        return (ix.OUT, first, add(first, minus(self.z.group_out, 1)))

    def channel_range(self, symbol: sp.Symbol) -> Range:
        """A channel within the group: ``0 … C_in/G − 1``."""
        return (symbol, sp.S.Zero, minus(self.z.group_in, 1))

    def last_out(self, t: int) -> sp.Expr:
        return minus(self.derived[t].out, 1)

    def zeros_last(self, t: int) -> sp.Expr:
        """The last index of the zero-inserted δ: ``s(n' − 1)``."""
        return mul(self.z.s[t], sp.Add(self.derived[t].out, -1, evaluate=False))

    def span_last(self, t: int) -> sp.Expr:
        return minus(self.derived[t].span, 1)


def _padded_size(n: sp.Expr, before: sp.Expr, after: sp.Expr) -> sp.Expr:
    """``n + 2p`` with as many zeros after as before, else ``n + p + p_a`` (as written, not sorted)."""
    return add(n, mul(2, before)) if before == after else add(n, before, after)


def _sums(body: sp.Expr, limits: Sequence[Range]) -> sp.Expr:
    """``Σ_{first} … Σ_{last} body`` (the first outermost), one Sum per index."""
    for limit in reversed(limits):
        body = sp.Sum(body, limit)
    return body


def _closed_forms(a: _Letters) -> cfs.ClosedForms:
    """The closed forms with every step kept (the general ones), for this form's padding and bias."""
    return cfs.general(symmetric=not a.z.form.asymmetric, bias=a.z.form.bias)


def _forward(a: _Letters) -> Chain:
    z, dims = a.z, a.dims
    i, u, m = a.idx("i"), a.idx("u"), a.idx("m")
    c_in = add(a.first_in(ix.OUT), _CW)
    reads = [add(mul(z.s[t], i[t]), mul(z.d[t], u[t]), neg(z.p[t])) for t in range(dims)]
    bias = [ix.B[ix.OUT]] if z.form.bias else []
    limits = [a.channel_range(_CW)] + [(u[t], sp.S.Zero, minus(z.k[t], 1)) for t in range(dims)]
    inside = brackets(*[InRange(reads[t], 0, minus(z.n[t], 1)) for t in range(dims)])
    definition = add(*bias, _sums(mul(ix.W[(ix.OUT, _CW, *u)], ix.X[(c_in, *reads)], inside), limits))
    x_pad = Tensor(
        X_PAD, dict(_closed_forms(a).steps)["x_padded"], (ix.CH, *m),
        ((ix.CH, sp.S.Zero, minus(z.c_in, 1)),
         *[(m[t], sp.S.Zero, minus(_padded_size(z.n[t], z.p[t], z.pa[t]), 1)) for t in range(dims)]),
        mul(ix.X[(ix.CH, *[minus(m[t], z.p[t]) for t in range(dims)])],
            brackets(*[InRange(m[t], z.p[t], minus(add(z.p[t], z.n[t]), 1)) for t in range(dims)])),
    )
    padded = [add(mul(z.s[t], i[t]), mul(z.d[t], u[t])) for t in range(dims)]
    on_padded = add(*bias, _sums(mul(ix.W[(ix.OUT, _CW, *u)], X_PAD[(c_in, *padded)]), limits))
    outputs = [(i[t], sp.S.Zero, a.last_out(t)) for t in range(dims)]
    indices = ((ix.OUT, sp.S.Zero, minus(z.c_out, 1)), *outputs)
    forms = _closed_forms(a)
    return Chain(
        "forward", ix.Y[(ix.OUT, *i)], indices,
        (Step("definition", definition), Step("pad_input", on_padded, (x_pad,))),
        sp.Symbol("Y"), forms.forward, None,
    )


def _grad_input(a: _Letters) -> Chain:
    z, dims = a.z, a.dims
    j, i, u, v, m = a.idx("j"), a.idx("i"), a.idx("u"), a.idx("v"), a.idx("m")
    c, o = ix.CH, ix.OUT
    jac = sp.IndexedBase(PartialLabel("Y", "X", 1 + dims))
    all_out = (o, sp.S.Zero, minus(z.c_out, 1))
    positions = [(i[t], sp.S.Zero, a.last_out(t)) for t in range(dims)]
    taps = [(u[t], sp.S.Zero, minus(z.k[t], 1)) for t in range(dims)]
    span = [(v[t], sp.S.Zero, a.span_last(t)) for t in range(dims)]
    within = minus(c, a.first_in(o)) if a.grouped else c
    forms = dict(_closed_forms(a).steps)

    chain_rule = _sums(mul(ix.DELTA[(o, *i)], jac[(o, *i, c, *j)]), [all_out, *positions])
    reads = [add(mul(z.s[t], i[t]), mul(z.d[t], u[t]), neg(z.p[t])) for t in range(dims)]
    hits = [Same(reads[t], j[t]) for t in range(dims)]
    if a.grouped:
        inner = _sums(mul(ix.W[(o, _CW, *u)], brackets(Same(add(a.first_in(o), _CW), c), *hits)),
                      [a.channel_range(_CW), *taps])
    else:
        inner = _sums(mul(ix.W[(o, c, *u)], brackets(*hits)), taps)
    differentiated = _sums(mul(ix.DELTA[(o, *i)], inner), [all_out, *positions])

    shifted = [add(j[t], z.p[t], neg(mul(z.d[t], u[t]))) for t in range(dims)]
    back = [mul(shifted[t], sp.Pow(z.s[t], -1, evaluate=False)) for t in range(dims)]
    guards = [
        f for t in range(dims) for f in (Divides(z.s[t], shifted[t]), InRange(back[t], 0, a.last_out(t)))
    ]
    group = a.group_sum(c)
    summed = _sums(mul(ix.W[(o, within, *u)], ix.DELTA[(o, *back)], brackets(*guards)), [group, *taps])

    delta_zeros = Tensor(
        DELTA_ZEROS, forms["delta_dilated"], (o, *m),
        (all_out, *[(m[t], sp.S.Zero, a.zeros_last(t)) for t in range(dims)]),
        mul(ix.DELTA[(o, *[mul(m[t], sp.Pow(z.s[t], -1, evaluate=False)) for t in range(dims)])],
            brackets(*[Divides(z.s[t], m[t]) for t in range(dims)])),
    )
    zero_inserted = _sums(
        mul(ix.W[(o, within, *u)], DELTA_ZEROS[(o, *shifted)],
            brackets(*[InRange(shifted[t], 0, a.zeros_last(t)) for t in range(dims)])),
        [group, *taps],
    )

    w_dilated = Tensor(
        W_DILATED, forms["kernel_dilated"], (o, _CW, *v),
        (all_out, a.channel_range(_CW), *span),
        mul(ix.W[(o, _CW, *[mul(v[t], sp.Pow(z.d[t], -1, evaluate=False)) for t in range(dims)])],
            brackets(*[Divides(z.d[t], v[t]) for t in range(dims)])),
    )
    moved = [add(j[t], z.p[t], neg(v[t])) for t in range(dims)]
    dilated = _sums(
        mul(W_DILATED[(o, within, *v)], DELTA_ZEROS[(o, *moved)],
            brackets(*[InRange(moved[t], 0, a.zeros_last(t)) for t in range(dims)])),
        [group, *span],
    )

    w_turned = Tensor(
        W_TURNED, forms["kernel_rot180"], (o, _CW, *v),
        (all_out, a.channel_range(_CW), *span),
        W_DILATED[(o, _CW, *[minus(a.span_last(t), v[t]) for t in range(dims)])],
    )
    turned_at = [add(j[t], z.p[t], neg(a.span_last(t)), v[t]) for t in range(dims)]
    flipped = _sums(
        mul(W_TURNED[(o, within, *v)], DELTA_ZEROS[(o, *turned_at)],
            brackets(*[InRange(turned_at[t], 0, a.zeros_last(t)) for t in range(dims)])),
        [group, *span],
    )

    full_last = [add(a.zeros_last(t), a.span_last(t)) for t in range(dims)]  # F's last index
    delta_full = Tensor(
        DELTA_FULL, forms["delta_full"], (o, *m),
        (all_out, *[(m[t], sp.S.Zero, add(a.zeros_last(t), mul(2, a.span_last(t)))) for t in range(dims)]),
        mul(DELTA_ZEROS[(o, *[minus(m[t], a.span_last(t)) for t in range(dims)])],
            brackets(*[InRange(m[t], a.span_last(t), add(a.span_last(t), a.zeros_last(t)))
                       for t in range(dims)])),
    )
    at = [add(j[t], z.p[t]) for t in range(dims)]
    reach = brackets(*[InRange(at[t], 0, full_last[t]) for t in range(dims)])
    window = [add(at[t], v[t]) for t in range(dims)]
    padded = mul(reach, _sums(mul(W_TURNED[(o, within, *v)], DELTA_FULL[(o, *window)]), [group, *span]))

    full = Tensor(
        FULL, forms["full"],
        (c, *m),
        ((c, sp.S.Zero, minus(z.c_in, 1)), *[(m[t], sp.S.Zero, full_last[t]) for t in range(dims)]),
        _sums(mul(W_TURNED[(o, within, *v)], DELTA_FULL[(o, *[add(m[t], v[t]) for t in range(dims)])]),
              [group, *span]),
    )
    correlated = mul(reach, FULL[(c, *at)])

    indices = ((c, sp.S.Zero, minus(z.c_in, 1)), *[(j[t], sp.S.Zero, minus(z.n[t], 1)) for t in range(dims)])
    steps = (
        Step("chain_rule", chain_rule),
        Step("differentiate", differentiated),
        Step("sum_kronecker", summed),
        Step("zero_insertion", zero_inserted, (delta_zeros,)),
        Step("dilate_kernel", dilated, (w_dilated,)),
        Step("flip", flipped, (w_turned,)),
        Step("full_padding", padded, (delta_full,)),
        Step("correlation", correlated, (full,)),
    )
    return Chain("grad_input", ix.GRAD["X"][(c, *j)], indices, steps, ix.GRAD["X"].label,
                 _closed_forms(a).grad_input, jac)


def _grad_weight(a: _Letters) -> Chain:
    z, dims = a.z, a.dims
    i, u, m = a.idx("i"), a.idx("u"), a.idx("m")
    o = ix.OUT
    jac = sp.IndexedBase(PartialLabel("Y", "W", 1 + dims))
    others = (_OO, sp.S.Zero, minus(z.c_out, 1))
    positions = [(i[t], sp.S.Zero, a.last_out(t)) for t in range(dims)]
    chain_rule = _sums(mul(ix.DELTA[(_OO, *i)], jac[(_OO, *i, o, _CW, *u)]), [others, *positions])
    reads = [add(mul(z.s[t], i[t]), mul(z.d[t], u[t]), neg(z.p[t])) for t in range(dims)]
    channel = add(a.first_in(o), _CW)
    inside = brackets(*[InRange(reads[t], 0, minus(z.n[t], 1)) for t in range(dims)])
    differentiated = _sums(
        mul(ix.DELTA[(_OO, *i)], Same(_OO, o), ix.X[(channel, *reads)], inside), [others, *positions]
    )
    summed = _sums(mul(ix.DELTA[(o, *i)], ix.X[(channel, *reads)], inside), positions)
    padded_at = [add(mul(z.s[t], i[t]), mul(z.d[t], u[t])) for t in range(dims)]
    x_pad = _forward(a).steps[1].defines[0]
    on_padded = _sums(mul(ix.DELTA[(o, *i)], X_PAD[(channel, *padded_at)]), positions)
    delta_zeros = _grad_input(a).steps[3].defines[0]
    spread = [(m[t], sp.S.Zero, a.zeros_last(t)) for t in range(dims)]
    zero_inserted = _sums(
        mul(DELTA_ZEROS[(o, *m)], X_PAD[(channel, *[add(m[t], mul(z.d[t], u[t])) for t in range(dims)])]),
        spread,
    )
    indices = (
        (o, sp.S.Zero, minus(z.c_out, 1)), a.channel_range(_CW),
        *[(u[t], sp.S.Zero, minus(z.k[t], 1)) for t in range(dims)],
    )
    steps = (
        Step("chain_rule", chain_rule),
        Step("differentiate_weight", differentiated),
        Step("sum_kronecker_weight", summed),
        Step("pad_input", on_padded, (x_pad,)),
        Step("zero_insertion_weight", zero_inserted, (delta_zeros,)),
    )
    return Chain("grad_weight", ix.GRAD["W"][(o, _CW, *u)], indices, steps, ix.GRAD["W"].label,
                 _closed_forms(a).grad_weight, jac)


def _grad_bias(a: _Letters) -> Chain:
    z, dims = a.z, a.dims
    i = a.idx("i")
    o = ix.OUT
    jac = sp.IndexedBase(PartialLabel("Y", "b", 1 + dims))
    others = (_OO, sp.S.Zero, minus(z.c_out, 1))
    positions = [(i[t], sp.S.Zero, a.last_out(t)) for t in range(dims)]
    steps = (
        Step("chain_rule", _sums(mul(ix.DELTA[(_OO, *i)], jac[(_OO, *i, o)]), [others, *positions])),
        Step("differentiate_bias", _sums(mul(ix.DELTA[(_OO, *i)], Same(_OO, o)), [others, *positions])),
        Step("sum_kronecker_bias", _sums(ix.DELTA[(o, *i)], positions)),
    )
    forms = _closed_forms(a)
    assert forms.grad_bias is not None
    return Chain("grad_bias", ix.GRAD["b"][o], ((o, sp.S.Zero, minus(z.c_out, 1)),), steps,
                 ix.GRAD["b"].label, forms.grad_bias, jac)


def chains(form: ix.Form) -> dict[str, Chain]:
    """The chains of ``form``: forward, grad_input, grad_weight, and grad_bias when it has a bias."""
    a = _Letters(ix.Sizes.of(form), derived_sizes(form.dims))
    out = {"forward": _forward(a), "grad_input": _grad_input(a), "grad_weight": _grad_weight(a)}
    if form.bias:
        out["grad_bias"] = _grad_bias(a)
    return out


def values(form: ix.Form, spec: Any) -> dict[sp.Symbol, sp.Integer]:
    """Every size symbol of ``form`` and its derived sizes (``n'``, ``k'``, ``q``) with ``spec``'s numbers."""
    z = ix.Sizes.of(form)
    out = z.values(spec)
    numerators = spec.output_numerators_of(spec.sizes)
    for t, derived in enumerate(derived_sizes(form.dims)):
        out[derived.out] = sp.Integer(spec.output_size[t])
        out[derived.span] = sp.Integer(spec.effective_kernel[t])
        out[derived.unused] = sp.Integer(int(numerators[t]) % spec.strides[t])
    return out


def tensor_symbols() -> dict[str, TensorSymbol]:
    """The operator vocabulary's tensors the chains' closed forms are written in."""
    return {"x": X, "W": W, "delta": DELTA}


def sum_ranges(shown: Iterable[Chain]) -> tuple[tuple[sp.Symbol, sp.Expr, sp.Expr], ...]:
    """The indices every sum of ``shown`` runs over one and the same range, with that range.

    A text can state these ranges once and write such sums as ``Σ_{o,i}``; an
    index summed over different ranges, or over a group (``o ∈ G(c)``), is not
    listed. In the order the indices first appear.
    """
    seen: dict[sp.Symbol, set[tuple[sp.Expr, sp.Expr]]] = {}
    for chain in shown:
        exprs = [step.rhs for step in chain.steps] + [t.entry for t in chain.tensors]
        for expr in exprs:
            for total in sorted(expr.atoms(sp.Sum), key=sp.default_sort_key):
                for symbol, lo, hi in reversed(total.limits):
                    if not isinstance(lo, FirstOutput):
                        seen.setdefault(symbol, set()).add((lo, hi))
    return tuple((symbol, *next(iter(r))) for symbol, r in seen.items() if len(r) == 1)
