"""Index formulas with symbolic sizes: the forward pass and its gradients as SymPy sums.

For every spec the forward pass and each gradient is one :class:`IndexFormula`
``lhs = rhs``: ``lhs`` an ``Indexed`` entry (``Y[o, i]``, ``dJ/dX[c, j]``…),
``rhs`` a SymPy expression of ``Sum``\\ s with symbolic limits over ``Indexed``
entries of ``X``, ``W``, ``b`` and ``delta`` (δ = ∂J/∂Y), with every size,
stride, padding, dilation and the groups a SymPy symbol. In 1-D::

    Y[o, i]        = b[o] + Σ_c Σ_u W[o, c, u] · X[g(o)·C_in/G + c, s·i + d·u − p]
                                          · [0 ≤ s·i + d·u − p ≤ n − 1]
    dJ/dX[c, j]    = Σ_{o in c's group} Σ_u W[o, c − g(o)·C_in/G, u] · δ[o, (j + p − d·u)/s]
                                          · [s | j + p − d·u] · [0 ≤ (j + p − d·u)/s ≤ out − 1]
    dJ/dW[o, c, u] = Σ_i δ[o, i] · X[g(o)·C_in/G + c, s·i + d·u − p] · [0 ≤ s·i + d·u − p ≤ n − 1]
    dJ/db[o]       = Σ_i δ[o, i]

with ``out = floor((n + p + p' − d(k − 1) − 1)/s) + 1``. In several
dimensions every spatial index, size, stride, padding and dilation is one per
dimension (``n_1``, ``n_2``…), with a sum and a bracket per dimension. Every
size and index expression is built by :mod:`symconv.sizes`.

The Iverson brackets are two SymPy functions of
:mod:`symconv.algebra.index_functions`, :class:`InRange`
(``[lo ≤ e ≤ hi]``) and :class:`Divides` (``[s | a]``), which evaluate to 1 or
0 as soon as their arguments are integers: the formulas substitute and
evaluate (``.doit()``) like any SymPy expression, and print with ``sp.latex``.
The bracket is what makes the zero padding: ``X`` is read only where the
bracket is 1 (X zero-extended outside ``0 … n − 1``).

The shape of a formula (a :class:`Form`) follows its spec, by these rules:

- the channel axes are always kept (``o``, ``c``: the layouts keep them, even
  for one channel);
- ungrouped (``grouped=False``, the default for a spec with ``groups == 1``):
  no symbol ``G``, the input channel of ``W[o, c, …]`` is ``c``, and the
  gradient of ``X[c, …]`` sums over every output channel;
- without bias the forward pass has no ``b[o]`` and there is no ``grad_bias``;
- one padding symbol ``p`` per dimension (before = after) unless the spec's
  padding is asymmetric (``"same"`` with an even effective kernel), which adds
  ``p'`` (after).

:meth:`IndexFormula.substitute` puts a spec's numbers in place of the symbols
(the result still has its sums); :meth:`IndexFormula.instance` evaluates the
formula for every entry with Python ints (brackets first, so ``X`` and ``δ``
are only read where they exist) into a NumPy object array of expressions in
the symbol arrays it is given, e.g. a Derivation's ``x_t``, ``w_t``, ``b_t``,
``delta_t``.

Example:
    >>> from symconv.spec import ConvSpec
    >>> f = forward(1, grouped=False)
    >>> print(f)
    Y[o, i] = b[o] + Sum(InRange(d*u + i*s - p, 0, n - 1)*W[o, c, u]*X[c, d*u + i*s - p],
    (u, 0, k - 1), (c, 0, C_in - 1))
    >>> spec = ConvSpec(input_size=3, kernel_size=2, padding=1, dims=1)
    >>> x, w, b = sp.symbols("x:3"), sp.symbols("w:2"), sp.symbols("b")
    >>> f.instance(spec, x=np.array([x]), w=np.array([[w]]), b=np.array([b]))
    array([[b + w1*x0, b + w0*x0 + w1*x1, b + w0*x1 + w1*x2, b + w0*x2]], dtype=object)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Union

import numpy as np
import sympy as sp

from symconv import sizes
from symconv.algebra.index_eval import entries
from symconv.algebra.index_functions import Divides, InRange
from symconv.errors import SpecError
from symconv.spec import ConvSpec

__all__ = [
    "CH",
    "DELTA",
    "GRAD",
    "OUT",
    "B",
    "Divides",
    "Form",
    "InRange",
    "IndexFormula",
    "Sizes",
    "W",
    "X",
    "Y",
    "dim_name",
    "forward",
    "grad_bias",
    "grad_input",
    "grad_weight",
    "index_symbols",
    "nested_sum",
]


# -- names ---------------------------------------------------------------------------------------


class _GradientLabel(sp.Symbol):  # type: ignore[misc]
    """The label ``dJ/dX`` of a gradient, printed ``\\frac{\\partial J}{\\partial X}`` in LaTeX."""

    def _latex(self, printer: Any) -> str:
        of = self.name.split("/d", 1)[1]
        return rf"\frac{{\partial J}}{{\partial {printer._print(sp.Symbol(of))}}}"


X = sp.IndexedBase("X")
"""The input, ``(C_in, *n)``."""
W = sp.IndexedBase("W")
"""The weight, ``(C_out, C_in/G, *k)``."""
B = sp.IndexedBase("b")
"""The bias, ``(C_out,)``."""
DELTA = sp.IndexedBase("delta")
"""The upstream gradient δ = ∂J/∂Y, ``(C_out, *out)``."""
Y = sp.IndexedBase("Y")
GRAD = {name: sp.IndexedBase(_GradientLabel(f"dJ/d{name}")) for name in ("X", "W", "b")}

NONNEG = {"integer": True, "nonnegative": True}
POS = {"integer": True, "positive": True}


def dim_name(base: str, t: int, dims: int) -> str:
    """``n`` in 1-D, ``n_1``, ``n_2``… in several dimensions."""
    return base if dims == 1 else f"{base}_{t + 1}"


def index_symbols(base: str, dims: int) -> tuple[sp.Symbol, ...]:
    return tuple(sp.Symbol(dim_name(base, t, dims), **NONNEG) for t in range(dims))


OUT = sp.Symbol("o", **NONNEG)
CH = sp.Symbol("c", **NONNEG)


# -- the form of a formula -------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """Which general formula: dimensions, groups, bias, asymmetric padding.

    ``Form.of(spec)`` is the smallest form that covers ``spec`` (see the module's
    rules); a formula built for a form substitutes any spec it :meth:`covers`.

    Example:
        >>> Form.of(ConvSpec(input_size=5, kernel_size=2, padding="same", dims=1))
        Form(dims=1, grouped=False, bias=True, asymmetric=True)
    """

    dims: int
    grouped: bool = True
    bias: bool = True
    asymmetric: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.dims, bool) or not isinstance(self.dims, int) or not 1 <= self.dims <= 3:
            raise SpecError("dims", self.dims, "must be 1, 2 or 3")

    @classmethod
    def of(cls, spec: ConvSpec) -> Form:
        """The form of ``spec``: grouped when ``groups > 1``, asymmetric when its padding is."""
        return cls(spec.ndim, spec.groups > 1, spec.bias, not spec.is_symmetric_padding)

    def check(self, spec: ConvSpec, uses_bias: bool) -> None:
        """Raise SpecError unless a formula of this form (with a bias term or not) fits ``spec``."""
        if spec.ndim != self.dims:
            raise SpecError("dims", spec.ndim, f"differs from the formula's {self.dims} dimensions")
        if not self.grouped and spec.groups != 1:
            raise SpecError(
                "groups", spec.groups, "is above 1 but the formula is ungrouped: build it with grouped=True"
            )
        if uses_bias and self.bias != spec.bias:
            has = "has a bias term" if self.bias else "has no bias term"
            raise SpecError("bias", spec.bias, f"differs from the formula, which {has}")
        if not self.asymmetric and not spec.is_symmetric_padding:
            raise SpecError(
                "padding", spec.padding,
                "is asymmetric but the formula has one padding symbol: build it with asymmetric=True",
            )


@dataclass(frozen=True)
class Sizes:
    """The symbols of one form: per dimension n, k, s, p (before), p' (after), d; channels."""

    form: Form
    n: tuple[sp.Symbol, ...]
    k: tuple[sp.Symbol, ...]
    s: tuple[sp.Symbol, ...]
    p: tuple[sp.Symbol, ...]
    pa: tuple[sp.Symbol, ...]  # the same symbols as p unless the form is asymmetric
    d: tuple[sp.Symbol, ...]
    c_in: sp.Symbol
    c_out: sp.Symbol
    g: sp.Symbol | None

    @classmethod
    def of(cls, form: Form) -> Sizes:
        dims = form.dims

        def per_dim(base: str, positive: bool = True) -> tuple[sp.Symbol, ...]:
            kind = POS if positive else NONNEG
            return tuple(sp.Symbol(dim_name(base, t, dims), **kind) for t in range(dims))

        p = per_dim("p", positive=False)
        return cls(
            form, per_dim("n"), per_dim("k"), per_dim("s"), p,
            per_dim("p'", positive=False) if form.asymmetric else p,
            per_dim("d"), sp.Symbol("C_in", **POS), sp.Symbol("C_out", **POS),
            sp.Symbol("G", **POS) if form.grouped else None,
        )

    @property
    def group_in(self) -> sp.Expr:
        """``C_in/G`` (``C_in`` ungrouped): the weight's second axis."""
        return self.c_in if self.g is None else self.c_in / self.g

    @property
    def group_out(self) -> sp.Expr:
        """``C_out/G`` (``C_out`` ungrouped)."""
        return self.c_out if self.g is None else self.c_out / self.g

    def out(self, t: int) -> sp.Expr:
        """The output size of dimension ``t``."""
        return sizes.output_size(self.n[t], self.k[t], self.s[t], self.p[t], self.pa[t], self.d[t])

    def read(self, i: sp.Expr, u: sp.Expr, t: int) -> sp.Expr:
        """The input index output ``i`` reads through tap ``u`` in dimension ``t``."""
        return sizes.input_index(i, u, self.s[t], self.d[t], self.p[t])

    def input_channel(self, o: sp.Expr, c: sp.Expr) -> sp.Expr:
        """The input channel ``W[o, c, …]`` multiplies."""
        if self.g is None:
            return c
        return sizes.input_channel(o, c, self.group_in, self.group_out)

    def table(self) -> Mapping[str, sp.Symbol]:
        """Every symbol by its name, in a fixed order: per dimension n k s p (p') d, then channels."""
        names: dict[str, sp.Symbol] = {}
        for t in range(self.form.dims):
            for sym in (self.n[t], self.k[t], self.s[t], self.p[t], self.pa[t], self.d[t]):
                names[sym.name] = sym
        for sym in (self.c_in, self.c_out, self.g):
            if sym is not None:
                names[sym.name] = sym
        return MappingProxyType(names)

    def values(self, spec: ConvSpec) -> dict[sp.Symbol, sp.Integer]:
        """The spec's number for every symbol."""
        out: dict[sp.Symbol, sp.Integer] = {}
        per_dim = (spec.sizes, spec.kernel, spec.strides, spec.pad_before, spec.pad_after, spec.dilations)
        for t in range(self.form.dims):
            symbols = (self.n[t], self.k[t], self.s[t], self.p[t], self.pa[t], self.d[t])
            for sym, numbers in zip(symbols, per_dim):
                out.setdefault(sym, sp.Integer(numbers[t]))
        out[self.c_in] = sp.Integer(spec.in_channels)
        out[self.c_out] = sp.Integer(spec.out_channels)
        if self.g is not None:
            out[self.g] = sp.Integer(spec.groups)
        return out


