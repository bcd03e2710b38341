r"""Laying out printed LaTeX so that it fits a page: widths, wrapped sums, elided matrices.

Nothing here knows convolution: it takes printed LaTeX and decides where
lines break and which matrix entries show. Widths are estimates in TeX points
at 10pt (a letter ≈ 5.5pt, a subscript letter ≈ 3.9pt, ``+`` with its spaces
≈ 12pt); they only have to be good enough to keep every line inside
:data:`LINE_WIDTH`, which leaves a margin to the text width of the document
template (A4, 2 cm margins: about 483pt).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from symconv.printing.note_latex import pmatrix
from symconv.render.elide import Window, keep, window

LINE_WIDTH = 430.0
"""Widest a displayed line may be, in estimated points."""

DISPLAY_ROWS = 50
"""Most rows of one aligned display: TeX holds a whole ``align*`` in memory (and runs out on
thousands of rows); longer lists of equations become several displays."""

PAGE_EQUATIONS = 40
"""Most equations of one list shown (a list of long sums runs over pages quickly)."""

SUM_ROWS = 8
"""Most rows one wrapped sum takes; a longer one keeps its first and last rows (and says so)."""

PAGE_ROWS = 40
"""Most rows of a matrix shown, so that one display fits a page (columns: as many as fit the line)."""

CONTINUATION = r"&\quad {}"
"""How a wrapped line of a sum starts: indented, and ``{}`` keeps its sign binary."""

_LETTER, _SCRIPT, _BINARY, _RELATION, _FENCE, _PUNCT = 5.5, 0.7, 12.2, 13.4, 3.9, 2.8
_COLUMN_SEP = 10.0  # amsmath matrices: \arraycolsep (5pt) on either side of a column
_SPACES = {"quad": 10.0, "qquad": 20.0, ",": 1.7, ";": 2.8, ":": 2.2, " ": 3.3, "!": -1.7}
_BINARIES = {"cdot", "odot", "ast", "times", "neq", "leq", "geq", "in", "approx", "to"}
_DOTS = {"cdots", "ldots", "vdots", "ddots", "dots"}
_WRAPPERS = {"mathrm", "text", "hat", "tilde", "mathbf", "operatorname", "bar"}
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


def split_terms(tex: str) -> list[str]:
    """A printed sum cut before each top-level `` + `` / `` - ``: ``["a", "+ b", "- c"]``.

    Example:
        >>> split_terms(r"x k + \\left(a + b\\right) c - t")
        ['x k', '+ \\\\left(a + b\\\\right) c', '- t']
    """
    pieces, start, depth, i = [], 0, 0, 0
    while i < len(tex):
        if tex.startswith(r"\left", i):
            depth, i = depth + 1, i + 5
            continue
        if tex.startswith(r"\right", i):
            depth, i = depth - 1, i + 6
            continue
        char = tex[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and i > start and tex[i - 1] == " " and char in "+-" and tex[i + 1 : i + 2] == " ":
            pieces.append(tex[start : i - 1])
            start = i
        i += 1
    pieces.append(tex[start:])
    return pieces


def open_parentheses(tex: str) -> str:
    r"""Top-level ``\left( … \right)`` as ``\bigl( … \bigr)``, which may be split across rows.

    Example:
        >>> print(open_parentheses(r"\left(a + \left(b\right)\right) c"))
        \bigl(a + \left(b\right)\bigr) c
    """
    out: list[str] = []
    depth, i = 0, 0
    while i < len(tex):
        if tex.startswith(r"\left", i):
            depth += 1
            top = depth == 1 and tex.startswith(r"\left(", i)
            out.append(r"\bigl(" if top else r"\left")
            i += len(r"\left(") if top else len(r"\left")
        elif tex.startswith(r"\right", i):
            top = depth == 1 and tex.startswith(r"\right)", i)
            depth -= 1
            out.append(r"\bigr)" if top else r"\right")
            i += len(r"\right)") if top else len(r"\right")
        else:
            out.append(tex[i])
            i += 1
    return "".join(out)


def equation_rows(
    lhs: str, rhs: str, *, relation: str = "=", budget: float = LINE_WIDTH, max_rows: int = 0
) -> tuple[list[str], int]:
    r"""``lhs &= rhs`` as rows of an aligned display, the sum wrapped to fit ``budget``.

    A product too wide for one row whose factor is a sum (``(…) σ'(z)``) is
    wrapped inside that sum, its parentheses made ``\bigl(`` / ``\bigr)``.
    A sum longer than ``max_rows`` rows (0: no limit) keeps its first and last
    rows with a row ``+ \cdots`` between. Returns the rows and how many terms
    were left out.

    Example:
        >>> equation_rows("y", "a + b + c", budget=50)
        (['y &= a + b', '&\\quad {}+ c'], 0)
        >>> equation_rows("y", "a + b + c + d", budget=25, max_rows=3)
        (['y &= a', '&\\quad {}+ \\cdots', '&\\quad {}+ d'], 2)
    """
    room = budget - width(lhs) - _RELATION
    terms = split_terms(rhs)
    if len(terms) == 1 and width(rhs) > room:
        terms = split_terms(open_parentheses(rhs))
    lines: list[list[str]] = []
    used = 0.0
    for term in terms:
        size = width(term)
        if lines and used + size <= room:
            lines[-1].append(term)
            used += size
        else:
            lines.append([term])
            used = size
    hidden = 0
    if max_rows and len(lines) > max_rows:
        shown, gap = keep(len(lines), max_rows - 1)
        assert gap is not None
        hidden = sum(len(lines[i]) for i in range(shown[gap - 1] + 1, shown[gap]))
        kept = [lines[i] for i in shown]
        lines = [*kept[:gap], [r"+ \cdots"], *kept[gap:]]
    rows = [" ".join(line) for line in lines]
    return [f"{lhs} &{relation} {rows[0]}"] + [f"{CONTINUATION}{row}" for row in rows[1:]], hidden


@dataclass(frozen=True)
class Grid:
    """A matrix printed as ``\\begin{pmatrix}…\\end{pmatrix}``, maybe elided, with its size on the page."""

    tex: str
    width: float  # estimated points
    columns: int  # columns of the pmatrix, the \cdots column included
    shown: Window

    @property
    def hidden(self) -> int:
        return self.shown.hidden


def grid(
    shape: tuple[int, int],
    entry: Callable[[int, int], str],
    max_entries: int,
    *,
    budget: float = LINE_WIDTH,
) -> Grid:
    """The ``rows × cols`` matrix whose printed entries ``entry(i, j)`` gives, elided past the limits.

    About ``max_entries`` entries show; then also at most :data:`PAGE_ROWS`
    rows and as many columns as fit in ``budget`` points (at least two).
    ``max_entries`` 0 shows everything, however large. Only the entries shown
    are printed; ``\\cdots``, ``\\vdots`` and ``\\ddots`` mark the gaps.
    """
    rows, cols = shape
    page = max_entries != 0
    shown = window(rows, cols, max_entries, max_rows=PAGE_ROWS if page else 0)
    printed = {j: [entry(i, j) for i in shown.rows] for j in shown.cols}
    column = {j: max(width(tex) for tex in printed[j]) + _COLUMN_SEP for j in shown.cols}

    def span(count: int) -> float:
        ids, gap = keep(cols, count)
        dots = width(r"\cdots") + _COLUMN_SEP if gap is not None else 0.0
        return sum(column[j] for j in ids) + dots + 2 * _FENCE

    if page:
        count = len(shown.cols)
        while count > 2 and span(count) > budget:
            count -= 1
        if count < len(shown.cols):  # the first and last columns of those printed
            ids, gap = keep(cols, count)
            shown = Window(shown.rows, shown.row_gap, ids, gap, shape)
    table = [[printed[j][k] for j in shown.cols] for k in range(len(shown.rows))]
    if shown.col_gap is not None:
        for line in table:
            line.insert(shown.col_gap, r"\cdots")
    if shown.row_gap is not None:
        filler = [r"\vdots"] * len(table[0])
        if shown.col_gap is not None:
            filler[shown.col_gap] = r"\ddots"
        table.insert(shown.row_gap, filler)
    estimated = span(len(shown.cols)) if page else sum(column.values()) + 2 * _FENCE
    return Grid(pmatrix(table), estimated, len(table[0]), shown)


def gallery(items: Sequence[tuple[str, float]], budget: float = LINE_WIDTH) -> list[str]:
    r"""Labelled matrices ``(tex, width)`` side by side, ``,\quad`` between, a new row when one is full."""
    rows: list[str] = []
    used = 0.0
    for tex, item_width in items:
        if rows and used + _SPACES["quad"] + _PUNCT + item_width <= budget:
            rows[-1] += r",\quad " + tex
            used += _SPACES["quad"] + _PUNCT + item_width
        else:
            rows.append(tex)
            used = item_width
    return rows
