r"""The writer of the document model: prose, displays, matrices and lists, and what of them shows.

The builders (:mod:`symconv.render.document`, :mod:`symconv.render.derivation`)
lay a derivation out through one :class:`Writer`: it collects sections and
blocks, decides — once, measuring the LaTeX with :mod:`symconv.render.typeset`
— how much of a matrix, a list or a long sum shows under ``max_entries`` and
the page, and counts what it leaves out. The small helpers make prose
arguments (:func:`say`, :func:`m`, :func:`code`) and equations (:func:`eq`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from symconv.errors import FigureError
from symconv.figures import check
from symconv.printing.elide import plan_slices
from symconv.render.model import (
    Arg,
    Block,
    Code,
    Display,
    Equation,
    Gap,
    Item,
    Math,
    Matrix,
    Picture,
    Ref,
    Section,
    Table,
    Text,
)
from symconv.render.notation import Notation
from symconv.render.typeset import (
    DISPLAY_ROWS,
    EQUALS,
    LINE_WIDTH,
    SUM_ROWS,
    matrix_window,
    sum_terms,
    tex,
    width,
)

Progress = Callable[[str], None]

# -- small helpers: prose arguments and notation ---------------------------------------------------


def say(key: str, **args: object) -> Text:
    """A :class:`Text` with its arguments, in a fixed order (numbers as strings)."""
    def arg(value: object) -> Arg:
        return value if isinstance(value, (Math, Code, Ref)) else str(value)

    return Text(key, tuple(sorted((name, arg(value)) for name, value in args.items())))


def m(expr: Any) -> Math:
    """Inline math: an expression, or notation given as LaTeX (``str``)."""
    return Math(side(expr))


def code(text: str) -> Code:
    """A code span."""
    return Code(text)


def side(value: Any) -> Any:
    """A side of an equation: notation for LaTeX given as ``str``, an Integer for ``int``, else as it is."""
    if isinstance(value, str):
        return Notation(value)
    if isinstance(value, int):
        return sp.Integer(value)
    return value


_RELATIONS = {"=": "=", r"\neq": "!=", r"\colon": ":"}


def eq(*parts: Any) -> Equation:
    r"""``eq(a, "=", b, r"\neq", c)``: sides and the relations between them (LaTeX's names)."""
    sides = tuple(side(p) for p in parts[::2])
    return Equation(sides, tuple(_RELATIONS[r] for r in parts[1::2]))




def lhs_width(sides: Sequence[Any]) -> float:
    """The width of ``a = b = `` before a matrix, in points."""
    return width(" = ".join(tex(side(s)) for s in sides)) + EQUALS


# -- the writer: sections, blocks, and the elision decisions ------------------------------------


@dataclass
class Writer:
    """Collects sections and blocks, decides what shows, counts elided entries and the widest matrix."""

    max_entries: int
    progress: Progress
    figures: bool = False  # place the figures of the layer beside its formulas
    sections: list[Section] = field(default_factory=list)
    elided: int = 0
    terms: int = 0
    columns: int = 0
    _title: Text | None = None
    _level: int = 1
    _blocks: list[Block] = field(default_factory=list)
    numbered: int = 0  # equations numbered so far

    def section(self, level: int, key: str, **args: object) -> None:
        self._close()
        self._title, self._level = say(key, **args), level

    def _close(self) -> None:
        if self._title is not None:
            self.sections.append(Section(self._title, self._level, tuple(self._blocks)))
        self._title, self._blocks = None, []

    def finish(self) -> tuple[Section, ...]:
        self._close()
        return tuple(self.sections)

    def text(self, key: str, **args: object) -> None:
        self._blocks.append(say(key, **args))

    def picture(self, kind: str, spec: Any, caption: str, **args: object) -> None:
        """The figure ``kind`` of ``spec`` after the sentence ``caption``, when figures are asked for.

        A figure that cannot be drawn for this layer (3-D, too large) is left out
        with a sentence saying why.
        """
        if not self.figures:
            return
        try:
            check(spec, kind)
        except FigureError as error:
            self.text("figure_left_out", kind=code(kind), why=str(error))
            return
        self._blocks.append(Picture(kind, spec, say(caption, **args)))

    def number(self) -> int:
        """The next equation number."""
        self.numbered += 1
        return self.numbered

    def math(self, *items: Item, kind: str = "equation") -> None:
        self._blocks.append(Display(kind, tuple(items)))

    def table(self, header: Sequence[Text], rows: Sequence[Sequence[Text | Math]], align: str) -> None:
        self._blocks.append(Table(tuple(header), tuple(tuple(r) for r in rows), align))

    def window(self, lhs: Sequence[Any], entries: np.ndarray) -> tuple[Matrix, float]:
        """The matrix for ``lhs = (…)``, elided past ``max_entries`` and the line, and its width."""
        shown, estimated = matrix_window(entries, self.max_entries, budget=LINE_WIDTH - lhs_width(lhs))
        self.columns = max(self.columns, len(shown.cols) + (shown.col_gap is not None))
        return Matrix(entries, shown), estimated

    def matrix(self, lhs: Sequence[Any], entries: np.ndarray) -> None:
        """One displayed ``lhs = (matrix)``, and a sentence when entries were left out."""
        self.show(lhs, self.window(lhs, entries)[0])

    def show(self, lhs: Sequence[Any], matrix: Matrix) -> None:
        """Display ``lhs = (matrix)`` for a matrix made by :meth:`window`; count what it leaves out."""
        sides = tuple(side(s) for s in lhs)
        self.math(Equation((*sides, matrix), ("=",) * len(sides)))
        self._count(sides[0], matrix)

    def side_by_side(self, matrices: Sequence[tuple[Sequence[Any], np.ndarray]]) -> None:
        """Several ``lhs = (matrix)`` in one display, side by side where they fit; each elision said."""
        shown = [(tuple(side(s) for s in lhs), self.window(lhs, entries)[0]) for lhs, entries in matrices]
        rows = [Equation((*sides, matrix), ("=",) * len(sides)) for sides, matrix in shown]
        self.math(*rows, kind="gather")
        for sides, matrix in shown:
            self._count(sides[0], matrix)

    def _count(self, name: Any, matrix: Matrix) -> None:
        """Count what ``matrix`` leaves out, and say so."""
        if matrix.hidden:
            self.elided += matrix.hidden
            rows, cols = matrix.shown.shape
            self.text(
                "elided_matrix", name=m(name), hidden=matrix.hidden, total=rows * cols,
                rows=len(matrix.shown.rows), all_rows=rows, cols=len(matrix.shown.cols), all_cols=cols,
            )

    def tensor(self, tensor: np.ndarray, lead: int, label: Callable[[tuple[int, ...]], Any]) -> None:
        """One labelled matrix per leading index (channels; in 3-D also depth), side by side.

        ``lead`` axes (plus the depth axis of a 3-D tensor) pick a slice; the
        rest is its matrix (a 1-D slice is one row). Slices beyond
        ``max_entries`` are left out (a :class:`Gap`); a sentence counts them.
        """
        self.tensors([(tensor, lead, label)])

    def tensors(self, tensors: Sequence[tuple[np.ndarray, int, Callable[[tuple[int, ...]], Any]]]) -> None:
        """Several tensors as :meth:`tensor` lays one out, in one display: steps read side by side."""
        items: list[Item] = []
        hidden = 0
        for tensor, lead, label in tensors:
            slice_axes = lead + (1 if tensor.ndim - lead == 3 else 0)
            slices = list(np.ndindex(*tensor.shape[:slice_axes]))
            per_slice = math.prod(tensor.shape[slice_axes:])
            shown, gap = plan_slices(len(slices), per_slice, self.max_entries)
            for position, k in enumerate(shown):
                if gap is not None and position == gap:
                    items.append(Gap())
                    hidden += (k - shown[gap - 1] - 1) * per_slice
                block = tensor[slices[k]]
                block = block.reshape(1, -1) if block.ndim == 1 else block
                name = side(label(slices[k]))
                matrix, _ = self.window([name], block)
                hidden += matrix.hidden
                items.append(Equation((name, matrix), ("=",)))
            if gap is not None and gap == len(shown):  # the slices after the last shown
                items.append(Gap())
                hidden += (len(slices) - 1 - shown[-1]) * per_slice
        self.math(*items, kind="gather")
        if hidden:
            self.elided += hidden
            self.text("elided_gallery", hidden=hidden, total=sum(t.size for t, _, _ in tensors))

    def equations(self, lhs: Sequence[Any], rhs: Callable[[int], Any]) -> None:
        """``lhs_i = rhs(i)`` aligned, long sums cut; two representative entries for a long list.

        A list of more than ``√max_entries + 1`` entries, or whose sums hold more
        than ``max_entries`` terms in all, shows two entries worked out — the
        first, and the first with the most terms (the last, when no entry has
        more) — and a sentence for the rest; ``max_entries`` 0 writes every entry.
        """
        count = len(lhs)
        values = [rhs(i) for i in range(count)]
        sizes = [term_count(v) for v in values]
        longest = math.isqrt(self.max_entries) + 1  # entries a list shows in full: 9 for the default 64
        if self.max_entries and count > 2 and (count > longest or sum(sizes) > self.max_entries):
            most = max(range(count), key=lambda i: (sizes[i], -i))
            shown = [0, most if most != 0 else count - 1]
            gap: int | None = 1 if shown[1] > 1 else None
        else:
            shown, gap = list(range(count)), None
        items: list[Item] = []
        rows = 0
        terms = 0
        for position, i in enumerate(shown):
            more: list[Item] = [Gap()] if gap is not None and position == gap else []
            left, right = side(lhs[i]), values[i]
            cut, height = sum_terms(tex(left), right, SUM_ROWS if self.max_entries else 0)
            more.append(Equation((left, right), ("=",), cut))
            terms += cut.hidden if cut else 0
            height += len(more) - 1
            if items and rows + height > DISPLAY_ROWS:
                self.math(*items, kind="align")
                items, rows = [], 0
            items += more
            rows += height
        self.math(*items, kind="align")
        if len(shown) < count:
            self.elided += count - len(shown)
            ends = sizes[shown[1]] == sizes[0]  # no entry has more terms than the first: first and last
            self.text("representative_ends" if ends else "representative", total=count,
                      hidden=count - len(shown), terms=sizes[shown[1]], all_terms=sum(sizes),
                      option=code("--max-entries 0"))
        if terms:
            self.terms += terms
            self.text("elided_terms", hidden=terms, rows=SUM_ROWS)


def term_count(expr: Any) -> int:
    """How many terms ``expr`` has written out: a sum's terms, a product's multiplied, else 1.

    Example:
        >>> import sympy as sp
        >>> a, b, c, s = sp.symbols("a b c s")
        >>> term_count(a + b + c), term_count((a + b) * s), term_count(s)
        (3, 2, 1)
    """
    if isinstance(expr, sp.Add):
        return sum(term_count(t) for t in expr.args)
    if isinstance(expr, sp.Mul):
        return math.prod(term_count(f) for f in expr.args)
    return 1
