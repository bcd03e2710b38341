"""Markdown and LaTeX documents: the note reproduced, generalised honestly, elided visibly, in en and zh.

Compiling with pdflatex and rendering with KaTeX is tests/test_documents_compile.py;
here the content: which formulas, remarks and counts a document holds, exactly.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import reference
import sympy as sp

from symconv import ConvSpec, derive, derive_separable
from symconv.cli import main
from symconv.errors import RenderError
from symconv.printing.elide import keep, window
from symconv.render import render_latex, render_markdown, repr_latex
from symconv.render.document import derivation_document, separable_document
from symconv.render.latex_math import display_rows
from symconv.render.markup import markdown_safe
from symconv.render.model import Display, Document, Equation, Math, Matrix, Table, Terms, Text
from symconv.render.prose import LANGUAGES, PHRASES, phrase, placeholders
from symconv.render.text import print_text
from symconv.render.typeset import equation_rows, sum_pieces, sum_terms, tex, width
from symconv.render.wrap import summands
from symconv.symbolic.derivation import Derivation
from symconv.symbolic.proof import Mismatch, Proof

NOTE = ConvSpec(input_size=3, kernel_size=2)

# The note's example, as the documents must write it (printer: input before kernel).
NOTE_X_HAT = (
    r"\hat{X} = \begin{pmatrix} x_{11} & x_{12} & x_{21} & x_{22} \\ x_{12} & x_{13} & x_{22} & x_{23}"
    r" \\ x_{21} & x_{22} & x_{31} & x_{32} \\ x_{22} & x_{23} & x_{32} & x_{33} \end{pmatrix}"
)
NOTE_K_HAT = r"\hat{K} = \begin{pmatrix} k_{11} \\ k_{12} \\ k_{21} \\ k_{22} \end{pmatrix}"
NOTE_SUMS = [
    "x_{11} k_{11} + x_{12} k_{12} + x_{21} k_{21} + x_{22} k_{22}",
    "x_{12} k_{11} + x_{13} k_{12} + x_{22} k_{21} + x_{23} k_{22}",
    "x_{21} k_{11} + x_{22} k_{12} + x_{31} k_{21} + x_{32} k_{22}",
    "x_{22} k_{11} + x_{23} k_{12} + x_{32} k_{21} + x_{33} k_{22}",
]
NOTE_Y_HAT = r"\hat{Y} = \hat{X} \hat{K} = \begin{pmatrix} " + r" \\ ".join(NOTE_SUMS) + r" \end{pmatrix}"
NOTE_Y_ROWS = [f"y_{{{i}}} &= {s} + b" for i, s in zip(("11", "12", "21", "22"), NOTE_SUMS)]


@pytest.fixture(scope="module")
def note() -> Derivation:
    return derive(NOTE)


@pytest.fixture(scope="module")
def note_markdown(note: Derivation) -> str:
    return render_markdown(note, backward=True)


@pytest.fixture(scope="module")
def note_latex_doc(note: Derivation) -> str:
    return render_latex(note, backward=True)


def texts(doc: Document) -> list[Text]:
    """Every prose block of a document, in order."""
    return [b for s in doc.sections for b in s.blocks if isinstance(b, Text)] + [
        b for b in doc.closing if isinstance(b, Text)
    ]


def keys(doc: Document) -> list[str]:
    return [t.key for t in texts(doc)]


def displays(doc: Document) -> list[str]:
    return [row for s in doc.sections for b in s.blocks if isinstance(b, Display) for row in display_rows(b)]


def document(spec: ConvSpec, *, backward: bool = True, max_entries: int = 400) -> Document:
    return derivation_document(derive(spec), backward=backward, max_entries=max_entries, command="test")


# -- the note reproduced ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["markdown", "tex"])
def test_the_notes_example_is_reproduced(fmt: str, note_markdown: str, note_latex_doc: str) -> None:
    text = note_markdown if fmt == "markdown" else note_latex_doc
    as_written = markdown_safe if fmt == "markdown" else str  # the Markdown spells its math safely

    assert as_written(NOTE_X_HAT) in text
    assert as_written(NOTE_K_HAT) in text
    assert as_written(NOTE_Y_HAT) in text
    for row in NOTE_Y_ROWS:
        assert as_written(row) in text
    assert as_written(r"X = \begin{pmatrix} x_{11} & x_{12} & x_{13} \\ x_{21} & x_{22} & x_{23} \\ "
                      r"x_{31}") in text
    assert as_written(r"K = \begin{pmatrix} k_{11} & k_{12} \\ k_{21} & k_{22} \end{pmatrix}") in text
    # the backward pass, entry by entry
    assert as_written(r"\mathrm{rot}_{180}(W^{l+1}) = \begin{pmatrix} k_{22} & k_{21} \\ k_{12} & k_{11} "
                      r"\end{pmatrix}") in text
    assert as_written(r"\mathrm{pad}_{k' - 1}(\delta^{l+1}) = \begin{pmatrix} 0 & 0 & 0 & 0 \\ 0 & "
                      r"\delta_{11} & \delta_{12} & 0 \\ 0 & \delta_{21} & \delta_{22} & 0 \\ 0 & 0 & 0 & 0 "
                      r"\end{pmatrix}") in text
    assert as_written(r"\partial J / \partial x_{22} &= \delta_{11} k_{22} + \delta_{12} k_{21} + "
                      r"\delta_{21} k_{12} + \delta_{22} k_{11}") in text
    # the activation's factor once, as one line: the sums are not written a second time
    assert as_written(r"\delta^{l} &= \partial J / \partial a^{l} \odot \sigma'(z^{l})") in text
    assert as_written(r"\partial J / \partial z_{ij} &= \partial J / \partial x_{ij} \cdot "
                      r"\sigma'(z_{ij})") in text
    assert r"\partial J / \partial z_{12}" not in text
    assert as_written(r"\partial J / \partial k_{11} &= x_{11} \delta_{11} + x_{12} \delta_{12} + "
                      r"x_{21} \delta_{21} + x_{22} \delta_{22}") in text
    assert as_written(r"\partial J / \partial b &= \delta_{11} + \delta_{12} + \delta_{21} + "
                      r"\delta_{22}") in text
    # the note's formulas, and the closed form with this layer's amounts
    assert as_written(r"\delta^{l} = \left(\delta^{l+1} \ast \mathrm{rot}_{180}(W^{l+1})\right) \odot "
                      r"\sigma'(z^{l})") in text
    assert as_written(r"\partial J / \partial a^{l} = \mathrm{pad}_{k' - 1}(\delta^{l+1}) \ast "
                      r"\mathrm{rot}_{180}(W^{l+1})") in text
    assert as_written(r"\partial J / \partial W^{l} = a^{l-1} \ast \delta^{l}") in text
    assert as_written(r"J = \frac{1}{2} \lVert a^{L} - t \rVert_{2}^{2}") in text


def test_the_sizes_are_filled_in(note_markdown: str) -> None:
    # both dimensions alike: one row for both
    assert markdown_safe(r"n'_{1} = n'_{2} &= \left\lfloor \frac{3 + 2 \cdot 0 - 1 \cdot (2 - 1) - 1}{1} "
                         r"\right\rfloor + 1 = 2") in note_markdown
    assert markdown_safe(r"k'_{1} = k'_{2} &= 2 + (2 - 1)(1 - 1) = 2") in note_markdown
    rect = render_markdown(derive(ConvSpec(input_size=(3, 4), kernel_size=2)))
    assert markdown_safe(r"n'_{2} &= \left\lfloor \frac{4 + 2 \cdot 0 - 1 \cdot (2 - 1) - 1}{1} \right\rfloor"
                         r" + 1 = 3") in rect
    assert markdown_safe(r"= 1 \cdot 1 \cdot 2 \cdot 2 + 1 = 5") in note_markdown  # parameters
    assert markdown_safe(r"= 2 \cdot 2 \cdot 1 \cdot 1 \cdot 2 \cdot 2 = 16") in note_markdown  # MACs


def test_the_proof_is_stated_as_it_came_out(note_markdown: str) -> None:
    assert "| input gradient | $9$ | equal |" in note_markdown
    assert "| unrolled product against the output without the bias | $4$ | equal |" in note_markdown
    assert "All of them agree" in note_markdown


def test_a_failed_proof_is_reported_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(self: Derivation) -> Proof:
        wrong = Mismatch("grad_input: closed form vs diff", (1, 1, 2), self.grad_input[0, 0, 1],
                         self.grad_input[0, 0, 0])
        return Proof("test", (("grad_input: closed form vs diff", 9),), (wrong,))

    monkeypatch.setattr(Derivation, "prove", failing)
    md = render_markdown(derive(NOTE), backward=True)
    assert "| input gradient | $9$ | DIFFER |" in md
    assert "The check FAILED: 1 entries differ" in md
    assert r"(1, 1, 2) &\colon \delta_{11} k_{12} + \delta_{12} k_{11} \neq \delta_{11} k_{11}" in md
    assert "All of them agree" not in md


def test_markdown_uses_dollar_math_and_latex_is_a_standalone_article(
    note_markdown: str, note_latex_doc: str
) -> None:
    assert "\n$$\n" in note_markdown and r"$\hat{X}$" in note_markdown
    assert r"\begin{aligned}" in note_markdown
    # numbered rows need align* (KaTeX and MathJax number each row there); every align* is numbered
    numbered = re.findall(r"\\begin\{align\*\}(.*?)\\end\{align\*\}", note_markdown, re.S)
    assert numbered and all(r"\tag{" in block for block in numbered)
    assert note_markdown.startswith("<!--\nGenerated by symconv")
    assert "symconv derive --input 3 --kernel 2 --backward --format markdown" in note_markdown
    assert note_latex_doc.startswith("% Generated by symconv")
    for line in (r"\documentclass[10pt]{article}", r"\usepackage{amsmath}", r"\begin{document}",
                 r"\end{document}", r"\begin{align*}", r"\section*{Forward pass}"):
        assert line in note_latex_doc
    assert "MaxMatrixCols" not in note_latex_doc and "\n\n\n" not in note_latex_doc
    assert r"\texttt{symconv derive --input 3 --kernel 2 --backward --format tex}" in note_latex_doc


# -- generalised honestly ---------------------------------------------------------------------------


def test_the_notes_errors_come_with_this_layers_counterexample() -> None:
    found = keys(document(NOTE))
    for key in ("derive_full_padding", "note_product", "note_delta", "note_delta_wrong", "note_weight",
                "note_weight_right"):
        assert key in found, key
    for absent in ("note_span", "note_depthwise", "note_channels", "step_error_strided",
                   "step_kernel_dilated"):
        assert absent not in found
    delta_wrong = dict(next(t for t in texts(document(NOTE)) if t.key == "note_delta_wrong").args)
    # δ^{l+1} is 2×2, the turned kernel 2×2: the note's ∗ gives 1×1 where a^l is 3×3
    assert [tex(delta_wrong[k].expr) for k in ("delta", "kernel", "note", "input")] == [
        r"2 \times 2", r"2 \times 2", r"1 \times 1", r"3 \times 3"]
    assert keys(document(NOTE, backward=False)) [-1] == "note_product"
    # k = 1, no stride, padding or dilation: the note's δ is the closed form
    assert "note_delta_right" in keys(document(ConvSpec(input_size=3, kernel_size=1)))


def test_stride_dilation_padding_and_groups_bring_their_steps_and_remarks() -> None:
    # (8 + 2·1 − 5) mod 2 = 1: the stride leaves one padded row and column unused
    spec = ConvSpec(input_size=8, kernel_size=3, stride=2, dilation=2, padding=1, in_channels=4,
                    out_channels=4, groups=2)
    doc = document(spec)
    found = keys(doc)
    for key in ("derive_zero_insertion", "derive_dilate_kernel", "derive_full_padding", "derive_groups",
                "derive_sum_kronecker", "step_error_strided", "step_kernel_dilated", "note_delta_undefined",
                "note_weight_wrong", "note_channels", "note_span", "unrolled_groups"):
        assert key in found, key
    rows = displays(doc)
    formula = (r"\partial J / \partial a^{l}_{c} = \mathrm{crop}_{p}\left(\mathrm{pad}_{0,q}\left("
               r"\sum_{o \in G(c)} \left(\mathrm{pad}_{k' - 1}\left("
               r"\mathrm{dil}_{s}(\delta^{l+1}_{o})\right) "
               r"\ast \mathrm{rot}_{180}\left(\mathrm{dil}_{d}(W^{l+1}_{o,\,c - c_{0}(o)})\right)"
               r"\right)\right)\right)")  # W's second index counts within the group
    assert formula in rows
    # ⌊q/d⌋ = 0: nothing to crop off the weight gradient
    assert (r"\partial J / \partial W^{l+1}_{o,c'} = \mathrm{pad}_{p}(a^{l}_{c_{0}(o) + c'})"
            r" \ast_{d} \mathrm{dil}_{s}(\delta^{l+1}_{o})") in rows
    # the dilated span against the note's
    span = dict(next(t for t in texts(doc) if t.key == "note_span").args)
    assert tex(span["true"].expr) == r"k + (k - 1)(d - 1) = 3 + (3 - 1)(2 - 1) = 5"
    assert tex(span["note"].expr) == r"k + (r - 1)(k + 1) = 3 + (2 - 1)(3 + 1) = 7"
    formula_here = next(t for t in texts(doc) if t.key == "layer_formula")
    values = dict(formula_here.args)["values"]
    assert isinstance(values, Math)
    assert tex(values.expr) == r"s = (2, 2),\; d = (2, 2),\; k' = (5, 5),\; p = (1, 1),\; q = (1, 1)"
    # the zero-inserted, padded error: k' - 1 = 4 rows of zeros, then the stride's zero between entries
    padded = next(row for row in rows if row.startswith(
        r"\mathrm{pad}_{k' - 1}\left(\mathrm{dil}_{s}(\delta^{l+1}_{1})\right) = \begin{pmatrix}"))
    assert r"\\ 0 & 0 & 0 & 0 & \delta_{1,11} & 0 & \delta_{1,12} & 0" in padded


def test_kernel_hat_shows_the_zero_blocks_of_groups() -> None:
    doc = document(ConvSpec(input_size=3, kernel_size=1, in_channels=2, out_channels=2, groups=2),
                   backward=False)
    assert any(r"\hat{K} = \begin{pmatrix} k_{1,1,11} & 0 \\ 0 & k_{2,1,11} \end{pmatrix}" in row
               for row in displays(doc))


def test_depthwise_and_separable_documents() -> None:
    assert "note_depthwise" in keys(document(ConvSpec(input_size=4, in_channels=2, groups=2,
                                                       out_channels=2), backward=False))
    sd = derive_separable(ConvSpec(input_size=4, kernel_size=3, in_channels=2, out_channels=3))
    doc = separable_document(sd, backward=True, max_entries=400, command="test")
    found = keys(doc)
    for key in ("separable_intro", "stage_depthwise_intro", "stage_pointwise_intro", "composite_intro",
                "composite_proof", "note_depthwise", "stage_backward", "derive_backward_intro_stage",
                "stage_forward"):
        assert key in found, key
    table = next(b for b in doc.sections[0].blocks if isinstance(b, Table))
    # parameters: depthwise 2·1·9 + 2, pointwise 3·2·1 + 3, against the plain 3·2·9 + 3
    assert [tex(cell.expr) for cell in table.rows[0][1:] if isinstance(cell, Math)] == [
        "20", "9", "29", "57", "0.509"]
    assert table.align == "lrrrrr"
    composite = displays(doc)
    # factored: the pointwise weight times the depthwise sum, never multiplied out
    joined = "\n".join(composite)
    assert r"y_{1,11} &= \bigl(x_{1,11} k_{1,1,11} + " in joined
    assert r"b_{1}\bigr) w_{1,1,11}" in joined and r"+ \beta_{1}" in joined
    assert "x_{1,11} k_{1,1,11} w_{1,1,11}" not in joined


# -- large specs: elided visibly, never truncated silently -----------------------------------------------


BIG = ConvSpec(input_size=12, kernel_size=3, in_channels=3, out_channels=4, stride=2, padding=1)


def hidden_reported(doc: Document) -> int:
    """The entries (and equations) the elision sentences say were left out."""
    return sum(int(dict(t.args)["hidden"]) for t in texts(doc)
               if t.key in ("elided_matrix", "elided_gallery", "representative", "representative_ends"))


def test_large_matrices_are_elided_with_dots_and_counted() -> None:
    doc = document(BIG, max_entries=50)
    rows = displays(doc)
    assert any(r"\cdots" in r for r in rows) and any(r"\vdots" in r for r in rows)
    assert any(r"\ddots" in r for r in rows)
    assert doc.elided > 0 and hidden_reported(doc) == doc.elided
    assert doc.closing and doc.closing[0].key == "elided_total"
    md = render_markdown(derive(BIG), max_entries=50)
    assert re.search(r"In all, \d+ entries are left out to keep this document readable; "
                     r"`--max-entries 0` writes every one\.", md)
    assert re.search(r"\d+ of the 972 entries of \$\\hat\{X\}\$ are left out here: \d+ of 36 rows and "
                     r"\d+ of 27 columns are shown\.", md)


def test_every_display_with_dots_is_followed_by_a_sentence_saying_so() -> None:
    doc = document(BIG, max_entries=30)
    for section in doc.sections:
        blocks = list(section.blocks)
        for i, block in enumerate(blocks):
            rows = display_rows(block) if isinstance(block, Display) else []
            if any(mark in row for row in rows for mark in (r"\cdots", r"\vdots", r"\ddots")):
                following = [b.key for b in blocks[i + 1:] if isinstance(b, Text)]
                assert following and following[0].startswith(("elided_", "representative")), (
                    section.title, rows[0][:80])


def test_long_sums_keep_their_first_and_last_lines() -> None:
    doc = document(ConvSpec(input_size=14, kernel_size=3))  # ∂J/∂k: sums of 144 terms
    assert doc.terms > 0
    assert r"&\quad {}+ \cdots" in displays(doc)
    assert "elided_terms" in keys(doc) and "elided_terms_total" in [t.key for t in doc.closing]


def test_max_entries_0_shows_everything() -> None:
    spec = ConvSpec(input_size=5, kernel_size=3, in_channels=4, out_channels=2, groups=2)
    doc = document(spec, backward=False, max_entries=0)
    assert doc.elided == 0 and doc.terms == 0 and not doc.closing
    assert not any(mark in row for row in displays(doc) for mark in (r"\cdots", r"\vdots", r"\ddots"))
    assert doc.matrix_columns == 36  # X̂: 4 channels · 9 taps
    tex = render_latex(derive(spec), max_entries=0)
    assert r"\setcounter{MaxMatrixCols}{36}" in tex


def test_wide_unrolled_products_are_written_by_name() -> None:
    doc = document(ConvSpec(input_size=5, kernel_size=3, in_channels=3, out_channels=2), backward=False)
    by_name = next(t for t in texts(doc) if t.key == "unrolled_product_by_name")
    assert tex(dict(by_name.args)["entry"].expr) == r"(\hat{Y})_{ij,\,o} = y_{o,ij} - b_{o}"


def test_the_model_holds_expressions_and_every_format_prints_the_same_decision() -> None:
    """No printed strings in the model: sides are expressions, notation or matrices of expressions."""
    doc = document(BIG, max_entries=50)
    blocks = [b for s in doc.sections for b in s.blocks if isinstance(b, Display)]
    equations = [item for b in blocks for item in b.items if isinstance(item, Equation)]
    assert equations and not any(isinstance(side, str) for e in equations for side in e.sides)
    matrices = [side for e in equations for side in e.sides if isinstance(side, Matrix)]
    shown = [m.entries[i, j] for m in matrices for i in m.shown.rows for j in m.shown.cols]
    assert all(isinstance(entry, sp.Basic) for entry in shown)
    hidden = sum(m.hidden for m in matrices)
    assert 0 < hidden <= doc.elided
    text = print_text(doc)
    assert f"In all, {doc.elided} entries are left out" in text.replace("\n", " ")


def test_the_elision_rule_is_the_text_renderers() -> None:
    assert keep(10, 4) == ([0, 1, 8, 9], 2)
    shown = window(30, 30, 400)  # elided: 15 first and last rows and columns, ¾ √400
    assert (len(shown.rows), len(shown.cols), shown.hidden) == (15, 15, 675)
    shown = window(25, 18, 400, max_cols=9)
    assert (len(shown.rows), len(shown.cols), shown.col_gap, shown.hidden) == (25, 9, 5, 225)


def test_typesetting_helpers() -> None:
    a, b, c, s, t = sp.symbols("a b c s t")
    assert summands(a + b - t) == ([a, b, -t], None) and summands((a + b) * s) == ([a, b], s)
    assert sum_pieces(a + b - t, 100) == ["a", "+ b", "- t"]
    assert sum_pieces((a + b) * s, 100) == [r"\left(a + b\right) s"]  # fits: not opened
    rows = equation_rows("y", "=", (a + b + c) * s, None, budget=40)
    assert rows[0].startswith(r"y &= \bigl(a") and rows[-1].endswith(r"\bigr) s")
    cut, height = sum_terms("y", sp.Add(*sp.symbols("a:j")), 3, budget=25)
    assert cut == Terms(1, 1, 10) and height == 3
    assert equation_rows("y", "=", sp.Add(*sp.symbols("a:j")), cut, budget=25) == [
        "y &= a", r"&\quad {}+ \cdots", r"&\quad {}+ j"]
    assert width("x_{11}") < width("x_{111}") < width(r"\frac{\partial J}{\partial x_{111}} + 1")


# -- languages, formats, errors ------------------------------------------------------------------------


def test_chinese_markdown_has_chinese_prose_and_the_same_math(note: Derivation, note_markdown: str) -> None:
    chinese = render_markdown(note, lang="zh", backward=True)
    han = re.compile(r"[\u4e00-\u9fff]")
    assert not han.search(note_markdown)
    for words in ("## 前向传播", "## 展开形式", "## 反向传播", "## 笔记中的错误", "哈达玛"):
        assert words in chinese
    math = re.compile(r"\$\$.*?\$\$", re.S)
    assert math.findall(chinese) == math.findall(note_markdown)
    assert "--lang zh" in chinese


def test_chinese_latex_is_a_ctex_article_and_other_languages_are_refused(note: Derivation) -> None:
    chinese = render_latex(note, lang="zh")
    assert r"\documentclass[10pt,UTF8,scheme=plain]{ctexart}" in chinese and "二维卷积的推导" in chinese
    assert "% Compile with: xelatex" in chinese
    english = render_latex(note)
    assert r"\documentclass[10pt]{article}" in english and "% Compile with: pdflatex" in english
    with pytest.raises(RenderError, match="lang='fr' is not one of en, zh"):
        render_markdown(note, lang="fr")


def test_every_phrase_exists_in_every_language_with_the_same_arguments() -> None:
    english = PHRASES["en"]
    for lang in LANGUAGES:
        assert PHRASES[lang].keys() == english.keys(), lang
        for key, text in PHRASES[lang].items():
            assert placeholders(text) == placeholders(english[key]), (lang, key)
    with pytest.raises(KeyError, match="needs the argument 'number'"):
        phrase("en", "stage_pointwise", {})


@pytest.mark.parametrize("key", sorted(PHRASES["en"]))
def test_english_prose_is_plain_ascii_for_pdflatex(key: str) -> None:
    """Outside math and code: ASCII only, and none of TeX's special characters."""
    prose = re.sub(r"\$[^$]*\$|`[^`]*`|\{\{\w+\}\}", "", PHRASES["en"][key])
    assert prose.isascii(), prose
    assert not set(prose) & set("\\%&#_^~{}$"), prose


