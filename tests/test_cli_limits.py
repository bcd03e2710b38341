"""Inputs at the edges: huge values, too much work, special files — one line, exit 2, nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from clitools import assert_bad_input, run


@pytest.mark.parametrize(
    "args",
    [
        ["derive", "--input", "99999999999999999999"],
        ["derive", "--input", "3", "--in-channels", "99999999999999999999"],
        ["gen", "--kernel", "3", "--input", "9223372036854775808"],
        ["gen", "--kernel", "3", "--padding", "99999999999999999999"],
        ["derive", "--input", "３"],  # digits other than ASCII are not sizes
    ],
)
def test_values_beyond_a_c_long_or_not_ascii_are_refused(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert_bad_input(*run(capsys, *args))


def test_derive_refuses_work_beyond_its_bound(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "derive", "--input", "2000")
    assert_bad_input(code, out, err)
    assert "products to derive" in err and "--input 2000" in err


def test_gen_refuses_kernels_with_too_many_taps(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "gen", "--kernel", "200", "--out", str(tmp_path))
    assert_bad_input(code, out, err)
    assert "40,000 taps" in err
    assert list(tmp_path.iterdir()) == []


def test_out_refuses_pipes_and_links(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert_bad_input(*run(capsys, "derive", "--input", "3", "--out", str(fifo)))
    assert fifo.is_fifo()
    target = tmp_path / "target.txt"
    target.write_text("mine\n")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert_bad_input(*run(capsys, "derive", "--input", "3", "--out", str(link)))
    assert link.is_symlink() and target.read_text() == "mine\n"
    gen_link = tmp_path / "conv2d_k3.py"
    gen_link.symlink_to(target)
    assert_bad_input(*run(capsys, "gen", "--kernel", "3", "--target", "numpy", "--out", str(tmp_path)))
    assert gen_link.is_symlink()


def test_a_full_standard_output_is_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "symconv", "derive", "--input", "24", "--max-entries", "0"],
            stdout=full, stderr=subprocess.PIPE, text=True, check=False,
        )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "standard output" in result.stderr
