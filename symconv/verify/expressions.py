"""Scalar formulas: names checked against a quantity's variables, exact evaluation, and SymPy form.

A parsed formula becomes a :class:`ScalarFormula` once every name in it is a
variable of the quantity (``r`` stands for ``d``) and every call a scalar
function. Evaluation is exact, on :class:`fractions.Fraction`, straight from the
tree — no SymPy on the hot path, and no automatic cancellation: ``(k²−1)/(k−1)``
is undefined at ``k = 1``, as written. :meth:`ScalarFormula.sympy` gives the
SymPy expression for symbolic proofs, with every divisor listed so that a proof
can insist none of them vanishes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from symconv.errors import FormulaError
from symconv.verify.parsing import BinOp, Call, Name, Neg, Node, Num, Parsed, Tuple

TENSOR_NAMES = ("x", "W", "b", "delta")
SCALAR_FUNCTIONS = {"floor": (1, 1), "ceil": (1, 1), "ceiling": (1, 1), "max": (2, 99), "min": (2, 99),
                    "abs": (1, 1), "mod": (2, 2)}
MAX_EXPONENT = 10_000  # beyond this a power is refused rather than computed (s^L for 10,000 layers)
MAX_BITS = 1 << 16  # nor is a power whose result would have more bits than this

Value = Fraction | tuple[Fraction, ...]
TUPLE_EXAMPLES = {"same-padding": "(before, after)"}  # what a tuple quantity's parts are


class Undefined(Exception):
    """The formula has no value at a point (division by zero, an irrational power, …)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EvaluationLimit(Exception):
    """A power beyond what is evaluated: a limit of symconv, not a property of the formula."""

    def __init__(self, limit: str, node: Node | None = None) -> None:
        super().__init__(limit)
        self.node = node


@dataclass(frozen=True)
class ScalarFormula:
    """A formula whose names are all variables of one quantity.

    ``spelled`` maps each canonical variable the formula uses to the way it was
    written first (``d`` → ``r``), so reports speak the formula's language.
    """

    parsed: Parsed
    spelled: Mapping[str, str]
    names: Mapping[str, str]  # every name in the formula → its variable
    arity: int | None  # None: a number; else a tuple of that many numbers

    @property
    def uses(self) -> frozenset[str]:
        return frozenset(self.spelled)

    def value(self, env: Mapping[str, int]) -> Value:
        """The exact value at ``env`` (variable → int); raises Undefined where there is none."""
        local = {name: env[var] for name, var in self.names.items()}
        tree = self.parsed.tree
        try:
            if isinstance(tree, Tuple):
                return tuple(_evaluate(item, local) for item in tree.items)
            return _evaluate(tree, local)
        except EvaluationLimit as limit:  # bad input (exit 2), not a refutation
            part = self.parsed.formula
            if limit.node is not None:
                part = part[limit.node.start:limit.node.end].strip()
            raise FormulaError(f"cannot evaluate {part}: {limit}") from None

    def sympy(self, symbols: Mapping[str, sp.Symbol]) -> tuple[list[sp.Expr], list[sp.Expr]]:
        """The SymPy expressions (one per component) and every divisor that must not vanish."""
        divisors: list[sp.Expr] = []
        local = {name: symbols[var] for name, var in self.names.items()}
        tree = self.parsed.tree
        items = tree.items if isinstance(tree, Tuple) else (tree,)
        return [_to_sympy(item, local, divisors) for item in items], divisors


