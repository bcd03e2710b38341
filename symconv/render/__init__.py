"""Rendering a Derivation for people: plain text now, Markdown and LaTeX later.

``FORMATS`` is the one list of output formats the CLI offers; ``RENDERERS``
holds those that exist so far. A renderer only reads the Derivation.
"""

from __future__ import annotations

from symconv.render.text import DEFAULT_MAX_ENTRIES, render_separable_text, render_text

FORMATS: tuple[str, ...] = ("text", "markdown", "tex")
"""Every output format ``symconv derive --format`` accepts."""

AVAILABLE_FORMATS: tuple[str, ...] = ("text",)
"""The formats that can be rendered today (Markdown and LaTeX arrive with a later issue)."""

__all__ = [
    "AVAILABLE_FORMATS",
    "DEFAULT_MAX_ENTRIES",
    "FORMATS",
    "render_separable_text",
    "render_text",
]
