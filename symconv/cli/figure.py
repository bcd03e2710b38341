"""``symconv figure KIND``: build the spec → the figure model → print it as SVG or TikZ."""

from __future__ import annotations

from pathlib import Path

import click

from symconv.cli.errors import CliError
from symconv.cli.help import Command
from symconv.cli.options import ChoiceType, OutPath, SpecOptions, spec_options
from symconv.cli.output import _check_out, _write
from symconv.errors import FigureError
from symconv.figures import KINDS, figure


@click.command(
    "figure", cls=Command,
    short_help="Draw a figure of a layer (sliding window, im2col, groups, …) as SVG or TikZ.",
)
@click.argument("kind", type=ChoiceType(list(KINDS)), metavar="KIND")
@spec_options
@click.option(
    "--format", "fmt", type=ChoiceType(["svg", "tikz"]), default="svg", show_default=True,
    help="Output format: --format svg for a picture (the sliding window animates in a browser and on "
    "GitHub, no script needed), --format tikz for a tikzpicture to put in a LaTeX document.",
)
@click.option(
    "--strip", is_flag=True,
    help="For the sliding window: its frames side by side instead of animated, for print: --strip "
    "(TikZ is always a strip).",
)
@click.option(
    "--backward", is_flag=True,
    help="For the sliding window: slide the input gradient's window instead — the turned kernel over "
    "the zero-inserted (stride), fully padded error, the transposed convolution the closed form "
    "states: --backward.",
)
@click.option(
    "--lang", type=ChoiceType(["en", "zh"]), default="en", show_default=True,
    help="Language of the titles: en, or zh for Chinese (TikZ in Chinese needs XeLaTeX and ctex): "
    "--lang zh.",
)
@click.option(
    "--out", type=OutPath("a file name, e.g. --out sliding.svg"), default=None, metavar="FILE",
    help="Write the figure to FILE instead of printing it: --out sliding.svg.",
)
def figure_command(
    kind: str, spec: SpecOptions, fmt: str, strip: bool, backward: bool, lang: str, out: Path | None
) -> None:
    """Draw KIND for a layer, from its index algebra: which input each tap of each output reads.

    \b
    KIND:
      sliding   the kernel's positions over the padded input, one frame per output position
                (--backward: the turned kernel over the zero-inserted, padded error)
      dilation  the kernel and the dilated kernel, its holes and its span k + (k-1)(d-1)
      backward  the error zero-inserted and fully padded, and the turned kernel: the input
                gradient's closed form
      im2col    one window of the input and the row of X̂ it becomes, K̂ and Ŷ = X̂ K̂
      conv      the input maps, a row of C_in/g kernels per output channel, the output maps
      groups    which output channel reads which input channel (the groups' blocks)
      depthwise, pointwise, separable
                the stages of a depthwise-separable layer, and both side by side

    \b
    Examples:
      symconv figure sliding --input 5 --kernel 3 --stride 2 --padding 1 --out sliding.svg
      symconv figure sliding --input 7 --kernel 3 --dilation 2 --strip --out strip.svg
      symconv figure sliding --input 5 --kernel 3 --stride 2 --backward --out transposed.svg
      symconv figure dilation --kernel 3 --dilation 2 --format tikz --out dilation.tex
    """
    if backward and kind != "sliding":
        raise CliError(f"--backward is for KIND sliding, not {kind}: the backward kind draws the error and "
                       "the turned kernel without it")
    if out is not None:
        _check_out(out)
    conv = spec.build(require_input=kind == "sliding")
    try:
        drawing = figure(conv, kind, lang, backward)
        text = drawing.tikz() if fmt == "tikz" else drawing.svg(strip=strip)
    except FigureError as error:
        raise CliError(str(error)) from None
    _write(text, out)
