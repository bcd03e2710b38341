"""The ``symconv`` command line: output, exit codes, and one-line errors for every bad input.

Most tests call ``symconv.cli.main`` in-process (fast); a few run the installed
console script and ``python -m symconv`` to check the real entry points.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import click
import pytest
from clitools import assert_bad_input, run

import symconv
from symconv import ConvSpec, SpecError, derive
from symconv.cli import parse_sizes
from symconv.cli.derive import derive as derive_command
from symconv.render import render_latex, render_text

SPEC_OPTIONS = [
    "--input", "--kernel", "--stride", "--padding", "--dilation", "--in-channels", "--out-channels",
    "--groups", "--depthwise", "--separable", "--dims", "--no-bias",
]

# The note's example: a 3×3 input and a 2×2 kernel.
NOTE_X_HAT_ROWS = [
    "[ x_{11}  x_{12}  x_{21}  x_{22} ]",
    "[ x_{12}  x_{13}  x_{22}  x_{23} ]",
    "[ x_{21}  x_{22}  x_{31}  x_{32} ]",
    "[ x_{22}  x_{23}  x_{32}  x_{33} ]",
]
NOTE_Y_SUMS = [
    "y_{11} = x_{11} k_{11} + x_{12} k_{12} + x_{21} k_{21} + x_{22} k_{22} + b",
    "y_{12} = x_{12} k_{11} + x_{13} k_{12} + x_{22} k_{21} + x_{23} k_{22} + b",
    "y_{21} = x_{21} k_{11} + x_{22} k_{12} + x_{31} k_{21} + x_{32} k_{22} + b",
    "y_{22} = x_{22} k_{11} + x_{23} k_{12} + x_{32} k_{21} + x_{33} k_{22} + b",
]
NOTE_SPEC = "Conv2d 1→1, input 3, kernel 2, stride 1, padding 0, dilation 1"


# -- help and version ---------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--version")
    assert (code, out, err) == (0, f"symconv {symconv.__version__}\n", "")
    assert out == "symconv 0.1.0\n"


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--help")
    assert code == 0 and err == ""
    assert "Usage: symconv" in out and "derive" in out


def test_bare_symconv_shows_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 0 and "Usage: symconv" in out


def test_derive_help_names_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "derive", "--help")
    assert code == 0
    for option in [*SPEC_OPTIONS, "--backward", "--format", "--lang", "--out", "--max-entries"]:
        assert option in out
    assert "[text|markdown|tex]" in out


def test_every_option_has_help_with_an_example() -> None:
    """Each option's help text explains it and shows it in use (its own name appears in it)."""
    options = [p for p in derive_command.params if isinstance(p, click.Option) and p.name != "help"]
    assert {max(p.opts, key=len) for p in options} >= set(SPEC_OPTIONS)
    for param in options:
        name = max(param.opts, key=len)
        assert param.help and len(param.help) > 30, name
        assert name in param.help, f"{name}: the help has no example using it"


# -- derive --format text --------------------------------------------------------------------


def test_the_notes_example_is_the_text_document(capsys: pytest.CaptureFixture[str]) -> None:
    """The text format prints the same document as Markdown and LaTeX: the spec line first."""
    code, out, err = run(capsys, "derive", "--input", "3", "--kernel", "2")
    assert (code, err) == (0, "")
    assert out == render_text(derive(ConvSpec(input_size=3, kernel_size=2)))
    assert out.splitlines()[0] == NOTE_SPEC
    for heading in ("The layer and its sizes", "Forward pass", "The unrolled form Ŷ = X̂ K̂"):
        assert f"\n{heading}\n" in out


def test_the_notes_example_rows_and_sums(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "derive", "--input", "3", "--kernel", "2")
    assert code == 0
    for line in NOTE_X_HAT_ROWS + NOTE_Y_SUMS:
        assert line in out
    assert "n'_{1} = n'_{2} = ⌊(3 + 2 · 0 - 1 · (2 - 1) - 1)/1⌋ + 1 = 2" in out
    assert "params = C_{out} · C_{in}/g · k_{1} k_{2} + C_{out} = 1 · 1 · 2 · 2 + 1 = 5" in out


