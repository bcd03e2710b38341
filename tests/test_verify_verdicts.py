"""Verdicts that say what they rest on: proved, checked on named ranges, or one point; --domain.

The truths here are independent of symconv: output sizes counted by brute
force over kernel placements, receptive fields from the textbook sum.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clitools import assert_bad_input, run

from symconv.errors import ClaimError
from symconv.verify import verify

OUTPUT_SIZE = "floor((n + 2*p - d*(k - 1) - 1)/s) + 1"


def placements(n: int, k: int, s: int, p: int, d: int) -> int:
    """Kernel placements along n inputs padded by p: brute force over start positions."""
    return sum(1 for start in range(0, n + 2 * p) if start % s == 0 and start + d * (k - 1) < n + 2 * p)


def test_a_term_in_n_over_9_is_caught_by_the_default_domain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "output-size", f"{OUTPUT_SIZE} + floor(n/9)")
    assert code == 1
    assert "REFUTED at n = 9, k = 1, s = 1, p = 0, d = 1: the formula gives 10, the truth is 9" in out
    assert placements(9, 1, 1, 0, 1) == 9


def test_an_unproved_verdict_names_the_ranges_it_covers(capsys: pytest.CaptureFixture[str]) -> None:
    """floor(n/99) is zero on the built-in domain: the verdict holds there and says it is not proved;
    --domain n=1..128 finds n = 99."""
    formula = f"{OUTPUT_SIZE} + floor(n/99)"
    code, out, _ = run(capsys, "verify", "output-size", formula)
    assert code == 0
    assert out.splitlines()[1] == ("HOLDS on n = 1…32, k = 1…4, s = 1…3, p = 0…2, d = 1…3 "
                                   "(checked exhaustively, not proved)")
    code, out, _ = run(capsys, "verify", "output-size", formula, "--format", "json")
    assert code == 0 and json.loads(out)["method"] == "exhaustive"
    code, out, _ = run(capsys, "verify", "output-size", formula, "--domain", "n=1..128,s=1..4")
    assert code == 1
    assert "REFUTED at n = 99, k = 1, s = 1, p = 0, d = 1: the formula gives 100, the truth is 99" in out
    assert "domain: n = 1…128, k = 1…4, s = 1…4, p = 0…2, d = 1…3" in out
    assert placements(99, 1, 1, 0, 1) == 99


def test_a_proof_and_one_point_say_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "output-size", OUTPUT_SIZE)
    assert code == 0 and out.splitlines()[1].startswith("HOLDS, proved symbolically: equal to")
    code, out, _ = run(capsys, "verify", "output-size", "n - k + 1", "--input", "5", "--kernel", "2",
                       "--stride", "1", "--padding", "0", "--dilation", "1")
    assert code == 0
    assert out.splitlines()[1] == "HOLDS for the one point given (evaluated exactly)"


def test_the_domain_from_python_and_in_a_claims_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = verify("output-size", f"{OUTPUT_SIZE} + floor(n/40)", domain="n=1..64")
    assert not result.holds and str(result.counterexample).startswith("n = 40, k = 1")
    result = verify("output-size", f"{OUTPUT_SIZE} + floor(n/40)", domain={"n": (1, 39)}, d=1)
    assert result.holds and result.method in ("exhaustive", "symbolic")
    assert result.short() == "holds on n = 1…39, k = 1…4, s = 1…3, p = 0…2 (checked exhaustively, not proved)"
    claims = tmp_path / "claims.toml"
    claims.write_text(
        '[[claim]]\nname = "a stray term"\nquantity = "output-size"\n'
        f'formula = "{OUTPUT_SIZE} + floor(n/40)"\ndomain = "n=1..48"\n'
        '[[claim]]\nname = "the same, narrower"\nquantity = "output-size"\n'
        f'formula = "{OUTPUT_SIZE} + floor(n/40)"\ndomain = {{ n = [1, 39] }}\n',
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "verify", "--claims", str(claims))
    lines = out.splitlines()
    assert code == 1 and lines[0].split() == ["#", "name", "quantity", "formula", "spec", "verdict"]
    assert "a stray term" in lines[1] and "refuted: n = 40, k = 1" in lines[1]
    assert "the same, narrower" in lines[2] and "holds on n = 1…39" in lines[2]


@pytest.mark.parametrize("args, message", [
    (("output-size", "n", "--domain", "x=1..3"), "--domain: x is not a variable of output-size"),
    (("output-size", "n", "--domain", "n=1..3", "--input", "3"), "--domain: n is fixed to 3 by the options"),
    (("output-size", "n", "--domain", "n=3..1"), "--domain n=3..1 is empty"),
    (("output-size", "n", "--domain", "n=a"), "'n=a' is not var=low..high with whole numbers"),
    (("output-size", "n", "--domain", "n=1..100000,k=1..100"), "the domain of output-size has 270,000,000 "
     "points, more than 1,000,000 a check visits: fix more variables, or narrow it with --domain"),
    (("output-size", "n", "--domain", "n=0..3"), "--domain: n=0..3 starts below 1, its smallest value"),
    (("output-size", "n", "--domain", "n=1..3,n=2..4"), "--domain gives n twice"),
    (("grad-bias", "sum(delta)", "--domain", "n=1..3"), "--domain n=1..3 is not for tensor quantities"),
])
def test_bad_domains_are_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, "verify", *args)
    assert_bad_input(code, out, err)
    assert message in err, err


def test_the_api_refuses_a_domain_for_a_tensor_claim() -> None:
    with pytest.raises(ClaimError, match="domain is for scalar quantities"):
        verify("grad-bias", "sum(delta)", domain="n=1..3")
