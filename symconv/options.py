"""The SPEC options, parsed once: for the command line and for the spec tables of claim files.

One table says which ConvSpec field each SPEC option sets, with its name as the
CLI writes it (``--in-channels``) and its key as a claim file writes it
(``in-channels``). One parser per kind of value (sizes, padding, whole numbers,
flags, dims), one depthwise rule, one separable rule and one function building
the ConvSpec. Errors are worded by the caller's :data:`Words` — :func:`cli_words`
(``--groups 3 does not divide --in-channels 4``) or :func:`claim_words`
(``groups = 3 does not divide in-channels = 4``) — so both read alike.

This module knows nothing of click: ``symconv.cli.options`` wraps the parsers in
click parameter types, ``symconv.verify.options`` reads claim files with them.

Example:
    >>> parse_size("7x9"), parse_padding("same"), parse_whole("8")
    ((7, 9), 'same', 8)
    >>> values = read_options({"in-channels": 4, "groups": 3}, claim_words)
    >>> build_spec(values, claim_words)
    Traceback (most recent call last):
    ...
    symconv.errors.OptionError: groups = 3 does not divide in-channels = 4
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from symconv.errors import OptionError, SpecError
from symconv.spec import MAX_VALUE, TOO_LARGE, ConvSpec

PADDING_WORDS = ("same", "valid")

# The rules a bad value breaks, said once: callers put the option (and the value as written) first.
NOT_A_SIZE = "is not a size: give a whole number, or one per dimension joined by x, e.g. 7 or 7x9"
NOT_A_PADDING = (
    "is not a padding: give a whole number, one per dimension joined by x, or same or valid, "
    "e.g. 1, 1x2 or same"
)
NOT_WHOLE = "is not a whole number"
NOT_A_FLAG = "must be true or false"
NOT_DIMS = "must be 1, 2 or 3"

Words = Callable[[str, Any], str]
"""How a caller names an option and its value: ``(key, value or None) → text``."""


def _joined(value: Any) -> str:
    """A value as typed: ``(3, 5)`` → ``3x5``, other values as they print."""
    if isinstance(value, (tuple, list)):
        return "x".join(str(v) for v in value)
    return str(value)


def cli_words(key: str, value: Any) -> str:
    """An option as the command line writes it: ``--kernel 3x5``; a flag or no value: ``--depthwise``."""
    if value is None or isinstance(value, bool):
        return f"--{key}"
    return f"--{key} {_joined(value)}"


def claim_words(key: str, value: Any) -> str:
    """An option as a claim file's spec table writes it: ``kernel = '3x5'``; no value: ``kernel``."""
    if value is None:
        return key
    if isinstance(value, bool):
        return f"{key} = {str(value).lower()}"
    return f"{key} = {(_joined(value) if isinstance(value, tuple) else value)!r}"


# -- parsing one value ----------------------------------------------------------------------


_WHOLE = re.compile(r"\s*[+-]?[0-9]+\s*")  # ASCII digits only: int() would also take ３ or 1_000
_SEPARATOR = re.compile(r"[x×X]")


def _number(value: Any, rule: str) -> int:
    """An int from a string of ASCII digits or an integer (never a bool); ValueError(rule) if not one."""
    if isinstance(value, bool):
        raise ValueError(rule)
    if isinstance(value, str):
        if not _WHOLE.fullmatch(value):
            raise ValueError(rule)
        number = int(value.strip())  # int() takes less white space than \s (not the separators \x1c-\x1f)
    else:
        try:
            number = operator.index(value)
        except TypeError:
            raise ValueError(rule) from None
    if number > MAX_VALUE:
        raise ValueError(TOO_LARGE)
    return number


def parse_whole(value: Any, minimum: int | None = None) -> int:
    """A whole number (``8``, or 8 from a claim file), at least ``minimum`` if one is given.

    Example:
        >>> parse_whole(" 8 "), parse_whole(8)
        (8, 8)
        >>> parse_whole("-1", minimum=0)
        Traceback (most recent call last):
        ...
        ValueError: must be ≥ 0
    """
    number = _number(value, NOT_WHOLE)
    if minimum is not None and number < minimum:
        raise ValueError(f"must be ≥ {minimum}")
    return number