def test_documents_are_deterministic(note: Derivation) -> None:
    spec = ConvSpec(input_size=5, kernel_size=3, in_channels=2, out_channels=2, groups=2, stride=2)
    d = derive(spec)
    assert render_markdown(d, backward=True) == render_markdown(derive(spec), backward=True)
    assert render_latex(note, backward=True) == render_latex(derive(NOTE), backward=True)


def test_documents_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """Nothing iterates a set or dict of SymPy objects: two processes, two hash seeds, one document."""
    script = ("import sys; from symconv.cli import main; sys.exit(main(['derive', '--input', '4', "
              "'--kernel', '2', '--in-channels', '2', '--out-channels', '2', '--groups', '2', "
              "'--stride', '2', '--padding', '1', '--backward', '--format', 'tex', '--out', sys.argv[1]]))")
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}.tex"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", script, str(out)], env=env, check=True, timeout=300)
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]


def test_repr_latex_is_compact_layer_sizes_formulas_and_the_unrolled_product(note: Derivation) -> None:
    text = repr_latex(note)
    rows = text.removeprefix(r"$$\begin{gathered} ").removesuffix(r" \end{gathered}$$").split(r" \\ ")
    assert rows[0] == r"\text{Conv2d 1→1, input 3, kernel 2, stride 1, padding 0, dilation 1}"
    assert rows[1] == r"n' = 2 \times 2,\; k' = 2 \times 2,\; \mathrm{params} = 5,\; \mathrm{MACs} = 16"
    assert rows[2].startswith(r"Y_{o,i} = b_{o} + \sum_{c'=0}^{C_{\mathrm{in}} - 1}")  # the definition
    assert [row.split(" = ")[0] for row in rows[3:6]] == [
        r"\partial J / \partial X", r"\partial J / \partial W", r"\partial J / \partial b"]
    assert rows[6].startswith(r"\hat{Y} = \hat{X} \hat{K}: \quad \begin{pmatrix} " + NOTE_SUMS[0])
    assert text.endswith(NOTE_K_HAT.split(" = ")[1] + r" \end{gathered}$$")
    sd = derive_separable(ConvSpec(input_size=4, in_channels=2, out_channels=3))
    separable = repr_latex(sd)
    assert r"\hat{M} = \hat{X} \hat{K}" in separable and r"\hat{Y} = \hat{M} \hat{W}" in separable
    big = repr_latex(derive(ConvSpec(input_size=10, kernel_size=3)))
    assert r"\vdots" in big and r"\cdots" in big


