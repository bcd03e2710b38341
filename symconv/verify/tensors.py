"""Tensor claims: a small operator language evaluated exactly against the derivation.

Names: the tensors ``x`` (input), ``W`` (weight), ``b`` (bias), ``delta`` (δ = ∂J/∂Y),
and the sizes ``n, k, s, p, d`` (``r`` = ``d``) per spatial dimension and
``c_in, c_out, g``. Operators, all on the spatial axes of every channel:

- ``conv(A, B, stride=1, padding=0, dilation=1)``: cross-correlation of A (zero-padded)
  with the kernel B, as in deep learning; ``A * B`` between two tensors is the
  note's ``*`` (stride 1, no padding);
- ``pad(A, p)`` / ``pad(A, before, after)``, ``crop(A, p)`` / ``crop(A, before, after)``;
- ``dilate(A, s)`` (s − 1 zeros between entries), ``rot180(A)`` (every spatial axis reversed);
- ``sum(A)`` (over the spatial axes), ``hadamard(A, B)`` or ``A ⊙ B``;
- ``+ -`` between tensors (a tensor without spatial axes, like b, is added to every
  entry), a size times a tensor, and arithmetic on sizes. Per-axis amounts may be
  tuples: ``pad(A, (1, 2))``.

Channels follow from the names: x is indexed by input channels, δ and b by output
channels, W by both. ``conv`` sums over the channel the two operands share
(within each group) and keeps the others: ``conv(x, W)`` is indexed by output
channels, ``conv(delta, rot180(W))`` by input channels, ``conv(x, delta)`` like W.
With one channel this is exactly the note's single-channel algebra.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import cached_property

import numpy as np
import sympy as sp

from symconv.algebra import evaluate as ev
from symconv.algebra.closed_forms import closed_forms
from symconv.algebra.evaluate import Value
from symconv.algebra.operators import CONV_ROLES
from symconv.algebra.operators import TENSORS as ALGEBRA_TENSORS
from symconv.errors import FormulaError, SpecError
from symconv.printing.operator_text import operator_text
from symconv.spec import ConvSpec
from symconv.symbolic import Derivation, derive
from symconv.symbolic.chain import SIGMA, map_entries, sigma_prime
from symconv.symbolic.proof import equal
from symconv.symbolic.tensors import Tensor, from_array, symbol_tensor
from symconv.verify.expressions import EvaluationLimit, Undefined, binary, call
from symconv.verify.parsing import BinOp, Call, Name, Neg, Node, Num, Parsed, Tuple
from symconv.verify.result import Domain, EntryDifference, TensorCounterexample, VerifyResult

SHOWN_ENTRIES = 4
MAX_TENSOR = 1_000_000
"""The most entries a tensor of a formula may have (its entries are symbolic): pad, dilate or conv's
padding beyond it is refused as bad input, before the tensor is made."""

PREACTIVATION = "grad-preactivation"  # the one quantity with z and σ': x = a^l = σ(z^l), delta = δ^{l+1}
TENSOR_QUANTITIES = {
    "forward": ("o", True, "C_out × output", "Y, summed from the definition of the convolution"),
    "grad-input": ("i", True, "C_in × input", "∂J/∂x, by differentiating J through Σ δ ⊙ Y"),
    "grad-weight": ("oi", True, "C_out × C_in/groups × kernel",
                    "∂J/∂W, by differentiating J through Σ δ ⊙ Y"),
    "grad-bias": ("o", False, "C_out", "∂J/∂b, by differentiating J through Σ δ ⊙ Y"),
    PREACTIVATION: ("i", True, "C_in × input", "δ^l = ∂J/∂z^l for the input x = σ(z^l), by "
                    "differentiating J = Σ δ ⊙ Y through σ"),
}

# name → (channel role, has spatial axes); roles: i = input channels, o = output channels, oi = both.
# z is the pre-activation of the input (x = σ(z)), a name of grad-preactivation's formulas only.
TENSORS = {name: (t.role, t.spatial) for name, t in ALGEBRA_TENSORS.items()} | {"z": ("i", True)}
SIZES = ("n", "k", "s", "p", "d", "c_in", "c_out", "g")
SIZE_ALIASES = {"r": "d"}
OPERATORS = {  # name → (positional arguments: min, max; keyword arguments)
    "conv": (2, 2, ("stride", "padding", "dilation")),
    "pad": (2, 3, ()),
    "crop": (2, 3, ()),
    "dilate": (2, 2, ()),
    "rot180": (1, 1, ()),
    "sum": (1, 1, ()),
    "hadamard": (2, 2, ()),
    "dsigma": (1, 1, ()),
    "floor": (1, 1, ()), "ceil": (1, 1, ()), "ceiling": (1, 1, ()), "max": (2, 9, ()),
    "min": (2, 9, ()), "abs": (1, 1, ()), "mod": (2, 2, ()),
}
_SIZE_FUNCTIONS = ("floor", "ceil", "ceiling", "max", "min", "abs", "mod")
_ROLE_WORDS = {"i": "input channels", "o": "output channels", "oi": "output and input channels (like W)"}


# -- static types --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """What a sub-formula is: a size, per-axis sizes (a tuple), or a tensor with a role."""

    what: str  # "size", "sizes" or "tensor"
    role: str = ""
    spatial: bool = True


SIZE = Kind("size")


def check_tensor_formula(parsed: Parsed, quantity: str) -> Kind:
    """The kind of ``parsed`` as a formula for ``quantity``; FormulaParseError at the first misuse."""
    allowed = ", ".join(list(TENSORS) + list(SIZES) + list(SIZE_ALIASES))

    def amount(node: Node, what: str) -> None:
        kind = walk(node)
        if kind.what == "tensor":
            raise parsed.error(node, f"{what} must be a size, not a tensor")

    def tensor(node: Node, what: str, spatial: bool = True) -> Kind:
        kind = walk(node)
        if kind.what != "tensor":
            raise parsed.error(node, f"{what} must be a tensor (x, W, b, delta or an operator on them)")
        if spatial and not kind.spatial:
            raise parsed.error(node, f"{what} has no spatial axes (it is indexed by channels only)")
        return kind

    def walk(node: Node) -> Kind:
        if isinstance(node, Num):
            return SIZE
        if isinstance(node, Name):
            if node.id == "z" and quantity != PREACTIVATION:
                raise parsed.error(node, f"z (the pre-activation, x = σ(z)) is a name of {PREACTIVATION} "
                                   f"formulas, not of {quantity}")
            if node.id in TENSORS:
                role, spatial = TENSORS[node.id]
                return Kind("tensor", role, spatial)
            if node.id in SIZES or node.id in SIZE_ALIASES:
                return SIZE
            raise parsed.error(node, f"unknown name {node.typed!r}: {quantity} formulas use {allowed}")
        if isinstance(node, Neg):
            return walk(node.operand)
        if isinstance(node, Tuple):
            for item in node.items:
                amount(item, "each entry of a tuple")
            return Kind("sizes")
        if isinstance(node, BinOp):
            return binary(node)
        assert isinstance(node, Call)
        return call(node)

    def binary(node: BinOp) -> Kind:
        left, right = walk(node.left), walk(node.right)
        tensors = [k for k in (left, right) if k.what == "tensor"]
        if "sizes" in (left.what, right.what):
            raise parsed.error(node, "a tuple of sizes can only be an argument, e.g. pad(A, (1, 2))")
        if not tensors:
            return SIZE
        if node.op in ("+", "-", "⊙"):
            if len(tensors) == 1:
                word = "add" if node.op != "⊙" else "multiply entrywise"
                raise parsed.error(node, f"cannot {word} a size and a tensor")
            return _same_role(parsed, node, left, right)
        if node.op == "*":
            if len(tensors) == 2:
                return _conv_kind(parsed, node, left, right)
            return tensors[0]
        if node.op == "/" and right.what != "tensor":
            return left
        raise parsed.error(node, f"{node.op} is not defined for tensors")

    def call(node: Call) -> Kind:
        name_span = Node(node.start, node.name_end)
        if node.func not in OPERATORS:
            raise parsed.error(
                name_span, f"unknown function {node.typed!r}: tensor formulas may call "
                + ", ".join(f for f in OPERATORS if f not in ("ceiling",)),
            )
        low, high, keys = OPERATORS[node.func]
        if not low <= len(node.args) <= high:
            wanted = str(low) if low == high else f"{low} to {high}" if high < 9 else f"at least {low}"
            raise parsed.error(node, f"{node.typed}() takes {wanted} arguments, not {len(node.args)}")
        for key, value in node.kwargs:
            if key not in keys:
                listing = f"its keywords are {', '.join(keys)}" if keys else "it takes no keywords"
                raise parsed.error(value, f"{node.typed}() has no keyword {key!r}: {listing}")
            amount(value, f"{key}=")
        f = node.func
        if f in _SIZE_FUNCTIONS:
            for arg in node.args:
                amount(arg, f"the argument of {node.typed}()")
            return SIZE
        if f == "conv":
            a = tensor(node.args[0], "the input of conv()")
            b = tensor(node.args[1], "the kernel of conv()")
            return _conv_kind(parsed, node, a, b)
        if f == "dsigma":
            a = tensor(node.args[0], "the argument of σ'()", spatial=False)
            return a
        if f in ("hadamard",):
            a = tensor(node.args[0], f"the first argument of {f}()", spatial=False)
            b = tensor(node.args[1], f"the second argument of {f}()", spatial=False)
            return _same_role(parsed, node, a, b)
        a = tensor(node.args[0], f"the first argument of {f}()")
        for arg in node.args[1:]:
            amount(arg, f"the amount in {f}()")
        return Kind("tensor", a.role, f != "sum")

    kind = walk(parsed.tree)
    if kind.what != "tensor":
        raise parsed.error(parsed.tree, f"{quantity} is a tensor, but the formula is a size")
    return kind


def _same_role(parsed: Parsed, node: Node, a: Kind, b: Kind) -> Kind:
    if a.role != b.role:
        raise parsed.error(
            node, f"the operands are indexed differently: one by {_ROLE_WORDS[a.role]}, the other by "
            f"{_ROLE_WORDS[b.role]}",
        )
    return Kind("tensor", a.role, a.spatial or b.spatial)


def _conv_kind(parsed: Parsed, node: Node, a: Kind, b: Kind) -> Kind:
    if not (a.spatial and b.spatial):
        raise parsed.error(node, "a convolution needs spatial axes on both operands")
    role = CONV_ROLES.get((a.role, b.role))
    if role is None:
        raise parsed.error(node, "cannot convolve two weight-like tensors (both indexed like W)")
    return Kind("tensor", role, True)


# -- evaluation ------------------------------------------------------------------------------------

Sizes = tuple[Fraction, ...]


class Evaluator:
    """Evaluates a checked tensor formula for one derivation, exactly."""

    def __init__(self, parsed: Parsed, derivation: Derivation) -> None:
        self.parsed = parsed
        self.d = derivation
        self.spec = derivation.spec

    def run(self) -> Value:
        result = self.eval(self.parsed.tree)
        assert isinstance(result, Value)
        return result

    # sizes ---------------------------------------------------------------------------------

    def size_of(self, name: str, node: Node) -> Sizes:
        spec = self.spec
        var = SIZE_ALIASES.get(name, name)
        if var == "p":
            if spec.pad_before != spec.pad_after:  # the claim is ill-posed: bad input, not a refutation
                raise FormulaError(
                    f"p is not one number for {spec.describe()}: the padding is {spec.pad_before} before "
                    f"and {spec.pad_after} after (padding {spec.padding!r}); give the amounts, "
                    "e.g. crop(A, before, after), or a numeric --padding"
                )
            values: Sequence[int] = spec.pad_before
        elif var in ("c_in", "c_out", "g"):
            number = {"c_in": spec.in_channels, "c_out": spec.out_channels, "g": spec.groups}[var]
            values = (number,) * spec.ndim
        else:
            values = {"n": spec.sizes, "k": spec.kernel, "s": spec.strides, "d": spec.dilations}[var]
        return tuple(Fraction(v) for v in values)

    def amounts(self, node: Node, what: str, minimum: int) -> tuple[int, ...]:
        """A size argument as one whole number per spatial axis, each at least ``minimum``."""
        value = self.eval(node)
        if isinstance(value, Value):  # the static check rules this out
            raise Undefined(f"{what} is a tensor")
        if len(value) != self.spec.ndim:
            raise Undefined(f"{what} has {len(value)} entries but the convolution is {self.spec.ndim}-D")
        out = []
        for v in value:
            if v.denominator != 1 or v < minimum:
                text = self.parsed.formula[node.start:node.end].strip()
                bound = "a whole number ≥ 0" if minimum == 0 else f"a whole number ≥ {minimum}"
                raise Undefined(f"{what} {text} is {ev.format_amount(value)}, but must be {bound}")
            out.append(int(v))
        return tuple(out)

    def spatial(self, value: Value) -> tuple[int, ...]:
        """The spatial sizes of a tensor (its last ``ndim`` axes)."""
        return tuple(int(n) for n in value.data.shape[value.data.ndim - self.spec.ndim:])

    def room(self, node: Node | None, value: Value, sizes: Sequence[int]) -> None:
        """Refuse (bad input, before any work) a tensor of more than :data:`MAX_TENSOR` entries."""
        channels = value.data.shape[: value.data.ndim - self.spec.ndim]
        entries = math.prod([*channels, *sizes])
        if entries > MAX_TENSOR:
            part = "conv's padding" if node is None else self.parsed.formula[node.start:node.end].strip()
            raise FormulaError(f"{part} makes a tensor of {entries:,} entries for {self.spec.describe()}, "
                               f"more than the {MAX_TENSOR:,} symconv evaluates: use smaller amounts")

    # the tree -------------------------------------------------------------------------------

    def eval(self, node: Node) -> Value | Sizes:
        ndim = self.spec.ndim
        if isinstance(node, Num):
            return (node.value,) * ndim
        if isinstance(node, Name):
            if node.id in TENSORS:
                return self.tensor(node.id)
            return self.size_of(node.id, node)
        if isinstance(node, Neg):
            inner = self.eval(node.operand)
            if isinstance(inner, Value):
                return Value(-inner.data, inner.role, inner.spatial)
            return tuple(-v for v in inner)
        if isinstance(node, Tuple):
            items = [self.size(i) for i in node.items]
            if len(items) != ndim:
                raise Undefined(
                    f"the tuple {self.parsed.formula[node.start:node.end]} has {len(items)} entries, "
                    f"but the convolution is {ndim}-D"
                )
            return tuple(_scalar(i) for i in items)
        if isinstance(node, BinOp):
            return self.binary(node)
        assert isinstance(node, Call)
        return self.call(node)

    def size(self, node: Node) -> Sizes:
        """A sub-formula the static check found to be a size."""
        value = self.eval(node)
        assert not isinstance(value, Value), "check_tensor_formula lets no tensor through here"
        return value

    def tensor(self, name: str) -> Value:
        role, spatial = TENSORS[name]
        if name == "z":
            return Value(preactivation(self.d), role, spatial)
        data = {"x": self.d.x_t, "W": self.d.w_t, "b": self.d.b_t, "delta": self.d.delta_t}[name]
        if data is None:
            raise Undefined("the spec has no bias, so there is no b")
        return Value(data, role, spatial)

    def binary(self, node: BinOp) -> Value | Sizes:
        left, right = self.eval(node.left), self.eval(node.right)
        if not isinstance(left, Value) and not isinstance(right, Value):
            try:
                return _size_arithmetic(node.op, left, right)
            except EvaluationLimit as limit:  # bad input (exit 2), not a refutation
                part = self.parsed.formula[node.start:node.end].strip()
                raise FormulaError(f"cannot evaluate {part}: {limit}") from None
        if isinstance(left, Value) and isinstance(right, Value):
            if node.op == "*":
                return self.conv(left, right, (1,) * self.spec.ndim, (0,) * self.spec.ndim,
                                 (1,) * self.spec.ndim)
            ops: dict[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
                "+": lambda a, b: a + b, "-": lambda a, b: a - b, "⊙": lambda a, b: a * b,
            }
            return _entrywise(ops[node.op], left, right)
        tensor = left if isinstance(left, Value) else right
        size = right if isinstance(left, Value) else left
        assert isinstance(tensor, Value) and not isinstance(size, Value)
        factor = _uniform(size, "a factor")
        if node.op == "/":
            if factor == 0:
                raise Undefined("division by zero")
            factor = 1 / factor
        scale = sp.Rational(factor.numerator, factor.denominator)
        return Value(tensor.data * scale, tensor.role, tensor.spatial)

    def call(self, node: Call) -> Value | Sizes:
        f = node.func
        if f in _SIZE_FUNCTIONS:
            return _size_function(f, [self.size(a) for a in node.args])
        first = self.eval(node.args[0])
        assert isinstance(first, Value)
        if f == "conv":
            kernel = self.eval(node.args[1])
            assert isinstance(kernel, Value)
            keys = dict(node.kwargs)
            ndim = self.spec.ndim
            stride = self.amounts(keys["stride"], "stride=", 1) if "stride" in keys else (1,) * ndim
            padding = self.amounts(keys["padding"], "padding=", 0) if "padding" in keys else (0,) * ndim
            dilation = self.amounts(keys["dilation"], "dilation=", 1) if "dilation" in keys else (1,) * ndim
            return self.conv(first, kernel, stride, padding, dilation)
        if f == "dsigma":
            return Value(map_entries(sigma_prime, first.data), first.role, first.spatial)
        if f == "hadamard":
            other = self.eval(node.args[1])
            assert isinstance(other, Value)
            return _entrywise(lambda a, b: a * b, first, other)
        if f == "rot180":
            return first.per_channel(ev.rot180)
        if f == "sum":
            return ev.sum_positions(first)
        if f == "dilate":
            factor = self.amounts(node.args[1], "the factor of dilate()", 1)
            self.room(node, first, [(n - 1) * f + 1 if n else 0 for n, f in zip(self.spatial(first), factor)])
            return first.per_channel(lambda a: ev.dilate(a, factor))
        before = self.amounts(node.args[1], f"the amount in {f}()", 0)
        after = self.amounts(node.args[2], f"the amount in {f}()", 0) if len(node.args) == 3 else before
        if f == "pad":
            self.room(node, first, [n + b + a for n, b, a in zip(self.spatial(first), before, after)])
            return first.per_channel(lambda a: ev.pad(a, before, after))
        assert f == "crop"
        return _defined(lambda: first.per_channel(lambda a: ev.crop(a, before, after)))

    def conv(
        self, a: Value, b: Value, stride: tuple[int, ...], padding: tuple[int, ...],
        dilation: tuple[int, ...],
    ) -> Value:
        """``conv`` with the channels combined by role: the algebra's evaluator."""
        if any(padding):
            self.room(None, a, [n + 2 * q for n, q in zip(self.spatial(a), padding)])
        padded = a.per_channel(lambda t: ev.pad(t, padding, padding))
        return _defined(lambda: ev.conv(self.spec, padded, b, stride, dilation))