def parse_size(value: Any) -> int | tuple[int, ...]:
    """A size: one whole number, or one per dimension joined by ``x`` (or a list of them).

    A single number stays an int (ConvSpec broadcasts it over the dimensions);
    signs are kept so that ConvSpec, which knows the rules, can say what is wrong.

    Example:
        >>> parse_size("7"), parse_size("7x9"), parse_size("4x4x4"), parse_size([5, 5])
        (7, (7, 9), (4, 4, 4), (5, 5))
        >>> parse_size("3x")
        Traceback (most recent call last):
        ...
        ValueError: is not a size: give a whole number, or one per dimension joined by x, e.g. 7 or 7x9
    """
    if isinstance(value, str):
        items: list[Any] = _SEPARATOR.split(value)
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = [value]
    if not items:
        raise ValueError(NOT_A_SIZE)
    numbers = tuple(_number(item, NOT_A_SIZE) for item in items)
    return numbers[0] if len(numbers) == 1 else numbers


def parse_padding(value: Any) -> int | tuple[int, ...] | str:
    """A padding: a size, or ``same`` / ``valid`` (any case).

    Example:
        >>> parse_padding("1x2"), parse_padding(" Same ")
        ((1, 2), 'same')
    """
    if isinstance(value, str) and value.strip().lower() in PADDING_WORDS:
        return value.strip().lower()
    try:
        return parse_size(value)
    except ValueError as error:
        if str(error) == TOO_LARGE:
            raise
        raise ValueError(NOT_A_PADDING) from None


def parse_flag(value: Any) -> bool:
    """A flag: true or false, nothing else (a claim file's ``depthwise = "no"`` is refused)."""
    if not isinstance(value, bool):
        raise ValueError(NOT_A_FLAG)
    return value


def parse_dims(value: Any) -> int:
    """The number of spatial dimensions: 1, 2 or 3."""
    try:
        dims = _number(value, NOT_DIMS)
    except ValueError:
        raise ValueError(NOT_DIMS) from None
    if dims not in (1, 2, 3):
        raise ValueError(NOT_DIMS)
    return dims


def parse_value(parser: Callable[[Any], Any], key: str, value: Any, words: Words) -> Any:
    """``parser(value)``, or OptionError naming the option and the value as written: ``--input 3x is …``."""
    try:
        return parser(value)
    except ValueError as error:
        raise OptionError(f"{words(key, value)} {error}") from None


# -- the table of SPEC options ----------------------------------------------------------------


Kind = Literal["size", "padding", "whole", "flag", "dims"]
PARSERS: Mapping[Kind, Callable[[Any], Any]] = {
    "size": parse_size, "padding": parse_padding, "whole": parse_whole, "flag": parse_flag,
    "dims": parse_dims,
}


@dataclass(frozen=True)
class SpecOption:
    """One SPEC option: its claim-file key, the ConvSpec field it sets (None: a rule) and its kind."""

    key: str
    field: str | None
    kind: Kind

    @property
    def cli(self) -> str:
        """The option as the command line writes it: ``--in-channels``."""
        return f"--{self.key}"


SPEC_OPTIONS = (
    SpecOption("input", "input_size", "size"),
    SpecOption("kernel", "kernel_size", "size"),
    SpecOption("stride", "stride", "size"),
    SpecOption("padding", "padding", "padding"),
    SpecOption("dilation", "dilation", "size"),
    SpecOption("in-channels", "in_channels", "whole"),
    SpecOption("out-channels", "out_channels", "whole"),
    SpecOption("groups", "groups", "whole"),
    SpecOption("depthwise", None, "flag"),
    SpecOption("separable", None, "flag"),
    SpecOption("dims", "dims", "dims"),
    SpecOption("no-bias", "bias", "flag"),  # sets bias to its negation
)
OPTIONS = {option.key: option for option in SPEC_OPTIONS}
OPTION_OF_FIELD = {option.field: option.key for option in SPEC_OPTIONS if option.field is not None}
PER_DIMENSION = tuple(option.key for option in SPEC_OPTIONS if option.kind in ("size", "padding"))


def _collapsed(value: Any) -> Any:
    """A per-dimension tuple with equal entries as one int, as ConvSpec broadcasts it."""
    if isinstance(value, tuple) and value and all(v == value[0] for v in value):
        return value[0]
    return value


