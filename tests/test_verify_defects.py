"""The defects a hostile pass found in ``verify``: each reproduction, now behaving as it should."""

from __future__ import annotations

import itertools

import pytest
from clitools import assert_bad_input, run

from symconv.verify import quantities as qs


def test_an_ill_posed_tensor_claim_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    """'same' padding of an even kernel pads unevenly: a formula's single p has no value (exit 2)."""
    code, out, err = run(capsys, "verify", "grad-input", "crop(conv(pad(delta, k-1), rot180(W)), p)",
                         "--input", "4", "--kernel", "2", "--padding", "same")
    assert_bad_input(code, out, err)
    assert "p is not one number for Conv2d 1→1, input 4, kernel 2" in err
    assert "(0, 0) before and (1, 1) after" in err


def test_large_amounts_are_exact(capsys: pytest.CaptureFixture[str]) -> None:
    """A pad of 257 (kernel 258) is evaluated, not refused as too large (the full padding k − 1 is right
    for stride 1: each input entry is reached by every tap, the standard result)."""
    code, out, _ = run(capsys, "verify", "grad-input", "conv(pad(delta, k-1), rot180(W))",
                       "--input", "258", "--kernel", "258", "--dims", "1")
    assert code == 0 and "all 258 entries equal the derivation's" in out
    code, out, _ = run(capsys, "verify", "grad-input", "conv(pad(delta, k), rot180(W))",
                       "--input", "258", "--kernel", "258", "--dims", "1")
    assert code == 1 and "correct closed form for this spec: conv(pad(delta, 257), rot180(W))" in out


@pytest.mark.parametrize("args, message", [
    (("grad-input", "conv(pad(delta, 100000), rot180(W))", "--input", "3", "--kernel", "2"),
     "pad(delta, 100000) makes a tensor of 40,000,800,004 entries"),
    (("grad-input", "dilate(delta, 10^7)", "--input", "3", "--kernel", "2"),
     "dilate(delta, 10^7) makes a tensor of 100,000,020,000,001 entries"),
    (("forward", "conv(x, W, padding=2000)", "--input", "3", "--kernel", "2"),
     "conv's padding makes a tensor of 16,024,009 entries"),
])
def test_a_tensor_too_large_to_evaluate_is_bad_input(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, "verify", *args)
    assert_bad_input(code, out, err)
    assert message in err and "more than the 1,000,000 symconv evaluates" in err, err


def test_a_layer_too_large_to_derive_is_refused_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    """38² positions × 16 × 16 channels × 9 taps = 3,326,976 products: refused before any work, as derive
    refuses it (it used to run for 230 s)."""
    code, out, err = run(capsys, "verify", "forward", "conv(x, W) + b", "--input", "40", "--kernel", "3",
                         "--in-channels", "16", "--out-channels", "16")
    assert_bad_input(code, out, err)
    assert "has 3,326,976 products to derive symbolically, more than the 1,000,000" in err
    assert 38 * 38 * 16 * 16 * 9 == 3_326_976


# -- scalar quantities of any size: arithmetic, answered at once ---------------------------------


@pytest.mark.parametrize("args, verdict", [
    (("effective-kernel", "k + (k-1)*(r-1)", "--kernel", "2147483647"), "HOLDS"),
    (("effective-kernel", "k + (k-1)*(r-1)", "--kernel", "3", "--dilation", "2147483647"), "HOLDS"),
    (("receptive-field", "k_1", "--layers", "2147483647,1,1"), "HOLDS"),
    (("params", "c_out*(c_in/g)*k^2 + c_out", "--in-channels", "2147483647", "--out-channels", "2147483647",
      "--kernel", "2147483647"), "HOLDS"),
    (("output-size", "floor((n + 2*p - d*(k - 1) - 1)/s) + 1", "--input", "2147483647"), "HOLDS"),
    (("effective-kernel", "k + (k-1)*(r-1)", "--kernel", "2000"), "HOLDS"),
    (("receptive-field", "k_1", "--layers", "100000,1,1"), "HOLDS"),
    (("effective-kernel", "k*r", "--kernel", "2147483647", "--dilation", "3"), "REFUTED"),
    (("macs", "c_out*(c_in/g)*k^2*n^2", "--input", "100000", "--kernel", "1", "--in-channels", "4096",
      "--out-channels", "4096", "--groups", "1", "--stride", "1", "--padding", "0", "--dilation", "1"),
     "HOLDS"),
])
def test_huge_values_are_answered(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], verdict: str
) -> None:
    code, out, err = run(capsys, "verify", *args)
    assert err == "" and code == (0 if verdict == "HOLDS" else 1)
    assert out.splitlines()[1].startswith(verdict)


def test_a_huge_effective_kernel_is_the_textbook_span(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "effective-kernel", "k*r", "--kernel", "2147483647",
                       "--dilation", "3")
    assert code == 1
    k, d = 2147483647, 3
    assert f"the formula gives {k * d}, the truth is {k + (k - 1) * (d - 1)}" in out


