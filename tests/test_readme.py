"""The README's examples run as written: its ``>>>`` sessions are doctests."""

from __future__ import annotations

import doctest
import shlex
from pathlib import Path

import pytest

from symconv.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_sessions_run_as_shown() -> None:
    result = doctest.testfile(
        str(README), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.attempted >= 4
    assert result.failed == 0


def console_blocks() -> list[tuple[str, list[str]]]:
    """``(command, shown lines)`` of every README console block that runs ``symconv``."""
    blocks: list[tuple[str, list[str]]] = []
    fence: str | None = None  # the opening line of the fenced block we are in
    lines: list[str] = []
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if fence is None:
                fence, lines = line.strip(), []
                continue
            if fence in ("```console", "```") and lines and lines[0].startswith("$ symconv"):
                blocks.append((lines[0][2:], lines[1:]))
            fence = None
        elif fence is not None:
            lines.append(line)
    return blocks


def test_readme_console_excerpts_match_the_tool(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every line the README shows (``…`` marks a cut) appears, in order, in the real output.

    Runs in a scratch directory: ``gen`` writes files, never into the repository's ``generated/``.
    """
    monkeypatch.chdir(tmp_path)
    blocks = console_blocks()
    assert len(blocks) >= 2
    for command, shown in blocks:
        main(shlex.split(command)[1:])
        captured = capsys.readouterr()
        produced = (captured.out + captured.err).splitlines()
        position = 0
        for line in shown:
            if line in ("…", ""):
                continue
            try:
                position = produced.index(line, position) + 1
            except ValueError:
                raise AssertionError(f"README line not in `{command}` output: {line!r}") from None
