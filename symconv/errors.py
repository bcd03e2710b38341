"""Error classes: one per phase, all ``ValueError`` so callers can catch bad input broadly."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def api_name(field: str, value: Any) -> str:
    """How the Python API names a field and its value: ``groups=3``."""
    return f"{field}={value!r}"


class SymconvError(ValueError):
    """Base class of every error symconv raises on bad input."""


class SpecError(SymconvError):
    """A convolution's hyper-parameters are invalid.

    ``field`` and ``value`` name what was wrong, ``rule`` says why and how to fix
    it. ``rule`` may mention other fields as ``{name}`` placeholders, filled from
    ``related``; :meth:`render` lets the CLI name fields as options instead.
    """

    def __init__(
        self, field: str, value: Any, rule: str, related: Mapping[str, Any] | None = None
    ) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        self.related = dict(related or {})
        super().__init__(self.render(api_name))

    def render(self, name: Callable[[str, Any], str]) -> str:
        """The message with every field written by ``name(field, value)``."""
        filled = {k: name(k, v) for k, v in self.related.items()}
        return f"{name(self.field, self.value)} {self.rule.format(**filled)}"


class OptionError(SymconvError):
    """A SPEC option is invalid, worded as the caller names options (``--groups 3`` or ``groups = 3``)."""


class FormulaError(SymconvError):
    """A hand-written formula cannot be parsed or uses unknown names."""


class ClaimError(SymconvError):
    """A claim to verify is malformed apart from its formula: quantity, fixed values, claims file."""


class CodegenError(SymconvError):
    """Code cannot be generated for the request (bad name, target, dtype, …)."""


class RenderError(SymconvError):
    """A document cannot be rendered as asked (a language the format cannot carry, …)."""


class FigureError(SymconvError):
    """A figure cannot be drawn as asked (an unknown kind, a 3-D layer, sizes beyond a readable grid)."""
