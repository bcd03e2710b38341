r"""LaTeX in the source note's notation: ``x_{11} k_{11}``, ``\delta_{11}``, ``\sigma'(z_{11})``, ``\odot``.

:class:`NotePrinter` subclasses SymPy's LatexPrinter and changes only what the
note writes differently:

- symbols keep their names (``x_{11}``, ``k_{1,2,11}``); a Greek base is typeset
  as Greek (``delta_{11}`` → ``\delta_{11}``, ``epsilon_{2,11}`` → ``\varepsilon_{2,11}``);
- products put the data first, as the note does (``x_{11} k_{11}``,
  ``\delta_{11} k_{22}``): factors are ranked by :data:`FACTOR_ORDER` — inputs
  and activations (x, m, z, a, t) before upstream gradients (δ, ε) before
  weights and biases (k, w, b, c), unknown names next, σ' last — and keep
  SymPy's own order within a rank;
- in a sum lone symbols, then numbers, come last (``… + x_{22} k_{22} + b``,
  ``\sigma(…) - t_{11}``, ``K - 1``);
- ``σ(z)`` and its derivative, whether SymPy holds it as ``Derivative(σ(z), z)``
  or ``Subs(Derivative(σ(ξ), ξ), ξ, …)``, print as ``\sigma(z_{11})`` and
  ``\sigma'(z_{11})``;
- matrices are ``\begin{pmatrix} … \end{pmatrix}``.

The operators of the algebra (:mod:`symconv.algebra.operators`: the convolution
``*``, rot180, ⊙, and the padding, zero insertion and cropping the note's
formulas leave out) print in the note's style:
``Hadamard(Conv(δ, Rot180(W), 1, 1), σ'(z))`` → ``\left(\delta \ast
\mathrm{rot}_{180}(W)\right) \odot \sigma'(z)``. Tensors print under the
names given in the ``tensor_names`` setting (the layer's X, K, δ by default);
with ``channels=True`` each carries its channel subscript and a convolution
that sums over a group's output channels says so (``\sum_{o \in G(c)}``).
Terms are printed in SymPy's argument order (``order="none"``), which is
deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import sympy as sp
from sympy.printing.latex import LatexPrinter

from symconv.algebra.operators import (
    CONV_ROLES,
    Col2im,
    Conv,
    Crop,
    Dilate,
    Hadamard,
    Im2col,
    Pad,
    Rot180,
    SumPositions,
    TensorSymbol,
    role,
)

# Where a factor goes in a product, by the base name of its symbols (lowest first).
FACTOR_ORDER: dict[str, int] = {
    "x": 0, "m": 0, "z": 0, "a": 0, "t": 0,  # inputs and activations
    "delta": 1, "epsilon": 1,  # upstream gradients
    "k": 2, "w": 2, "W": 2, "K": 2, "b": 2, "beta": 2,  # weights and biases
}
UNKNOWN_RANK = 3
SIGMA_PRIME_RANK = 4

# Base names typeset as Greek letters.
GREEK: dict[str, str] = {
    "beta": r"\beta",
    "delta": r"\delta",
    "epsilon": r"\varepsilon",
    "sigma": r"\sigma",
    "xi": r"\xi",
}

SIGMA_NAME = "sigma"

_NAME = re.compile(r"([A-Za-z]+)((?:[_^]\{.*\})*)")


def pmatrix(rows: Sequence[Sequence[str]]) -> str:
    r"""Rows of printed entries as ``\begin{pmatrix} a & b \\ c & d \end{pmatrix}``."""
    body = r" \\ ".join(" & ".join(row) for row in rows)
    return rf"\begin{{pmatrix}} {body} \end{{pmatrix}}"


def _base(symbol: sp.Symbol) -> str:
    """The letters a symbol's name starts with: ``delta`` for ``delta_{11}``."""
    match = _NAME.match(symbol.name)
    return match[1] if match else symbol.name


def _is_sigma(expr: sp.Basic) -> bool:
    return isinstance(expr, sp.Function) and type(expr).__name__ == SIGMA_NAME and len(expr.args) == 1


