"""SymPy printers for generated code: integer size arithmetic printed as integer division.

Sizes in generated code are ``floor((n + p_before + p_after − E)/s) + 1``; SymPy's
own printers write ``floor`` of a rational as floating-point math. Generated
code checks that the numerator is not negative before it divides, so C's
truncating ``/`` and Python's ``//`` agree with ``floor`` there.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.c import C99CodePrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter


class _FloorInProducts:
    """``floor`` prints as a division, so inside a product or a power it needs parentheses.

    SymPy treats ``floor(…)`` as a function call (an atom); printed as
    ``(a) / b`` it would bind to its neighbours: ``2*floor(o/4)`` must print
    ``2*((o) / 4)``, not ``2*(o) / 4``.
    """

    def _print_Mul(self, expr: sp.Mul) -> str:
        """A negative product as ``-`` and the positive one: ``-2*floor(c/2)`` prints ``-2*((c) / 2)``.

        SymPy gives a negative product the precedence of a sum, so its factors
        would not be parenthesized as inside a product.
        """
        if expr.could_extract_minus_sign() and expr.has(sp.floor):
            return f"-{self.parenthesize(-expr, PRECEDENCE['Mul'])}"
        return str(super()._print_Mul(expr))  # type: ignore[misc]

    def parenthesize(self, item: Any, level: int, strict: bool = False) -> str:
        if isinstance(item, sp.floor) and level >= PRECEDENCE["Mul"]:
            return f"({self._print(item)})"  # type: ignore[attr-defined]
        return str(super().parenthesize(item, level, strict))  # type: ignore[misc]


class PyIntPrinter(_FloorInProducts, PythonCodePrinter):  # type: ignore[misc]
    """Python source for integer index and size expressions."""

    def _print_floor(self, expr: sp.floor) -> str:
        """``floor(a/b)`` of integers as ``(a) // b``, exact and without ``math``."""
        num, den = sp.fraction(sp.together(expr.args[0]))
        if den == 1:
            return str(self._print(num))
        return f"({self._print(num)}) // {self._print(den)}"


class CIntPrinter(_FloorInProducts, C99CodePrinter):  # type: ignore[misc]
    """C source for integer index and size expressions (``long`` arithmetic)."""

    def _print_floor(self, expr: sp.floor) -> str:
        """``floor(a/b)`` as ``(a) / b``: the generated code has checked ``a ≥ 0`` first."""
        num, den = sp.fraction(sp.together(expr.args[0]))
        if den == 1:
            return str(self._print(num))
        return f"({self._print(num)}) / {self._print(den)}"

    def _print_Integer(self, expr: sp.Integer) -> str:
        """Plain integer literals: sizes are ``long`` already, no suffixes needed."""
        return str(int(expr))

    def _print_Max(self, expr: sp.Max) -> str:
        """``Max(a, b)`` of integers as a conditional (SymPy's ``fmax`` is floating point)."""
        return self._extreme(expr.args, ">")

    def _print_Min(self, expr: sp.Min) -> str:
        return self._extreme(expr.args, "<")

    def _extreme(self, args: tuple[sp.Expr, ...], compare: str) -> str:
        first = self._print(args[0])
        if len(args) == 1:
            return str(first)
        rest = self._extreme(args[1:], compare)
        return f"(({first}) {compare} ({rest}) ? ({first}) : ({rest}))"


def pyexpr(expr: sp.Expr | int) -> str:
    return str(PyIntPrinter().doprint(sp.sympify(expr)))


def cexpr(expr: sp.Expr | int) -> str:
    return str(CIntPrinter().doprint(sp.sympify(expr)))


def cstring(text: str) -> str:
    """A C string literal of ``text``'s UTF-8 bytes, ASCII only.

    Bytes outside printable ASCII become three-digit octal escapes (a hex
    escape would swallow a following hex digit); ``?`` is escaped so no
    trigraph forms.
    """
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch in '"\\?':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif 32 <= byte < 127:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'
