"""Checking a scalar formula: exhaustively against the truth, then symbolically where possible.

Every point of the bounded domain is checked against the truth counted from
the derivation machinery, smallest point first, so the first failure is the
smallest counterexample. When no point fails, a symbolic proof is attempted:
the formula must equal the reference formula as an identity of expressions
(floors and ceilings normalised, every divisor provably non-zero), which makes
the verdict hold for every value, not just the checked ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from fractions import Fraction

import sympy as sp

from symconv.errors import FormulaError
from symconv.verify.constraints import Where
from symconv.verify.domains import points, symbol
from symconv.verify.expressions import ScalarFormula, Undefined, Value, scalar_formula
from symconv.verify.parsing import parse
from symconv.verify.quantities import Context, Piece, ScalarQuantity, Truth
from symconv.verify.result import Domain, ScalarCounterexample, VerifyResult

SHOWN_COUNTEREXAMPLES = 4  # the smallest and the next three
MAX_PROVED_EXPONENT = 64  # a formula with a larger integer power is not expanded for a proof
PROGRESS_EVERY = 100_000  # points between two progress calls

Progress = Callable[[int, int], None]
"""Told (points visited, points in all) while a long check runs."""


def check_scalar(
    q: ScalarQuantity,
    formula: ScalarFormula,
    fixed: Mapping[str, int],
    ctx: Context,
    tied: Mapping[str, str] | None = None,
    notes: tuple[str, ...] = (),
    ranges: Mapping[str, tuple[int, int]] | None = None,
    where: Where | None = None,
    progress: Progress | None = None,
) -> VerifyResult:
    """The verdict on ``formula`` for ``q`` with ``fixed`` variables pinned.

    ``tied`` maps variables to the variable they equal (depthwise: ``g`` → ``c_in``); ``ranges`` are
    the free variables' (the quantity's own by default); ``where`` the constraints between them;
    ``progress(done, total)`` is called every :data:`PROGRESS_EVERY` points of a large domain.
    """
    spelled = {v: formula.spelled.get(v, v) for v in q.variables}
    domain_points = points(q, fixed, tied or {}, ranges, where)
    total = domain_points.size
    valid = 0
    failures: list[ScalarCounterexample] = []
    failed = 0
    large = False  # a point whose truth is not derived but counted on the index map or W's layout
    unset = 0  # points left out because a set variable has no valid value there
    for visited, env in enumerate(domain_points.walk()):
        if progress is not None and visited and visited % PROGRESS_EVERY == 0:
            progress(visited, total)
        if isinstance(env, str):  # a point the constraints leave out
            unset += env == "set"
            continue
        truth = q.truth(env, ctx)
        if truth is None:
            continue
        valid += 1
        large = large or (q.large is not None and q.large(env, ctx))
        try:
            claimed: Value | None = formula.value(env)
            reason = ""
        except Undefined as undefined:
            claimed, reason = None, undefined.reason
        if claimed is not None and _same(claimed, truth):
            continue
        failed += 1
        if len(failures) < SHOWN_COUNTEREXAMPLES:
            shown_vars = [*domain_points.order, *(v for v, _ in (where.sets if where is not None else ()))]
            values = tuple((spelled[v], env[v]) for v in shown_vars)
            shown = f"undefined ({reason})" if claimed is None else _show(claimed)
            failures.append(ScalarCounterexample(values, shown, _show(truth)))
    if not valid:
        fixed_text = ", ".join(f"{spelled[v]} = {x}" for v, x in fixed.items()) or "no fixed values"
        defined = "" if q.validity == "all" else f" where {q.name} is defined ({q.validity})"
        ranges_text = ", ".join(f"{spelled[v]} = {lo}…{hi}" for v, (lo, hi) in domain_points.free)
        widen = f" or widen the domain ({ranges_text}) with --domain" if ranges_text else ""
        if where is not None:
            raise FormulaError(
                f"no point of the domain meets {where.text!r} ({fixed_text}){defined}; change the "
                f"constraints or the fixed values{widen}"
            )
        raise FormulaError(f"no point fits {fixed_text}{defined}; change the fixed values{widen}")
    domain = Domain(
        free=tuple((spelled[v], lo, hi) for v, (lo, hi) in domain_points.free),
        fixed=_shown_fixed(domain_points.fixed, spelled),
        tied=tuple((spelled[v], spelled[t]) for v, t in domain_points.tied.items()),
        points=valid,
        condition=q.validity,
        where="" if where is None else where.text,
    )
    pieces = _applicable(q.reference(ctx), domain_points.fixed)
    correct = _correct_text(pieces, spelled)
    latex = q.correct_latex or (_correct_latex(q, pieces, spelled, ctx) if q.provable else "")
    free = [spelled[v] for v in domain_points.order]
    order = ""
    if free:
        order = f"{' + '.join(free)}, then {', '.join(free)} in turn" if len(free) > 1 else free[0]
    if unset and where is not None:
        sets = ", ".join(f"{spelled.get(v, v)}" for v, _ in where.sets)
        notes = (*notes, f"{unset} point{'s' * (unset != 1)} left out where {sets} would not be a whole "
                         "number at least its smallest value")
    result = VerifyResult(
        quantity=q.name, formula=formula.parsed.formula, syntax=formula.parsed.syntax, holds=True,
        method="exhaustive" if free else "exact", domain=domain,
        truth=q.truth_text + (f"; {q.large_text}" if large else ""),
        correct_formula=correct, correct_latex=latex, order=order, notes=notes,
    )
    if failures:
        return replace(result, holds=False, counterexample=failures[0], more=tuple(failures[1:]),
                       failures=failed)
    if not free:
        return result
    if q.provable and prove(q, formula, domain_points.fixed, ctx, domain_points.tied, where):
        allowed = "" if where is None else f" with {where.text}"
        return replace(result, method="symbolic",
                       proof=f"equal to {correct} for every {', '.join(free)}{allowed}")
    return replace(result, notes=(*notes, "no symbolic proof was found, so the verdict covers the domain "
                                          "checked"))


def _shown_fixed(fixed: Mapping[str, int], spelled: Mapping[str, str]) -> tuple[tuple[str, int | str], ...]:
    """The fixed values as a report lists them; a long stack's per-layer values as one entry."""
    per_layer = [v for v in fixed if _NUMBERED.fullmatch(v)]
    if len(per_layer) <= MAX_SHOWN_LAYER_VALUES:
        return tuple((spelled.get(v, v), x) for v, x in fixed.items())
    layers = max(int(v.rsplit("_", 1)[1]) for v in per_layer)
    names = ", ".join(sorted({v.rsplit("_", 1)[0] + "_i" for v in per_layer}))
    others = tuple((spelled.get(v, v), x) for v, x in fixed.items() if v not in per_layer)
    return (*others, (names, f"those of the {layers} layers given"))


