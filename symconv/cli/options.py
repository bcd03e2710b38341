"""Option values: the types that parse them, and the SPEC options every convolution command shares.

Turns option strings into values and names bad input in the user's words
(options, not API fields).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from symconv.cli.errors import CliError
from symconv.codegen.config import check_name
from symconv.errors import CodegenError, SpecError
from symconv.spec import ConvSpec, Padding

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


# -- parsing option values ----------------------------------------------------------


_SIZE = re.compile(r"\s*-?[0-9]+\s*")
MAX_VALUE = 2**31 - 1  # every size and count must fit a C int/long on any platform


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
    if any(n > MAX_VALUE for n in numbers):
        raise ValueError(f"is too large: symconv takes values up to {MAX_VALUE}")
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
        if number > MAX_VALUE:
            self.fail(f"{number} is too large: symconv takes values up to {MAX_VALUE}", param, ctx)
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
