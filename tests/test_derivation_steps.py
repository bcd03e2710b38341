"""The derivations' steps: every step of every chain equals the truth, and a wrong step is caught.

The truth is independent of the steps: the forward pass summed from the
definition by :func:`symconv.derive` and each gradient by differentiation
(``derive(spec).grad_input`` …). :func:`steps_check.check_chain` evaluates every
step, every intermediate tensor (from its index definition and with the
operator evaluator) and the closed form; here it is run over a sweep and over
hypothesis's specs, its own truth is compared with the derivation's, and
mutated steps must be reported.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv.algebra import derivation_steps as ds
from symconv.algebra import index_formulas as ix
from symconv.algebra import unrolled
from symconv.algebra.index_functions import FirstInput, InRange
from symconv.errors import SpecError
from symconv.printing.index_latex import index_latex
from symconv.spec import ConvSpec
from symconv.symbolic import steps_check as sc
from symconv.symbolic.derivation import derive

SWEEP = [
    ConvSpec(input_size=5, kernel_size=3, dims=1),
    ConvSpec(input_size=8, kernel_size=2, stride=3, padding=2, dilation=2, dims=1),
    ConvSpec(input_size=6, kernel_size=2, padding="same", dims=1),
    ConvSpec(input_size=6, kernel_size=3, in_channels=4, out_channels=2, groups=2, stride=2, dims=1),
    ConvSpec(input_size=5, kernel_size=2, in_channels=3, out_channels=3, groups=3, bias=False, dims=1),
    ConvSpec(input_size=(5, 6), kernel_size=(2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    ConvSpec(input_size=(4, 3), kernel_size=2, in_channels=2, out_channels=4, groups=2, padding=1),
    ConvSpec(input_size=(3, 4, 3), kernel_size=2, stride=(1, 2, 1), padding=(1, 0, 0)),
]


def failures(spec: ConvSpec) -> list[str]:
    form = ix.Form.of(spec)
    out: list[str] = []
    for chain in ds.chains(form).values():
        out += sc.check_chain(chain, form, spec)[2]
    return out


@pytest.mark.parametrize("spec", SWEEP, ids=lambda s: s.describe())
def test_every_step_holds_on_the_sweep(spec: ConvSpec) -> None:
    assert failures(spec) == []


@st.composite
def specs(draw: st.DrawFn) -> ConvSpec:
    dims = draw(st.sampled_from([1, 1, 2]))
    groups = draw(st.sampled_from([1, 2]))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    per_dim = st.tuples(*[st.integers(1, 3)] * dims)
    kernel, stride, dilation = draw(per_dim), draw(per_dim), draw(st.tuples(*[st.integers(1, 2)] * dims))
    padding = draw(st.tuples(*[st.integers(0, 2)] * dims))
    sizes = draw(st.tuples(*[st.integers(1, 7 if dims == 1 else 4)] * dims))
    try:
        spec = ConvSpec(input_size=sizes, kernel_size=kernel, stride=stride, padding=padding,
                        dilation=dilation, in_channels=c_in, out_channels=c_out, groups=groups,
                        bias=draw(st.booleans()), dims=dims)
        _ = spec.output_size
    except SpecError:
        from hypothesis import assume

        assume(False)
        raise
    return spec


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_every_step_holds_on_any_small_spec(spec: ConvSpec) -> None:
    assert failures(spec) == []


@pytest.mark.parametrize("spec", SWEEP[:4] + SWEEP[5:7], ids=lambda s: s.describe())
def test_the_checks_truth_is_the_derivations(spec: ConvSpec) -> None:
    """check_chain's truth (the index formula's forward pass, differentiated) equals derive(spec)'s."""
    d = derive(spec)
    names = {"x": d.x_t, "W": d.w_t, "delta": d.delta_t}
    y = ix.forward(spec).instance(spec, x=d.x_t, w=d.w_t, b=d.b_t)
    from symconv.symbolic.differentiate import gradients

    got_x, got_w = gradients(y, d.delta_t, [names["x"], names["W"]])
    for got, want in ((got_x, d.grad_input), (got_w, d.grad_weight)):
        for index in np.ndindex(*got.shape):
            assert sp.expand(got[index] - want[index]) == 0


