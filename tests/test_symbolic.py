"""The symbolic core against the note's worked example and against the independent plain-loop reference.

Every derived quantity — Y, X̂, K̂, Ŷ, the gradients by differentiation and by the
closed forms — is evaluated at random numbers and compared with ``reference.py``,
which shares no code with symconv, across hypothesis-generated specs (1-3 D,
stride, padding incl. ``same``/``valid``, dilation, groups, depthwise, bias on
and off, non-square, several channels). Sizes stay small so SymPy stays fast.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import reference as ref
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv import ConvSpec, derive
from symconv.symbolic import Derivation

# -- the note's example: 3×3 input, 2×2 kernel -----------------------------------------

x11, x12, x13, x21, x22, x23, x31, x32, x33 = sp.symbols(
    "x_{11} x_{12} x_{13} x_{21} x_{22} x_{23} x_{31} x_{32} x_{33}"
)
k11, k12, k21, k22 = sp.symbols("k_{11} k_{12} k_{21} k_{22}")
b = sp.Symbol("b")


@pytest.fixture(scope="module")
def note() -> Derivation:
    return derive(ConvSpec(input_size=(3, 3), kernel_size=2))


def test_note_input_and_kernel_symbols(note: Derivation) -> None:
    assert note.X.shape == (1, 3, 3)
    assert note.X.tolist() == [[[x11, x12, x13], [x21, x22, x23], [x31, x32, x33]]]
    assert note.W.shape == (1, 1, 2, 2)
    assert note.W.tolist() == [[[[k11, k12], [k21, k22]]]]
    assert note.b is not None and note.b.tolist() == [b]


def test_note_x_hat_entry_by_entry(note: Derivation) -> None:
    expected = sp.Matrix([
        [x11, x12, x21, x22],
        [x12, x13, x22, x23],
        [x21, x22, x31, x32],
        [x22, x23, x32, x33],
    ])
    assert note.X_hat.shape == (4, 4)
    for i in range(4):
        for j in range(4):
            assert note.X_hat[i, j] == expected[i, j], (i, j)
    assert note.X_hat == expected


def test_note_k_hat(note: Derivation) -> None:
    assert note.K_hat == sp.Matrix([k11, k12, k21, k22])
    assert note.K_hat.shape == (4, 1)


def test_note_y_sums(note: Derivation) -> None:
    y11 = x11 * k11 + x12 * k12 + x21 * k21 + x22 * k22
    y12 = x12 * k11 + x13 * k12 + x22 * k21 + x23 * k22
    y21 = x21 * k11 + x22 * k12 + x31 * k21 + x32 * k22
    y22 = x22 * k11 + x23 * k12 + x32 * k21 + x33 * k22
    assert note.Y.shape == (1, 2, 2)
    assert note.Y.tolist() == [[[y11 + b, y12 + b], [y21 + b, y22 + b]]]
    assert note.Y_hat == sp.Matrix([y11, y12, y21, y22])
    assert note.Y_hat == note.X_hat * note.K_hat


def test_note_gradients(note: Derivation) -> None:
    d11, d12, d21, d22 = sp.symbols("delta_{11} delta_{12} delta_{21} delta_{22}")
    assert note.delta.tolist() == [[[d11, d12], [d21, d22]]]
    assert note.grad_bias is not None and note.grad_bias.tolist() == [d11 + d12 + d21 + d22]
    # ∂J/∂k11 = Σ δ_ij x_ij over the window each y_ij reads through k11
    assert sp.expand(note.grad_weight[0, 0, 0, 0] - (d11 * x11 + d12 * x12 + d21 * x21 + d22 * x22)) == 0
    # x22 is read by every output, through a different tap each time
    assert sp.expand(note.grad_input[0, 1, 1] - (d11 * k22 + d12 * k21 + d21 * k12 + d22 * k11)) == 0
    assert sp.expand(note.grad_input[0, 0, 0] - d11 * k11) == 0
    assert note.prove()


# -- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        ConvSpec(input_size=(3, 4), kernel_size=2, in_channels=2, out_channels=3),
        ConvSpec(input_size=4, kernel_size=3, in_channels=4, out_channels=4, groups=4, dims=1),
        ConvSpec(input_size=3, kernel_size=2, in_channels=2, out_channels=2, dims=3, bias=False),
        ConvSpec(input_size=(2, 11), kernel_size=(1, 2), dims=2),
    ],
    ids=lambda s: s.describe(),
)
def test_symbols_are_distinct_and_disjoint(spec: ConvSpec) -> None:
    """Every entry of X, W, b and δ is its own symbol; no name is shared between them."""
    d = derive(spec)
    groups = [_flat(d.X), _flat(d.W), _flat(d.delta)] + ([_flat(d.b)] if d.b is not None else [])
    names: list[str] = []
    for entries in groups:
        assert all(isinstance(e, sp.Symbol) for e in entries)
        names += [e.name for e in entries]
    assert len(names) == len(set(names))
    assert (d.b is None) == (not spec.bias)


def test_channels_get_an_extra_index() -> None:
    d = derive(ConvSpec(input_size=2, kernel_size=1, in_channels=2, out_channels=3))
    x_names = [e.name for e in _flat(d.X)]
    assert x_names[0].startswith("x_{1") and x_names[-1].startswith("x_{2")
    assert all(name.endswith("}") for name in x_names)
    # one channel reads exactly like the note: no channel index
    one = derive(ConvSpec(input_size=2, kernel_size=1))
    assert [e.name for e in _flat(one.X)] == ["x_{11}", "x_{12}", "x_{21}", "x_{22}"]


# -- numerical evaluation helpers ------------------------------------------------------------


def _flat(array: Any) -> list:
    return list(np.array(array.tolist(), dtype=object).ravel())


def _numbers(array: Any, at: dict[sp.Symbol, float]) -> np.ndarray:
    """A SymPy Array / Matrix or an object array, evaluated at ``at``, as floats of the same shape."""
    objects = np.array(array.tolist(), dtype=object)
    flat = [float(sp.sympify(e).xreplace(at)) for e in objects.ravel()]
    return np.array(flat, dtype=np.float64).reshape(objects.shape)


def _assign(array: Any, values: np.ndarray, at: dict[sp.Symbol, float]) -> None:
    """Give each symbol of ``array`` the number in the same place of ``values``."""
    symbols = np.array(array.tolist(), dtype=object)
    assert symbols.shape == values.shape, (symbols.shape, values.shape)
    for symbol, value in zip(symbols.ravel(), values.ravel()):
        assert isinstance(symbol, sp.Symbol) and symbol not in at
        at[symbol] = float(value)


def _expected_shapes(spec: ConvSpec) -> dict[str, tuple[int, ...]]:
    """The contract's shapes, from the spec's plain fields and the reference's output size."""
    p = ref.params_of(spec)
    out = ref.output_size(spec.input_size, spec.kernel_size, p["stride"], p["padding"], p["dilation"])
    taps = math.prod(spec.kernel_size)
    return {
        "X": (spec.in_channels, *spec.input_size),
        "W": (spec.out_channels, spec.in_channels // spec.groups, *spec.kernel_size),
        "b": (spec.out_channels,),
        "Y": (spec.out_channels, *out),
        "X_hat": (math.prod(out), spec.in_channels * taps),
        "K_hat": (spec.in_channels * taps, spec.out_channels),
        "Y_hat": (math.prod(out), spec.out_channels),
    }


def check_against_reference(spec: ConvSpec, seed: int, *, prove: bool = True, matmul: bool = False) -> None:
    """Every derived array of ``derive(spec)`` evaluated at random numbers equals the reference."""
    d = derive(spec)
    shapes = _expected_shapes(spec)
    rng = np.random.default_rng(seed)
    p = ref.params_of(spec)

    # -- types and shapes of everything --
    for array in (d.X, d.W, d.Y, d.delta, d.grad_input, d.grad_weight):
        assert isinstance(array, sp.NDimArray), type(array)
    for matrix in (d.X_hat, d.K_hat, d.Y_hat):
        assert isinstance(matrix, sp.MatrixBase), type(matrix)
    assert d.X.shape == shapes["X"] and d.W.shape == shapes["W"] and d.Y.shape == shapes["Y"]
    assert d.delta.shape == shapes["Y"]
    assert d.X_hat.shape == shapes["X_hat"] and d.K_hat.shape == shapes["K_hat"]
    assert d.Y_hat.shape == shapes["Y_hat"]
    assert d.grad_input.shape == shapes["X"] and d.grad_weight.shape == shapes["W"]
    if spec.bias:
        assert d.b is not None and d.b.shape == shapes["b"]
        assert d.grad_bias is not None and d.grad_bias.shape == shapes["b"]
    else:
        assert d.b is None and d.grad_bias is None
    cf = d.closed_form
    assert cf.grad_input.shape == shapes["X"] and cf.grad_weight.shape == shapes["W"]
    assert (cf.grad_bias is None) == (not spec.bias)
    if cf.grad_bias is not None:
        assert cf.grad_bias.shape == shapes["b"]

    # -- random numbers for every symbol --
    x = rng.standard_normal(shapes["X"])
    w = rng.standard_normal(shapes["W"])
    bias = rng.standard_normal(shapes["b"]) if spec.bias else None
    dy = rng.standard_normal(shapes["Y"])
    at: dict[sp.Symbol, float] = {}
    _assign(d.X, x, at)
    _assign(d.W, w, at)
    _assign(d.delta, dy, at)
    if d.b is not None:
        _assign(d.b, bias, at)

    # -- forward, im2col --
    y = ref.forward(x[None], w, bias, **p)[0]
    y_less_bias = ref.forward(x[None], w, None, **p)[0]
    close = {"rtol": 1e-9, "atol": 1e-9}
    np.testing.assert_allclose(_numbers(d.Y, at), y, **close, err_msg="Y")
    x_hat = ref.im2col(x, spec.kernel_size, p["stride"], p["padding"], p["dilation"])
    np.testing.assert_allclose(_numbers(d.X_hat, at), x_hat, **close, err_msg="X_hat")
    k_hat = ref.kernel_matrix(w, spec.groups)
    np.testing.assert_allclose(_numbers(d.K_hat, at), k_hat, **close, err_msg="K_hat")
    y_hat = _numbers(d.Y_hat, at)  # (positions, C_out) → (C_out, *out)
    np.testing.assert_allclose(y_hat.T.reshape(shapes["Y"]), y_less_bias, **close, err_msg="Y_hat")

    # -- gradients, by differentiation and by the closed forms --
    gx = ref.grad_input(dy[None], w, spec.input_size, **p)[0]
    gw = ref.grad_weight(x[None], dy[None], spec.kernel_size, **p)
    gb = ref.grad_bias(dy[None])
    for name, derived in (("grad_input", d.grad_input), ("closed_form.grad_input", cf.grad_input)):
        np.testing.assert_allclose(_numbers(derived, at), gx, **close, err_msg=name)
    for name, derived in (("grad_weight", d.grad_weight), ("closed_form.grad_weight", cf.grad_weight)):
        np.testing.assert_allclose(_numbers(derived, at), gw, **close, err_msg=name)
    if spec.bias:
        np.testing.assert_allclose(_numbers(d.grad_bias, at), gb, **close, err_msg="grad_bias")
        np.testing.assert_allclose(_numbers(cf.grad_bias, at), gb, **close, err_msg="closed_form.grad_bias")

    # -- what each gradient may depend on: δ and the other factor only --
    deltas, xs, ws = set(_flat(d.delta)), set(_flat(d.X)), set(_flat(d.W))
    for e in _flat(d.grad_input):
        assert e.free_symbols <= deltas | ws
    for e in _flat(d.grad_weight):
        assert e.free_symbols <= deltas | xs
    if d.grad_bias is not None:
        for e in _flat(d.grad_bias):
            assert e.free_symbols <= deltas

    if matmul:  # Ŷ = X̂·K̂ by SymPy's own product, and Ŷ = Y − b symbolically
        product = d.X_hat * d.K_hat
        assert all(sp.expand(a - c) == 0 for a, c in zip(product, d.Y_hat))
        y_sym = np.array(d.Y.tolist(), dtype=object)
        y_hat_sym = np.array(d.Y_hat.tolist(), dtype=object).T.reshape(shapes["Y"])
        for o in range(spec.out_channels):
            shift = d.b[o] if d.b is not None else 0
            for a, c in zip(y_sym[o].ravel(), y_hat_sym[o].ravel()):
                assert sp.expand(a - shift - c) == 0
    if prove:
        proof = d.prove()
        assert proof, str(proof)
        assert proof.holds and not proof.mismatches


# -- named cases: every feature at least once, deterministic ------------------------------

NAMED = {
    "note": ConvSpec(input_size=3, kernel_size=2),
    "1d stride 2 leaves a column unused": ConvSpec(input_size=6, kernel_size=2, stride=2, dims=1),
    "1d stride 3 + dilation 2 + padding 1": ConvSpec(
        input_size=9, kernel_size=3, stride=3, dilation=2, padding=1, dims=1
    ),
    "2d padding 1 multi-channel": ConvSpec(
        input_size=4, kernel_size=3, padding=1, in_channels=2, out_channels=3
    ),
    "2d non-square everything": ConvSpec(
        input_size=(5, 7), kernel_size=(2, 3), stride=(2, 1), padding=(0, 2), dilation=(1, 2),
        in_channels=2, out_channels=2,
    ),
    "2d same, even kernel (odd zero after)": ConvSpec(input_size=(4, 5), kernel_size=(2, 4), padding="same"),
    "2d same with dilation": ConvSpec(input_size=5, kernel_size=(3, 2), dilation=(2, 3), padding="same"),
    "2d valid stride 2": ConvSpec(input_size=(6, 5), kernel_size=3, stride=2, padding="valid"),
    "2d groups 2": ConvSpec(input_size=4, kernel_size=2, in_channels=4, out_channels=2, groups=2),
    "2d depthwise multiplier 2": ConvSpec(
        input_size=4, kernel_size=3, in_channels=2, out_channels=4, groups=2
    ),
    "2d depthwise no bias": ConvSpec(
        input_size=5, kernel_size=3, in_channels=3, out_channels=3, groups=3, padding=1, bias=False
    ),
    "2d 1x1": ConvSpec(input_size=(3, 2), kernel_size=1, in_channels=3, out_channels=2),
    "3d": ConvSpec(input_size=(3, 4, 3), kernel_size=2, padding=(1, 0, 0), in_channels=2, out_channels=2),
    "3d stride dilation groups": ConvSpec(
        input_size=4, kernel_size=(2, 1, 2), stride=(2, 1, 1), dilation=(1, 1, 2), in_channels=2,
        out_channels=2, groups=2, bias=False,
    ),
    "3d same even kernel": ConvSpec(input_size=(3, 2, 3), kernel_size=2, padding="same"),
}


@pytest.mark.parametrize("name", list(NAMED))
def test_named_case_against_reference(name: str) -> None:
    spec = NAMED[name]
    small = math.prod(spec.output_size) * spec.in_channels * math.prod(spec.kernel_size) <= 400
    check_against_reference(spec, seed=sum(map(ord, name)), matmul=small)


# -- hypothesis: the range of specs ----------------------------------------------------------

LIMITS = {  # per dims: largest input, kernel, stride, padding, dilation, channels
    1: {"input": 9, "kernel": 4, "stride": 3, "padding": 2, "dilation": 3, "channels": 4},
    2: {"input": 7, "kernel": 3, "stride": 3, "padding": 2, "dilation": 2, "channels": 4},
    3: {"input": 4, "kernel": 3, "stride": 2, "padding": 1, "dilation": 2, "channels": 3},
}


@st.composite
def specs(draw: st.DrawFn, dims: int) -> ConvSpec:
    lim = LIMITS[dims]
    kernel = tuple(draw(st.integers(1, lim["kernel"])) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, lim["dilation"])) for _ in range(dims))
    kind = draw(st.sampled_from(["int", "int", "same", "valid"]))
    strides = st.integers(1, lim["stride"])
    stride = (1,) * dims if kind == "same" else tuple(draw(strides) for _ in range(dims))
    padding = kind if kind != "int" else tuple(draw(st.integers(0, lim["padding"])) for _ in range(dims))
    before, after = ref.padding_amounts(padding, kernel, dilation)
    size = []
    for k, d, bb, a in zip(kernel, dilation, before, after):
        smallest = max(1, d * (k - 1) + 1 - bb - a)
        size.append(draw(st.integers(smallest, max(smallest, lim["input"]))))
    cmax = lim["channels"]
    mode = draw(st.sampled_from(["plain", "grouped", "depthwise"]))
    if mode == "plain":
        groups, c_in, c_out = 1, draw(st.integers(1, cmax)), draw(st.integers(1, cmax))
    elif mode == "grouped":
        groups = draw(st.integers(1, cmax // 2 if cmax >= 2 else 1))
        c_in = groups * draw(st.integers(1, cmax // groups))
        c_out = groups * draw(st.integers(1, cmax // groups))
    else:
        groups = c_in = draw(st.integers(1, cmax))
        c_out = c_in * draw(st.integers(1, cmax // c_in))
    # keep SymPy fast: bound the number of products in Y
    macs = math.prod(ref.output_size(size, kernel, stride, padding, dilation)) * c_out * (c_in // groups)
    if macs * math.prod(kernel) > 3000:
        c_in = c_out = groups = 1
    # pass ints where a tuple's entries agree, as users do
    def plain(t: tuple[int, ...]) -> int | tuple[int, ...]:
        return t[0] if len(set(t)) == 1 and draw(st.booleans()) and dims == 2 else t

    return ConvSpec(
        input_size=plain(tuple(size)), kernel_size=plain(kernel), in_channels=c_in, out_channels=c_out,
        stride=plain(stride), padding=padding if isinstance(padding, str) else plain(padding),
        dilation=plain(dilation), groups=groups, bias=draw(st.booleans()), dims=dims,
    )


SEEDS = st.integers(0, 2**32 - 1)


@settings(max_examples=100, deadline=None)
@given(specs(1), SEEDS)
def test_1d_against_reference(spec: ConvSpec, seed: int) -> None:
    check_against_reference(spec, seed, matmul=True)


@settings(max_examples=150, deadline=None)
@given(specs(2), SEEDS)
def test_2d_against_reference(spec: ConvSpec, seed: int) -> None:
    check_against_reference(spec, seed, matmul=math.prod(spec.output_size) <= 16)


@settings(max_examples=60, deadline=None)
@given(specs(3), SEEDS)
def test_3d_against_reference(spec: ConvSpec, seed: int) -> None:
    check_against_reference(spec, seed, matmul=math.prod(spec.output_size) <= 8)


# -- closed-form intermediates (what the renderer shows) ------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        ConvSpec(input_size=(5, 6), kernel_size=(2, 3), stride=(2, 3), dilation=(2, 1), padding=(1, 0)),
        ConvSpec(input_size=7, kernel_size=3, stride=2, dilation=2, padding="valid", dims=1),
        ConvSpec(input_size=3, kernel_size=2, in_channels=2, out_channels=2, groups=2, padding=1, dims=3),
    ],
    ids=lambda s: s.describe(),
)
def test_closed_form_intermediates(spec: ConvSpec) -> None:
    """δ dilated by the stride, padded by K−1; W dilated by the dilation and turned by 180°."""
    d = derive(spec)
    cf = d.closed_form
    out, k, s, dil = spec.output_size, spec.kernel_size, spec.stride, spec.dilation
    span = tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, dil))
    assert cf.x_padded.shape == (spec.in_channels, *spec.padded_size)
    assert cf.delta_dilated.shape == (spec.out_channels, *((o - 1) * ss + 1 for o, ss in zip(out, s)))
    assert cf.delta_full.shape == (
        spec.out_channels, *((o - 1) * ss + 1 + 2 * (e - 1) for o, ss, e in zip(out, s, span))
    )
    assert cf.kernel_dilated.shape == (spec.out_channels, spec.group_in, *span)
    assert cf.kernel_rot180.shape == cf.kernel_dilated.shape
    assert cf.grad_padded_input.shape == (spec.in_channels, *spec.padded_size)
    delta = np.array(d.delta.tolist(), dtype=object)
    w = np.array(d.W.tolist(), dtype=object)
    # zero insertion: entries on the stride / dilation grid, zeros elsewhere
    grid = (slice(None), *(slice(None, None, ss) for ss in s))
    assert (cf.delta_dilated[grid] == delta).all()
    assert sum(1 for e in cf.delta_dilated.ravel() if e != 0) == delta.size
    grid_w = (slice(None), slice(None), *(slice(None, None, dd) for dd in dil))
    assert (cf.kernel_dilated[grid_w] == w).all()
    assert sum(1 for e in cf.kernel_dilated.ravel() if e != 0) == w.size
    flipped = cf.kernel_dilated[(slice(None), slice(None), *(slice(None, None, -1),) * spec.dims)]
    assert (cf.kernel_rot180 == flipped).all()
    inner = (slice(None), *(slice(e - 1, e - 1 + n) for e, n in zip(span, cf.delta_dilated.shape[1:])))
    assert (cf.delta_full[inner] == cf.delta_dilated).all()
    assert sum(1 for e in cf.delta_full.ravel() if e != 0) == delta.size
    x = np.array(d.X.tolist(), dtype=object)
    before = spec.pad_before
    inside = (slice(None), *(slice(bb, bb + n) for bb, n in zip(before, spec.input_size)))
    assert (cf.x_padded[inside] == x).all()
    assert sum(1 for e in cf.x_padded.ravel() if e != 0) == x.size


def test_proof_reports_a_mismatch() -> None:
    """prove() is not vacuous: a wrong closed form is caught and located."""
    from symconv.symbolic.proof import prove_all

    d = derive(ConvSpec(input_size=3, kernel_size=2))
    truth = np.array(d.grad_input.tolist(), dtype=object)
    wrong = truth.copy()
    wrong[0, 1, 2] = wrong[0, 1, 2] + sp.Symbol("oops")
    proof = prove_all("test", [("grad_input", truth, wrong)])
    assert not proof and len(proof.mismatches) == 1
    assert proof.mismatches[0].index == (1, 2, 3)
    assert "grad_input" in str(proof)


def test_to_array_and_from_array_round_trip() -> None:
    """tensors.from_array is documented as the inverse of to_array, for any rank."""
    from symconv.symbolic.tensors import from_array, symbol_tensor, to_array

    for shape in [(3,), (2, 3), (2, 2, 3)]:
        t = symbol_tensor("x", shape, 1)
        back = from_array(to_array(t))
        assert back.shape == t.shape
        assert (back == t).all()
