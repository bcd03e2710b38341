"""The ``symconv`` command line: parse options → build a ConvSpec → call the API → print.

Thin on purpose: the mathematics lives in ``symconv.symbolic``, the layout in
``symconv.render``. This module turns option strings into values, names bad
input in the user's words (options, not API fields), and guarantees the
contract of DESIGN.md: exit 0 on success, 2 on bad input with one line on
stderr, no traceback, and no output file unless the run succeeded.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shlex
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from symconv import __version__
from symconv.codegen import GeneratedCode, default_name, generate
from symconv.codegen.config import DTYPES, TARGETS, check_name
from symconv.codegen.driver import MARKER
from symconv.errors import CodegenError, SpecError, SymconvError
from symconv.render import (
    DEFAULT_MAX_ENTRIES,
    FORMATS,
    LANGUAGES,
    render_latex,
    render_markdown,
    render_separable_text,
    render_text,
)
from symconv.spec import ConvSpec, Padding
from symconv.symbolic import derive as derive_convolution
from symconv.symbolic.separable import SeparableDerivation, derive_separable, separable_specs
from symconv.verify import QUANTITIES, FormulaParseError, load_claims, verify_claims, verify_options

PROG = "symconv"
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE

# How the CLI names each ConvSpec field in messages.
OPTION_OF_FIELD = {
    "input_size": "--input",
    "kernel_size": "--kernel",
    "stride": "--stride",
    "padding": "--padding",
    "dilation": "--dilation",
    "in_channels": "--in-channels",
    "out_channels": "--out-channels",
    "groups": "--groups",
    "bias": "--no-bias",
    "dims": "--dims",
}

F = TypeVar("F", bound=Callable[..., Any])


if TYPE_CHECKING:
    ParamTypeBase = click.ParamType[Any]
else:  # click < 8.5 has no type parameters at run time
    ParamTypeBase = click.ParamType


class CliError(click.ClickException):
    """Bad input found by the CLI itself: printed as one line, exit code 2."""

    exit_code = EXIT_BAD_INPUT


# -- parsing option values ----------------------------------------------------------


_SIZE = re.compile(r"\s*-?\d+\s*")


def parse_sizes(text: str) -> int | tuple[int, ...]:
    """A size given on the command line: one integer, or one per dimension joined by ``x``.

    A single number stays an int (ConvSpec broadcasts it over the dimensions);
    signs are kept so that ConvSpec, which knows the rules, can say what is wrong.

    Example:
        >>> parse_sizes("7"), parse_sizes("7x9"), parse_sizes("4x4x4")
        (7, (7, 9), (4, 4, 4))
        >>> parse_sizes("3x")
        Traceback (most recent call last):
        ...
        ValueError: is not a size: give whole numbers joined by x, e.g. 7 or 7x9
    """
    parts = re.split(r"[x×X]", text)
    if not all(_SIZE.fullmatch(part) for part in parts):
        raise ValueError("is not a size: give whole numbers joined by x, e.g. 7 or 7x9")
    numbers = tuple(int(part) for part in parts)
    return numbers[0] if len(numbers) == 1 else numbers


def cli_value(value: Any) -> str:
    """A value as it is typed on the command line: ``(3, 5)`` → ``3x5``, ``(3, 3)`` → ``3``."""
    if isinstance(value, (tuple, list)):
        if value and all(v == value[0] for v in value):
            return str(value[0])
        return "x".join(str(v) for v in value)
    return str(value)


def _quoted(text: str) -> str:
    """``text`` as typed, quoted only when it would otherwise be invisible or ambiguous."""
    return text if text and not any(c.isspace() for c in text) else repr(text)


class SizeType(ParamTypeBase):
    """``7`` / ``7x9`` / ``4x4x4`` → an int or a tuple of ints."""

    name = "N|NxM"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value  # a default, already a value
        try:
            return parse_sizes(value)
        except ValueError as error:
            self.fail(f"{_quoted(value)} {error}", param, ctx)


class PaddingType(ParamTypeBase):
    """A size, or ``same`` / ``valid``."""

    name = "padding"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        if value.strip().lower() in ("same", "valid"):
            return value.strip().lower()
        try:
            return parse_sizes(value)
        except ValueError:
            self.fail(
                f"{_quoted(value)} is not a padding: give whole numbers joined by x, or same or valid, "
                "e.g. 1, 1x2 or same",
                param, ctx,
            )


class IntType(ParamTypeBase):
    """A whole number, optionally with a lower bound checked here (not a ConvSpec field)."""

    name = "N"

    def __init__(self, minimum: int | None = None) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            number = value
        else:
            try:
                number = int(str(value).strip())
            except ValueError:
                self.fail(f"{_quoted(str(value))} is not a whole number", param, ctx)
        if self.minimum is not None and number < self.minimum:
            self.fail(f"{number} must be ≥ {self.minimum}", param, ctx)
        return number


class ChoiceType(ParamTypeBase):
    """One of a fixed list of words (click's Choice words its message differently across versions)."""

    name = "choice"

    def __init__(self, choices: Sequence[str]) -> None:
        self.choices = tuple(choices)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return f"[{'|'.join(self.choices)}]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value).strip()
        if text not in self.choices:
            self.fail(f"{_quoted(text)} is not one of {', '.join(self.choices)}", param, ctx)
        return text


# -- the SPEC options, shared by every command that takes a convolution ------------------------


@dataclass(frozen=True)
class SpecOptions:
    """The SPEC options as given: ``None`` where the user left an option out."""

    input: int | tuple[int, ...] | None
    kernel: int | tuple[int, ...]
    stride: int | tuple[int, ...]
    padding: Padding
    dilation: int | tuple[int, ...]
    in_channels: int | None
    out_channels: int | None
    groups: int | None
    depthwise: bool
    separable: bool
    dims: int | None
    bias: bool

    def build(self, *, require_input: bool = False) -> ConvSpec:
        """The ConvSpec these options describe (for ``--separable``: the plain layer it replaces).

        Raises CliError, worded with option names, for a missing ``--input`` and
        for any value ConvSpec rejects.
        """
        if require_input and self.input is None:
            raise CliError(
                "--input is missing: this command needs the spatial input size, e.g. --input 7 or "
                "--input 7x9"
            )
        in_channels = 1 if self.in_channels is None else self.in_channels
        groups, out_channels = self.groups, self.out_channels
        if self.depthwise and self.separable:
            raise CliError(
                "--depthwise cannot be combined with --separable: --separable already has a depthwise "
                "stage; drop --depthwise"
            )
        if self.separable and groups is not None:
            raise CliError(
                f"--groups {groups} cannot be combined with --separable: its depthwise stage uses "
                "groups = --in-channels and its 1×1 stage groups 1; drop --groups"
            )
        if self.depthwise:
            if groups is not None and groups != in_channels:
                raise CliError(
                    f"--groups {groups} conflicts with --depthwise, which sets groups to --in-channels "
                    f"{in_channels}: drop one of them"
                )
            groups = in_channels
            out_channels = in_channels if out_channels is None else out_channels
        try:
            return ConvSpec(
                input_size=self.input,
                kernel_size=self.kernel,
                in_channels=in_channels,
                out_channels=1 if out_channels is None else out_channels,
                stride=self.stride,
                padding=self.padding,
                dilation=self.dilation,
                groups=1 if groups is None else groups,
                bias=self.bias,
                dims=self.dims,
            )
        except SpecError as error:
            raise CliError(error.render(self.option_name)) from None

    def option_name(self, field: str, value: Any) -> str:
        """A ConvSpec field and value as the CLI spells them: ``--kernel 3x5``."""
        option = OPTION_OF_FIELD.get(field, field)
        if field == "bias" or value is None:
            return option
        typed = {"input_size": self.input, "kernel_size": self.kernel, "stride": self.stride,
                 "padding": self.padding, "dilation": self.dilation}.get(field)
        if isinstance(value, tuple) and value == typed:
            shown = f"{option} {'x'.join(str(v) for v in value)}"  # as typed: its length may matter
        else:
            shown = f"{option} {cli_value(value)}"
        if field == "groups" and self.depthwise and self.groups is None:
            shown += " (set by --depthwise)"
        return shown


_SPEC_OPTIONS = [
    click.option(
        "--input", "input_", type=SizeType(), metavar="SIZE", default=None,
        help="Spatial input size: one number for every dimension, or one per dimension joined by x: "
        "--input 7, --input 7x9, --input 4x4x4 (3-D). Required by derive; optional for gen, where a "
        "size left open is a run-time argument of the generated code, and for verify, where it "
        "fixes n (a tensor claim sweeps the smallest sizes when it is open).",
    ),
    click.option(
        "--kernel", type=SizeType(), metavar="SIZE", default=3, show_default=True,
        help="Kernel size, like --input: --kernel 3 (3×3 in 2-D), --kernel 3x5.",
    ),
    click.option(
        "--stride", type=SizeType(), metavar="SIZE", default=1, show_default=True,
        help="Step between output positions: --stride 2, or per dimension --stride 2x1.",
    ),
    click.option(
        "--padding", type=PaddingType(), metavar="SIZE|same|valid", default=0, show_default=True,
        help="Zeros added before and after the input in each dimension: --padding 1, --padding 1x2; "
        "or --padding same (output as large as the input, stride 1 only; an odd zero goes after, "
        "as in PyTorch) or --padding valid (no padding).",
    ),
    click.option(
        "--dilation", type=SizeType(), metavar="SIZE", default=1, show_default=True,
        help="Spacing between kernel taps (dilated/atrous convolution): --dilation 2 makes a 3-tap "
        "kernel span 3 + (3-1)(2-1) = 5.",
    ),
    click.option(
        "--in-channels", type=IntType(), default=None,
        help="Input channels C_in (default 1): --in-channels 3 for an RGB image.",
    ),
    click.option(
        "--out-channels", type=IntType(), default=None,
        help="Output channels C_out, one feature map each (default 1, with --depthwise C_in): "
        "--out-channels 8.",
    ),
    click.option(
        "--groups", type=IntType(), default=None,
        help="Split the channels into groups that do not see each other; it must divide both "
        "channel counts (default 1): --in-channels 4 --out-channels 8 --groups 2.",
    ),
    click.option(
        "--depthwise", is_flag=True,
        help="One kernel per input channel: sets --groups to --in-channels, and --out-channels "
        "defaults to --in-channels: --in-channels 3 --depthwise.",
    ),
    click.option(
        "--separable", is_flag=True,
        help="Depthwise-separable layer in place of the plain one: a depthwise stage C_in→C_in "
        "(groups C_in, with the kernel, stride, padding and dilation given), then a 1×1 stage "
        "C_in→C_out. derive compares parameters and MACs with the plain layer; gen writes the stages "
        "as NAME_depthwise and NAME_pointwise: --in-channels 3 --out-channels 8 --separable.",
    ),
    click.option(
        "--dims", type=ChoiceType(["1", "2", "3"]), default=None,
        help="Spatial dimensions (default: as many as the sizes given, else 2): "
        "--dims 1 --input 7 for a 1-D convolution.",
    ),
    click.option(
        "--no-bias", "no_bias", is_flag=True,
        help="Leave out the bias b, so that the layer is the convolution alone: "
        "--input 5 --no-bias.",
    ),
]


def spec_options(command: F) -> F:
    """Add the SPEC options to a command, handing them over as one ``spec: SpecOptions``."""

    @functools.wraps(command)
    def wrapper(
        *args: Any,
        input_: Any, kernel: Any, stride: Any, padding: Any, dilation: Any,
        in_channels: int | None, out_channels: int | None, groups: int | None,
        depthwise: bool, separable: bool, dims: str | None, no_bias: bool,
        **kwargs: Any,
    ) -> Any:
        options = SpecOptions(
            input=input_, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
            in_channels=in_channels, out_channels=out_channels, groups=groups,
            depthwise=depthwise, separable=separable,
            dims=None if dims is None else int(dims), bias=not no_bias,
        )
        return command(*args, spec=options, **kwargs)

    decorated: Any = wrapper
    for option in reversed(_SPEC_OPTIONS):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


# -- output -------------------------------------------------------------------------


def _progress(note: str) -> None:
    """A short note on stderr while slow work runs, only for a person at a terminal."""
    if sys.stderr.isatty():
        click.echo(f"{PROG}: {note}", err=True)


def _check_out(out: Path) -> None:
    """Fail early, before any slow work, when ``--out`` cannot be written."""
    if out.is_dir():
        raise CliError(f"--out {out} is a directory: give a file name")
    if not out.parent.is_dir():
        raise CliError(f"--out {out}: the directory {out.parent} does not exist")


def _stage(text: str, out: Path) -> str:
    """Write ``text`` to a new temp file beside ``out`` (same directory, so os.replace is atomic).

    Returns the temp file's path; on failure nothing is left behind and the OSError propagates.
    """
    fd, temp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return temp


def _write_all(files: dict[Path, str]) -> None:
    """Write every file atomically, all or none as far as the file system allows.

    Every text goes to a temp file first (where a full disk or a missing permission
    shows up); only when all are staged are they moved into place, one os.replace each.
    """
    staged: dict[Path, str] = {}
    try:
        for out, text in files.items():
            staged[out] = _stage(text, out)
        while staged:
            out = next(iter(staged))
            os.replace(staged[out], out)
            del staged[out]
    except OSError as error:
        raise CliError(f"--out {out}: {error.strerror or error}") from None
    finally:
        for temp in staged.values():
            with contextlib.suppress(OSError):
                os.unlink(temp)


def _write(text: str, out: Path | None) -> None:
    """Print ``text``, or write it to ``out`` atomically: a temp file beside it, then os.replace."""
    if out is None:
        try:
            click.echo(text, nl=False)
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away (symconv derive … | head): stop quietly, as if by SIGPIPE.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None
        return
    _write_all({out: text})
    _progress(f"wrote {out}")


# -- commands ---------------------------------------------------------------------------


class HelpFormatter(click.HelpFormatter):
    """click's help layout, but never breaking a line inside ``--in-channels`` and the like."""

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        """Why: click wraps at hyphens, splitting option names across lines in the examples."""
        rows = list(rows)
        first_width = min(max((len(first) for first, _ in rows), default=0), col_max) + col_spacing
        wrapper = textwrap.TextWrapper(
            width=max(self.width - first_width - self.current_indent, 20),
            break_on_hyphens=False,
            break_long_words=False,
        )
        for first, second in rows:
            lead = f"{'':>{self.current_indent}}{first}"
            lines = wrapper.wrap(second) or [""]
            if len(first) > first_width - col_spacing:
                self.write(lead + "\n")
                lead = ""
            pad = " " * (self.current_indent + first_width)
            self.write((lead.ljust(len(pad)) if lead else pad) + lines[0] + "\n")
            for line in lines[1:]:
                self.write(pad + line + "\n")


class Context(click.Context):
    formatter_class = HelpFormatter


class Command(click.Command):
    context_class = Context


class Group(click.Group):
    context_class = Context
    command_class = Command


@click.group(
    name=PROG,
    cls=Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name=PROG, message="%(prog)s %(version)s")
def cli() -> None:
    """The mathematics of convolution layers, derived with SymPy.

    symconv takes a convolution's hyper-parameters (the SPEC options) and derives
    the layer symbolically: the output by the definition, its unrolled (im2col)
    form Ŷ = X̂·K̂, and the back-propagation gradients, proved equal by two
    independent routes; and it generates specialised NumPy and C code for the
    forward and backward pass.

    \b
    Examples:
      symconv derive --input 3 --kernel 2
      symconv derive --input 5 --kernel 3 --stride 2 --padding 1 --backward
      symconv derive --input 7 --in-channels 2 --out-channels 4 --groups 2
      symconv derive --input 6 --in-channels 3 --out-channels 8 --separable
      symconv gen --kernel 3 --dilation 2
    """


@cli.command(short_help="Derive a convolution: sizes, tensors, im2col form Ŷ = X̂·K̂, gradients.")
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
    help="Language of the prose: en, or zh for Chinese, with --format markdown only (pdflatex "
    "cannot typeset Chinese, and the text output is English): --format markdown --lang zh.",
)
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, metavar="FILE",
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
    spec: SpecOptions, backward: bool, fmt: str, lang: str, out: Path | None, max_entries: int
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
    """
    if lang != "en" and fmt != "markdown":
        why = "pdflatex cannot typeset Chinese" if fmt == "tex" else "the text output is English only"
        raise CliError(
            f"--lang {lang} cannot be used with --format {fmt}: {why}; use --format markdown --lang {lang}"
        )
    if out is not None:
        _check_out(out)
    conv = spec.build(require_input=True)
    _progress("deriving …")
    options: dict[str, Any] = {"backward": backward, "max_entries": max_entries, "progress": _progress}
    try:
        d = derive_separable(conv) if spec.separable else derive_convolution(conv)
        if fmt == "markdown":
            text = render_markdown(d, lang=lang, **options)
        elif fmt == "tex":
            text = render_latex(d, **options)
        elif isinstance(d, SeparableDerivation):
            text = render_separable_text(d, **options)
        else:
            text = render_text(d, **options)
    except SpecError as error:
        raise CliError(error.render(spec.option_name)) from None
    _write(text, out)


TARGET_CHOICES = (*TARGETS, "all")
DTYPE_CHOICES = tuple(sorted(DTYPES))  # float32, float64
DEFAULT_OUT = Path("generated")
SEPARABLE_STAGES = ("depthwise", "pointwise")


def _check_name(name: str) -> None:
    """Refuse a ``--name`` that is no C identifier or a C keyword, worded with the option."""
    try:
        check_name(name)
    except CodegenError as error:
        message = str(error)
        prefix = f"name {name!r} "
        shown = f"--name {_quoted(name)}"
        raise CliError(
            f"{shown} {message[len(prefix):]}" if message.startswith(prefix) else f"{shown}: {message}"
        ) from None


def _check_out_dir(out: Path) -> None:
    """``--out`` must be a directory, or not exist yet (it is created)."""
    if out.exists() and not out.is_dir():
        raise CliError(f"--out {out} is not a directory: give a directory, e.g. --out generated")


def _generated_by_symconv(path: Path) -> bool:
    """Whether ``path``'s first line carries the marker every generated file starts with."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(4096)
    except OSError as error:
        reason = error.strerror or error
        raise CliError(f"--out: cannot read {path} to check who wrote it: {reason}") from None
    return MARKER.encode("utf-8") in first


