"""Markdown renders where people paste it: a plain page with KaTeX auto-render, in headless Chromium.

GitHub typesets ``$…$`` and ``$$…$$`` before it reads the Markdown; a plain
site converts the Markdown to HTML first (CommonMark: a backslash before
punctuation is dropped, ``_…_`` is emphasis) and then lets KaTeX's
auto-render find the math. symconv's Markdown is written for both
(:func:`symconv.render.markup.markdown_safe`). These tests build the plain
page (``tests/browsertools.py``), render it in Chromium and check the result
as a reader would see it: every formula typeset, exactly as symconv wrote it,
every matrix with its rows, and a screenshot whose matrix has as many rows of
ink as it has rows.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from browsertools import ink_rows, markdown_page, math_elements, rendered_dom, screenshot
from doctools import math_blocks

from symconv.cli import main

# (SPEC, language): the note's example, the grouped example in both languages, 3-D, separable.
PAGES = {
    "note-example": ("--input 3 --kernel 2 --backward", "en"),
    "grouped-zh": ("--input 6 --kernel 3 --stride 2 --padding 1 --in-channels 4 --out-channels 4 "
                   "--groups 2 --backward", "zh"),
    "grouped-en": ("--input 6 --kernel 3 --stride 2 --padding 1 --in-channels 4 --out-channels 4 "
                   "--groups 2 --backward", "en"),
    "3d": ("--dims 3 --input 3 --kernel 2 --backward", "en"),
    "separable": ("--input 5 --kernel 3 --separable --in-channels 2 --out-channels 3 --backward", "en"),
}


def markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: str, lang: str) -> str:
    out = tmp_path / "derived.md"
    code = main(["derive", *shlex.split(spec), "--format", "markdown", "--lang", lang, "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    return out.read_text(encoding="utf-8")


def _same(tex: str) -> str:
    return " ".join(tex.split())


@pytest.mark.parametrize("spec, lang", PAGES.values(), ids=PAGES.keys())
def test_a_plain_markdown_page_typesets_every_formula_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: str, lang: str
) -> None:
    text = markdown(tmp_path, capsys, spec, lang)
    dom = rendered_dom(markdown_page(text, tmp_path / "page"))
    assert 'class="katex-error"' not in dom, "KaTeX could not typeset a formula"
    assert "<em>" not in dom and "<strong>" not in dom, "the Markdown converter read math as emphasis"
    written = [_same(block.tex) for block in math_blocks(text)]
    typeset = math_elements(dom)
    # every $…$ and $$…$$ became a formula, and KaTeX saw exactly what symconv wrote
    assert [_same(tex) for tex, _ in typeset] == written
    for tex, mathml in typeset:
        # one row per environment, and one more per row break: a matrix never collapses to one row
        # (KaTeX sets a lone numbered equation as a table of one row, for its number)
        rows = mathml.count("<mtr") + mathml.count("<mlabeledtr")
        lone_tag = r"\tag{" in tex and r"\begin{" not in tex
        expected = tex.count(r"\cr") + tex.count(r"\begin{") + lone_tag
        assert rows == expected, f"{rows} rows where {expected} are written: {tex[:120]}"


def test_the_screenshot_of_a_matrix_shows_its_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The note's Ŷ = X̂K̂, four sums, rendered on a plain page: four rows of ink between its parentheses."""
    text = markdown(tmp_path, capsys, "--input 3 --kernel 2", "en")
    block = next(b.tex for b in math_blocks(text) if b.display and b.tex.lstrip().startswith(r"\hat{Y} ="))
    assert block.count(r"\cr") == 3
    page = markdown_page(f"$$\n{block}\n$$\n", tmp_path / "page")
    png = screenshot(page, tmp_path / "matrix.png", width=700, height=300)
    bands = ink_rows(png)
    assert bands, "the screenshot is blank"
    top, bottom = bands[0][0], bands[-1][1]
    assert 40 < bottom - top < 250, (top, bottom)  # one display, four rows high
    # between the parentheses (the entries' columns), the rows of ink are the matrix's rows
    inner = ink_rows(png, columns=(0.45, 0.85))
    assert len(inner) == 4, inner