def _defined(f: Callable[[], Value]) -> Value:
    """``f()``, an evaluation error of the algebra being the formula's: undefined here."""
    try:
        return f()
    except ev.EvaluationError as error:
        raise Undefined(str(error)) from None


def _scalar(value: Sizes) -> Fraction:
    if len(set(value)) != 1:
        raise Undefined(f"a tuple entry must be one number, not {ev.format_amount(value)}")
    return value[0]


def _uniform(value: Sizes, what: str) -> Fraction:
    if len(set(value)) != 1:
        raise Undefined(f"{what} must be the same in every dimension, not {ev.format_amount(value)}")
    return value[0]


def _size_arithmetic(operator: str, a: Sizes, b: Sizes) -> Sizes:
    """Arithmetic on sizes, dimension by dimension, with the scalar formulas' exact evaluator."""
    if operator not in ("+", "-", "*", "/", "//", "%", "^"):
        raise Undefined(f"{operator} is not defined for sizes")
    return tuple(binary(operator, x, y) for x, y in zip(a, b))


def _size_function(name: str, args: list[Sizes]) -> Sizes:
    """floor, ceil, max, min, abs of sizes, dimension by dimension (the scalar formulas' evaluator)."""
    return tuple(call(name, list(values)) for values in zip(*args))


