"""The quantities added for same padding, transposed convolutions, costs and stacks.

Each truth is checked against a reference independent of symconv: direct loops
from the definition (a transposed convolution scattered entry by entry, a stack's
receptive field followed position by position), the formulas TensorFlow and
PyTorch document, and — where PyTorch is installed — PyTorch itself (shapes,
parameter counts, torch.utils.flop_counter for forward and backward FLOPs).
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import random
import warnings

import numpy as np
import pytest
from clitools import assert_bad_input, run

from symconv.verify import ScalarCounterexample, verify
from symconv.verify.quantities import SCALARS, Context
from symconv.verify.stacks import Layer, layer_stack, layer_values


def outputs(n: int, k: int, s: int, before: int, after: int, d: int) -> int:
    """Kernel placements along n inputs padded by before and after: brute force over start positions."""
    length = n + before + after
    return sum(1 for start in range(0, length, s) if start + d * (k - 1) < length)


# -- same and asymmetric padding ----------------------------------------------------------------------------


def tensorflow_same(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow's 'SAME' padding as its documentation states it (tf.nn.convolution): per dimension
    pad_along = max(k_eff - s, 0) if n % s == 0 else max(k_eff - n % s, 0), before = pad_along // 2."""
    k_eff = d * (k - 1) + 1
    total = max(k_eff - s, 0) if n % s == 0 else max(k_eff - n % s, 0)
    return total // 2, total - total // 2


