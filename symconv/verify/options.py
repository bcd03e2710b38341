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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from symconv.errors import ClaimError, OptionError, SpecError
from symconv.options import (
    NOT_WHOLE,
    PER_DIMENSION,
    SpecValues,
    Words,
    build_spec,
    claim_words,
    cli_words,
    depthwise_rule,
    parse_flag,
    parse_size,
    parse_value,
    read_options,
)
from symconv.options import OPTIONS as SPEC_OPTIONS
from symconv.spec import MAX_VALUE, ConvSpec
from symconv.symbolic import MAX_PRODUCTS
from symconv.verify.quantities import SCALARS, VARIABLES
from symconv.verify.stacks import FIELDS, KINDS, MAX_FREE_LAYERS, Layer
from symconv.verify.tensors import TENSOR_QUANTITIES, input_sweep, sweep_specs

QUANTITIES = (*SCALARS, *TENSOR_QUANTITIES)

# The options a claim may give (CLI spelling without the dashes), and the variable each fixes.
OPTION_VARIABLES = {
    "input": "n", "kernel": "k", "stride": "s", "padding": "p", "dilation": "d",
    "in-channels": "c_in", "out-channels": "c_out", "groups": "g", "output-padding": "a",
}
# a claims file may also say bias = …
OPTIONS = (*SPEC_OPTIONS, "output-padding", "layers", "domain", "where")
_API_NAMES = {"input_size": "n", "kernel_size": "k", "stride": "s", "padding": "p", "dilation": "d",
              "in_channels": "c_in", "out_channels": "c_out", "groups": "g"}

Stack = tuple[Layer, ...] | int  # each layer; or how many layers, every per-layer variable free


@dataclass(frozen=True)
class Setting:
    """The fixed values of a claim, ready for either kind of quantity."""

    fixed: Mapping[str, int | tuple[int, ...]] = field(default_factory=dict)  # a tuple: per dimension
    dims: int | None = None
    bias: bool | None = None
    depthwise: bool = False
    layers: Stack | None = None
    specs: tuple[ConvSpec, ...] = ()  # tensor quantities: the specs to check on
    named: Mapping[str, str] = field(default_factory=dict)  # variable → how the user named it
    ranges: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # --domain: free variables' ranges
    domain_label: str = "--domain"  # how the user named the domain (for errors)
    where: str | Sequence[str] | None = None  # --where: constraints between the variables
    where_label: str = "--where"


def quantity_name(text: str) -> str:
    """The canonical name of a quantity (``output_size`` and ``Output-Size`` → ``output-size``)."""
    name = str(text).strip().lower().replace("_", "-")
    if name not in QUANTITIES:
        raise ClaimError(f"unknown quantity {text!r}: the quantities are {', '.join(QUANTITIES)}")
    return name


def parse_layers(text: str | int | Sequence[Any], label: str = "--layers") -> Stack:
    """``"3,1,1;3,2,1"`` (k,s,d,p,c per layer; s and d default to 1, p to 0, c to none) or named
    fields (``"k=3,c=16;k=3,s=2,c=32"``) → Layer tuples; a lone whole number ``"2"`` is that many
    layers with every per-layer variable free (one fixed layer of kernel 2 is ``"2,1,1"`` or ``"2;"``).

    Example:
        >>> [tuple(layer) for layer in parse_layers("3;3,2;3,1,2,1,16")]
        [(3, 1, 1, 0, None), (3, 2, 1, 0, None), (3, 1, 2, 1, 16)]
        >>> parse_layers("2"), parse_layers("k=3, p=1, c=8;") == (Layer(3, 1, 1, 1, 8),)
        (2, True)
    """
    lone = text if isinstance(text, int) and not isinstance(text, bool) else None
    if isinstance(text, str) and re.fullmatch(r"\s*[0-9]+\s*", text):
        lone = int(text)
    if lone is not None:
        if not 1 <= lone <= MAX_FREE_LAYERS:
            raise ClaimError(f"{label} {lone}: a stack with free per-layer variables has 1 to "
                             f"{MAX_FREE_LAYERS} layers; give k,s,d,p,c per layer for a longer one")
        return lone
    if isinstance(text, str):
        parts: list[Any] = [p for p in text.split(";")]
        if parts and not parts[-1].strip():
            parts.pop()  # a trailing ;
    elif isinstance(text, Sequence) and all(isinstance(p, (str, Sequence)) for p in text):
        parts = list(text)
    else:
        raise ClaimError(f"{label} {text!r} is not a stack: give k,s,d,p,c per layer separated by ; (e.g. "
                         "\"3,1,1;3,2,1\"), a list of such layers, or the number of layers")
    if not parts:
        raise ClaimError(f"{label} is empty: give k,s,d,p,c per layer, layers separated by ;, e.g. "
                         "3,1,1;3,2,1")
    return tuple(_layer(label, i, part) for i, part in enumerate(parts, start=1))