def _entrywise(f: Callable[[sp.Expr, sp.Expr], sp.Expr], a: Value, b: Value) -> Value:
    """``f`` entry by entry (the algebra's), a tensor without spatial axes broadcast."""
    return _defined(lambda: ev.entrywise(f, a, b))


# -- the pre-activation: x = σ(z) -------------------------------------------------------------------


def preactivation(d: Derivation) -> Tensor:
    """z, the pre-activation of the layer's input (``x = σ(z)``): one symbol per entry of x."""
    return symbol_tensor("z", d.x_t.shape, 1)


def _as_activated(d: Derivation, data: Tensor) -> Tensor:
    """``data`` with every entry of x written as σ(z): the input is the activation of z."""
    activated = dict(zip(d.x_t.flat, (SIGMA(v) for v in preactivation(d).flat)))
    return map_entries(lambda e: sp.sympify(e).xreplace(activated), data)


def _preactivation_gradient(d: Derivation) -> Tensor:
    """δ^l = ∂J/∂z for J = Σ δ ⊙ Y with the input x = σ(z): SymPy's ``diff`` through σ, entry by entry
    (only the terms of J that hold the entry are differentiated)."""
    terms = [delta * y for delta, y in zip(d.delta_t.flat, _as_activated(d, d.y_t).flat)]
    z = preactivation(d)
    out = np.empty(z.shape, dtype=object)
    for index in np.ndindex(*z.shape):
        entry = z[index]
        out[index] = sp.diff(sp.Add(*[t for t in terms if t.has(entry)]), entry)
    return out


