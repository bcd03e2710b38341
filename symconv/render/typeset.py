r"""Laying out LaTeX so that it fits a page: widths, wrapped sums, how much of a matrix or sum shows.

Nothing here knows convolution. The layout stage (:mod:`symconv.render.document`)
asks :func:`matrix_window` and :func:`sum_terms` how much of a matrix or sum
fits, and stores that decision in the model; the LaTeX format asks
:func:`equation_rows` and :func:`gallery` where its lines break. Widths are
estimates in TeX points at 10pt (a letter ≈ 5.5pt, a subscript letter ≈ 3.9pt, ``+`` with its spaces
≈ 12pt); they only have to be good enough to keep every line inside
:data:`LINE_WIDTH`, which leaves a margin to the text width of the document
template (A4, 2 cm margins: about 483pt).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp

from symconv.printing.elide import Window, keep, window
from symconv.printing.note_latex import note_latex
from symconv.render.model import Terms
from symconv.render.wrap import Marks, pack, pieces

LINE_WIDTH = 430.0
"""Widest a displayed line may be, in estimated points."""

DISPLAY_ROWS = 50
"""Most rows of one aligned display: TeX holds a whole ``align*`` in memory (and runs out on
thousands of rows); longer lists of equations become several displays."""

SUM_ROWS = 8
"""Most rows one wrapped sum takes; a longer one keeps its first and last rows (and says so)."""

PAGE_ROWS = 40
"""Most rows of a matrix shown, so that one display fits a page (columns: as many as fit the line)."""

EQUALS = 14.0
"""The width of `` = `` between a label and its matrix, in points."""

CONTINUATION = r"&\quad {}"
"""How a wrapped line of a sum starts: indented, and ``{}`` keeps its sign binary."""

_LETTER, _SCRIPT, _BINARY, _RELATION, _FENCE, _PUNCT = 5.5, 0.7, 12.2, 13.4, 3.9, 2.8
_COLUMN_SEP = 10.0  # amsmath matrices: \arraycolsep (5pt) on either side of a column
_SPACES = {"quad": 10.0, "qquad": 20.0, ",": 1.7, ";": 2.8, ":": 2.2, " ": 3.3, "!": -1.7}
_BINARIES = {"cdot", "odot", "ast", "times", "neq", "leq", "geq", "in", "approx", "to"}
_DOTS = {"cdots", "ldots", "vdots", "ddots", "dots"}
_WRAPPERS = {"mathrm", "text", "hat", "tilde", "check", "mathbf", "mathsf", "operatorname", "bar"}
_SILENT = {"left", "right", "begin", "end", "displaystyle", "big", "Big", "bigl", "bigr"}
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")


def _group(tex: str, i: int) -> tuple[str, int]:
    """The ``{…}`` group (or single character) starting at ``i``, and the index after it."""
    if i >= len(tex):
        return "", i
    if tex[i] != "{":
        match = _COMMAND.match(tex, i)
        end = match.end() if match else i + 1
        return tex[i:end], end
    depth = 0
    for j in range(i, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[j], 0)
        if depth == 0:
            return tex[i + 1 : j], j + 1
    return tex[i + 1 :], len(tex)


def width(tex: str, scale: float = 1.0) -> float:
    r"""Estimated width of inline LaTeX in points (``\begin{pmatrix}`` excluded: see :class:`Grid`).

    Example:
        >>> round(width("x_{11} k_{11}"))
        26
    """
    total, i = 0.0, 0
    while i < len(tex):
        char = tex[i]
        if char == "\\":
            match = _COMMAND.match(tex, i)
            assert match is not None
            name, i = match[1], match.end()
            if name in ("left", "right"):
                i += 1  # the delimiter itself
                total += _FENCE * scale
            elif name in ("begin", "end"):
                _, i = _group(tex, i)
            elif name == "frac":
                top, i = _group(tex, i)
                bottom, i = _group(tex, i)
                total += max(width(top, scale), width(bottom, scale)) + 2 * scale
            elif name in _WRAPPERS:
                inner, i = _group(tex, i)
                total += width(inner, scale)
            elif name in _SPACES:
                total += _SPACES[name] * scale
            elif name in _BINARIES:
                total += _BINARY * scale
            elif name in _DOTS:
                total += 3 * _LETTER * scale
            elif name not in _SILENT:
                total += _LETTER * scale
        elif char in "_^":
            inner, i = _group(tex, i + 1)
            total += width(inner, scale * _SCRIPT)
        elif char == "{":
            inner, i = _group(tex, i)
            total += width(inner, scale)
        else:
            i += 1
            if char in "+-":
                total += (_BINARY if scale == 1.0 else _LETTER) * scale
            elif char == "=":
                total += _RELATION * scale
            elif char in "()[]|":
                total += _FENCE * scale
            elif char in ",.;'":
                total += _PUNCT * scale
            elif not char.isspace() and char != "&":
                total += _LETTER * scale
    return total


@functools.lru_cache(maxsize=16384, typed=True)
def tex(expr: Any) -> str:
    """``expr`` in the note's LaTeX (remembered: the layout measures what the LaTeX format then prints)."""
    return note_latex(expr)