def scalar_formula(
    parsed: Parsed,
    quantity: str,
    variables: Sequence[str],
    aliases: Mapping[str, str],
    arity: int | None,
) -> ScalarFormula:
    """Check ``parsed`` against a quantity's ``variables``; FormulaParseError points at any misfit.

    ``aliases`` maps other accepted names to variables (``r`` → ``d``); ``arity``
    is the number of components a shape quantity needs (None for a number).
    """
    allowed = list(variables) + [a for a in aliases if aliases[a] in variables]
    listing = ", ".join(allowed)
    spelled: dict[str, str] = {}

    def walk(node: Node, top: bool) -> None:
        if isinstance(node, Num):
            return
        if isinstance(node, Name):
            var = aliases.get(node.id, node.id)
            if var not in variables:
                if node.id in TENSOR_NAMES:
                    why = f"{node.typed} is a tensor, but {quantity} is a number: its variables are {listing}"
                else:
                    why = f"unknown name {node.typed!r}: {quantity} formulas use {listing}"
                    if parsed.syntax == "sympy" and len(node.id) > 1 and all(c in allowed for c in node.id):
                        why += f" (for a product write {'*'.join(node.id)})"
                raise parsed.error(node, why)
            spelled.setdefault(var, node.typed)
            return
        if isinstance(node, Neg):
            walk(node.operand, False)
            return
        if isinstance(node, BinOp):
            if node.op == "⊙":
                raise parsed.error(node, f"⊙ (Hadamard product) is for tensors, but {quantity} is a number")
            walk(node.left, False)
            walk(node.right, False)
            return
        if isinstance(node, Call):
            name_span = Node(node.start, node.name_end)
            if node.func not in SCALAR_FUNCTIONS:
                known = ", ".join(sorted(f for f in SCALAR_FUNCTIONS if f != "ceiling"))
                kind = "a tensor operator" if node.func in _TENSOR_OPERATORS else "an unknown function"
                raise parsed.error(
                    name_span, f"{node.typed} is {kind}: {quantity} formulas may call {known}"
                )
            low, high = SCALAR_FUNCTIONS[node.func]
            if node.kwargs:
                raise parsed.error(node, f"{node.typed}() takes no key=value arguments")
            if not low <= len(node.args) <= high:
                wanted = str(low) if low == high else f"at least {low}"
                raise parsed.error(node, f"{node.typed}() takes {wanted} argument{'s' * (low != 1)}, "
                                         f"not {len(node.args)}")
            for arg in node.args:
                walk(arg, False)
            return
        assert isinstance(node, Tuple)
        if not top or arity is None:
            raise parsed.error(node, f"{quantity} is one number, not a tuple")
        if len(node.items) != arity:
            raise parsed.error(
                node, f"{quantity} has {arity} components, but the tuple has {len(node.items)}"
            )
        for item in node.items:
            walk(item, False)

    tree = parsed.tree
    if arity is not None and not isinstance(tree, Tuple):
        example = TUPLE_EXAMPLES.get(quantity, "(rows, columns)")
        raise parsed.error(tree, f"{quantity} is a tuple: write it as a tuple of {arity}, e.g. {example}")
    walk(tree, True)
    names = {name: aliases.get(name, name) for name in _names(tree)}
    return ScalarFormula(parsed, spelled, names, arity)


_TENSOR_OPERATORS = frozenset({"conv", "pad", "crop", "dilate", "rot180", "sum", "hadamard"})


def _names(node: Node) -> set[str]:
    """Every name (canonical spelling) in the tree."""
    if isinstance(node, Name):
        return {node.id}
    if isinstance(node, Neg):
        return _names(node.operand)
    if isinstance(node, BinOp):
        return _names(node.left) | _names(node.right)
    if isinstance(node, Call):
        return set().union(*[_names(a) for a in node.args]) if node.args else set()
    if isinstance(node, Tuple):
        return set().union(*[_names(i) for i in node.items])
    return set()


# -- exact evaluation --------------------------------------------------------------------------


def _power(base: Fraction, exponent: Fraction) -> Fraction:
    if exponent.denominator == 1:
        e = int(exponent)
        if base == 0 and e < 0:
            raise Undefined("division by zero")
        if base in (0, 1, -1):  # exact for any exponent
            return base**e if e >= 0 else base ** (e % 2)
        if abs(e) > MAX_EXPONENT:
            raise EvaluationLimit(f"exponents above {MAX_EXPONENT} are not evaluated")
        size = max(base.numerator.bit_length(), base.denominator.bit_length())
        if abs(e) * size > MAX_BITS:
            raise EvaluationLimit(f"at base {base} its value has more than {MAX_BITS} bits, and such "
                                  "powers are not evaluated")
        return base**e
    # A rational power is rational only when both parts of the base are perfect powers.
    q = exponent.denominator
    shown = f"({base})" if base < 0 else str(base)
    if base < 0 and q % 2 == 0:
        raise Undefined(f"{shown}^({exponent}) is not a real number")
    sign = -1 if base < 0 else 1
    roots = [_integer_root(abs(part), q) for part in (base.numerator, base.denominator)]
    if roots[0] is None or roots[1] is None:
        raise Undefined(f"{shown}^({exponent}) is not a rational number")
    return _power(Fraction(sign * roots[0], roots[1]), Fraction(exponent.numerator))