# -- the correct closed forms ----------------------------------------------------------------------


def closed_form_text(quantity: str, spec: ConvSpec) -> str:
    """The algebra's closed form of ``quantity`` for ``spec``, printed in the operator language.

    Example:
        >>> closed_form_text("grad-input", ConvSpec(input_size=3, kernel_size=2))
        'conv(pad(delta, 1), rot180(W))'
        >>> closed_form_text("grad-input", ConvSpec(input_size=3, kernel_size=2, stride=2))
        'pad(conv(pad(dilate(delta, 2), 1), rot180(W)), 0, 1)'
    """
    forms = closed_forms(spec)
    if quantity == PREACTIVATION:  # the note's rule: the input gradient, times σ'(z) entrywise
        return f"hadamard({operator_text(forms.grad_input, forms.amounts, spec.ndim)}, dsigma(z))"
    expr = forms.of(quantity)
    assert expr is not None, "grad-bias of a layer without bias is refused before this"
    return operator_text(expr, forms.amounts, spec.ndim)


# -- the sweep of small specs -----------------------------------------------------------------------

SWEEP = (
    dict(input_size=4, kernel_size=2, dims=1),
    dict(input_size=3, kernel_size=2),  # the note's example
    dict(input_size=5, kernel_size=3, padding=1, dims=1),
    dict(input_size=5, kernel_size=2, stride=2, dims=1),
    dict(input_size=6, kernel_size=2, dilation=2, dims=1),
    dict(input_size=5, kernel_size=3, padding="same", dims=1),
    dict(input_size=4, kernel_size=2, stride=2),
    dict(input_size=(4, 5), kernel_size=(2, 3)),
    dict(input_size=5, kernel_size=3, stride=2, padding=1),
    dict(input_size=5, kernel_size=2, dilation=2, padding=1),
    dict(input_size=3, kernel_size=2, in_channels=2, out_channels=3),
    dict(input_size=3, kernel_size=2, in_channels=4, out_channels=2, groups=2),
    dict(input_size=3, kernel_size=2, in_channels=2, out_channels=2, groups=2),
    dict(input_size=3, kernel_size=2, dims=3),
    dict(input_size=8, kernel_size=3, stride=2, padding=1, dilation=2, in_channels=2, out_channels=4,
         groups=2, dims=1),
)


