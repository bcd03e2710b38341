"""What to show of a large matrix, list or stack of slices: one rule for every renderer.

Keep the first ``ceil(n/2)`` and the last ``floor(n/2)`` of the ``n`` rows,
columns, lines or slices that fit, mark the gap (``…``, ``⋮``, ``⋱`` in text;
``\\cdots``, ``\\vdots``, ``\\ddots`` in LaTeX) and count what was left out, so
that nothing is ever cut silently. ``max_entries`` 0 means: show everything.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_MAX_ENTRIES = 64
"""About how many entries a matrix or list shows before it is elided (0: never elide)."""


def keep(n: int, count: int) -> tuple[list[int], int | None]:
    """The first ``ceil(count/2)`` and last ``floor(count/2)`` of ``n`` indices, and where the gap is.

    Example:
        >>> keep(10, 4)
        ([0, 1, 8, 9], 2)
        >>> keep(3, 4)
        ([0, 1, 2], None)
    """
    if count >= n:
        return list(range(n)), None
    head, tail = (count + 1) // 2, count // 2
    return list(range(head)) + list(range(n - tail, n)), head


def plan_matrix(rows: int, cols: int, max_entries: int) -> tuple[int, int]:
    """How many rows and columns to keep so that about ``max_entries`` entries show.

    Example:
        >>> plan_matrix(4, 4, 400), plan_matrix(30, 30, 400), plan_matrix(100, 3, 30), plan_matrix(9, 9, 64)
        ((4, 4), (15, 15), (3, 3), (6, 6))

    An elided matrix keeps at most ``¾ √max_entries`` rows and columns (6 for
    the default 64): its corners show the pattern, and a tall matrix stays short.
    """
    if max_entries == 0 or rows * cols <= max_entries:
        return rows, cols
    side = max(2, math.isqrt(max_entries) * 3 // 4)
    return min(rows, side), min(cols, side)


def plan_slices(count: int, per_slice: int, max_entries: int) -> tuple[list[int], int | None]:
    """Which of ``count`` slices (matrices of ``per_slice`` entries) to show: all, or the first alone.

    More than two matrices show while they hold at most half of ``max_entries``
    entries (side by side, three small matrices already fill a line).

    Example:
        >>> plan_slices(2, 25, 64), plan_slices(4, 9, 64), plan_slices(4, 36, 64)
        (([0, 1], None), ([0], 1), ([0], 1))
    """
    budget = max_entries if count <= 2 else max_entries // 2
    if max_entries == 0 or count * per_slice <= budget:
        return list(range(count)), None
    return keep(count, 1)


@dataclass(frozen=True)
class Window:
    """The rows and columns of a matrix that are shown, where the gaps go, and what was left out."""

    rows: list[int]
    row_gap: int | None  # position in ``rows`` before which the hidden rows lie
    cols: list[int]
    col_gap: int | None
    shape: tuple[int, int]

    @property
    def hidden(self) -> int:
        """How many entries are not shown."""
        return self.shape[0] * self.shape[1] - len(self.rows) * len(self.cols)


def window(rows: int, cols: int, max_entries: int, *, max_rows: int = 0, max_cols: int = 0) -> Window:
    """The part of a ``rows × cols`` matrix to show: about ``max_entries`` entries (0: all).

    ``max_rows`` and ``max_cols`` (0: no limit) bound the shown part further,
    e.g. so that it fits a printed page; they are applied first, so the entry
    budget goes to the rows when the columns are cut.

    Example:
        >>> w = window(25, 18, 400, max_cols=9)
        >>> len(w.rows), len(w.cols), w.col_gap, w.hidden
        (25, 9, 5, 225)
    """
    fit_rows = min(rows, max_rows) if max_rows else rows
    fit_cols = min(cols, max_cols) if max_cols else cols
    keep_rows, keep_cols = plan_matrix(fit_rows, fit_cols, max_entries)
    row_ids, row_gap = keep(rows, keep_rows)
    col_ids, col_gap = keep(cols, keep_cols)
    return Window(row_ids, row_gap, col_ids, col_gap, (rows, cols))


@dataclass(frozen=True)
class Dots:
    """How a format marks a gap: between columns, between rows, and where both meet."""

    across: str
    down: str
    diagonal: str


def gapped(shown: Window, entry: Callable[[int, int], str], dots: Dots) -> list[list[str]]:
    """The shown entries, printed by ``entry(i, j)``, as rows of cells with the gaps marked.

    Only the entries shown are printed; a format only chooses its ``dots``.

    Example:
        >>> w = window(3, 3, 4)
        >>> gapped(w, lambda i, j: f"{i}{j}", Dots("…", "⋮", "⋱"))
        [['00', '…', '02'], ['⋮', '⋱', '⋮'], ['20', '…', '22']]
    """
    table = [[entry(i, j) for j in shown.cols] for i in shown.rows]
    if shown.col_gap is not None:
        for line in table:
            line.insert(shown.col_gap, dots.across)
    if shown.row_gap is not None:
        filler = [dots.down] * len(table[0])
        if shown.col_gap is not None:
            filler[shown.col_gap] = dots.diagonal
        table.insert(shown.row_gap, filler)
    return table
