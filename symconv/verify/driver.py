"""``verify``: the driver — quantity → formula → setting → check → result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from symconv.errors import ClaimError
from symconv.spec import ConvSpec
from symconv.verify.checking import Progress, check_scalar
from symconv.verify.constraints import Where, parse_where
from symconv.verify.domains import MAX_POINTS, smallest
from symconv.verify.expressions import ScalarFormula, scalar_formula
from symconv.verify.options import Setting, quantity_name, setting_from_api, setting_from_options
from symconv.verify.parsing import parse
from symconv.verify.quantities import SCALARS, VARIABLES, Context, ScalarQuantity
from symconv.verify.result import ScalarCounterexample, VerifyResult
from symconv.verify.stacks import layer_stack, layer_values
from symconv.verify.tensors import TENSOR_QUANTITIES, check_tensor


def verify(
    quantity: str,
    formula: str,
    spec: ConvSpec | None = None,
    *,
    layers: str | Sequence[Any] | None = None,
    dims: int | None = None,
    bias: bool | None = None,
    domain: str | Mapping[str, Any] | None = None,
    where: str | Sequence[str] | None = None,
    **fixed: int,
) -> VerifyResult:
    """Check a hand-written ``formula`` for ``quantity`` against what symconv derives.

    Scalar quantities (sizes: ``output-size``, ``asymmetric-output-size``,
    ``same-padding``, ``same-output-size``, ``effective-kernel``, ``im2col-shape``;
    stacks: ``receptive-field``, ``jump``, ``start``; costs: ``params``, ``macs``,
    ``grad-input-macs``, ``grad-weight-macs``, ``backward-macs``, ``activations``;
    transposed: ``transposed-output-size``, ``transposed-zeros``,
    ``transposed-padding``, ``transposed-output-padding``, ``transposed-params``,
    ``transposed-macs``) take a formula in the variables ``n, k, s, p, d`` (``r`` =
    ``d``), ``c_in, c_out, g, a, N, p_before, p_after`` (and ``L``, the number of
    layers; ``layers=`` numbers them per layer), in SymPy or LaTeX syntax. ``spec`` and
    the keyword values (``d=1``) fix variables; the others range over a bounded
    domain (``domain="n=1..64,s=1..4"`` or ``{"n": (1, 64)}`` sets their ranges);
    ``where="k odd, p = floor(k/2)"`` constrains them (a lone variable on one side
    of an equation is computed from the other side).
    Tensor quantities (``forward``, ``grad-input``, ``grad-weight``, ``grad-bias``)
    take an operator formula (``conv(pad(delta, k-1), rot180(W))``),
    checked exactly for ``spec`` (its open input size swept), for a spec built from
    the keyword values, or on a sweep of small specs when neither is given.

    Raises FormulaError (with the position) for a formula that cannot be read,
    ClaimError for an unknown quantity or bad fixed values.

    Example:
        >>> result = verify("effective-kernel", "k+(r-1)*(k+1)")
        >>> result.holds, str(result.counterexample)
        (False, 'k = 1, r = 2: claimed 3, true 1')
        >>> result.correct_formula
        'k + (k - 1)*(r - 1)'
        >>> verify("output-size", r"\\left\\lfloor \\frac{n+2p-k}{s} \\right\\rfloor + 1", d=1).method
        'symbolic'
        >>> spec = ConvSpec(input_size=3, kernel_size=2)
        >>> verify("grad-input", "conv(pad(delta, k-1), rot180(W))", spec).holds
        True
    """
    name = quantity_name(quantity)
    parsed = parse(formula)
    setting = setting_from_api(name, spec, fixed, layers, dims, bias, domain, where)
    return _check(name, parsed, setting)


def verify_options(
    quantity: str, formula: str, options: Mapping[str, Any], style: str = "cli",
    progress: Progress | None = None,
) -> VerifyResult:
    """``verify`` with the fixed values given as SPEC options, as on the command line.

    ``options`` maps option names without dashes (``kernel``, ``in-channels``,
    ``layers``, ``output-padding``, …) to the values the user gave; ``style``
    (``cli`` or ``toml``) words the error messages; ``progress(done, total)`` hears how far a long
    check over a domain has got.
    """
    name = quantity_name(quantity)
    parsed = parse(formula)
    setting = setting_from_options(name, options, style)
    return _check(name, parsed, setting, progress)


def _check(name: str, parsed: Any, setting: Setting, progress: Progress | None = None) -> VerifyResult:
    if name in TENSOR_QUANTITIES:
        return check_tensor(name, parsed, setting.specs)
    if setting.layers is not None:
        q = layer_stack(setting.layers, name)
        values = layer_values(setting.layers, name)
    else:
        q = SCALARS[name]
        values = {}
    formula = scalar_formula(parsed, q.name, q.variables, q.aliases, q.arity)
    notes = []
    fixed: dict[str, int | tuple[int, ...]] = dict(values)
    if "a" in setting.fixed and "a" not in q.variables:  # verify's own option: no spec carries it along
        raise ClaimError(f"{setting.named.get('a', 'a')} is for transposed-output-size; {name} has no "
                         "output padding: drop it")
    given = dict(setting.fixed)
    if "p_before" in given and "p_before" not in q.variables and "p" in q.variables:
        raise ClaimError(f"the spec pads {given['p_before']} before and {given.get('p_after', 0)} after, but "
                         f"{name}'s p pads both sides alike: use asymmetric-output-size")
    if "p" in given and "p" not in q.variables and "p_before" in q.variables:  # --padding pads both sides
        if "p_before" in given or "p_after" in given:
            raise ClaimError(f"{setting.named.get('p', 'p')} conflicts with p_before and p_after: give one")
        given["p_before"] = given["p_after"] = given.pop("p")
    layers_given = given.get("L")
    if setting.layers is None and isinstance(layers_given, int):
        _equal_layers(f"L = {layers_given}", layers_given)
    for var, value in given.items():
        if var in q.variables:
            fixed[var] = value
        else:
            what = VARIABLES[var][0]
            notes.append(f"{setting.named.get(var, var)} ({what}) is not a variable of {name}: ignored")
    by_dimension = {var: value for var, value in fixed.items() if isinstance(value, tuple)}
    if not by_dimension:
        return _check_point(q, formula, setting, {v: x for v, x in fixed.items() if isinstance(x, int)},
                            tuple(notes), progress)
    if not q.per_dimension:
        var, value = next(iter(by_dimension.items()))
        shown = "x".join(str(v) for v in value)
        raise ClaimError(f"{setting.named.get(var, var)} {shown} differs between dimensions, but {name} is "
                         "one number for the whole layer: give one number")
    counts = {len(value) for value in by_dimension.values()}
    if len(counts) > 1:
        raise ClaimError("the per-dimension values have different numbers of dimensions: "
                         + ", ".join(f"{setting.named.get(v, v)} {'x'.join(map(str, x))}"
                                     for v, x in by_dimension.items()))
    results = []
    for i in range(counts.pop()):
        point = {v: x[i] if isinstance(x, tuple) else x for v, x in fixed.items()}
        results.append(_check_point(q, formula, setting, point, tuple(notes), progress))
    return _by_dimension(results, by_dimension, formula.spelled)


def _check_point(
    q: ScalarQuantity, formula: ScalarFormula, setting: Setting, fixed: dict[str, int],
    notes: tuple[str, ...], progress: Progress | None = None,
) -> VerifyResult:
    ctx = Context(dims=2 if setting.dims is None else setting.dims,
                  bias=True if setting.bias is None else setting.bias)
    tied = {}
    if setting.depthwise:
        tied = {"g": "c_in"} if "c_out" in fixed else {"g": "c_in", "c_out": "c_in"}
    where = None
    if setting.where is not None:
        # a tied variable follows its partner: a constraint on it tests, never sets it
        pinned = {**fixed, **{v: 0 for v in tied if v not in fixed}}
        where = parse_where(setting.where, q.name, q.variables, q.aliases, pinned, setting.where_label)
        for var, value in (where.constants or {}).items():
            if value < smallest(var):
                raise ClaimError(f"{setting.where_label}: {var} = {value} is below {smallest(var)}, the "
                                 f"smallest {VARIABLES.get(var.split('_')[0], (var,))[0]}")
            if var == "L" and setting.layers is None:
                _equal_layers(f"{setting.where_label}: L = {value}", value)
        fixed.update(where.constants or {})
    ranges = _ranges(q, setting, fixed, where)
    return check_scalar(q, formula, fixed, ctx, tied, notes, ranges, where, progress)


def _by_dimension(
    results: list[VerifyResult], by_dimension: Mapping[str, tuple[int, ...]], spelled: Mapping[str, str]
) -> VerifyResult:
    """One verdict from each dimension's: the first refutation, or what every dimension's holding rests on."""
    count = len(results)
    values = "; ".join(
        f"{i + 1}: " + ", ".join(f"{spelled.get(v, v)} = {x[i]}" for v, x in by_dimension.items())
        for i in range(count))
    for i, result in enumerate(results):
        if not result.holds:
            c = result.counterexample
            assert isinstance(c, ScalarCounterexample)
            here = tuple((spelled.get(v, v), x[i]) for v, x in by_dimension.items())
            return replace(result, counterexample=replace(c, values=here + c.values),
                           more=tuple(replace(m, values=here + m.values) for m in result.more
                                      if isinstance(m, ScalarCounterexample)),
                           notes=(*result.notes, f"refuted in dimension {i + 1} of {count} "
                                                 f"(dimensions {values})"))
    methods = {r.method for r in results}
    method = "symbolic" if methods == {"symbolic"} else "exact" if methods == {"exact"} else "exhaustive"
    first = results[0]
    shown = {spelled.get(v, v): "x".join(map(str, x)) for v, x in by_dimension.items()}
    domain = replace(first.domain, points=sum(r.domain.points for r in results),
                     fixed=tuple((v, shown.get(v, x)) for v, x in first.domain.fixed))
    return replace(first, method=method, domain=domain,
                   proof=first.proof if method == "symbolic" else "",
                   notes=(*first.notes, f"each of the {count} dimensions checked on its own ({values})"))


MAX_EQUAL_LAYERS = 10_000
"""The most layers L a stack of equal layers has (each is followed through)."""


def _equal_layers(shown: str, layers: int) -> None:
    """Refuse more equal layers than a check follows through (``shown``: the value as the user gave it)."""
    if layers > MAX_EQUAL_LAYERS:
        raise ClaimError(f"{shown} is more than {MAX_EQUAL_LAYERS} layers, the most a stack of equal "
                         "layers is followed through")


def _ranges(
    q: ScalarQuantity, setting: Setting, fixed: Mapping[str, int], where: Where | None
) -> dict[str, tuple[int, int]]:
    """The free variables' ranges: the quantity's, or those the domain gives (checked here)."""
    label = setting.domain_label
    ranges = dict(q.ranges)
    set_by_where = {v: f for v, f in where.sets} if where is not None else {}
    for var, (low, high) in setting.ranges.items():
        if var in set_by_where:
            raise ClaimError(f"{label}: {var} is set by {setting.where_label} "
                             f"({where.text if where else ''}); leave it out of {label}")
        if var not in q.variables:
            raise ClaimError(f"{label}: {var} is not a variable of {q.name}; its variables are "
                             f"{', '.join(q.variables)}")
        if var in fixed:
            raise ClaimError(f"{label}: {var} is fixed to {fixed[var]} by the options, the layers or "
                             f"{setting.where_label}; leave it out of {label}")
        if var == "L":
            _equal_layers(f"{label}: L={low}..{high}", high)
        minimum = smallest(var)
        if low < minimum:
            raise ClaimError(f"{label}: {var}={low}..{high} starts below {minimum}, its smallest value")
        ranges[var] = (low, high)
    count = 1
    for var in q.variables:
        if var not in fixed and var in ranges and var not in set_by_where:
            low, high = ranges[var]
            count *= high - low + 1
    if count > MAX_POINTS:
        raise ClaimError(f"the domain of {q.name} has {count:,} points, more than {MAX_POINTS:,} a "
                         f"check visits: fix more variables, or narrow it with {label}")
    return ranges