def test_backward_shows_gradients_and_the_proof(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "derive", "--input", "3", "--kernel", "2", "--backward")
    assert (code, err) == (0, "")
    assert "[ δ_{11}  δ_{12} ]" in out
    assert "∂J/∂x_{11} = δ_{11} k_{11}" in out
    assert "∂J/∂x_{22} = δ_{11} k_{22} + δ_{12} k_{21} + δ_{21} k_{12}" in out
    assert "∂J/∂z_{ij} = ∂J / ∂x_{ij} · σ'(z_{ij})" in out  # σ' once, not a second list
    assert "∂J/∂k_{11} = x_{11} δ_{11} + x_{12} δ_{12} + x_{21} δ_{21}" in out
    assert "∂J/∂b = δ_{11} + δ_{12} + δ_{21} + δ_{22}" in out
    assert "∂J/∂a^{l} = pad_{k' - 1}(δ^{l+1}) ⊛ rot180(W^{l+1})" in out
    assert "input gradient                                              9  equal" in out
    assert "All of them agree" in out and "FAILED" not in out
    assert out.startswith(NOTE_SPEC + "\n")
    for line in NOTE_X_HAT_ROWS + NOTE_Y_SUMS:
        assert line in out


def test_forward_only_has_no_gradients(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "derive", "--input", "3", "--kernel", "2")
    assert "∂J" not in out and "agree" not in out


def test_channels_groups_and_padding(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "derive", "--input", "4x5", "--kernel", "3", "--padding", "same",
        "--in-channels", "4", "--out-channels", "2", "--groups", "2", "--backward",
    )
    assert code == 0
    assert out.startswith("Conv2d 4→2, input 4x5, kernel 3, stride 1, padding same, dilation 1, groups 2\n")
    assert "p = same" in out and "p = 1 × 1" in out
    assert "X_{1} =" in out and "K_{1,1} =" in out and "[ b_{1}  b_{2} ]" in out
    assert "X_{4} =" not in out  # more matrices than the page wants: the first, and a count
    assert "zero outside" in out or "zero blocks" in out or "groups" in out
    assert "All of them agree" in out and "FAILED" not in out


def test_depthwise(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "derive", "--input", "4", "--in-channels", "3", "--depthwise")
    assert code == 0
    first = out.splitlines()[0]
    assert first == "Conv2d 3→3, input 4, kernel 3, stride 1, padding 0, dilation 1, groups 3 (depthwise)"


def test_depthwise_with_matching_groups(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "derive", "--input", "4", "--in-channels", "2", "--groups", "2", "--depthwise")
    assert code == 0 and "groups 2 (depthwise)" in out


def test_separable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "derive", "--input", "4", "--in-channels", "2", "--out-channels", "3", "--separable",
        "--backward",
    )
    assert (code, err) == (0, "")
    first = "Conv2d 2→3, input 4, kernel 3, stride 1, padding 0, dilation 1 (depthwise-separable)"
    assert out.startswith(first + "\n")
    rows: dict[str, list[str]] = {}
    for cells in (line.split() for line in out.splitlines()):
        rows.setdefault(cells[0] if cells else "", cells[1:])  # the first: the table of counts
    assert rows["parameters"] == ["20", "9", "29", "57", "0.509"]  # depthwise, pointwise, both, plain
    assert rows["MACs"] == ["72", "24", "96", "216", "0.444"]
    assert "Stage 1: depthwise" in out and "Stage 2: pointwise" in out
    assert "The composite" in out and "All of them agree" in out and "FAILED" not in out


def test_one_and_three_dimensions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "derive", "--dims", "1", "--input", "5", "--stride", "2", "--padding", "1")
    assert code == 0 and out.startswith("Conv1d")
    assert "[ x_{1}  x_{2}  x_{3}  x_{4}  x_{5} ]" in out
    assert "[ 0      x_{1}  x_{2} ]" in out  # the padding shows as zeros in X̂
    code, out, _ = run(capsys, "derive", "--input", "3x3x3", "--kernel", "2")
    assert code == 0 and out.startswith("Conv3d")
    assert "X(3,·,·) =" in out and "K(2,·,·) =" in out and "[ x_{311}  x_{312}  x_{313} ]" in out


def test_no_bias(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "derive", "--input", "3", "--kernel", "2", "--no-bias", "--backward")
    assert code == 0
    assert out.splitlines()[0].endswith(", no bias")
    assert "The layer has no bias." in out and "y_{11} = x_{11} k_{11}" in out and "∂J/∂b" not in out


