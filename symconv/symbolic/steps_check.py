"""The derivations' steps checked on instances: every step of every chain equals the truth, exactly.

A chain of :mod:`symconv.algebra.derivation_steps` states ``lhs = step₁ = step₂ = …
= closed form`` with symbolic sizes. :func:`check_chain` evaluates, on one spec,

- the truth: the forward pass from its definition (the index formula of
  :mod:`symconv.algebra.index_formulas`), each gradient by differentiating
  ``L = Σ δ ⊙ Y`` (:mod:`symconv.symbolic.differentiate`);
- the Jacobian the chain rule multiplies by, by differentiating each output entry;
- every intermediate tensor twice, from its index definition and with the
  operator evaluator (:mod:`symconv.algebra.evaluate`), which must agree;
- every step's right side, entry by entry, and the closed form;

and reports every entry that differs. :func:`check` does so over a sweep of
instances — 1-, 2- and 3-D, strides, paddings, dilations, groups — for the
general form a document prints, and says how many instances that was: a
derivation checked on instances, not a proof for all sizes.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from symconv.algebra import closed_forms as cfs
from symconv.algebra import derivation_steps as ds
from symconv.algebra import evaluate as ev
from symconv.algebra import index_formulas as ix
from symconv.algebra import unrolled
from symconv.algebra.index_eval import entries
from symconv.errors import SpecError
from symconv.spec import ConvSpec
from symconv.symbolic.differentiate import gradients, partial

Tensor = np.ndarray


@dataclass(frozen=True)
class StepsCheck:
    """The outcome of checking the chains of one general form on a set of instances."""

    instances: tuple[ConvSpec, ...]
    steps: int  # equalities checked per instance, over every chain (steps, tensors, closed forms)
    entries: int  # entries compared in all
    failures: tuple[str, ...]  # one line per step that differed on an instance

    @property
    def holds(self) -> bool:
        return not self.failures

    def by_dims(self) -> dict[int, int]:
        """How many instances of each number of dimensions."""
        counts: dict[int, int] = {}
        for spec in self.instances:
            counts[spec.ndim] = counts.get(spec.ndim, 0) + 1
        return dict(sorted(counts.items()))

    def ranges(self) -> dict[str, tuple[int, int]]:
        """The smallest and largest stride, padding, dilation, kernel, input size and groups checked."""
        def span(values: Iterable[int]) -> tuple[int, int]:
            seen = list(values)
            return min(seen), max(seen)

        specs = self.instances
        return {
            "stride": span(s for spec in specs for s in spec.strides),
            "padding": span(p for spec in specs for p in (*spec.pad_before, *spec.pad_after)),
            "dilation": span(d for spec in specs for d in spec.dilations),
            "kernel": span(k for spec in specs for k in spec.kernel),
            "input": span(n for spec in specs for n in spec.sizes),
            "groups": span(spec.groups for spec in specs),
        }


def _symbols(name: str, shape: tuple[int, ...]) -> Tensor:
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        out[index] = sp.Symbol(f"{name}_{'_'.join(map(str, index))}")
    return out


def _same(a: object, b: object) -> bool:
    return bool(sp.expand(sp.sympify(a) - sp.sympify(b)) == 0)


def _compare(what: str, truth: Tensor, got: Tensor, spec: ConvSpec) -> tuple[int, list[str]]:
    if truth.shape != got.shape:
        return 0, [f"{what} on {spec.describe()}: shape {got.shape}, the truth's is {truth.shape}"]
    bad = [index for index in np.ndindex(*truth.shape) if not _same(truth[index], got[index])]
    if bad:
        first = bad[0]
        return truth.size, [
            f"{what} on {spec.describe()}: {len(bad)} of {truth.size} entries differ, "
            f"first at {first}: {got[first]} instead of {truth[first]}"
        ]
    return truth.size, []


def _ranges(
    ranges: Iterable[tuple[sp.Symbol, sp.Expr, sp.Expr]], values: dict[sp.Symbol, sp.Integer]
) -> list[tuple[sp.Symbol, int, int]]:
    def number(e: sp.Expr) -> int:
        return int(sp.sympify(e).xreplace(values))

    return [(sym, number(lo), number(hi)) for sym, lo, hi in ranges]


def _jacobian(y: Tensor, wrt: Tensor) -> Tensor:
    """``∂y[a]/∂wrt[b]`` for every pair, indices ``(*a, *b)``."""
    out = np.empty(y.shape + wrt.shape, dtype=object)
    for a in np.ndindex(*y.shape):
        terms = sp.Add.make_args(sp.expand(y[a]))
        for b in np.ndindex(*wrt.shape):
            v = wrt[b]
            out[(*a, *b)] = sp.Add(*[partial(t, v) for t in terms if t.has(v)])
    return out


def check_chain(chain: ds.Chain, form: ix.Form, spec: ConvSpec) -> tuple[int, int, list[str]]:
    """Check one chain on one spec: (equalities checked, entries compared, failures)."""
    values = ds.values(form, spec)
    x = _symbols("x", (spec.in_channels, *spec.sizes))
    w = _symbols("w", (spec.out_channels, spec.group_in, *spec.kernel))
    b = _symbols("b", (spec.out_channels,))
    delta = _symbols("delta", (spec.out_channels, *spec.output_size))
    arrays: dict[sp.IndexedBase, Tensor] = {ix.X: x, ix.W: w, ix.DELTA: delta}
    if form.bias:
        arrays[ix.B] = b
    y = ix.forward(form.dims, form.grouped, form.bias, form.asymmetric).instance(
        spec, x=x, w=w, b=b if form.bias else None
    )
    bound = {ds.tensor_symbols()[k]: v for k, v in (("x", x), ("W", w), ("delta", delta))}
    if form.bias:
        from symconv.algebra.operators import B

        bound[B] = b
    amounts = cfs.amounts(spec)
    if chain.quantity == "forward":
        truth = y
    else:
        of = {"grad_input": x, "grad_weight": w, "grad_bias": b}[chain.quantity]
        (truth,) = gradients(y, delta, [of])
        assert chain.jacobian is not None
        arrays[chain.jacobian] = _jacobian(y, of)

    checked, compared = 0, 0
    failures: list[str] = []
    for tensor in chain.tensors:
        ranges = _ranges(tensor.ranges, values)
        mine = entries(tensor.entry.xreplace(values), ranges, arrays)
        theirs = ev.evaluate(tensor.operator, spec, bound, amounts).data
        n, bad = _compare(f"{chain.quantity}: {tensor.base} from its index definition", theirs, mine, spec)
        arrays[tensor.base] = mine
        checked, compared, failures = checked + 1, compared + n, failures + bad
    lhs_ranges = _ranges(chain.indices, values)
    for number, step in enumerate(chain.steps, start=1):
        what = f"{chain.quantity}: step {number} ({step.move})"
        try:
            got = entries(step.rhs.xreplace(values), lhs_ranges, arrays)
        except ValueError as error:  # a read outside a tensor: the step is wrong
            checked, failures = checked + 1, [*failures, f"{what} on {spec.describe()}: {error}"]
            continue
        n, bad = _compare(what, truth, got, spec)
        checked, compared, failures = checked + 1, compared + n, failures + bad
    closed = ev.evaluate(chain.closed, spec, bound, amounts).data
    n, bad = _compare(f"{chain.quantity}: the closed form", truth, closed, spec)
    return checked + 1, compared + n, failures + bad


UNROLLED_CHECKS = 3
"""Equalities :func:`check_unrolled` checks per instance: Ŷ = X̂K̂, ∂J/∂K̂ = X̂ᵀδ̂, ∂J/∂X = col2im(δ̂K̂ᵀ)."""


def check_unrolled(form: ix.Form, spec: ConvSpec) -> tuple[int, int, list[str]]:
    """The unrolled view on one spec: the product and both gradients by the transposes, against the truth.

    ``Ŷ = X̂ K̂`` against the definition less the bias; ``X̂ᵀ δ̂``, read in
    K̂'s group blocks, against ∂J/∂W; ``col2im(δ̂ K̂ᵀ)`` against ∂J/∂X — both
    gradients by differentiation.
    """
    x = _symbols("x", (spec.in_channels, *spec.sizes))
    w = _symbols("w", (spec.out_channels, spec.group_in, *spec.kernel))
    delta = _symbols("delta", (spec.out_channels, *spec.output_size))
    y = ix.forward(form.dims, form.grouped, False, form.asymmetric).instance(spec, x=x, w=w, b=None)
    grad_x, grad_w = gradients(y, delta, [x, w])
    product = unrolled.matmul(unrolled.im2col(spec, x), unrolled.kernel_matrix(spec, w))
    pairs = [
        ("the unrolled product X^ K^", y, unrolled.roll_output(product, spec)),
        ("the weight gradient X^T d^", grad_w, unrolled.weight_gradient(spec, x, delta)),
        ("the input gradient col2im(d^ K^T)", grad_x, unrolled.input_gradient(spec, delta, w)),
    ]
    compared, failures = 0, list[str]()
    for what, truth, got in pairs:
        n, bad = _compare(what, truth, got, spec)
        compared, failures = compared + n, failures + bad
    return len(pairs), compared, failures


# -- the sweep ------------------------------------------------------------------------------------------


def _valid(**fields: object) -> ConvSpec | None:
    try:
        spec = ConvSpec(**fields)  # type: ignore[arg-type]
        _ = spec.output_size
    except SpecError:
        return None
    return spec


def sweep(form: ix.Form) -> tuple[ConvSpec, ...]:
    """Small instances of ``form`` in its number of dimensions (groups, bias and padding kind as the form).

    In 1-D every kernel 1–3, stride 1–3, padding 0–2 and dilation 1–2 (inputs
    of 5 and 6, so some leave positions unused and some not); in 2-D and 3-D
    the amounts mixed per dimension. A form with asymmetric padding takes
    ``padding="same"`` with even spans (stride 1, as ``same`` needs). Grouped
    forms cycle through 2 groups of 4 → 2 and 2 → 4 channels and a depthwise
    2 → 2; ungrouped ones take 2 → 3 channels.
    """
    channels = [(4, 2, 2), (2, 4, 2), (2, 2, 2)] if form.grouped else [(2, 3, 1)]
    rows: list[tuple[Any, ...]] = []  # input, kernel, stride, padding, dilation
    if form.asymmetric:
        same: dict[int, list[tuple[Any, ...]]] = {
            1: [(5, 2, 1), (6, 4, 1), (5, 2, 3)], 2: [((5, 4), (2, 3), 1)], 3: [((3, 3, 4), (2, 1, 2), 1)],
        }
        rows = [(n, k, 1, "same", d) for n, k, d in same[form.dims]]
    elif form.dims == 1:
        amounts = itertools.product((1, 2, 3), (1, 2, 3), (0, 1, 2), (1, 2))
        rows = [(5 + i % 2, k, s, p, d) for i, (k, s, p, d) in enumerate(amounts) if k > 1 or d == 1]
    elif form.dims == 2:
        rows = [((5, 4), (2, 3), (1, 2), (0, 1), (1, 2)), ((5, 4), (3, 2), (2, 1), (1, 0), (2, 1)),
                ((5, 4), (3, 3), (3, 2), (2, 1), (1, 1))]
    else:
        rows = [((3, 3, 4), (2, 1, 2), (1, 2, 1), (1, 0, 0), (1, 1, 2))]
    specs = []
    for number, (n, k, s, p, d) in enumerate(rows):
        c_in, c_out, groups = channels[number % len(channels)]
        spec = _valid(input_size=n, kernel_size=k, stride=s, padding=p, dilation=d, in_channels=c_in,
                      out_channels=c_out, groups=groups, bias=form.bias, dims=form.dims)
        if spec is not None:
            specs.append(spec)
    return tuple(specs)


@functools.cache
def check(form: ix.Form) -> StepsCheck:
    """Every chain of ``form``'s kind, built for 1, 2 and 3 dimensions, checked on their :func:`sweep`."""
    instances: list[ConvSpec] = []
    steps = compared = 0
    failures: list[str] = []
    for dims in (1, 2, 3):
        general = ix.Form(dims, form.grouped, form.bias, form.asymmetric)
        chains = ds.chains(general)
        for spec in sweep(general):
            instances.append(spec)
            per_spec = 0
            outcomes = [check_chain(chain, general, spec) for chain in chains.values()]
            outcomes.append(check_unrolled(general, spec))
            for n, entries_compared, bad in outcomes:
                per_spec += n
                compared += entries_compared
                failures += bad
            steps = max(steps, per_spec)
    return StepsCheck(tuple(instances), steps, compared, tuple(failures))