# -- the command line -------------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("fmt", "lang"), [("markdown", "en"), ("markdown", "zh"), ("tex", "en")])
def test_derive_writes_documents(capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str,
                                 lang: str) -> None:
    target = tmp_path / "conv.doc"
    code, out, err = run(capsys, "derive", "--input", "3", "--kernel", "2", "--backward", "--format", fmt,
                         "--lang", lang, "--out", str(target))
    assert (code, out, err) == (0, "", "")
    assert target.read_text(encoding="utf-8") == (
        render_markdown(derive(NOTE), lang=lang, backward=True) if fmt == "markdown"
        else render_latex(derive(NOTE), backward=True)
    )


def test_derive_separable_as_tex(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "derive", "--input", "4", "--in-channels", "2", "--out-channels", "3",
                       "--separable", "--format", "tex")
    assert code == 0 and r"\section*{Stage 1: depthwise}" in out and r"\section*{Stage 2: pointwise}" in out
    assert "--separable --format tex" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "text", "--lang", "zh"], "symconv: error: --lang zh cannot be used with --format text: "
         "the text output is English only; use --format markdown --lang zh or --format tex --lang zh\n"),
        (["--format", "markdown", "--lang", "de"], "symconv: error: --lang de is not one of en, zh\n"),
        (["--format", "pdf"], "symconv: error: --format pdf is not one of text, markdown, tex\n"),
    ],
)
def test_format_and_language_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str],
                                    message: str) -> None:
    target = tmp_path / "conv.tex"
    code, out, err = run(capsys, "derive", "--input", "3", *args, "--out", str(target))
    assert (code, out, err) == (2, "", message)
    assert not target.exists()