def test_same_padding_is_tensorflows_and_pytorchs() -> None:
    same = SCALARS["same-padding"]
    for n, k, s, d in itertools.product(range(1, 25), range(1, 7), range(1, 4), range(1, 4)):
        truth = same.truth({"n": n, "k": k, "s": s, "d": d}, Context())
        assert truth == tensorflow_same(n, k, s, d), (n, k, s, d)
        before, after = tensorflow_same(n, k, s, d)
        assert outputs(n, k, s, before, after, d) == math.ceil(n / s)  # TensorFlow's output size
        if s == 1:  # PyTorch's padding='same' (torch/nn/modules/conv.py): d(k-1), the odd one after
            total = d * (k - 1)
            assert truth == (total // 2, total - total // 2)


def test_same_padding_claims() -> None:
    assert verify("same-padding", "(floor(d*(k - 1)/2), ceil(d*(k - 1)/2))", s=1).holds
    wrong = verify("same-padding", "(ceil(d*(k - 1)/2), floor(d*(k - 1)/2))", s=1)  # the odd one before
    c = wrong.counterexample
    assert isinstance(c, ScalarCounterexample) and dict(c.values) == {"n": 1, "k": 2, "d": 1}
    assert (c.claimed, c.true) == ("(1, 0)", "(0, 1)")
    assert verify("same-output-size", "ceil(n/s)").method == "symbolic"
    assert not verify("same-output-size", "floor(n/s)").holds


def test_asymmetric_output_size() -> None:
    q = SCALARS["asymmetric-output-size"]
    for n, k, s, d, b, a in itertools.product(range(1, 12), range(1, 5), range(1, 4), range(1, 3), range(3),
                                              range(3)):
        truth = q.truth({"n": n, "k": k, "s": s, "d": d, "p_before": b, "p_after": a}, Context())
        assert truth == (outputs(n, k, s, b, a, d) or None)
    result = verify("asymmetric-output-size", "floor((n + p_before + p_after - d*(k - 1) - 1)/s) + 1")
    assert result.holds and result.method == "symbolic"
    wrong = verify("asymmetric-output-size", "floor((n + 2*p_before - d*(k - 1) - 1)/s) + 1")
    c = wrong.counterexample
    assert isinstance(c, ScalarCounterexample)
    v = dict(c.values)
    assert c.true == str(outputs(v["n"], v["k"], v["s"], v["p_before"], v["p_after"], v["d"]))
    # a 'same'-padded spec pads unevenly: its amounts are p_before and p_after
    from symconv.spec import ConvSpec
    spec = ConvSpec(input_size=6, kernel_size=4, padding="same", dims=1)
    assert verify("asymmetric-output-size", "n", spec).holds


# -- transposed convolution -----------------------------------------------------------------------------


def scatter(x: np.ndarray, w: np.ndarray, s: int, p: int, d: int, a: int) -> np.ndarray:
    """A transposed convolution by its definition (the adjoint of the convolution): x_i w_u lands on
    s·i + d·u − p; PyTorch's output size."""
    n, k = len(x), len(w)
    m = (n - 1) * s - 2 * p + d * (k - 1) + a + 1
    y = np.zeros(m)
    for i in range(n):
        for u in range(k):
            j = s * i + d * u - p
            if 0 <= j < m:
                y[j] += x[i] * w[u]
    return y


def direct(x: np.ndarray, w: np.ndarray, zeros: int, before: int, after: int, d: int) -> np.ndarray:
    """Stride 1, dilation d, the kernel turned, over x with zeros inserted and padded: loops."""
    z = [0.0] * before
    for i, value in enumerate(x):
        z += [0.0] * (zeros if i else 0) + [float(value)]
    z += [0.0] * after
    k = len(w)
    return np.array([sum(z[j + d * v] * w[k - 1 - v] for v in range(k)) for j in range(len(z) - d * (k - 1))])


def test_the_equivalent_direct_convolution() -> None:
    """With the zeros and padding symconv counts, the direct convolution equals the scatter (random
    numbers, every k ≤ 4, s ≤ 4, d ≤ 3, p ≤ d(k−1), a < max(s, d))."""
    rng = np.random.default_rng(0)
    zeros_q, padding_q = SCALARS["transposed-zeros"], SCALARS["transposed-padding"]
    checked = 0
    for k, s, d in itertools.product(range(1, 5), range(1, 5), range(1, 4)):
        for p in range(0, 5):
            env = {"k": k, "s": s, "p": p, "d": d}
            zeros, before = zeros_q.truth(env, Context()), padding_q.truth(env, Context())
            if p > d * (k - 1):
                assert zeros is None and before is None
                continue
            assert (zeros, before) == (s - 1, d * (k - 1) - p)
            assert isinstance(zeros, int) and isinstance(before, int)
            for a in range(max(s, d)):
                x, w = rng.normal(size=5), rng.normal(size=k)
                np.testing.assert_allclose(direct(x, w, zeros, before, before + a, d),
                                           scatter(x, w, s, p, d, a))
                checked += 1
    assert checked > 300
    assert verify("transposed-padding", "k - p - 1", d=1).method == "symbolic"  # the guide's p'
    assert verify("transposed-zeros", "s - 1").method == "symbolic"
    wrong = verify("transposed-padding", "k - p - 1")  # the guide's, without dilation
    assert not wrong.holds and wrong.correct_formula == "d*(k - 1) - p"


def test_large_transposed_layers_are_read_off_the_index_map() -> None:
    """Beyond the run's bound the counts come from the index map; both ways agree where both run, and a
    kernel of 2147483647 taps is answered at once."""
    from symconv.verify.transposed import by_index_map, search

    for k, s, p, d in itertools.product(range(1, 8), range(1, 6), range(9), range(1, 4)):
        assert search(k, s, p, d) == by_index_map(k, s, p, d), (k, s, p, d)
    result = verify("transposed-padding", "d*(k - 1) - p", k=2147483647, d=2, p=5)
    assert result.holds and "read off the index map" in result.truth


def test_the_guides_output_padding() -> None:
    """a = (n + 2p − k) mod s: the transposed convolution of a convolution's output, with output padding a,
    has the convolution's input size (PyTorch's documented size formula)."""
    q = SCALARS["transposed-output-padding"]
    for n, k, s, p, d in itertools.product(range(1, 20), range(1, 5), range(1, 4), range(3), range(1, 3)):
        o = outputs(n, k, s, p, p, d)
        truth = q.truth({"n": n, "k": k, "s": s, "p": p, "d": d}, Context())
        if o == 0:
            assert truth is None
            continue
        assert isinstance(truth, int) and 0 <= truth < s
        assert (o - 1) * s - 2 * p + d * (k - 1) + truth + 1 == n
    assert verify("transposed-output-padding", "(n + 2*p - k) % s", d=1).method == "symbolic"
    assert verify("transposed-output-padding", r"(n + 2p - k) \bmod s", d=1).holds
    assert verify("transposed-output-padding", "mod(n + 2*p - k, s)", d=1).holds
    assert not verify("transposed-output-padding", "(n - k) % s", d=1).holds


def test_transposed_params_and_macs() -> None:
    """PyTorch's ConvTranspose layout: weight (C_in, C_out/g, k…), bias (C_out); every input entry meets
    every tap of its group's C_out/g output channels."""
    params, macs = SCALARS["transposed-params"], SCALARS["transposed-macs"]
    grid = itertools.product(range(1, 4), range(1, 5), range(1, 5), range(1, 5), (1, 2))
    for k, c_in, c_out, g, dims in grid:
        if c_in % g or c_out % g:
            continue
        env = {"k": k, "c_in": c_in, "c_out": c_out, "g": g, "n": 3}
        ctx = Context(dims=dims)
        assert params.truth(env, ctx) == c_in * (c_out // g) * k**dims + c_out
        assert macs.truth(env, ctx) == 3**dims * c_in * (c_out // g) * k**dims
    assert verify("transposed-params", "c_in*(c_out/g)*k^2 + c_out").method == "symbolic"
    assert not verify("transposed-params", "c_in*c_out*k^2 + c_out").holds


# -- costs --------------------------------------------------------------------------------------------------


def unrolled_products(
    n: int, k: int, s: int, p: int, d: int, c_in: int, c_out: int, g: int, dims: int
) -> int:
    """The products of Ŷ = X̂·K̂ (and of δ̂·K̂ᵀ, X̂ᵀ·δ̂), counted by running the loops of the product: a row per
    output position, a product per (output channel, input channel of its group, tap)."""
    rows = outputs(n, k, s, p, p, d) ** dims
    count = 0
    for _ in range(rows):
        for co in range(c_out):
            group = co // (c_out // g)
            for ci in range(c_in):
                if ci // (c_in // g) == group:
                    count += k**dims
    return count


def test_backward_macs_and_activations() -> None:
    env_ranges = itertools.product(range(1, 9), range(1, 4), range(1, 3), range(2), range(1, 3), (1, 2, 4),
                                   (2, 4), (1, 2))
    for n, k, s, p, d, c_in, c_out, g in env_ranges:
        env = {"n": n, "k": k, "s": s, "p": p, "d": d, "c_in": c_in, "c_out": c_out, "g": g, "N": 3}
        if outputs(n, k, s, p, p, d) == 0 or c_in % g:
            continue
        count = unrolled_products(n, k, s, p, d, c_in, c_out, g, 2)
        assert SCALARS["grad-input-macs"].truth(env, Context()) == count
        assert SCALARS["grad-weight-macs"].truth(env, Context()) == count
        assert SCALARS["backward-macs"].truth(env, Context()) == 2 * count
        assert SCALARS["activations"].truth(env, Context()) == 3 * c_out * outputs(n, k, s, p, p, d) ** 2
    assert verify("backward-macs", "2*c_out*(c_in/g)*k^2*(floor((n + 2*p - d*(k - 1) - 1)/s) + 1)^2").holds
    wrong = verify("backward-macs", "c_out*(c_in/g)*k^2*(floor((n + 2*p - d*(k - 1) - 1)/s) + 1)^2")
    assert not wrong.holds
    assert verify("activations", "N*c_out*(floor((n + 2*p - d*(k - 1) - 1)/s) + 1)^2").method == "symbolic"


# -- stacks -------------------------------------------------------------------------------------------------


def followed(layers: list[Layer], output: int) -> list[int]:
    """The input positions one output of the last layer reads, followed back layer by layer (loops)."""
    positions = {output}
    for layer in reversed(layers):
        positions = {layer.s * j + layer.d * u - layer.p for j in positions for u in range(layer.k)}
    return sorted(positions)


def test_jump_start_and_receptive_field_of_stacks() -> None:
    rng = random.Random(1)
    for _ in range(200):
        layers = [Layer(rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 3), rng.randint(0, 2))
                  for _ in range(rng.randint(1, 4))]
        zero, one = followed(layers, 0), followed(layers, 1)
        for name, truth in (("jump", one[0] - zero[0]), ("start", zero[0])):
            q = layer_stack(tuple(layers), name)
            assert q.truth(layer_values(tuple(layers), name), Context()) == truth
        unpadded = [layer._replace(p=0) for layer in layers]
        positions = followed(unpadded, 0)
        q = layer_stack(tuple(layers), "receptive-field")
        assert q.truth(layer_values(tuple(layers), "receptive-field"), Context()) == positions[-1] + 1
    assert verify("jump", "s_1*s_2*s_3", layers="3").method == "symbolic"
    assert verify("start", "-(p_1 + p_2*s_1)", layers="2").method == "symbolic"
    wrong = verify("start", "-(p_1 + p_2)", layers="2")
    c = wrong.counterexample
    assert isinstance(c, ScalarCounterexample)
    v = dict(c.values)
    shown = [Layer(1, v["s_1"], 1, v["p_1"]), Layer(1, v["s_2"], 1, v["p_2"])]
    assert c.true == str(followed(shown, 0)[0])
    assert verify("jump", "s^L").method == "symbolic" and verify("start", "-p*L", s=1).method == "symbolic"


def published_layer(n: int, layer: Layer, c_in: int) -> tuple[int, int, int, int]:
    """(output size, params, MACs, output entries) of one 2-D layer, from PyTorch's documented shapes."""
    assert layer.c is not None
    o = math.floor((n + 2 * layer.p - layer.d * (layer.k - 1) - 1) / layer.s) + 1
    params = layer.c * c_in * layer.k**2 + layer.c
    return o, params, layer.c * c_in * layer.k**2 * o * o, layer.c * o * o


def test_the_costs_of_a_stack() -> None:
    rng = random.Random(2)
    for _ in range(60):
        layers = tuple(Layer(rng.randint(1, 3), rng.randint(1, 2), rng.randint(1, 2), rng.randint(0, 1),
                             rng.randint(1, 5)) for _ in range(rng.randint(1, 3)))
        n, c_in = rng.randint(8, 20), rng.randint(1, 3)
        size, channels, totals = n, c_in, [0, 0, 0]
        fits = True
        for layer in layers:
            o, params, macs, entries = published_layer(size, layer, channels)
            fits = fits and o >= 1
            totals = [totals[0] + params, totals[1] + macs, totals[2] + entries]
            size, channels = o, layer.c or 0
        for name, truth in (("params", totals[0]), ("macs", totals[1]), ("backward-macs", 2 * totals[1]),
                            ("activations", 2 * totals[2])):
            q = layer_stack(layers, name)
            env = {**layer_values(layers, name), "n": n, "c_in": c_in, "N": 2}
            expected = truth if fits or name == "params" else None  # no layer: no output, no cost
            assert q.truth(env, Context()) == expected, (name, layers)
    result = verify("params", "c_1*c_0*k_1^2 + c_1 + c_2*c_1*k_2^2 + c_2", layers="3,1,1,1,8;3,2,1,1,16")
    assert result.holds and result.method == "symbolic"
    assert not verify("params", "c_1*c_0*k_1^2 + c_2*c_1*k_2^2", layers="3,1,1,1,8;3,2,1,1,16").holds


def test_stack_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "macs", "c_1*c_in*k_1^2*(n + 2*p_1 - k_1 + 1)^2",
                       "--layers", "k=3,p=1,c=8")
    assert code == 0 and "HOLDS, proved symbolically" in out
    code, out, err = run(capsys, "verify", "macs", "1", "--layers", "3,1,1")
    assert_bad_input(code, out, err)
    assert "layer 1 gives no output channels, which macs needs" in err
    code, out, err = run(capsys, "verify", "macs", "1", "--layers", "k=3,q=1")
    assert_bad_input(code, out, err)
    code, out, err = run(capsys, "verify", "macs", "1", "--layers", "3,1,1,1,8", "--padding", "1")
    assert_bad_input(code, out, err)
    assert "--padding 1 conflicts with --layers" in err


# -- PyTorch, where it is installed (not a dependency: defined only where it imports) ---------------------

if importlib.util.find_spec("torch") is not None:

    def test_against_pytorch() -> None:
        import torch
        import torch.nn.functional as F
        from torch.utils.flop_counter import FlopCounterMode

        rng = random.Random(3)
        for _ in range(40):
            n, k, s, d = rng.randint(5, 12), rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 2)
            c_in, c_out = rng.choice([1, 2, 4]), rng.choice([2, 4])
            p = rng.randint(0, d * (k - 1))
            g = rng.choice([g for g in (1, 2) if c_in % g == 0 and c_out % g == 0])
            env = {"n": n, "k": k, "s": s, "p": p, "d": d, "c_in": c_in, "c_out": c_out, "g": g, "N": 2}
            if outputs(n, k, s, p, p, d) == 0:
                continue
            conv = torch.nn.Conv2d(c_in, c_out, k, stride=s, padding=p, dilation=d, groups=g)
            x = torch.randn(1, c_in, n, n, requires_grad=True)
            with FlopCounterMode(display=False) as counter:
                y = conv(x)
                y.sum().backward()
            flops = counter.get_flop_counts()["Global"]
            forward = int(flops[torch.ops.aten.convolution])
            assert SCALARS["macs"].truth(env, Context()) * 2 == forward
            backward = int(flops[torch.ops.aten.convolution_backward])
            if g == 1:  # torch's counter takes ∂J/∂W of a grouped convolution as ungrouped (g× the products)
                assert SCALARS["backward-macs"].truth(env, Context()) * 2 == backward
            else:
                assert SCALARS["grad-input-macs"].truth(env, Context()) * 2 * (1 + g) == backward
            assert SCALARS["activations"].truth(env, Context()) == 2 * y.numel()
            # transposed: size, the guide's a, parameters, and the equivalent direct convolution
            o = y.shape[-1]
            a = SCALARS["transposed-output-padding"].truth(env, Context())
            assert isinstance(a, int)
            back = torch.nn.ConvTranspose2d(c_out, c_in, k, stride=s, padding=p, dilation=d, groups=g,
                                            output_padding=a)
            assert back(y).shape[-1] == n
            tenv = {**env, "c_in": c_out, "c_out": c_in, "n": o}
            weights = sum(t.numel() for t in back.parameters())
            assert SCALARS["transposed-params"].truth(tenv, Context()) == weights
            with FlopCounterMode(display=False) as counter:
                back(y.detach())
            assert SCALARS["transposed-macs"].truth(tenv, Context()) * 2 == counter.get_total_flops()
            one = torch.randn(1, 1, o)
            w = torch.randn(1, 1, k)
            zeros = SCALARS["transposed-zeros"].truth(env, Context())
            before = SCALARS["transposed-padding"].truth(env, Context())
            assert isinstance(zeros, int) and isinstance(before, int)
            stretched = torch.zeros(1, 1, (o - 1) * (zeros + 1) + 1)
            stretched[..., :: zeros + 1] = one
            stretched = F.pad(stretched, (before, before + a))
            expected = F.conv_transpose1d(one, w, stride=s, padding=p, dilation=d, output_padding=a)
            torch.testing.assert_close(F.conv1d(stretched, w.flip(-1), dilation=d), expected)
            # same padding with stride 1: PyTorch's own
            if s == 1:
                before_same, after_same = SCALARS["same-padding"].truth(env, Context())  # type: ignore[misc]
                with warnings.catch_warnings():  # an odd total: PyTorch says it copies the input to pad it
                    warnings.simplefilter("ignore", UserWarning)
                    same = F.conv1d(one, w, padding="same", dilation=d)
                padded = F.pad(one, (before_same, after_same))
                torch.testing.assert_close(F.conv1d(padded, w, dilation=d), same)


