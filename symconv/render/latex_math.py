r"""The model's math as LaTeX: equations, aligned lists with wrapped sums, matrices, galleries.

The LaTeX format of the document model (:mod:`symconv.render.model`): every
expression is printed by :class:`~symconv.printing.note_latex.NotePrinter`;
what shows of a matrix or a sum was decided when the model was built; here
only lines break to fit the page (:mod:`symconv.render.typeset`) and gaps are
drawn as ``\cdots``, ``\vdots`` and ``\ddots``.
"""

from __future__ import annotations

from typing import Any

from symconv.printing.elide import Dots, gapped
from symconv.printing.note_latex import pmatrix
from symconv.render.model import Display, Equation, Gap, Matrix
from symconv.render.typeset import EQUALS, column_widths, equation_rows, gallery, matrix_width, tex, width

LATEX_DOTS = Dots(r"\cdots", r"\vdots", r"\ddots")
RELATIONS = {"=": "=", "!=": r"\neq", ":": r"\colon"}


def matrix(m: Matrix) -> tuple[str, float]:
    """A matrix as ``\\begin{pmatrix}…\\end{pmatrix}``, its gaps marked, and its estimated width."""
    table = gapped(m.shown, lambda i, j: tex(m.entries[i, j]), LATEX_DOTS)
    return pmatrix(table), matrix_width(column_widths(m.entries, m.shown), m.shown.col_gap is not None)


def side(value: Any) -> str:
    """One side of an equation in LaTeX."""
    return matrix(value)[0] if isinstance(value, Matrix) else tex(value)


def inline(eq: Equation, align: bool = False) -> str:
    """An equation on one line (``&`` before its first relation when ``align``)."""
    out = side(eq.sides[0])
    for i, (relation, value) in enumerate(zip(eq.relations, eq.sides[1:])):
        out += f" {'&' if align and i == 0 else ''}{RELATIONS[relation]} {side(value)}"
    return out


def _gallery_item(item: Equation | Gap) -> tuple[str, float]:
    if isinstance(item, Gap):
        return LATEX_DOTS.across, width(LATEX_DOTS.across)
    if isinstance(item.sides[-1], Matrix):
        body, estimated = matrix(item.sides[-1])
        lhs = " = ".join(side(s) for s in item.sides[:-1])
        return f"{lhs} = {body}", width(lhs) + EQUALS + estimated
    printed = inline(item)
    return printed, width(printed)


def tag(number: int, label: bool) -> str:
    r"""An equation's number: ``\tag{3}``, with ``\label{eq:3}`` for LaTeX's ``\eqref``."""
    return rf" \tag{{{number}}}" + (rf"\label{{eq:{number}}}" if label else "")


def display(block: Display, label: bool = False) -> tuple[str, list[str]]:
    r"""The kind of LaTeX display and its rows (a gallery that fits one row is an ``equation``).

    Numbered equations carry ``\tag`` on their last row (and ``\label`` when ``label``).
    """
    rows = display_rows(block, label)
    return ("equation" if block.kind == "gather" and len(rows) == 1 else block.kind), rows


def tagged(block: Display) -> bool:
    """Whether any equation of the display is numbered."""
    return any(isinstance(item, Equation) and item.tag is not None for item in block.items)


def display_rows(block: Display, label: bool = False) -> list[str]:
    """The rows of a display: one for ``equation``, aligned rows for ``align``, centred for ``gather``.

    For LaTeX (``label``) the rows of one wrapped equation come as one row joined
    by ``\\\\*``, so that a page break falls between equations only.
    """
    if block.kind == "gather":
        return gallery([_gallery_item(item) for item in block.items])
    rows: list[str] = []
    for item in block.items:
        if isinstance(item, Gap):
            rows.append("&" + LATEX_DOTS.down)
            continue
        if block.kind == "align" and len(item.sides) == 2 and not isinstance(item.sides[1], Matrix):
            lhs, relation = side(item.sides[0]), RELATIONS[item.relations[0]]
            wrapped = equation_rows(lhs, relation, item.sides[1], item.terms)
            # LaTeX may break a long list between equations, never inside one: \\* holds its rows together
            rows += [" \\\\*\n".join(wrapped)] if label else wrapped
        else:
            rows.append(inline(item, align=block.kind == "align"))
        if item.tag is not None:
            rows[-1] += tag(item.tag, label)
    return rows
