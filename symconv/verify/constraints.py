"""Constraints between variables (``--where "k odd, p = floor(k/2)"``): read, applied, substituted.

A constraint is a parity (``k odd``, ``n even``) or a relation between two
formulas (``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``; also ``≠ ≤ ≥``), in the
same language as the claim. An equation with a lone variable on one side
(``p = floor(k/2)``, ``k - 1 = p``) *sets* that variable: it is computed at each
point instead of ranging over its own values, so it follows the others however
large they grow; a constant one fixes it. Every other constraint filters the
points. A symbolic proof substitutes what the constraints say — each set
variable by its formula, an odd ``k`` by ``2t + 1`` and an even one by ``2t + 2``
— so a proof covers every point the constraints allow; a relation that only
filters narrows the points further, which a proof for the wider set covers too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from symconv.errors import ClaimError
from symconv.spec import MAX_VALUE
from symconv.verify.expressions import ScalarFormula, Undefined, scalar_formula
from symconv.verify.parsing import FormulaParseError, Name, parse

RELATIONS = {"=": "=", "==": "=", "!=": "≠", "≠": "≠", "<=": "≤", "≤": "≤", ">=": "≥", "≥": "≥",
             "<": "<", ">": ">", r"\neq": "≠", r"\ne": "≠", r"\leq": "≤", r"\le": "≤", r"\geq": "≥",
             r"\ge": "≥", r"\lt": "<", r"\gt": ">"}
_RELATION = re.compile(r"==|!=|<=|>=|[=≠≤≥<>]|\\(?:neq|ne|leq|le|geq|ge|lt|gt)(?![A-Za-z])")
_PARITY = re.compile(r"^\s*([A-Za-z][A-Za-z_0-9]*)\s+(?:is\s+)?(odd|even)\s*$")
EXAMPLE = 'e.g. "k odd, p = floor(k/2)"'


@dataclass(frozen=True)
class Parity:
    """``var odd`` (remainder 1) or ``var even`` (remainder 0)."""

    var: str
    remainder: int
    text: str

    def holds(self, env: Mapping[str, int]) -> bool:
        return env[self.var] % 2 == self.remainder


@dataclass(frozen=True)
class Relation:
    """``left op right``: two formulas and a relation (``=`` ``≠`` ``<`` ``≤`` ``>`` ``≥``)."""

    left: ScalarFormula
    op: str
    right: ScalarFormula
    text: str

    def holds(self, env: Mapping[str, int]) -> bool:
        try:
            a, b = self.left.value(env), self.right.value(env)
        except Undefined:
            return False  # no value: the point does not satisfy it
        assert isinstance(a, Fraction) and isinstance(b, Fraction)
        return {"=": a == b, "≠": a != b, "<": a < b, "≤": a <= b, ">": a > b, "≥": a >= b}[self.op]


@dataclass(frozen=True)
class Where:
    """The constraints of a claim: the variables they set (in the order to compute them) and the
    conditions every point must meet."""

    text: str  # as the user wrote it, for reports
    sets: tuple[tuple[str, ScalarFormula], ...] = ()
    conditions: tuple[Parity | Relation, ...] = ()
    constants: Mapping[str, int] | None = None  # variables set to a number: fixed

    def apply(self, env: dict[str, int], minimum: Mapping[str, int], tied: Mapping[str, str]) -> str:
        """Set the variables the constraints compute (in ``env``), and those ``tied`` to another, and say
        whether the point meets the constraints: ``""`` if it does, ``"set"`` if a set variable has no
        whole value at least its ``minimum`` there, ``"filter"`` if a condition fails. A set value beyond
        2147483647 is refused, as a typed one is."""
        env.update({v: env[t] for v, t in tied.items() if t in env})
        for var, formula in self.sets:
            try:
                value = formula.value(env)
            except Undefined:
                return "set"
            assert isinstance(value, Fraction)
            if value.denominator != 1 or value < minimum.get(var, 0):
                return "set"
            if value > MAX_VALUE:
                at = ", ".join(f"{v} = {env[v]}" for v in sorted(formula.uses))
                raise ClaimError(f"{self.text!r} sets {var} beyond {MAX_VALUE}, the largest value symconv "
                                 f"takes, at {at}: narrow the domain or the constraint")
            env[var] = int(value)
            env.update({v: env[t] for v, t in tied.items() if t == var})
        return "" if all(c.holds(env) for c in self.conditions) else "filter"

    def substitutions(
        self, symbols: Mapping[str, sp.Symbol]
    ) -> tuple[dict[sp.Symbol, sp.Expr], list[sp.Expr]]:
        """What a proof substitutes: each set variable by its formula, then each parity variable by
        ``2t + 1`` / ``2t + 2`` (``2t`` for an even variable that may be 0); and the set formulas'
        divisors, which must not vanish."""
        divisors: list[sp.Expr] = []
        subs: dict[sp.Symbol, sp.Expr] = {}
        for var, formula in self.sets:  # in compute order: each reads only the ones before it
            (expr,), divs = formula.sympy(symbols)
            subs[symbols[var]] = sp.sympify(expr).xreplace(subs)
            divisors += [sp.sympify(d).xreplace(subs) for d in divs]
        parity: dict[sp.Symbol, sp.Expr] = {}
        for c in self.conditions:
            if isinstance(c, Parity):
                t = sp.Symbol(f"t_{c.var}", integer=True, nonnegative=True)
                low = 0 if symbols[c.var].is_nonnegative and not symbols[c.var].is_positive else 1
                parity[symbols[c.var]] = 2 * t + c.remainder + (2 if c.remainder == 0 and low else 0)
        return ({key: value.xreplace(parity) for key, value in subs.items()} | parity,
                [d.xreplace(parity) for d in divisors])


def _top_level(text: str) -> Iterator[int]:
    """The positions in ``text`` outside parentheses, brackets and braces (the brackets left out)."""
    depth = 0
    for i, c in enumerate(text):
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        elif depth == 0:
            yield i


def _split(text: str) -> list[tuple[int, str]]:
    """The comma-separated parts of ``text`` outside parentheses and braces, with their offsets."""
    parts, start = [], 0
    for i in _top_level(text):
        if text[i] in ",;":
            parts.append((start, text[start:i]))
            start = i + 1
    parts.append((start, text[start:]))
    return parts


def parse_where(
    given: str | Sequence[str],
    quantity: str,
    variables: Sequence[str],
    aliases: Mapping[str, str],
    fixed: Mapping[str, int],
    label: str = "--where",
) -> Where:
    """Read the constraints ``given`` (one string, parts joined by commas, or a list of parts) for a
    quantity with ``variables``; ``fixed`` variables are never set by a constraint, only tested."""
    if isinstance(given, str):
        text = given
    elif isinstance(given, Sequence) and all(isinstance(g, str) for g in given):
        text = ", ".join(given)
    else:
        raise ClaimError(f'{label} must be a string like "k odd, p = floor(k/2)" or a list of such strings')
    conditions: list[Parity | Relation] = []
    equations: list[Relation] = []
    for offset, part in _split(text):
        if not part.strip():
            raise ClaimError(f"{label} {text!r} has an empty constraint; {EXAMPLE}")
        parity = _PARITY.match(part)
        if parity is not None:
            name, word = parity.groups()
            var = aliases.get(name, name)
            if var not in variables:
                raise ClaimError(f"{label}: {name} is not a variable of {quantity}; its variables are "
                                 f"{', '.join(variables)}")
            conditions.append(Parity(var, 1 if word == "odd" else 0, part.strip()))
            continue
        relation = _relation(text, offset, part, quantity, variables, aliases, label)
        (equations if relation.op == "=" else conditions).append(relation)
    sets: dict[str, ScalarFormula] = {}
    constants: dict[str, int] = {}
    for eq in equations:
        chosen = _sets(eq, sets, fixed, constants)
        if chosen is None:
            conditions.append(eq)
            continue
        var, formula = chosen
        if not formula.uses:  # a number: the variable is fixed
            try:
                value = formula.value({})
            except Undefined as undefined:
                raise ClaimError(f"{label}: {eq.text} gives {var} no value ({undefined.reason})") from None
            assert isinstance(value, Fraction)
            if value.denominator != 1:
                raise ClaimError(f"{label}: {eq.text} sets {var} to {value}, not a whole number")
            if abs(value) > MAX_VALUE:
                raise ClaimError(f"{label}: {eq.text} sets {var} beyond {MAX_VALUE}, the largest value "
                                 "symconv takes")
            constants[var] = int(value)
        else:
            sets[var] = formula
    order = _order(sets)
    shown = ", ".join(" ".join(part.split()) for _, part in _split(text))
    return Where(shown, tuple((v, sets[v]) for v in order), tuple(conditions), constants)


def _relation(
    text: str, offset: int, part: str, quantity: str, variables: Sequence[str], aliases: Mapping[str, str],
    label: str,
) -> Relation:
    found: list[re.Match[str]] = []
    for i in _top_level(part):
        if found and i < found[-1].end():
            continue  # inside the relation just read
        m = _RELATION.match(part, i)
        if m is not None:
            found.append(m)
    if len(found) != 1:
        why = "has no relation" if not found else "has more than one relation"
        raise ClaimError(f"{label}: '{part.strip()}' {why}: write one of =, !=, <, <=, >, >= between two "
                         f"formulas, or VAR odd / VAR even; {EXAMPLE}")
    m = found[0]
    sides = []
    for start, end in ((0, m.start()), (m.end(), len(part))):
        side = part[start:end]
        try:
            parsed = parse(side)
            sides.append(scalar_formula(parsed, quantity, variables, aliases, None))
        except FormulaParseError as error:  # point into the whole --where text
            at = offset + start
            raise FormulaParseError(text, error.start + at, error.end + at,
                                    f"{label}: {error.message}") from None
    return Relation(sides[0], RELATIONS[m.group()], sides[1], part.strip())


def _lone(formula: ScalarFormula) -> str | None:
    tree = formula.parsed.tree
    return formula.names[tree.id] if isinstance(tree, Name) else None


def _sets(
    eq: Relation, sets: Mapping[str, ScalarFormula], fixed: Mapping[str, int], constants: Mapping[str, int]
) -> tuple[str, ScalarFormula] | None:
    """The variable an equation sets and its formula: a lone variable on one side, not fixed, not set
    already, and not read by the other side (through what is set already) — else None: a filter."""
    for side, other in ((eq.left, eq.right), (eq.right, eq.left)):
        var = _lone(side)
        if var is None or var in fixed or var in sets or var in constants:
            continue
        if var in _reads(other, sets):
            continue
        return var, other
    return None


def _reads(formula: ScalarFormula, sets: Mapping[str, ScalarFormula]) -> set[str]:
    """Every variable ``formula`` reads, through the formulas of set variables."""
    seen: set[str] = set()
    todo = list(formula.uses)
    while todo:
        var = todo.pop()
        if var not in seen:
            seen.add(var)
            if var in sets:
                todo += list(sets[var].uses)
    return seen


def _order(sets: Mapping[str, ScalarFormula]) -> list[str]:
    """The set variables in an order where each is computed after the set variables it reads."""
    order: list[str] = []
    while len(order) < len(sets):
        for var, formula in sets.items():
            if var not in order and all(u in order or u not in sets for u in formula.uses):
                order.append(var)
    return order
