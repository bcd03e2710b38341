"""Plain text for the terminal (``symconv derive --format text``): the document model printed as text.

The same :class:`~symconv.render.model.Document` the Markdown and LaTeX
formats print, in English: the layer in one line first, then the sections;
prose from the phrase book, its math made plain; equations as lines
(``∂J/∂x_{11} = δ_{11} k_{11}``, ``=`` aligned in a list, long sums and
formulas wrapped to the terminal's width, :func:`width`); matrices as aligned grids ``[ a  b ]``. What shows
of a matrix, a list or a sum was decided when the model was built, so the
text shows the same entries as the documents: ``…``, ``⋮`` and ``⋱`` mark the
gaps, and a sentence counts what was left out.
"""

from __future__ import annotations

import os
import re
import textwrap
import unicodedata
from typing import Any

from symconv.printing.elide import DEFAULT_MAX_ENTRIES, Dots, gapped
from symconv.printing.plain_text import plain_math, plain_text
from symconv.render.document import build
from symconv.render.model import (
    Arg,
    Block,
    Code,
    Display,
    Document,
    Equation,
    Gap,
    Math,
    Matrix,
    Picture,
    Ref,
    Table,
    Text,
)
from symconv.render.prose import phrase
from symconv.render.wrap import Marks, pack, pieces
from symconv.render.writer import Progress
from symconv.symbolic import Derivation
from symconv.symbolic.separable import SeparableDerivation

__all__ = ["DEFAULT_MAX_ENTRIES", "print_text", "render_separable_text", "render_text"]

WIDTH = 100
"""Columns the prose and the wrapped math keep to without ``COLUMNS`` (a matrix is as wide as its entries)."""


