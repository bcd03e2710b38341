"""Depthwise-separable convolution: a depthwise stage, then a 1×1 stage, derived as a composite.

The depthwise stage applies one ``k×k`` kernel to each input channel on its own
(``groups = C_in``) — not, as the source note says, a one-dimensional kernel in
the depth direction. The pointwise stage mixes channels with a 1×1 kernel.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import sympy as sp

from symconv.errors import SpecError
from symconv.spec import ConvSpec
from symconv.symbolic import differentiate
from symconv.symbolic.derivation import Derivation, Names
from symconv.symbolic.documents import Documented
from symconv.symbolic.proof import Proof, prove_all
from symconv.symbolic.tensors import Tensor, to_array

DEPTHWISE_NAMES = Names(x="x", w="k", b="b", y="m", delta="epsilon")
POINTWISE_NAMES = Names(x="m", w="w", b="beta", y="y", delta="delta")


def separable_specs(spec: ConvSpec) -> tuple[ConvSpec, ConvSpec]:
    """The depthwise and the pointwise stage replacing the ordinary convolution ``spec``."""
    if spec.groups != 1:
        raise SpecError(
            "groups", spec.groups,
            "must be 1 for a depthwise-separable layer: the depthwise stage sets its own groups",
        )
    depthwise = replace(spec, out_channels=spec.in_channels, groups=spec.in_channels)
    pointwise = ConvSpec(
        input_size=depthwise.output_size if spec.has_input_size else None,
        kernel_size=1, in_channels=spec.in_channels, out_channels=spec.out_channels,
        bias=spec.bias, dims=spec.ndim,
    )
    return depthwise, pointwise


@dataclass(frozen=True)
class Counts:
    """Parameters and multiply-accumulates (one sample) of each stage and of the plain layer."""

    depthwise_params: int
    pointwise_params: int
    plain_params: int
    depthwise_macs: int
    pointwise_macs: int
    plain_macs: int

    @property
    def params(self) -> int:
        return self.depthwise_params + self.pointwise_params

    @property
    def macs(self) -> int:
        return self.depthwise_macs + self.pointwise_macs

    @property
    def params_ratio(self) -> float:
        """Separable parameters as a fraction of the plain layer's."""
        return self.params / self.plain_params

    @property
    def macs_ratio(self) -> float:
        return self.macs / self.plain_macs


class SeparableDerivation(Documented):
    """Both stages, the composite forward pass and its gradients (two ways, like Derivation).

    ``depthwise`` maps ``x`` with kernels ``k`` to ``m``; ``pointwise`` maps ``m``
    with 1×1 weights ``w`` (bias ``c``) to ``y``. ``Y`` is the composite, ``y`` in
    terms of ``x``, ``k``, ``b``, ``w``, ``c``.
    """

    def __init__(self, spec: ConvSpec) -> None:
        self.plain = spec
        dw_spec, pw_spec = separable_specs(spec)
        self.depthwise = Derivation(dw_spec, DEPTHWISE_NAMES)
        self.pointwise = Derivation(pw_spec, POINTWISE_NAMES)
        inner = dict(zip(self.pointwise.x_t.flat, self.depthwise.y_t.flat))
        y = np.empty(self.pointwise.y_t.shape, dtype=object)
        for index in np.ndindex(*y.shape):
            entry: sp.Expr = self.pointwise.y_t[index]
            y[index] = sp.expand(entry.xreplace(inner))
        self.y_t = y
        self.counts = Counts(
            dw_spec.params, pw_spec.params, spec.params, dw_spec.macs, pw_spec.macs, spec.macs
        )

    @cached_property
    def Y(self) -> sp.ImmutableDenseNDimArray:
        return to_array(self.y_t)

    @property
    def delta(self) -> sp.ImmutableDenseNDimArray:
        return self.pointwise.delta

    def _wrt(self) -> list[Tensor | None]:
        dw, pw = self.depthwise, self.pointwise
        return [dw.x_t, dw.w_t, dw.b_t, pw.w_t, pw.b_t]

    @cached_property
    def _by_differentiation(self) -> list[Tensor | None]:
        """∂(Σ δ ⊙ Y)/∂ x, k, b, w, c of the composite (None for an absent bias)."""
        present = [t for t in self._wrt() if t is not None]
        grads = iter(differentiate.gradients(self.y_t, self.pointwise.delta_t, present))
        return [None if t is None else next(grads) for t in self._wrt()]

    @cached_property
    def _by_chaining(self) -> list[Tensor | None]:
        """The same gradients from each stage's closed forms, chained through ``m``.

        The depthwise stage's upstream gradient ε is the pointwise input gradient;
        the pointwise weight gradient is evaluated at ``m`` = the depthwise output.
        """
        dw, pw = self.depthwise, self.pointwise
        pw_cf, dw_cf = pw.closed_form, dw.closed_form
        epsilon = dict(zip(dw.delta_t.flat, pw_cf.grad_input.flat))
        m = dict(zip(pw.x_t.flat, dw.y_t.flat))

        def chained(t: Tensor | None, sub: dict[sp.Expr, sp.Expr]) -> Tensor | None:
            if t is None:
                return None
            out = np.empty(t.shape, dtype=object)
            for index in np.ndindex(*t.shape):
                entry: sp.Expr = t[index]
                out[index] = sp.expand(entry.xreplace(sub))
            return out

        return [
            chained(dw_cf.grad_input, epsilon),
            chained(dw_cf.grad_weight, epsilon),
            chained(dw_cf.grad_bias, epsilon),
            chained(pw_cf.grad_weight, m),
            pw_cf.grad_bias,
        ]

    def prove(self) -> Proof:
        """Check that the chained closed forms equal differentiation of the composite."""
        names = ["grad_input", "grad_depthwise_weight", "grad_depthwise_bias",
                 "grad_pointwise_weight", "grad_pointwise_bias"]
        pairs = []
        for name, a, b in zip(names, self._by_differentiation, self._by_chaining):
            if a is not None and b is not None:
                pairs.append((name, a, b))
        return prove_all("depthwise-separable " + self.plain.describe(), pairs)

    def __repr__(self) -> str:
        return f"SeparableDerivation({self.plain.describe()})"


def derive_separable(spec: ConvSpec) -> SeparableDerivation:
    """Derive the depthwise-separable layer that replaces the ordinary convolution ``spec``.

    Example:
        >>> s = derive_separable(ConvSpec(input_size=4, kernel_size=3, in_channels=2, out_channels=3))
        >>> s.counts.params, s.counts.plain_params
        (29, 57)
        >>> s.prove().holds
        True
    """
    if not isinstance(spec, ConvSpec):
        raise SpecError("spec", spec, "must be a ConvSpec")
    _ = spec.sizes  # raises SpecError naming input_size when it is open
    return SeparableDerivation(spec)