def _layer(label: str, i: int, part: Any) -> Layer:
    bad = ClaimError(f"{label}: layer {i} ({part!r}) is not k[,s[,d[,p[,c]]]] (or k=…,c=…) with whole "
                     "numbers, k, s, d, c ≥ 1 and p ≥ 0; e.g. --layers 3,1,1;3,2,1")
    items = [x.strip() for x in part.split(",")] if isinstance(part, str) else list(part)
    fields: dict[str, int] = {}
    for position, item in enumerate(items):
        key, _, value = item.rpartition("=") if isinstance(item, str) else ("", "", item)
        key = key.strip() or (FIELDS[position] if position < len(FIELDS) else "")
        key = "d" if key == "r" else key
        if key not in FIELDS or key in fields or isinstance(value, bool):
            raise bad
        if isinstance(value, str):
            number = int(value) if re.fullmatch(r"\s*[0-9]+\s*", value) else None
        else:
            number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if number is None or number < (0 if key == "p" else 1):
            raise bad
        if number > MAX_VALUE:
            raise ClaimError(f"{label}: layer {i}'s {key} = {number} is above {MAX_VALUE}, the largest value "
                             "symconv takes")
        fields[key] = number
    if "k" not in fields:
        raise bad
    return Layer(**fields)


_RANGE = re.compile(r"^\s*([A-Za-z][A-Za-z_0-9]*)\s*=\s*([0-9]+)\s*(?:(?:\.\.|…)\s*([0-9]+)\s*)?$")


def parse_domain(value: str | Mapping[str, Any], label: str = "--domain") -> dict[str, tuple[int, int]]:
    """The ranges of a domain: ``"n=1..64,s=1..4"`` (``…`` for ``..``; ``s=2`` is ``s=2..2``), or a
    table ``{ n = [1, 64], s = 2 }`` from a claims file. ``r`` stands for ``d``.

    Example:
        >>> parse_domain("n=1..64, s=1…4, r=2")
        {'n': (1, 64), 's': (1, 4), 'd': (2, 2)}
    """
    example = "e.g. n=1..64,s=1..4"
    ranges: dict[str, tuple[int, int]] = {}
    items: list[tuple[str, Any]]
    if isinstance(value, str):
        items = []
        for part in value.split(","):
            match = _RANGE.match(part)
            if match is None:
                raise ClaimError(f"{label} {value!r}: {part.strip()!r} is not var=low..high with whole "
                                 f"numbers; {example}")
            name, low, high = match.groups()
            items.append((name, (int(low), int(high if high is not None else low))))
    elif isinstance(value, Mapping):
        items = list(value.items())
    else:
        raise ClaimError(f"{label} must be a string like \"n=1..64,s=1..4\" or a table like "
                         "{ n = [1, 64] }")
    for name, bounds in items:
        if isinstance(bounds, (list, tuple)) and len(bounds) == 2:
            low, high = (_whole(f"{label} {name}", b, 0) for b in bounds)
        else:
            low = high = _whole(f"{label} {name}", bounds, 0)
        var = "d" if name == "r" else name
        if var in ranges:
            raise ClaimError(f"{label} gives {name} twice")
        if low > high:
            raise ClaimError(f"{label} {name}={low}..{high} is empty: give low..high with low ≤ high")
        ranges[var] = (low, high)
    if not ranges:
        raise ClaimError(f"{label} is empty: give var=low..high per variable; {example}")
    return ranges