def sweep_specs() -> list[ConvSpec]:
    """The small specs a tensor claim is checked on when no spec is given, smallest first."""
    return [ConvSpec(**fields) for fields in SWEEP]


def input_sweep(spec: ConvSpec, count: int = 4) -> list[ConvSpec]:
    """``spec`` with its open input size filled in by the ``count`` smallest that work."""
    found: list[ConvSpec] = []
    n = 1
    while len(found) < count:
        try:
            found.append(ConvSpec(
                input_size=n, kernel_size=spec.kernel, in_channels=spec.in_channels,
                out_channels=spec.out_channels, stride=spec.strides, padding=spec.padding,
                dilation=spec.dilations, groups=spec.groups, bias=spec.bias, dims=spec.ndim,
            ))
        except SpecError:
            if found:  # pragma: no cover - a valid size is followed by valid sizes
                raise
        n += 1
        assert n < 1000
    return found


# -- checking ----------------------------------------------------------------------------------------


@dataclass
class _Truth:
    """The derived tensor for a quantity and spec, built on first use."""

    quantity: str
    derivation: Derivation

    @cached_property
    def array(self) -> Tensor:
        d = self.derivation
        if self.quantity == "forward":
            return d.y_t
        if self.quantity == PREACTIVATION:
            return _preactivation_gradient(d)
        source = {"grad-input": d.grad_input, "grad-weight": d.grad_weight, "grad-bias": d.grad_bias}[
            self.quantity
        ]
        if source is None:
            raise FormulaError("grad-bias needs a bias, but the spec has none (--no-bias): drop --no-bias")
        return from_array(source)


