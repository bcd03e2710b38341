"""What a claim is checked for: the fixed values, from the API, the SPEC options or a claims file.

For a scalar quantity each value given fixes one variable (``--dilation 1`` fixes
``d``) and the others range over the quantity's bounded domain. For a tensor
quantity the values given make one convolution, the rest taking ConvSpec's
defaults, and an open input size is swept over its smallest values; with
nothing given, the claim is checked on a sweep of small specs.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from symconv.errors import ClaimError, SpecError
from symconv.spec import ConvSpec
from symconv.verify.quantities import SCALARS, VARIABLES
from symconv.verify.tensors import TENSOR_QUANTITIES, input_sweep, sweep_specs

QUANTITIES = (*SCALARS, *TENSOR_QUANTITIES)

# The options a claim may give (CLI spelling without the dashes), and the variable each fixes.
OPTION_VARIABLES = {
    "input": "n", "kernel": "k", "stride": "s", "padding": "p", "dilation": "d",
    "in-channels": "c_in", "out-channels": "c_out", "groups": "g", "output-padding": "a",
}
FLAGS = ("depthwise", "separable", "no-bias", "bias")  # true or false, nothing else
PER_DIMENSION = ("input", "kernel", "stride", "padding", "dilation")  # may be given per dimension, 7x9
OPTIONS = (*OPTION_VARIABLES, "depthwise", "separable", "dims", "no-bias", "layers")
_FIELD_OPTIONS = {  # ConvSpec field → option, for SpecError messages
    "input_size": "input", "kernel_size": "kernel", "stride": "stride", "padding": "padding",
    "dilation": "dilation", "in_channels": "in-channels", "out_channels": "out-channels",
    "groups": "groups", "bias": "no-bias", "dims": "dims",
}
_API_NAMES = {"input_size": "n", "kernel_size": "k", "stride": "s", "padding": "p", "dilation": "d",
              "in_channels": "c_in", "out_channels": "c_out", "groups": "g"}

Layer = tuple[int, int, int]


@dataclass(frozen=True)
class Setting:
    """The fixed values of a claim, ready for either kind of quantity."""

    fixed: Mapping[str, int] = field(default_factory=dict)  # scalar variables
    dims: int | None = None
    bias: bool | None = None
    depthwise: bool = False
    layers: tuple[Layer, ...] | None = None
    specs: tuple[ConvSpec, ...] = ()  # tensor quantities: the specs to check on
    named: Mapping[str, str] = field(default_factory=dict)  # variable → how the user named it


def quantity_name(text: str) -> str:
    """The canonical name of a quantity (``output_size`` and ``Output-Size`` → ``output-size``)."""
    name = str(text).strip().lower().replace("_", "-")
    if name not in QUANTITIES:
        raise ClaimError(f"unknown quantity {text!r}: the quantities are {', '.join(QUANTITIES)}")
    return name


def parse_layers(text: str | Sequence[Any], label: str = "--layers") -> tuple[Layer, ...]:
    """``"3,1,1;3,2,1"`` (k,s,d per layer; s and d default to 1) → ((3, 1, 1), (3, 2, 1)).

    Example:
        >>> parse_layers("3;3,2;3,1,2")
        ((3, 1, 1), (3, 2, 1), (3, 1, 2))
    """
    if isinstance(text, str):
        parts: list[Any] = [p for p in text.split(";")]
        if parts and not parts[-1].strip():
            parts.pop()  # a trailing ;
    else:
        parts = list(text)
    if not parts:
        raise ClaimError(f"{label} is empty: give k,s,d per layer, layers separated by ;, e.g. 3,1,1;3,2,1")
    layers = []
    for i, part in enumerate(parts, start=1):
        items = [x.strip() for x in part.split(",")] if isinstance(part, str) else list(part)
        try:
            numbers = [int(x) if not isinstance(x, bool) else None for x in items]
        except (TypeError, ValueError):
            numbers = [None]
        if not 1 <= len(numbers) <= 3 or any(v is None or v < 1 for v in numbers):
            raise ClaimError(
                f"{label}: layer {i} ({part!r}) is not k[,s[,d]] with whole numbers ≥ 1; "
                "e.g. --layers 3,1,1;3,2,1"
            )
        k, s, d = [*(v for v in numbers if v is not None), 1, 1][:3]
        layers.append((k, s, d))
    return tuple(layers)


# -- from the API ------------------------------------------------------------------------------------


def setting_from_api(
    quantity: str,
    spec: ConvSpec | None,
    fixed: Mapping[str, Any],
    layers: str | Sequence[Any] | None,
    dims: int | None,
    bias: bool | None,
) -> Setting:
    """The Setting for ``verify(quantity, formula, spec, layers=…, dims=…, bias=…, **fixed)``."""
    if spec is not None and not isinstance(spec, ConvSpec):
        raise ClaimError(f"spec must be a ConvSpec, not {type(spec).__name__}")
    values: dict[str, int] = {}
    for name, value in fixed.items():
        var = "d" if name == "r" else name
        if var not in VARIABLES:
            raise ClaimError(f"unknown variable {name!r}: the variables are {', '.join(VARIABLES)} (r = d)")
        values[var] = _whole(f"{name}={value!r}", value, VARIABLES[var][1])
    if quantity in TENSOR_QUANTITIES:
        return _tensor_from_api(spec, values, layers, dims, bias)
    if layers is not None:
        if quantity != "receptive-field":
            raise ClaimError("layers is for receptive-field only")
        clash = sorted(set(values) & {"k", "s", "d"}) or (["spec"] if spec is not None else [])
        if clash:
            raise ClaimError(f"{clash[0]} conflicts with layers, which gives each layer's k, s, d")
    if spec is not None:
        for var, value in _spec_values(spec).items():
            if var in values and values[var] != value:
                raise ClaimError(f"{var}={values[var]} conflicts with the spec, where {var} = {value}")
            values[var] = value
        dims = spec.ndim if dims is None else dims
        bias = spec.bias if bias is None else bias
    stack = None if layers is None else parse_layers(layers, "layers")
    return Setting(values, dims, bias, False, stack, (), {v: v for v in values})


def _whole(label: str, value: Any, minimum: int) -> int:
    try:
        number = operator.index(value) if not isinstance(value, bool) else None
    except TypeError:
        number = None
    if number is None:
        raise ClaimError(f"{label} must be a whole number")
    if number < minimum:
        raise ClaimError(f"{label} must be ≥ {minimum}")
    return number


def _uniform(label: str, value: tuple[int, ...]) -> int:
    if len(set(value)) != 1:
        shown = "x".join(str(v) for v in value)
        raise ClaimError(f"{label} {shown} differs between dimensions, but a formula has one value for "
                         "every dimension: give one number")
    return value[0]


def _spec_values(spec: ConvSpec) -> dict[str, int]:
    """The variables a ConvSpec fixes."""
    values = {
        "k": _uniform("kernel_size", spec.kernel),
        "s": _uniform("stride", spec.strides),
        "d": _uniform("dilation", spec.dilations),
        "c_in": spec.in_channels, "c_out": spec.out_channels, "g": spec.groups,
    }
    if spec.pad_before != spec.pad_after:
        raise ClaimError(
            f"padding {spec.padding!r} pads {spec.pad_before} before and {spec.pad_after} after: "
            "a formula's p pads both sides alike"
        )
    values["p"] = _uniform("padding", spec.pad_before)
    if spec.has_input_size:
        values["n"] = _uniform("input_size", spec.sizes)
    return values


def _tensor_from_api(
    spec: ConvSpec | None, values: Mapping[str, int], layers: Any, dims: int | None, bias: bool | None
) -> Setting:
    if layers is not None:
        raise ClaimError("layers is for receptive-field only")
    for var in ("a", "L"):
        if var in values:
            raise ClaimError(f"{var} is not a variable of tensor quantities")
    if spec is not None and (values or dims is not None or bias is not None):
        raise ClaimError("give either a spec or fixed values (n=…, k=…), not both")
    if spec is None and (values or dims is not None or bias is not None):
        fields: dict[str, Any] = {field_: values[var] for field_, var in _API_NAMES.items() if var in values}
        if dims is not None:
            fields["dims"] = dims
        if bias is not None:
            fields["bias"] = bias
        try:
            spec = ConvSpec(**fields)
        except SpecError as error:
            raise ClaimError(error.render(lambda f, v: f"{_API_NAMES.get(f, f)}={v!r}")) from None
    return Setting(specs=_specs_for(spec))


def _specs_for(spec: ConvSpec | None) -> tuple[ConvSpec, ...]:
    if spec is None:
        return tuple(sweep_specs())
    if not spec.has_input_size:
        return tuple(input_sweep(spec))
    return (spec,)


# -- from options (the CLI's and a claims file's) ------------------------------------------------------


def option_label(style: str) -> Callable[[str, Any], str]:
    """How an option and its value are named in messages: ``--kernel 3x5`` or ``kernel = "3x5"``."""
    def cli(option: str, value: Any) -> str:
        return f"--{option}" if value is None or isinstance(value, bool) else f"--{option} {_typed(value)}"

    def toml(option: str, value: Any) -> str:
        return option if value is None else f"{option} = {value!r}"

    return cli if style == "cli" else toml


def _typed(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return "x".join(str(v) for v in value)
    return str(value)


_SIZE = re.compile(r"\s*\d+\s*")


def _size(label: str, value: Any) -> int | tuple[int, ...]:
    """A size as given: an int, a list of ints, or a string like ``7`` or ``7x9``."""
    if isinstance(value, bool):
        raise ClaimError(f"{label} is not a size: give a whole number, or numbers joined by x")
    if isinstance(value, int):
        return value
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, int) and not isinstance(v, bool)
                                                            for v in value):
        return tuple(value) if len(value) > 1 else value[0]
    if isinstance(value, str):
        parts = re.split(r"[x×X]", value)
        if all(_SIZE.fullmatch(p) for p in parts):
            numbers = tuple(int(p) for p in parts)
            return numbers[0] if len(numbers) == 1 else numbers
    raise ClaimError(f"{label} is not a size: give a whole number, or numbers joined by x, e.g. 7 or 7x9")


def setting_from_options(quantity: str, options: Mapping[str, Any], style: str = "cli") -> Setting:
    """The Setting for options given as ``{option: value}`` (``--in-channels`` → ``in-channels``).

    Only options the user actually gave belong in ``options``: for a scalar
    quantity each fixes a variable, for a tensor quantity they make the spec.
    """
    name = option_label(style)
    opts = {key.replace("_", "-"): value for key, value in options.items()}
    for key in opts:
        if key not in OPTIONS and key != "bias":
            raise ClaimError(f"unknown option {key!r}: the options are {', '.join(OPTIONS)}")
    for key in FLAGS:
        if key in opts and not isinstance(opts[key], bool):
            raise ClaimError(f"{name(key, opts[key])} must be true or false")
    if opts.get("separable"):
        raise ClaimError(f"{name('separable', None)}: verify checks one convolution; check the depthwise "
                         "stage (--depthwise) and the 1×1 stage (--kernel 1) separately")
    bias = _bias(opts, name)
    dims = None
    if "dims" in opts:
        given_dims = _size(name("dims", opts["dims"]), opts["dims"])
        if not isinstance(given_dims, int) or given_dims not in (1, 2, 3):
            raise ClaimError(f"{name('dims', opts['dims'])} must be 1, 2 or 3")
        dims = given_dims
        for option in PER_DIMENSION:
            raw = opts.get(option)
            given = None if raw is None or _is_word(option, raw) else _size(name(option, raw), raw)
            if isinstance(given, tuple) and len(given) != dims:
                raise ClaimError(f"{name(option, raw)} has {len(given)} entries but "
                                 f"{name('dims', opts['dims'])}: give one value, or {dims}")
    depthwise = opts.get("depthwise", False) is True
    if quantity in TENSOR_QUANTITIES:
        return _tensor_from_options(opts, name, dims, bias, depthwise)
    layers = None
    if "layers" in opts:
        if quantity != "receptive-field":
            raise ClaimError(f"{name('layers', opts['layers'])}: layers are for receptive-field only")
        for option in ("kernel", "stride", "dilation"):
            if option in opts:
                raise ClaimError(f"{name(option, opts[option])} conflicts with {name('layers', None)}, which "
                                 f"gives each layer's k, s, d: drop {name(option, None)}")
        layers = parse_layers(opts["layers"], name("layers", None))
    if depthwise and "groups" in opts and opts.get("in-channels") != opts["groups"]:
        raise ClaimError(f"{name('groups', opts['groups'])} conflicts with {name('depthwise', None)}, which "
                         "sets groups to the input channels: drop one of them")
    values: dict[str, int] = {}
    named: dict[str, str] = {}
    for option, var in OPTION_VARIABLES.items():
        if option not in opts:
            continue
        raw = opts[option]
        label = name(option, raw)
        if _is_word(option, raw):
            if raw.strip().lower() == "same":
                raise ClaimError(f"{label} pads by an amount that depends on k: give the padding as a "
                                 "number to fix p")
            value: int | tuple[int, ...] = 0
        else:
            value = _size(label, raw)
        number = _uniform(name(option, None), value) if isinstance(value, tuple) else value
        minimum = VARIABLES[var][1]
        if number < minimum:
            raise ClaimError(f"{label} must be ≥ {minimum}")
        values[var] = number
        named[var] = name(option, None)
    return Setting(values, dims, bias, depthwise, layers, (), named)


def _is_word(option: str, raw: Any) -> bool:
    """Whether ``raw`` is a padding given as a word (``same``, ``valid``)."""
    return option == "padding" and isinstance(raw, str) and raw.strip().lower() in ("same", "valid")


def _bias(opts: Mapping[str, Any], name: Callable[[str, Any], str]) -> bool | None:
    if "no-bias" in opts:
        if not isinstance(opts["no-bias"], bool):
            raise ClaimError(f"{name('no-bias', opts['no-bias'])} must be true or false")
        return not opts["no-bias"]
    if "bias" in opts:
        if not isinstance(opts["bias"], bool):
            raise ClaimError(f"{name('bias', opts['bias'])} must be true or false")
        return bool(opts["bias"])
    return None


def _tensor_from_options(
    opts: Mapping[str, Any], name: Callable[[str, Any], str], dims: int | None, bias: bool | None,
    depthwise: bool,
) -> Setting:
    for option in ("output-padding", "layers"):
        if option in opts:
            raise ClaimError(f"{name(option, opts[option])} is not for tensor quantities")
    if all(value is False for value in opts.values()):  # nothing given (flags left off)
        return Setting(specs=tuple(sweep_specs()))
    fields: dict[str, Any] = {}
    for option, field_ in (("input", "input_size"), ("kernel", "kernel_size"), ("stride", "stride"),
                           ("dilation", "dilation")):
        if option in opts:
            fields[field_] = _size(name(option, opts[option]), opts[option])
    if "padding" in opts:
        raw = opts["padding"]
        is_word = isinstance(raw, str) and raw.strip().lower() in ("same", "valid")
        fields["padding"] = raw.strip().lower() if is_word else _size(name("padding", raw), raw)
    for option, field_ in (("in-channels", "in_channels"), ("out-channels", "out_channels"),
                           ("groups", "groups")):
        if option in opts:
            fields[field_] = opts[option]
    if depthwise:
        channels = fields.get("in_channels", 1)
        if "groups" in fields and fields["groups"] != channels:
            raise ClaimError(f"{name('groups', fields['groups'])} conflicts with {name('depthwise', None)}, "
                             f"which sets groups to the input channels ({channels}): drop one of them")
        fields["groups"] = channels
        fields.setdefault("out_channels", channels)
    if dims is not None:
        fields["dims"] = dims
    if bias is not None:
        fields["bias"] = bias
    try:
        spec = ConvSpec(**fields)
    except SpecError as error:
        raise ClaimError(error.render(lambda f, v: name(_FIELD_OPTIONS.get(f, f), v))) from None
    return Setting(specs=_specs_for(spec))
