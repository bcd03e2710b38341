"""The note's chain rule with an activation, and depthwise-separable composites.

Chain: ``δ^l`` from the closed form is compared with SymPy's differentiation of
``J = ½‖σ(z^{l+1}) − t‖²`` through σ. Separable: the composite forward pass and
its gradients are evaluated at random numbers and compared with the plain-loop
reference applied stage by stage.
"""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv import ConvSpec, SpecError, derive, derive_separable
from symconv.symbolic.separable import separable_specs


def values(symbols: list[sp.Symbol], rng: np.random.Generator) -> dict[sp.Symbol, float]:
    return {s: float(rng.standard_normal()) for s in symbols}


def numbers(array: sp.NDimArray, at: dict[sp.Symbol, float]) -> np.ndarray:
    """A SymPy Array evaluated at ``at`` as a float array of the same shape."""
    flat = [float(sp.sympify(e).xreplace(at)) for e in sp.flatten(array.tolist())]
    return np.array(flat).reshape(array.shape)


# -- the chain -----------------------------------------------------------------

@pytest.mark.parametrize(
    "kwargs",
    [
        {"input_size": 3, "kernel_size": 2},  # the note's example
        {"input_size": 5, "kernel_size": 2, "stride": 2, "padding": 1, "in_channels": 2, "out_channels": 2},
        {"input_size": 6, "kernel_size": 2, "dilation": 2, "dims": 1},
        {"input_size": (4, 5), "kernel_size": (2, 3), "groups": 2, "in_channels": 2, "out_channels": 2},
    ],
)
def test_chain_delta_equals_differentiation_through_sigma(kwargs: dict) -> None:
    chain = derive(ConvSpec(**kwargs)).chain
    proof = chain.prove()
    assert proof.holds, str(proof)
    assert proof.checked[0][1] == len(sp.flatten(chain.z.tolist()))


def test_chain_of_the_note_example_reads_like_the_note() -> None:
    chain = derive(ConvSpec(input_size=3, kernel_size=2)).chain
    z11, d11, k11 = sp.symbols("z_{11} delta_{11} k_{11}")
    sigma = sp.Function("sigma")
    # the corner entry of δ^l sees one product only: δ_{11} k_{11} σ'(z_{11})
    assert chain.delta[0, 0, 0] == d11 * k11 * sp.Derivative(sigma(z11), z11)
    assert chain.a[0, 0, 0] == sigma(z11)
    assert chain.J.has(sp.Symbol("t_{22}"))


def test_chain_catches_the_notes_unpadded_formula() -> None:
    """δ * rot180(W) without the full padding has the wrong shape: the proof must see it."""
    from symconv.algebra import evaluate as ev

    d = derive(ConvSpec(input_size=3, kernel_size=2))
    unpadded = ev.correlate(d.delta_t[0], ev.rot180(d.w_t[0, 0]), (1, 1), (1, 1))
    assert unpadded.shape == (1, 1) != d.x_t.shape[1:]


# -- depthwise-separable --------------------------------------------------------

def test_separable_specs_split_the_layer() -> None:
    dw, pw = separable_specs(ConvSpec(input_size=7, kernel_size=3, in_channels=3, out_channels=8, stride=2))
    assert (dw.in_channels, dw.out_channels, dw.groups, dw.kernel) == (3, 3, 3, (3, 3))
    assert (pw.in_channels, pw.out_channels, pw.groups, pw.kernel) == (3, 8, 1, (1, 1))
    assert pw.input_size == dw.output_size == (3, 3)


def test_separable_refuses_groups() -> None:
    with pytest.raises(SpecError, match="groups=2"):
        separable_specs(ConvSpec(kernel_size=3, in_channels=2, out_channels=2, groups=2))


def test_separable_counts_match_the_published_formulas() -> None:
    # MobileNet (Howard et al. 2017): D_K²·M + M·N weights against D_K²·M·N
    spec = ConvSpec(input_size=8, kernel_size=3, in_channels=4, out_channels=6, bias=False, padding=1)
    counts = derive_separable(spec).counts
    assert counts.params == 9 * 4 + 4 * 6
    assert counts.plain_params == 9 * 4 * 6
    assert counts.macs == 9 * 4 * 64 + 4 * 6 * 64
    assert counts.plain_macs == 9 * 4 * 6 * 64
    assert counts.macs_ratio == pytest.approx(1 / 6 + 1 / 9)