def _check_overwrites(paths: Iterable[Path], force: bool) -> None:
    """Refuse, before anything is written, to replace a directory or a file symconv did not generate."""
    foreign = []
    for path in paths:
        if path.is_dir():
            raise CliError(f"--out: {path} is a directory, so the generated file cannot be written there")
        if path.exists() and not force and not _generated_by_symconv(path):
            foreign.append(str(path))
    if foreign:
        were = "was" if len(foreign) == 1 else "were"
        raise CliError(
            f"refusing to overwrite {', '.join(foreign)}: it {were} not generated by symconv (the first "
            f"line lacks {MARKER!r}); nothing was written; pass --force to replace it, or choose another "
            "--out or --name"
        )


def _make_dirs(out: Path) -> list[Path]:
    """Create ``out`` and its missing parents; the directories created, deepest first."""
    missing = [d for d in (out, *out.parents) if not d.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(f"--out {out}: cannot create the directory: {error.strerror or error}") from None
    return missing


def _usage_hints(out: Path, written: Sequence[GeneratedCode]) -> list[str]:
    """How to use what was written: an import for NumPy, a compile line for C."""
    names = list(dict.fromkeys(code.name for code in written))
    targets = {code.config.target for code in written}
    spec = written[0].spec
    lines = []
    if "numpy" in targets:
        lines.append(f"Python: sys.path.insert(0, {str(out)!r}); import {', '.join(names)}")
        if len(names) == 2:
            depthwise, pointwise = names
            bk, bw = (", b_k", ", b_w") if spec.bias else ("", "")
            lines.append(f"        y = {pointwise}.forward({depthwise}.forward(x, k{bk}), w{bw})")
        else:
            b = ", b" if spec.bias else ""
            size = "" if spec.has_input_size else ", input_size"
            bias = ", .grad_bias(dy)" if spec.bias else ""
            lines.append(
                f"        {names[0]}.forward(x, w{b}), .grad_input(dy, w{size}), .grad_weight(x, dy){bias}"
            )
    if "c" in targets:
        sources = " ".join(shlex.quote(str(out / f"{name}.c")) for name in names)
        headers = ", ".join(f'"{name}.h"' for name in names)
        lines.append(f"C:      cc -std=c99 -O2 -c {sources}   (#include {headers})")
    return lines


@cli.command(short_help="Generate specialised NumPy and C code: forward, grad_input, grad_weight, grad_bias.")
@spec_options
@click.option(
    "--target", type=ChoiceType(TARGET_CHOICES), default="all", show_default=True,
    help="What to generate: --target numpy for one Python module NAME.py (needs numpy only), "
    "--target c for a C99 header NAME.h and source NAME.c (libc only), --target all for both.",
)
@click.option(
    "--dtype", type=ChoiceType(DTYPE_CHOICES), default="float64", show_default=True,
    help="Element type of every array the code takes and returns: --dtype float32 (C float) or "
    "--dtype float64 (C double).",
)
@click.option(
    "--name", default=None, metavar="NAME",
    help="Name of the module and prefix of the C functions; a C identifier, not a C keyword "
    "(default: from the spec, e.g. conv2d_k3_d2 for --kernel 3 --dilation 2): --name blur3. "
    "With --separable the two stages are NAME_depthwise and NAME_pointwise.",
)
@click.option(
    "--out", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True,
    metavar="DIR",
    help="Directory for the files, created if missing; every file is replaced atomically, and if "
    "any file cannot be written none is: --out build/conv.",
)
@click.option(
    "--force", is_flag=True,
    help="Replace existing files that symconv did not generate (their first line lacks "
    "'Generated by symconv'); without --force such a file stops the run: --out src --force.",
)
def gen(spec: SpecOptions, target: str, dtype: str, name: str | None, out: Path, force: bool) -> None:
    """Generate specialised code for a convolution: forward, grad_input, grad_weight, grad_bias.

    Kernel size, stride, padding, dilation, channels and groups are constants in
    the code; the batch size is a run-time argument, and so is the spatial input
    size unless --input fixes it. Every file starts with a comment naming the spec
    and the command that regenerates it. Existing files symconv generated are
    replaced; any other file is left alone unless --force.

    \b
    Examples:
      symconv gen --kernel 3 --dilation 2
      symconv gen --input 3 --kernel 2 --target numpy
      symconv gen --in-channels 4 --out-channels 8 --groups 2 --kernel 3 --stride 2 --padding 1
      symconv gen --in-channels 4 --out-channels 8 --padding 1 --separable --out build
      symconv gen --dims 1 --kernel 5 --padding same --dtype float32 --name smooth5 --target c
    """
    _check_out_dir(out)
    conv = spec.build(require_input=False)
    if name is not None:
        _check_name(name)
    base = default_name(conv) if name is None else name
    try:
        if spec.separable:
            stages = zip(separable_specs(conv), SEPARABLE_STAGES)
            jobs = [(stage, f"{base}_{label}") for stage, label in stages]
        else:
            jobs = [(conv, base)]
        targets = TARGETS if target == "all" else (target,)
        written = [generate(s, target=t, dtype=dtype, name=n) for s, n in jobs for t in targets]
    except SpecError as error:
        raise CliError(error.render(spec.option_name)) from None
    files: dict[Path, str] = {}
    for code in written:
        for filename, text in code.files.items():
            assert out / filename not in files, f"two generated files named {filename}"
            files[out / filename] = text
    _check_overwrites(files, force)
    created = _make_dirs(out)
    try:
        _write_all(files)
    except BaseException:
        for directory in created:  # leave no trace: remove the directories made for this run
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise
    for path in files:
        click.echo(f"wrote {path}")
    click.echo()
    for line in _usage_hints(out, written):
        click.echo(line)


# -- verify ------------------------------------------------------------------------------------

# Parameters that can fix a claim's values, and verify's names for them (CLI spelling, no dashes).
_VERIFY_OPTIONS = {
    "input_": "input", "kernel": "kernel", "stride": "stride", "padding": "padding",
    "dilation": "dilation", "in_channels": "in-channels", "out_channels": "out-channels",
    "groups": "groups", "depthwise": "depthwise", "separable": "separable", "dims": "dims",
    "no_bias": "no-bias", "layers": "layers", "output_padding": "output-padding",
}


def _given_options(ctx: click.Context) -> dict[str, Any]:
    """The options the user typed (a default fixes nothing), as verify names them."""
    typed = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    return {
        name: ctx.params[param] for param, name in _VERIFY_OPTIONS.items()
        if ctx.get_parameter_source(param) in typed
    }


@cli.command(
    name="verify",
    short_help="Check a hand-written formula against the derivation: proved, or refuted with an example.",
)
@click.argument("quantity", required=False)
@click.argument("formula", required=False)
@spec_options
@click.option(
    "--layers", default=None, metavar="K,S,D;...",
    help="receptive-field of a given stack: each layer's kernel, stride and dilation, layers separated "
    "by ; (s and d default to 1); the formula may use k_1, s_1, d_1, k_2, … and L: --layers '3,1,1;3,2,1'.",
)
@click.option(
    "--output-padding", type=IntType(minimum=0), default=None, metavar="A",
    help="Fix the output padding a of transposed-output-size: --output-padding 1.",
)
@click.option(
    "--claims", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE",
    help="Check every claim of a TOML file ([[claim]] tables with quantity, formula and an optional "
    "spec) and print a table; exit 1 if any is refuted: --claims examples/claims-note.toml.",
)
@click.option(
    "--format", "fmt", type=ChoiceType(["text", "json"]), default="text", show_default=True,
    help="Output format: --format json for the result object (verdict, method, domain, counterexample, "
    "correct formula).",
)
def verify_command(
    quantity: str | None, formula: str | None, spec: SpecOptions, layers: str | None,
    output_padding: int | None, claims: Path | None, fmt: str,
) -> int:
    """Check a hand-written FORMULA for QUANTITY against what symconv derives.

    Exit 0 when the formula holds (proved symbolically, or checked exhaustively
    on a bounded domain that is printed), 1 when it is refuted (with the smallest
    counterexample, the claimed and the true value, and the correct formula), 2
    for bad input.

    \b
    Scalar quantities, formulas in n k s p d (r = d) c_in c_out g a L:
      output-size  effective-kernel  receptive-field  params  macs
      transposed-output-size  im2col-shape (a tuple: rows, columns)
    SPEC options given fix variables (--dilation 1 fixes d); defaults fix nothing.
    Tensor quantities, formulas in x W b delta with conv pad crop dilate rot180
    sum hadamard (A * B of two tensors is the note's conv):
      forward  grad-input  grad-weight  grad-bias
    Checked exactly for the spec the SPEC options make (an open --input is swept),
    or on a sweep of small specs when no SPEC option is given.
    Formulas in SymPy syntax or LaTeX (detected by a backslash or brace).

    \b
    Examples:
      symconv verify effective-kernel "k+(r-1)*(k+1)"
      symconv verify output-size '\\left\\lfloor \\frac{n+2p-k}{s} \\right\\rfloor + 1' --dilation 1
      symconv verify receptive-field "1 + L*(k-1)" --stride 1 --dilation 1
      symconv verify grad-input "conv(pad(delta, k-1), rot180(W))" --input 3 --kernel 2
      symconv verify grad-bias "sum(delta)"
      symconv verify --claims examples/claims-note.toml
    """
    ctx = click.get_current_context()
    given = _given_options(ctx)
    try:
        if claims is not None:
            if quantity is not None or given:
                raise CliError("--claims takes every claim, with its spec, from FILE: give no QUANTITY, "
                               "FORMULA or SPEC options with it")
            _progress("checking the claims …")
            report = verify_claims(load_claims(claims), str(claims))
            holds, text, data = report.holds, report.table(), report.to_dict()
        else:
            if quantity is None or formula is None:
                raise CliError(f"{'FORMULA' if quantity else 'QUANTITY'} is missing: give QUANTITY and "
                               f"FORMULA, or --claims FILE; the quantities are {', '.join(QUANTITIES)}")
            _progress("checking …")
            result = verify_options(quantity, formula, given)
            holds, text, data = result.holds, result.report(), result.to_dict()
    except FormulaParseError as error:  # the one error with more than one line: the caret
        click.echo(f"{PROG}: error: {error.message}", err=True)
        for line in error.caret_lines():
            click.echo(f"  {line}", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    except SymconvError as error:
        raise CliError(str(error)) from None
    if fmt == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    _write(text, None)
    return 0 if holds else 1


# -- entry point ------------------------------------------------------------------------------


def _error(message: str) -> int:
    """Print ``symconv: error: …`` as one line on stderr; the exit code for bad input."""
    one_line = " ".join(message.split())
    click.echo(f"{PROG}: error: {one_line}", err=True)
    return EXIT_BAD_INPUT


def _option_of(param: click.Parameter | None) -> str | None:
    """The long name of an option (``--input``), or an argument's metavar."""
    if param is None:
        return None
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return param.human_readable_name


def _usage_message(error: click.UsageError) -> str:
    """One line for click's own usage errors, in the style of the CLI's other errors."""
    if isinstance(error, click.BadParameter) and not isinstance(error, click.MissingParameter):
        hint = error.param_hint if isinstance(error.param_hint, str) else _option_of(error.param)
        return f"{hint} {error.message}" if hint else error.message
    message = error.format_message()
    if error.ctx is not None:
        message += f" (see '{error.ctx.command_path} --help')"
    return message


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default: the process arguments) and return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:  # bare `symconv`: the help, not an error
        with cli.make_context(PROG, ["--help"], resilient_parsing=True) as ctx:
            click.echo(cli.get_help(ctx))
        return 0
    try:
        result = cli.main(args, prog_name=PROG, standalone_mode=False)
    except click.UsageError as error:
        return _error(_usage_message(error))
    except click.ClickException as error:
        return _error(error.format_message())
    except SymconvError as error:  # a check inside the API that the CLI did not anticipate
        return _error(str(error))
    except click.Abort:
        click.echo(f"{PROG}: interrupted", err=True)
        return EXIT_INTERRUPTED
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
