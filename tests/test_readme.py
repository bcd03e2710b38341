"""The README's examples run as written: its ``>>>`` sessions are doctests."""

from __future__ import annotations

import doctest
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_sessions_run_as_shown() -> None:
    result = doctest.testfile(
        str(README), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.attempted >= 4
    assert result.failed == 0