def mutated(chain: ds.Chain, number: int, old: sp.Basic, new: sp.Basic) -> ds.Chain:
    steps = list(chain.steps)
    steps[number] = dataclasses.replace(steps[number], rhs=steps[number].rhs.xreplace({old: new}))
    return dataclasses.replace(chain, steps=tuple(steps))


def test_a_wrong_step_is_reported() -> None:
    spec = ConvSpec(input_size=7, kernel_size=3, stride=2, padding=1, dilation=2, in_channels=2,
                    out_channels=4, groups=2, dims=1)
    form = ix.Form.of(spec)
    chain = ds.chains(form)["grad_input"]
    moves = [step.move for step in chain.steps]
    flip = moves.index("flip")
    # the kernel not turned: the dilated one where the turned one belongs
    wrong = mutated(chain, flip, ds.W_TURNED, ds.W_DILATED)
    found = sc.check_chain(wrong, form, spec)[2]
    assert len(found) == 1 and "step 6 (flip)" in found[0], found
    # the zero-inserted error read as if there were no zero insertion
    zeros = moves.index("zero_insertion")
    wrong = mutated(chain, zeros, ds.DELTA_ZEROS, ix.DELTA)
    assert any("zero_insertion" in line for line in sc.check_chain(wrong, form, spec)[2])
    # a tensor defined wrongly: Δ padded by k' instead of k' − 1
    tensor = chain.steps[moves.index("full_padding")].defines[0]
    m = tensor.indices[-1]
    bad = dataclasses.replace(tensor, entry=tensor.entry.xreplace({m: m + 1}))
    steps = list(chain.steps)
    padding = moves.index("full_padding")
    steps[padding] = dataclasses.replace(steps[padding], defines=(bad,))
    found = sc.check_chain(dataclasses.replace(chain, steps=tuple(steps)), form, spec)[2]
    assert any("Delta from its index definition" in line for line in found), found


def test_a_wrong_group_map_is_reported() -> None:
    spec = ConvSpec(input_size=5, kernel_size=2, in_channels=4, out_channels=2, groups=2, dims=1)
    form = ix.Form.of(spec)
    chain = ds.chains(form)["grad_input"]
    z = ix.Sizes.of(form)
    first = FirstInput(ix.OUT, z.group_in, z.group_out)
    wrong = mutated(chain, 2, first, sp.S.Zero)  # every output channel reading the first group
    assert sc.check_chain(wrong, form, spec)[2]


@pytest.mark.parametrize("form", [ix.Form(1, False), ix.Form(1, True), ix.Form(1, True, False),
                                  ix.Form(1, True, True, True)], ids=str)
def test_the_sweep_covers_what_the_documents_say(form: ix.Form) -> None:
    result = sc.check(form)
    assert result.holds, result.failures[:3]
    dims = result.by_dims()
    assert set(dims) == {1, 2, 3} and sum(dims.values()) == len(result.instances)
    ranges = result.ranges()
    if not form.asymmetric:
        assert ranges["stride"] == (1, 3) and ranges["padding"] == (0, 2) and ranges["dilation"] == (1, 2)
    assert ranges["groups"] == ((2, 2) if form.grouped else (1, 1))
    assert all(spec.bias == form.bias for spec in result.instances)
    assert all(spec.is_symmetric_padding != form.asymmetric for spec in result.instances)


