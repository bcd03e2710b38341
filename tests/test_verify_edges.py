"""Edges of --where, per-dimension sizes, stacks and the transposed quantities, found by a hostile pass
over them: each reproduction is a test. Truths are recomputed here by brute force where a verdict is
at stake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clitools import assert_bad_input, run

from symconv.errors import ClaimError
from symconv.verify import ScalarCounterexample, load_claims, verify, verify_claims


def placements(n: int, k: int, s: int, p: int, d: int) -> int:
    return sum(1 for start in range(0, n + 2 * p, s) if start + d * (k - 1) < n + 2 * p)


def test_three_dimensional_sizes_make_a_three_dimensional_claim(capsys: pytest.CaptureFixture[str]) -> None:
    """--input 4x4x4 is 3-D (as --help says): k^3 and placements cubed, not squared."""
    code, out, _ = run(capsys, "verify", "macs", "c_out*c_in*k^3*(n-k+1)^3", "--input", "4x4x4",
                       "--groups", "1", "--stride", "1", "--padding", "0", "--dilation", "1")
    assert code == 0, out
    code, out, _ = run(capsys, "verify", "params", "c_out*c_in*k^3 + c_out", "--kernel", "3x3x3",
                       "--groups", "1")
    assert code == 0 and "for the one point" not in out, out


@pytest.mark.parametrize(("args", "message"), [
    (["same-output-size", "ceil(n/s)", "--where", "d = 0"],
     "--where: d = 0 is below 1, the smallest dilation"),
    (["jump", "s^L", "--where", "s = 0"], "--where: s = 0 is below 1, the smallest stride"),
    (["start", "-p*L", "--where", "p = -1, s = 1"], "--where: p = -1 is below 0"),
    (["receptive-field", "1", "--where", "L = 0"], "--where: L = 0 is below 1"),
    (["receptive-field", "1", "--where", "L = 2147483647"], "is more than 10000 layers"),
    (["output-size", "n", "--where", "p = 1/0"], "--where: p = 1/0 gives p no value (division by zero)"),
    (["output-size", "n", "--where", "p = (-1)^(1/2)"], "gives p no value"),
    (["output-size", "n", "--where", "p = 1", "--domain", "p=0..2"],
     "p is fixed to 1 by the options, the layers or --where"),
    (["macs", "1", "--layers", "3,1,1,1,3000000000"], "layer 1's c = 3000000000 is above 2147483647"),
    (["asymmetric-output-size", "n", "--padding", "1", "--where", "p_before = 2"], None),
])
def test_constraint_values_are_checked_like_every_value(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str | None
) -> None:
    code, out, err = run(capsys, "verify", *args)
    if message is None:  # p_before is fixed by --padding: the constraint only tests it, and fails
        assert code == 2 and "no point of the domain meets 'p_before = 2'" in err
        return
    assert_bad_input(code, out, err)
    assert message in err


def test_a_constraint_on_a_tied_variable_tests_it() -> None:
    """Depthwise ties g (and c_out) to c_in: --where "g = 1" keeps the depthwise layers with c_in = 1,
    and a constraint setting c_in carries g along."""
    result = verify("params", "c_out*k^2 + c_out", where="g = 1", **{})  # not depthwise: g really is 1
    assert result.holds is False
    code_depthwise = verify("params", "c_in*k^2 + c_in", where="c_in = 2*k")
    assert code_depthwise.holds is False  # g free: only g = 1 makes it true
    from symconv.verify import verify_options
    tied = verify_options("params", "c_out*k^2 + c_out", {"depthwise": True, "where": "g = 1"})
    assert tied.holds and ("g", "c_in") in tied.domain.tied
    assert tied.domain.points == 4  # c_in = 1 only, k = 1…4
    carried = verify_options("params", "c_out*k^2 + c_out", {"depthwise": True, "where": "c_in = 2*k"})
    assert carried.holds and carried.domain.points == 4


def test_asymmetric_padding_reads_the_padding_option() -> None:
    from symconv.verify import verify_options
    result = verify_options("asymmetric-output-size", "floor((n + 2 - k)/s) + 1",
                            {"padding": 1, "dilation": 1})
    assert result.holds and ("p_before", 1) in result.domain.fixed and ("p_after", 1) in result.domain.fixed


@pytest.mark.parametrize(("call", "message"), [
    (lambda: verify("receptive-field", "1 + (L-1)*d_1*(k_1 - 1)", layers=1, L=2), "L conflicts with layers"),
    (lambda: verify("receptive-field", "k_1", layers=[(3.5, 1)]), "is not k[,s[,d[,p[,c]]]]"),
    (lambda: verify("receptive-field", "k_1", layers=[3]), "is not a stack"),
    (lambda: verify("receptive-field", "k_1", layers=2.0), "is not a stack"),
    (lambda: verify("output-size", "n", dims="2"), "dims='2' is not a whole number"),
    (lambda: verify("output-size", "n", dims=4), "dims=4 must be 1, 2 or 3"),
    (lambda: verify("output-size", "n", p_before=1), "use asymmetric-output-size"),
    (lambda: verify("output-size", "n", where=3), "where must be a string"),
])
def test_api_edges_are_clear_errors(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(ClaimError) as caught:
        call()
    assert message in str(caught.value)


@pytest.mark.parametrize("text", ["layers = 1.5", "layers = [3]", "layers = [[3.7, 1]]"])
def test_claim_file_layers_must_be_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    claims = tmp_path / "c.toml"
    claims.write_text(f'[[claim]]\nquantity = "receptive-field"\nformula = "k_1"\nspec = {{ {text} }}\n',
                      encoding="utf-8")
    code, out, err = run(capsys, "verify", "--claims", str(claims))
    assert_bad_input(code, out, err)
    assert "claim 1" in err


def test_long_cost_stacks_are_answered() -> None:
    """More layers than are written out: the Σ form is shown, the truth still counted layer by layer."""
    layers = ";".join(["3,1,1,1,4"] * 9)
    result = verify("params", "1", layers=layers, c_in=3)
    assert not result.holds and result.correct_formula.startswith("sum over i = 1…9 of")
    assert result.counterexample is not None
    assert result.counterexample.true == str(3 * 4 * 9 + 4 + 8 * (4 * 4 * 9 + 4))
    many = verify("macs", "1", layers=";".join(["3,1,1,1,4"] * 300), n=8, c_in=1)
    assert many.counterexample is not None
    assert many.counterexample.true == str(4 * 1 * 9 * 64 + 299 * 4 * 4 * 9 * 64)
    assert "those of the 300 layers given" in many.domain.describe()


def test_repeated_options_add_up(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "output-size", "n", "--stride", "1", "--dilation", "1",
                       "--where", "k odd", "--where", "p = floor(k/2)")
    assert code == 0 and "with k odd, p = floor(k/2)" in out
    formula = "floor((n + 2*p - d*(k - 1) - 1)/s) + 1 + floor(n/40)"
    code, out, _ = run(capsys, "verify", "output-size", formula, "--domain", "n=1..48", "--domain", "s=1..2")
    assert code == 1 and "domain: n = 1…48, k = 1…4, s = 1…2" in out


def test_latex_relations_in_constraints() -> None:
    result = verify("output-size", "n", where=r"k \neq 2, k \leq 3, p = \lfloor k/2 \rfloor", s=1, d=1)
    assert all(placements(n, k, 1, k // 2, 1) == n for n in range(1, 33) for k in (1, 3))
    # holds on k = 1, 3; not proved: the filters are no substitution, and without them (k = 2) it is false
    assert result.holds and result.method == "exhaustive"
    assert result.domain.where == r"k \neq 2, k \leq 3, p = \lfloor k/2 \rfloor"


def test_a_per_dimension_refutation_names_its_dimension(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "output-size", "n - 2", "--input", "7x9", "--kernel", "3x5",
                       "--stride", "1", "--padding", "0", "--dilation", "1", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["counterexample"]["values"] == {"n": 9, "k": 5}
    assert data["counterexample"]["true"] == str(placements(9, 5, 1, 0, 1))


def test_the_claims_table_shows_the_constraints(tmp_path: Path) -> None:
    claims = tmp_path / "c.toml"
    claims.write_text('[[claim]]\nquantity = "transposed-padding"\nformula = "p"\n'
                      'spec = { stride = 1, dilation = 1 }\nwhere = "k odd, p = floor(k/2)"\n'
                      'domain = "k=1..9"\n', encoding="utf-8")
    table = verify_claims(load_claims(claims)).table()
    assert '--stride 1 --dilation 1 --domain k=1..9 --where "k odd, p = floor(k/2)"' in table


def test_huge_negative_values_keep_their_sign() -> None:
    result = verify("start", "0", L=300, s=2, p=1)
    c = result.counterexample
    assert isinstance(c, ScalarCounterexample) and c.true.startswith("a negative number of about")


# -- a second pass ---------------------------------------------------------------------------------------


def test_sizes_with_different_numbers_of_dimensions_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "verify", "macs", "1", "--input", "4x4x4", "--kernel", "3x3")
    assert_bad_input(code, out, err)
    assert "the sizes have different numbers of dimensions: --input 4x4x4, --kernel 3x3" in err


def test_an_empty_domain_points_to_the_domain(capsys: pytest.CaptureFixture[str]) -> None:
    """A 40-tap kernel fits no input of the built-in n = 1…32: the message says to widen the domain."""
    code, out, err = run(capsys, "verify", "output-size", "n - 39", "--kernel", "40", "--padding", "0",
                         "--dilation", "1", "--stride", "1")
    assert_bad_input(code, out, err)
    assert "widen the domain (n = 1…32) with --domain" in err
    code, out, _ = run(capsys, "verify", "output-size", "n - 39", "--kernel", "40", "--padding", "0",
                       "--dilation", "1", "--stride", "1", "--domain", "n=1..64")
    assert code == 0 and placements(64, 40, 1, 0, 1) == 64 - 39


def test_powers_reach_the_deepest_stack_of_equal_layers() -> None:
    result = verify("jump", "s^L", where="L = 5000")
    assert result.holds and result.domain.points == 4


def test_same_padding_fixes_the_asymmetric_amounts() -> None:
    """PyTorch's padding='same' with an even kernel pads unevenly (d(k−1) = 3: 1 before, 2 after)."""
    from symconv.verify import verify_options
    result = verify_options("asymmetric-output-size", "n", {"padding": "same", "kernel": 4})
    assert result.holds and ("p_before", 1) in result.domain.fixed and ("p_after", 2) in result.domain.fixed
    assert ("s", 1) in result.domain.fixed