# -- the formula ------------------------------------------------------------------------------------

ArrayLike = Union[np.ndarray, sp.NDimArray]
Range = tuple[sp.Symbol, sp.Expr, sp.Expr]


@dataclass(frozen=True)
class IndexFormula:
    """One index formula ``lhs = rhs`` with symbolic sizes.

    ``lhs`` is an ``Indexed`` entry whose indices are the free index symbols,
    ``indices`` gives each with its range ``(symbol, first, last)`` (inclusive,
    symbolic), ``symbols`` names every size symbol (``n``, ``k``, ``s``, ``p``,
    ``p'`` when asymmetric, ``d`` — suffixed ``_1``, ``_2``… in several
    dimensions — then ``C_in``, ``C_out``, ``G`` when grouped), ``form`` says which
    specs it covers, and ``spec`` is set once the spec's numbers are substituted.

    Example:
        >>> f = grad_bias(1)
        >>> f.lhs, f.rhs
        (dJ/db[o], Sum(delta[o, i], (i, 0, floor((-d*(k - 1) + n + 2*p - 1)/s))))
        >>> f.indices
        ((o, 0, C_out - 1),)
        >>> list(f.symbols)
        ['n', 'k', 's', 'p', 'd', 'C_in', 'C_out', 'G']
    """

    name: str
    lhs: sp.Indexed
    rhs: sp.Expr
    indices: tuple[Range, ...]
    symbols: Mapping[str, sp.Symbol] = field(hash=False)
    form: Form
    spec: ConvSpec | None = None

    @property
    def equation(self) -> sp.Eq:
        """``Eq(lhs, rhs)`` (unevaluated).

        Example:
            >>> grad_bias(1).equation.lhs
            dJ/db[o]
        """
        return sp.Eq(self.lhs, self.rhs, evaluate=False)

    def latex(self) -> str:
        """``lhs = rhs`` in LaTeX.

        Example:
            >>> print(grad_bias(1).latex())
            {\\frac{\\partial J}{\\partial b}}_{o} = \\sum_{i=0}^{\\left\\lfloor{\\frac{- d \
\\left(k - 1\\right) + n + 2 p - 1}{s}}\\right\\rfloor} {\\delta}_{o,i}
        """
        return f"{sp.latex(self.lhs)} = {sp.latex(self.rhs)}"

    def __str__(self) -> str:
        return f"{self.lhs} = {self.rhs}"

    def _uses_bias(self) -> bool:
        return bool(self.rhs.has(B) or self.lhs.base == GRAD["b"])

    def _values(self, spec: ConvSpec) -> dict[sp.Symbol, sp.Integer]:
        if not isinstance(spec, ConvSpec):
            raise SpecError("spec", spec, "must be a ConvSpec")
        if self.spec is not None and spec != self.spec:
            raise SpecError("spec", spec.describe(), f"differs from the substituted {self.spec.describe()}")
        _ = spec.sizes  # raises SpecError naming input_size when it is open
        self.form.check(spec, self._uses_bias())
        return Sizes.of(self.form).values(spec)

    def substitute(self, spec: ConvSpec) -> IndexFormula:
        """The same formula with ``spec``'s numbers in place of the size symbols (still sums).

        Example:
            >>> f = grad_bias(1).substitute(ConvSpec(input_size=5, kernel_size=3, padding=1, dims=1))
            >>> print(f)
            dJ/db[o] = Sum(delta[o, i], (i, 0, 4))
            >>> f.indices
            ((o, 0, 0),)
        """
        values = self._values(spec)
        return IndexFormula(
            self.name, self.lhs, self.rhs.xreplace(values),
            tuple((sym, lo.xreplace(values), hi.xreplace(values)) for sym, lo, hi in self.indices),
            self.symbols, self.form, spec,
        )

    def shape(self, spec: ConvSpec) -> tuple[int, ...]:
        """The shape of the lhs array for ``spec`` (every range starts at 0).

        Example:
            >>> grad_weight(2).shape(ConvSpec(input_size=5, kernel_size=(3, 2), out_channels=4))
            (4, 1, 3, 2)
        """
        formula = self.substitute(spec)
        return tuple(int(hi) + 1 for _, _, hi in formula.indices)

    def instance(
        self, spec: ConvSpec, *, x: ArrayLike | None = None, w: ArrayLike | None = None,
        b: ArrayLike | None = None, delta: ArrayLike | None = None,
    ) -> np.ndarray:
        """Every entry of the formula for ``spec``, expanded in the given symbol arrays.

        ``x`` ``(C_in, *n)``, ``w`` ``(C_out, C_in/G, *k)``, ``b`` ``(C_out,)``,
        ``delta`` ``(C_out, *out)`` are NumPy object arrays or SymPy Arrays (e.g. a
        Derivation's ``x_t``, ``w_t``, ``b_t``, ``delta_t``); give those the formula
        reads. The result is a NumPy object array in the lhs's shape. Sums, brackets
        and indices are evaluated with Python ints, brackets before the entries they
        guard; nothing calls ``doit``.

        Example:
            >>> spec = ConvSpec(input_size=3, kernel_size=2, stride=2, dims=1)
            >>> w, dl = sp.symbols("w:2"), sp.symbols("delta:1")
            >>> grad_input(spec).instance(spec, w=np.array([[w]]), delta=np.array([dl]))
            array([[delta0*w0, delta0*w1, 0]], dtype=object)
        """
        formula = self.substitute(spec)
        given = {"x": (X, x), "w": (W, w), "b": (B, b), "delta": (DELTA, delta)}
        shapes = {
            "x": (spec.in_channels, *spec.sizes),
            "w": (spec.out_channels, spec.group_in, *spec.kernel),
            "b": (spec.out_channels,),
            "delta": (spec.out_channels, *spec.output_size),
        }
        arrays: dict[sp.IndexedBase, np.ndarray] = {}
        for key, (base, value) in given.items():
            if not formula.rhs.has(base):
                continue
            if value is None:
                raise SpecError(key, None, f"is needed: the formula {self.name} reads it")
            array = _as_object_array(value)
            if array.shape != shapes[key]:
                raise SpecError(key, array.shape, f"must have shape {shapes[key]} for this spec")
            arrays[base] = array
        return entries(formula.rhs, formula.indices, arrays)


