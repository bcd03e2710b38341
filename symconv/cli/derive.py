"""``symconv derive``: build the spec → derive → render → print or write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from symconv.cli.errors import CliError
from symconv.cli.help import Command
from symconv.cli.options import ChoiceType, IntType, OutPath, SpecOptions, spec_options
from symconv.cli.output import _check_out, _progress, _write, _write_all
from symconv.errors import SpecError
from symconv.render import (
    DEFAULT_MAX_ENTRIES,
    FORMATS,
    LANGUAGES,
    render_latex,
    render_markdown,
    render_markdown_with_figures,
    render_separable_text,
    render_text,
)
from symconv.spec import ConvSpec, format_size
from symconv.symbolic import MAX_PRODUCTS
from symconv.symbolic import derive as derive_convolution
from symconv.symbolic.separable import SeparableDerivation, derive_separable, separable_specs


@click.command(
    cls=Command,
    short_help="Derive a convolution: sizes, tensors, im2col form Ŷ = X̂·K̂, gradients.",
)
@spec_options
@click.option(
    "--backward", is_flag=True,
    help="Also derive the back-propagation: δ = ∂J/∂Y, the gradients of the input, weight and bias, "
    "and the proof that the closed forms (rot180, pad, dilate, conv) equal differentiation: "
    "--input 3 --kernel 2 --backward.",
)
@click.option(
    "--format", "fmt", type=ChoiceType(list(FORMATS)), default="text", show_default=True,
    help="Output format: --format text for the terminal; --format markdown for a note ($…$ and "
    "$$…$$ math, as KaTeX renders it); --format tex for a standalone LaTeX article that pdflatex "
    "compiles: --format tex --out conv.tex.",
)
@click.option(
    "--lang", type=ChoiceType(list(LANGUAGES)), default="en", show_default=True,
    help="Language of the prose: en, or zh for Chinese with --format markdown or --format tex "
    "(compile the Chinese LaTeX with xelatex: it uses ctex; the text output is English only): "
    "--format tex --lang zh.",
)
@click.option(
    "--figures", is_flag=True,
    help="Put the layer's figures beside its formulas (the sliding window, im2col, the backward "
    "pass, …): TikZ inside --format tex; SVG files written next to the --out file of --format "
    "markdown and linked from it: --figures --format markdown --out conv.md.",
)
@click.option(
    "--out", type=OutPath("a file name, e.g. --out conv.md"), default=None, metavar="FILE",
    help="Write to FILE instead of standard output; FILE appears only if the run succeeds: "
    "--out conv.txt.",
)
@click.option(
    "--max-entries", type=IntType(minimum=0), default=DEFAULT_MAX_ENTRIES, show_default=True,
    help="Elide a matrix or list with more entries than this, keeping its first and last rows and "
    "columns and saying how many were left out; documents (markdown, tex) also keep each matrix, "
    "list and sum within a page; 0 shows everything: --max-entries 0.",
)
def derive(
    spec: SpecOptions, backward: bool, fmt: str, lang: str, figures: bool, out: Path | None, max_entries: int
) -> None:
    """Derive a convolution: sizes, X, W, b, Y, the im2col form X̂, K̂, Ŷ = X̂·K̂ (and the gradients).

    As text for the terminal, or as a Markdown or LaTeX document that follows
    the study note and corrects it where it is wrong.

    \b
    Examples:
      symconv derive --input 3 --kernel 2 --backward
      symconv derive --input 7x9 --kernel 3x5 --padding same
      symconv derive --input 8 --in-channels 3 --depthwise --out conv.txt
      symconv derive --input 3 --kernel 2 --backward --format markdown --lang zh --out conv.md
      symconv derive --input 5 --kernel 3 --stride 2 --backward --format tex --out conv.tex
      symconv derive --input 3 --kernel 2 --backward --format tex --lang zh --out conv-zh.tex
      symconv derive --input 3 --kernel 2 --backward --figures --format markdown --out conv.md
    """
    if lang != "en" and fmt == "text":
        raise CliError(
            f"--lang {lang} cannot be used with --format text: the text output is English only; "
            f"use --format markdown --lang {lang} or --format tex --lang {lang}"
        )
    if figures and fmt == "text":
        raise CliError("--figures draws into a document: use --format tex or --format markdown")
    if figures and fmt == "markdown" and out is None:
        raise CliError("--figures with --format markdown writes SVG files beside the document: "
                       "give --out FILE.md")
    if out is not None:
        _check_out(out)
    conv = spec.build(require_input=True)
    _check_size_of_work(conv, spec)
    _progress("deriving …")
    options: dict[str, Any] = {"backward": backward, "max_entries": max_entries, "progress": _progress}
    try:
        d = derive_separable(conv) if spec.separable else derive_convolution(conv)
        extra: dict[Path, str] = {}
        if fmt == "markdown" and figures and out is not None:
            text, svgs = render_markdown_with_figures(d, lang=lang, figures=out.stem, **options)
            extra = {out.parent / name: svg for name, svg in svgs.items()}
        elif fmt == "markdown":
            text = render_markdown(d, lang=lang, **options)
        elif fmt == "tex":
            text = render_latex(d, lang=lang, figures=figures, **options)
        elif isinstance(d, SeparableDerivation):
            text = render_separable_text(d, **options)
        else:
            text = render_text(d, **options)
    except SpecError as error:
        raise CliError(error.render(spec.option_name)) from None
    if extra:
        for path in extra:
            _check_out(path)
        _write_all({**extra, out: text})  # type: ignore[dict-item]
        _progress(f"wrote {out} and {len(extra)} figures beside it")
        return
    _write(text, out)


def _check_size_of_work(conv: ConvSpec, spec: SpecOptions) -> None:
    """Refuse, before any work, a layer too large to derive symbolically in reasonable time."""
    products = conv.macs
    if spec.separable:
        depthwise, pointwise = separable_specs(conv)
        products = depthwise.macs + pointwise.macs
    if products > MAX_PRODUCTS:
        raise CliError(
            f"--input {format_size(conv.sizes)}: this layer has {products:,} products to derive "
            f"symbolically, more than the {MAX_PRODUCTS:,} symconv derives; the mathematics does not "
            "change with size, so use a smaller --input or fewer channels"
        )
