"""The scalar quantities: their variables, bounded domains, and the truth from the derivation machinery.

The truth is never a copy of the formula under test. It is *counted* from what
symconv derives: kernel placements along the padded input (walked with the
forward pass's own index map), the input entries one output's expression
depends on (read off the symbols of the forward pass, layer by layer), the
symbols of W and b, the non-zero entries of K̂ and the columns of X̂. The
reference formulas are the textbook ones (Dumoulin & Visin's guide, PyTorch's
documentation); they are shown as the correct formula and used for symbolic
proofs, and the test-suite checks each of them against the truth.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import sympy as sp

from symconv import sizes as algebra
from symconv.spec import ConvSpec
from symconv.symbolic import Derivation, derive
from symconv.symbolic.forward import forward
from symconv.symbolic.tensors import entries, symbol_tensor

Truth = int | tuple[int, ...]

# Every scalar variable: what it means and its smallest meaningful value.
VARIABLES: dict[str, tuple[str, int]] = {
    "n": ("input size", 1),
    "k": ("kernel size", 1),
    "s": ("stride", 1),
    "p": ("padding", 0),
    "d": ("dilation", 1),
    "c_in": ("input channels", 1),
    "c_out": ("output channels", 1),
    "g": ("groups", 1),
    "a": ("output padding", 0),
    "L": ("number of layers", 1),
}
ALIASES = {"r": "d"}  # the note's dilation rate


@dataclass(frozen=True)
class Context:
    """What is fixed about a check besides variables: spatial dimensions and bias."""

    dims: int = 2
    bias: bool = True


@dataclass(frozen=True)
class Piece:
    """A reference formula valid where ``var`` equals ``equals`` or is at least ``at_least``."""

    formula: str
    var: str | None = None
    equals: int | None = None
    at_least: int | None = None

    def applies(self, value: int | None) -> bool:
        if self.var is None or value is None:
            return True
        if self.equals is not None:
            return value == self.equals
        assert self.at_least is not None
        return value >= self.at_least

    @property
    def condition(self) -> str:
        if self.var is None:
            return ""
        return f"{self.var} = {self.equals}" if self.equals is not None else f"{self.var} ≥ {self.at_least}"


@dataclass(frozen=True)
class ScalarQuantity:
    """A scalar quantity: variables, default ranges, the truth, and the reference formula."""

    name: str
    summary: str
    variables: tuple[str, ...]
    ranges: Mapping[str, tuple[int, int]]  # the bounded domain of each free variable
    truth: Callable[[Mapping[str, int], Context], Truth | None]  # None: no such convolution
    reference: Callable[[Context], tuple[Piece, ...]]
    truth_text: str  # how the truth is obtained, for reports
    validity: str  # which points count, for reports
    arity: int | None = None  # a shape: that many components
    aliases: Mapping[str, str] = field(default_factory=lambda: dict(ALIASES))
    correct_latex: str = ""  # the reference in LaTeX when it is too long to build with SymPy
    # a point too large to derive, and how its truth is obtained instead (said in the report)
    large: Callable[[Mapping[str, int], Context], bool] | None = None
    large_text: str = ""


# -- the truth, counted from the machinery -------------------------------------------------


@cache
def placements(n: int, k: int, s: int, p: int, d: int) -> int:
    """How many times a k-tap kernel (dilation d) fits along n inputs padded by p, stepping by s.

    Counted with the forward pass's index map: output position c fits while its last tap stays in
    the padded input, and that holds for every c up to the last that fits, so the count is found by
    bisection on c — exact at any size; 0 when not even one placement fits.
    """
    if min(n, k, s, d) < 1 or p < 0 or d * (k - 1) + 1 > n + 2 * p:
        return 0  # not even one placement (also no layer: a ConvSpec would refuse it)
    last_padded = n - 1 + p  # the last index of the padded input, in unpadded coordinates

    def fits(count: int) -> bool:  # output position count - 1 fits (the index map the spec uses)
        return int(algebra.input_index(count - 1, k - 1, s, d, p)) <= last_padded

    low, high = 0, n + 2 * p  # fits(low) (vacuously for 0); high + 1 placements never fit
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


SYMBOLIC_SPAN = 256
"""The longest input a dependence is read off symbolically; beyond, the index maps' intervals."""


