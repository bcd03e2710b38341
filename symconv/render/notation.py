r"""The fixed notation of a document, as objects SymPy's printers print: one spelling per format.

A derivation's own content (entries, sums, the algebra's formulas) are SymPy
expressions; what a document adds around them is notation: a name (``\hat{X}``,
``C_{\mathrm{in}}``), a filled-in size formula, ``\partial J / \partial x_{11}``.
These objects carry that notation and print themselves through SymPy's
printmethod protocol: ``_note_latex`` for :class:`~symconv.printing.note_latex.NotePrinter`,
``_plain_text`` for :class:`~symconv.printing.plain_text.PlainTextPrinter`. They
can stand wherever the model holds an expression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symconv.printing.index_latex import index_latex
from symconv.printing.note_latex import note_latex
from symconv.printing.plain_text import plain_math, plain_text


@dataclass(frozen=True)
class Notation:
    r"""A piece of fixed notation: its LaTeX, and its text (by default the LaTeX made plain).

    Example:
        >>> n = Notation(r"\hat{X}")
        >>> note_latex(n), plain_text(n)
        ('\\hat{X}', 'X̂')
    """

    latex: str
    text: str = ""

    def _note_latex(self, printer: Any) -> str:
        return self.latex

    def _plain_text(self, printer: Any) -> str:
        return self.text or plain_math(self.latex)


@dataclass(frozen=True)
class Concat:
    """Expressions written one after another with ``sep`` between (a notation itself)."""

    parts: tuple[Any, ...]
    sep: Notation = Notation(" ", " ")

    def _join(self, printer: Any) -> str:
        return str(printer._print(self.sep)).join(str(printer._print(p)) for p in self.parts)

    _note_latex = _plain_text = _join


@dataclass(frozen=True)
class Partial:
    r"""``∂J/∂of``: a fraction ``\frac{\partial J}{\partial of}``, or compact ``\partial J / \partial of``."""

    of: Any
    fraction: bool = False

    def _note_latex(self, printer: Any) -> str:
        of = printer._print(self.of)
        return rf"\frac{{\partial J}}{{\partial {of}}}" if self.fraction else rf"\partial J / \partial {of}"

    def _plain_text(self, printer: Any) -> str:
        return f"∂J/∂{printer._print(self.of)}"


@dataclass(frozen=True)
class Named:
    """An expression of the algebra with the names this document gives the layer's tensors.

    ``names`` maps the algebra's tensors (x, W, delta, b) to expressions (or
    notation); ``channels`` writes each with its channel subscript: the
    printers' defaults (True), or the subscript of each role (x: ``i``, W:
    ``oi``, δ and b: ``o``).
    """

    expr: sp.Basic
    names: tuple[tuple[str, Any], ...]
    channels: bool | tuple[tuple[str, str], ...] = False

    @classmethod
    def of(cls, expr: sp.Basic, names: Mapping[str, Any],
           channels: bool | Mapping[str, str] = False) -> Named:
        chosen = channels if isinstance(channels, bool) else tuple(sorted(channels.items()))
        return cls(expr, tuple(sorted(names.items())), chosen)

    def _channels(self) -> bool | dict[str, str]:
        return self.channels if isinstance(self.channels, bool) else dict(self.channels)

    def _note_latex(self, printer: Any) -> str:
        names = {k: note_latex(v) for k, v in self.names}
        return note_latex(self.expr, tensor_names=names, channels=self._channels())

    def _plain_text(self, printer: Any) -> str:
        names = {k: plain_text(v) for k, v in self.names}
        return plain_text(self.expr, tensor_names=names, channels=self._channels())


@dataclass(frozen=True)
class IndexExpr:
    """A side of an index formula (sums, entries, brackets), printed as a textbook writes it.

    ``bases`` renames tensors (``(("X", "a^{l}"),)``); a sum over one of ``ranges`` drops its limits.
    """

    expr: sp.Basic
    bases: tuple[tuple[str, str], ...] = ()
    ranges: tuple[tuple[sp.Symbol, sp.Expr, sp.Expr], ...] = ()  # sums over these are \sum_{o,i}

    def _note_latex(self, printer: Any) -> str:
        ranges = {symbol: (lo, hi) for symbol, lo, hi in self.ranges}
        return index_latex(self.expr, bases=dict(self.bases), ranges=ranges)

    def _plain_text(self, printer: Any) -> str:
        return plain_math(self._note_latex(printer))
