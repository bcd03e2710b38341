"""The defects a hostile pass found in ``verify``: each reproduction, now behaving as it should."""

from __future__ import annotations

import pytest
from clitools import assert_bad_input, run


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
