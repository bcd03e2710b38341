"""The Derivation of one convolution and ``derive``, the driver that builds it.

Stages, each a function of its own module: symbols (tensors) → forward by the
definition → im2col → gradients by differentiation and by the closed forms.
Gradients are built on first use, so the forward half stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from symconv.algebra import unrolled
from symconv.algebra.polynomial import Poly
from symconv.errors import SpecError
from symconv.spec import ConvSpec
from symconv.symbolic import differentiate
from symconv.symbolic.chain import LayerChain, layer_chain
from symconv.symbolic.closed_form import ClosedForm, closed_form
from symconv.symbolic.documents import Documented
from symconv.symbolic.forward import forward
from symconv.symbolic.im2col import product, unroll_input, unroll_kernel
from symconv.symbolic.proof import Proof, prove_all
from symconv.symbolic.tensors import Tensor, symbol_tensor, to_array


@dataclass(frozen=True)
class Names:
    """Base names of the symbols: input, kernel, bias, output, upstream gradient."""

    x: str = "x"
    w: str = "k"
    b: str = "b"
    y: str = "y"
    delta: str = "delta"


class Derivation(Documented):
    """Everything symconv derives for one convolution and one sample.

    Arrays are SymPy Arrays in PyTorch layouts without the batch axis:
    ``X (C_in, *in)``, ``W (C_out, C_in/g, *k)``, ``b (C_out,)`` (None without
    bias), ``Y (C_out, *out)``; ``X_hat``, ``K_hat``, ``Y_hat`` are Matrices with
    ``Y_hat == X_hat * K_hat``. ``delta`` holds the symbols of ∂J/∂Y; the
    ``grad_*`` fields are obtained by differentiation (the ground truth), the
    ``closed_form`` by rot180/pad/dilate/conv, and :meth:`prove` checks the two.

    Example:
        >>> d = derive(ConvSpec(input_size=3, kernel_size=2))
        >>> d.Y[0, 0, 0]
        b + k_{11}*x_{11} + k_{12}*x_{12} + k_{21}*x_{21} + k_{22}*x_{22}
        >>> d.grad_bias[0]
        delta_{11} + delta_{12} + delta_{21} + delta_{22}
        >>> d.prove().holds
        True
    """

    def __init__(self, spec: ConvSpec, names: Names | None = None) -> None:
        self.spec = spec
        self.names = names or Names()
        n = self.names
        self.x_t = symbol_tensor(n.x, (spec.in_channels, *spec.sizes), 1)
        self.w_t = symbol_tensor(n.w, (spec.out_channels, spec.group_in, *spec.kernel), 2)
        self.b_t = symbol_tensor(n.b, (spec.out_channels,), 1) if spec.bias else None
        y_shape = (spec.out_channels, *spec.output_size)
        self.y_names_t = symbol_tensor(n.y, y_shape, 1)
        self.delta_t = symbol_tensor(n.delta, y_shape, 1)

    @cached_property
    def y_t(self) -> Tensor:
        """Y as an object array, summed from the definition (built on first use)."""
        return forward(self.spec, self.x_t, self.w_t, self.b_t)

    # -- the public arrays ----------------------------------------------------

    @cached_property
    def X(self) -> sp.ImmutableDenseNDimArray:
        return to_array(self.x_t)

    @cached_property
    def W(self) -> sp.ImmutableDenseNDimArray:
        return to_array(self.w_t)

    @cached_property
    def b(self) -> sp.ImmutableDenseNDimArray | None:
        return None if self.b_t is None else to_array(self.b_t)

    @cached_property
    def Y(self) -> sp.ImmutableDenseNDimArray:
        return to_array(self.y_t)

    @cached_property
    def Y_names(self) -> sp.ImmutableDenseNDimArray:
        """The names ``y_{11}``… of Y's entries, for writing ``y_{11} = …``."""
        return to_array(self.y_names_t)

    @cached_property
    def delta(self) -> sp.ImmutableDenseNDimArray:
        return to_array(self.delta_t)

    @cached_property
    def X_hat(self) -> sp.ImmutableMatrix:
        return unroll_input(self.spec, self.x_t)

    @cached_property
    def K_hat(self) -> sp.ImmutableMatrix:
        return unroll_kernel(self.spec, self.w_t)

    @cached_property
    def Y_hat(self) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(self.X_hat * self.K_hat)

    # -- gradients ---------------------------------------------------------------

    @cached_property
    def _by_differentiation(self) -> list[Tensor]:
        wrt = [self.x_t, self.w_t] + ([self.b_t] if self.b_t is not None else [])
        return differentiate.gradients(self.y_t, self.delta_t, wrt)

    @cached_property
    def grad_input(self) -> sp.ImmutableDenseNDimArray:
        """∂J/∂X, shape of X, by differentiation of ``Σ δ ⊙ Y``."""
        return to_array(self._by_differentiation[0])

    @cached_property
    def grad_weight(self) -> sp.ImmutableDenseNDimArray:
        """∂J/∂W, shape of W, by differentiation of ``Σ δ ⊙ Y``."""
        return to_array(self._by_differentiation[1])

    @cached_property
    def grad_bias(self) -> sp.ImmutableDenseNDimArray | None:
        """∂J/∂b, shape of b, by differentiation (None without bias)."""
        grads = self._by_differentiation
        return to_array(grads[2]) if len(grads) == 3 else None

    @cached_property
    def closed_form(self) -> ClosedForm:
        """The gradients by rot180 / pad / dilate / conv, with every intermediate."""
        return closed_form(self.spec, self.x_t, self.w_t, self.delta_t, self.b_t)

    @cached_property
    def chain(self) -> LayerChain:
        """The note's chain rule with an activation σ, this convolution as layer ``l+1``."""
        return layer_chain(self.x_t, self.y_t, self.delta, self.closed_form.grad_input)

    def unrolled_output(self) -> Tensor:
        """Ŷ rearranged to Y's layout ``(C_out, *out)``."""
        y_hat = np.array(self.Y_hat.tolist(), dtype=object)  # (positions, C_out)
        return y_hat.T.reshape(self.y_names_t.shape)

    def prove(self) -> Proof:
        """Check exactly, entry by entry, that the closed forms equal differentiation.

        Also checks that ``Ŷ = X̂·K̂`` equals ``Y − b``. The returned Proof is true
        when everything matches and lists every differing entry otherwise.

        The check runs the same definitions — the forward pass, differentiation,
        the algebra's closed forms, the im2col product — on exact sparse
        polynomials (:class:`~symconv.algebra.polynomial.Poly`) instead of SymPy
        expressions: the same mathematics, exact, many times faster.
        """
        spec = self.spec
        x, w, delta = (_polys(t) for t in (self.x_t, self.w_t, self.delta_t))
        b = None if self.b_t is None else _polys(self.b_t)
        y = forward(spec, x, w, b)
        grads = differentiate.gradients(y, delta, [x, w] + ([b] if b is not None else []))
        cf = closed_form(spec, x, w, delta, b)
        y_less_bias = y.copy()
        if b is not None:
            for o in range(spec.out_channels):
                for index in np.ndindex(*y.shape[1:]):
                    y_less_bias[(o, *index)] = y[(o, *index)] - b[o]
        pairs = [
            ("Y_hat = X_hat*K_hat vs Y - b", y_less_bias, product(spec, x, w)),
            ("grad_input: closed form vs diff", grads[0], cf.grad_input),
            ("grad_weight: closed form vs diff", grads[1], cf.grad_weight),
        ]
        if cf.grad_bias is not None:
            pairs.append(("grad_bias: closed form vs diff", grads[2], cf.grad_bias))
        pairs += [
            ("grad_weight: X_hat^T delta_hat vs diff", grads[1], unrolled.weight_gradient(spec, x, delta)),
            ("grad_input: col2im(delta_hat K_hat^T) vs diff", grads[0],
             unrolled.input_gradient(spec, delta, w)),
        ]
        return prove_all(spec.describe(), pairs)

    def __repr__(self) -> str:
        return f"Derivation({self.spec.describe()})"


# SymPy builds every product of the layer as an expression: about 5 s per 30,000 on
# this project's machines (benchmarks/bench_derive.py), so this bound is minutes.
MAX_PRODUCTS = 1_000_000
"""The most products (multiply-accumulates) of a layer symconv derives symbolically: derive and verify
refuse a larger layer before any work."""


def derive(spec: ConvSpec) -> Derivation:
    """Derive the forward pass, its im2col form and its gradients for ``spec``.

    The spec needs a fixed ``input_size``: the symbols are one per input entry.

    Example:
        >>> d = derive(ConvSpec(input_size=(3, 3), kernel_size=2))
        >>> d.X_hat.shape, d.K_hat.shape
        ((4, 4), (4, 1))
    """
    if not isinstance(spec, ConvSpec):
        raise SpecError("spec", spec, "must be a ConvSpec")
    _ = spec.sizes  # raises SpecError naming input_size when it is open
    return Derivation(spec)


def _polys(t: Tensor) -> Tensor:
    """A tensor of symbols as a tensor of one-generator Polys."""
    out = np.empty(t.shape, dtype=object)
    for index in np.ndindex(*t.shape):
        out[index] = Poly.gen(t[index])
    return out