def _as_object_array(value: ArrayLike) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, sp.NDimArray):
        out = np.empty(value.shape, dtype=object)
        flat = list(sp.flatten(value.tolist())) if value.rank() else [value[()]]
        for k, index in enumerate(np.ndindex(*value.shape)):
            out[index] = flat[k]
        return out
    raise SpecError("array", type(value).__name__, "must be a NumPy object array or a SymPy Array")


# -- the four formulas ------------------------------------------------------------------------------

SpecOrDims = Union[ConvSpec, int]


def _form(spec: SpecOrDims, grouped: bool | None, bias: bool | None, asymmetric: bool | None) -> Form:
    if isinstance(spec, ConvSpec):
        base = Form.of(spec)
    elif isinstance(spec, int) and not isinstance(spec, bool):
        base = Form(spec)
    else:
        raise SpecError("spec", spec, "must be a ConvSpec or a number of dimensions (1, 2 or 3)")
    return Form(
        base.dims,
        base.grouped if grouped is None else grouped,
        base.bias if bias is None else bias,
        base.asymmetric if asymmetric is None else asymmetric,
    )


def nested_sum(body: sp.Expr, limits: Sequence[Range]) -> sp.Expr:
    """``Σ_{first} … Σ_{last} body``, the first outermost (SymPy merges them into one ``Sum``)."""
    for limit in reversed(limits):
        body = sp.Sum(body, limit)
    return body


