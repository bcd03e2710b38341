r"""The document model: what a derivation document says, in order, as expressions, before language and format.

A :class:`Document` is a title and sections; a section holds blocks: prose
(:class:`Text`, a key of :mod:`symconv.render.prose` and its arguments),
displayed math (:class:`Display`: equations whose sides are SymPy expressions,
notation of :mod:`symconv.render.notation`, or a :class:`Matrix`) and tables.
Nothing here is printed: the formats (:mod:`symconv.render.text`,
:mod:`symconv.render.markup`) print the same model. What a format must show
of a large matrix, list or sum is decided once, when the model is built, and
held here (:class:`Matrix`'s window, :class:`Terms`, :class:`Gap`), so every
format shows the same entries and counts the same left-out ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from symconv.printing.elide import Window


@dataclass(frozen=True)
class Math:
    """Inline math in prose: an expression or a piece of notation."""

    expr: Any


@dataclass(frozen=True)
class Code:
    """A code span (a command line)."""

    text: str


@dataclass(frozen=True)
class Ref:
    """A reference to a numbered equation, written ``(3)`` (LaTeX labels it ``eq:3`` for ``\\eqref``)."""

    number: int


Arg = Union[str, Math, Code, Ref]
"""A prose argument: a plain string (a number), inline math, code, or an equation's number."""


@dataclass(frozen=True)
class Text:
    """A paragraph (or a title, or a table cell) of prose: a key of the phrase book and its arguments."""

    key: str
    args: tuple[tuple[str, Arg], ...] = ()


@dataclass(frozen=True, eq=False)
class Matrix:
    """A matrix of expressions (a 2-D object array) and the part of it shown."""

    entries: np.ndarray
    shown: Window

    @property
    def hidden(self) -> int:
        return self.shown.hidden


@dataclass(frozen=True)
class Terms:
    """What shows of a long sum: its first ``head`` and last ``tail`` of ``total`` terms."""

    head: int
    tail: int
    total: int

    @property
    def hidden(self) -> int:
        return self.total - self.head - self.tail


RELATIONS = ("=", "!=", ":")
"""The relations an :class:`Equation` may hold between its sides."""


@dataclass(frozen=True, eq=False)
class Equation:
    """Sides joined by relations (``a = b``, ``a = b ≠ c``), aligned at the first relation.

    A side is an expression, notation or a :class:`Matrix`; ``terms`` says what
    shows of the last side when it is a long sum (None: all of it); ``tag`` is
    the equation's number (None: unnumbered).
    """

    sides: tuple[Any, ...]
    relations: tuple[str, ...]
    terms: Terms | None = None
    tag: int | None = None


@dataclass(frozen=True)
class Gap:
    """Items of a list left out here (a sentence after the display counts them)."""


Item = Union[Equation, Gap]


@dataclass(frozen=True, eq=False)
class Display:
    """Displayed math: ``equation`` (one item), ``align`` (aligned at the first relation), ``gather``.

    A ``gather`` is a gallery: its items (labelled matrices, or small
    equations) may stand side by side where they fit.
    """

    kind: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Table:
    """A small table: header cells, then rows; a :class:`Math` cell is the same in every language."""

    header: tuple[Text, ...]
    rows: tuple[tuple[Text | Math, ...], ...]
    align: str  # one letter per column: l (left) or r (right), as LaTeX's tabular


@dataclass(frozen=True)
class Picture:
    """A figure of the layer (:mod:`symconv.figures`) placed beside the formulas it draws.

    The model holds what to draw (the spec and the kind) and the sentence before
    it; each format prints it (TikZ inline in LaTeX, an SVG file linked from Markdown).
    """

    kind: str
    spec: Any  # the ConvSpec drawn
    caption: Text


Block = Union[Text, Display, Table, Picture]


@dataclass(frozen=True)
class Section:
    """A titled run of blocks; ``level`` 1 is a section, 2 a subsection, 3 a subsubsection."""

    title: Text
    level: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    """A whole derivation document, independent of language and output format."""

    title: Text
    layer: str  # the layer in one line (ConvSpec.describe)
    command: str  # the symconv command that writes this document
    intro: tuple[Block, ...]
    sections: tuple[Section, ...]
    closing: tuple[Block, ...]  # after the last section: how much was elided in all
    elided: int  # entries (and whole equations) left out in all
    terms: int  # terms left out of long sums in all
    matrix_columns: int  # the most columns of any matrix shown (LaTeX needs MaxMatrixCols ≥ this)
