"""Exact strings of the note's LaTeX notation (symconv.printing.note_latex.NotePrinter)."""

from __future__ import annotations

import pytest
import sympy as sp

from symconv import ConvSpec, derive
from symconv.algebra.closed_forms import closed_forms
from symconv.algebra.operators import (
    DELTA,
    Col2im,
    Conv,
    Crop,
    Dilate,
    Hadamard,
    Im2col,
    Pad,
    Rot180,
    SumPositions,
    W,
    X,
)
from symconv.printing.note_latex import NotePrinter, note_latex, pmatrix
from symconv.symbolic.chain import SIGMA

S = sp.Symbol
x11, x12, k11, k12, k22 = sp.symbols("x_{11} x_{12} k_{11} k_{12} k_{22}")
d11, d12 = sp.symbols("delta_{11} delta_{12}")


@pytest.mark.parametrize(
    ("name", "latex"),
    [
        ("x_{11}", "x_{11}"),
        ("k_{1,2,11}", "k_{1,2,11}"),
        ("y_{2,1,12}", "y_{2,1,12}"),
        ("b", "b"),
        ("b_{3}", "b_{3}"),
        ("delta_{11}", r"\delta_{11}"),
        ("delta_{2,11}", r"\delta_{2,11}"),
        ("epsilon_{1,11}", r"\varepsilon_{1,11}"),
        ("delta", r"\delta"),
        ("xi", r"\xi"),
        ("W^{l+1}", "W^{l+1}"),
        ("delta^{l+1}_{o}", r"\delta^{l+1}_{o}"),
        ("a^{l-1}", "a^{l-1}"),
        ("z^{l}_{c}", "z^{l}_{c}"),
    ],
)
def test_symbols_keep_their_names_greek_bases_become_greek(name: str, latex: str) -> None:
    assert note_latex(S(name)) == latex


@pytest.mark.parametrize(
    ("expr", "latex"),
    [
        (k11 * x11, "x_{11} k_{11}"),  # the input before the kernel, as the note writes it
        (d11 * k22, r"\delta_{11} k_{22}"),  # the error before the kernel
        (x12 * d11, r"x_{12} \delta_{11}"),  # the input before the error (∂J/∂W = a * δ)
        (S("w_{1,1,11}") * S("m_{1,11}"), "m_{1,11} w_{1,1,11}"),
        (S("k_{1,1,11}") * S("epsilon_{1,11}"), r"\varepsilon_{1,11} k_{1,1,11}"),
        (S("w_{3,1,11}") * S("k_{1,1,11}") * S("x_{1,11}"), "x_{1,11} k_{1,1,11} w_{3,1,11}"),
        (-k11 * x11 / 2, r"- \frac{1}{2} x_{11} k_{11}"),
        (3 * x11, "3 x_{11}"),
        (-x11, "- x_{11}"),
        (x11 / k11, r"\frac{x_{11}}{k_{11}}"),  # a fraction: SymPy's own layout
    ],
)
def test_products_put_the_data_first(expr: sp.Expr, latex: str) -> None:
    assert note_latex(expr) == latex


def test_sums_end_with_the_bias_and_then_numbers() -> None:
    b = S("b")
    y11 = b + k11 * x11 + k12 * x12
    assert note_latex(y11) == "x_{11} k_{11} + x_{12} k_{12} + b"
    assert note_latex(S("K") - 1) == "K - 1"
    assert note_latex(d11 + d12) == r"\delta_{11} + \delta_{12}"


def test_sigma_and_its_derivative_in_both_sympy_forms() -> None:
    z, xi = S("z_{11}"), S("xi")
    assert note_latex(SIGMA(z)) == r"\sigma(z_{11})"
    assert note_latex(SIGMA(z + 1)) == r"\sigma\left(z_{11} + 1\right)"
    assert note_latex(sp.Derivative(SIGMA(z), z)) == r"\sigma'(z_{11})"
    at = S("b") + k11 * SIGMA(z)
    subs = sp.Subs(sp.Derivative(SIGMA(xi), xi), xi, at)
    assert note_latex(subs) == r"\sigma'\left(\sigma(z_{11}) k_{11} + b\right)"
    assert note_latex(SIGMA(z) ** 2) == r"\sigma^{2}(z_{11})"


def test_other_functions_and_derivatives_print_as_sympy_does() -> None:
    f, x = sp.Function("f"), S("x")
    assert note_latex(f(x)) == sp.latex(f(x))
    assert note_latex(sp.Derivative(f(x), x)) == sp.latex(sp.Derivative(f(x), x))
    assert note_latex(sp.Derivative(SIGMA(x), x, 2)) == r"\frac{d^{2}}{d x^{2}} \sigma(x)"


