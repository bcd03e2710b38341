"""The evaluator of index formulas: a SymPy expression compiled to one Python function of int indices.

An index formula's right side, its sizes substituted, is a SymPy expression of
``Sum``\\ s with int limits over ``Indexed`` entries of arrays, Iverson brackets
and group maps (:mod:`symconv.algebra.index_functions`). :func:`entries`
compiles it once to Python source — index arithmetic as Python arithmetic
(Fractions where it divides), each ``Sum`` a comprehension, each product with
brackets ``(entries if brackets else 0)`` so an entry is read only where its
brackets are 1, each ``Indexed`` a checked read of its array — and evaluates it
for every index of the left side. Nothing calls ``doit``.

Example:
    >>> import sympy as sp, numpy as np
    >>> from symconv.algebra.index_functions import InRange
    >>> a, j, u = sp.IndexedBase("a"), sp.Symbol("j"), sp.Symbol("u")
    >>> values = np.array(sp.symbols("a0:3"), dtype=object)
    >>> rhs = sp.Sum(a[j + u] * InRange(j + u, 0, 2), (u, 0, 1))
    >>> entries(rhs, [(j, 0, 2)], {a: values})
    array([a0 + a1, a1 + a2, a2], dtype=object)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.add import _addsort
from sympy.core.mul import _args_sortkey

from symconv.algebra.index_functions import BRACKETS, GroupMap, InRange, Same

__all__ = ["entries"]

def _is_index(expr: sp.Basic) -> bool:
    """Whether ``expr`` is index arithmetic (no array entry, no sum): it evaluates to a number."""
    return not expr.has(sp.Indexed, sp.Sum)


def _exact_int(value: Any) -> int:
    """``value`` as an int; a fractional value is a bug of the formula (its brackets guard every read)."""
    if type(value) is int:
        return value
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    raise ValueError(f"index formula: fractional index {value}")


def _at(array: np.ndarray, index: tuple[Any, ...], what: sp.Indexed) -> Any:
    """``array[index]``, refusing an index outside the array (NumPy would wrap a negative one)."""
    index = tuple(_exact_int(i) for i in index)
    for i, n in zip(index, array.shape):
        if not 0 <= i < n:
            raise ValueError(f"index formula: {what} reads {list(index)}, outside the array {array.shape}")
    return array[index]


def _is_product_of_symbols(term: Any) -> bool:
    return isinstance(term, sp.Symbol) or (
        type(term) is sp.Mul and all(isinstance(f, sp.Symbol) for f in term.args)
    )


def _mul(factors: list[Any]) -> Any:
    """``sp.Mul(*factors)``, built directly when they are distinct symbols (the usual case).

    SymPy's ``Mul`` then only sorts its factors, so sorting them the same way
    (``_args_sortkey``) and skipping the general flattening gives the identical
    expression, many times faster.
    """
    if len(factors) == 1:
        return factors[0]
    if all(isinstance(f, sp.Symbol) and f.is_commutative for f in factors) and len(set(factors)) == len(
        factors
    ):
        return sp.Mul._from_args(tuple(sorted(factors, key=_args_sortkey)), True)
    return sp.Mul(*factors)


def _add(terms: list[Any]) -> Any:
    """``sp.Add(*terms)``, built directly when they are distinct products of symbols (the usual case).

    Zeros (int 0) are dropped; nested sums are flattened. Distinct monomials
    without coefficients leave SymPy's ``Add`` nothing to collect, only to sort
    (``_addsort``), so that alone gives the identical expression.
    """
    flat: list[Any] = []
    for term in terms:
        if isinstance(term, sp.Add):
            flat.extend(term.args)
        elif not (isinstance(term, int) and term == 0):
            flat.append(term)
    if not flat:
        return sp.S.Zero
    if len(flat) == 1:
        return sp.sympify(flat[0])
    if all(_is_product_of_symbols(t) for t in flat) and len(set(flat)) == len(flat):
        _addsort(flat)
        return sp.Add._from_args(tuple(flat), True)
    return sp.Add(*terms)


class _Compiler:
    """Python source for a substituted formula, evaluated with ints (and Fractions where it divides).

    Index arithmetic becomes Python arithmetic, each ``Sum`` a comprehension over
    its int limits, each product of brackets and entries ``(entries if brackets
    else 0)`` so an entry is read only where its brackets are 1, each ``Indexed``
    a checked read of its array.
    """

    def __init__(self, arrays: Mapping[sp.IndexedBase, np.ndarray], bound: Sequence[sp.Symbol]) -> None:
        self.arrays = arrays
        self.names: dict[sp.Symbol, str] = {}
        self.namespace: dict[str, Any] = {
            "_F": Fraction, "_floor": math.floor, "_int": _exact_int, "_at": _at, "_add": _add, "_mul": _mul,
        }
        for symbol in bound:
            self.names[symbol] = f"v{len(self.names)}"

    def function(self, expr: sp.Basic, params: Sequence[sp.Symbol]) -> Callable[..., Any]:
        source = f"def entry({', '.join(self.names[p] for p in params)}):\n    return {self.value(expr)}\n"
        exec(compile(source, "<index formula>", "exec"), self.namespace)
        function: Callable[..., Any] = self.namespace["entry"]
        return function

    def constant(self, value: Any) -> str:
        name = f"k{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def symbol(self, symbol: sp.Symbol) -> str:
        if symbol not in self.names:
            raise ValueError(f"index formula: {symbol} has no value here")
        return self.names[symbol]

    def index(self, expr: sp.Basic) -> str:
        """Source of a number-valued expression."""
        if expr.is_Integer:
            return f"({int(expr)})"
        if expr.is_Rational:
            return self.constant(Fraction(int(expr.p), int(expr.q)))
        if isinstance(expr, sp.Symbol):
            return self.symbol(expr)
        if isinstance(expr, BRACKETS):
            return f"(1 if {self.condition(expr)} else 0)"
        if isinstance(expr, sp.Add):
            return "(" + " + ".join(self.index(a) for a in expr.args) + ")"
        if isinstance(expr, sp.Mul):
            return "(" + " * ".join(self.index(a) for a in expr.args) + ")"
        if isinstance(expr, sp.Pow) and expr.exp.is_Integer:
            base, exponent = self.index(expr.base), int(expr.exp)
            if exponent < 0:
                return f"(_F(1) / {base} ** {-exponent})"
            return f"({base} ** {exponent})"
        if isinstance(expr, GroupMap):
            return self.index(expr.definition())
        if isinstance(expr, sp.floor):
            return f"_floor({self.index(expr.args[0])})"
        if isinstance(expr, sp.Mod):
            a, m = (self.index(v) for v in expr.args)
            return f"({a} % {m})"
        raise TypeError(f"index formula: cannot evaluate {expr!r} ({type(expr).__name__})")

    def condition(self, bracket: sp.Basic) -> str:
        """Source of an Iverson bracket as a Python bool."""
        if isinstance(bracket, InRange):
            e, lo, hi = (self.index(a) for a in bracket.args)
            return f"({lo} <= {e} <= {hi})"
        if isinstance(bracket, Same):
            a, b = (self.index(v) for v in bracket.args)
            return f"({a} == {b})"
        s, a = (self.index(v) for v in bracket.args)
        return f"({a} % {s} == 0)"

    def value(self, expr: sp.Basic) -> str:
        """Source of an expression in the arrays' entries."""
        if _is_index(expr):
            return self.index(expr)
        if isinstance(expr, sp.Indexed):
            array = self.arrays.get(expr.base)
            if array is None:
                raise ValueError(f"index formula: no array for {expr.base}")
            index = ", ".join(self.index(i) for i in expr.indices)
            return f"_at({self.constant(array)}, ({index},), {self.constant(expr)})"
        if isinstance(expr, sp.Add):
            return "_add([" + ", ".join(self.value(a) for a in expr.args) + "])"
        if isinstance(expr, sp.Mul):
            brackets = [a for a in expr.args if isinstance(a, BRACKETS)]
            product = "_mul([" + ", ".join(
                self.value(a) for a in expr.args if not isinstance(a, BRACKETS)
            ) + "])"
            if not brackets:
                return product
            return f"({product} if {' and '.join(self.condition(b) for b in brackets)} else 0)"
        if isinstance(expr, sp.Sum):
            loops = []
            for symbol, lo, hi in reversed(expr.limits):  # SymPy lists the innermost first
                bounds = f"_int({self.index(lo)}), _int({self.index(hi)}) + 1"
                self.names.setdefault(symbol, f"v{len(self.names)}")
                loops.append(f"for {self.names[symbol]} in range({bounds})")
            return f"_add([{self.value(expr.function)} {' '.join(loops)}])"
        raise TypeError(f"index formula: cannot evaluate {expr!r} ({type(expr).__name__})")



def entries(
    rhs: sp.Expr, indices: Sequence[tuple[sp.Symbol, Any, Any]], arrays: Mapping[sp.IndexedBase, np.ndarray]
) -> np.ndarray:
    """``rhs`` at every index of ``indices`` (each ``(symbol, first, last)``, ints), reading ``arrays``.

    The result is an object array with one axis per index, of length
    ``last − first + 1`` (entry ``[0, …]`` is the index ``first``).
    """
    symbols = [sym for sym, _, _ in indices]
    bounds = [(int(lo), int(hi)) for _, lo, hi in indices]
    entry = _Compiler(arrays, symbols).function(rhs, symbols)
    out = np.empty(tuple(hi - lo + 1 for lo, hi in bounds), dtype=object)
    for index in np.ndindex(*out.shape):
        out[index] = sp.sympify(entry(*(i + lo for i, (lo, _) in zip(index, bounds))))
    return out
