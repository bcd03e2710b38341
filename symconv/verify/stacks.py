"""Stacks of layers (``--layers``): one scalar quantity per stack, its variables numbered by layer.

Layer ``i`` has a kernel ``k_i``, stride ``s_i``, dilation ``d_i`` (``r_i``),
padding ``p_i`` and output channels ``c_i``; the stack reads ``n`` inputs of
``c_in`` (``c_0``) channels. Each quantity reads the variables it needs:

- ``receptive-field``, ``jump`` (cumulative stride) and ``start`` (where the
  first output's receptive field starts) follow one output back through every
  layer's index map;
- the costs (``params``, ``macs``, ``grad-input-macs``, ``grad-weight-macs``,
  ``backward-macs``, ``activations``) add up the single layer's truth over the
  layers, each layer reading the size and channels the one before produced
  (sizes counted as kernel placements).

Given the layers, every per-layer variable is fixed; given only their number,
each ranges over a small domain (:data:`FREE_LAYER`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from symconv.errors import ClaimError
from symconv.verify.quantities import (
    OUTPUT_SIZE,
    SCALARS,
    SPAN_TEXT,
    Context,
    Piece,
    ScalarQuantity,
    Truth,
    _span_large,
    dependence_span,
    jump,
    placements,
    start,
)


class Layer(NamedTuple):
    """One layer of a stack; ``c`` (output channels) only the costs need."""

    k: int
    s: int = 1
    d: int = 1
    p: int = 0
    c: int | None = None


FIELDS = ("k", "s", "d", "p", "c")

LONG_STACK = 8
"""A stack of more layers has its correct formula written with Σ and Π, not expanded term by term."""

MAX_FREE_LAYERS = LONG_STACK
"""The most layers a stack with free per-layer variables has (its domain grows as a power of L)."""

FREE_LAYER = {"k": (1, 3), "s": (1, 3), "d": (1, 2), "p": (0, 2), "c": (1, 2)}
"""The ranges of each free layer's variables."""

COST_FREE_LAYER = {**FREE_LAYER, "s": (1, 2), "p": (0, 1)}
"""The costs' free layers: fewer strides and paddings, as every layer adds five variables."""

COSTS = ("params", "macs", "grad-input-macs", "grad-weight-macs", "backward-macs", "activations")


@dataclass(frozen=True)
class StackKind:
    """What a stack quantity reads per layer and for the whole stack."""

    per_layer: tuple[str, ...]
    whole: tuple[str, ...]  # besides L


KINDS = {
    "receptive-field": StackKind(("k", "s", "d"), ()),
    "jump": StackKind(("s",), ()),
    "start": StackKind(("s", "p"), ()),
    "params": StackKind(("k", "c"), ("c_in",)),
    **{name: StackKind(FIELDS, ("n", "c_in")) for name in COSTS[1:-1]},
    "activations": StackKind(("k", "s", "d", "p", "c"), ("N", "n")),
}


def layer_stack(layers: Sequence[Layer] | int, name: str = "receptive-field") -> ScalarQuantity:
    """``name`` for one stack: variables L, the per-layer ones numbered from 1 and the stack's own —
    fixed by the layers given, or free over :data:`FREE_LAYER`'s ranges when only their number is."""
    kind = KINDS[name]
    count = layers if isinstance(layers, int) else len(layers)
    numbered = [f"{v}_{i}" for i in range(1, count + 1) for v in kind.per_layer]
    free = COST_FREE_LAYER if name in COSTS else FREE_LAYER
    ranges: dict[str, tuple[int, int]] = {v: SCALARS[name].ranges.get(v, (1, 4)) for v in kind.whole}
    if isinstance(layers, int):
        ranges.update({f"{v}_{i}": free[v] for i in range(1, count + 1) for v in kind.per_layer})
    if name in COSTS and isinstance(layers, int):
        small = {"n": (1, 16), "c_in": (1, 2), "N": (1, 2)}
        ranges.update({v: r for v, r in small.items() if v in kind.whole})
    base = SCALARS[name]

    def stack_of(env: Mapping[str, int]) -> list[Layer]:
        return [Layer(*(env.get(f"{v}_{i}", 1 if v != "p" else 0) for v in FIELDS))
                for i in range(1, count + 1)]

    truth = _truth(name, stack_of)
    reference, latex, provable = _reference(name, count)
    large = None
    if name == "receptive-field":
        def large(env: Mapping[str, int], ctx: Context) -> bool:
            return _span_large(tuple((layer.k, layer.s, layer.d) for layer in stack_of(env)))
    return ScalarQuantity(
        name, f"{base.summary}, for the given stack of {count} layers",
        ("L", *kind.whole, *numbered), ranges,
        truth,
        lambda ctx: (Piece(reference(ctx)),),
        base.truth_text + (", layer by layer (sizes counted as kernel placements)" if name in COSTS else ""),
        "every layer's kernel fits its padded input" if name in COSTS[1:] else "all",
        aliases={"c_0": "c_in", **{f"r_{i}": f"d_{i}" for i in range(1, count + 1)}},
        correct_latex=latex,
        large=large,
        large_text=SPAN_TEXT if name == "receptive-field" else "",
        provable=provable,
    )


