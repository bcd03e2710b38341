"""The scalar quantities: their variables, default ranges, truths and reference formulas.

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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache

from symconv import sizes as algebra
from symconv.spec import ConvSpec
from symconv.symbolic import Derivation, derive
from symconv.symbolic.forward import forward
from symconv.symbolic.tensors import entries, symbol_tensor
from symconv.verify.transposed import MAX_RUN, equivalent, run_size

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
    "p_before": ("padding before", 0),
    "p_after": ("padding after", 0),
    "N": ("batch size", 1),
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
    per_dimension: bool = False  # one value per spatial dimension (--input 7x9 checks each)
    provable: bool = True  # False: the reference is written for people (Σ, Π), not parsed for a proof


# -- the truth, counted from the machinery -------------------------------------------------


@cache
def placements(n: int, k: int, s: int, p: int, d: int, after: int | None = None) -> int:
    """How many times a k-tap kernel (dilation d) fits along n inputs padded by p (by p before and
    ``after`` after, when given), stepping by s.

    Counted with the forward pass's index map: output position c fits while its last tap stays in
    the padded input, and that holds for every c up to the last that fits, so the count is found by
    bisection on c — exact at any size; 0 when not even one placement fits.
    """
    after = p if after is None else after
    if min(n, k, s, d) < 1 or min(p, after) < 0 or d * (k - 1) + 1 > n + p + after:
        return 0  # not even one placement (also no layer: a ConvSpec would refuse it)
    last_padded = n - 1 + after  # the last index of the padded input, in unpadded coordinates

    def fits(count: int) -> bool:  # output position count - 1 fits (the index map the spec uses)
        return int(algebra.input_index(count - 1, k - 1, s, d, p)) <= last_padded

    low, high = 0, n + p + after  # fits(low) (vacuously for 0); high + 1 placements never fit
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


def through(layers: Sequence[tuple[int, int, int, int]], position: int, last_tap: bool = False) -> int:
    """The input position output ``position`` of the last layer reads through its first tap (or its
    last), layer by layer through the index map the spec uses (k, s, d, p per layer, from the input
    on)."""
    for k, s, d, p in reversed(layers):
        position = int(algebra.input_index(position, k - 1 if last_tap else 0, s, d, p))
    return position


def _reach(layers: Sequence[tuple[int, int, int]]) -> tuple[int, int]:
    """The first and last input positions the first output of the unpadded stack reads: its first tap
    reads the smallest, its last the largest."""
    maps = [(k, s, d, 0) for k, s, d in layers]
    return through(maps, 0), through(maps, 0, last_tap=True)


def jump(layers: Sequence[tuple[int, int, int, int]]) -> int:
    """The cumulative stride: how far apart neighbouring outputs' first taps read."""
    return through(layers, 1) - through(layers, 0)


def start(layers: Sequence[tuple[int, int, int, int]]) -> int:
    """Where the first output's receptive field starts (negative: in the padding)."""
    return through(layers, 0)


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


@cache
def _derived_symbols(k: int, c_in: int, c_out: int, g: int, bias: bool, dims: int) -> int:
    """The symbols of the derived W (and b) of the smallest such layer, counted once per layer shape."""
    d = _smallest(k, c_in, c_out, g, bias, dims)
    symbols = {v for e in entries(d.W) for v in e.free_symbols}
    if d.b is not None:
        symbols |= {v for e in entries(d.b) for v in e.free_symbols}
    return len(symbols)


@cache
def _derived_nonzeros(k: int, c_in: int, c_out: int, g: int, dims: int) -> int:
    """The non-zero entries of the derived K̂ of the smallest such layer, counted once per layer shape."""
    return sum(1 for e in _smallest(k, c_in, c_out, g, False, dims).K_hat if e != 0)


def _params(env: Mapping[str, int], ctx: Context) -> Truth | None:
    if not _groups_fit(env):
        return None
    if not _derivable(env, ctx):
        weights, biases = _shape_entries(env, ctx)
        return weights + (biases if ctx.bias else 0)
    return _derived_symbols(env["k"], env["c_in"], env["c_out"], env["g"], ctx.bias, ctx.dims)


def _macs(env: Mapping[str, int], ctx: Context) -> Truth | None:
    if not _groups_fit(env):
        return None
    positions: int = placements(env["n"], env["k"], env["s"], env["p"], env["d"]) ** ctx.dims
    if not positions:
        return None
    return positions * _nonzero_kernel(env, ctx)


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