def test_output_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["derive", "--input", "5", "--in-channels", "2", "--out-channels", "2", "--backward"]
    assert run(capsys, *args) == run(capsys, *args)


def test_no_progress_notes_without_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    """Progress goes to stderr only when it is a TTY; a pipe or file gets clean output."""
    _, _, err = run(capsys, "derive", "--input", "3", "--kernel", "2", "--backward")
    assert err == ""


# -- elision ---------------------------------------------------------------------------------------


def test_a_big_spec_is_elided_visibly(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "derive", "--input", "32")
    assert code == 0
    assert "…" in out and "⋮" in out and "⋱" in out
    assert "988 of these 1024 entries are left out here" in out  # X: its 6 × 6 corners
    assert "Two of these 900 entries are worked out here" in out  # Y's sums: two representatives
    assert re.search(r"In all, \d+ entries are left out to keep this document readable;\s+"
                     r"`--max-entries 0`\s+writes\s+every\s+one\.\n$", out)
    assert "x_{1,1} " in out and "x_{32,32}" in out  # first and last entries stay
    assert "y_{1,1} " in out and "y_{30,30}" in out


def test_the_text_shows_what_the_documents_show() -> None:
    """One decision: the text grid keeps the rows and columns the LaTeX matrix keeps."""
    d = derive(ConvSpec(input_size=12, kernel_size=3, in_channels=3, stride=2, padding=1))
    text, tex = render_text(d, max_entries=50), render_latex(d, max_entries=50)
    counts = re.compile(r"(\d+) of the (\d+) entries of")
    assert counts.findall(text) and counts.findall(text) == counts.findall(tex.replace("\n", " "))


def test_max_entries_controls_elision(capsys: pytest.CaptureFixture[str]) -> None:
    _, full, _ = run(capsys, "derive", "--input", "12", "--max-entries", "0")
    assert "left out" not in full and "⋮" not in full and "…" not in full
    _, small, _ = run(capsys, "derive", "--input", "3", "--kernel", "2", "--max-entries", "3")
    assert "[ x_{11}  …  x_{13} ]" in small
    assert "5 of these 9 entries are left out here" in small
    _, default, _ = run(capsys, "derive", "--input", "3", "--kernel", "2")
    assert "left out" not in default


def test_many_channels_elide_whole_slices(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "derive", "--input", "3", "--in-channels", "8", "--kernel", "2",
                       "--max-entries", "20")
    assert code == 0
    # past the budget a stack of matrices shows its first one, and counts the rest
    assert "63 of these 72 entries are left out here" in out
    assert "X_{1} =" in out and "X_{2} =" not in out and "X_{8} =" not in out
    assert "28 of these 32 entries are left out here" in out
    assert "K_{1,1} =" in out and "K_{1,2} =" not in out


# -- --out ------------------------------------------------------------------------------------


def test_out_writes_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "conv.txt"
    code, out, err = run(capsys, "derive", "--input", "3", "--kernel", "2", "--out", str(target))
    assert (code, out, err) == (0, "", "")
    assert target.read_text(encoding="utf-8") == render_text(derive(ConvSpec(input_size=3, kernel_size=2)))
    assert [p.name for p in tmp_path.iterdir()] == ["conv.txt"]  # no temp file left behind


def test_out_replaces_an_existing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "conv.txt"
    target.write_text("old\n")
    assert run(capsys, "derive", "--input", "3", "--kernel", "2", "--out", str(target))[0] == 0
    assert target.read_text(encoding="utf-8").startswith(NOTE_SPEC + "\n")