_NUMBERED = re.compile(r"[a-z]_[0-9]+")
MAX_SHOWN_LAYER_VALUES = 24
"""A stack with more per-layer values has them summed up in one entry of the domain line."""


def _same(claimed: Value, truth: Truth) -> bool:
    if isinstance(truth, tuple):
        return isinstance(claimed, tuple) and len(claimed) == len(truth) and all(
            c == t for c, t in zip(claimed, truth)
        )
    return not isinstance(claimed, tuple) and claimed == truth


def _show(value: Value | Truth) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    fraction = Fraction(value)
    bits = max(fraction.numerator.bit_length(), fraction.denominator.bit_length())
    if bits > 200:  # about 60 digits: a number nobody reads in full
        sign = "a negative" if fraction < 0 else "a"
        return f"{sign} number of about {round(bits * 0.30103)} digits"
    return str(fraction)


def _applicable(pieces: tuple[Piece, ...], fixed: Mapping[str, int]) -> tuple[Piece, ...]:
    """The pieces of a reference that apply given the fixed values."""
    return tuple(p for p in pieces if p.var is None or p.applies(fixed.get(p.var)))


def _respell(text: str, spelled: Mapping[str, str]) -> str:
    """A reference formula written with the formula's own names (``d`` → ``r``)."""
    for var, name in spelled.items():
        if name != var:
            text = re.sub(rf"\b{re.escape(var)}\b", name, text)
    return text


def _correct_text(pieces: tuple[Piece, ...], spelled: Mapping[str, str]) -> str:
    if len(pieces) == 1:
        return _respell(pieces[0].formula, spelled)
    return "; ".join(
        f"{_respell(p.formula, spelled)} when {_respell(p.condition, spelled)}" for p in pieces
    )


def reference_formula(q: ScalarQuantity, piece: Piece) -> ScalarFormula:
    """A reference formula parsed like any claim (it is written in the same language)."""
    return scalar_formula(parse(piece.formula, "sympy"), q.name, q.variables, q.aliases, q.arity)


def _correct_latex(
    q: ScalarQuantity, pieces: tuple[Piece, ...], spelled: Mapping[str, str], ctx: Context
) -> str:
    shown = {v: sp.Symbol(name) for v, name in spelled.items()}
    parts = []
    for piece in pieces:
        exprs, _ = reference_formula(q, piece).sympy(shown)
        if len(exprs) == 1:
            text = sp.latex(exprs[0])
        else:
            text = r"\left(" + ", ".join(sp.latex(e) for e in exprs) + r"\right)"
        if piece.var is not None:
            relation = "=" if piece.equals is not None else r"\geq"
            bound = piece.equals if piece.equals is not None else piece.at_least
            text += rf" \quad ({sp.latex(shown[piece.var])} {relation} {bound})"
        parts.append(text)
    return ", ".join(parts)


# -- symbolic proof --------------------------------------------------------------------------------