def _formula(name: str, lhs: sp.Indexed, rhs: sp.Expr, indices: Sequence[Range], z: Sizes) -> IndexFormula:
    return IndexFormula(name, lhs, rhs, tuple(indices), z.table(), z.form)


def forward(
    spec: SpecOrDims, grouped: bool | None = None, bias: bool | None = None, asymmetric: bool | None = None
) -> IndexFormula:
    """``Y[o, i] = b[o] + Σ_c Σ_u W[o, c, u] · X[g(o)·C_in/G + c, s·i + d·u − p] · [0 ≤ … ≤ n − 1]``.

    ``spec`` is a ConvSpec (its form, see :class:`Form`) or a number of
    dimensions (grouped, with bias, symmetric padding unless told otherwise).

    Example:
        >>> print(forward(1, grouped=False, bias=False).rhs)
        Sum(InRange(d*u + i*s - p, 0, n - 1)*W[o, c, u]*X[c, d*u + i*s - p], (u, 0, k - 1), (c, 0, C_in - 1))
        >>> forward(2).indices
        ((o, 0, C_out - 1), (i_1, 0, floor((-d_1*(k_1 - 1) + n_1 + 2*p_1 - 1)/s_1)), \
(i_2, 0, floor((-d_2*(k_2 - 1) + n_2 + 2*p_2 - 1)/s_2)))
    """
    z = Sizes.of(_form(spec, grouped, bias, asymmetric))
    dims = z.form.dims
    i, u = index_symbols("i", dims), index_symbols("u", dims)
    reads = [z.read(i[t], u[t], t) for t in range(dims)]
    term = W[(OUT, CH, *u)] * X[(z.input_channel(OUT, CH), *reads)]
    for t in range(dims):
        term *= InRange(reads[t], 0, z.n[t] - 1)
    limits = [(CH, sp.S.Zero, z.group_in - 1)] + [(u[t], sp.S.Zero, z.k[t] - 1) for t in range(dims)]
    rhs = nested_sum(term, limits)
    if z.form.bias:
        rhs = B[OUT] + rhs
    indices = [(OUT, sp.S.Zero, z.c_out - 1)] + [(i[t], sp.S.Zero, z.out(t) - 1) for t in range(dims)]
    return _formula("forward", Y[(OUT, *i)], rhs, indices, z)


