"""The document-testing tools themselves: they find math where a renderer does, and they catch errors.

A checker that passes everything is worse than none, so each tool is shown a
document it must accept and one it must reject.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from doctools import (
    LatexError,
    MathBlock,
    compile_tex,
    katex_render,
    katex_version,
    math_blocks,
    missing_characters,
    overfull_boxes,
    stray_dollars,
    tex_log,
)

CI_RUN = Path(__file__).resolve().parent.parent / ".ci" / "run"

# -- Markdown math extraction (no tools needed) ----------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("plain text", []),
        ("$x_{11}$", [("x_{11}", False)]),
        ("a $x$ and $y$ b", [("x", False), ("y", False)]),
        ("$$\nY = \\hat X \\hat K\n$$", [("Y = \\hat X \\hat K", True)]),
        ("text $$a$$ text", [("a", True)]),
        # inline math may wrap onto the next line of its paragraph, not across a blank line
        ("$a +\nb$", [("a +\nb", False)]),
        ("$a +\n\nb$", []),
        # pandoc's rules: no space just inside the dollars, no digit right after the closing one
        ("costs $ 5 and $ 6", []),
        ("between $5 and $6", []),
        ("$x $ y$", [("x $ y", False)]),
        # escapes: \$ is a dollar outside math; inside math \$ and \\ are TeX
        ("\\$5 and $x$", [("x", False)]),
        ("\\\\$x$", [("x", False)]),
        ("$\\$ 5$", [("\\$ 5", False)]),
        ("$$a \\\\ b$$", [("a \\\\ b", True)]),
        # code is not math: spans of any length, fences of either kind, HTML comments
        ("`$x$` and $y$", [("y", False)]),
        ("``a ` $x$`` $y$", [("y", False)]),
        ("```\n$x$\n```\n$y$", [("y", False)]),
        ("~~~~ tex\n$x$\n~~~\n$z$\n~~~~\n$y$", [("y", False)]),
        ("<!-- $ symconv derive $ -->\n$y$", [("y", False)]),
        # math is read before code: a backtick inside math is TeX
        ("$a`b$ `c`", [("a`b", False)]),
    ],
)
def test_math_blocks_reads_dollars_like_a_renderer(markdown: str, expected: list[tuple[str, bool]]) -> None:
    assert [(b.tex, b.display) for b in math_blocks(markdown)] == expected


def test_math_blocks_report_their_first_line() -> None:
    text = "# Title\n\nInline $x$.\n\n$$\n\\begin{pmatrix}\na\n\\end{pmatrix}\n$$\n```\n$no$\n```\n$y$\n"
    assert [(b.line, b.display) for b in math_blocks(text)] == [(3, False), (5, True), (13, False)]


def test_stray_dollars_are_found() -> None:
    assert stray_dollars("fine $x$ and \\$5 and `$`") == []
    assert stray_dollars("a $x\n\nb $$\nc\n") == [1, 3]


# -- LaTeX ---------------------------------------------------------------------------------------------


GOOD_TEX = r"""\documentclass{article}
\usepackage{amsmath}
\begin{document}
$x_{11}$ and
\[ \hat Y = \hat X \hat K = \begin{pmatrix} x_{11} & x_{12} \\ x_{21} & x_{22} \end{pmatrix} \]
\end{document}
"""


def test_compile_tex_accepts_a_good_document(tmp_path: Path) -> None:
    pdf = compile_tex(GOOD_TEX, tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    log = tex_log(pdf)
    assert overfull_boxes(log) == []
    assert missing_characters(log) == []


def test_compile_tex_reports_the_error_lines(tmp_path: Path) -> None:
    bad = GOOD_TEX.replace("$x_{11}$", r"$\rotonehundredeighty x$")
    with pytest.raises(LatexError) as caught:
        compile_tex(bad, tmp_path)
    message = str(caught.value)
    assert "! Undefined control sequence." in message
    assert "\\rotonehundredeighty" in message


def test_compile_tex_stops_at_the_first_error_instead_of_waiting_for_input(tmp_path: Path) -> None:
    with pytest.raises(LatexError, match="Missing \\$ inserted"):
        compile_tex(GOOD_TEX.replace("$x_{11}$", "x_{11}"), tmp_path)


def test_overfull_boxes_are_measured(tmp_path: Path) -> None:
    row = " & ".join(f"x_{{{i}{j}}}" for i in range(1, 5) for j in range(1, 7))
    wide = GOOD_TEX.replace("x_{11} & x_{12}", row).replace(r"\usepackage{amsmath}",
                                                            "\\usepackage{amsmath}\\setcounter{MaxMatrixCols}{30}")
    log = tex_log(compile_tex(wide, tmp_path))
    boxes = overfull_boxes(log)
    assert len(boxes) == 1
    assert boxes[0].box == "hbox"
    assert boxes[0].points > 20


def test_missing_characters_are_found(tmp_path: Path) -> None:
    # \char"41 in the math-extension font cmex10 has no glyph: pdflatex only logs it
    text = GOOD_TEX.replace("$x_{11}$", r"{\font\ex=cmex10 \ex \char200}")
    log = tex_log(compile_tex(text, tmp_path))
    assert missing_characters(log)


# -- KaTeX ---------------------------------------------------------------------------------------------


def test_katex_renders_good_blocks_and_names_the_error_of_bad_ones() -> None:
    results = katex_render([
        MathBlock("x_{11} \\odot \\sigma'(z^l)", False, 1),
        ("\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}", True),
        {"tex": "\\frac{1}{", "display": True},
        ("\\rotonehundredeighty(W)", False),
        ("\\text{旋转}", False),
        ("旋转", False),
    ])
    assert [r.ok for r in results] == [True, True, False, False, True, True]
    assert results[2].error and "expected '}'" in results[2].error
    assert results[3].error and "\\rotonehundredeighty" in results[3].error
    assert results[0].warnings == results[4].warnings == ()
    assert results[5].warnings, "CJK outside \\text is LaTeX-incompatible: KaTeX warns in strict mode"


def test_katex_is_the_version_ci_pins() -> None:
    """CI renders with the KaTeX that ``.ci/run`` pins; a developer's own install need only be recent."""
    pinned = re.search(r"^KATEX_VERSION=(\S+)$", CI_RUN.read_text(encoding="utf-8"), re.M)
    assert pinned, f"{CI_RUN} pins no KATEX_VERSION"
    installed = katex_version()
    if os.environ.get("CI"):
        assert installed == pinned[1]
    major, minor, *_ = installed.split(".")
    assert (int(major), int(minor)) >= (0, 16)
