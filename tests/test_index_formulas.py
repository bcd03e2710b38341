"""The index formulas with symbolic sizes agree, entry by entry, with the derivation.

The references are independent of the formulas: ``derive(spec).Y`` is summed
from the definition and the gradients are obtained by differentiation. Each
formula is instantiated both in the form of its spec (``Form.of``) and in the
most general form (grouped, asymmetric padding), which must cover every spec.
"""

from __future__ import annotations

import time
from functools import cache

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symconv import sizes
from symconv.algebra import index_formulas as ix
from symconv.errors import SpecError
from symconv.spec import ConvSpec
from symconv.symbolic.derivation import Derivation, derive

SWEEP = [
    ConvSpec(input_size=5, kernel_size=3, dims=1),
    ConvSpec(input_size=7, kernel_size=3, stride=2, padding=1, dims=1),
    ConvSpec(input_size=8, kernel_size=2, stride=3, padding=2, dilation=2, dims=1),
    ConvSpec(input_size=6, kernel_size=2, padding="same", dims=1),  # asymmetric: 0 before, 1 after
    ConvSpec(input_size=6, kernel_size=3, dilation=2, padding="same", in_channels=2, out_channels=3, dims=1),
    ConvSpec(input_size=6, kernel_size=3, in_channels=4, out_channels=2, groups=2, stride=2, dims=1),
    ConvSpec(input_size=5, kernel_size=2, in_channels=3, out_channels=3, groups=3, bias=False, dims=1),
    ConvSpec(input_size=(4, 4), kernel_size=2),
    ConvSpec(input_size=(5, 6), kernel_size=(2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    ConvSpec(input_size=(4, 5), kernel_size=(2, 3), padding="same"),  # asymmetric in dimension 1 only
    ConvSpec(input_size=(4, 3), kernel_size=2, in_channels=2, out_channels=4, groups=2, padding=1),
    ConvSpec(input_size=(4, 4), kernel_size=3, in_channels=2, out_channels=2, groups=2, stride=2,
             padding=1, bias=False),  # depthwise, strided, no bias
    ConvSpec(input_size=(3, 4, 3), kernel_size=2, stride=(1, 2, 1), padding=(1, 0, 0)),
    ConvSpec(input_size=(3, 3, 4), kernel_size=(2, 1, 2), in_channels=2, out_channels=2, groups=2,
             dilation=(1, 1, 2), padding="same", bias=False),
]

BUILDERS = {
    "Y": ix.forward,
    "grad_input": ix.grad_input,
    "grad_weight": ix.grad_weight,
    "grad_bias": ix.grad_bias,
}


@cache
def derivation(spec: ConvSpec) -> Derivation:
    return derive(spec)


def arrays(d: Derivation) -> dict[str, np.ndarray | None]:
    return {"x": d.x_t, "w": d.w_t, "b": d.b_t, "delta": d.delta_t}


def assert_equal_entries(got: np.ndarray, want: sp.NDimArray, what: str) -> None:
    assert got.shape == tuple(want.shape), what
    for index in np.ndindex(*got.shape):
        difference = sp.expand(got[index] - want[index])
        assert difference == 0, f"{what}{list(index)}: {got[index]} ≠ {want[index]}"
        # built directly, yet the very expression SymPy builds (same canonical form and hash)
        assert got[index] == want[index] and hash(got[index]) == hash(want[index])


def check_spec(spec: ConvSpec, general: bool) -> None:
    """Every formula's instance equals the derivation's array, in the spec's form or the general one."""
    d = derivation(spec)
    given_arrays = arrays(d)
    for quantity, build in BUILDERS.items():
        reference = getattr(d, quantity)
        if reference is None:  # no bias
            with pytest.raises(SpecError, match="bias"):
                build(spec)
            continue
        formula = build(spec.ndim, grouped=True, bias=spec.bias, asymmetric=True) if general else build(spec)
        got = formula.instance(spec, **given_arrays)
        assert_equal_entries(got, reference, f"{spec.describe()}: {quantity}")


@pytest.mark.parametrize("spec", SWEEP, ids=lambda s: s.describe())
def test_instances_equal_the_derivation(spec: ConvSpec) -> None:
    check_spec(spec, general=False)


@pytest.mark.parametrize("spec", SWEEP, ids=lambda s: s.describe())
def test_the_general_form_covers_every_spec(spec: ConvSpec) -> None:
    check_spec(spec, general=True)


@st.composite
def small_specs(draw: st.DrawFn) -> ConvSpec:
    dims = draw(st.integers(1, 2))
    groups = draw(st.integers(1, 2))
    in_channels = groups * draw(st.integers(1, 2))
    out_channels = groups * draw(st.integers(1, 2))
    if in_channels * out_channels > 4:
        in_channels, out_channels = groups, groups
    same = draw(st.booleans())
    stride = 1 if same else tuple(draw(st.integers(1, 3)) for _ in range(dims))
    padding = "same" if same else tuple(draw(st.integers(0, 2)) for _ in range(dims))
    limit = 7 if dims == 1 else 4
    try:
        return ConvSpec(
            input_size=tuple(draw(st.integers(1, limit)) for _ in range(dims)),
            kernel_size=tuple(draw(st.integers(1, 3)) for _ in range(dims)),
            stride=stride, padding=padding,
            dilation=tuple(draw(st.integers(1, 2)) for _ in range(dims)),
            in_channels=in_channels, out_channels=out_channels, groups=groups,
            bias=draw(st.booleans()), dims=dims,
        )
    except SpecError:
        assume(False)
        raise


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(spec=small_specs(), general=st.booleans())
def test_property_instances_equal_the_derivation(spec: ConvSpec, general: bool) -> None:
    check_spec(spec, general)


# -- the symbolic formulas ---------------------------------------------------------------------------


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("quantity", list(BUILDERS))
def test_the_general_formulas_print_in_latex(dims: int, quantity: str) -> None:
    formula = BUILDERS[quantity](dims, asymmetric=True)
    tex = formula.latex()
    assert tex and r"\sum" in tex
    assert sp.latex(formula.rhs) in tex and r"\sum" in sp.latex(formula.rhs)
    assert str(formula).startswith(str(formula.lhs))


def test_latex_of_the_brackets_and_gradient_names() -> None:
    tex = ix.grad_input(1).latex()
    assert tex.startswith(r"{\frac{\partial J}{\partial X}}_{c,j} = ")
    assert r"\left[s \mid" in tex and r"\left[0 \le" in tex
    assert r"\delta" in tex


TINY = [
    ConvSpec(input_size=5, kernel_size=2, stride=2, padding=1, in_channels=2, out_channels=2, groups=2,
             dims=1),
    ConvSpec(input_size=4, kernel_size=2, padding="same", dilation=1, dims=1),
    ConvSpec(input_size=(3, 3), kernel_size=2, stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
]


def evaluate_by_doit(formula: ix.IndexFormula, given_arrays: dict[str, np.ndarray | None]) -> np.ndarray:
    """Each entry by SymPy alone: the lhs indices substituted, ``doit``, then the array entries read."""
    by_base = {ix.X: given_arrays["x"], ix.W: given_arrays["w"], ix.B: given_arrays["b"],
               ix.DELTA: given_arrays["delta"]}
    shape = tuple(int(hi) + 1 for _, _, hi in formula.indices)
    symbols = [sym for sym, _, _ in formula.indices]
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        value = formula.rhs.xreplace(dict(zip(symbols, map(sp.Integer, index)))).doit()
        reads = {}
        for entry in value.atoms(sp.Indexed):
            array = by_base[entry.base]
            assert array is not None
            reads[entry] = array[tuple(int(i) for i in entry.indices)]
        out[index] = value.xreplace(reads)
    return out


@pytest.mark.parametrize("spec", TINY, ids=lambda s: s.describe())
def test_substitute_then_doit_agrees_with_instance(spec: ConvSpec) -> None:
    d = derivation(spec)
    given_arrays = arrays(d)
    for quantity, build in BUILDERS.items():
        formula = build(spec)
        substituted = formula.substitute(spec)
        assert substituted.rhs.has(sp.Sum)
        assert not (substituted.rhs.free_symbols & set(formula.symbols.values()))
        by_doit = evaluate_by_doit(substituted, given_arrays)
        assert_equal_entries(by_doit, sp.Array(formula.instance(spec, **given_arrays).tolist()), quantity)


def test_the_size_expressions_are_those_of_sizes() -> None:
    f = ix.forward(1, asymmetric=True)
    z = f.symbols
    n, k, s, p, pa, d = (z[name] for name in ("n", "k", "s", "p", "p'", "d"))
    c_in, c_out, g = z["C_in"], z["C_out"], z["G"]
    (o, _, last_o), (i, _, last_i) = f.indices
    assert last_i == sizes.output_size(n, k, s, p, pa, d) - 1
    assert last_o == c_out - 1
    (u, c) = sp.symbols("u c", integer=True, nonnegative=True)
    x_entries = [e for e in f.rhs.atoms(sp.Indexed) if e.base == ix.X]
    channel = sizes.input_channel(o, c, c_in / g, c_out / g)
    assert x_entries == [ix.X[channel, sizes.input_index(i, u, s, d, p)]]
    brackets = list(f.rhs.atoms(ix.InRange))
    assert brackets == [ix.InRange(sizes.input_index(i, u, s, d, p), 0, n - 1)]
    # the symmetric form: one padding symbol, no p'
    symmetric = ix.forward(1)
    assert "p'" not in symmetric.symbols
    zs = symmetric.symbols
    out = sizes.output_size(zs["n"], zs["k"], zs["s"], zs["p"], zs["p"], zs["d"])
    assert symmetric.indices[1][2] == out - 1
    # grad_input: the output position read, and its range, per dimension
    gi = ix.grad_input(2, grouped=False)
    zg = gi.symbols
    limits = {sym: (lo, hi) for sym, lo, hi in gi.indices}
    j1 = next(sym for sym in limits if sym.name == "j_1")
    assert limits[j1] == (0, zg["n_1"] - 1)
    outs = {
        sizes.output_size(*(zg[f"{name}_{t}"] for name in ("n", "k", "s", "p", "p", "d"))) - 1 for t in (1, 2)
    }
    assert {b.args[2] for b in gi.rhs.atoms(ix.InRange)} == outs


def test_symbols_name_every_size_in_order() -> None:
    assert list(ix.forward(1).symbols) == ["n", "k", "s", "p", "d", "C_in", "C_out", "G"]
    assert list(ix.forward(2, grouped=False, asymmetric=True).symbols) == [
        "n_1", "k_1", "s_1", "p_1", "p'_1", "d_1", "n_2", "k_2", "s_2", "p_2", "p'_2", "d_2", "C_in", "C_out",
    ]


def test_forms_and_mismatches() -> None:
    grouped = ConvSpec(input_size=4, kernel_size=2, in_channels=2, out_channels=2, groups=2, dims=1)
    asymmetric = ConvSpec(input_size=4, kernel_size=2, padding="same", dims=1)
    no_bias = ConvSpec(input_size=4, kernel_size=2, bias=False, dims=1)
    assert ix.Form.of(grouped) == ix.Form(1, grouped=True, bias=True, asymmetric=False)
    assert ix.Form.of(asymmetric) == ix.Form(1, grouped=False, bias=True, asymmetric=True)
    with pytest.raises(SpecError, match="groups"):
        ix.forward(1, grouped=False).substitute(grouped)
    with pytest.raises(SpecError, match="padding"):
        ix.grad_input(1).substitute(asymmetric)
    with pytest.raises(SpecError, match="bias"):
        ix.forward(1).substitute(no_bias)
    with pytest.raises(SpecError, match="bias"):
        ix.grad_bias(no_bias)
    with pytest.raises(SpecError, match="dims"):
        ix.forward(2).substitute(no_bias)
    with pytest.raises(SpecError, match="input_size"):
        ix.forward(1).substitute(ConvSpec(kernel_size=2, dims=1))
    with pytest.raises(SpecError, match="dims"):
        ix.forward(4)
    # gradients of X and W do not involve b: any bias fits
    ix.grad_weight(1).substitute(no_bias)
    # instance needs the arrays the formula reads, in the spec's shapes
    d = derivation(no_bias)
    with pytest.raises(SpecError, match="delta"):
        ix.grad_weight(no_bias).instance(no_bias, x=d.x_t)
    with pytest.raises(SpecError, match="shape"):
        ix.grad_weight(no_bias).instance(no_bias, x=d.x_t, delta=d.x_t)
    # a substituted formula belongs to its spec
    with pytest.raises(SpecError, match="differs"):
        ix.grad_weight(no_bias).substitute(no_bias).substitute(asymmetric)


def test_instance_takes_sympy_arrays() -> None:
    spec = ConvSpec(input_size=(3, 3), kernel_size=2, padding=1)
    d = derivation(spec)
    got = ix.forward(spec).instance(spec, x=d.X, w=d.W, b=d.b)
    assert_equal_entries(got, d.Y, "Y")


def test_instance_is_fast_on_a_16x16_layer() -> None:
    """16×16 input, kernel 3: Y with 8→8 channels and the gradients with 4→4 in seconds; entries spot-checked.

    (All four with 8→8 channels take about 20 s on a loaded 2-core machine: measured, not tested.)
    """
    spec = ConvSpec(input_size=(16, 16), kernel_size=3, in_channels=8, out_channels=8, padding=1)
    x = np.array(sp.symbols("x:2048"), dtype=object).reshape(8, 16, 16)
    w = np.array(sp.symbols("w:576"), dtype=object).reshape(8, 8, 3, 3)
    b = np.array(sp.symbols("b:8"), dtype=object)
    delta = np.array(sp.symbols("e:2048"), dtype=object).reshape(8, 16, 16)
    start = time.perf_counter()
    y = ix.forward(spec).instance(spec, x=x, w=w, b=b)
    small = ConvSpec(input_size=(16, 16), kernel_size=3, in_channels=4, out_channels=4, padding=1)
    w4, x4, delta4 = w[:4, :4], x[:4], delta[:4]
    gx = ix.grad_input(small).instance(small, w=w4, delta=delta4)
    gw = ix.grad_weight(small).instance(small, x=x4, delta=delta4)
    gb = ix.grad_bias(spec).instance(spec, delta=delta)
    elapsed = time.perf_counter() - start
    assert elapsed < 40, f"instance took {elapsed:.1f} s"
    assert y.shape == (8, 16, 16) and gx.shape == x4.shape and gw.shape == w4.shape and gb.shape == (8,)
    # corner output: taps (1..2, 1..2) only; interior: all 9 taps of every channel
    assert y[3, 0, 0] == b[3] + sum(w[3, c, 1 + a, 1 + e] * x[c, a, e] for c in range(8) for a in (0, 1)
                                    for e in (0, 1))
    assert len(sp.Add.make_args(y[3, 5, 7])) == 1 + 8 * 9
    assert gb[2] == sum(delta[2].flat)
    assert len(sp.Add.make_args(gw[1, 2, 0, 0])) == 15 * 15
    assert gx[3, 5, 5] == sum(w[o, 3, a, e] * delta[o, 6 - a, 6 - e] for o in range(4) for a in range(3)
                              for e in range(3))