def test_the_chain_entries_of_the_notes_example() -> None:
    d = derive(ConvSpec(input_size=3, kernel_size=2))
    assert note_latex(d.chain.delta[0, 0, 1]) == (
        r"\left(\delta_{11} k_{12} + \delta_{12} k_{11}\right) \sigma'(z_{12})"
    )
    assert note_latex(d.chain.delta[0, 0, 0]) == r"\delta_{11} k_{11} \sigma'(z_{11})"
    assert note_latex(d.chain.a[0, 2, 2]) == r"\sigma(z_{33})"
    assert note_latex(d.chain.delta_last[0, 0, 0]) == (
        r"\left(\sigma\left(\sigma(z_{11}) k_{11} + \sigma(z_{12}) k_{12} + \sigma(z_{21}) k_{21}"
        r" + \sigma(z_{22}) k_{22} + b\right) - t_{11}\right) \sigma'\left(\sigma(z_{11}) k_{11}"
        r" + \sigma(z_{12}) k_{12} + \sigma(z_{21}) k_{21} + \sigma(z_{22}) k_{22} + b\right)"
    )


def test_the_notes_y_sums_and_gradients() -> None:
    d = derive(ConvSpec(input_size=3, kernel_size=2))
    assert note_latex(d.Y[0, 0, 0]) == "x_{11} k_{11} + x_{12} k_{12} + x_{21} k_{21} + x_{22} k_{22} + b"
    assert note_latex(d.Y_hat[3, 0]) == "x_{22} k_{11} + x_{23} k_{12} + x_{32} k_{21} + x_{33} k_{22}"
    assert note_latex(d.grad_input[0, 1, 1]) == (
        r"\delta_{11} k_{22} + \delta_{12} k_{21} + \delta_{21} k_{12} + \delta_{22} k_{11}"
    )
    assert note_latex(d.grad_weight[0, 0, 0, 1]) == (
        r"x_{12} \delta_{11} + x_{13} \delta_{12} + x_{22} \delta_{21} + x_{23} \delta_{22}"
    )


def test_operators() -> None:
    delta, w = S("delta^{l+1}"), S("W^{l+1}")
    sigma_prime = sp.Derivative(SIGMA(S("z^{l}")), S("z^{l}"))
    assert note_latex(Rot180(w)) == r"\mathrm{rot}_{180}(W^{l+1})"
    assert note_latex(Hadamard(Conv(delta, Rot180(w), 1, 1), sigma_prime)) == (
        r"\left(\delta^{l+1} \ast \mathrm{rot}_{180}(W^{l+1})\right) \odot \sigma'(z^{l})"
    )
    assert note_latex(Conv(S("a^{l}"), delta, S("d"), 1)) == r"a^{l} \ast_{d} \delta^{l+1}"
    assert note_latex(Conv(S("a^{l}"), delta, 1, S("d"))) == r"a^{l} \ast_{1,d} \delta^{l+1}"
    assert note_latex(Pad(Dilate(delta, S("s")), S("K") - 1, S("K") - 1)) == (
        r"\mathrm{pad}_{K - 1}\left(\mathrm{dil}_{s}(\delta^{l+1})\right)"
    )
    assert note_latex(Crop(Pad(S("A"), 0, S("u")), S("p"), S("p"))) == (
        r"\mathrm{crop}_{p}\left(\mathrm{pad}_{0,u}(A)\right)"
    )
    assert note_latex(SumPositions(delta)) == r"\sum_{i} \left(\delta^{l+1}\right)_{i}"
    assert note_latex(Conv(Conv(S("A"), S("B"), 1, 1), S("C"), 1, 1)) == r"\left(A \ast B\right) \ast C"


def test_closed_forms_per_channel() -> None:
    """Per channel, tensors carry their channel subscripts and the group sum is written out."""
    spec = ConvSpec(input_size=5, kernel_size=3, stride=2, padding=1, in_channels=2, out_channels=2)
    forms = closed_forms(spec)
    names = {"delta": r"\delta", "W": "K", "x": "X"}
    assert note_latex(forms.grad_input, tensor_names=names, channels=True) == (
        r"\mathrm{crop}_{p}\left(\sum_{o \in G(c)} \left(\mathrm{pad}_{k' - 1}\left(\mathrm{dil}_{s}"
        r"(\delta_{o})\right) \ast \mathrm{rot}_{180}(K_{o,c})\right)\right)"
    )
    assert note_latex(forms.grad_weight, tensor_names=names, channels=True) == (
        r"\mathrm{pad}_{p}(X_{c'}) \ast \mathrm{dil}_{s}(\delta_{o})"
    )
    assert note_latex(Rot180(W)) == r"\mathrm{rot}_{180}(K)"
    assert note_latex(Col2im(Im2col(X))) == r"\mathrm{col2im}\left(\mathrm{im2col}(X)\right)"
    assert note_latex(DELTA) == r"\delta"


def test_matrices_are_pmatrix() -> None:
    m = sp.Matrix([[x11, 0], [k11 * x12, d11]])
    assert note_latex(m) == (
        r"\begin{pmatrix} x_{11} & 0 \\ x_{12} k_{11} & \delta_{11} \end{pmatrix}"
    )
    assert pmatrix([["a", r"\cdots"], [r"\vdots", r"\ddots"]]) == (
        r"\begin{pmatrix} a & \cdots \\ \vdots & \ddots \end{pmatrix}"
    )


def test_a_fresh_printer_gives_the_same_strings() -> None:
    d = derive(ConvSpec(input_size=4, kernel_size=2, in_channels=2, out_channels=2, groups=2))
    first = [note_latex(e) for e in d.Y_hat]
    again = [str(NotePrinter().doprint(e)) for e in d.Y_hat]
    assert first == again
