"""Helpers shared by the CLI tests: run ``symconv`` in-process, and the bad-input contract."""

from __future__ import annotations

import pytest

from symconv.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``symconv ARGS`` in-process: (exit code, stdout, stderr)."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_bad_input(code: int, out: str, err: str) -> None:
    """The contract for bad input: exit 2, nothing on stdout, exactly one error line, no traceback."""
    assert code == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("symconv: error: ")
    assert "Traceback" not in err and "Usage:" not in err