LATEX_MARKS = Marks(r"\bigl(", r"\bigr) ", r"+ \cdots")
"""A sum's parentheses opened across rows, and its left-out terms, in LaTeX."""


def sum_pieces(rhs: Any, room: float, terms: Terms | None = None) -> list[str]:
    r"""``rhs`` in LaTeX pieces to wrap: its terms; one piece when it is no sum and fits ``room``.

    Example:
        >>> import sympy as sp
        >>> a, b, s = sp.symbols("a b s")
        >>> sum_pieces((a + b) * s, 100), sum_pieces((a + b) * s, 10)
        (['\\left(a + b\\right) s'], ['\\bigl(a', '+ b\\bigr) s'])
    """
    if terms is None and not isinstance(rhs, sp.Add) and width(whole := tex(rhs)) <= room:
        return [whole]
    return pieces(rhs, tex, LATEX_MARKS, None if terms is None else (terms.head, terms.tail))


def _packed(printed: list[str], room: float) -> list[list[str]]:
    return [[printed[i] for i in row] for row in pack([width(p) for p in printed], room)]


def _rows(lhs: str, rhs: Any, budget: float, terms: Terms | None) -> list[list[str]]:
    room = budget - width(lhs) - _RELATION
    printed = sum_pieces(rhs, room, terms)
    if terms is None:
        return _packed(printed, room)
    head, dots, tail = printed[: terms.head], printed[terms.head], printed[terms.head + 1 :]
    return [*_packed(head, room), [dots], *_packed(tail, room)]


def sum_terms(lhs: str, rhs: Any, max_rows: int, budget: float = LINE_WIDTH) -> tuple[Terms | None, int]:
    """How much of ``rhs`` shows after ``lhs =`` (None: all), and how many rows it then takes.

    A sum longer than ``max_rows`` rows (0: no limit) keeps its first and last
    rows, a row of dots between.

    Example:
        >>> import sympy as sp
        >>> sum_terms("y", sp.Add(*sp.symbols("a:d")), 3, budget=25)
        (Terms(head=1, tail=1, total=4), 3)
    """
    rows = _rows(lhs, rhs, budget, None)
    if not max_rows or len(rows) <= max_rows:
        return None, len(rows)
    shown, gap = keep(len(rows), max_rows - 1)
    assert gap is not None
    head = sum(len(rows[i]) for i in shown[:gap])
    tail = sum(len(rows[i]) for i in shown[gap:])
    return Terms(head, tail, sum(len(r) for r in rows)), len(shown) + 1


def equation_rows(
    lhs: str, relation: str, rhs: Any, terms: Terms | None, budget: float = LINE_WIDTH
) -> list[str]:
    r"""``lhs &= rhs`` as rows of an aligned display, the sum wrapped to fit ``budget``.

    Example:
        >>> import sympy as sp
        >>> a, b, c = sp.symbols("a b c")
        >>> equation_rows("y", "=", a + b + c, None, budget=50)
        ['y &= a + b', '&\\quad {}+ c']
    """
    rows = [" ".join(row) for row in _rows(lhs, rhs, budget, terms)]
    return [f"{lhs} &{relation} {rows[0]}"] + [f"{CONTINUATION}{row}" for row in rows[1:]]


def matrix_width(columns: Sequence[float], gap: bool) -> float:
    """Estimated width of a matrix with shown columns ``columns`` wide (``gap``: and a dots column)."""
    dots = width(r"\cdots") + _COLUMN_SEP if gap else 0.0
    return sum(c + _COLUMN_SEP for c in columns) + dots + 2 * _FENCE


def column_widths(entries: Any, shown: Window) -> list[float]:
    """The widest printed entry of each shown column, in points."""
    return [max(width(tex(entries[i, j])) for i in shown.rows) for j in shown.cols]


def matrix_window(entries: np.ndarray, max_entries: int, budget: float = LINE_WIDTH) -> tuple[Window, float]:
    """The part of a matrix that shows, and its estimated width in points.

    About ``max_entries`` entries show; then also at most :data:`PAGE_ROWS`
    rows and as many columns as fit in ``budget`` points (at least two).
    ``max_entries`` 0 shows everything, however large. Only the entries that
    may show are measured.
    """
    rows, cols = entries.shape
    page = max_entries != 0
    shown = window(rows, cols, max_entries, max_rows=PAGE_ROWS if page else 0)
    column = dict(zip(shown.cols, column_widths(entries, shown)))

    def span(count: int) -> float:
        ids, gap = keep(cols, count)
        return matrix_width([column[j] for j in ids], gap is not None)

    if not page:
        return shown, matrix_width(list(column.values()), False)
    count = len(shown.cols)
    while count > 2 and span(count) > budget:
        count -= 1
    if count < len(shown.cols):  # the first and last columns of those measured
        ids, gap = keep(cols, count)
        shown = Window(shown.rows, shown.row_gap, ids, gap, (rows, cols))
    return shown, span(count)


def gallery(items: Sequence[tuple[str, float]], budget: float = LINE_WIDTH) -> list[str]:
    r"""Labelled matrices ``(tex, width)`` side by side, ``,\quad`` between, a new row when one is full."""
    rows = pack([w for _, w in items], budget, gap=_SPACES["quad"] + _PUNCT)
    return [r",\quad ".join(items[i][0] for i in row) for row in rows]