@cache
def _layer_dependence(n_in: int, k: int, s: int, d: int) -> tuple[frozenset[int], ...]:
    """For each output of a 1-D convolution, the input positions its derived expression contains."""
    spec = ConvSpec(input_size=n_in, kernel_size=k, stride=s, dilation=d, dims=1, bias=False)
    x = symbol_tensor("x", (1, n_in), 1)
    w = symbol_tensor("k", (1, 1, k), 2)
    y = forward(spec, x, w, None)
    where = {x[0, i]: i for i in range(n_in)}
    return tuple(
        frozenset(where[v] for v in y[0, j].free_symbols if v in where) for j in range(y.shape[1])
    )


def _reach(layers: Sequence[tuple[int, int, int]]) -> tuple[int, int]:
    """The first and last input positions the first output of the stack reads: its first tap reads
    the smallest, its last the largest, layer by layer through the index map the spec uses."""
    first, last = 0, 0
    for k, s, d in reversed(layers):
        first = int(algebra.input_index(first, 0, s, d, 0))
        last = int(algebra.input_index(last, k - 1, s, d, 0))
    return first, last


@cache
def dependence_span(layers: tuple[tuple[int, int, int], ...]) -> int:
    """The span of input positions the first output of a stack of 1-D convolutions depends on.

    ``layers`` lists (k, s, d) from the input on; no padding, so the first output
    sees no border. A small stack is derived: the input is made just long enough
    for every layer to have an output, and the dependence is propagated back
    through the symbols of each layer's derived forward pass. A stack whose input
    would be longer than :data:`SYMBOLIC_SPAN` propagates the interval of
    positions back through each layer's index map instead (its first tap reads
    the smallest position, its last the largest), exact at any size.
    """
    first, last = _reach(layers)
    length = last + 1
    if length > SYMBOLIC_SPAN:
        return last - first + 1
    sizes = [length]
    for k, s, d in layers:
        layer = ConvSpec(input_size=sizes[-1], kernel_size=k, stride=s, dilation=d, dims=1)
        sizes.append(layer.output_size[0])
    reached = {0}
    for (k, s, d), n_in in reversed(list(zip(layers, sizes))):
        deps = _layer_dependence(n_in, k, s, d)
        reached = set().union(*(deps[j] for j in reached))
    return max(reached) - min(reached) + 1


SYMBOLIC_WEIGHTS = 4096
"""The most weights a layer is derived with to count parameters; beyond, the entries of its shapes."""


@cache
def _smallest(k: int, c_in: int, c_out: int, g: int, bias: bool, dims: int) -> Derivation:
    """The derivation of the smallest convolution with these channels and kernel (one output)."""
    return derive(ConvSpec(
        input_size=k, kernel_size=k, in_channels=c_in, out_channels=c_out, groups=g, bias=bias, dims=dims
    ))