# -- from the API ------------------------------------------------------------------------------------


def setting_from_api(
    quantity: str,
    spec: ConvSpec | None,
    fixed: Mapping[str, Any],
    layers: str | Sequence[Any] | None,
    dims: int | None,
    bias: bool | None,
    domain: str | Mapping[str, Any] | None = None,
    where: str | Sequence[str] | None = None,
) -> Setting:
    """The Setting for ``verify(quantity, formula, spec, layers=…, dims=…, bias=…, domain=…, where=…,
    **fixed)``."""
    if spec is not None and not isinstance(spec, ConvSpec):
        raise ClaimError(f"spec must be a ConvSpec, not {type(spec).__name__}")
    if dims is not None and (_whole(f"dims={dims!r}", dims, 1) > 3):
        raise ClaimError(f"dims={dims!r} must be 1, 2 or 3")
    if bias is not None and not isinstance(bias, bool):
        raise ClaimError(f"bias={bias!r} must be True or False")
    numbers: dict[str, int] = {}
    for name, value in fixed.items():
        var = "d" if name == "r" else name
        if var not in VARIABLES:
            raise ClaimError(f"unknown variable {name!r}: the variables are {', '.join(VARIABLES)} (r = d)")
        numbers[var] = _whole(f"{name}={value!r}", value, VARIABLES[var][1])
    values: dict[str, int | tuple[int, ...]] = dict(numbers)
    ranges = {} if domain is None else parse_domain(domain, "domain")
    if quantity in TENSOR_QUANTITIES:
        for given, word in ((domain, "domain"), (where, "where")):
            if given is not None:
                raise ClaimError(f"{word} is for scalar quantities; a tensor claim is checked on specs")
        return _tensor_from_api(spec, numbers, layers, dims, bias)
    if layers is not None:
        if quantity not in KINDS:
            raise ClaimError(f"layers is for the stack quantities {', '.join(KINDS)}")
        clash = sorted(set(values) & {"k", "s", "d", "p", "c_out", "g", "L"})
        clash = clash or (["spec"] if spec is not None else [])
        if clash:
            raise ClaimError(f"{clash[0]} conflicts with layers, which gives each layer's k, s, d, p, c "
                             "(and L, their number)")
    if spec is not None:
        for var, value in _spec_values(spec).items():
            if var in values and values[var] != value:
                raise ClaimError(f"{var}={values[var]} conflicts with the spec, where {var} = {value}")
            values[var] = value
        dims = spec.ndim if dims is None else dims
        bias = spec.bias if bias is None else bias
    stack = None if layers is None else parse_layers(layers, "layers")
    return Setting(values, dims, bias, False, stack, (), {v: v for v in values}, ranges, "domain", where,
                   "where")


def _whole(label: str, value: Any, minimum: int) -> int:
    try:
        number = operator.index(value) if not isinstance(value, bool) else None
    except TypeError:
        number = None
    if number is None:
        raise ClaimError(f"{label} {NOT_WHOLE}")
    if number < minimum:
        raise ClaimError(f"{label} must be ≥ {minimum}")
    return number


def _uniform(value: tuple[int, ...]) -> int | tuple[int, ...]:
    """One number when every dimension has it, else the value per dimension."""
    return value[0] if len(set(value)) == 1 else value


