"""``symconv.verify``: parsing both syntaxes, the truth, proofs, counterexamples, tensor claims, claims files.

Counterexamples are checked independently: the claimed value by a Python
lambda written beside the formula, the true value by a brute-force count
written here (not symconv's), and "smallest" by walking the domain in the
stated order.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from symconv import ConvSpec, derive
from symconv.errors import ClaimError, FormulaError, SymconvError
from symconv.verify import (
    QUANTITIES,
    FormulaParseError,
    ScalarCounterexample,
    TensorCounterexample,
    load_claims,
    verify,
    verify_claims,
    verify_options,
)
from symconv.verify.checking import reference_formula
from symconv.verify.parsing import detect_syntax, parse, show
from symconv.verify.quantities import SCALARS, Context, placements
from symconv.verify.tensors import closed_form_text, sweep_specs

ROOT = Path(__file__).resolve().parent.parent
NOTE_CLAIMS = ROOT / "examples" / "claims-note.toml"


# -- parsing ------------------------------------------------------------------------------------------

SAME_TREE = [
    ("floor((n + 2*p - k)/s) + 1", r"\left\lfloor \frac{n+2p-k}{s} \right\rfloor + 1"),
    ("floor((n + 2*p - k)/s) + 1", r"\lfloor \frac{n+2p-k}{s} \rfloor + 1"),
    ("floor((n + 2*p - k)/s) + 1", "⌊(n + 2p − k)/s⌋ + 1"),
    ("k+(r-1)*(k+1)", r"k+(r-1)\times(k+1)"),
    ("k+(r-1)*(k+1)", r"k+(r-1)\cdot(k+1)"),
    ("k+(r-1)*(k+1)", "k+(r-1)(k+1)"),
    ("k+(r-1)*(k+1)", "[k+(r-1)*(k+1)]"),
    ("2*p", "2p"),
    ("d*k*c_in", r"dkc_{in}"),
    ("k*(k-1)", "k(k-1)"),
    ("k**2", "k^2"),
    ("k^2", r"k^{2}"),
    ("s^(L-1)", r"s^{L-1}"),
    ("c_in*k^2 + c_out", r"c_{in} k^2 + C_{\text{out}}"),
    ("c_in*k^2", r"C_{in}\,k^{2}"),
    ("ceil((n - k + 1)/s)", r"\left\lceil \frac{n-k+1}{s} \right\rceil"),
    ("1/2*k", r"\frac12 k"),
    ("(n - k)//s", "(n - k) // s"),
    ("max(k, d)", r"\max(k, d)"),
    ("k_1 + s_2", r"k_1 + s_{2}"),
    ("conv(delta, rot180(W))", r"\operatorname{conv}(\delta, rot_{180}(W))"),
    ("delta * rot180(W)", r"\delta \ast \mathrm{rot180}(W)"),
    ("hadamard(x, x)", "hadamard(x,x)"),
    ("x ⊙ W", r"x \odot W"),
]


@pytest.mark.parametrize(("sympy_form", "other_form"), SAME_TREE)
def test_both_syntaxes_give_the_same_tree(sympy_form: str, other_form: str) -> None:
    assert show(parse(other_form).tree) == show(parse(sympy_form).tree)


def test_the_syntax_is_detected_by_a_backslash_or_a_brace() -> None:
    assert detect_syntax(r"k+(r-1)\times(k+1)") == "latex"
    assert detect_syntax("c_{in}") == "latex"
    assert detect_syntax("floor((n+2*p-k)/s)+1") == "sympy"
    assert parse("k+(r-1)*(k+1)").syntax == "sympy"


def test_precedence_and_associativity() -> None:
    assert show(parse("-k^2").tree) == "(-(k ^ 2))"
    assert show(parse("2^3^2").tree) == "(2 ^ (3 ^ 2))"
    assert show(parse("n - k - 1").tree) == "((n - k) - 1)"
    assert show(parse("n/s*k").tree) == "((n / s) * k)"
    assert show(parse("(a, b)").tree) == "(a, b)"


PARSE_ERRORS = [
    # (formula, where the caret starts, what the message says)
    ("floor((n + 2*p - k)/s + 1", 25, "ends too early"),
    ("(n - k))", 7, "nothing is open"),
    ("n + * k", 4, "unexpected '*'"),
    ("n $ k", 2, "unexpected character '$'"),
    ("", 0, "empty"),
    ("n +", 3, "ends too early"),
    (r"\foo{n}", 0, r"unknown LaTeX command \foo"),
    (r"\frac{n}{s", 8, "never closed"),
    (r"\left\lfloor n \right)", 21, r"\rfloor"),
    ("y = n - k + 1", 2, "right-hand side"),
    ("conv(x, stride=1, W)", 18, "positional argument cannot follow"),
    ("()", 0, "empty parentheses"),
]


@pytest.mark.parametrize(("formula", "column", "message"), PARSE_ERRORS)
def test_parse_errors_point_at_the_trouble(formula: str, column: int, message: str) -> None:
    with pytest.raises(FormulaParseError) as caught:
        parse(formula)
    error = caught.value
    assert message in error.message
    assert error.start == column
    line, caret = error.caret_lines()
    assert line == formula
    assert caret.index("^") == column


# -- the truth against the reference formulas -----------------------------------------------------------


@pytest.mark.parametrize("name", list(SCALARS))
@pytest.mark.parametrize("ctx", [Context(2, True), Context(1, False), Context(3, True)])
def test_every_reference_formula_equals_the_truth(name: str, ctx: Context) -> None:
    """The correct formulas shown to users agree with the counted truth on the whole domain."""
    q = SCALARS[name]
    pieces = q.reference(ctx)
    formulas = [(p, reference_formula(q, p)) for p in pieces]
    free = [q.ranges[v] for v in q.variables]
    checked = 0
    for values in itertools.product(*(range(lo, hi + 1) for lo, hi in free)):
        env = dict(zip(q.variables, values))
        truth = q.truth(env, ctx)
        if truth is None:
            continue
        piece, formula = next((p, f) for p, f in formulas if p.applies(env.get(p.var or "", 0)))
        claimed = formula.value(env)
        expected = truth if isinstance(truth, tuple) else Fraction(truth)
        assert claimed == expected, (name, env, piece.formula)
        checked += 1
    assert checked > 10


def test_kernel_placements_agree_with_the_derivation() -> None:
    cases = [(3, 2, 1, 0, 1), (5, 3, 2, 1, 1), (7, 3, 2, 0, 2), (6, 2, 3, 2, 1), (4, 4, 1, 0, 1)]
    for n, k, s, p, d in cases:
        spec = ConvSpec(input_size=n, kernel_size=k, stride=s, padding=p, dilation=d, dims=1)
        assert derive(spec).Y.shape == (1, placements(n, k, s, p, d))


def test_transposed_truth_is_the_input_size_that_maps_to_the_output() -> None:
    """For every input size m, the transposed size with the right output padding gives m back."""
    for k, s, p, d in [(3, 2, 1, 1), (2, 3, 0, 1), (3, 2, 0, 2), (1, 2, 1, 1)]:
        first: dict[int, int] = {}
        for m in range(1, 12):
            try:
                spec = ConvSpec(input_size=m, kernel_size=k, stride=s, padding=p, dilation=d, dims=1)
                n = derive(spec).Y.shape[1]
            except SymconvError:
                continue
            first.setdefault(n, m)
            result = verify("transposed-output-size", str(m), n=n, k=k, s=s, p=p, d=d, a=m - first[n])
            assert result.holds and result.method == "exact", (m, n, k, s, p, d)


# -- convolution arithmetic (Dumoulin & Visin): true and mutated relationships ----------------------------


@functools.cache
def brute_output(n: int, k: int, s: int, p: int, d: int) -> int | None:
    """Kernel placements, enumerated: start positions whose last tap stays in the padded input."""
    count = sum(1 for start in range(0, n + 2 * p, s) if start + d * (k - 1) <= n + 2 * p - 1)
    return count or None


def brute_effective(k: int, d: int) -> int:
    taps = [u * d for u in range(k)]
    return max(taps) - min(taps) + 1


@functools.cache
def brute_transposed(n: int, k: int, s: int, p: int, d: int, a: int) -> int | None:
    """PyTorch's size: the smallest padded length whose convolution has n outputs (enumerated), plus a,
    less 2p — for a < s the a-th such length; PyTorch accepts a < max(s, d)."""
    lengths = [m for m in range(1, 200) if brute_output(m, k, s, 0, d) == n]
    if not lengths or a >= max(s, d) or lengths[0] + a - 2 * p < 1:
        return None
    return lengths[0] + a - 2 * p


BRUTE: dict[str, Callable[..., int | None]] = {
    "output-size": lambda n, k, s, p, d: brute_output(n, k, s, p, d),
    "effective-kernel": lambda k, d: brute_effective(k, d),
    "transposed-output-size": lambda n, k, s, p, d, a: brute_transposed(n, k, s, p, d, a),
}

Claim = tuple[str, str, Callable[..., Fraction | int], dict[str, int]]

TRUE = [
    # (quantity, formula, the same formula as a lambda, fixed values)
    ("output-size", "n - k + 1", lambda n, k, s, p, d: n - k + 1, {"s": 1, "p": 0, "d": 1}),  # rel. 1
    ("output-size", "n - k + 2*p + 1", lambda n, k, s, p, d: n - k + 2 * p + 1, {"s": 1, "d": 1}),  # rel. 2
    ("output-size", "n", lambda n, k, s, p, d: n, {"k": 3, "p": 1, "s": 1, "d": 1}),  # half padding
    ("output-size", "n + k - 1", lambda n, k, s, p, d: n + k - 1, {"k": 3, "p": 2, "s": 1, "d": 1}),  # full
    ("output-size", "floor((n - k)/s) + 1", lambda n, k, s, p, d: (n - k) // s + 1, {"p": 0, "d": 1}),
    ("output-size", r"\left\lfloor \frac{n+2p-k}{s} \right\rfloor + 1",
     lambda n, k, s, p, d: (n + 2 * p - k) // s + 1, {"d": 1}),  # rel. 6
    ("output-size", "floor((n + 2*p - k - (k - 1)*(d - 1))/s) + 1",
     lambda n, k, s, p, d: (n + 2 * p - k - (k - 1) * (d - 1)) // s + 1, {}),  # dilated, rel. 15
    ("output-size", "ceil((n + 2*p - d*(k - 1))/s)",
     lambda n, k, s, p, d: -((-(n + 2 * p - d * (k - 1))) // s), {}),
    ("transposed-output-size", "n + k - 1", lambda n, k, s, p, d, a: n + k - 1,
     {"s": 1, "p": 0, "d": 1, "a": 0}),  # rel. 8
    ("transposed-output-size", "s*(n - 1) + k - 2*p", lambda n, k, s, p, d, a: s * (n - 1) + k - 2 * p,
     {"d": 1, "a": 0}),  # rel. 13
    ("transposed-output-size", "(n - 1)*s - 2*p + d*(k - 1) + a + 1",
     lambda n, k, s, p, d, a: (n - 1) * s - 2 * p + d * (k - 1) + a + 1, {}),  # PyTorch, rel. 14 + dilation
    ("effective-kernel", "k + (k - 1)*(d - 1)", lambda k, d: k + (k - 1) * (d - 1), {}),
    ("effective-kernel", r"d(k-1)+1", lambda k, d: d * (k - 1) + 1, {}),
]

MUTATED = [
    ("output-size", "n - k", lambda n, k, s, p, d: n - k, {"s": 1, "p": 0, "d": 1}),
    ("output-size", "n - k + 2", lambda n, k, s, p, d: n - k + 2, {"s": 1, "p": 0, "d": 1}),
    ("output-size", "n - k + p + 1", lambda n, k, s, p, d: n - k + p + 1, {"s": 1, "d": 1}),
    ("output-size", "n", lambda n, k, s, p, d: n, {"k": 4, "p": 2, "s": 1, "d": 1}),  # even k: not "same"
    ("output-size", "floor((n + 2*p - k)/s)", lambda n, k, s, p, d: (n + 2 * p - k) // s, {"d": 1}),
    ("output-size", "(n + 2*p - k)/s + 1", lambda n, k, s, p, d: Fraction(n + 2 * p - k, s) + 1, {"d": 1}),
    ("output-size", "floor((n + 2*p - k)/s) + 1", lambda n, k, s, p, d: (n + 2 * p - k) // s + 1, {}),
    ("output-size", "floor((n + 2*p - d*k)/s) + 1", lambda n, k, s, p, d: (n + 2 * p - d * k) // s + 1, {}),
    ("transposed-output-size", "(n - 1)*s - 2*p + d*(k - 1) + 1",
     lambda n, k, s, p, d, a: (n - 1) * s - 2 * p + d * (k - 1) + 1, {}),  # forgets a
    ("transposed-output-size", "(n - 1)*s + 2*p + d*(k - 1) + a + 1",
     lambda n, k, s, p, d, a: (n - 1) * s + 2 * p + d * (k - 1) + a + 1, {}),
    ("transposed-output-size", "n*s - 2*p + k + a - 1",
     lambda n, k, s, p, d, a: n * s - 2 * p + k + a - 1, {"d": 1}),
    ("effective-kernel", "k+(r-1)*(k+1)", lambda k, d: k + (d - 1) * (k + 1), {}),  # the note's
    ("effective-kernel", "k*d", lambda k, d: k * d, {}),
]


def domain(quantity: str, fixed: dict[str, int]) -> list[dict[str, int]]:
    """The points a check walks, in its order: by the sum of the free values, then lexicographically."""
    q = SCALARS[quantity]
    free = [v for v in q.variables if v not in fixed]
    grid = itertools.product(*(range(q.ranges[v][0], q.ranges[v][1] + 1) for v in free))
    ordered = sorted(grid, key=lambda c: (sum(c), c))
    return [{**fixed, **dict(zip(free, c))} for c in ordered]


def api_fixed(fixed: dict[str, int]) -> dict[str, int]:
    return dict(fixed)


@pytest.mark.parametrize(("quantity", "formula", "same", "fixed"), TRUE, ids=[c[1] for c in TRUE])
def test_true_relationships_are_proved(
    quantity: str, formula: str, same: Callable[..., int], fixed: dict[str, int]
) -> None:
    result = verify(quantity, formula, **api_fixed(fixed))
    assert result.holds, result.report()
    assert result.method == "symbolic", result.report()
    assert result.counterexample is None
    # The lambda and the brute force agree wherever the check looked: the verdict is right.
    q = SCALARS[quantity]
    for env in domain(quantity, fixed):
        truth = BRUTE[quantity](**{v: env[v] for v in q.variables})
        if truth is not None:
            assert same(**{v: env[v] for v in q.variables}) == truth


@pytest.mark.parametrize(("quantity", "formula", "same", "fixed"), MUTATED, ids=[c[1] for c in MUTATED])
def test_mutated_relationships_are_refuted_at_the_smallest_counterexample(
    quantity: str, formula: str, same: Callable[..., Fraction | int], fixed: dict[str, int]
) -> None:
    result = verify(quantity, formula, **api_fixed(fixed))
    assert not result.holds
    c = result.counterexample
    assert isinstance(c, ScalarCounterexample)
    q = SCALARS[quantity]
    names = {"r": "d"}
    values = {names.get(v, v): x for v, x in c.values}
    env = {**fixed, **values}
    args = {v: env[v] for v in q.variables}
    # Independently: the claim's value and the truth at the counterexample.
    assert c.claimed == str(Fraction(same(**args)))
    truth = BRUTE[quantity](**args)
    assert truth is not None and c.true == str(truth)
    assert Fraction(same(**args)) != truth
    # It is the first failing point in the stated order.
    for point in domain(quantity, fixed):
        point_args = {v: point[v] for v in q.variables}
        point_truth = BRUTE[quantity](**point_args)
        if point_truth is not None and Fraction(same(**point_args)) != point_truth:
            assert point == env
            break
    # The correct formula is offered, and it holds.
    assert verify(quantity, result.correct_formula, **api_fixed(fixed)).holds


# -- the note's claims ------------------------------------------------------------------------------------


def test_the_notes_dilated_receptive_field_is_refuted() -> None:
    result = verify("effective-kernel", "k+(r-1)*(k+1)")
    assert not result.holds and result.method == "exhaustive"
    assert str(result.counterexample) == "k = 1, r = 2: claimed 3, true 1"
    assert result.correct_formula == "k + (k - 1)*(r - 1)"
    assert result.failures == 24 and result.domain.points == 30
    # The example, at a fixed point: k = 3, r = 2 claims 7, the truth is 5.
    at = verify("effective-kernel", "k+(r-1)*(k+1)", k=3, r=2)
    assert not at.holds and at.method == "exact"
    assert str(at.counterexample) == "the fixed values: claimed 7, true 5"


def test_the_notes_latex_forms_parse_and_get_the_same_verdicts() -> None:
    latex = verify("effective-kernel", r"k+(r-1)\times(k+1)")
    assert latex.syntax == "latex" and str(latex.counterexample) == "k = 1, r = 2: claimed 3, true 1"
    floor = verify("output-size", r"\left\lfloor \frac{n+2p-k}{s} \right\rfloor + 1", d=1)
    assert floor.syntax == "latex" and floor.holds and floor.method == "symbolic"


NOTE_SPEC = ConvSpec(input_size=3, kernel_size=2)


def test_the_notes_delta_formula_is_refuted_on_shape() -> None:
    result = verify("grad-input", "conv(delta, rot180(W))", NOTE_SPEC)
    assert not result.holds and result.method == "exact"
    c = result.counterexample
    assert isinstance(c, TensorCounterexample)
    assert c.kind == "shape" and c.claimed_shape == (1, 1, 1) and c.true_shape == (1, 3, 3)
    assert result.correct_formula == "conv(pad(delta, 1), rot180(W))"
    # The note's own notation, * as its stride-1 convolution without padding, says the same.
    assert verify("grad-input", r"\delta * rot_{180}(W)", NOTE_SPEC).counterexample == c


def test_the_full_convolution_holds_for_stride_1_and_not_for_stride_2() -> None:
    formula = "conv(pad(delta, k-1), rot180(W))"
    assert verify("grad-input", formula, NOTE_SPEC).holds
    strided = verify("grad-input", formula, ConvSpec(input_size=3, kernel_size=2, stride=2))
    c = strided.counterexample
    assert isinstance(c, TensorCounterexample)
    assert c.kind == "shape" and c.claimed_shape == (1, 2, 2) and c.true_shape == (1, 3, 3)
    assert strided.correct_formula == "pad(conv(pad(dilate(delta, 2), 1), rot180(W)), 0, 1)"
    strided_spec = ConvSpec(input_size=3, kernel_size=2, stride=2)
    assert verify("grad-input", strided.correct_formula, strided_spec).holds


def test_the_notes_weight_and_bias_gradients_hold_for_stride_1() -> None:
    assert verify("grad-weight", "conv(x, delta)", NOTE_SPEC).holds
    assert verify("grad-bias", "sum(delta)", NOTE_SPEC).holds
    assert verify("forward", "conv(x, W) + b", NOTE_SPEC).holds
    # Stride 1 with the input size left open: swept over the smallest sizes.
    swept = verify("grad-weight", "conv(x, delta)", s=1)
    assert swept.holds and swept.method == "sweep" and swept.domain.points == 4
    assert not verify("grad-weight", "conv(x, delta)", s=2).holds


# -- tensor claims ---------------------------------------------------------------------------------------

EXTRA_SPECS = [
    ConvSpec(input_size=5, kernel_size=2, padding="same", dims=1),  # asymmetric padding
    ConvSpec(input_size=7, kernel_size=3, stride=3, padding=2, dilation=2, dims=1),
    ConvSpec(input_size=(5, 6), kernel_size=(3, 2), stride=(2, 1), dilation=(1, 2)),
    ConvSpec(input_size=3, kernel_size=2, in_channels=3, out_channels=6, groups=3),  # depthwise, multiplier 2
    ConvSpec(input_size=4, kernel_size=3, padding=1, bias=False),
]


@pytest.mark.parametrize("quantity", ["forward", "grad-input", "grad-weight", "grad-bias"])
def test_the_correct_closed_form_holds_on_every_spec(quantity: str) -> None:
    for spec in [*sweep_specs(), *EXTRA_SPECS]:
        if quantity == "grad-bias" and not spec.bias:
            continue
        formula = closed_form_text(quantity, spec)
        result = verify(quantity, formula, spec)
        assert result.holds, (spec.describe(), formula, result.report())


def test_channels_and_groups_follow_the_names() -> None:
    grouped = ConvSpec(input_size=3, kernel_size=2, in_channels=4, out_channels=2, groups=2)
    for quantity, formula in [("forward", "conv(x, W) + b"), ("grad-input", "conv(pad(delta, 1), rot180(W))"),
                              ("grad-weight", "conv(x, delta)"), ("grad-bias", "sum(delta)")]:
        assert verify(quantity, formula, grouped).holds, formula
    depthwise = ConvSpec(input_size=4, kernel_size=3, in_channels=3, out_channels=3, groups=3)
    assert verify("grad-weight", "conv(x, delta)", depthwise).holds


def test_stride_and_dilation_need_their_operators() -> None:
    spec = ConvSpec(input_size=5, kernel_size=2, stride=2, dilation=2, dims=1)
    assert verify("forward", "conv(x, W, stride=s, dilation=d) + b", spec).holds
    assert verify("forward", "conv(x, W, stride=2, dilation=2) + b", spec).holds
    assert not verify("forward", "conv(x, W, stride=s) + b", spec).holds
    assert verify("grad-weight", "conv(x, dilate(delta, s), stride=d)", spec).holds
    assert verify("grad-input", "conv(pad(dilate(delta, s), d*(k-1)), rot180(dilate(W, d)))", spec).holds
    refuted = verify("grad-input", "conv(pad(dilate(delta, s), d*(k-1)), rot180(W))", spec)
    assert not refuted.holds
    assert refuted.correct_formula == "conv(pad(dilate(delta, 2), 2), rot180(dilate(W, 2)))"


def test_differing_entries_are_shown_in_latex() -> None:
    result = verify("grad-input", "conv(pad(delta, k-1), W)", NOTE_SPEC)
    c = result.counterexample
    assert isinstance(c, TensorCounterexample) and c.kind == "entries"
    assert c.differing == 9 and c.total == 9 and len(c.entries) == 4
    first = c.entries[0]
    assert first.index == (1, 1, 1)
    assert first.claimed == r"\delta_{11} k_{22}" and first.true == r"\delta_{11} k_{11}"
    assert result.correct_formula == "conv(pad(delta, 1), rot180(W))"


def test_operators_and_arithmetic() -> None:
    spec = ConvSpec(input_size=4, kernel_size=2, in_channels=2, out_channels=3)
    assert verify("grad-bias", "2*sum(delta)/2", spec).holds
    assert verify("grad-bias", "sum(delta) + sum(delta) - sum(delta)", spec).holds
    assert verify("grad-input", "crop(conv(pad(delta, 2), rot180(W)), 1)", spec).holds
    assert verify("grad-input", "crop(conv(pad(delta, 1, 3), rot180(W)), 0, 2)", spec).holds
    assert verify("grad-input", "conv(pad(delta, (1, 1)), rot180(W))", spec).holds
    assert verify("grad-input", "conv(delta, rot180(W), padding=k-1)", spec).holds
    assert verify("grad-input", "-conv(pad(delta, 1), -rot180(W))", spec).holds
    entrywise = verify("grad-weight", "hadamard(conv(x, delta), W)", spec)
    assert not entrywise.holds
    assert verify("grad-weight", "conv(x, delta) ⊙ W", spec).counterexample == entrywise.counterexample


def test_a_formula_without_a_value_for_the_spec_is_refuted_with_the_reason() -> None:
    cases = {
        "conv(delta, W)": (3, "does not fit"),
        "crop(conv(pad(delta, 2), rot180(W)), 2)": (3, "leaves nothing"),
        "conv(pad(delta, (k-1)/2), rot180(W))": (2, "(k-1)/2 is 1/2, but must be a whole number"),
    }
    for formula, (kernel, reason) in cases.items():
        c = verify("grad-input", formula, ConvSpec(input_size=3, kernel_size=kernel)).counterexample
        assert isinstance(c, TensorCounterexample) and c.kind == "undefined" and reason in c.reason, formula
    same = ConvSpec(input_size=4, kernel_size=2, padding="same", dims=1)
    with pytest.raises(FormulaError, match="p is not one number"):  # ill-posed: bad input, not refuted
        verify("forward", "conv(pad(x, p), W) + b", same)
    no_bias = verify("forward", "conv(x, W) + b", ConvSpec(input_size=3, kernel_size=2, bias=False))
    assert isinstance(no_bias.counterexample, TensorCounterexample)
    assert "no bias" in no_bias.counterexample.reason


def test_a_sweep_reports_the_first_failing_spec() -> None:
    result = verify("grad-input", "conv(pad(delta, k-1), rot180(W))")
    assert not result.holds and result.method == "sweep"
    assert result.domain.points == len(sweep_specs())
    c = result.counterexample
    assert isinstance(c, TensorCounterexample)
    assert c.options == "--dims 1 --input 5 --kernel 3 --padding 1"  # the first spec with padding
    assert result.correct_formula == "crop(conv(pad(delta, 2), rot180(W)), 1)"
    assert 1 < result.failures < len(sweep_specs())


# -- scalar quantities beyond sizes ------------------------------------------------------------------------


def test_params_macs_and_im2col_shape() -> None:
    assert verify("params", "c_out*(c_in/g*k^2 + 1)").method == "symbolic"
    assert verify("params", "c_out*c_in*k^2/g", bias=False).holds
    assert verify("params", "c_out*c_in*k/g", bias=False, dims=1).holds
    assert not verify("params", "c_out*c_in*k^2").holds  # groups forgotten
    macs = "c_out*(c_in/g)*k^2*(floor((n + 2*p - d*(k - 1) - 1)/s) + 1)^2"
    assert verify("macs", macs).method == "symbolic"
    shape = verify("im2col-shape", "((n - k + 1)^2, c_in*k^2)", s=1, p=0, d=1)
    assert shape.holds and shape.method == "symbolic"
    refuted = verify("im2col-shape", "((n - k + 1)^2, c_in*k^2)")
    assert isinstance(refuted.counterexample, ScalarCounterexample)
    assert refuted.counterexample.true.startswith("(")
    depthwise = verify_options("params", "c_in*k", {"depthwise": True, "no-bias": True})
    assert str(depthwise.counterexample) == "k = 2, c_in = 1: claimed 2, true 4"
    assert depthwise.domain.tied == (("g", "c_in"), ("c_out", "c_in"))
    proved = verify_options("params", "c_in*k^2", {"depthwise": True, "no-bias": True})
    assert proved.method == "symbolic"  # with g and c_out tied to c_in
    multiplier = verify_options("params", "c_out*k^2 + c_out", {"depthwise": True, "out-channels": 6})
    assert multiplier.holds and "c_out = 6" in multiplier.domain.describe()


def test_receptive_field_of_stacks() -> None:
    assert verify("receptive-field", "1 + L*(k - 1)", s=1, d=1).method == "symbolic"
    assert verify("receptive-field", "1 + d*(k - 1)*(s^L - 1)/(s - 1)", s=2).method == "symbolic"
    at_one = verify("receptive-field", "1 + d*(k - 1)*(s^L - 1)/(s - 1)")
    assert isinstance(at_one.counterexample, ScalarCounterexample)
    assert at_one.counterexample.claimed == "undefined (division by zero)"
    stack = verify("receptive-field", "1 + r_1*(k_1 - 1) + d_2*(k_2 - 1)*s_1", layers="3,1,1;3,2,2")
    assert stack.holds and stack.method == "exact"
    wrong = verify("receptive-field", "k_1 + k_2", layers=[(3, 2, 1), (3, 1, 1)])
    assert str(wrong.counterexample) == "the fixed values: claimed 6, true 7"


def test_a_proof_needs_every_divisor_nonzero() -> None:
    """(k² − 1)/(k − 1) equals k + 1 after cancelling, but has no value at k = 1."""
    result = verify("effective-kernel", "(k^2 - 1)/(k - 1)", d=2)
    assert not result.holds
    assert str(result.counterexample).startswith("k = 1: claimed undefined (division by zero)")
    beyond = verify("effective-kernel", "(2*k - 1)*(k - 7)/(k - 7)", d=2)  # no value at k = 7 only
    assert beyond.holds and beyond.method == "exhaustive"


def test_a_power_too_large_to_evaluate_is_bad_input_not_a_refutation() -> None:
    """An evaluation limit says nothing about the formula: it is an error (exit 2), never REFUTED."""
    for quantity, formula, part in [
        ("params", "k**99999999", "k**99999999"),
        ("output-size", "floor((n+2*p-d*(k-1)-1)/s) + 1 + (k-1)^50000", "(k-1)^50000"),
        ("params", "c_out*(c_in/g)*k^2 + c_out + (k+1000)**9000", "(k+1000)**9000"),
    ]:
        with pytest.raises(FormulaError, match="cannot evaluate ") as caught:
            verify(quantity, formula)
        assert str(caught.value).startswith(f"cannot evaluate {part}: ")
    with pytest.raises(FormulaError, match=r"k\*\*99999999: exponents above 10000 are not evaluated"):
        verify("params", "k**99999999")
    # A base of 0, 1 or -1 is exact at any exponent.
    ones = verify("output-size", "1**99999999 * (floor((n+2*p-d*(k-1)-1)/s)+1)")
    assert ones.holds and ones.method == "symbolic"
    assert verify("effective-kernel", "(-1)**99999998 * (k + (k-1)*(d-1)) + 0**99999999").holds
    assert verify("effective-kernel", "(-1)^(-99999999) * -(k + (k-1)*(d-1))").holds
    # The same in a tensor formula's sizes: one exact evaluator, one set of limits.
    spec = ConvSpec(input_size=3, kernel_size=2)
    with pytest.raises(FormulaError, match=r"cannot evaluate k\*\*99999999: exponents above 10000"):
        verify("grad-input", "conv(pad(delta, k**99999999), rot180(W))", spec)
    assert verify("grad-input", "conv(pad(delta, 1**99999999 * (k-1)), rot180(W))", spec).holds
    # A genuinely undefined value stays a refutation.
    zero = verify("effective-kernel", "k + (k-1)*(d-1) + (k-1)**(-99999999)", k=1)
    assert isinstance(zero.counterexample, ScalarCounterexample)
    assert zero.counterexample.claimed == "undefined (division by zero)"


def test_fixed_values_outside_a_quantity_are_noted() -> None:
    result = verify_options("effective-kernel", "k + (k-1)*(d-1)", {"input": 5})
    assert result.holds and any("--input" in note for note in result.notes)


# -- claims file -------------------------------------------------------------------------------------------

NOTE_VERDICTS = [True, True, True, False, True, False, True, True, False, True, True, False, True]


def test_the_notes_claims_file() -> None:
    claims = load_claims(NOTE_CLAIMS)
    report = verify_claims(claims, str(NOTE_CLAIMS))
    assert [r.holds for _, r in report.rows] == NOTE_VERDICTS
    assert not report.holds and report.refuted == 4
    table = report.table()
    assert table.splitlines()[-1] == "13 claims: 9 hold, 4 refuted"
    assert "refuted: k = 1, r = 2: claimed 3, true 1" in table
    data = json.loads(json.dumps(report.to_dict()))
    assert data["refuted"] == 4 and len(data["results"]) == 13


CLAIMS_ERRORS = [
    ("[[claim]]\nquantity = 'output-size'\n", "claim 1 has no formula"),
    ("[[claim]]\nquantity = 'size'\nformula = 'n'\n", "unknown quantity 'size'"),
    ("[[claim]]\nquantity = 'output-size'\nformula = 'n'\ncolour = 1\n", "unknown key 'colour'"),
    ("[[claim]]\nquantity = 'output-size'\nformula = 1\n", "formula must be a string"),
    ("[[claim]]\nquantity = 'output-size'\nformula = 'n'\nspec = 3\n", "spec must be a table"),
    ("title = 'x'\n", "unknown top-level key 'title'"),
    ("", "no claims"),
    ("[[claim]\n", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), CLAIMS_ERRORS)
def test_bad_claims_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ClaimError, match=message.replace("[", r"\[")):
        load_claims(path)


def test_a_bad_claim_inside_a_file_names_the_claim(tmp_path: Path) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(
        "[[claim]]\nquantity='effective-kernel'\nformula='k'\n"
        "[[claim]]\nname='typo'\nquantity='output-size'\nformula='n - q'\n"
        "[[claim]]\nquantity='output-size'\nformula='n'\nspec={stride=0}\n",
        encoding="utf-8",
    )
    claims = load_claims(path)
    with pytest.raises(FormulaParseError) as caught:
        verify_claims(claims[:2])
    assert caught.value.message.startswith("claim 2 (typo): unknown name 'q'") and caught.value.start == 4
    with pytest.raises(ClaimError, match="claim 3: stride = 0 must be ≥ 1"):
        verify_claims(claims[2:])
    with pytest.raises(ClaimError, match="cannot read"):
        load_claims(tmp_path / "missing.toml")


@pytest.mark.parametrize(("spec", "message"), [
    ("{ depthwise = 'no' }", "claim 1: depthwise = 'no' must be true or false"),
    ("{ depthwise = 1 }", "claim 1: depthwise = 1 must be true or false"),
    ("{ separable = 'false' }", "claim 1: separable = 'false' must be true or false"),
    ("{ no-bias = 'false' }", "claim 1: no-bias = 'false' must be true or false"),
    ("{ dims = 1, kernel = '3x3' }",
     "claim 1: kernel = '3x3' has 2 entries but dims = 1: give one value, or 1"),
    ("{ dims = 1, input = [5, 5] }", "claim 1: input = [5, 5] has 2 entries but dims = 1"),
])
def test_claim_flags_are_booleans_and_sizes_fit_dims(tmp_path: Path, spec: str, message: str) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(f"[[claim]]\nquantity='params'\nformula='c_in*k^2'\nspec={spec}\n", encoding="utf-8")
    with pytest.raises(ClaimError) as caught:
        verify_claims(load_claims(path))
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_claim_flags_given_as_booleans_still_work(tmp_path: Path) -> None:
    path = tmp_path / "claims.toml"
    path.write_text("[[claim]]\nquantity='params'\nformula='c_in*k^2'\n"
                    "spec={ depthwise = true, no-bias = true, separable = false, dims = 2, kernel = '3x3' }\n"
                    "[[claim]]\nquantity='params'\nformula='c_out*(c_in/g)*k^2'\n"
                    "spec={ depthwise = false, no-bias = true }\n", encoding="utf-8")
    report = verify_claims(load_claims(path))
    assert [r.holds for _, r in report.rows] == [True, True]


# -- bad input --------------------------------------------------------------------------------------

API_BAD_INPUT: list[tuple[Callable[[], object], type[Exception], str]] = [
    (lambda: verify("size", "n"), ClaimError, "unknown quantity 'size': the quantities are output-size"),
    (lambda: verify("output-size", "n + q"), FormulaParseError,
     "unknown name 'q': output-size formulas use n, k, s, p, d, r"),
    (lambda: verify("output-size", "nk - 1"), FormulaParseError, "(for a product write n*k)"),
    (lambda: verify("output-size", "flor(n/s)"), FormulaParseError, "flor is an unknown function"),
    (lambda: verify("output-size", "conv(x, W)"), FormulaParseError, "conv is a tensor operator"),
    (lambda: verify("output-size", "x + 1"), FormulaParseError, "x is a tensor, but output-size is a number"),
    (lambda: verify("output-size", "floor(n, s)"), FormulaParseError, "floor() takes 1 argument, not 2"),
    (lambda: verify("output-size", "(n, k)"), FormulaParseError, "output-size is one number, not a tuple"),
    (lambda: verify("im2col-shape", "n*k"), FormulaParseError,
     "im2col-shape is a tuple: write it as a tuple of 2"),
    (lambda: verify("im2col-shape", "(n, k, s)"), FormulaParseError, "has 2 components"),
    (lambda: verify("grad-input", "k - 1"), FormulaParseError,
     "grad-input is a tensor, but the formula is a size"),
    (lambda: verify("grad-input", "conv(delta, V)"), FormulaParseError, "unknown name 'V'"),
    (lambda: verify("grad-input", "convolve(delta, W)"), FormulaParseError, "unknown function 'convolve'"),
    (lambda: verify("grad-input", "conv(delta, W, groups=2)"), FormulaParseError, "no keyword 'groups'"),
    (lambda: verify("grad-input", "pad(delta)"), FormulaParseError, "pad() takes 2 to 3 arguments, not 1"),
    (lambda: verify("grad-input", "pad(k, 1)"), FormulaParseError, "must be a tensor"),
    (lambda: verify("grad-input", "pad(delta, W)"), FormulaParseError, "must be a size, not a tensor"),
    (lambda: verify("grad-input", "x + delta"), FormulaParseError, "indexed differently"),
    (lambda: verify("grad-input", "x + 1"), FormulaParseError, "cannot add a size and a tensor"),
    (lambda: verify("grad-input", "conv(W, W)"), FormulaParseError, "two weight-like tensors"),
    (lambda: verify("grad-input", "conv(b, W)"), FormulaParseError, "has no spatial axes"),
    (lambda: verify("grad-bias", "sum(delta)", ConvSpec(input_size=3, bias=False)), FormulaError,
     "grad-bias needs a bias"),
    (lambda: verify("output-size", "n", q=1), ClaimError, "unknown variable 'q'"),
    (lambda: verify("output-size", "n", s=0), ClaimError, "s=0 must be ≥ 1"),
    (lambda: verify("output-size", "n", k=2.5), ClaimError, "k=2.5 is not a whole number"),
    (lambda: verify("output-size", "n", ConvSpec(kernel_size=2), k=3), ClaimError, "conflicts with the spec"),
    (lambda: verify("params", "k", ConvSpec(kernel_size=(2, 3))), ClaimError,
     "k 2x3 differs between dimensions, but params is one number for the whole layer"),
    (lambda: verify("output-size", "n", ConvSpec(kernel_size=2, padding="same")), ClaimError,
     "pads both sides alike"),
    (lambda: verify("output-size", "n", n=1, k=4, p=0), FormulaError,
     "no point fits n = 1, k = 4, p = 0"),
    (lambda: verify("grad-input", "x", ConvSpec(input_size=3), k=2), ClaimError, "not both"),
    (lambda: verify("grad-input", "x", a=1), ClaimError, "a is not a variable of tensor quantities"),
    (lambda: verify("grad-input", "x", g=3, c_in=4), ClaimError, "g=3 does not divide c_in=4"),
    (lambda: verify("output-size", "n", layers="3,1,1"), ClaimError, "layers is for the stack quantities"),
    (lambda: verify("receptive-field", "L", layers="3", k=3), ClaimError, "k conflicts with layers"),
    (lambda: verify("receptive-field", "L", layers="3,x"), ClaimError,
     "layer 1 ('3,x') is not k[,s[,d[,p[,c]]]]"),
    (lambda: verify("receptive-field", "L", layers=""), ClaimError, "is empty"),
    (lambda: verify_options("receptive-field", "L", {"layers": "3", "kernel": 3}), ClaimError,
     "--kernel 3 conflicts with --layers"),
    (lambda: verify_options("output-size", "n", {"layers": "3"}), ClaimError, "for the stack quantities"),
    (lambda: verify_options("output-size", "n", {"padding": "same"}), ClaimError, "--padding same pads"),
    (lambda: verify_options("macs", "n", {"kernel": (3, 5)}), ClaimError, "--kernel 3x5 differs"),
    (lambda: verify_options("output-size", "n", {"separable": True}), ClaimError,
     "--separable: verify checks"),
    (lambda: verify_options("grad-input", "x", {"groups": 3, "in-channels": 4}), ClaimError,
     "--groups 3 does not divide --in-channels 4"),
    (lambda: verify_options("grad-input", "x", {"depthwise": True, "groups": 2}), ClaimError,
     "--groups 2 conflicts with --depthwise"),
    (lambda: verify_options("params", "k", {"depthwise": True, "groups": 2}), ClaimError,
     "--groups 2 conflicts with --depthwise"),
    (lambda: verify_options("grad-input", "x", {"output-padding": 1}), ClaimError,
     "not for tensor quantities"),
    (lambda: verify_options("output-size", "n", {"colour": 1}), ClaimError, "unknown option 'colour'"),
    (lambda: verify_options("output-size", "n", {"dims": 4}), ClaimError, "--dims 4 must be 1, 2 or 3"),
    (lambda: verify_options("output-size", "n", {"dims": 1, "kernel": "3x3"}), ClaimError,
     "--kernel 3x3 has 2 entries but --dims 1: give one value, or 1"),
    (lambda: verify_options("params", "k", {"dims": 1, "kernel": (3, 3)}), ClaimError,
     "--kernel 3x3 has 2 entries but --dims 1"),
    (lambda: verify_options("output-size", "n", {"input": "5x5", "dims": 1}), ClaimError,
     "--input 5x5 has 2 entries but --dims 1"),
    (lambda: verify_options("output-size", "n", {"stride": "1x1x1", "dims": 2}), ClaimError,
     "--stride 1x1x1 has 3 entries but --dims 2"),
    (lambda: verify_options("forward", "conv(x, W)", {"dims": 1, "kernel": "3x3"}), ClaimError,
     "--kernel 3x3 has 2 entries but --dims 1"),
    (lambda: verify_options("params", "k", {"depthwise": "no"}, style="toml"), ClaimError,
     "depthwise = 'no' must be true or false"),
    (lambda: verify_options("params", "k", {"separable": 0}, style="toml"), ClaimError,
     "separable = 0 must be true or false"),
    (lambda: verify_options("forward", "conv(x, W)", {"depthwise": "yes"}, style="toml"), ClaimError,
     "depthwise = 'yes' must be true or false"),
]


@pytest.mark.parametrize(("call", "error", "message"), API_BAD_INPUT, ids=[c[2][:40] for c in API_BAD_INPUT])
def test_bad_input_raises_a_clear_error(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        call()
    assert isinstance(caught.value, SymconvError)
    text = caught.value.message if isinstance(caught.value, FormulaParseError) else str(caught.value)
    assert message in text


def test_every_quantity_is_listed() -> None:
    assert set(QUANTITIES) == {
        "output-size", "effective-kernel", "receptive-field", "params", "macs", "transposed-output-size",
        "im2col-shape", "asymmetric-output-size", "same-padding", "same-output-size", "transposed-zeros",
        "transposed-padding", "transposed-output-padding", "transposed-params", "transposed-macs",
        "grad-input-macs", "grad-weight-macs", "backward-macs", "activations", "jump", "start",
        "forward", "grad-input", "grad-weight", "grad-bias", "grad-preactivation",
    }
    assert verify("Output_Size", "floor((n+2*p-d*(k-1)-1)/s)+1").quantity == "output-size"


# -- the result object ------------------------------------------------------------------------------


def test_to_dict_is_json_ready_and_complete() -> None:
    for result in [
        verify("effective-kernel", "k+(r-1)*(k+1)"),
        verify("output-size", "floor((n+2*p-d*(k-1)-1)/s)+1"),
        verify("grad-input", "conv(delta, rot180(W))", NOTE_SPEC),
        verify("grad-input", "conv(pad(delta, k-1), W)", NOTE_SPEC),
    ]:
        data = json.loads(json.dumps(result.to_dict()))
        assert {"holds", "method", "domain", "counterexample", "correct_formula", "syntax"} <= set(data)
        assert data["holds"] == result.holds
    refuted = verify("effective-kernel", "k+(r-1)*(k+1)").to_dict()
    assert refuted["counterexample"] == {"values": {"k": 1, "r": 2}, "claimed": "3", "true": "1"}
    assert refuted["domain"]["free"] == {"k": [1, 6], "r": [1, 5]}
    assert refuted["correct_latex"] == r"k + \left(k - 1\right) \left(r - 1\right)"


def test_exact_values_are_fractions_not_floats() -> None:
    result = verify("output-size", "(n - k)/s + 1", p=0, d=1)
    assert isinstance(result.counterexample, ScalarCounterexample)
    assert result.counterexample.claimed == "3/2"
    assert math.isclose(float(Fraction(result.counterexample.claimed)), 1.5)
