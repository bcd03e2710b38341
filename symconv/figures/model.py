"""The figure model: cells on grids, and frames that highlight cells, laid out once for every format.

A figure is built from a spec's index algebra (:mod:`symconv.figures.build`)
and printed as SVG or TikZ by templates (:mod:`symconv.figures.printers`);
both read the same coordinates, colours and labels from here. Coordinates
are in cell units (one cell is 1 × 1, y grows downwards); the printers scale.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# The colours of the roles, as hex (SVG) and as RGB (TikZ): one palette for both formats.
COLOURS: dict[str, str] = {
    "input": "#dbe9f6",  # the input's entries
    "padding": "#f2f2f2",  # the padding's zeros
    "kernel": "#fde3c8",  # the kernel's taps
    "hole": "#ffffff",  # the zeros a dilation puts between taps
    "output": "#d9f0d3",  # the output's entries
    "error": "#f9d5d3",  # the entries of the error δ
    "inserted": "#ffffff",  # the zeros zero insertion puts between them (a stride)
    "gap": "#ffffff",  # rows or columns left out of a large matrix (⋯, ⋮, ⋱)
    # the channel groups, in turn (a fifth group takes the first colour again)
    "group0": "#c6dbef", "group1": "#fdd0a2", "group2": "#c7e9c0", "group3": "#dadaeb",
    "read": "#6baed6",  # an input cell the current output reads
    "written": "#41ab5d",  # the output cell being computed
}


TEX_LETTERS = {"δ": r"\delta", "∂x": r"\partial x", "⋯": r"\cdots", "⋮": r"\vdots", "⋱": r"\ddots"}
"""Labels' letters that TeX spells by name."""


def title_width(text: str) -> float:
    """How wide a title is drawn, in cells: about 0.2 a Latin character, 0.4 a Chinese one."""
    return sum(0.4 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.2 for ch in text)


@dataclass(frozen=True)
class Cell:
    """One square of a grid: where it is, what it holds and which role colours it."""

    grid: str  # the grid's name: input, kernel, dilated, output
    index: tuple[int, ...]  # its position in the grid, from 0 (row, column; a 1-D grid has one row)
    x: float
    y: float
    role: str  # a key of COLOURS
    base: str  # the label's letter (x, k, y) or "0"; "" for none
    sub: str = ""  # its subscript: the 1-based position, "11" (commas when an index has two digits)

    @property
    def tex(self) -> str:
        """The label in TeX math: ``x_{11}``, ``\\delta_{11}``."""
        base = TEX_LETTERS.get(self.base, self.base)
        return f"{base}_{{{self.sub}}}" if self.sub else base


@dataclass(frozen=True)
class Grid:
    """A named rectangle of cells with its title above it."""

    name: str
    title: str  # plain text
    title_tex: str  # for TeX: text mode (the title of a strip frame is its number)
    x: float  # top-left corner
    y: float
    rows: int  # the grid's full size (an elided grid draws fewer cells, and gap cells between)
    cols: int
    cells: tuple[Cell, ...]

    def at(self, index: tuple[int, ...]) -> Cell:
        """The cell drawn for position ``index``."""
        return next(c for c in self.cells if c.index == tuple(index))

    def drawn(self) -> tuple[int, int]:
        """How many rows and columns of cells the grid draws (gap cells included)."""
        return len({c.y for c in self.cells}), len({c.x for c in self.cells})

    def right(self) -> float:
        """Where the grid ends on the right, its title included."""
        return self.x + max(self.drawn()[1], title_width(self.title))


@dataclass(frozen=True)
class Note:
    """A line of text under the grids: plain, and for TeX (text mode, math in ``$…$``)."""

    x: float
    y: float
    text: str
    tex: str


@dataclass(frozen=True)
class Frame:
    """One step of an animation: the output position computed and the input cells it reads.

    In an elided picture ``reads`` holds the cells drawn, and ``through`` the gap cells (⋯) standing
    for the rows or columns left out that the window covers.
    """

    number: int
    output: tuple[int, ...]  # the output cell (its grid index)
    reads: tuple[tuple[int, ...], ...]  # the padded input cells drawn, in the kernel's tap order
    through: tuple[tuple[int, ...], ...] = ()  # the gap cells the window passes (-1: a left-out index)


@dataclass(frozen=True)
class Figure:
    """A laid-out figure: its grids, notes, frames (for the sliding kind) and its size in cell units."""

    kind: str
    layer: str  # the spec's one-line description
    width: float
    height: float
    grids: tuple[Grid, ...]
    notes: tuple[Note, ...] = ()
    frames: tuple[Frame, ...] = ()
    hidden_frames: int = 0  # frames a strip leaves out (a note says how many)
    slides: tuple[str, str] = ("input", "output")  # the grids a frame reads and writes

    def source(self) -> Grid:
        """The grid the frames read (the padded input, or the padded error of the backward pass)."""
        return self.grid(self.slides[0])

    def target(self) -> Grid:
        """The grid the frames write."""
        return self.grid(self.slides[1])

    def grid(self, name: str) -> Grid:
        return next(g for g in self.grids if g.name == name)
