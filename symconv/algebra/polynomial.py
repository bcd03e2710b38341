"""Exact sparse polynomials: the fast entry type for proving on large instances.

Every entry a convolution's derivation produces is a polynomial in its symbols
(``x_{11}``, ``k_{11}``, ``δ_{11}``…) with rational coefficients, of low degree
and with few terms. SymPy builds each product and sum as a canonical
expression tree, which costs tens of microseconds per operation; a
:class:`Poly` is a plain dict from monomials (sorted tuples of generator
numbers) to coefficients, so the same arithmetic costs about a microsecond and
equality is dict equality — still exact. The evaluator, the forward pass, the
im2col product and differentiation work on either entry type; ``to_expr``
turns a Poly back into the SymPy expression.

Example:
    >>> import sympy as sp
    >>> x, k = sp.symbols("x k")
    >>> p = Poly.gen(x) * Poly.gen(k) * 2 + Poly.gen(x)
    >>> p.to_expr()
    2*k*x + x
    >>> p.derivative(x).to_expr()
    2*k + 1
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any, Union

import sympy as sp

Coefficient = Union[int, Fraction]
Monomial = tuple[int, ...]

_ZERO = sp.S.Zero  # SymPy's zero, a singleton: the zeros of padding and zero insertion
_SYMBOLS: list[sp.Symbol] = []  # generator number → symbol
_NUMBERS: dict[sp.Symbol, int] = {}  # symbol → generator number


def _number(symbol: sp.Symbol) -> int:
    found = _NUMBERS.get(symbol)
    if found is None:
        found = _NUMBERS[symbol] = len(_SYMBOLS)
        _SYMBOLS.append(symbol)
    return found


def _coefficient(value: Any) -> Coefficient | None:
    """A number as an exact coefficient, or None if it is not a rational number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Fraction)):
        return value
    if isinstance(value, sp.Integer):
        return int(value)
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    return None


class Poly:
    """A polynomial with rational coefficients: ``{monomial: coefficient}``, no zero coefficients."""

    __slots__ = ("terms",)
    __hash__ = None  # type: ignore[assignment]  # mutable-looking value type: never a dict key

    def __init__(self, terms: dict[Monomial, Coefficient] | None = None) -> None:
        self.terms: dict[Monomial, Coefficient] = terms if terms is not None else {}

    @staticmethod
    def gen(symbol: sp.Symbol) -> Poly:
        """The polynomial that is the symbol itself."""
        return Poly({(_number(symbol),): 1})

    @staticmethod
    def coerce(value: Any) -> Poly | None:
        """``value`` as a Poly (Polys, rational numbers and SymPy zeros), or None."""
        if isinstance(value, Poly):
            return value
        if value is _ZERO:
            return Poly()
        c = _coefficient(value)
        if c is None:
            return None
        return Poly({(): c} if c else {})

    @staticmethod
    def add_all(parts: Iterable[Any]) -> Poly:
        """The sum of many Polys (or numbers) in one pass."""
        total: dict[Monomial, Coefficient] = {}
        get = total.get
        for part in parts:
            if type(part) is Poly:
                terms = part.terms
            elif part is _ZERO:
                continue
            else:
                p = Poly.coerce(part)
                if p is None:
                    raise TypeError(f"cannot add {part!r} to a Poly")
                terms = p.terms
            for m, c in terms.items():
                total[m] = get(m, 0) + c
        return Poly({m: c for m, c in total.items() if c})

    # -- arithmetic ----------------------------------------------------------------------

    def __add__(self, other: Any) -> Poly:
        o = Poly.coerce(other)
        if o is None:
            return NotImplemented
        if not o.terms:
            return self
        if not self.terms:
            return o
        return Poly.add_all((self, o))

    __radd__ = __add__

    def __neg__(self) -> Poly:
        return Poly({m: -c for m, c in self.terms.items()})

    def __sub__(self, other: Any) -> Poly:
        o = Poly.coerce(other)
        return NotImplemented if o is None else self + (-o)

    def __rsub__(self, other: Any) -> Poly:
        o = Poly.coerce(other)
        return NotImplemented if o is None else o + (-self)

    def __mul__(self, other: Any) -> Poly:
        if other is _ZERO:
            return Poly()
        o = other if type(other) is Poly else Poly.coerce(other)
        if o is None:
            return NotImplemented
        if not self.terms or not o.terms:
            return Poly()
        if len(self.terms) == 1 and len(o.terms) == 1:  # the common case: one term by one term
            ((m1, c1),) = self.terms.items()
            ((m2, c2),) = o.terms.items()
            m = (m1 + m2 if m1[-1] <= m2[0] else tuple(sorted(m1 + m2))) if m1 and m2 else m1 or m2
            return Poly({m: c1 * c2})
        out: dict[Monomial, Coefficient] = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in o.terms.items():
                m = tuple(sorted(m1 + m2)) if m1 and m2 else m1 or m2
                out[m] = out.get(m, 0) + c1 * c2
        return Poly({m: c for m, c in out.items() if c})

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        if type(other) is int and other == 0:
            return not self.terms
        o = other if type(other) is Poly else Poly.coerce(other)
        return o is not None and self.terms == o.terms

    def __bool__(self) -> bool:
        return bool(self.terms)

    # -- calculus and conversion -----------------------------------------------------------

    def derivative(self, symbol: sp.Symbol) -> Poly:
        """``∂self/∂symbol``, exactly."""
        v = _number(symbol)
        out: dict[Monomial, Coefficient] = {}
        for m, c in self.terms.items():
            power = m.count(v)
            if power:
                k = m.index(v)
                rest = m[:k] + m[k + 1:]
                out[rest] = out.get(rest, 0) + c * power
        return Poly({m: c for m, c in out.items() if c})

    def generators(self) -> set[int]:
        """The generator numbers that occur."""
        return {g for m in self.terms for g in m}

    def to_expr(self) -> sp.Expr:
        """The SymPy expression of this polynomial."""
        terms = []
        for m, c in self.terms.items():
            coeff = sp.Integer(c) if isinstance(c, int) else sp.Rational(c.numerator, c.denominator)
            terms.append(sp.Mul(coeff, *[_SYMBOLS[g] for g in m]))
        return sp.Add(*terms)

    def __repr__(self) -> str:
        return f"Poly({self.to_expr()})"


def generator(p: Poly) -> int:
    """The generator number of a Poly that is a single symbol."""
    ((m, c),) = p.terms.items()
    if len(m) != 1 or c != 1:
        raise ValueError(f"{p} is not a single symbol")
    return m[0]


def gradients(y: Sequence[Poly], delta: Sequence[Poly], wanted: Iterable[int]) -> dict[int, Poly]:
    """``∂(Σ δ_i · y_i)/∂v`` for every generator number ``v`` in ``wanted``.

    ``delta`` entries must be single generators (the upstream gradient's symbols).
    """
    numbers = set(wanted)
    parts: dict[int, dict[Monomial, Coefficient]] = {v: {} for v in numbers}
    for y_i, d_i in zip(y, delta):
        ((d_m, d_c),) = d_i.terms.items()
        for m, c in y_i.terms.items():
            for k, g in enumerate(m):
                if g in numbers and (k == 0 or m[k - 1] != g):
                    rest = m[:k] + m[k + 1:]
                    key = tuple(sorted(rest + d_m))
                    target = parts[g]
                    target[key] = target.get(key, 0) + c * d_c * m.count(g)
    return {v: Poly({m: c for m, c in t.items() if c}) for v, t in parts.items()}