def check_tensor(
    quantity: str, parsed: Parsed, specs: Sequence[ConvSpec], notes: tuple[str, ...] = ()
) -> VerifyResult:
    """The verdict on a tensor formula for every spec (stopping at the first that refutes it)."""
    check_tensor_formula(parsed, quantity)
    _, _, layout, truth_text = TENSOR_QUANTITIES[quantity]
    checked: list[str] = []
    entries = 0
    for spec in specs:
        checked.append(" ".join(spec.cli_args()))
        counterexample, size = _check_one(quantity, parsed, spec, layout)
        entries += size
        if counterexample is not None:
            failures = 1 + sum(
                1 for later in specs[len(checked):] if _check_one(quantity, parsed, later, layout)[0]
            )
            domain = Domain(points=len(specs), specs=tuple(" ".join(s.cli_args()) for s in specs))
            return VerifyResult(
                quantity=quantity, formula=parsed.formula, syntax=parsed.syntax, holds=False,
                method="exact" if len(specs) == 1 else "sweep", domain=domain, truth=truth_text,
                correct_formula=counterexample.correct, counterexample=counterexample,
                failures=failures, order="the list of specs" if len(specs) > 1 else "", notes=notes,
            )
    domain = Domain(points=len(specs), specs=tuple(checked))
    where = "" if len(specs) == 1 else f" over {len(specs)} specs"
    return VerifyResult(
        quantity=quantity, formula=parsed.formula, syntax=parsed.syntax, holds=True,
        method="exact" if len(specs) == 1 else "sweep", domain=domain, truth=truth_text,
        correct_formula=parsed.formula, notes=notes,
        proof=f"all {entries} entries equal the derivation's{where}",
    )


