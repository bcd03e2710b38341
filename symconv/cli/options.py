"""Option values on the command line: click types over the shared parsers, and the SPEC options.

The parsing and the rules live in ``symconv.options`` (shared with claim files);
this module wraps them for click and words bad input as one line naming the
option, as the user typed it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from symconv.cli.errors import CliError
from symconv.codegen.config import MAX_NAME, check_name, check_threads
from symconv.errors import CodegenError, OptionError
from symconv.options import (
    SPEC_OPTIONS,
    SpecValues,
    build_spec,
    cli_words,
    parse_dims,
    parse_padding,
    parse_size,
    parse_whole,
    read_options,
)
from symconv.spec import ConvSpec

F = TypeVar("F", bound=Callable[..., Any])


if TYPE_CHECKING:
    ParamTypeBase = click.ParamType[Any]
else:  # click < 8.5 has no type parameters at run time
    ParamTypeBase = click.ParamType


# -- parsing option values ----------------------------------------------------------


def _quoted(text: str) -> str:
    """``text`` as typed, quoted only when it would otherwise be invisible or ambiguous."""
    return text if text and not any(c.isspace() for c in text) else repr(text)


class SharedType(ParamTypeBase):
    """A value parsed by one of ``symconv.options``' parsers; its ValueError becomes click's one line."""

    name = "value"

    def parse(self, value: Any) -> Any:
        raise NotImplementedError

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return self.parse(value)
        except ValueError as error:
            self.fail(f"{_quoted(str(value))} {error}", param, ctx)


class SizeType(SharedType):
    """``7`` / ``7x9`` / ``4x4x4`` → an int or a tuple of ints."""

    name = "N|NxM"

    def parse(self, value: Any) -> Any:
        return parse_size(value)


class PaddingType(SharedType):
    """A size, or ``same`` / ``valid``."""

    name = "padding"

    def parse(self, value: Any) -> Any:
        return parse_padding(value)


class IntType(SharedType):
    """A whole number, optionally with a lower bound checked here (not a ConvSpec field)."""

    name = "N"

    def __init__(self, minimum: int | None = None) -> None:
        self.minimum = minimum

    def parse(self, value: Any) -> Any:
        return parse_whole(value, self.minimum)


class DimsType(SharedType):
    """``--dims``: 1, 2 or 3."""

    name = "dims"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[1|2|3]"

    def parse(self, value: Any) -> Any:
        return parse_dims(value)


class OutPath(click.Path):
    """``--out``: a path, never the empty word (which would silently mean the current directory)."""

    def __init__(self, what: str) -> None:
        super().__init__(path_type=Path)
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail(f"{value!r} is empty: give {self.what}", param, ctx)
        return super().convert(value, param, ctx)


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


def _check_name(name: str) -> None:
    """Refuse a ``--name`` that is no C identifier or a C keyword, worded with the option."""
    try:
        check_name(name)
    except CodegenError as error:
        message = str(error)
        prefix = f"name {name!r} "
        shown = f"--name {_quoted(name)}"
        if len(name) > MAX_NAME:  # the message shows its start only
            prefix, shown = f"name {name[:20]}… ", f"--name {name[:20]}…"
        raise CliError(
            f"{shown} {message[len(prefix):]}" if message.startswith(prefix) else f"{shown}: {message}"
        ) from None


def _check_threads(threads: int, target: str) -> None:
    """Refuse a ``--threads`` out of range, or above 1 for the NumPy target alone, worded with the option."""
    try:
        check_threads(threads, target)
    except CodegenError as error:
        message = str(error)
        for api, option in (("threads=2", "--threads 2"), ("target='c'", "--target c or all"),
                            ("leave threads", "leave --threads")):
            message = message.replace(api, option)
        prefix = f"threads {threads!r} "
        raise CliError(f"--threads {threads} {message[len(prefix):]}" if message.startswith(prefix)
                       else f"--threads {threads}: {message}") from None


# -- the SPEC options, shared by every command that takes a convolution ------------------------


@dataclass(frozen=True)
class SpecOptions:
    """The SPEC options as given on the command line (an option left out is absent)."""

    values: SpecValues

    @property
    def separable(self) -> bool:
        return self.values.separable

    def build(self, *, require_input: bool = False) -> ConvSpec:
        """The ConvSpec these options describe (for ``--separable``: the plain layer it replaces).

        Raises CliError, worded with option names, for a missing ``--input`` and
        for any value the shared rules or ConvSpec reject.
        """
        if require_input and self.values.get("input") is None:
            raise CliError(
                "--input is missing: this command needs the spatial input size, e.g. --input 7 or "
                "--input 7x9"
            )
        try:
            return build_spec(self.values, cli_words)
        except OptionError as error:
            raise CliError(str(error)) from None

    def option_name(self, field: str, value: Any) -> str:
        """A ConvSpec field and value as the CLI spells them: ``--kernel 3x5``."""
        return self.values.naming(cli_words)(field, value)


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
        "--dims", type=DimsType(), default=None,
        help="Spatial dimensions (default: as many as the sizes given, else 2): "
        "--dims 1 --input 7 for a 1-D convolution.",
    ),
    click.option(
        "--no-bias", "no_bias", is_flag=True,
        help="Leave out the bias b, so that the layer is the convolution alone: "
        "--input 5 --no-bias.",
    ),
]


# The click parameter of each SPEC option: ``--input`` is ``input_`` (``input`` is a builtin).
_PARAMS = {option.key: "input_" if option.key == "input" else option.key.replace("-", "_")
           for option in SPEC_OPTIONS}
_TYPED = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)


def _add_spec_options(
    command: Callable[..., Any], hand_over: Callable[[dict[str, Any]], Any], typed_only: bool, name: str
) -> Any:
    """``command`` with the SPEC options, handed over as ``name=hand_over({key: value})``."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        given = {}
        for key, param in _PARAMS.items():
            value = kwargs.pop(param)
            if value is not None and (not typed_only or ctx.get_parameter_source(param) in _TYPED):
                given[key] = value
        return command(*args, **{name: hand_over(given)}, **kwargs)

    decorated: Any = wrapper
    for option in reversed(_SPEC_OPTIONS):
        decorated = option(decorated)
    return decorated


def _spec_of(given: dict[str, Any]) -> SpecOptions:
    try:
        return SpecOptions(read_options(given, cli_words))
    except OptionError as error:
        raise CliError(str(error)) from None


def spec_options(command: F) -> F:
    """Add the SPEC options to a command, handing them over as one ``spec: SpecOptions``."""
    return _add_spec_options(command, _spec_of, typed_only=False, name="spec")  # type: ignore[no-any-return]


def typed_spec_options(command: F) -> F:
    """Add the SPEC options to a command, handing over ``given``: those the user typed, by claim-file key.

    A default fixes nothing: ``symconv verify`` checks a formula for every value
    an option left out may take.
    """
    return _add_spec_options(command, dict, typed_only=True, name="given")  # type: ignore[no-any-return]
