"""SymPy printers for generated code: integer size arithmetic printed as integer division.

Sizes in generated code are ``floor((n + p_before + p_after − E)/s) + 1``; SymPy's
own printers write ``floor`` of a rational as floating-point math. Generated
code checks that the numerator is not negative before it divides, so C's
truncating ``/`` and Python's ``//`` agree with ``floor`` there.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.c import C99CodePrinter
from sympy.printing.pycode import PythonCodePrinter


class PyIntPrinter(PythonCodePrinter):  # type: ignore[misc]
    """Python source for integer index and size expressions."""

    def _print_floor(self, expr: sp.floor) -> str:
        """``floor(a/b)`` of integers as ``(a) // b``, exact and without ``math``."""
        num, den = sp.fraction(sp.together(expr.args[0]))
        if den == 1:
            return str(self._print(num))
        return f"({self._print(num)}) // {self._print(den)}"


class CIntPrinter(C99CodePrinter):  # type: ignore[misc]
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


def pyexpr(expr: sp.Expr | int) -> str:
    return str(PyIntPrinter().doprint(sp.sympify(expr)))


def cexpr(expr: sp.Expr | int) -> str:
    return str(CIntPrinter().doprint(sp.sympify(expr)))