def _asymmetric_output_size(env: Mapping[str, int], ctx: Context) -> Truth | None:
    count = placements(env["n"], env["k"], env["s"], env["p_before"], env["d"], env["p_after"])
    return count or None


@cache
def same_padding(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """The zeros ``same`` padding puts before and after n inputs: the fewest in all that give one
    output per s inputs (the positions 0, s, 2s, … below n, counted), found by bisection on the
    total with the placements counted; the odd one goes after, as TensorFlow and PyTorch both pad."""
    wanted = len(range(0, n, s))
    low, high = 0, d * (k - 1)  # the whole dilated kernel less one always suffices
    while low < high:
        middle = (low + high) // 2
        if placements(n + middle, k, s, 0, d) >= wanted:
            high = middle
        else:
            low = middle + 1
    return low // 2, low - low // 2


def _same_padding(env: Mapping[str, int], ctx: Context) -> Truth | None:
    return same_padding(env["n"], env["k"], env["s"], env["d"])


def _same_output_size(env: Mapping[str, int], ctx: Context) -> Truth | None:
    before, after = same_padding(env["n"], env["k"], env["s"], env["d"])
    return placements(env["n"], env["k"], env["s"], before, env["d"], after)


def _transposed_zeros(env: Mapping[str, int], ctx: Context) -> Truth | None:
    found = equivalent(env["k"], env["s"], env["p"], env["d"])
    return None if found is None else found[0]


def _transposed_padding(env: Mapping[str, int], ctx: Context) -> Truth | None:
    found = equivalent(env["k"], env["s"], env["p"], env["d"])
    return None if found is None else found[1]


def _run_too_large(env: Mapping[str, int]) -> bool:
    """Whether the equivalence is read off the index map rather than found by running both."""
    return run_size(env["k"], env["s"], env["p"], env["d"]) > MAX_RUN


RUN_TEXT = (f"beyond {MAX_RUN} products, read off the index map (inputs s apart; input 0's last tap at "
            "d(k − 1) − p)")


def _transposed_output_padding(env: Mapping[str, int], ctx: Context) -> Truth | None:
    """The guide's a: the output padding with which the transposed convolution of a convolution of n
    inputs gives n back — n less the transposed size without it (both counted)."""
    outputs = placements(env["n"], env["k"], env["s"], env["p"], env["d"])
    if not outputs:
        return None
    size = _shortest(outputs, env["k"], env["s"], env["d"]) - 2 * env["p"]
    return env["n"] - size


def _transposed_params(env: Mapping[str, int], ctx: Context) -> Truth | None:
    """A transposed convolution from c_in to c_out channels has the weights of the convolution from
    c_out to c_in channels whose input gradient it is, and a bias per output channel."""
    if not _groups_fit(env):
        return None
    swapped = {**env, "c_in": env["c_out"], "c_out": env["c_in"]}
    bare = replace(ctx, bias=False)
    weights, with_bias, without = _params(swapped, bare), _params(env, ctx), _params(env, bare)
    assert isinstance(weights, int) and isinstance(with_bias, int) and isinstance(without, int)
    return weights + with_bias - without  # the bias of a convolution with c_out outputs


def _transposed_macs(env: Mapping[str, int], ctx: Context) -> Truth | None:
    """Every input entry times every tap of its group: the rows of δ̂ (n per dimension) times the
    non-zero entries of K̂ of the convolution whose input gradient the transposed one is."""
    if not _groups_fit(env):
        return None
    swapped = {**env, "c_in": env["c_out"], "c_out": env["c_in"]}
    return int(env["n"] ** ctx.dims) * _nonzero_kernel(swapped, ctx)


def _nonzero_kernel(env: Mapping[str, int], ctx: Context) -> int:
    """The non-zero entries of the derived K̂ (beyond the derivable size: W's layout)."""
    if not _derivable(env, ctx):
        return _shape_entries(env, ctx)[0]
    return _derived_nonzeros(env["k"], env["c_in"], env["c_out"], env["g"], ctx.dims)


def _grad_input_macs(env: Mapping[str, int], ctx: Context) -> Truth | None:
    """∂J/∂X̂ = δ̂ K̂ᵀ: the rows of δ̂ (kernel placements, counted) times the non-zero entries of K̂ᵀ."""
    return _macs(env, ctx)


def _grad_weight_macs(env: Mapping[str, int], ctx: Context) -> Truth | None:
    """∂J/∂K̂ = X̂ᵀ δ̂ where K̂ has an entry: each non-zero entry of K̂ sums one product per row of X̂."""
    return _macs(env, ctx)


def _backward_macs(env: Mapping[str, int], ctx: Context) -> Truth | None:
    first, second = _grad_input_macs(env, ctx), _grad_weight_macs(env, ctx)
    if not isinstance(first, int) or not isinstance(second, int):
        return None
    return first + second


def _activations(env: Mapping[str, int], ctx: Context) -> Truth | None:
    positions: int = placements(env["n"], env["k"], env["s"], env["p"], env["d"]) ** ctx.dims
    return env["N"] * env["c_out"] * positions or None


def _jump(env: Mapping[str, int], ctx: Context) -> Truth | None:
    return jump(((1, env["s"], 1, 0),) * env["L"])


def _start(env: Mapping[str, int], ctx: Context) -> Truth | None:
    return start(((1, env["s"], 1, env["p"]),) * env["L"])


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
    per_dimension=True,
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
    per_dimension=True,
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
    per_dimension=True,
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
    per_dimension=True,
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

_add(ScalarQuantity(
    "asymmetric-output-size", "output entries per dimension with p_before zeros before and p_after after",
    ("n", "k", "s", "d", "p_before", "p_after"),
    {"n": (1, 32), "k": (1, 4), "s": (1, 3), "d": (1, 3), "p_before": (0, 2), "p_after": (0, 2)},
    _asymmetric_output_size,
    lambda ctx: (Piece("floor((n + p_before + p_after - d*(k - 1) - 1)/s) + 1"),),
    "kernel placements counted along the input padded by p_before and p_after",
    "the kernel fits the padded input at least once",
    per_dimension=True,
))
SAME_TOTAL = "max((ceil(n/s) - 1)*s + d*(k - 1) + 1 - n, 0)"
_add(ScalarQuantity(
    "same-padding", "zeros 'same' padding puts (before, after) per dimension, as TensorFlow and PyTorch",
    ("n", "k", "s", "d"),
    {"n": (1, 32), "k": (1, 5), "s": (1, 3), "d": (1, 3)},
    _same_padding,
    lambda ctx: (Piece(f"(floor({SAME_TOTAL}/2), {SAME_TOTAL} - floor({SAME_TOTAL}/2))"),),
    "the fewest zeros giving one output per s inputs (placements counted), the odd one after "
    "(PyTorch's padding='same' takes s = 1 only; TensorFlow's 'SAME' any s)",
    "all",
    arity=2,
    per_dimension=True,
))
_add(ScalarQuantity(
    "same-output-size", "output entries per dimension with 'same' padding (TensorFlow's ⌈n/s⌉)",
    ("n", "k", "s", "d"),
    {"n": (1, 32), "k": (1, 5), "s": (1, 3), "d": (1, 3)},
    _same_output_size,
    lambda ctx: (Piece("ceil(n/s)"),),
    "kernel placements counted along the input with the same-padding's zeros",
    "all",
    per_dimension=True,
))
_add(ScalarQuantity(
    "transposed-zeros", "zeros the transposed convolution's equivalent direct one inserts between inputs",
    ("k", "s", "p", "d"),
    {"k": (1, 4), "s": (1, 4), "p": (0, 3), "d": (1, 3)},
    _transposed_zeros,
    lambda ctx: (Piece("s - 1"),),
    "found by running both: the scatter by the index map against the direct convolution (stride 1, "
    "the kernel turned) of the zero-inserted, padded input, on numbers no two sums of products share",
    "p ≤ d(k − 1) (a larger p makes the equivalent crop, not pad)",
    per_dimension=True,
    large=lambda env, ctx: _run_too_large(env),
    large_text=RUN_TEXT,
))
_add(ScalarQuantity(
    "transposed-padding",
    "zeros the equivalent direct convolution pads before the zero-inserted input (and after, plus a)",
    ("k", "s", "p", "d"),
    {"k": (1, 4), "s": (1, 4), "p": (0, 3), "d": (1, 3)},
    _transposed_padding,
    lambda ctx: (Piece("d*(k - 1) - p"),),
    SCALARS["transposed-zeros"].truth_text,
    SCALARS["transposed-zeros"].validity,
    per_dimension=True,
    large=lambda env, ctx: _run_too_large(env),
    large_text=RUN_TEXT,
))
_add(ScalarQuantity(
    "transposed-output-padding",
    "the output padding a with which the transposed convolution gives the n inputs' size back",
    ("n", "k", "s", "p", "d"),
    {"n": (1, 32), "k": (1, 4), "s": (1, 3), "p": (0, 2), "d": (1, 3)},
    _transposed_output_padding,
    lambda ctx: (Piece("(n + 2*p - d*(k - 1) - 1) % s"),),
    "n less the transposed size of the convolution's output without output padding (both counted)",
    "the kernel fits the padded input at least once",
    per_dimension=True,
))
_add(ScalarQuantity(
    "transposed-params", "learned parameters of a transposed convolution from c_in to c_out channels",
    ("k", "c_in", "c_out", "g"),
    {"k": (1, 4), "c_in": (1, 4), "c_out": (1, 4), "g": (1, 4)},
    _transposed_params,
    lambda ctx: (Piece(f"c_in*(c_out/g)*{_power('k', ctx.dims)}" + (" + c_out" if ctx.bias else "")),),
    "the symbols of the derived W of the convolution from c_out to c_in channels (whose input gradient "
    "the transposed one is) and of the derived b of one with c_out outputs",
    "g divides c_in and c_out",
    large=lambda env, ctx: _groups_fit(env) and not _derivable(env, ctx),
    large_text=LAYOUT_TEXT,
))
_add(ScalarQuantity(
    "transposed-macs", "multiply-accumulates of a transposed convolution of n inputs per dimension",
    ("n", "k", "c_in", "c_out", "g"),
    {"n": (1, 16), "k": (1, 3), "c_in": (1, 4), "c_out": (1, 4), "g": (1, 4)},
    _transposed_macs,
    lambda ctx: (Piece(f"c_in*(c_out/g)*{_power('k', ctx.dims)}*{_power('n', ctx.dims)}"),),
    "rows of δ̂ (n per dimension) times the non-zero entries of the derived K̂ of the convolution whose "
    "input gradient the transposed one is (every input entry times every tap of its group)",
    "g divides c_in and c_out",
    large=lambda env, ctx: _groups_fit(env) and not _derivable(env, ctx),
    large_text=LAYOUT_TEXT,
))
for _name, _summary, _truth, _text in (
    ("grad-input-macs", "multiply-accumulates of ∂J/∂x for one sample (δ̂ K̂ᵀ, as the forward pass)",
     _grad_input_macs, "rows of δ̂ (kernel placements, counted) times the non-zero entries of the derived K̂ᵀ"),
    ("grad-weight-macs", "multiply-accumulates of ∂J/∂W for one sample (X̂ᵀ δ̂ where K̂ has entries)",
     _grad_weight_macs, "the non-zero entries of the derived K̂, each a sum over the rows of X̂ (kernel "
     "placements, counted)"),
):
    _add(replace(SCALARS["macs"], name=_name, summary=_summary, truth=_truth, truth_text=_text))
_add(replace(
    SCALARS["macs"], name="backward-macs",
    summary="multiply-accumulates of the backward pass for one sample: ∂J/∂x and ∂J/∂W",
    truth=_backward_macs,
    reference=lambda ctx: (Piece(f"2*c_out*(c_in/g)*{_power('k', ctx.dims)}*{_output_power(ctx.dims)}"),),
    truth_text="the two products δ̂ K̂ᵀ and X̂ᵀ δ̂, each the rows of δ̂ (placements, counted) times the "
    "non-zero entries of the derived K̂",
))
_add(ScalarQuantity(
    "activations", "entries of a layer's output for a batch of N (× bytes per entry for memory)",
    ("N", "n", "k", "s", "p", "d", "c_out"),
    {"N": (1, 4), "n": (1, 16), "k": (1, 3), "s": (1, 2), "p": (0, 1), "d": (1, 2), "c_out": (1, 4)},
    _activations,
    lambda ctx: (Piece(f"N*c_out*{_output_power(ctx.dims)}"),),
    "N × C_out × the kernel placements (counted) in every dimension",
    "the kernel fits the padded input at least once",
))
_add(ScalarQuantity(
    "jump", "cumulative stride: input positions between neighbouring outputs of a stack of L equal layers",
    ("L", "s"),
    {"L": (1, 5), "s": (1, 4)},
    _jump,
    lambda ctx: (Piece("s^L"),),
    "the distance between the first taps of neighbouring outputs, through every layer's index map",
    "all",
    per_dimension=True,
))
_add(ScalarQuantity(
    "start", "input position the first output's receptive field starts at, L equal layers (padding < 0)",
    ("L", "s", "p"),
    {"L": (1, 5), "s": (1, 4), "p": (0, 3)},
    _start,
    lambda ctx: (Piece("-p*L", "s", equals=1), Piece("-p*(s^L - 1)/(s - 1)", "s", at_least=2)),
    "the position the first tap of the first output reads, through every layer's index map",
    "all",
    per_dimension=True,
))