def test_a_stack_of_5000_layers_is_answered(capsys: pytest.CaptureFixture[str]) -> None:
    """Its correct formula is written with Σ and Π (the expanded sum would be quadratic in the layers)."""
    code, out, err = run(capsys, "verify", "receptive-field", "1 + 2*L",
                         "--layers", ";".join(["3,1,1"] * 5000))
    assert code == 0 and err == ""
    assert out.splitlines()[1] == "HOLDS for the one point given (evaluated exactly)"
    code, out, _ = run(capsys, "verify", "receptive-field", "1 + 2*L", "--layers", ";".join(["3,2,1"] * 5000))
    assert code == 1
    assert "correct formula: 1 + sum over i = 1…5000 of d_i*(k_i - 1)*s_1*…*s_(i-1)" in out
    assert "the truth is a number of about 1505 digits" in out  # 1 + 2·(2^5000 − 1), 1506 digits
    assert len(str(1 + 2 * (2**5000 - 1))) == 1506


# -- the truths of large values agree with the derived ones where both exist -------------------------


def test_the_index_map_span_is_the_derived_span() -> None:
    """The interval the index maps reach (used beyond 256 inputs) equals the span read off the symbols of
    the derived layers, on every stack of up to 2 layers with k ≤ 3, s ≤ 3, d ≤ 2."""
    layers = list(itertools.product(range(1, 4), range(1, 4), range(1, 3)))
    stacks = [(a,) for a in layers] + [(a, b) for a in layers for b in layers]
    original = qs.SYMBOLIC_SPAN
    try:
        qs.SYMBOLIC_SPAN = 0  # every span by the index maps
        by_interval = [qs.dependence_span.__wrapped__(stack) for stack in stacks]
    finally:
        qs.SYMBOLIC_SPAN = original
    by_symbols = [qs.dependence_span.__wrapped__(stack) for stack in stacks]
    assert by_interval == by_symbols
    # and both are the textbook sum 1 + Σ d_i (k_i − 1) Π_{j<i} s_j
    for stack, span in zip(stacks, by_symbols):
        total, jump = 1, 1
        for k, s, d in stack:
            total += d * (k - 1) * jump
            jump *= s
        assert span == total, stack


def test_placements_by_bisection_are_counted_placements() -> None:
    """The bisection on the index map counts what a walk over every start position counts."""
    for n, k, s, p, d in itertools.product(range(1, 20), range(1, 5), range(1, 4), range(0, 3), range(1, 4)):
        walked = sum(1 for start in range(0, n + 2 * p, s) if start + d * (k - 1) < n + 2 * p)
        assert qs.placements.__wrapped__(n, k, s, p, d) == walked, (n, k, s, p, d)


def test_large_parameter_counts_are_the_derived_ones() -> None:
    """Beyond 4096 weights params counts W's layout; both ways agree on layers both can count."""
    ctx = qs.Context(dims=2, bias=True)
    for env in ({"k": 3, "c_in": 8, "c_out": 4, "g": 2}, {"k": 2, "c_in": 6, "c_out": 9, "g": 3}):
        derived = qs._params(env, ctx)
        original = qs.SYMBOLIC_WEIGHTS
        try:
            qs.SYMBOLIC_WEIGHTS = 0
            laid_out = qs._params(env, ctx)
        finally:
            qs.SYMBOLIC_WEIGHTS = original
        assert derived == laid_out == env["c_out"] * env["c_in"] // env["g"] * env["k"] ** 2 + env["c_out"]


def test_the_report_says_how_a_large_truth_was_obtained(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "verify", "effective-kernel", "k + (k-1)*(r-1)", "--kernel", "300")
    assert out.splitlines()[-1] == (
        "truth: the span of the input entries in one derived output (stride 1); "
        "beyond 256 inputs, the interval the index maps' first and last taps reach")
    _, out, _ = run(capsys, "verify", "effective-kernel", "k + (k-1)*(r-1)")
    assert out.splitlines()[-1] == "truth: the span of the input entries in one derived output (stride 1)"
    _, out, _ = run(capsys, "verify", "params", "c_out*c_in*k^2 + c_out", "--in-channels", "64",
                    "--out-channels", "64", "--kernel", "3", "--groups", "1")
    assert "beyond 4096 weights, the entries of W's layout C_out × C_in/g × k…" in out


# -- formulas on the command line, options that do not apply, PyTorch's output padding -------------


def test_a_formula_may_start_with_a_minus_sign(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "verify", "output-size", "-k+n+1", "--stride", "1", "--padding", "0",
                         "--dilation", "1")
    assert (code, err) == (0, "") and out.splitlines()[0] == "output-size = -k+n+1   (sympy syntax)"
    code, out, err = run(capsys, "verify", "output-size", "n", "--padding", "-1")  # still an option's value
    assert_bad_input(code, out, err)
    assert "--padding -1 must be ≥ 0" in err


