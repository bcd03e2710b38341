"""Constraints between variables (--where) and per-dimension sizes in scalar claims.

The truths here are independent of symconv: output sizes counted by brute force
over kernel placements, transposed sizes from PyTorch's documented formula.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from clitools import assert_bad_input, run
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv.errors import ClaimError, FormulaError
from symconv.spec import ConvSpec
from symconv.verify import FormulaParseError, ScalarCounterexample, load_claims, verify, verify_claims


def placements(n: int, k: int, s: int, p: int, d: int) -> int:
    """Kernel placements along n inputs padded by p: brute force over start positions."""
    return sum(1 for start in range(0, n + 2 * p) if start % s == 0 and start + d * (k - 1) < n + 2 * p)


# -- the guide's half and full padding, stated in general ------------------------------------------------


@pytest.mark.parametrize(("quantity", "formula", "where", "fixed"), [
    ("output-size", "n", "k odd, p = floor(k/2)", {"s": 1, "d": 1}),  # Relationship 3
    ("output-size", "n + k - 1", "p = k - 1", {"s": 1, "d": 1}),  # Relationship 4
    ("transposed-output-size", "n", "k odd, p = floor(k/2)", {"s": 1, "d": 1, "a": 0}),  # Relationship 10
    ("transposed-output-size", "n - (k - 1)", "p = k - 1", {"s": 1, "d": 1, "a": 0}),  # Relationship 11
    ("output-size", "n", "k odd, p = d*(k - 1)/2", {"s": 1}),  # half padding, dilated
])
def test_the_guides_half_and_full_padding_are_proved_in_general(
    quantity: str, formula: str, where: str, fixed: dict[str, int]
) -> None:
    result = verify(quantity, formula, where=where, **fixed)
    assert result.holds and result.method == "symbolic", result.report()
    assert result.proof.endswith(f"with {where}")
    assert result.domain.where == where


def test_the_checked_points_are_those_the_constraints_allow() -> None:
    """Every point meets the constraints; the set variable follows the others past its own range."""
    result = verify("output-size", "n", where="k odd, p = floor(k/2)", s=1, d=1, domain="n=1..10,k=1..9")
    assert result.holds
    brute = [(n, k) for n in range(1, 11) for k in range(1, 10, 2) if placements(n, k, 1, k // 2, 1) >= 1]
    assert result.domain.points == len(brute) == 50
    assert all(placements(n, k, 1, k // 2, 1) == n for n, k in brute)  # p = 4 at k = 9: beyond p's 0…2


def test_a_wrong_constrained_claim_is_refuted_at_the_smallest_point_with_the_set_value() -> None:
    """Even kernels do not keep the size with p = floor(k/2): the smallest counterexample shows p."""
    result = verify("output-size", "n", where="p = floor(k/2)", s=1, d=1)
    assert not result.holds
    c = result.counterexample
    assert isinstance(c, ScalarCounterexample)
    assert c.values == (("n", 1), ("k", 2), ("p", 1))
    assert (c.claimed, c.true) == ("1", str(placements(1, 2, 1, 1, 1)))
    ordered = sorted(itertools.product(range(1, 33), range(1, 5)), key=lambda c: (sum(c), c))
    first = next((n, k) for n, k in ordered if placements(n, k, 1, k // 2, 1) != n)
    assert first == (1, 2)


def test_a_filter_and_a_fixed_constant() -> None:
    """A relation that is not an equation filters; an equation with a number fixes the variable."""
    result = verify("output-size", "floor((n - k)/s) + 1", where="p = 0, d = 1, n >= k")
    assert result.holds and result.method == "symbolic"
    assert ("p", 0) in result.domain.fixed and ("d", 1) in result.domain.fixed
    wrong = verify("output-size", "(n - k)/s + 1", where="p = 0, d = 1, (n - k) % s = 0")
    assert wrong.holds  # exact when s divides n - k: Relationship 5's special case …
    assert wrong.method == "exhaustive"  # … checked on the points, not proved (the filter is not used)
    assert verify("output-size", "(n - k)/s + 1", where="p = 0, d = 1").holds is False


@settings(max_examples=25, deadline=None)
@given(offset=st.integers(-2, 2), scale=st.integers(1, 3))
def test_mutated_half_padding_is_never_proved(offset: int, scale: int) -> None:
    """n·scale + offset holds under half padding only for scale 1, offset 0 (brute force agrees)."""
    formula = f"{scale}*n + ({offset})"
    result = verify("output-size", formula, where="k odd, p = floor(k/2)", s=1, d=1)
    truth = all(placements(n, k, 1, k // 2, 1) == scale * n + offset for n in range(1, 33) for k in (1, 3))
    assert result.holds is truth
    if not truth:
        c = result.counterexample
        assert isinstance(c, ScalarCounterexample)
        values = dict(c.values)
        n, k = values["n"], values["k"]
        assert placements(n, k, 1, k // 2, 1) != scale * n + offset


def test_constraints_from_the_command_line_and_a_claims_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "verify", "output-size", "n", "--stride", "1", "--dilation", "1",
                       "--where", "k odd, p = floor(k/2)")
    assert code == 0
    assert out.splitlines()[1] == ("HOLDS, proved symbolically: equal to floor((n + 2*p - d*(k - 1) - 1)/s) "
                                   "+ 1 for every n, k with k odd, p = floor(k/2)")
    assert "domain: n = 1…32, k = 1…4, s = 1, d = 1 with k odd, p = floor(k/2) (64 points" in out
    code, out, _ = run(capsys, "verify", "output-size", "n", "--stride", "1", "--dilation", "1",
                       "--where", "p = floor(k/2)", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["counterexample"]["values"] == {"n": 1, "k": 2, "p": 1}
    assert data["domain"]["where"] == "p = floor(k/2)"
    claims = tmp_path / "c.toml"
    claims.write_text('[[claim]]\nquantity = "output-size"\nformula = "n"\n'
                      'spec = { stride = 1, dilation = 1 }\nwhere = ["k odd", "p = floor(k/2)"]\n',
                      encoding="utf-8")
    report = verify_claims(load_claims(claims))
    assert report.holds and report.rows[0][1].method == "symbolic"


@pytest.mark.parametrize(("args", "message"), [
    (["--where", "k odd, q = 1"], "--where: unknown name 'q': output-size formulas use"),
    (["--where", "k odd, p"], "--where: 'p' has no relation: write one of =, !=, <, <=, >, >="),
    (["--where", "1 < k < 3"], "has more than one relation"),
    (["--where", "m odd"], "--where: m is not a variable of output-size"),
    (["--where", "k odd,"], "has an empty constraint"),
    (["--where", "p = k/2", "--domain", "p=0..3"], "--domain: p is set by --where (p = k/2); leave it out"),
    (["--where", "k odd", "--kernel", "4"], "no point of the domain meets 'k odd'"),
    (["--where", "p = 1/2"], "--where: p = 1/2 sets p to 1/2, not a whole number"),
])
def test_bad_constraints_are_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "verify", "output-size", "n", *args)
    if "unknown name" in message:  # a formula error: the line and a caret under the trouble
        assert code == 2 and out == "" and message in err and err.count("\n") == 3
        assert err.splitlines()[2].strip() == "^"
        return
    assert_bad_input(code, out, err)
    assert message in err


def test_constraints_are_for_scalar_claims() -> None:
    with pytest.raises(ClaimError, match="where is for scalar quantities"):
        verify("grad-input", "conv(pad(delta, k-1), rot180(W))", where="k odd")
    with pytest.raises(FormulaParseError):
        verify("output-size", "n", where="p = floor(k/2")
    with pytest.raises(ClaimError, match="where must be a string"):
        verify("output-size", "n", where=3)  # type: ignore[arg-type]
    with pytest.raises(FormulaError, match="no point of the domain"):
        verify("output-size", "n", where="k < 1")


# -- per-dimension sizes ----------------------------------------------------------------------------------


def test_per_dimension_sizes_check_each_dimension(capsys: pytest.CaptureFixture[str]) -> None:
    """--input 7x9 --kernel 3x5: each dimension is its own point, against brute-force counts."""
    code, out, _ = run(capsys, "verify", "output-size", "n - k + 1", "--input", "7x9", "--kernel", "3x5",
                       "--stride", "1", "--padding", "0", "--dilation", "1")
    assert code == 0 and placements(7, 3, 1, 0, 1) == 5 and placements(9, 5, 1, 0, 1) == 5
    assert "n = 7x9, k = 3x5" in out
    assert "each of the 2 dimensions checked on its own (1: n = 7, k = 3; 2: n = 9, k = 5)" in out
    code, out, _ = run(capsys, "verify", "output-size", "n - 2", "--input", "7x9", "--kernel", "3x5",
                       "--stride", "1", "--padding", "0", "--dilation", "1")
    assert code == 1
    assert "the formula gives 7, the truth is 5" in out and "refuted in dimension 2 of 2" in out
    spec = ConvSpec(input_size=(6, 11), kernel_size=(3, 2), stride=(2, 3), dims=2)
    result = verify("output-size", "floor((n + 2*p - d*(k - 1) - 1)/s) + 1", spec)
    assert result.holds and result.method == "exact"
    assert result.domain.points == 2


def test_quantities_of_the_whole_layer_refuse_per_dimension_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "verify", "macs", "k^2", "--kernel", "3x5")
    assert_bad_input(code, out, err)
    assert "--kernel 3x5 differs between dimensions, but macs is one number for the whole layer" in err


def test_the_guides_relationships_all_hold() -> None:
    """examples/claims-guide.toml: the 15 relationships, each stated in general, every claim holding."""
    path = Path(__file__).resolve().parent.parent / "examples" / "claims-guide.toml"
    claims = load_claims(path)
    named = {int(c.name.split(":")[0].split()[1]) for c in claims}
    assert named == set(range(1, 16))
    report = verify_claims(claims)
    assert report.holds, report.table()
    methods = [result.method for _, result in report.rows]
    assert methods.count("symbolic") == len(claims) - 1 and "exact" not in methods
    assert any(c.where for c in claims if "Relationship 3" in c.name or "Relationship 10" in c.name)