@dataclass(frozen=True)
class SpecValues:
    """SPEC options as given: ``given`` holds the parsed values, ``typed`` the same as written.

    Both are keyed as claim files write options (``in-channels``); an option
    left out is absent, and ConvSpec's default applies.
    """

    given: Mapping[str, Any]
    typed: Mapping[str, Any]

    def get(self, key: str) -> Any:
        return self.given.get(key)

    @property
    def depthwise(self) -> bool:
        return bool(self.given.get("depthwise"))

    @property
    def separable(self) -> bool:
        return bool(self.given.get("separable"))

    def naming(self, words: Words) -> Callable[[str, Any], str]:
        """How :meth:`SpecError.render` names a ConvSpec field: as the option, with the value as written."""

        def name(field: str, value: Any) -> str:
            key = OPTION_OF_FIELD.get(field, field)
            if field == "bias" or value is None:
                return words(key, None)
            same = key in self.given and self.given[key] == value
            text = words(key, self.typed[key] if same else _collapsed(value))
            if field == "groups" and self.depthwise and "groups" not in self.given:
                text += f" (set by {words('depthwise', None)})"
            return text

        return name


def read_options(options: Mapping[str, Any], words: Words) -> SpecValues:
    """Parse SPEC options given as ``{key: value}`` (strings as typed, or a TOML file's values).

    Raises OptionError, worded by ``words``, for an unknown key or a value that
    is no value of its kind; the rules between values are :func:`build_spec`'s.
    """
    given: dict[str, Any] = {}
    for key, value in options.items():
        option = OPTIONS.get(key)
        if option is None:
            raise OptionError(f"unknown option {words(key, None)}: the SPEC options are "
                              f"{', '.join(OPTIONS)}")
        given[key] = parse_value(PARSERS[option.kind], key, value, words)
    return SpecValues(given, dict(options))


# -- the rules between options, and the ConvSpec --------------------------------------------------


def depthwise_rule(values: SpecValues, words: Words, *, channels_open: bool = False) -> tuple[int, int]:
    """``--depthwise``: groups = C_in, and C_out defaults to C_in; a ``--groups`` that differs is refused.

    Returns (groups, out_channels) for the ConvSpec. ``channels_open``: C_in left
    out is a free variable (a scalar claim), not ConvSpec's default 1; only the
    conflict is checked then.
    """
    in_channels = values.get("in-channels")
    groups = values.get("groups")
    channels = 1 if in_channels is None else in_channels
    if groups is not None and groups != (in_channels if channels_open else channels):
        if in_channels is not None:
            which = words("in-channels", values.typed["in-channels"])
        else:
            which = f"{words('in-channels', None)}, {'left open' if channels_open else '1 by default'}"
        raise OptionError(
            f"{words('groups', values.typed['groups'])} conflicts with {words('depthwise', None)}, which "
            f"sets groups to the input channels ({which}): drop one of them"
        )
    out_channels = values.get("out-channels")
    return channels, channels if out_channels is None else out_channels


def separable_rule(values: SpecValues, words: Words) -> None:
    """``--separable`` brings its own depthwise stage: refuse ``--depthwise`` and ``--groups`` with it."""
    if not values.separable:
        return
    separable = words("separable", None)
    if values.depthwise:
        depthwise = words("depthwise", None)
        raise OptionError(
            f"{depthwise} cannot be combined with {separable}: {separable} already has a depthwise "
            f"stage; drop {depthwise}"
        )
    if values.get("groups") is not None:
        raise OptionError(
            f"{words('groups', values.typed['groups'])} cannot be combined with {separable}: its "
            f"depthwise stage uses groups = {words('in-channels', None)} and its 1×1 stage groups 1; "
            f"drop {words('groups', None)}"
        )


def build_spec(values: SpecValues, words: Words) -> ConvSpec:
    """The ConvSpec the options describe (for ``separable``: the plain layer it replaces).

    Raises OptionError, worded by ``words``, for any value ConvSpec or the rules refuse.
    """
    separable_rule(values, words)
    fields: dict[str, Any] = {}
    for key, value in values.given.items():
        field = OPTIONS[key].field
        if field is not None:
            fields[field] = not value if key == "no-bias" else value
    if values.depthwise:
        fields["groups"], fields["out_channels"] = depthwise_rule(values, words)
    try:
        return ConvSpec(**fields)
    except SpecError as error:
        raise OptionError(error.render(values.naming(words))) from None