def test_a_long_flat_sum_is_not_too_deep(capsys: pytest.CaptureFixture[str]) -> None:
    """1000 terms: a sum is as deep as the log of its length, not its length."""
    code, out, err = run(capsys, "verify", "output-size", "n - k + 1" + "+0" * 1000, "--stride", "1",
                         "--padding", "0", "--dilation", "1")
    assert (code, err) == (0, "") and "HOLDS, proved symbolically" in out
    code, out, err = run(capsys, "verify", "output-size", "n - k + 1" + "+1-1" * 1000 + "+1", "--stride", "1",
                         "--padding", "0", "--dilation", "1")
    assert code == 1 and "REFUTED at n = 1, k = 1: the formula gives 2, the truth is 1" in out
    code, out, err = run(capsys, "verify", "grad-bias", "sum(delta)" + "+0*sum(delta)" * 300)
    assert (code, err) == (0, "")


def test_output_padding_is_refused_where_it_does_not_apply(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "verify", "output-size", "n-k+1", "--output-padding", "1")
    assert_bad_input(code, out, err)
    assert "--output-padding is for transposed-output-size; output-size has no output padding" in err


def test_output_padding_follows_pytorch(capsys: pytest.CaptureFixture[str]) -> None:
    """PyTorch accepts a < max(s, d): with s = 1, d = 2 an output padding of 1 is a size, 2 is not."""
    formula = "(n - 1)*s - 2*p + d*(k - 1) + a + 1"
    code, out, _ = run(capsys, "verify", "transposed-output-size", formula, "--output-padding", "1",
                       "--stride", "1", "--dilation", "2", "--input", "4", "--kernel", "3", "--padding", "0")
    assert code == 0 and "HOLDS for the one point given" in out
    assert (4 - 1) * 1 - 0 + 2 * (3 - 1) + 1 + 1 == 9  # PyTorch's documented size for these values
    code, out, err = run(capsys, "verify", "transposed-output-size", formula, "--output-padding", "2",
                         "--stride", "1", "--dilation", "2")
    assert_bad_input(code, out, err)
    assert ("no point fits s = 1, d = 2, a = 2 where transposed-output-size is defined (the size is ≥ 1 and "
            "a < max(s, d) (PyTorch's rule)); change the fixed values") in err


# -- the activation: δ^l = δ^{l+1} * rot180(W) ⊙ σ'(z^l) ---------------------------------------------


@pytest.mark.parametrize("options", [
    ("--input", "3", "--kernel", "2"),
    ("--input", "5", "--kernel", "3", "--stride", "2", "--padding", "1"),
    ("--input", "4", "--kernel", "2", "--in-channels", "2", "--out-channels", "2", "--dims", "1"),
])
def test_the_notes_full_rule_with_the_activation(
    capsys: pytest.CaptureFixture[str], options: tuple[str, ...]
) -> None:
    """The closed form ⊙ σ'(z) holds (against SymPy's diff of J = Σ δ ⊙ Y(σ(z)) through σ); without σ'
    it is refuted; the note's unpadded * is refuted, written in LaTeX with layer superscripts."""
    from symconv.spec import ConvSpec
    from symconv.verify.tensors import closed_form_text

    spec_args = dict(zip(options[::2], options[1::2]))
    spec = ConvSpec(input_size=int(spec_args["--input"]), kernel_size=int(spec_args["--kernel"]),
                    stride=int(spec_args.get("--stride", 1)), padding=int(spec_args.get("--padding", 0)),
                    in_channels=int(spec_args.get("--in-channels", 1)),
                    out_channels=int(spec_args.get("--out-channels", 1)),
                    dims=int(spec_args.get("--dims", 2)))
    formula = closed_form_text("grad-preactivation", spec)
    code, out, err = run(capsys, "verify", "grad-preactivation", formula, *options)
    assert (code, err) == (0, "") and "HOLDS for the one spec given" in out
    without = formula[len("hadamard("):-len(", dsigma(z))")]  # the input gradient alone
    code, out, _ = run(capsys, "verify", "grad-preactivation", without, *options)
    assert code == 1 and "entries differ" in out and r"\frac{d}{d z_{1" in out
    code, out, _ = run(capsys, "verify", "grad-preactivation",
                       r"\delta^{l+1} * rot_{180}(W^{l+1}) \odot \sigma'(z^l)", *options)
    assert code == 1 and "(latex syntax)" in out


def test_z_belongs_to_the_preactivation_quantity(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "verify", "grad-input", "conv(pad(z, 1), rot180(W))", "--input", "3",
                       "--kernel", "2")
    assert code == 2 and "z (the pre-activation, x = σ(z)) is a name of grad-preactivation formulas" in err
    code, _, err = run(capsys, "verify", "grad-preactivation", r"\sigma(z)", "--input", "3", "--kernel", "2")
    assert code == 2 and "its derivative is \\sigma'(z)" in err
