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
    """Every line the README shows appears, in order, in the real output, and every line left out is
    marked: a ``…`` line where lines are cut (blank lines aside).

    Runs in a scratch directory: ``gen`` writes files, never into the repository's ``generated/``.
    """
    monkeypatch.chdir(tmp_path)
    blocks = console_blocks()
    assert len(blocks) >= 2
    for command, shown in blocks:
        main(shlex.split(command)[1:])
        captured = capsys.readouterr()
        produced = [line for line in (captured.out + captured.err).splitlines() if line.strip()]
        position = 0
        cut = False  # a "…" before this line: lines may be left out here
        for line in shown:
            if line == "…":
                cut = True
                continue
            if not line.strip():
                continue
            try:
                found = produced.index(line, position)
            except ValueError:
                raise AssertionError(f"README line not in `{command}` output: {line!r}") from None
            if found != position and not cut:
                raise AssertionError(f"README leaves out lines of `{command}` before {line!r} without "
                                     "marking the cut with …")
            position, cut = found + 1, False
        if position < len(produced) and not cut:
            raise AssertionError(f"README leaves out the end of `{command}` without marking it with …")


def python_blocks() -> list[str]:
    """Every README ```python block, in order."""
    blocks, inside, lines = [], False, []
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if inside:
                blocks.append("\n".join(lines))
            inside, lines = line.strip() == "```python", []
        elif inside:
            lines.append(line)
    return blocks


def test_readme_python_blocks_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The ```python blocks run as written, in order, from the repository's root (``generated/``)."""
    monkeypatch.chdir(README.parent)
    monkeypatch.setenv("SYMCONV_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    blocks = python_blocks()
    assert len(blocks) >= 4
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # the README's own examples


def test_every_verify_quantity_has_an_example_that_holds(capsys: pytest.CaptureFixture[str]) -> None:
    """The verify section's table lists every quantity, each with a `symconv verify …` claim that holds."""
    from symconv.verify.quantities import SCALARS

    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Verifying formulas"):text.index("## The Python API")]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    examples = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        quantity, example = cells[0].strip("`"), cells[2].strip("`")
        assert example.startswith(f"symconv verify {quantity} "), row
        examples[quantity] = example
    assert set(examples) == set(SCALARS)
    for quantity, example in examples.items():
        code = main(shlex.split(example)[1:])
        out = capsys.readouterr().out
        assert code == 0 and "HOLDS" in out, (quantity, out)