# -- mutated formulas: refuted at a point where the independent reference disagrees with them ------------


def _dims2(value: int) -> int:
    return value**2


MUTATED = [
    ("transposed-zeros", "s", {}, lambda v: v["s"] - 1),
    ("transposed-macs", "c_in*c_out*k^2*n^2", {},
     lambda v: v["c_in"] * (v["c_out"] // v["g"]) * v["k"] ** 2 * v["n"] ** 2),
    ("grad-weight-macs", "c_out*(c_in/g)*k*(n - k + 1)^2", {"s": 1, "p": 0, "d": 1},
     lambda v: unrolled_products(v["n"], v["k"], 1, 0, 1, v["c_in"], v["c_out"], v["g"], 2)),
    ("grad-input-macs", "c_out*c_in*k^2*(n - k + 1)^2", {"s": 1, "p": 0, "d": 1},
     lambda v: unrolled_products(v["n"], v["k"], 1, 0, 1, v["c_in"], v["c_out"], v["g"], 2)),
    ("activations", "c_out*(n + 2*p - k + 1)^2", {"s": 1, "d": 1},
     lambda v: v["N"] * v["c_out"] * _dims2(outputs(v["n"], v["k"], 1, v["p"], v["p"], 1))),
    ("jump", "s*L", {}, lambda v: followed([Layer(1, v["s"])] * v["L"], 1)[0]),
    ("same-output-size", "floor((n - 1)/s) + 2", {},
     lambda v: outputs(v["n"], v["k"], v["s"], *tensorflow_same(v["n"], v["k"], v["s"], v["d"]), v["d"])),
]


@pytest.mark.parametrize(("quantity", "formula", "fixed", "reference"), MUTATED, ids=[m[0] for m in MUTATED])
def test_mutated_formulas_are_refuted_where_the_reference_disagrees(
    quantity: str, formula: str, fixed: dict[str, int], reference: object
) -> None:
    result = verify(quantity, formula, **fixed)
    assert not result.holds
    c = result.counterexample
    assert isinstance(c, ScalarCounterexample)
    point = {**fixed, **dict(c.values)}
    assert callable(reference)
    truth = reference(point)
    assert c.true == str(truth) and c.claimed != c.true