def latex(expr: sp.Expr) -> str:
    """An entry in LaTeX, δ written as ``\\delta`` (SymPy leaves a braced ``delta_{11}`` as it is)."""
    return re.sub(r"(?<![\\A-Za-z])delta_", r"\\delta_", sp.latex(expr))


def _check_one(
    quantity: str, parsed: Parsed, spec: ConvSpec, layout: str
) -> tuple[TensorCounterexample | None, int]:
    """The counterexample ``spec`` gives (None if the formula holds there) and the entries compared."""
    truth = _Truth(quantity, derive(spec))
    expected = truth.array
    base = TensorCounterexample(
        spec=spec.describe(), options=" ".join(spec.cli_args()), kind="undefined", layout=layout,
        claimed_shape=None, true_shape=tuple(expected.shape), correct=closed_form_text(quantity, spec),
    )
    try:
        claimed = Evaluator(parsed, truth.derivation).run()
        if quantity == PREACTIVATION:  # the formula's x is the activation σ(z)
            claimed = Value(_as_activated(truth.derivation, claimed.data), claimed.role, claimed.spatial)
    except Undefined as undefined:
        return replace(base, reason=undefined.reason), 0
    if claimed.data.shape != expected.shape:
        return replace(base, kind="shape", claimed_shape=tuple(claimed.data.shape)), 0
    differing = []
    for index in np.ndindex(*expected.shape):
        if not equal(expected[index], claimed.data[index]):
            differing.append(index)
    if not differing:
        return None, int(expected.size)
    shown = tuple(
        EntryDifference(tuple(i + 1 for i in index), latex(claimed.data[index]), latex(expected[index]))
        for index in differing[:SHOWN_ENTRIES]
    )
    counterexample = replace(
        base, kind="entries", claimed_shape=tuple(claimed.data.shape), entries=shown,
        differing=len(differing), total=int(expected.size),
    )
    return counterexample, int(expected.size)