@settings(max_examples=12)
@given(
    n=st.integers(3, 6), k=st.integers(1, 3), s=st.integers(1, 2), p=st.integers(0, 1),
    c_in=st.integers(1, 3), c_out=st.integers(1, 3), bias=st.booleans(), dims=st.sampled_from([1, 2]),
    seed=st.integers(0, 2**16),
)
def test_separable_matches_reference_stage_by_stage(
    n: int, k: int, s: int, p: int, c_in: int, c_out: int, bias: bool, dims: int, seed: int
) -> None:
    spec = ConvSpec(input_size=n, kernel_size=k, stride=s, padding=p, in_channels=c_in,
                    out_channels=c_out, bias=bias, dims=dims)
    sd = derive_separable(spec)
    dw, pw = sd.depthwise, sd.pointwise
    rng = np.random.default_rng(seed)
    tensors = [dw.X, dw.W, pw.W, sd.delta] + ([dw.b, pw.b] if bias else [])
    at = values([e for t in tensors for e in sp.flatten(t.tolist())], rng)
    x, k_dw, w_pw, dy = (numbers(t, at)[None] if t is dw.X or t is sd.delta else numbers(t, at)
                         for t in (dw.X, dw.W, pw.W, sd.delta))
    b_dw = numbers(dw.b, at) if bias else None
    b_pw = numbers(pw.b, at) if bias else None
    dw_params = ref.params_of(dw.spec)
    m = ref.forward(x, k_dw, b_dw, **dw_params)
    y = ref.forward(m, w_pw, b_pw)
    np.testing.assert_allclose(numbers(sd.Y, at), y[0], rtol=1e-9, atol=1e-9)

    dm = ref.grad_input(dy, w_pw, m.shape[2:])
    expected = {
        "grad_input": ref.grad_input(dm, k_dw, x.shape[2:], **dw_params)[0],
        "grad_depthwise_weight": ref.grad_weight(x, dm, dw.spec.kernel, **dw_params),
        "grad_pointwise_weight": ref.grad_weight(m, dy, pw.spec.kernel),
    }
    if bias:
        expected["grad_depthwise_bias"] = ref.grad_bias(dm)
        expected["grad_pointwise_bias"] = ref.grad_bias(dy)
    names = ["grad_input", "grad_depthwise_weight", "grad_depthwise_bias",
             "grad_pointwise_weight", "grad_pointwise_bias"]
    for name, by_diff, by_chain in zip(names, sd._by_differentiation, sd._by_chaining):
        if name not in expected:
            assert by_diff is None and by_chain is None
            continue
        for tensor in (by_diff, by_chain):
            got = np.array([float(e.xreplace(at)) for e in tensor.flat]).reshape(tensor.shape)
            np.testing.assert_allclose(got, expected[name], rtol=1e-9, atol=1e-9, err_msg=name)
    assert sd.prove().holds


# -- the proof reports differences ------------------------------------------------

def test_proof_names_the_entries_that_differ() -> None:
    from symconv.symbolic.proof import prove_all

    d = derive(ConvSpec(input_size=3, kernel_size=2))
    wrong = d.closed_form.grad_input.copy()
    wrong[0, 1, 1] = wrong[0, 1, 1] + sp.Symbol("oops")
    proof = prove_all("test", [("grad_input", d._by_differentiation[0], wrong)])
    assert not proof
    assert [m.index for m in proof.mismatches] == [(1, 2, 2)]
    assert "grad_input[1,2,2]" in str(proof) and "NOT proved" in str(proof)


def test_proof_reports_a_shape_difference() -> None:
    from symconv.symbolic.proof import prove_all

    d = derive(ConvSpec(input_size=3, kernel_size=2))
    proof = prove_all("test", [("grad_input", d._by_differentiation[0], d.closed_form.grad_input[:, :2])])
    assert not proof and "shape(1, 3, 3)" in str(proof)