@pytest.mark.parametrize(
    "bad", [["--groups", "3", "--in-channels", "4"], ["--format", "text", "--lang", "zh"], []]
)
def test_a_failing_run_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, bad: list[str]
) -> None:
    target = tmp_path / "conv.txt"
    args = ["derive", "--out", str(target), *bad] + ([] if not bad else ["--input", "4"])
    assert_bad_input(*run(capsys, *args))
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_rendering_leaves_no_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even when the error comes late, an existing file is untouched and no temp file remains."""

    def fail(*args: object, **kwargs: object) -> str:
        raise SpecError("kernel_size", (3, 5), "is rejected late for this test")

    monkeypatch.setattr("symconv.cli.derive.render_text", fail)
    target = tmp_path / "conv.txt"
    target.write_text("old\n")
    code, out, err = run(capsys, "derive", "--input", "7", "--out", str(target))
    assert_bad_input(code, out, err)
    assert err == "symconv: error: --kernel 3x5 is rejected late for this test\n"
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["conv.txt"]


def test_out_into_a_missing_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "derive", "--input", "3", "--out", str(tmp_path / "no" / "x.txt"))
    assert_bad_input(code, out, err)
    assert "--out" in err and "does not exist" in err
    assert list(tmp_path.iterdir()) == []


def test_out_onto_a_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "derive", "--input", "3", "--out", str(tmp_path))
    assert_bad_input(code, out, err)
    assert "is a directory" in err


# -- bad input: exit 2, one line ------------------------------------------------------------------------

BAD_INPUT = [
    # (arguments after `derive`, words the one line must contain)
    ([], "--input is missing"),
    (["--kernel", "3"], "--input is missing"),
    (["--input", "3x"], "--input 3x is not a size"),
    (["--input", "a"], "--input a is not a size"),
    (["--input", ""], "--input '' is not a size"),
    (["--input", "3xx3"], "--input 3xx3 is not a size"),
    (["--input", "1x2x3x4"], "--input 1x2x3x4 must have 1, 2 or 3 entries"),
    (["--input", "0"], "--input 0 must be ≥ 1"),
    (["--input", "5", "--kernel", "x3"], "--kernel x3 is not a size"),
    (["--input", "5", "--kernel", "0"], "--kernel 0 must be ≥ 1"),
    (["--input", "3", "--kernel", "5"], "--kernel 5 spans 5"),
    (["--input", "3", "--kernel", "3x5"], "--kernel 3x5 spans 5"),
    (["--input", "5", "--stride", "0"], "--stride 0 must be ≥ 1"),
    (["--input", "5", "--stride", "two"], "--stride two is not a size"),
    (["--input", "5", "--dilation", "0"], "--dilation 0 must be ≥ 1"),
    (["--input", "5", "--dilation", "3"], "--kernel 3 spans 7 (with --dilation 3)"),
    (["--input", "5", "--padding", "-1"], "--padding -1 must be ≥ 0"),
    (["--input", "5", "--padding", "full"], "--padding full is not a padding"),
    (["--input", "5", "--padding", "same", "--stride", "2"], "--padding same needs stride 1"),
    (["--input", "5", "--in-channels", "0"], "--in-channels 0 must be ≥ 1"),
    (["--input", "5", "--in-channels", "two"], "--in-channels two is not a whole number"),
    (["--input", "5", "--out-channels", "1.5"], "--out-channels 1.5 is not a whole number"),
    (["--input", "5", "--in-channels", "4", "--groups", "3"], "--groups 3 does not divide --in-channels 4"),
    (["--input", "5", "--in-channels", "4", "--out-channels", "6", "--groups", "4"],
     "--groups 4 does not divide --out-channels 6"),
    (["--input", "5", "--groups", "0"], "--groups 0 must be ≥ 1"),
    (["--input", "5", "--in-channels", "4", "--groups", "2", "--depthwise"],
     "--groups 2 conflicts with --depthwise"),
    (["--input", "5", "--in-channels", "4", "--out-channels", "6", "--depthwise"],
     "--groups 4 (set by --depthwise) does not divide --out-channels 6"),
    (["--input", "5", "--in-channels", "2", "--separable", "--depthwise"],
     "--depthwise cannot be combined with --separable"),
    (["--input", "5", "--in-channels", "2", "--separable", "--groups", "2"],
     "--groups 2 cannot be combined with --separable"),
    (["--input", "5", "--dims", "4"], "--dims 4 must be 1, 2 or 3"),
    (["--input", "3x3", "--dims", "3"], "--input 3x3 has 2 entries but --dims 3"),
    (["--input", "5x5", "--kernel", "3x3x3"], "has 2 entries but"),
    (["--input", "5", "--lang", "zh"], "--lang zh cannot be used with --format text"),
    (["--input", "5", "--format", "markdown", "--lang", "fr"], "--lang fr is not one of en, zh"),
    (["--input", "5", "--format", "html"], "--format html is not one of text, markdown, tex"),
    (["--input", "5", "--max-entries", "-1"], "--max-entries -1 must be ≥ 0"),
    (["--input", "5", "--bogus"], "No such option"),
    (["--input"], "--input"),
    (["--input", "5", "extra"], "extra"),
]


@pytest.mark.parametrize(("args", "words"), BAD_INPUT, ids=[" ".join(a) or "none" for a, _ in BAD_INPUT])
def test_bad_input(capsys: pytest.CaptureFixture[str], args: list[str], words: str) -> None:
    code, out, err = run(capsys, "derive", *args)
    assert_bad_input(code, out, err)
    assert words in err


def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "frobnicate")
    assert_bad_input(code, out, err)
    assert "frobnicate" in err and "symconv --help" in err


def test_the_groups_message_of_the_design(capsys: pytest.CaptureFixture[str]) -> None:
    """DESIGN.md's own example, word for word."""
    args = ["--input", "5", "--groups", "3", "--in-channels", "4", "--out-channels", "3"]
    _, _, err = run(capsys, "derive", *args)
    assert err == "symconv: error: --groups 3 does not divide --in-channels 4\n"