def test_left_out_points_are_noted_and_set_values_are_bounded() -> None:
    half = verify("output-size", "n", where="p = (k-1)/2", s=1, d=1)
    left_out = "64 points left out where p would not be a whole number"
    assert half.holds and any(left_out in n for n in half.notes)
    with pytest.raises(ClaimError, match="sets p beyond 2147483647"):
        verify("output-size", "n", where="p = k^k^k")


def test_per_dimension_values_in_json_are_lists(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "output-size", "n - k + 1", "--input", "7x9", "--kernel", "3x5",
                       "--stride", "1", "--padding", "0", "--dilation", "1", "--format", "json")
    assert code == 0 and json.loads(out)["domain"]["fixed"]["n"] == [7, 9]


def test_claim_file_layers_show_as_the_option(tmp_path: Path) -> None:
    claims = tmp_path / "c.toml"
    claims.write_text('[[claim]]\nquantity = "receptive-field"\nformula = "1 + 2 + 2*2"\n'
                      'spec = { layers = [[3, 2], [3, 1]] }\n', encoding="utf-8")
    report = verify_claims(load_claims(claims))
    assert report.holds and "--layers 3,2;3,1" in report.table()


def test_a_long_check_reports_its_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    from symconv.verify import checking, verify_options

    monkeypatch.setattr(checking, "PROGRESS_EVERY", 50)
    heard: list[tuple[int, int]] = []
    result = verify_options("output-size", "floor((n + 2*p - d*(k - 1) - 1)/s) + 1", {"domain": "n=1..20"},
                            progress=lambda done, total: heard.append((done, total)))
    assert result.holds
    total = 20 * 4 * 3 * 3 * 3
    assert heard == [(done, total) for done in range(50, total, 50)]
