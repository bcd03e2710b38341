"""ConvSpec: a convolution's hyper-parameters, validated once, and its size arithmetic.

Conventions (DESIGN.md): cross-correlation without kernel flip, PyTorch layouts,
output size per dimension ``floor((n + 2p - d(k-1) - 1)/s) + 1``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from symconv import sizes as algebra
from symconv.errors import SpecError
from symconv.sizes import Size

IntOrTuple = Union[int, tuple[int, ...]]
Padding = Union[int, tuple[int, ...], Literal["same", "valid"]]

_PER_DIM = ("input_size", "kernel_size", "stride", "padding", "dilation")


MAX_VALUE = 2**31 - 1
"""The largest size or count: every one must fit a C int/long on any platform (the CLI's limit too)."""
TOO_LARGE = f"is too large: symconv takes values up to {MAX_VALUE}"


def _as_int(name: str, value: Any) -> int:
    """An integer from ``value`` (Python or NumPy ints; never bool or float), at most :data:`MAX_VALUE`."""
    if isinstance(value, bool):
        raise SpecError(name, value, "must be an integer, not a bool")
    try:
        number = operator.index(value)
    except TypeError:
        raise SpecError(name, value, "must be an integer") from None
    if number > MAX_VALUE:
        raise SpecError(name, value, TOO_LARGE)
    return number


def _dims_of(name: str, value: Any) -> int | None:
    """The number of dimensions a per-dimension value implies (None for a scalar)."""
    if isinstance(value, (tuple, list)):
        if not 1 <= len(value) <= 3:
            raise SpecError(name, value, "must have 1, 2 or 3 entries (one per spatial dimension)")
        return len(value)
    return None


def _per_dim(name: str, value: Any, dims: int, minimum: int) -> tuple[int, ...]:
    """Broadcast ``value`` to ``dims`` integers, each at least ``minimum``."""
    items = list(value) if isinstance(value, (tuple, list)) else [value] * dims
    if len(items) != dims:
        raise SpecError(
            name, value, f"has {len(items)} entries but the convolution is {dims}-D "
            f"(give one value, or {dims})"
        )
    out = tuple(_as_int(name, v) for v in items)
    for v in out:
        if v < minimum:
            bound = "≥ 0" if minimum == 0 else f"≥ {minimum}"
            raise SpecError(name, value, f"must be {bound} in every dimension")
    return out


@dataclass(frozen=True)
class ConvSpec:
    """The hyper-parameters of one convolution layer, validated and normalised.

    Integers broadcast over the spatial dimensions; per-dimension values are
    tuples. ``dims`` is inferred from any tuple given (default 2). After
    construction every per-dimension field is a tuple of ``dims`` ints, and
    ``padding`` is such a tuple or the string ``"same"`` / ``"valid"``.

    Example:
        >>> spec = ConvSpec(input_size=(3, 3), kernel_size=2)
        >>> spec.output_size
        (2, 2)
        >>> ConvSpec(kernel_size=3, dilation=2).effective_kernel
        (5, 5)
    """

    input_size: IntOrTuple | None = None
    kernel_size: IntOrTuple = 3
    in_channels: int = 1
    out_channels: int = 1
    stride: IntOrTuple = 1
    padding: Padding = 0
    dilation: IntOrTuple = 1
    groups: int = 1
    bias: bool = True
    dims: int | None = field(default=None)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        dims = self._infer_dims()
        set_(self, "dims", dims)
        if self.input_size is not None:
            set_(self, "input_size", _per_dim("input_size", self.input_size, dims, 1))
        set_(self, "kernel_size", _per_dim("kernel_size", self.kernel_size, dims, 1))
        set_(self, "stride", _per_dim("stride", self.stride, dims, 1))
        set_(self, "dilation", _per_dim("dilation", self.dilation, dims, 1))
        if isinstance(self.padding, str):
            if self.padding not in ("same", "valid"):
                raise SpecError(
                    "padding", self.padding, "is not a padding: give an integer, 'same' or 'valid'"
                )
            if self.padding == "same" and any(s != 1 for s in self.strides):
                raise SpecError(
                    "padding", self.padding,
                    "needs stride 1 (as in PyTorch), but {stride}: give the padding as an integer",
                    {"stride": self._show(self.stride)},
                )
        else:
            set_(self, "padding", _per_dim("padding", self.padding, dims, 0))
        for name in ("in_channels", "out_channels", "groups"):
            value = _as_int(name, getattr(self, name))
            if value < 1:
                raise SpecError(name, value, "must be ≥ 1")
            set_(self, name, value)
        if not isinstance(self.bias, bool):
            raise SpecError("bias", self.bias, "must be True or False")
        for channels in ("in_channels", "out_channels"):
            if getattr(self, channels) % self.groups:
                raise SpecError(
                    "groups", self.groups, "does not divide {" + channels + "}",
                    {channels: getattr(self, channels)},
                )
        if self.input_size is not None:
            padded = self.padded_size
            for i, (span, room) in enumerate(zip(self.effective_kernel, padded)):
                if span > room:
                    raise SpecError(
                        "kernel_size", self._show(self.kernel_size),
                        f"spans {span} (with {{dilation}}) in dimension {i + 1}, more than the "
                        f"padded input's {room} (with {{input_size}}, {{padding}}): the output "
                        "would be empty; use a smaller kernel or dilation, or more padding",
                        {
                            "dilation": self._show(self.dilation),
                            "input_size": self._show(self.input_size),
                            "padding": self._show(self.padding),
                        },
                    )

    def _infer_dims(self) -> int:
        given = {n: _dims_of(n, getattr(self, n)) for n in _PER_DIM}
        implied = {n: d for n, d in given.items() if d is not None}
        if self.dims is not None:
            dims = _as_int("dims", self.dims)
            if not 1 <= dims <= 3:
                raise SpecError("dims", self.dims, "must be 1, 2 or 3")
            for n, d in implied.items():
                if d != dims:
                    raise SpecError(
                        n, getattr(self, n),
                        f"has {d} entries but {{dims}}: give one value, or {dims}",
                        {"dims": dims},
                    )
            return dims
        distinct = sorted(set(implied.values()))
        if len(distinct) > 1:
            (a, da), *rest = implied.items()
            b, db = next((n, d) for n, d in rest if d != da)
            raise SpecError(
                a, getattr(self, a), f"has {da} entries but {{{b}}} has {db}: give them the same length",
                {b: getattr(self, b)},
            )
        return distinct[0] if distinct else 2

    @staticmethod
    def _show(value: Any) -> Any:
        """A per-dimension tuple shown as one int when all entries are equal."""
        if isinstance(value, tuple) and value and all(v == value[0] for v in value):
            return value[0]
        return value

    # -- normalised views (types narrowed for callers) -------------------------

    @property
    def ndim(self) -> int:
        """The number of spatial dimensions (1, 2 or 3)."""
        assert self.dims is not None
        return self.dims

    @property
    def kernel(self) -> tuple[int, ...]:
        assert isinstance(self.kernel_size, tuple)
        return self.kernel_size

    @property
    def strides(self) -> tuple[int, ...]:
        assert isinstance(self.stride, tuple)
        return self.stride

    @property
    def dilations(self) -> tuple[int, ...]:
        assert isinstance(self.dilation, tuple)
        return self.dilation

    @property
    def has_input_size(self) -> bool:
        return self.input_size is not None

    @property
    def sizes(self) -> tuple[int, ...]:
        """The spatial input size; raises SpecError when the spec leaves it open."""
        if self.input_size is None:
            raise SpecError(
                "input_size", None, "is open, but this needs a fixed input size: give input_size "
                "(on the CLI, --input)"
            )
        assert isinstance(self.input_size, tuple)
        return self.input_size

    @property
    def group_in(self) -> int:
        """Input channels per group (``C_in / groups``): the weight's second axis."""
        return self.in_channels // self.groups

    @property
    def group_out(self) -> int:
        """Output channels per group (``C_out / groups``)."""
        return self.out_channels // self.groups

    # -- predicates: which steps of the mathematics this spec needs -------------

    @property
    def is_strided(self) -> bool:
        """Some stride is above 1 (the gradients then need zero insertion)."""
        return any(s != 1 for s in self.strides)

    @property
    def is_dilated(self) -> bool:
        """Some dilation is above 1 (the kernel has holes)."""
        return any(d != 1 for d in self.dilations)

    @property
    def is_padded(self) -> bool:
        """Some zeros are added before or after the input."""
        return any(self.pad_before) or any(self.pad_after)

    @property
    def is_symmetric_padding(self) -> bool:
        """As many zeros before as after the input in every dimension."""
        return self.pad_before == self.pad_after

    @property
    def is_grouped(self) -> bool:
        """More than one group (the weight sees only its group's channels)."""
        return self.groups > 1

    @property
    def is_pointwise(self) -> bool:
        """Every kernel size is 1 (a 1×1 convolution: no window, no full padding in the gradient)."""
        return all(k == 1 for k in self.kernel)

    @property
    def is_depthwise(self) -> bool:
        """One group per input channel (and more than one channel)."""
        return self.groups == self.in_channels and self.in_channels > 1

    # -- size arithmetic (the formulas are in symconv.sizes) -----------------------

    @property
    def effective_kernel(self) -> tuple[int, ...]:
        """The span of one dilated kernel per dimension: ``k + (k-1)(d-1)``."""
        return tuple(int(algebra.effective_kernel(k, d)) for k, d in zip(self.kernel, self.dilations))

    @property
    def pad_before(self) -> tuple[int, ...]:
        """Zeros added before the input per dimension."""
        if self.padding == "valid":
            return (0,) * self.ndim
        if self.padding == "same":
            return tuple((e - 1) // 2 for e in self.effective_kernel)
        assert isinstance(self.padding, tuple)
        return self.padding

    @property
    def pad_after(self) -> tuple[int, ...]:
        """Zeros added after the input per dimension (``same`` puts the odd one here, as PyTorch)."""
        if self.padding == "same":
            return tuple(e - 1 - (e - 1) // 2 for e in self.effective_kernel)
        return self.pad_before

    def _dims(self, values: Sequence[Size], what: str) -> tuple[Size, ...]:
        if len(values) != self.ndim:
            raise ValueError(f"{what} needs {self.ndim} values (one per dimension), got {len(values)}")
        return tuple(values)

    def padded_size_of(self, sizes: Sequence[Size]) -> tuple[Size, ...]:
        """The padded size for spatial input ``sizes`` (ints or SymPy expressions)."""
        return tuple(
            algebra.padded_size(n, b, a)
            for n, b, a in zip(self._dims(sizes, "sizes"), self.pad_before, self.pad_after)
        )

    def output_numerators_of(self, sizes: Sequence[Size]) -> tuple[Size, ...]:
        """``n + before + after − E`` per dimension: the output exists when each is ≥ 0."""
        return tuple(
            algebra.output_numerator(n, k, b, a, d)
            for n, k, b, a, d in zip(
                self._dims(sizes, "sizes"), self.kernel, self.pad_before, self.pad_after, self.dilations
            )
        )

    def output_size_of(self, sizes: Sequence[Size]) -> tuple[Size, ...]:
        """The output size for spatial input ``sizes`` (ints or SymPy expressions)."""
        return tuple(
            algebra.output_size(n, k, s, b, a, d)
            for n, k, s, b, a, d in zip(
                self._dims(sizes, "sizes"), self.kernel, self.strides, self.pad_before, self.pad_after,
                self.dilations,
            )
        )

    def smallest_input_size_of(self, out: Sequence[Size]) -> tuple[Size, ...]:
        """Per dimension the smallest input size (≥ 1) that could have output size ``out``."""
        return tuple(
            algebra.smallest_input_size(m, k, s, b, a, d)
            for m, k, s, b, a, d in zip(
                self._dims(out, "out"), self.kernel, self.strides, self.pad_before, self.pad_after,
                self.dilations,
            )
        )

    def input_size_for_output(self, out: Sequence[int]) -> tuple[int, ...] | None:
        """An input size whose output size is ``out``, or None when ``out`` is no output size."""
        sizes = tuple(int(v) for v in self.smallest_input_size_of(out))
        return sizes if self.output_size_of(sizes) == tuple(out) else None

    def input_index(self, position: Sequence[Size], tap: Sequence[Size]) -> tuple[Size, ...]:
        """The unpadded input index output ``position`` reads through kernel ``tap`` (may be outside)."""
        return tuple(
            algebra.input_index(i, u, s, d, b)
            for i, u, s, d, b in zip(
                self._dims(position, "position"), self._dims(tap, "tap"), self.strides, self.dilations,
                self.pad_before,
            )
        )

    def tap_offset(self, tap: Sequence[Size]) -> tuple[Size, ...]:
        """Where ``tap`` reads relative to ``position · stride``: ``d·u − before`` per dimension."""
        return tuple(
            algebra.tap_offset(u, d, b)
            for u, d, b in zip(self._dims(tap, "tap"), self.dilations, self.pad_before)
        )

    @property
    def padded_size(self) -> tuple[int, ...]:
        return tuple(int(v) for v in self.padded_size_of(self.sizes))

    @property
    def output_size(self) -> tuple[int, ...]:
        """``floor((n + p_before + p_after - d(k-1) - 1)/s) + 1`` per dimension."""
        return tuple(int(v) for v in self.output_size_of(self.sizes))

    # -- channels and groups ---------------------------------------------------------

    def group_of_output(self, o: int) -> int:
        """The group output channel ``o`` belongs to."""
        return int(algebra.group_of_output(o, self.group_out))

    def group_of_input(self, c: int) -> int:
        """The group input channel ``c`` belongs to."""
        return int(algebra.group_of_input(c, self.group_in))

    def input_channel(self, o: int, c: int) -> int:
        """The input channel that weight ``W[o, c, …]`` multiplies."""
        return int(algebra.input_channel(o, c, self.group_in, self.group_out))

    def first_input_channel(self, o: int) -> int:
        """The first of the ``C_in/G`` input channels output channel ``o`` reads."""
        return self.input_channel(o, 0)

    def outputs_of_input(self, c: int) -> range:
        """The output channels whose weights read input channel ``c`` (its group's)."""
        first = int(algebra.first_output_channel(c, self.group_in, self.group_out))
        return range(first, first + self.group_out)

    @property
    def taps(self) -> int:
        """Kernel taps per channel: the product of the kernel size."""
        return math.prod(self.kernel)

    @property
    def params(self) -> int:
        """Learned parameters: ``C_out · C_in/g · Πk`` weights, plus ``C_out`` biases."""
        return self.out_channels * self.group_in * self.taps + (self.out_channels if self.bias else 0)

    @property
    def macs(self) -> int:
        """Multiply-accumulates for one sample: every output value costs ``C_in/g · Πk``."""
        return math.prod(self.output_size) * self.out_channels * self.group_in * self.taps

    # -- presentation -----------------------------------------------------------

    def describe(self) -> str:
        """One line naming the spec: ``Conv2d 1→1, kernel 3, stride 1, padding 0, dilation 2``."""
        parts = [f"Conv{self.ndim}d {self.in_channels}→{self.out_channels}"]
        if self.input_size is not None:
            parts.append(f"input {format_size(self.input_size)}")
        parts.append(f"kernel {format_size(self.kernel)}")
        parts.append(f"stride {format_size(self.strides)}")
        parts.append(f"padding {format_size(self.padding)}")
        parts.append(f"dilation {format_size(self.dilations)}")
        if self.groups > 1:
            parts.append(f"groups {self.groups}" + (" (depthwise)" if self.is_depthwise else ""))
        if not self.bias:
            parts.append("no bias")
        return ", ".join(parts)

    def cli_args(self) -> list[str]:
        """The ``symconv`` SPEC options that rebuild this spec (defaults left out)."""
        args: list[str] = []
        if self.ndim != 2 and not _any_tuple_shows_dims(self):
            args += ["--dims", str(self.ndim)]
        if self.input_size is not None:
            args += ["--input", format_size(self.input_size)]
        args += ["--kernel", format_size(self.kernel)]
        for option, value, default in (
            ("--stride", self.strides, 1),
            ("--padding", self.padding, 0),
            ("--dilation", self.dilations, 1),
        ):
            if format_size(value) != str(default):
                args += [option, format_size(value)]
        for option, number, default in (
            ("--in-channels", self.in_channels, 1),
            ("--out-channels", self.out_channels, 1),
            ("--groups", self.groups, 1),
        ):
            if number != default:
                args += [option, str(number)]
        if not self.bias:
            args.append("--no-bias")
        return args


def format_size(value: Any) -> str:
    """``3`` for (3, 3), ``3x5`` for (3, 5), strings as they are: sizes as the CLI writes them."""
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        if all(v == value[0] for v in value):
            return str(value[0])
        return "x".join(str(v) for v in value)
    return str(value)


def _any_tuple_shows_dims(spec: ConvSpec) -> bool:
    """Whether some option written by ``cli_args`` already has ``dims`` entries."""
    values = [spec.input_size, spec.kernel, spec.strides, spec.padding, spec.dilations]
    return any(isinstance(v, tuple) and "x" in format_size(v) for v in values)