def width() -> int:
    """The columns to wrap to: the ``COLUMNS`` environment variable (as terminals set it), else :data:`WIDTH`.

    Example:
        >>> import os
        >>> os.environ["COLUMNS"] = "72"; width()
        72
        >>> os.environ["COLUMNS"] = "wide"; width()
        100
        >>> del os.environ["COLUMNS"]
    """
    try:
        return max(40, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return WIDTH

TEXT_DOTS = Dots("…", "⋮", "⋱")
TEXT_MARKS = Marks("(", ")*", "+ …")
RELATIONS = {"=": "=", "!=": "≠", ":": ":"}
_INDENT = "  "
_NBSP = "\x00"  # a space that prose is not wrapped at; a plain space once wrapped
_MATH = re.compile(r"\$([^$]*)\$")
_UNDERLINE = {0: "=", 1: "-", 2: "~", 3: "~"}


def render_text(
    d: Derivation,
    *,
    backward: bool = False,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    progress: Progress | None = None,
) -> str:
    """The derivation as readable text: the same document as :func:`~symconv.render.render_markdown`.

    ``max_entries`` is the most entries a matrix or list shows before it is
    elided (0: never elide). ``progress`` is called with a short note before
    each slow stage.

    Example:
        >>> from symconv import ConvSpec, derive
        >>> text = render_text(derive(ConvSpec(input_size=3, kernel_size=2)))
        >>> print(text.splitlines()[0])
        Conv2d 1→1, input 3, kernel 2, stride 1, padding 0, dilation 1
        >>> "[ x_{11}  x_{12}  x_{21}  x_{22} ]" in text
        True
        >>> "y_{11} = x_{11} k_{11} + x_{12} k_{12} + x_{21} k_{21} + x_{22} k_{22} + b" in text
        True
    """
    return print_text(build(d, "text", "en", backward, max_entries, progress))


def render_separable_text(
    sd: SeparableDerivation,
    *,
    backward: bool = False,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    progress: Progress | None = None,
) -> str:
    """A depthwise-separable layer: counts beside the plain convolution, both stages, the composite.

    Example:
        >>> from symconv import ConvSpec
        >>> from symconv.symbolic.separable import derive_separable
        >>> sd = derive_separable(ConvSpec(input_size=4, in_channels=2, out_channels=3))
        >>> text = render_separable_text(sd)
        >>> print(text.splitlines()[0])
        Conv2d 2→3, input 4, kernel 3, stride 1, padding 0, dilation 1 (depthwise-separable)
        >>> next(line for line in text.splitlines() if line.startswith("parameters")).split()
        ['parameters', '20', '9', '29', '57', '0.509']
    """
    return print_text(build(sd, "text", "en", backward, max_entries, progress))


# -- the document -----------------------------------------------------------------------------------


def print_text(doc: Document) -> str:
    """A document model as plain text, in English."""
    lines = [doc.layer, ""]
    lines += _title(_prose(doc.title), 0)
    lines += _blocks(doc.intro)
    for section in doc.sections:
        lines += _title(_prose(section.title), section.level)
        lines += _blocks(section.blocks)
    lines += _blocks(doc.closing)
    return "\n".join(lines).rstrip("\n") + "\n"


def _title(title: str, level: int) -> list[str]:
    return [title, _UNDERLINE[level] * len(title), ""]


def _blocks(blocks: tuple[Block, ...]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Picture):  # the text has no pictures: say where they are
            lines.append(f"[{block.kind} figure: symconv figure {block.kind} draws it]")
        elif isinstance(block, Text):
            wrapped = textwrap.wrap(_prose(block), width(), break_long_words=False, break_on_hyphens=False)
            lines += [line.replace(_NBSP, " ") for line in wrapped]
        elif isinstance(block, Display):
            lines += _display(block)
        else:
            lines += _table(block)
        lines.append("")
    return lines


def _arg(value: Arg | Math) -> str:
    if isinstance(value, Math):
        return plain_text(value.expr)
    if isinstance(value, Ref):
        return f"({value.number})"
    if isinstance(value, Code):
        return "`" + value.text.replace(" ", _NBSP) + "`"  # a command is not broken across lines
    return value


def _prose(t: Text | Math) -> str:
    """A phrase in English, its arguments and its own inline math as plain text."""
    if isinstance(t, Math):
        return _arg(t)
    filled = phrase("en", t.key, {name: _arg(value) for name, value in t.args})
    return _MATH.sub(lambda match: plain_math(match[1]), filled)


def _table(table: Table) -> list[str]:
    cells = [[_prose(c).replace(_NBSP, " ") for c in row] for row in (table.header, *table.rows)]
    widths = [max(len(row[j]) for row in cells) for j in range(len(table.align))]
    aligned = ([c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(row, widths, table.align)]
               for row in cells)
    return ["  ".join(row).rstrip() for row in aligned]


# -- math ------------------------------------------------------------------------------------------


def grid(matrix: Matrix) -> list[str]:
    """A matrix as aligned rows ``[ a  b ]``, the gaps marked with ``…``, ``⋮``, ``⋱``."""
    table = gapped(matrix.shown, lambda i, j: plain_text(matrix.entries[i, j]), TEXT_DOTS)
    widths = [max(len(row[j]) for row in table) for j in range(len(table[0]))]
    return ["[ " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + " ]" for row in table]


def _side(value: Any) -> str:
    return plain_text(value)


def columns(text: str) -> int:
    """How many columns ``text`` takes on a terminal: combining accents (``δ̌``) take none."""
    return sum(1 for char in text if not unicodedata.combining(char))


def _ljust(text: str, size: int) -> str:
    return text + " " * (size - columns(text))


def _equation(eq: Equation, pad: int = 0) -> list[str]:
    """An equation as lines: ``lhs = rhs``, a matrix below its name, a long sum wrapped."""
    lhs = _ljust(_side(eq.sides[0]), pad)
    if isinstance(eq.sides[-1], Matrix):
        middle = "".join(f" = {_side(s)}" for s in eq.sides[1:-1])
        return [f"{lhs}{middle} ="] + [_INDENT + row for row in grid(eq.sides[-1])]
    tag = "" if eq.tag is None else f"   ({eq.tag})"
    room = width() - len(_INDENT) - len(tag)
    if len(eq.sides) > 2:
        rest = "".join(f" {RELATIONS[r]} {_side(s)}" for r, s in zip(eq.relations, eq.sides[1:]))
        lines = _folded(lhs + rest, room, len(lhs) + 3)
        return [*lines[:-1], lines[-1] + tag]
    head = f"{lhs} {RELATIONS[eq.relations[0]]} "
    keep = None if eq.terms is None else (eq.terms.head, eq.terms.tail)
    printed = [part for piece in pieces(eq.sides[1], plain_text, TEXT_MARKS, keep)
               for part in _folded(piece, room - len(head), 0)]
    rows = pack([len(p) for p in printed], room - len(head), gap=1)
    lines = [" ".join(printed[i] for i in row) for row in rows]
    lines[-1] += tag
    return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]


def _folded(line: str, room: int, indent: int) -> list[str]:
    """A line of math too long for ``room`` broken at its spaces, later lines indented by ``indent``."""
    if len(line) <= room:
        return [line]
    return textwrap.wrap(line, room, subsequent_indent=" " * indent, break_long_words=False,
                         break_on_hyphens=False)


def _display(block: Display) -> list[str]:
    items = block.items
    equations = [i for i in items if isinstance(i, Equation)]
    if block.kind == "gather" and not any(isinstance(e.sides[-1], Matrix) for e in equations):
        printed = [_equation(e)[0] for e in equations]  # small equations: as many to a line as fit
        return [_INDENT + ", ".join(printed[i] for i in row)
                for row in pack([len(p) for p in printed], width() - len(_INDENT), gap=2)]
    pad = max((columns(_side(e.sides[0])) for e in equations), default=0) if block.kind == "align" else 0
    lines: list[str] = []
    for item in items:
        if isinstance(item, Gap):
            lines.append(" " * (pad + 1) + TEXT_DOTS.down)
        else:
            lines += _equation(item, pad)
    return [_INDENT + line for line in lines]