# -- the note's errors: the smallest layers the documents name, found by brute force ---------------


def _note_delta(dy: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    """The note's δ^{l+1} ∗ rot180(W): 1-D, one channel, stride 1, no padding (None: undefined)."""
    n_out, k = dy.shape[-1], w.shape[-1]
    if n_out - k + 1 < 1:
        return None
    flipped = w[0, 0, ::-1]
    return np.array([[[sum(dy[0, 0, i + u] * flipped[u] for u in range(k)) for i in range(n_out - k + 1)]]])


def _note_weight(x: np.ndarray, dy: np.ndarray) -> np.ndarray | None:
    """The note's a^{l-1} ∗ δ^l: a 1-D, one-channel correlation, stride 1, no padding (None: undefined)."""
    n, n_out = x.shape[-1], dy.shape[-1]
    if n - n_out + 1 < 1:
        return None
    rows = [sum(x[0, 0, i + j] * dy[0, 0, j] for j in range(n_out)) for i in range(n - n_out + 1)]
    return np.array([[rows]])


def _first_wrong(formula: str, strides: range = range(1, 4)) -> tuple[int, ...]:
    """The first 1-D layer without padding, in (n, k, s, d) order, where the note's formula is wrong."""
    rng = np.random.default_rng(0)
    for n, k, s, d in itertools.product(range(1, 5), range(1, 5), strides, range(1, 3)):
        if d * (k - 1) + 1 > n:
            continue
        n_out = (n - d * (k - 1) - 1) // s + 1
        x, w, dy = rng.normal(size=(1, 1, n)), rng.normal(size=(1, 1, k)), rng.normal(size=(1, 1, n_out))
        if formula == "delta":
            truth, note = reference.grad_input(dy, w, (n,), s, 0, d), _note_delta(dy, w)
        else:
            truth, note = reference.grad_weight(x, dy, (k,), s, 0, d), _note_weight(x, dy)
        if note is None or note.shape != truth.shape or not np.allclose(note, truth):
            return n, k, s, d
    raise AssertionError("the note's formula held on every layer tried")


def test_the_smallest_layers_the_documents_name_are_the_smallest() -> None:
    # "The smallest layers without padding that show it are 1-D: n = 2, k = 1, s = 2 and, with
    # stride 1, n = 2, k = 2"
    assert _first_wrong("delta") == (2, 1, 2, 1)
    assert _first_wrong("delta", strides=range(1, 2)) == (2, 2, 1, 1)
    assert "$n = 2$, $k = 1$, $s = 2$" in PHRASES["en"]["note_delta_wrong"]
    assert "with stride 1, $n = 2$, $k = 2$" in PHRASES["en"]["note_delta_wrong"]
    # "... 1-D with n = 2, k = 1, s = 2, where it gives two entries for a kernel of one"
    assert _first_wrong("weight") == (2, 1, 2, 1)
    assert "$n = 2$, $k = 1$, $s = 2$" in PHRASES["en"]["note_weight_right"]
    # one input channel, two output channels: the error of both flows back (a sum the note lacks)
    w = np.array([[[1.0, 2.0]], [[3.0, 4.0]]])
    dy = np.ones((1, 2, 2))
    both = reference.grad_input(dy, w, (3,))
    assert not np.allclose(both, reference.grad_input(dy[:, :1], w[:1], (3,)))
    assert np.allclose(both, reference.grad_input(dy[:, :1], w[:1], (3,)) + reference.grad_input(
        dy[:, 1:], w[1:], (3,)))


def test_what_a_reader_trips_on_is_worded_for_the_layer() -> None:
    # 1-D: rows and a reversal, not matrices and a turn; 3-D: a reflection; one tap: no "1 taps"
    one_d = keys(document(ConvSpec(dims=1, input_size=5, kernel_size=2)))
    assert {"input_matrices_1d", "kernel_matrices_1d", "output_matrices_1d", "step_rot180_1d"} <= set(one_d)
    assert "step_rot180_3d" in keys(document(ConvSpec(dims=3, input_size=3, kernel_size=2)))
    one_tap = keys(document(ConvSpec(input_size=3, kernel_size=1, in_channels=2, out_channels=2)))
    assert "unrolled_columns_one_tap" in one_tap and "unrolled_columns" not in one_tap
    # without groups every output channel reads c: the sum is over all of them, W's index is c
    rows = displays(document(ConvSpec(input_size=4, kernel_size=2, in_channels=2, out_channels=3)))
    assert r"\partial J / \partial a^{l}_{c} = \sum_{o} \left(\mathrm{pad}_{k' - 1}(\delta^{l+1}_{o}) \ast " \
           r"\mathrm{rot}_{180}(W^{l+1}_{o,c})\right)" in rows
    assert r"\partial J / \partial W^{l+1}_{o,c} = a^{l}_{c} \ast \delta^{l+1}_{o}" in rows
    # the correlation ∗_{s,d} is defined where it first appears
    assert r"A \ast_{s,d} B" in PHRASES["en"]["derive_forward_closed"]
    assert "derive_forward_closed" in keys(document(NOTE))
