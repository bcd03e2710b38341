"""What the CLI's contract promises: the program name, the exit codes, and the error for bad input.

DESIGN.md: exit 0 on success, 2 on bad input with one line on stderr, no
traceback, and no output file unless the run succeeded.
"""

from __future__ import annotations

import click

PROG = "symconv"
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


class CliError(click.ClickException):
    """Bad input found by the CLI itself: printed as one line, exit code 2."""

    exit_code = EXIT_BAD_INPUT