def _derivable(env: Mapping[str, int], ctx: Context, c_out: int | None = None) -> bool:
    weights = (env["c_out"] if c_out is None else c_out) * (env["c_in"] // env["g"]) * env["k"] ** ctx.dims
    return bool(weights <= SYMBOLIC_WEIGHTS)


def _shape_entries(env: Mapping[str, int], ctx: Context) -> tuple[int, int]:
    """The entries of W and b as ConvSpec lays them out: (C_out, C_in/g, k…) and (C_out,)."""
    spec = ConvSpec(kernel_size=env["k"], in_channels=env["c_in"], out_channels=env["c_out"],
                    groups=env["g"], dims=ctx.dims)
    return spec.out_channels * spec.group_in * spec.taps, spec.out_channels


def _span_large(layers: Sequence[tuple[int, int, int]]) -> bool:
    """Whether :func:`dependence_span` reads this stack off the index maps (its input is too long)."""
    return _reach(layers)[1] + 1 > SYMBOLIC_SPAN


SPAN_TEXT = f"beyond {SYMBOLIC_SPAN} inputs, the interval the index maps' first and last taps reach"
LAYOUT_TEXT = f"beyond {SYMBOLIC_WEIGHTS} weights, the entries of W's layout C_out × C_in/g × k…"


def _groups_fit(env: Mapping[str, int]) -> bool:
    return env["c_in"] % env["g"] == 0 and env["c_out"] % env["g"] == 0


def _output_size(env: Mapping[str, int], ctx: Context) -> Truth | None:
    count = placements(env["n"], env["k"], env["s"], env["p"], env["d"])
    return count or None


def _effective_kernel(env: Mapping[str, int], ctx: Context) -> Truth | None:
    return dependence_span(((env["k"], 1, env["d"]),))


def _receptive_field(env: Mapping[str, int], ctx: Context) -> Truth | None:
    return dependence_span(((env["k"], env["s"], env["d"]),) * env["L"])


def _params(env: Mapping[str, int], ctx: Context) -> Truth | None:
    if not _groups_fit(env):
        return None
    if not _derivable(env, ctx):
        weights, biases = _shape_entries(env, ctx)
        return weights + (biases if ctx.bias else 0)
    d = _smallest(env["k"], env["c_in"], env["c_out"], env["g"], ctx.bias, ctx.dims)
    symbols = {v for e in entries(d.W) for v in e.free_symbols}
    if d.b is not None:
        symbols |= {v for e in entries(d.b) for v in e.free_symbols}
    return len(symbols)


def _macs(env: Mapping[str, int], ctx: Context) -> Truth | None:
    if not _groups_fit(env):
        return None
    positions: int = placements(env["n"], env["k"], env["s"], env["p"], env["d"]) ** ctx.dims
    if not positions:
        return None
    if not _derivable(env, ctx):
        return positions * _shape_entries(env, ctx)[0]
    k_hat = _smallest(env["k"], env["c_in"], env["c_out"], env["g"], False, ctx.dims).K_hat
    return positions * sum(1 for e in k_hat if e != 0)


def _shortest(n: int, k: int, s: int, d: int) -> int:
    """The shortest input with at least ``n`` placements (bisection: placements grow with the length)."""
    low, high = 1, 1
    while placements(high, k, s, 0, d) < n:
        low, high = high + 1, 2 * high
    while low < high:
        middle = (low + high) // 2
        if placements(middle, k, s, 0, d) >= n:
            high = middle
        else:
            low = middle + 1
    return low


def _transposed_output_size(env: Mapping[str, int], ctx: Context) -> Truth | None:
    """The output size of the transposed convolution of ``n`` inputs, as PyTorch defines it.

    Counted on the padded length: the shortest input with ``n`` placements (bisection on the index
    map) is the span the ``n`` inputs' kernels scatter over; ``a`` more positions are appended and
    the padding ``p`` is cut from both sides. For ``a < s`` that is the ``a``-th input size whose
    convolution has ``n`` outputs; PyTorch accepts ``a < max(s, d)`` and the size must be ≥ 1.
    """
    n, k, s, p, d, a = (env[v] for v in ("n", "k", "s", "p", "d", "a"))
    if a >= max(s, d):
        return None
    m = _shortest(n, k, s, d) + a - 2 * p
    return m if m >= 1 else None


def _im2col_shape(env: Mapping[str, int], ctx: Context) -> Truth | None:
    rows: int = placements(env["n"], env["k"], env["s"], env["p"], env["d"]) ** ctx.dims
    if not rows:
        return None
    if not _derivable({**env, "g": 1}, ctx, c_out=1):
        return (rows, ConvSpec(kernel_size=env["k"], in_channels=env["c_in"], dims=ctx.dims).taps
                * env["c_in"])
    columns = _smallest(env["k"], env["c_in"], 1, 1, False, ctx.dims).X_hat.shape[1]
    return (rows, columns)


# -- the reference formulas ---------------------------------------------------------------------

OUTPUT_SIZE = "floor((n + 2*p - d*(k - 1) - 1)/s) + 1"


def _power(name: str, dims: int) -> str:
    return name if dims == 1 else f"{name}^{dims}"


def _output_power(dims: int) -> str:
    return f"({OUTPUT_SIZE})" if dims == 1 else f"({OUTPUT_SIZE})^{dims}"


SCALARS: dict[str, ScalarQuantity] = {}


def _add(q: ScalarQuantity) -> None:
    SCALARS[q.name] = q


_add(ScalarQuantity(
    "output-size", "output entries per dimension of a convolution",
    ("n", "k", "s", "p", "d"),
    {"n": (1, 32), "k": (1, 4), "s": (1, 3), "p": (0, 2), "d": (1, 3)},
    _output_size,
    lambda ctx: (Piece(OUTPUT_SIZE),),
    "kernel placements counted along the padded input",
    "the kernel fits the padded input at least once",
))
_add(ScalarQuantity(
    "effective-kernel", "span of one dilated kernel (its receptive field in one layer)",
    ("k", "d"),
    {"k": (1, 6), "d": (1, 5)},
    _effective_kernel,
    lambda ctx: (Piece("k + (k - 1)*(d - 1)"),),
    "the span of the input entries in one derived output (stride 1)",
    "all",
    large=lambda env, ctx: _span_large(((env["k"], 1, env["d"]),)),
    large_text=SPAN_TEXT,
))
_add(ScalarQuantity(
    "receptive-field", "span of the input one output of a stack of L equal layers depends on",
    ("L", "k", "s", "d"),
    {"L": (1, 4), "k": (1, 4), "s": (1, 3), "d": (1, 3)},
    _receptive_field,
    lambda ctx: (
        Piece("1 + L*d*(k - 1)", "s", equals=1),
        Piece("1 + d*(k - 1)*(s^L - 1)/(s - 1)", "s", at_least=2),
    ),
    "the span of the input entries the first output of the derived layers depends on",
    "all",
    large=lambda env, ctx: _span_large(((env["k"], env["s"], env["d"]),) * env["L"]),
    large_text=SPAN_TEXT,
))
_add(ScalarQuantity(
    "params", "learned parameters: weights and biases",
    ("k", "c_in", "c_out", "g"),
    {"k": (1, 4), "c_in": (1, 4), "c_out": (1, 4), "g": (1, 4)},
    _params,
    lambda ctx: (Piece(f"c_out*(c_in/g)*{_power('k', ctx.dims)}" + (" + c_out" if ctx.bias else "")),),
    "the symbols of the derived W and b, counted",
    "g divides c_in and c_out",
    large=lambda env, ctx: _groups_fit(env) and not _derivable(env, ctx),
    large_text=LAYOUT_TEXT,
))
_add(ScalarQuantity(
    "macs", "multiply-accumulates for one sample (the im2col product without the group zeros)",
    ("n", "k", "s", "p", "d", "c_in", "c_out", "g"),
    {"n": (1, 32), "k": (1, 3), "s": (1, 2), "p": (0, 1), "d": (1, 2), "c_in": (1, 4), "c_out": (1, 4),
     "g": (1, 4)},
    _macs,
    lambda ctx: (Piece(f"c_out*(c_in/g)*{_power('k', ctx.dims)}*{_output_power(ctx.dims)}"),),
    "rows of X̂ (kernel placements, counted) times the non-zero entries of the derived K̂",
    "g divides c_in and c_out, and the kernel fits the padded input",
    large=lambda env, ctx: _groups_fit(env) and not _derivable(env, ctx),
    large_text=LAYOUT_TEXT,
))
_add(ScalarQuantity(
    "transposed-output-size", "output size per dimension of a transposed convolution, as PyTorch",
    ("n", "k", "s", "p", "d", "a"),
    {"n": (1, 32), "k": (1, 4), "s": (1, 3), "p": (0, 2), "d": (1, 3), "a": (0, 2)},
    _transposed_output_size,
    lambda ctx: (Piece("(n - 1)*s - 2*p + d*(k - 1) + a + 1"),),
    "the span the n inputs' kernels scatter over (the shortest input with n placements, counted), "
    "plus a, less the padding",
    "the size is ≥ 1 and a < max(s, d) (PyTorch's rule)",
))
_add(ScalarQuantity(
    "im2col-shape", "shape of X̂: (output positions, C_in · kernel taps)",
    ("n", "k", "s", "p", "d", "c_in"),
    {"n": (1, 32), "k": (1, 3), "s": (1, 2), "p": (0, 1), "d": (1, 2), "c_in": (1, 4)},
    _im2col_shape,
    lambda ctx: (Piece(f"({_output_power(ctx.dims)}, c_in*{_power('k', ctx.dims)})"),),
    "rows: kernel placements, counted; columns: those of the derived X̂",
    "the kernel fits the padded input",
    arity=2,
    large=lambda env, ctx: not _derivable({**env, "g": 1}, ctx, c_out=1),
    large_text=f"beyond {SYMBOLIC_WEIGHTS} taps, C_in times the kernel's taps",
))


LONG_STACK = 8
"""A stack of more layers has its correct formula written with Σ and Π, not expanded term by term."""

MAX_FREE_LAYERS = LONG_STACK
"""The most layers a stack with free kernels, strides and dilations has (its domain grows as 18^L)."""

FREE_LAYER = {"k": (1, 3), "s": (1, 3), "d": (1, 2)}
"""The ranges of each free layer's kernel, stride and dilation."""


def layer_stack(layers: Sequence[tuple[int, int, int]] | int) -> ScalarQuantity:
    """receptive-field for one stack: variables L and k_i, s_i, d_i (r_i) — fixed by the layers given,
    or free over :data:`FREE_LAYER`'s ranges when only the number of layers is."""
    count = layers if isinstance(layers, int) else len(layers)
    ranges = {} if not isinstance(layers, int) else {
        f"{v}_{i}": FREE_LAYER[v] for i in range(1, count + 1) for v in ("k", "s", "d")}
    names = ["L"] + [f"{v}_{i}" for i in range(1, count + 1) for v in ("k", "s", "d")]
    terms = []
    for i in range(1, count + 1):
        strides = "*".join(f"s_{j}" for j in range(1, i))
        terms.append(f"d_{i}*(k_{i} - 1)" + (f"*{strides}" if strides else ""))

    def truth(env: Mapping[str, int], ctx: Context) -> Truth | None:
        return dependence_span(tuple((env[f"k_{i}"], env[f"s_{i}"], env[f"d_{i}"])
                                     for i in range(1, count + 1)))

    if count <= LONG_STACK:
        reference, latex = "1 + " + " + ".join(terms), ""
    else:  # the sum written out would be quadratic in the layers: its general form
        reference = f"1 + sum over i = 1…{count} of d_i*(k_i - 1)*s_1*…*s_(i-1)"
        latex = rf"1 + \sum_{{i=1}}^{{{count}}} d_i (k_i - 1) \prod_{{j=1}}^{{i-1}} s_j"
    return ScalarQuantity(
        "receptive-field", f"receptive field of the given stack of {count} layers",
        tuple(names), ranges,
        truth,
        lambda ctx: (Piece(reference),),
        SCALARS["receptive-field"].truth_text,
        "all",
        aliases={f"r_{i}": f"d_{i}" for i in range(1, count + 1)},
        correct_latex=latex,
        large=lambda env, ctx: _span_large(
            tuple((env[f"k_{i}"], env[f"s_{i}"], env[f"d_{i}"]) for i in range(1, count + 1))),
        large_text=SPAN_TEXT,
    )


def layer_values(layers: Sequence[tuple[int, int, int]] | int) -> dict[str, int]:
    """The values ``layer_stack``'s variables take for ``layers`` (only L for a free stack)."""
    if isinstance(layers, int):
        return {"L": layers}
    values = {"L": len(layers)}
    for i, (k, s, d) in enumerate(layers, start=1):
        values.update({f"k_{i}": k, f"s_{i}": s, f"d_{i}": d})
    return values


# -- domains --------------------------------------------------------------------------------------


def smallest(var: str) -> int:
    """A variable's smallest meaningful value (a stack's ``k_2`` is a ``k``)."""
    base = var.split("_")[0] if var[0] in "ksd" and var[2:].isdigit() else var
    return VARIABLES.get(base, ("", 1))[1]


def symbol(var: str) -> sp.Symbol:
    """The SymPy symbol of a variable, with what is known about it (integer, sign)."""
    if smallest(var) == 0:
        return sp.Symbol(var, integer=True, nonnegative=True)
    return sp.Symbol(var, integer=True, positive=True)


@dataclass(frozen=True)
class Points:
    """The points of a bounded domain, smallest first, each a full assignment of the variables."""

    free: tuple[tuple[str, tuple[int, int]], ...]  # variable, (low, high)
    fixed: Mapping[str, int]
    order: tuple[str, ...]  # the free variables in the order that breaks ties
    tied: Mapping[str, str]  # variable → the free variable it equals

    def __iter__(self) -> Iterator[dict[str, int]]:
        names = [v for v, _ in self.free]
        grids = [range(lo, hi + 1) for _, (lo, hi) in self.free]
        for combo in sorted(itertools.product(*grids), key=lambda c: (sum(c), c)):
            env = {**self.fixed, **dict(zip(names, combo))}
            yield {**env, **{v: env[t] for v, t in self.tied.items()}}


MAX_POINTS = 1_000_000
"""The most points of a domain a check visits (a wider --domain is refused before any work)."""


def points(
    q: ScalarQuantity, fixed: Mapping[str, int], tied: Mapping[str, str],
    ranges: Mapping[str, tuple[int, int]] | None = None,
) -> Points:
    """The bounded domain of ``q``: ``fixed`` variables pinned, ``tied`` ones equal to another,
    the others over ``ranges`` (the quantity's own by default)."""
    ranges = q.ranges if ranges is None else ranges
    pinned = dict(fixed)
    links = {}
    for v, target in tied.items():
        if v in q.variables and target in q.variables and v not in fixed:
            if target in fixed:
                pinned[v] = fixed[target]
            else:
                links[v] = target
    free = tuple((v, ranges[v]) for v in q.variables if v not in pinned and v not in links)
    return Points(free, pinned, tuple(v for v, _ in free), links)