def test_the_steps_print_as_a_textbook_writes_them() -> None:
    chain = ds.chains(ix.Form(1, True))["grad_input"]
    by_move = {step.move: step for step in chain.steps}
    assert index_latex(by_move["sum_kronecker"].rhs) == (
        r"\sum_{o \in G(c)} \sum_{u=0}^{k - 1} W_{o,\,c - c_{0}(o),\,u} \, "
        r"\delta_{o,\,\left(j + p - d u\right)/s} \left[s \mid j + p - d u\right] "
        r"\left[0 \le \frac{j + p - d u}{s} \le n' - 1\right]"
    )
    assert index_latex(by_move["correlation"].rhs) == (
        r"\left[0 \le j + p \le s \left(n' - 1\right) + k' - 1\right] F_{c,\,j + p}"
    )
    forward = ds.chains(ix.Form(1, False))["forward"]
    assert index_latex(forward.steps[0].rhs) == (
        r"b_{o} + \sum_{c'=0}^{C_{\mathrm{in}} - 1} \sum_{u=0}^{k - 1} W_{o,c',u} \, X_{c',\,s i + d u - p} "
        r"\left[0 \le s i + d u - p \le n - 1\right]"
    )


def test_sums_over_whole_ranges_drop_their_limits_once_the_ranges_are_stated() -> None:
    chains = ds.chains(ix.Form(1, True))
    ranges = ds.sum_ranges(chains.values())
    named = {str(symbol): (index_latex(lo), index_latex(hi)) for symbol, lo, hi in ranges}
    assert named == {
        "c'": ("0", r"\frac{C_{\mathrm{in}}}{G} - 1"), "u": ("0", "k - 1"),
        "o": ("0", r"C_{\mathrm{out}} - 1"),
        "o'": ("0", r"C_{\mathrm{out}} - 1"), "i": ("0", "n' - 1"), "v": ("0", "k' - 1"),
        "m": ("0", r"s \left(n' - 1\right)"),
    }
    stated = {symbol: (lo, hi) for symbol, lo, hi in ranges}
    by_move = {step.move: step for step in chains["grad_input"].steps}
    assert index_latex(by_move["chain_rule"].rhs, ranges=stated).startswith(r"\sum_{o,i} \delta_{o,i}")
    assert index_latex(by_move["sum_kronecker"].rhs, ranges=stated).startswith(
        r"\sum_{o \in G(c)} \sum_{u} W")
    # a range that is not the stated one keeps its limits
    other = {symbol: (lo, hi + 1) for symbol, (lo, hi) in stated.items()}
    assert index_latex(by_move["chain_rule"].rhs, ranges=other).startswith(
        r"\sum_{o=0}^{C_{\mathrm{out}} - 1}")


def test_the_unrolled_view_is_checked_and_a_wrong_col2im_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    form = ix.Form(2, True)
    spec = sc.sweep(form)[0]
    checked, compared, failures = sc.check_unrolled(form, spec)
    assert checked == sc.UNROLLED_CHECKS == 3 and compared > 0 and failures == []

    def first_copy_only(spec: ConvSpec, columns: np.ndarray) -> np.ndarray:
        """col2im that keeps one copy of each input instead of summing the overlaps."""
        out = np.full((spec.in_channels, *spec.sizes), sp.S.Zero, dtype=object)
        for k, (_, _, index) in enumerate(unrolled.reads(spec)):
            row, tap = divmod(k, spec.taps)
            for c in range(spec.in_channels):
                if index is not None and out[(c, *index)] == 0:
                    out[(c, *index)] = columns[row, c * spec.taps + tap]
        return out

    monkeypatch.setattr(unrolled, "col2im", first_copy_only)
    _, _, failures = sc.check_unrolled(form, spec)
    assert len(failures) == 1 and "col2im" in failures[0]


def test_brackets_evaluate_to_one_or_zero() -> None:
    e = sp.Symbol("e", integer=True)
    assert InRange(e, 0, 3).subs(e, 3) == 1 and InRange(e, 0, 3).subs(e, 4) == 0
    assert FirstInput(5, 2, 3) == 2  # output channel 5 is in group 1 (3 per group): inputs 2, 3