def grad_input(
    spec: SpecOrDims, grouped: bool | None = None, bias: bool | None = None, asymmetric: bool | None = None
) -> IndexFormula:
    """``∂J/∂X[c, j] = Σ_o Σ_u W[o, c − first(o), u] · δ[o, (j + p − d·u)/s] · [s | …] · [0 ≤ … ≤ out − 1]``.

    ``o`` runs over the output channels of ``c``'s group (all of them when
    ungrouped), ``first(o) = g(o)·C_in/G`` is the first input channel ``o`` reads.

    Example:
        >>> print(grad_input(1, grouped=False).rhs)
        Sum(Divides(s, -d*u + j + p)*InRange((-d*u + j + p)/s, 0, floor((-d*(k - 1) + n + 2*p - 1)/s))*\
W[o, c, u]*delta[o, (-d*u + j + p)/s], (u, 0, k - 1), (o, 0, C_out - 1))
    """
    z = Sizes.of(_form(spec, grouped, bias, asymmetric))
    dims = z.form.dims
    j, u = index_symbols("j", dims), index_symbols("u", dims)
    # j + p − d·u: the input index j less where tap u reads; output position = that / s.
    shifted = [j[t] - sizes.tap_offset(u[t], z.d[t], z.p[t]) for t in range(dims)]
    positions = [shifted[t] / z.s[t] for t in range(dims)]
    if z.g is None:
        first_o, last_o = sp.S.Zero, z.c_out - 1
        weight_channel: sp.Expr = CH
    else:
        first_o = sizes.first_output_channel(CH, z.group_in, z.group_out)
        last_o = first_o + z.group_out - 1
        weight_channel = CH - sizes.first_input_channel(OUT, z.group_in, z.group_out)
    term = W[(OUT, weight_channel, *u)] * DELTA[(OUT, *positions)]
    for t in range(dims):
        term *= Divides(z.s[t], shifted[t]) * InRange(positions[t], 0, z.out(t) - 1)
    limits = [(OUT, first_o, last_o)] + [(u[t], sp.S.Zero, z.k[t] - 1) for t in range(dims)]
    indices = [(CH, sp.S.Zero, z.c_in - 1)] + [(j[t], sp.S.Zero, z.n[t] - 1) for t in range(dims)]
    return _formula("grad_input", GRAD["X"][(CH, *j)], nested_sum(term, limits), indices, z)