def _truth(name: str, stack_of: Callable[[Mapping[str, int]], list[Layer]]) -> Callable[..., Truth | None]:
    if name == "receptive-field":
        return lambda env, ctx: dependence_span(tuple((layer.k, layer.s, layer.d) for layer in stack_of(env)))
    if name in ("jump", "start"):
        def walk(env: Mapping[str, int], ctx: Context) -> Truth | None:
            maps = [(layer.k, layer.s, layer.d, layer.p) for layer in stack_of(env)]
            return start(maps) if name == "start" else jump(maps)
        return walk
    single = SCALARS[name].truth

    def total(env: Mapping[str, int], ctx: Context) -> Truth | None:
        size, channels, sum_ = env.get("n", 1), env.get("c_in", 1), 0
        for layer in stack_of(env):
            assert layer.c is not None
            point = {"n": size, "k": layer.k, "s": layer.s, "p": layer.p, "d": layer.d, "c_in": channels,
                     "c_out": layer.c, "g": 1, "N": env.get("N", 1)}
            value = single(point, ctx)
            if value is None:
                return None
            assert isinstance(value, int)
            sum_ += value
            size, channels = placements(size, layer.k, layer.s, layer.p, layer.d), layer.c
        return sum_
    return total


_LAYER_NAMES = re.compile(r"\b(n|k|s|p|d|c_in|c_out|g)\b")


def _reference(name: str, count: int) -> tuple[Callable[[Context], str], str, bool]:
    """The stack's reference formula (parseable while the stack is short), its LaTeX for a long one, and
    whether it can be used in a proof."""
    if name == "receptive-field":
        if count > LONG_STACK:
            return (lambda ctx: f"1 + sum over i = 1…{count} of d_i*(k_i - 1)*s_1*…*s_(i-1)",
                    rf"1 + \sum_{{i=1}}^{{{count}}} d_i (k_i - 1) \prod_{{j=1}}^{{i-1}} s_j", False)
        terms = [f"d_{i}*(k_{i} - 1)" + "".join(f"*s_{j}" for j in range(1, i)) for i in range(1, count + 1)]
        return lambda ctx: "1 + " + " + ".join(terms), "", True
    if name == "jump":
        if count > LONG_STACK:
            return lambda ctx: f"s_1*s_2*…*s_{count}", rf"\prod_{{i=1}}^{{{count}}} s_i", False
        return lambda ctx: "*".join(f"s_{i}" for i in range(1, count + 1)), "", True
    if name == "start":
        if count > LONG_STACK:
            return (lambda ctx: f"-(sum over i = 1…{count} of p_i*s_1*…*s_(i-1))",
                    rf"-\sum_{{i=1}}^{{{count}}} p_i \prod_{{j=1}}^{{i-1}} s_j", False)
        terms = [f"p_{i}" + "".join(f"*s_{j}" for j in range(1, i)) for i in range(1, count + 1)]
        return lambda ctx: "-(" + " + ".join(terms) + ")", "", True
    single = SCALARS[name].reference
    if count > LONG_STACK:
        def general(ctx: Context) -> str:
            term = _layer_term(single(ctx)[0].formula, "i", "o_(i-1)", "c_(i-1)")
            sizes = f", o_0 = n, o_i = {_size('i', 'o_(i-1)')}" if "o_(i-1)" in term else ""
            return f"sum over i = 1…{count} of {term}, c_0 = c_in{sizes}"
        return general, "", False

    def expanded(ctx: Context) -> str:
        formula = single(ctx)[0].formula
        size, channels, terms = "n", "c_in", []
        for i in range(1, count + 1):
            terms.append(_layer_term(formula, str(i), size, channels))
            size, channels = _size(str(i), size), f"c_{i}"
        return " + ".join(terms)
    return expanded, "", True


def _size(i: str, size: str) -> str:
    """Layer i's output size from ``size`` inputs, in layer i's variables."""
    def name(m: re.Match[str]) -> str:
        return size if m.group() == "n" else f"{m.group()}_{i}"
    return "(" + _LAYER_NAMES.sub(name, OUTPUT_SIZE) + ")"


def _layer_term(formula: str, i: str, size: str, channels: str) -> str:
    """A single layer's formula in layer i's variables: n its input size, c_in the channels before."""
    names = {"n": size, "c_in": channels, "c_out": f"c_{i}"}
    formula = formula.replace("(c_in/g)", "c_in")  # one group per layer
    return "(" + _LAYER_NAMES.sub(lambda m: names.get(m.group(), f"{m.group()}_{i}"), formula) + ")"


def layer_values(layers: Sequence[Layer] | int, name: str = "receptive-field") -> dict[str, int]:
    """The values ``layer_stack``'s variables take for ``layers`` (only L for a free stack)."""
    if isinstance(layers, int):
        return {"L": layers}
    kind = KINDS[name]
    values = {"L": len(layers)}
    for i, layer in enumerate(layers, start=1):
        for v in kind.per_layer:
            value = getattr(layer, v)
            if value is None:
                raise ClaimError(f"layer {i} gives no output channels, which {name} needs: write "
                                 "k,s,d,p,c per layer (e.g. 3,1,1,1,16) or k=3,c=16")
            values[f"{v}_{i}"] = value
    return values
