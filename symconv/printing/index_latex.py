r"""Index formulas in LaTeX as a textbook writes them: ``\sum_{u=0}^{k-1} W_{o,c,u} X_{c,\,s i + d u - p}``.

:class:`IndexPrinter` prints the expressions of :mod:`symconv.algebra.index_formulas`
and :mod:`symconv.algebra.derivation_steps`, which are built unevaluated in the
order a reader reads them; it keeps that order (sums, products and their terms
print as built) and changes only notation:

- an entry ``X[c, j]`` is ``X_{c,j}``, a Greek base Greek (``\delta_{o,i}``),
  an intermediate under its own name (``\check{\delta}_{o,m}``); a gradient
  ``dJ/dX[c, j]`` is ``\frac{\partial J}{\partial X_{c,j}}`` and an entry of a
  Jacobian ``\frac{\partial Y_{o,i}}{\partial X_{c,j}}``;
- one ``\sum`` per index, the outermost first, with its limits; the output
  channels of a group, ``o`` from ``o_0(c)``, are ``\sum_{o \in G(c)}``;
- the sizes ``C_in``, ``C_out`` are ``C_{\mathrm{in}}``, ``C_{\mathrm{out}}``;
- Iverson brackets ``[0 \le e \le n - 1]``, ``[s \mid a]``, ``[a = b]``;
- two entries side by side get a thin space (``W_{o,c,u} \, \delta_{o,i}``), as textbooks set them;
- with ``ranges`` (index → its range), a sum over that whole range drops its
  limits: ``\sum_{o,i}``.

Example:
    >>> from symconv.algebra import derivation_steps as ds, index_formulas as ix
    >>> chain = ds.chains(ix.Form(1, grouped=True))["grad_input"]
    >>> print(index_latex(chain.steps[3].rhs))
    \sum_{o \in G(c)} \sum_{u=0}^{k - 1} W_{o,\,c - c_{0}(o),\,u} \, \check{\delta}_{o,\,j + p - d u}
    \left[0 \le j + p - d u \le s \left(n' - 1\right)\right]
"""

from __future__ import annotations

from typing import Any, ClassVar

import sympy as sp

from symconv.algebra.derivation_steps import PartialLabel
from symconv.algebra.index_functions import FirstOutput
from symconv.printing.note_latex import GREEK, NotePrinter

SIZE_NAMES = {"C_in": r"C_{\mathrm{in}}", "C_out": r"C_{\mathrm{out}}"}


class IndexPrinter(NotePrinter):
    """The note's printer for index formulas: built order kept, entries subscripted, one sum per index."""

    printmethod = "_index_latex"
    _default_settings: ClassVar[dict[str, Any]] = {
        **NotePrinter._default_settings, "bases": {}, "ranges": {},
    }

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if expr.name in SIZE_NAMES:
            return SIZE_NAMES[expr.name]
        if expr.name.startswith("\\"):
            return str(expr.name)
        return str(super()._print_Symbol(expr, style=style))

    def _base(self, base: sp.IndexedBase) -> str:
        name = base.label.name
        renamed = self._settings["bases"].get(name)
        if renamed is not None:
            return str(renamed)
        return GREEK.get(name, name) if not name.startswith("\\") else str(name)

    def _index(self, index: sp.Basic) -> str:
        """One index of an entry: a quotient on one line, ``(j + p - d u)/s``."""
        if isinstance(index, sp.Mul):
            over = [f for f in index.args if f.is_Pow and f.exp == -1]
            if len(over) == 1:
                top = [f for f in index.args if f is not over[0]]
                numerator = sp.Mul(*top, evaluate=False) if len(top) > 1 else top[0]
                text = str(self._print(numerator))
                if isinstance(numerator, sp.Add):
                    text = rf"\left({text}\right)"
                return f"{text}/{self._print(over[0].base)}"
        return str(self._print(index))

    def _subscript(self, indices: Any) -> str:
        parts = [self._index(i) for i in indices]
        compound = any(not isinstance(i, (sp.Symbol, sp.Integer)) for i in indices)
        return (r",\," if compound else ",").join(parts)

    def _print_Function(self, expr: sp.Function, exp: str | None = None) -> str:
        """The brackets and group maps by their own ``_latex`` (``[s \\mid a]``, ``c_{0}(o)``)."""
        if hasattr(expr, "_latex"):
            return str(expr._latex(self))
        return str(super()._print_Function(expr, exp))

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        label = expr.base.label
        if isinstance(label, PartialLabel):
            of, by = expr.indices[: label.split], expr.indices[label.split :]
            top = f"{self._base(sp.IndexedBase(label.of))}_{{{self._subscript(of)}}}"
            bottom = f"{self._base(sp.IndexedBase(label.by))}_{{{self._subscript(by)}}}"
            return rf"\partial {top} / \partial {bottom}"
        if label.name.startswith("dJ/d"):
            of = sp.IndexedBase(label.name[4:])
            return rf"\partial J / \partial {self._base(of)}_{{{self._subscript(expr.indices)}}}"
        return f"{self._base(expr.base)}_{{{self._subscript(expr.indices)}}}"

    def _print_Sum(self, expr: sp.Sum) -> str:
        """One ``\\sum`` per index with its limits; ``\\sum_{o,i}`` over the stated ``ranges``."""
        parts = []
        ranges = self._settings["ranges"]
        whole: list[str] = []  # indices over their stated range, not yet written
        for symbol, lo, hi in reversed(expr.limits):  # SymPy lists the innermost first
            if isinstance(lo, FirstOutput):
                if whole:
                    parts.append(rf"\sum_{{{','.join(whole)}}}")
                    whole = []
                parts.append(rf"\sum_{{{self._print(symbol)} \in G({self._print(lo.args[0])})}}")
            elif ranges.get(symbol) == (lo, hi):
                whole.append(self._print(symbol))
            else:
                if whole:
                    parts.append(rf"\sum_{{{','.join(whole)}}}")
                    whole = []
                parts.append(rf"\sum_{{{self._print(symbol)}={self._print(lo)}}}^{{{self._print(hi)}}}")
        if whole:
            parts.append(rf"\sum_{{{','.join(whole)}}}")
        body = self._print(expr.function)
        if isinstance(expr.function, sp.Add):
            body = rf"\left({body}\right)"
        return " ".join(parts) + f" {body}"

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        return str(super(NotePrinter, self)._print_Add(expr, order="none"))

    def _print_Mul(self, expr: sp.Mul) -> str:
        factors = expr.args
        if any(f.is_Pow and f.exp.is_negative for f in factors) or (factors and factors[0] == -1):
            return str(super(NotePrinter, self)._print_Mul(expr))
        parts: list[str] = []
        for i, factor in enumerate(factors):
            tex = self._print(factor)
            if isinstance(factor, sp.Add) or (
                isinstance(factor, sp.Sum) and i < len(factors) - 1
            ):
                tex = rf"\left({tex}\right)"
            if parts and isinstance(factor, sp.Indexed) and isinstance(factors[i - 1], sp.Indexed):
                tex = r"\, " + tex  # two entries side by side: a thin space, as textbooks set them
            parts.append(tex)
        return " ".join(parts)


def index_latex(expr: Any, **settings: Any) -> str:
    """``expr`` (an index formula's side) in LaTeX; ``bases`` renames tensors (``{"X": "a^{l}"}``).

    ``ranges`` maps an index to its range ``(lo, hi)``: a sum over exactly that range is written
    ``\\sum_{o,i}``, for a text that states the ranges once.
    """
    return str(IndexPrinter(settings).doprint(expr))
