"""Breaking long math into rows, the same way in every format: a sum into its terms, pieces into rows.

A right-hand side is written term by term (:func:`summands`): a sum's terms in
the order the note prints them, or, for a product of a sum and other factors
(``(…) σ'(z)``), the inner sum's terms with the parentheses opened across rows.
:func:`pack` fills rows greedily with pieces of given sizes; the LaTeX format
measures in points, the text format in characters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symconv.printing.note_latex import ordered_terms


def summands(expr: Any) -> tuple[list[Any], Any]:
    """The terms a right-hand side is written in, and the factor outside their parentheses (or None).

    Example:
        >>> a, b, s = sp.symbols("a b s")
        >>> summands(a + b), summands((a + b) * s), summands(a * s)
        (([a, b], None), ([a, b], s), ([a*s], None))
    """
    if isinstance(expr, sp.Add):
        return ordered_terms(expr), None
    if isinstance(expr, sp.Mul):
        sums = [f for f in expr.args if isinstance(f, sp.Add)]
        if len(sums) == 1:
            rest = [f for f in expr.args if f is not sums[0]]
            return ordered_terms(sums[0]), sp.Mul(*rest, evaluate=False)
    return [expr], None


@dataclass(frozen=True)
class Marks:
    """How a format writes a sum's pieces: the parentheses opened across rows, and the left-out terms."""

    open: str
    close: str
    omitted: str


def pieces(
    expr: Any, show: Callable[[Any], str], marks: Marks, keep: tuple[int, int] | None = None
) -> list[str]:
    """``expr`` printed by ``show`` as the pieces of :func:`summands`: ``["a", "+ b", "- c"]``.

    ``keep`` (first, last) leaves out the terms between and puts ``marks.omitted`` there.
    A sum of products of sums opens each product's parentheses across pieces too.

    Example:
        >>> a, b, c, s, t = sp.symbols("a b c s t")
        >>> pieces((a + b - c) * s, str, Marks("(", ")*", "+ …"), keep=(1, 1))
        ['(a', '+ …', '- c)*s']
        >>> pieces((a + b) * s + (b + c) * t, str, Marks("(", ")*", "+ …"))
        ['(a', '+ b)*s', '+ (b', '+ c)*t']
    """
    terms, outside = summands(expr)
    printed = []
    for i, term in enumerate(terms):
        _, factor = summands(term) if outside is None and isinstance(term, sp.Mul) else ([term], None)
        if factor is None:  # a term: one piece
            text = show(term)
            signed = f"- {text[1:].lstrip()}" if text.startswith("-") else f"+ {text}"
            printed.append(text if i == 0 else signed)
            continue
        # a product of a sum (a composite's ``(x k + … + b) w``): its parentheses opened across pieces
        opened = pieces(term, show, marks)
        printed += [opened[0] if i == 0 else f"+ {opened[0]}", *opened[1:]]
    if outside is not None:
        printed[0] = marks.open + printed[0]
        printed[-1] += marks.close + show(outside)
    if keep is not None:
        head, tail = keep
        printed = [*printed[:head], marks.omitted, *printed[len(printed) - tail:]]
    return printed


def pack(sizes: Sequence[float], room: float, gap: float = 0.0) -> list[list[int]]:
    """Indices of pieces of ``sizes`` in rows of at most ``room`` (a piece alone may be wider).

    ``gap`` is the space between two pieces in a row.

    Example:
        >>> pack([3, 3, 3, 5], 7, gap=1)
        [[0, 1], [2], [3]]
    """
    rows: list[list[int]] = []
    used = 0.0
    for i, size in enumerate(sizes):
        if rows and used + gap + size <= room:
            rows[-1].append(i)
            used += gap + size
        else:
            rows.append([i])
            used = size
    return rows