def prove(
    q: ScalarQuantity, formula: ScalarFormula, fixed: Mapping[str, int], ctx: Context,
    tied: Mapping[str, str] | None = None, where: Where | None = None,
) -> bool:
    """Whether ``formula`` equals the reference as an identity, for every value of the free variables.

    Each piece of the reference is proved where it applies (``s = 1`` by
    substitution, ``s ≥ 2`` as ``s = t + 2`` with ``t ≥ 0``); every divisor in the
    formula must be provably non-zero there, or the identity could hide a point
    where the formula has no value.
    """
    symbols = {v: symbol(v) for v in q.variables}
    claimed, divisors = formula.sympy(symbols)
    if any(_huge_power(sp.sympify(c)) for c in claimed):
        return False  # expanding it would take too long; the exhaustive verdict stands
    base: dict[sp.Symbol, sp.Expr | int] = {symbols[v]: x for v, x in fixed.items() if v in symbols}
    base.update({symbols[v]: symbols[t] for v, t in (tied or {}).items()})
    if where is not None:
        constrained, more = where.substitutions(symbols)
        base = {key: sp.sympify(value).xreplace(constrained) for key, value in base.items()} | {
            key: value.xreplace(base) for key, value in constrained.items() if key not in base}
        divisors = [*divisors, *more]
    for piece in _applicable(q.reference(ctx), fixed):
        subs: dict[sp.Symbol, sp.Expr | int] = dict(base)
        if piece.var is not None and piece.var not in fixed:
            if piece.equals is not None:
                subs[symbols[piece.var]] = piece.equals
            else:
                assert piece.at_least is not None
                subs[symbols[piece.var]] = sp.Symbol("t", integer=True, nonnegative=True) + piece.at_least
        reference, _ = reference_formula(q, piece).sympy(symbols)
        if any(sp.sympify(div).subs(subs).is_zero is not False for div in divisors):
            return False
        for c, r in zip(claimed, reference):
            if not identical(sp.sympify(c).subs(subs), sp.sympify(r).subs(subs)):
                return False
    return True


def _huge_power(expr: sp.Expr) -> bool:
    return any(
        isinstance(e, sp.Pow) and e.exp.is_Integer and abs(int(e.exp)) > MAX_PROVED_EXPONENT
        for e in sp.preorder_traversal(expr)
    )


def identical(a: sp.Expr, b: sp.Expr) -> bool:
    """Whether two expressions in integer variables are identical, floors and ceilings included."""
    difference = sp.expand(canonical(a) - canonical(b))
    if difference == 0:
        return True
    if difference.has(sp.floor):
        return False
    try:
        return bool(sp.simplify(sp.cancel(sp.together(difference))) == 0)
    except (TypeError, ValueError, NotImplementedError):  # pragma: no cover - SymPy gives up
        return False


def canonical(expr: sp.Expr) -> sp.Expr:
    """``expr`` with ceilings as floors, and each floor's integer part taken out of it.

    ``floor((A + B·q)/B) = q + floor(A/B)`` for a polynomial ``q`` with integer
    coefficients (all variables are integers).
    """
    expr = expr.replace(sp.ceiling, _ceiling_as_floor)
    return expr.replace(sp.floor, _canonical_floor)


def _ceiling_as_floor(arg: sp.Expr) -> sp.Expr:
    """``ceiling(N/D) = floor((N + D − 1)/D)`` for integer N and positive integer D, else ``−floor(−x)``."""
    numerator, denominator = sp.fraction(sp.together(arg))
    if _integer_polynomial(sp.expand(numerator)) and denominator.is_integer and denominator.is_positive:
        return sp.floor((numerator + denominator - 1) / denominator)
    return -sp.floor(-arg)


def _canonical_floor(arg: sp.Expr) -> sp.Expr:
    numerator, denominator = (sp.expand(part) for part in sp.fraction(sp.together(arg)))
    if denominator.is_number and denominator.is_negative:
        numerator, denominator = -numerator, -denominator
    whole: sp.Expr = sp.S.Zero
    rest: sp.Expr = sp.S.Zero
    for term in sp.Add.make_args(numerator):
        quotient = sp.cancel(term / denominator)
        if _integer_polynomial(quotient):
            whole += quotient
        else:
            rest += term
    if denominator.is_Integer:
        constant = sum((t for t in sp.Add.make_args(rest) if t.is_Integer), sp.S.Zero)
        whole += constant // denominator
        rest = rest - constant + constant % denominator
    if rest == 0:
        return whole
    return whole + sp.floor(sp.expand(rest) / denominator, evaluate=False)


def _integer_polynomial(expr: sp.Expr) -> bool:
    if expr.is_number:
        return bool(expr.is_Integer)
    gens = sorted(expr.free_symbols, key=str)
    if not expr.is_polynomial(*gens):
        return False
    return all(c.is_Integer for c in sp.Poly(expr, *gens).coeffs())