def _sigma_prime_at(expr: sp.Basic) -> sp.Expr | None:
    """The point ``z`` when ``expr`` is σ'(z) in either of SymPy's forms, else None."""
    if isinstance(expr, sp.Derivative):
        inner = expr.expr
        if _is_sigma(inner) and len(expr.variable_count) == 1:
            variable, count = expr.variable_count[0]
            if count == 1 and inner.args[0] == variable:
                return variable
    if isinstance(expr, sp.Subs):
        inner, old, new = expr.args
        if len(old) == 1 and _sigma_prime_at(inner) == old[0]:
            return new[0]
    return None


def factor_rank(factor: sp.Basic) -> int:
    """A factor's place in a product: data, then gradients, then weights, σ' last."""
    if _sigma_prime_at(factor) is not None:
        return SIGMA_PRIME_RANK
    if isinstance(factor, sp.Symbol):
        return FACTOR_ORDER.get(_base(factor), UNKNOWN_RANK)
    ranks = [FACTOR_ORDER.get(_base(s), UNKNOWN_RANK) for s in factor.free_symbols]
    return min(ranks, default=UNKNOWN_RANK)


def _term_place(term: sp.Basic) -> int:
    """Where a term goes in a sum: products first, then lone symbols (a bias, ``-t``), numbers last."""
    if term.is_Number:
        return 2
    if isinstance(term, sp.Symbol):
        return 1
    lone = term.is_Mul and len(term.args) == 2 and term.args[0] == -1 and term.args[1].is_Symbol
    return 1 if lone else 0


def ordered_product(expr: sp.Mul) -> tuple[sp.Rational, list[sp.Basic]] | None:
    """A product's rational coefficient and its factors data-first (:func:`factor_rank`), or None
    for a product the note writes as SymPy does (a fraction, a non-commutative one)."""
    coeff, rest = expr.as_coeff_Mul()
    factors = sp.Mul.make_args(rest)
    if (not coeff.is_Rational or not expr.is_commutative
            or any(f.is_Pow and f.exp.could_extract_minus_sign() for f in factors)):
        return None
    return coeff, sorted(factors, key=factor_rank)


def ordered_terms(expr: sp.Basic) -> list[sp.Basic]:
    """The terms of a sum in the order the note prints them (:meth:`NotePrinter._print_Add`).

    Example:
        >>> x, k, b = sp.symbols("x_{11} k_{11} b")
        >>> ordered_terms(b + k * x)
        [k_{11}*x_{11}, b]
    """
    return sorted(sp.Add.make_args(expr), key=_term_place)


# Operators written between their operands; an operand that is one of these is parenthesised.
_INFIX = (Conv, Hadamard, sp.Add)

# The channel subscript of each tensor of a layer when a formula is written per channel:
# x is read at the input channel c' of weight channel c, W at (o, c), δ and b at o.
CHANNEL_SUBSCRIPTS = {"i": "c'", "oi": "o,c", "o": "o"}


def channel_subscripts(channels: bool | Mapping[str, str]) -> Mapping[str, str] | None:
    """The channel subscript of each role under a printer's ``channels`` setting (None: none).

    ``True`` takes :data:`CHANNEL_SUBSCRIPTS`; a mapping gives its own (with groups,
    W's second index counts within the group: ``{"oi": "o,\\,c - c_{0}(o)"}``), and
    its ``"sum"`` the subscript of a sum over output channels (``o \\in G(c)`` unless given).
    """
    if not channels:
        return None
    return CHANNEL_SUBSCRIPTS if channels is True else channels