def _spec_values(spec: ConvSpec) -> dict[str, int | tuple[int, ...]]:
    """The variables a ConvSpec fixes (a tuple: one value per dimension)."""
    values: dict[str, int | tuple[int, ...]] = {
        "k": _uniform(spec.kernel),
        "s": _uniform(spec.strides),
        "d": _uniform(spec.dilations),
        "c_in": spec.in_channels, "c_out": spec.out_channels, "g": spec.groups,
    }
    if spec.pad_before != spec.pad_after:  # asymmetric-output-size reads them; the others refuse them
        values["p_before"], values["p_after"] = _uniform(spec.pad_before), _uniform(spec.pad_after)
    else:
        values["p"] = _uniform(spec.pad_before)
    if spec.has_input_size:
        values["n"] = _uniform(spec.sizes)
    return values


def _tensor_from_api(
    spec: ConvSpec | None, values: Mapping[str, int], layers: Any, dims: int | None, bias: bool | None
) -> Setting:
    if layers is not None:
        raise ClaimError(f"layers is for the stack quantities {', '.join(KINDS)}")
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
    if spec.macs > MAX_PRODUCTS:  # refused before any work, as derive refuses it
        raise ClaimError(
            f"{spec.describe()} has {spec.macs:,} products to derive symbolically, more than the "
            f"{MAX_PRODUCTS:,} symconv derives; a tensor claim does not change with size, so check it "
            "on a smaller input or fewer channels"
        )
    return (spec,)


# -- from options (the CLI's and a claims file's) ------------------------------------------------------


def setting_from_options(quantity: str, options: Mapping[str, Any], style: str = "cli") -> Setting:
    """The Setting for options given as ``{option: value}`` (``--in-channels`` → ``in-channels``).

    Only options the user actually gave belong in ``options``: for a scalar
    quantity each fixes a variable, for a tensor quantity they make the spec.
    The SPEC options are read by ``symconv.options``, as on the command line.
    """
    try:
        return _setting_from_options(quantity, options, style)
    except OptionError as error:  # worded already, as the caller names options
        raise ClaimError(str(error)) from None


