"""Figures of a layer drawn from its index algebra: ``figure(spec, kind)``, printed as SVG or TikZ.

Example:
    >>> from symconv import ConvSpec
    >>> fig = figure(ConvSpec(input_size=4, kernel_size=3, stride=1), "sliding")
    >>> len(fig.model.frames), fig.svg().startswith("<svg")
    (4, True)
"""

from __future__ import annotations

from dataclasses import dataclass

from symconv.errors import FigureError
from symconv.figures import printers
from symconv.figures.build import KINDS, check, figure_model, strip
from symconv.figures.model import Figure
from symconv.spec import ConvSpec

__all__ = ["KINDS", "Drawing", "FigureError", "check", "figure"]


@dataclass(frozen=True)
class Drawing:
    """A figure of a layer: ``.svg()`` (animated for the sliding kind, ``strip=True`` for print),
    ``.tikz()``; it shows itself in Jupyter."""

    model: Figure

    def svg(self, strip: bool = False) -> str:
        return printers.svg(_strip(self.model) if strip else self.model)

    def tikz(self, standalone: bool = False, fit_cm: float | None = None) -> str:
        """TikZ: a sliding figure prints as its strip of frames (paper does not animate);
        ``fit_cm`` shrinks the cells so that the figure is at most that wide."""
        return printers.tikz(_strip(self.model), standalone, fit_cm)

    def _repr_svg_(self) -> str:
        return self.svg()


def _strip(model: Figure) -> Figure:
    return strip(model) if model.frames else model


def figure(spec: ConvSpec, kind: str, lang: str = "en", backward: bool = False) -> Drawing:
    """The figure ``kind`` (one of :data:`KINDS`) of ``spec``; titles in ``lang`` (en, zh).

    ``backward=True`` (sliding only) slides the input gradient's window instead: the turned kernel over
    the zero-inserted, padded error, the transposed convolution the closed form states.
    """
    if not isinstance(spec, ConvSpec):
        raise FigureError(f"spec={spec!r} must be a ConvSpec")
    if lang not in ("en", "zh"):
        raise FigureError(f"lang={lang!r} is not one of en, zh")
    if not isinstance(backward, bool):
        raise FigureError(f"backward={backward!r} must be True or False")
    return Drawing(figure_model(spec, kind, lang, backward))