# -- parse_sizes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("7", 7), ("7x9", (7, 9)), ("4x4x4", (4, 4, 4)), (" 3 x 5 ", (3, 5)), ("3X5", (3, 5)),
     ("3×5", (3, 5)), ("-1", -1), ("0", 0)],
)
def test_parse_sizes(text: str, value: int | tuple[int, ...]) -> None:
    assert parse_sizes(text) == value


@pytest.mark.parametrize("text", ["", "x", "3x", "x3", "3xx5", "a", "3.5", "3,5", "3x5x", "--3"])
def test_parse_sizes_rejects_junk(text: str) -> None:
    with pytest.raises(ValueError, match="is not a size"):
        parse_sizes(text)


# -- the real entry points -----------------------------------------------------------------------------


def _script() -> str:
    """The installed console script beside this Python, else the one on PATH."""
    beside = Path(sys.executable).with_name("symconv")
    found = str(beside) if beside.exists() else shutil.which("symconv")
    if found is None:
        pytest.skip("the symconv console script is not installed")
    return found


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(command, capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)


def test_python_dash_m() -> None:
    done = _run(sys.executable, "-m", "symconv", "--help")
    assert done.returncode == 0 and "Usage: symconv" in done.stdout


def test_console_script() -> None:
    script = _script()
    done = _run(script, "--version")
    assert (done.returncode, done.stdout) == (0, "symconv 0.1.0\n")
    done = _run(script, "derive", "--input", "3", "--kernel", "2")
    assert (done.returncode, done.stderr) == (0, "") and done.stdout.startswith(NOTE_SPEC + "\n")
    for line in NOTE_X_HAT_ROWS:
        assert line in done.stdout


@pytest.mark.parametrize(
    "args",
    [["derive"], ["derive", "--input", "4", "--groups", "3", "--in-channels", "4"], ["derive", "--nope"],
     ["derive", "--input", "5", "--format", "text", "--lang", "zh"]],
)
def test_console_script_bad_input(args: list[str]) -> None:
    done = _run(_script(), *args)
    assert_bad_input(done.returncode, done.stdout, done.stderr)


def test_a_closed_pipe_stops_quietly() -> None:
    """``symconv derive … | head``: no traceback, the exit status of a SIGPIPE death (141)."""
    # About 370 kB of output, far more than a pipe buffers, so the write must hit the closed end.
    command = [_script(), "derive", "--input", "30", "--max-entries", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        err = process.stderr.read()
        code = process.wait(timeout=120)
    assert (code, err) == (141, b"")


@pytest.mark.parametrize("columns", ["60", "100", "140"])
def test_the_text_wraps_to_the_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    """Prose and formulas keep to ``COLUMNS`` (matrices, tables and commands are as wide as they are)."""
    monkeypatch.setenv("COLUMNS", columns)
    code, out, _ = run(capsys, "derive", "--input", "6", "--kernel", "3", "--stride", "2", "--padding", "1",
                       "--in-channels", "4", "--out-channels", "4", "--groups", "2", "--backward")
    assert code == 0
    width = int(columns)
    lines = [unicodedata.normalize("NFC", line) for line in out.splitlines()]
    wide = [line for line in lines if len(line) > width and not line.lstrip().startswith(("[", "`"))
            and "Entries" not in line and "  equal" not in line and not line.startswith("Conv2d")]
    assert not wide, wide[:3]
    assert max(len(line) for line in lines) > width - 20  # and uses the width it has
