"""The operator language of ``symconv verify``: what its "correct formula" prints, and it reads back.

:class:`OperatorTextPrinter` subclasses SymPy's StrPrinter and prints the
algebra's operators as ``conv(A, B, stride=…, dilation=…)``, ``pad(A, n)`` /
``pad(A, before, after)``, ``crop(…)``, ``dilate(A, s)``, ``rot180(A)``,
``sum(A)``, ``hadamard(A, B)``. Amount symbols (``s``, ``k'``, …) are filled in
from the ``amounts`` setting, one number per spatial dimension, and printed as
one number when the dimensions agree, else as a tuple ``(1, 2)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import sympy as sp
from sympy.printing.str import StrPrinter

from symconv.algebra.evaluate import format_amount
from symconv.algebra.operators import (
    Conv,
    Crop,
    Dilate,
    Hadamard,
    Pad,
    Rot180,
    SumPositions,
    TensorSymbol,
    role,
)


class OperatorTextPrinter(StrPrinter):  # type: ignore[misc]
    """SymPy's string printer for the operator language (see the module docstring)."""

    printmethod = "_operator_text"
    _default_settings: ClassVar[dict[str, Any]] = {
        **StrPrinter._default_settings,
        "amounts": {},
        "ndim": 1,
    }

    def _values(self, expr: sp.Basic) -> tuple[int, ...]:
        """An amount, one whole number per dimension."""
        amounts: Mapping[sp.Symbol, Sequence[int]] = self._settings["amounts"]
        values = []
        for axis in range(self._settings["ndim"]):
            v = sp.sympify(expr).xreplace({s: sp.Integer(a[axis]) for s, a in amounts.items()})
            values.append(int(v))
        return tuple(values)

    def _amount(self, expr: sp.Basic) -> str:
        return format_amount(self._values(expr))

    def _pair(self, name: str, expr: sp.Basic) -> str:
        """``name(A, n)`` when as many go before as after, else ``name(A, before, after)``."""
        a, before, after = expr.args
        b, e = self._values(before), self._values(after)
        amounts = format_amount(b) if b == e else f"{format_amount(b)}, {format_amount(e)}"
        return f"{name}({self._print(a)}, {amounts})"

    def _print_TensorSymbol(self, expr: TensorSymbol) -> str:
        """A tensor by its name in the language: ``x``, ``W``, ``b``, ``delta``."""
        return str(expr.name)

    def _print_Conv(self, expr: Conv) -> str:
        """``conv(A, B)`` with ``stride=`` and ``dilation=`` only where they are not 1."""
        a, b, stride, dilation = expr.args
        keys = ""
        for key, amount in (("stride", stride), ("dilation", dilation)):
            values = self._values(amount)
            if any(v != 1 for v in values):
                keys += f", {key}={format_amount(values)}"
        return f"conv({self._print(a)}, {self._print(b)}{keys})"

    def _print_Pad(self, expr: Pad) -> str:
        """``pad(A, n)`` or ``pad(A, before, after)``."""
        return self._pair("pad", expr)

    def _print_Crop(self, expr: Crop) -> str:
        """``crop(A, n)`` or ``crop(A, before, after)``."""
        return self._pair("crop", expr)

    def _print_Dilate(self, expr: Dilate) -> str:
        """``dilate(A, s)``."""
        return f"dilate({self._print(expr.args[0])}, {self._amount(expr.args[1])})"

    def _print_Rot180(self, expr: Rot180) -> str:
        """``rot180(A)``."""
        return f"rot180({self._print(expr.args[0])})"

    def _print_Hadamard(self, expr: Hadamard) -> str:
        """``hadamard(A, B)``."""
        return f"hadamard({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print_SumPositions(self, expr: SumPositions) -> str:
        """``sum(A)``: the sum over the spatial positions."""
        return f"sum({self._print(expr.args[0])})"

    def _print_Im2col(self, expr: Any) -> str:
        """``im2col(A)``."""
        return f"im2col({self._print(expr.args[0])})"

    def _print_Col2im(self, expr: Any) -> str:
        """``col2im(M)``."""
        return f"col2im({self._print(expr.args[0])})"

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        """Tensors with spatial axes first, then those without (``conv(x, W) + b``)."""
        terms = sorted(sp.Add.make_args(expr), key=lambda t: not role(t)[1] if t.has(TensorSymbol) else 2)
        return " + ".join(self._print(t) for t in terms).replace("+ -", "- ")


def operator_text(expr: sp.Basic, amounts: Mapping[sp.Symbol, Sequence[int]], ndim: int) -> str:
    """``expr`` in verify's operator language, the amounts filled in.

    Example:
        >>> from symconv.algebra.operators import DELTA, W
        >>> k = sp.Symbol("k'")
        >>> operator_text(Conv(Pad(DELTA, k - 1, k - 1), Rot180(W), 1, 1), {k: (2, 2)}, 2)
        'conv(pad(delta, 1), rot180(W))'
    """
    return str(OperatorTextPrinter({"amounts": dict(amounts), "ndim": ndim}).doprint(expr))