def _integer_root(value: int, q: int) -> int | None:
    root = round(value ** (1.0 / q))
    for r in (root - 1, root, root + 1):
        if r >= 0 and r**q == value:
            return int(r)
    return None


def _divide(a: Fraction, b: Fraction) -> Fraction:
    if b == 0:
        raise Undefined("division by zero")
    return a / b


_BINARY: dict[str, Callable[[Fraction, Fraction], Fraction]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _divide,
    "//": lambda a, b: Fraction(math.floor(_divide(a, b))),
    "%": lambda a, b: a - b * math.floor(_divide(a, b)),
    "^": _power,
}

_CALLS: dict[str, Callable[[list[Fraction]], Fraction]] = {
    "floor": lambda v: Fraction(math.floor(v[0])),
    "ceil": lambda v: Fraction(math.ceil(v[0])),
    "ceiling": lambda v: Fraction(math.ceil(v[0])),
    "max": max,
    "min": min,
    "abs": lambda v: abs(v[0]),
    "mod": lambda v: _BINARY["%"](v[0], v[1]),  # a mod b = a − b·floor(a/b), as a % b
}


def binary(operator: str, a: Fraction, b: Fraction) -> Fraction:
    """``a operator b`` exactly (Undefined where it has no value, EvaluationLimit past the limits)."""
    return _BINARY[operator](a, b)


def call(function: str, args: list[Fraction]) -> Fraction:
    """``function(*args)`` exactly: floor, ceil(ing), max, min, abs, mod."""
    return _CALLS[function](args)


def _evaluate(node: Node, env: Mapping[str, int]) -> Fraction:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Name):
        return Fraction(env[node.id])
    if isinstance(node, Neg):
        return -_evaluate(node.operand, env)
    if isinstance(node, BinOp):
        left, right = _evaluate(node.left, env), _evaluate(node.right, env)
        try:
            return _BINARY[node.op](left, right)
        except EvaluationLimit as limit:
            raise EvaluationLimit(str(limit), node) from None
    assert isinstance(node, Call), node
    return _CALLS[node.func]([_evaluate(a, env) for a in node.args])


# -- SymPy form --------------------------------------------------------------------------------


def _to_sympy(node: Node, symbols: Mapping[str, sp.Symbol], divisors: list[sp.Expr]) -> sp.Expr:
    if isinstance(node, Num):
        return sp.Rational(node.value.numerator, node.value.denominator)
    if isinstance(node, Name):
        return symbols[node.id]
    if isinstance(node, Neg):
        return -_to_sympy(node.operand, symbols, divisors)
    if isinstance(node, Call):
        args = [_to_sympy(a, symbols, divisors) for a in node.args]
        if node.func == "floor":
            return sp.floor(args[0])
        if node.func in ("ceil", "ceiling"):
            return sp.ceiling(args[0])
        if node.func == "max":
            return sp.Max(*args)
        if node.func == "min":
            return sp.Min(*args)
        if node.func == "mod":
            divisors.append(args[1])
            return args[0] - args[1] * sp.floor(args[0] / args[1])
        assert node.func == "abs", node.func
        return sp.Abs(args[0])
    assert isinstance(node, BinOp), node
    a = _to_sympy(node.left, symbols, divisors)
    b = _to_sympy(node.right, symbols, divisors)
    if node.op == "+":
        return a + b
    if node.op == "-":
        return a - b
    if node.op == "*":
        return a * b
    if node.op in ("/", "//", "%"):
        divisors.append(b)
        if node.op == "/":
            return a / b
        return sp.floor(a / b) if node.op == "//" else a - b * sp.floor(a / b)
    assert node.op == "^", node.op
    if b.is_nonnegative is not True:
        divisors.append(a)  # a negative power divides by the base
    return sp.Pow(a, b)
