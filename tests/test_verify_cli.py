"""``symconv verify``: reports, exit codes (0 holds, 1 refuted, 2 bad input), JSON, claims files, errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from clitools import assert_bad_input, run

ROOT = Path(__file__).resolve().parent.parent
NOTE_CLAIMS = ROOT / "examples" / "claims-note.toml"

NOTE_RECEPTIVE_FIELD = """\
effective-kernel = k+(r-1)*(k+1)   (sympy syntax)
REFUTED at k = 1, r = 2: the formula gives 3, the truth is 1
  (the smallest of 24 failing points, ordered by k + r, then k, r in turn; next: k = 1, r = 3: claimed 5, \
true 1; k = 2, r = 2: claimed 5, true 3; k = 1, r = 4: claimed 7, true 1)
correct formula: k + (k - 1)*(r - 1)
domain: k = 1…6, r = 1…5 (30 points)
truth: the span of the input entries in one derived output (stride 1)
"""

NOTE_DELTA = """\
grad-input = conv(delta, rot180(W))   (sympy syntax)
REFUTED for Conv2d 1→1, input 3, kernel 2, stride 1, padding 0, dilation 1: shapes differ: the formula \
gives 1×1×1, the derivation 1×3×3 (C_in × input)
correct closed form for this spec: conv(pad(delta, 1), rot180(W))
reproduce with: --input 3 --kernel 2
domain: the spec --input 3 --kernel 2
truth: ∂J/∂x, by differentiating J through Σ δ ⊙ Y
"""


def test_the_notes_receptive_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "verify", "effective-kernel", "k+(r-1)*(k+1)")
    assert (code, out, err) == (1, NOTE_RECEPTIVE_FIELD, "")


def test_the_corrected_receptive_field_is_proved(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "effective-kernel", "k + (k-1)*(r-1)")
    assert code == 0
    assert out.splitlines()[1] == "HOLDS, proved symbolically: equal to k + (k - 1)*(r - 1) for every k, r"


def test_the_notes_delta_formula(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["verify", "grad-input", "conv(delta, rot180(W))", "--input", "3", "--kernel", "2"]
    code, out, err = run(capsys, *args)
    assert (code, out, err) == (1, NOTE_DELTA, "")


def test_the_full_convolution_holds_then_fails_with_stride_2(capsys: pytest.CaptureFixture[str]) -> None:
    formula = "conv(pad(delta, k-1), rot180(W))"
    code, out, _ = run(capsys, "verify", "grad-input", formula, "--input", "3", "--kernel", "2")
    assert code == 0 and "HOLDS for the one spec given (evaluated exactly)" in out
    code, out, _ = run(capsys, "verify", "grad-input", formula, "--input", "3", "--kernel", "2",
                       "--stride", "2")
    assert code == 1
    assert "shapes differ: the formula gives 1×2×2, the derivation 1×3×3" in out
    assert "correct closed form for this spec: pad(conv(pad(dilate(delta, 2), 1), rot180(W)), 0, 1)" in out


@pytest.mark.parametrize(
    ("quantity", "formula"), [("grad-weight", "conv(x, delta)"), ("grad-bias", "sum(delta)")]
)
def test_weight_and_bias_gradients_hold_for_stride_1(
    capsys: pytest.CaptureFixture[str], quantity: str, formula: str
) -> None:
    code, _, _ = run(capsys, "verify", quantity, formula, "--input", "3", "--kernel", "2")
    assert code == 0
    code, out, _ = run(capsys, "verify", quantity, formula, "--stride", "1")
    assert code == 0 and "4 specs, smallest first:\n  --input 3 --kernel 3\n" in out


def test_latex_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    formula = r"\left\lfloor \frac{n+2p-k}{s} \right\rfloor + 1"
    code, out, _ = run(capsys, "verify", "output-size", formula)
    assert code == 1 and "(latex syntax)" in out
    assert "REFUTED at n = 1, k = 2, s = 1, p = 1, d = 2: the formula gives 2, the truth is 1" in out
    code, out, _ = run(capsys, "verify", "output-size", formula, "--dilation", "1")
    assert code == 0 and "HOLDS, proved symbolically" in out and "d = 1 (1131 points" in out
    code, out, _ = run(capsys, "verify", "effective-kernel", r"k+(r-1)\times(k+1)")
    assert code == 1 and "REFUTED at k = 1, r = 2" in out


def test_only_options_given_fix_variables(capsys: pytest.CaptureFixture[str]) -> None:
    """--kernel defaults to 3 for derive and gen, but a default fixes nothing in verify."""
    assert run(capsys, "verify", "effective-kernel", "3 + 2*(r-1)")[0] == 1
    assert run(capsys, "verify", "effective-kernel", "3 + 2*(r-1)", "--kernel", "3")[0] == 0
    code, out, _ = run(capsys, "verify", "effective-kernel", "k", "--dilation", "1", "--input", "9")
    assert code == 0 and "note: --input (input size) is not a variable of effective-kernel: ignored" in out


def test_layers_and_output_padding(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "receptive-field", "1 + d_1*(k_1-1) + d_2*(k_2-1)*s_1",
                       "--layers", "3,1,1;3,2,1")
    assert code == 0 and "L = 2, k_1 = 3" in out
    code, out, _ = run(capsys, "verify", "receptive-field", "7", "--layers", "3,1,1;3,2,1")
    assert code == 1 and "REFUTED at the fixed values: the formula gives 7, the truth is 5" in out
    formula = "(n-1)*s - 2*p + d*(k-1) + a + 1"
    code, out, _ = run(capsys, "verify", "transposed-output-size", formula, "--output-padding", "1")
    assert code == 0 and "a = 1" in out
    code, out, _ = run(capsys, "verify", "transposed-output-size", "(n-1)*s - 2*p + d*(k-1) + 1")
    assert code == 1 and "a = 1: claimed 1, true 2" in out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "effective-kernel", "k+(r-1)*(k+1)", "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["holds"] is False and data["method"] == "exhaustive"
    assert data["counterexample"] == {"values": {"k": 1, "r": 2}, "claimed": "3", "true": "1"}
    assert data["correct_formula"] == "k + (k - 1)*(r - 1)"
    assert data["domain"]["free"] == {"k": [1, 6], "r": [1, 5]} and data["domain"]["points"] == 30
    code, out, _ = run(capsys, "verify", "grad-input", "conv(delta, rot180(W))", "--input", "3", "--kernel",
                       "2", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["counterexample"]["kind"] == "shape"
    assert data["counterexample"]["claimed_shape"] == [1, 1, 1]
    assert data["counterexample"]["true_shape"] == [1, 3, 3]
    code, out, _ = run(capsys, "verify", "grad-bias", "sum(delta)", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["method"] == "sweep"
    assert len(data["domain"]["specs"]) == data["domain"]["points"]


def test_the_notes_claims_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "verify", "--claims", str(NOTE_CLAIMS))
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["#", "name", "quantity", "formula", "spec", "verdict"]
    assert len(lines) == 1 + 13 + 2
    assert lines[-1] == "13 claims: 9 hold, 4 refuted"
    assert "refuted: k = 1, r = 2: claimed 3, true 1" in lines[12]
    assert re.split(r"\s{2,}", lines[5].strip()) == [
        "5", "the same with δ padded by k-1 (a full convolution)", "grad-input",
        "conv(pad(delta, k-1), rot180(W))", "--input 3 --kernel 2",
        "holds for the one spec given (evaluated exactly)"]
    assert lines[13].endswith("holds, proved symbolically")
    code, out, _ = run(capsys, "verify", "--claims", str(NOTE_CLAIMS), "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["refuted"] == 4 and data["results"][0]["name"].startswith("forward pass")


def test_a_claims_file_that_holds_exits_0(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text(
        '[[claim]]\nquantity = "output-size"\n'
        'formula = \'\\left\\lfloor \\frac{n+2p-k}{s} \\right\\rfloor + 1\'\n'
        'spec = { dilation = 1 }\n\n[[claim]]\nquantity = "grad-bias"\nformula = "sum(delta)"\n'
        'spec = { input = "3x4", kernel = [2, 3], in-channels = 2, out-channels = 4, groups = 2 }\n',
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "verify", "--claims", str(path))
    assert code == 0 and out.splitlines()[-1] == "2 claims: 2 hold, 0 refuted"
    assert "--input 3x4 --kernel 2x3 --in-channels 2 --out-channels 4 --groups 2" in out


def test_a_formula_that_cannot_be_read_shows_a_caret(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "verify", "output-size", "floor((n + 2*q - k)/s) + 1")
    assert (code, out) == (2, "")
    assert err == (
        "symconv: error: unknown name 'q': output-size formulas use n, k, s, p, d, r\n"
        "  floor((n + 2*q - k)/s) + 1\n"
        "               ^\n"
    )
    code, out, err = run(capsys, "verify", "effective-kernel", r"k+(r-1)\times(k+1")
    assert code == 2 and out == ""
    assert err.splitlines() == [  # the caret under the ( that is never closed
        "symconv: error: this '(' is never closed: expected ')'",
        r"  k+(r-1)\times(k+1",
        "               ^",
    ]


def test_a_bad_claim_in_a_file_shows_its_number_and_a_caret(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[claim]]\nquantity = "grad-input"\nformula = "conv(delta, rot(W))"\n', encoding="utf-8")
    code, out, err = run(capsys, "verify", "--claims", str(path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "symconv: error: claim 1: unknown function 'rot': tensor formulas may call conv, pad, crop, dilate, "
        "rot180, sum, hadamard, dsigma, floor, ceil, max, min, abs, mod",
        "  conv(delta, rot(W))",
        "              ^^^",
    ]


BAD_INPUT = [
    (["verify", "size", "n"], "unknown quantity 'size': the quantities are output-size, effective-kernel"),
    (["verify"], "QUANTITY is missing: give QUANTITY and FORMULA, or --claims FILE"),
    (["verify", "output-size"], "FORMULA is missing"),
    (["verify", "output-size", "n", "--stride", "0"], "--stride 0 must be ≥ 1"),
    (["verify", "output-size", "n", "--padding", "same"],
     "--padding same pads by an amount that depends on k"),
    (["verify", "params", "k", "--kernel", "3x5"], "--kernel 3x5 differs between dimensions"),
    (["verify", "output-size", "n", "--input", "1", "--kernel", "4", "--padding", "0"],
     "no point fits n = 1, k = 4, p = 0"),
    (["verify", "output-size", "n", "--separable"], "--separable: verify checks one convolution"),
    (["verify", "output-size", "n", "--layers", "3"], "--layers 3: layers are for the stack quantities"),
    (["verify", "receptive-field", "L", "--layers", "3,a"],
     "--layers: layer 1 ('3,a') is not k[,s[,d[,p[,c]]]]"),
    (["verify", "receptive-field", "L", "--layers", "3", "--stride", "2"],
     "--stride 2 conflicts with --layers, which gives each layer's k, s, d, p, c: drop --stride"),
    (["verify", "grad-input", "x", "--groups", "3", "--in-channels", "4"],
     "--groups 3 does not divide --in-channels 4"),
    (["verify", "grad-input", "x", "--output-padding", "1"],
     "--output-padding 1 is not for tensor quantities"),
    (["verify", "grad-bias", "sum(delta)", "--input", "3", "--no-bias"], "grad-bias needs a bias"),
    (["verify", "transposed-output-size", "n", "--output-padding", "-1"], "--output-padding -1 must be ≥ 0"),
    (["verify", "output-size", "n", "--format", "xml"], "--format xml is not one of text, json"),
    (["verify", "output-size", "n", "--claims", "x.toml"], "--claims takes every claim"),
    (["verify", "--claims", "does-not-exist.toml"], "--claims does-not-exist.toml: cannot read it"),
    (["verify", "output-size", "n", "extra"], "unexpected extra argument"),
    (["verify", "output-size", "n", "--dims", "1", "--kernel", "3x3"],
     "--kernel 3x3 has 2 entries but --dims 1: give one value, or 1"),
    (["verify", "params", "k", "--dims", "1", "--kernel", "3x3"], "--kernel 3x3 has 2 entries but --dims 1"),
    (["verify", "output-size", "n", "--input", "5x5", "--dims", "1"],
     "--input 5x5 has 2 entries but --dims 1"),
    (["verify", "params", "k**99999999"],
     "cannot evaluate k**99999999: exponents above 10000 are not evaluated"),
    (["verify", "output-size", "1**99999999 * n + (k+1)**99999999"],
     "cannot evaluate (k+1)**99999999: exponents above"),
]


def test_a_power_of_one_is_evaluated_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "output-size", "1**99999999 * (floor((n+2*p-d*(k-1)-1)/s)+1)")
    assert code == 0 and "HOLDS" in out


def test_a_non_boolean_flag_in_a_claims_file_is_bad_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "flags.toml"
    path.write_text('[[claim]]\nquantity = "params"\nformula = "c_in*k^2"\n'
                    'spec = { depthwise = "no", no-bias = true }\n', encoding="utf-8")
    code, out, err = run(capsys, "verify", "--claims", str(path))
    assert_bad_input(code, out, err)
    assert "claim 1: depthwise = 'no' must be true or false" in err


@pytest.mark.parametrize(
    ("args", "message"), BAD_INPUT, ids=[" ".join(a[1:3]) or "bare" for a, _ in BAD_INPUT]
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert_bad_input(code, out, err)
    assert message in err


PARSE_ERRORS = [
    (["verify", "output-size", ""], "the formula is empty"),
    (["verify", "output-size", "n +* k"], "unexpected '*'"),
    (["verify", "output-size", "x - 1"], "x is a tensor, but output-size is a number"),
    (["verify", "grad-input", "k - 1"], "grad-input is a tensor, but the formula is a size"),
    (["verify", "grad-input", "conv(x, W, groups=2)"], "conv() has no keyword 'groups'"),
    (["verify", "im2col-shape", "n*k"], "im2col-shape is a tuple: write it as a tuple of 2"),
    (["verify", "output-size", r"\sqrt{n}"], r"unknown LaTeX command \sqrt"),
]


@pytest.mark.parametrize(("args", "message"), PARSE_ERRORS, ids=[a[2] or "empty" for a, _ in PARSE_ERRORS])
def test_unreadable_formulas_are_three_lines_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == 3 and lines[0].startswith("symconv: error: ") and message in lines[0]
    assert lines[1] == "  " + args[2] and set(lines[2].strip()) == {"^"}
    assert "Traceback" not in err


def test_help_lists_quantities_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "--help")
    assert code == 0
    for word in ["output-size", "effective-kernel", "receptive-field", "params", "macs",
                 "transposed-output-size", "im2col-shape", "forward", "grad-input", "grad-weight",
                 "grad-bias", "--layers", "--claims", "--format", "--output-padding",
                 r"'\left\lfloor \frac{n+2p-k}{s} \right\rfloor + 1'"]:
        assert word in out
    code, out, _ = run(capsys, "--help")
    assert "verify" in out


@pytest.mark.skipif(shutil.which("symconv") is None and not Path(ROOT / ".." / "venv").exists(),
                    reason="the console script is not installed")
def test_the_console_script_exits_with_the_verdict() -> None:
    script = shutil.which("symconv") or str(ROOT.parent / "venv" / "bin" / "symconv")
    refuted = subprocess.run([script, "verify", "effective-kernel", "k+(r-1)*(k+1)"],
                             capture_output=True, text=True, check=False)
    assert refuted.returncode == 1 and refuted.stdout == NOTE_RECEPTIVE_FIELD
    held = subprocess.run([script, "verify", "effective-kernel", "k+(k-1)*(r-1)"],
                          capture_output=True, text=True, check=False)
    assert held.returncode == 0