class NotePrinter(LatexPrinter):  # type: ignore[misc]
    """SymPy's LaTeX printer in the note's notation (see the module docstring)."""

    printmethod = "_note_latex"
    _default_settings: ClassVar[dict[str, Any]] = {
        **LatexPrinter._default_settings,
        "order": "none",
        "mat_str": "pmatrix",
        "mat_delim": "",
        "tensor_names": {"x": "X", "W": "K", "b": "b", "delta": r"\delta"},
        "channels": False,
    }

    def _operand(self, expr: sp.Basic) -> str:
        tex = str(self._print(expr))
        return rf"\left({tex}\right)" if isinstance(expr, _INFIX) else tex

    def _applied(self, name: str, arg: sp.Basic) -> str:
        r"""``name(arg)``: plain parentheses around a symbol, ``\left(…\right)`` around more."""
        tex = self._print(arg)
        return f"{name}({tex})" if isinstance(arg, sp.Symbol) else rf"{name}\left({tex}\right)"

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        """Names stay as written (``x_{11}``); only a Greek base changes (``\\delta_{11}``)."""
        match = _NAME.fullmatch(expr.name)
        if match is None or (not match[2] and match[1] not in GREEK):
            return str(super()._print_Symbol(expr, style=style))
        return GREEK.get(match[1], match[1]) + match[2]

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        """SymPy's sum, lone symbols and numbers last: ``x_{11} k_{11} + … + b``, ``K - 1``."""
        terms = self._as_ordered_terms(expr, order=order)
        ordered = sorted(terms, key=_term_place)
        return str(super()._print_Add(sp.Add(*ordered, evaluate=False), order="none"))

    def _print_Mul(self, expr: sp.Mul) -> str:
        """Products data-first as the note writes them (``x_{11} k_{11}``), ranked by FACTOR_ORDER."""
        product = ordered_product(expr)
        if product is None:
            return str(super()._print_Mul(expr))  # fractions and the like: SymPy's layout
        coeff, ordered = product
        parts = []
        for i, factor in enumerate(ordered):
            tex = self._print(factor)
            if self._needs_mul_brackets(factor, first=i == 0, last=i == len(ordered) - 1):
                tex = rf"\left({tex}\right)"
            parts.append(tex)
        body = " ".join(parts)
        sign = "- " if coeff < 0 else ""
        size = abs(coeff)
        if size == 1:
            return sign + body
        number = str(size.p) if size.q == 1 else rf"\frac{{{size.p}}}{{{size.q}}}"
        return f"{sign}{number} {body}"

    def _print_AppliedUndef(self, expr: sp.Function, exp: str | None = None) -> str:
        """``\\sigma(z_{11})`` for σ (SymPy: ``\\sigma{\\left(z_{11} \\right)}``); others as SymPy."""
        if not _is_sigma(expr):
            return str(super()._print_Function(expr, exp))
        name = r"\sigma" if exp is None else rf"\sigma^{{{exp}}}"
        return self._applied(name, expr.args[0])

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        """``\\sigma'(z_{11})`` for σ differentiated at a symbol; anything else as SymPy prints it."""
        at = _sigma_prime_at(expr)
        return str(super()._print_Derivative(expr)) if at is None else self._applied(r"\sigma'", at)

    def _print_Subs(self, expr: sp.Subs) -> str:
        """``\\sigma'(…)`` for SymPy's ``Subs(Derivative(σ(ξ), ξ), ξ, …)``; else SymPy's form."""
        at = _sigma_prime_at(expr)
        return str(super()._print_Subs(expr)) if at is None else self._applied(r"\sigma'", at)

    def _print_MatrixBase(self, expr: sp.MatrixBase) -> str:
        """``\\begin{pmatrix} … \\end{pmatrix}``, the note's round brackets, via :func:`pmatrix`."""
        return pmatrix([[self._print(expr[i, j]) for j in range(expr.cols)] for i in range(expr.rows)])

    def _print_TensorSymbol(self, expr: TensorSymbol) -> str:
        """A layer's tensor by its name here (``tensor_names``), with its channel subscript if asked."""
        name = str(self._settings["tensor_names"].get(expr.name, expr.name))
        subscripts = channel_subscripts(self._settings["channels"])
        return f"{name}_{{{subscripts[expr.role]}}}" if subscripts else name

    def _amounts(self, before: sp.Basic, after: sp.Basic) -> str:
        """``n`` for as many before as after, else ``b,a``."""
        if before == after:
            return str(self._print(before))
        return f"{self._print(before)},{self._print(after)}"

    def _print_Rot180(self, expr: Rot180) -> str:
        """``\\mathrm{rot}_{180}(A)``, the note's rot_{180} upright as an operator name."""
        return self._applied(r"\mathrm{rot}_{180}", expr.args[0])

    def _print_Hadamard(self, expr: Hadamard) -> str:
        """``A \\odot B``, the note's Hadamard product."""
        return rf"{self._operand(expr.args[0])} \odot {self._operand(expr.args[1])}"

    def _print_Conv(self, expr: Conv) -> str:
        """``A \\ast B``; with a stride ``A \\ast_{s} B``, with a dilation ``A \\ast_{s,d} B``.

        Per channel (``channels=True``), a convolution that sums over the output
        channels of a group is written with that sum: ``\\sum_{o \\in G(c)} (A \\ast B)``.
        """
        a, b, stride, dilation = expr.args
        tex = f"{self._operand(a)} \\ast{conv_amounts(self, stride, dilation)} {self._operand(b)}"
        if self._settings["channels"] and _roles(a, b) == ("o", "oi"):
            over = (channel_subscripts(self._settings["channels"]) or {}).get("sum", r"o \in G(c)")
            return rf"\sum_{{{over}}} \left({tex}\right)"
        return tex

    def _print_Pad(self, expr: Pad) -> str:
        """``\\mathrm{pad}_{n}(A)``: zeros around A (``pad_{b,a}`` for different amounts)."""
        return self._applied(rf"\mathrm{{pad}}_{{{self._amounts(*expr.args[1:])}}}", expr.args[0])

    def _print_Dilate(self, expr: Dilate) -> str:
        """``\\mathrm{dil}_{s}(A)``: zeros inserted between A's entries."""
        return self._applied(rf"\mathrm{{dil}}_{{{self._print(expr.args[1])}}}", expr.args[0])

    def _print_Crop(self, expr: Crop) -> str:
        """``\\mathrm{crop}_{p}(A)``: A without its border (``crop_{b,a}`` for different amounts)."""
        return self._applied(rf"\mathrm{{crop}}_{{{self._amounts(*expr.args[1:])}}}", expr.args[0])

    def _print_SumPositions(self, expr: SumPositions) -> str:
        """``\\sum_{i} (A)_{i}``: the sum over every position."""
        return rf"\sum_{{i}} \left({self._print(expr.args[0])}\right)_{{i}}"


    def _print_Im2col(self, expr: Im2col) -> str:
        """``\\mathrm{im2col}(A)``: the unrolled matrix."""
        return self._applied(r"\mathrm{im2col}", expr.args[0])

    def _print_Col2im(self, expr: Col2im) -> str:
        """``\\mathrm{col2im}(M)``: folded back, overlaps summed."""
        return self._applied(r"\mathrm{col2im}", expr.args[0])


