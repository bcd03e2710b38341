"""A figure printed as SVG (animated, or a static strip) and as TikZ, by templates.

The geometry, colours and labels are the figure model's; the printers only
scale cell units to pixels or centimetres and pick the template. The SVG
marks every cell with ``data-grid``, ``data-role`` and ``data-index`` and every
frame with ``data-frame`` and the cells it reads, so that a test (or a script)
reads the picture's structure back. The animation is SVG's own (SMIL
``<animate>``): it plays in browsers and on GitHub without a script.
"""

from __future__ import annotations

from symconv.figures.model import COLOURS, Figure
from symconv.templating import render

CELL_PX = 36  # an SVG cell, in pixels
CELL_CM = 0.55  # a TikZ cell, in centimetres
FRAME_SECONDS = 0.8  # how long an animation shows each output position

SVG_TEMPLATE = "figures/figure.svg.j2"
TIKZ_TEMPLATE = "figures/figure.tikz.j2"


def svg(fig: Figure, title: str = "") -> str:
    """The figure as a standalone SVG; a sliding figure animates its frames."""
    frames = len(fig.frames)
    timing = []
    for frame in fig.frames:  # discrete keyframes: visible from its start to its end, once per loop
        start, end = frame.number / frames, (frame.number + 1) / frames
        if frames == 1:
            values, times = "visible", "0"
        elif frame.number == 0:
            values, times = "visible;hidden", f"0;{end:.6g}"
        elif frame.number == frames - 1:
            values, times = "hidden;visible", f"0;{start:.6g}"
        else:
            values, times = "hidden;visible;hidden", f"0;{start:.6g};{end:.6g}"
        timing.append({"values": values, "times": times, "first": frame.number == 0})
    # the canvas holds the grids' titles too (a title may be wider than its grid)
    width = max(fig.width, *(g.right() for g in fig.grids))
    return render(SVG_TEMPLATE, fig=fig, width=width, cell=CELL_PX, colours=COLOURS, title=title or fig.layer,
                  timing=timing, duration=f"{max(frames, 1) * FRAME_SECONDS:.6g}")


def tikz(fig: Figure, standalone: bool = False, fit_cm: float | None = None) -> str:
    """The figure as a ``tikzpicture`` (inside a standalone document that pdflatex compiles, if asked);
    ``fit_cm``: cells small enough that the figure is at most that wide."""
    colours = {name: value.lstrip("#").upper() for name, value in COLOURS.items()}
    cell = CELL_CM if fit_cm is None else min(CELL_CM, round(fit_cm / max(fig.width, 1.0), 3))
    return render(TIKZ_TEMPLATE, fig=fig, cell=cell, colours=colours, standalone=standalone)
