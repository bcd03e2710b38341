"""Rendering a Derivation for people: plain text for the terminal, Markdown and LaTeX documents.

``FORMATS`` is the one list of output formats the CLI offers. One document model
(:mod:`symconv.render.model`, built by :mod:`symconv.render.document`) holds
expressions; each format prints it: :mod:`symconv.render.text` as plain text,
:mod:`symconv.render.markup` as Markdown and LaTeX through ``templates/latex/``.
"""

from __future__ import annotations

from symconv.printing.elide import DEFAULT_MAX_ENTRIES
from symconv.render.markup import (
    check_language,
    render_latex,
    render_markdown,
    render_markdown_with_figures,
    repr_latex,
)
from symconv.render.prose import LANGUAGES
from symconv.render.text import render_separable_text, render_text

FORMATS: tuple[str, ...] = ("text", "markdown", "tex")
"""Every output format ``symconv derive --format`` accepts."""

AVAILABLE_FORMATS: tuple[str, ...] = FORMATS
"""The formats that can be rendered today: all of them."""

__all__ = [
    "AVAILABLE_FORMATS",
    "DEFAULT_MAX_ENTRIES",
    "FORMATS",
    "LANGUAGES",
    "check_language",
    "render_latex",
    "render_markdown",
    "render_markdown_with_figures",
    "render_separable_text",
    "render_text",
    "repr_latex",
]
