"""Help layout: click's, but never breaking a line inside an option name."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

import click


class HelpFormatter(click.HelpFormatter):
    """click's help layout, but never breaking a line inside ``--in-channels`` and the like."""

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        """Why: click wraps at hyphens, splitting option names across lines in the examples."""
        rows = list(rows)
        first_width = min(max((len(first) for first, _ in rows), default=0), col_max) + col_spacing
        wrapper = textwrap.TextWrapper(
            width=max(self.width - first_width - self.current_indent, 20),
            break_on_hyphens=False,
            break_long_words=False,
        )
        for first, second in rows:
            lead = f"{'':>{self.current_indent}}{first}"
            lines = wrapper.wrap(second) or [""]
            if len(first) > first_width - col_spacing:
                self.write(lead + "\n")
                lead = ""
            pad = " " * (self.current_indent + first_width)
            self.write((lead.ljust(len(pad)) if lead else pad) + lines[0] + "\n")
            for line in lines[1:]:
                self.write(pad + line + "\n")


class Context(click.Context):
    formatter_class = HelpFormatter


class Command(click.Command):
    context_class = Context


class Group(click.Group):
    context_class = Context
    command_class = Command