def _roles(a: sp.Basic, b: sp.Basic) -> tuple[str, str] | None:
    """The channel roles of a convolution's operands, when both are tensor expressions."""
    try:
        pair = (role(a)[0], role(b)[0])
    except ValueError:
        return None
    return pair if pair in CONV_ROLES else None


def conv_amounts(printer: Any, stride: sp.Basic, dilation: sp.Basic) -> str:
    """A convolution's subscript in any printer: none, ``_{s}`` with a stride, ``_{s,d}`` with a dilation."""
    if dilation != 1:
        return f"_{{{printer._print(stride)},{printer._print(dilation)}}}"
    return f"_{{{printer._print(stride)}}}" if stride != 1 else ""


def sums_over_group(a: sp.Basic, b: sp.Basic) -> bool:
    """Whether a convolution of ``a`` and ``b`` sums over a group's output channels (δ_o with W_{o,c})."""
    return _roles(a, b) == ("o", "oi")


def sigma_prime_at(expr: sp.Basic) -> sp.Expr | None:
    """The point ``z`` when ``expr`` is σ'(z) in either of SymPy's forms, else None (for other printers)."""
    return _sigma_prime_at(expr)


_PRINTER = NotePrinter()


def note_latex(expr: Any, **settings: Any) -> str:
    r"""``expr`` in the note's LaTeX notation (``settings`` as NotePrinter's).

    Example:
        >>> x, k, b = sp.symbols("x_{11} k_{11} b")
        >>> note_latex(b + k * x)
        'x_{11} k_{11} + b'
        >>> note_latex(Hadamard(Conv(sp.Symbol("delta^{l+1}"), Rot180(sp.Symbol("W^{l+1}")), 1, 1),
        ...                     sp.Symbol("s")))
        '\\left(\\delta^{l+1} \\ast \\mathrm{rot}_{180}(W^{l+1})\\right) \\odot s'
    """
    printer = NotePrinter(settings) if settings else _PRINTER
    return str(printer.doprint(expr))