def _setting_from_options(quantity: str, options: Mapping[str, Any], style: str) -> Setting:
    opts = {key.replace("_", "-"): value for key, value in options.items()}
    written = {key.replace("_", "-"): key for key in options}  # a claims file's in_channels stays so

    def words(key: str, value: Any) -> str:
        return cli_words(key, value) if style == "cli" else claim_words(written.get(key, key), value)

    for key in opts:
        if key not in OPTIONS and key != "bias":
            raise ClaimError(f"unknown option {key!r}: the options are {', '.join(OPTIONS)}")
    values = _spec_values_of(opts, words)
    if values.separable:
        raise ClaimError(f"{words('separable', None)}: verify checks one convolution; check the depthwise "
                         "stage (--depthwise) and the 1×1 stage (--kernel 1) separately")
    dims = values.get("dims")
    if dims is None:  # one value per dimension says how many there are (--input 4x4x4 is 3-D)
        sized = {option: v for option in PER_DIMENSION if isinstance(v := values.get(option), tuple)}
        if len({len(v) for v in sized.values()}) > 1:
            raise ClaimError("the sizes have different numbers of dimensions: "
                             + ", ".join(words(o, values.typed[o]) for o in sized) + "; give as many "
                             "values to each, or --dims")
        dims = len(next(iter(sized.values()))) if sized else None
    if dims is not None:
        for option in PER_DIMENSION:
            given = values.get(option)
            if isinstance(given, tuple) and len(given) != dims:
                raise ClaimError(f"{words(option, values.typed[option])} has {len(given)} entries but "
                                 f"{words('dims', values.typed['dims'])}: give one value, or {dims}")
    if quantity in TENSOR_QUANTITIES:
        return _tensor_from_options(opts, values, words)
    ranges = {} if "domain" not in opts else parse_domain(opts["domain"], words("domain", None))
    layers = None
    if "layers" in opts:
        if quantity not in KINDS:
            raise ClaimError(f"{words('layers', opts['layers'])}: layers are for the stack quantities "
                             f"{', '.join(KINDS)}")
        for option in ("kernel", "stride", "dilation", "padding", "out-channels", "groups", "depthwise"):
            if option in opts and opts[option] is not False:
                raise ClaimError(f"{words(option, opts[option])} conflicts with {words('layers', None)}, "
                                 f"which gives each layer's k, s, d, p, c: drop {words(option, None)}")
        layers = parse_layers(opts["layers"], words("layers", None))
    if values.depthwise:
        depthwise_rule(values, words, channels_open=True)
    given = dict(values.given)
    if "output-padding" in opts:
        given["output-padding"] = parse_value(parse_size, "output-padding", opts["output-padding"], words)
    fixed: dict[str, int | tuple[int, ...]] = {}
    named: dict[str, str] = {}
    for option, var in OPTION_VARIABLES.items():
        if option not in given:
            continue
        value = given[option]
        label = words(option, opts[option])
        if value == "same":
            if quantity == "asymmetric-output-size":  # PyTorch's amounts, for stride 1
                fixed.update(_same_amounts(given, label))
                named.update({"p_before": label, "p_after": label})
                for option, var in (("stride", "s"), ("dilation", "d")):  # the amounts are for these
                    if option not in given:
                        fixed[var], named[var] = 1, label
                continue
            raise ClaimError(f"{label} pads by an amount that depends on k and d: give the padding as a "
                             "number to fix p, or check asymmetric-output-size, whose p_before and p_after "
                             "it fixes")
        number = 0 if value == "valid" else value
        if isinstance(number, tuple):
            number = _uniform(number)
        minimum = VARIABLES[var][1]
        if min(number if isinstance(number, tuple) else (number,)) < minimum:
            raise ClaimError(f"{label} must be ≥ {minimum}")
        fixed[var] = number
        named[var] = words(option, None)
    bias = None if "no-bias" not in values.given else not values.given["no-bias"]
    return Setting(fixed, dims, bias, values.depthwise, layers, (), named, ranges, words("domain", None),
                   opts.get("where"), words("where", None))


def _same_amounts(given: Mapping[str, Any], label: str) -> dict[str, int | tuple[int, ...]]:
    """p_before and p_after of PyTorch's padding='same' for the kernel and dilation given (stride 1)."""
    if "kernel" not in given:
        raise ClaimError(f"{label} pads by an amount that depends on k: give --kernel with it")
    stride = given.get("stride", 1)
    if any(s != 1 for s in (stride if isinstance(stride, tuple) else (stride,))):
        raise ClaimError(f"{label} needs stride 1 (as in PyTorch): give the padding as numbers")
    kernel, dilation = given["kernel"], given.get("dilation", 1)
    dims = max(len(v) if isinstance(v, tuple) else 1 for v in (kernel, dilation))
    spec = ConvSpec(kernel_size=kernel, dilation=dilation, padding="same", dims=dims)  # its rule for 'same'
    return {"p_before": _uniform(spec.pad_before), "p_after": _uniform(spec.pad_after)}


def _spec_values_of(opts: Mapping[str, Any], words: Words) -> SpecValues:
    """The SPEC options among ``opts``, parsed; a claims file's ``bias = …`` read as ``no-bias``."""
    spec = {key: value for key, value in opts.items() if key in SPEC_OPTIONS}
    if "bias" in opts and "no-bias" not in opts:
        spec["no-bias"] = not parse_value(parse_flag, "bias", opts["bias"], words)
    return read_options(spec, words)


def _tensor_from_options(opts: Mapping[str, Any], values: SpecValues, words: Words) -> Setting:
    for option in ("output-padding", "layers", "domain", "where"):
        if option in opts:
            raise ClaimError(f"{words(option, opts[option])} is not for tensor quantities")
    if all(value is False for value in opts.values()):  # nothing given (flags left off)
        return Setting(specs=tuple(sweep_specs()))
    return Setting(specs=_specs_for(build_spec(values, words)))