def grad_weight(
    spec: SpecOrDims, grouped: bool | None = None, bias: bool | None = None, asymmetric: bool | None = None
) -> IndexFormula:
    """``∂J/∂W[o, c, u] = Σ_i δ[o, i] · X[g(o)·C_in/G + c, s·i + d·u − p] · [0 ≤ s·i + d·u − p ≤ n − 1]``.

    Example:
        >>> print(grad_weight(1, grouped=False).rhs)
        Sum(InRange(d*u + i*s - p, 0, n - 1)*X[c, d*u + i*s - p]*delta[o, i], \
(i, 0, floor((-d*(k - 1) + n + 2*p - 1)/s)))
    """
    z = Sizes.of(_form(spec, grouped, bias, asymmetric))
    dims = z.form.dims
    i, u = index_symbols("i", dims), index_symbols("u", dims)
    reads = [z.read(i[t], u[t], t) for t in range(dims)]
    term = DELTA[(OUT, *i)] * X[(z.input_channel(OUT, CH), *reads)]
    for t in range(dims):
        term *= InRange(reads[t], 0, z.n[t] - 1)
    limits = [(i[t], sp.S.Zero, z.out(t) - 1) for t in range(dims)]
    indices = (
        [(OUT, sp.S.Zero, z.c_out - 1), (CH, sp.S.Zero, z.group_in - 1)]
        + [(u[t], sp.S.Zero, z.k[t] - 1) for t in range(dims)]
    )
    return _formula("grad_weight", GRAD["W"][(OUT, CH, *u)], nested_sum(term, limits), indices, z)


def grad_bias(
    spec: SpecOrDims, grouped: bool | None = None, bias: bool | None = None, asymmetric: bool | None = None
) -> IndexFormula:
    """``∂J/∂b[o] = Σ_i δ[o, i]``; SpecError for a layer without bias.

    Example:
        >>> print(grad_bias(2, grouped=False).rhs)
        Sum(delta[o, i_1, i_2], (i_2, 0, floor((-d_2*(k_2 - 1) + n_2 + 2*p_2 - 1)/s_2)), \
(i_1, 0, floor((-d_1*(k_1 - 1) + n_1 + 2*p_1 - 1)/s_1)))
    """
    form = _form(spec, grouped, bias, asymmetric)
    if not form.bias:
        raise SpecError("bias", False, "leaves nothing to differentiate: the layer has no bias")
    z = Sizes.of(form)
    i = index_symbols("i", form.dims)
    limits = [(i[t], sp.S.Zero, z.out(t) - 1) for t in range(form.dims)]
    rhs = nested_sum(DELTA[(OUT, *i)], limits)
    return _formula("grad_bias", GRAD["b"][OUT], rhs, [(OUT, sp.S.Zero, z.c_out - 1)], z)
